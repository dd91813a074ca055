"""The project state machine: the pure, deterministic core every project runs on.

`start_project` builds the first state; `apply` takes an action (complete, review,
choose, reassign, reschedule, cancel) and `advance` takes "the clock reached T". Each
returns a `Transition`: the new state and the log entries it produced. `next_wake` says
when the core next needs the clock. Nothing here does I/O or reads the clock, so the
Temporal workflow can replay it and hypothesis can hammer it.

- `model`    the project the workflow carries (the status view plus playbook and people)
- `rules`    what a project accepts: start inputs and actions, refused with the reason
- `machine`  the transitions: start, actions, the clock, activation, rework
- `alerts`   reminders, follow-ups and escalations: planned, shifted, collapsed
"""

from baton.state.machine import (
    advance,
    apply,
    next_wake,
    note_forecast,
    refuse,
    refuse_unreadable,
    start_project,
)
from baton.state.model import Outlook, Project, Transition, shared_definition
from baton.state.rules import (
    LateDues,
    check,
    check_on_time,
    check_start,
    closed_reason,
    resolve_launch_date,
)

__all__ = [
    "LateDues",
    "Outlook",
    "Project",
    "Transition",
    "advance",
    "apply",
    "check",
    "check_on_time",
    "check_start",
    "closed_reason",
    "next_wake",
    "note_forecast",
    "refuse",
    "refuse_unreadable",
    "resolve_launch_date",
    "shared_definition",
    "start_project",
]
