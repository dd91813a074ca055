"""The one Temporal client layer every way in uses (CLI, API, dashboard, one-click
links, simulate, the devstack). What leaves it is a result or a `BatonError`: Temporal's
own errors end here.

- `connection`  connect, and Baton's search attributes on the server
- `projects`    the start pre-check, start, act, status, lists, a person's tasks
- `schedules`   recurring projects as Temporal Schedules
"""

from starters.client.connection import connect, ensure_search_attributes, search_attribute_flags
from starters.client.portfolio import ProjectCard, portfolio
from starters.client.projects import (
    LateStart,
    NotAnswering,
    ProjectNotFound,
    ProjectRow,
    StillStarting,
    TaskRow,
    act,
    active_statuses,
    check_action_request,
    check_people,
    check_schedule_request,
    check_start_request,
    list_projects,
    start_and_wait,
    start_project,
    status,
    tasks_for,
    visibility_query,
)
from starters.client.schedules import (
    ScheduleRow,
    cadence_of,
    create_schedule,
    delete_schedule,
    describe_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    trigger_schedule,
)

__all__ = [
    "LateStart",
    "NotAnswering",
    "ProjectCard",
    "ProjectNotFound",
    "ProjectRow",
    "ScheduleRow",
    "StillStarting",
    "TaskRow",
    "act",
    "active_statuses",
    "cadence_of",
    "check_action_request",
    "check_people",
    "check_schedule_request",
    "check_start_request",
    "connect",
    "create_schedule",
    "delete_schedule",
    "describe_schedule",
    "ensure_search_attributes",
    "list_projects",
    "list_schedules",
    "pause_schedule",
    "portfolio",
    "resume_schedule",
    "search_attribute_flags",
    "start_and_wait",
    "start_project",
    "status",
    "tasks_for",
    "trigger_schedule",
    "visibility_query",
]
