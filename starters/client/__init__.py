"""The one Temporal client layer every way in uses (CLI, API, dashboard, one-click
links, simulate, the devstack). What leaves it is a result or a `BatonError`: Temporal's
own errors end here.

- `connection`  connect, and Baton's search attributes on the server
- `projects`    the start pre-check, start, act, status, lists
- `tasks`       a person's tasks across projects
- `portfolio`   every project as a card (the board)
- `schedules`   recurring projects as Temporal Schedules

Each name below is imported from its module on first use, so a command importing the
client layer pays only for the part it uses (the board and a person's tasks bring the
store, the schedules their own SDK parts)."""

import importlib
import sys
import types
from typing import Any

_HOMES = {
    "connection": ("connect", "ensure_search_attributes", "search_attribute_flags"),
    "portfolio": ("ProjectCard", "portfolio"),
    "projects": (
        "LateStart",
        "NotAnswering",
        "ProjectNotFound",
        "ProjectRow",
        "StillStarting",
        "act",
        "active_statuses",
        "check_action_request",
        "check_people",
        "check_schedule_request",
        "check_start_request",
        "list_projects",
        "start_and_wait",
        "start_project",
        "status",
        "visibility_query",
    ),
    "tasks": ("NearbyStep", "TaskRow", "tasks_for"),
    "schedules": (
        "ScheduleRow",
        "cadence_of",
        "create_schedule",
        "delete_schedule",
        "describe_schedule",
        "list_schedules",
        "pause_schedule",
        "resume_schedule",
        "trigger_schedule",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


class _Layer(types.ModuleType):
    """This package: `portfolio` is the function, even once its module (of the same
    name) is imported, which would otherwise put the module in its place."""

    def __setattr__(self, name: str, value: Any) -> None:
        if not (name in _MODULE_OF and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Layer
