"""A playbook laid out on the calendar for a launch date: what `playbook plan` shows."""

from datetime import date, datetime

from pydantic import BaseModel

from baton.playbook import Playbook
from baton.schedule import Calendar, due_instant, zone


class PlannedStep(BaseModel):
    id: str
    name: str
    kind: str
    owners: list[str]  # role ids
    after: list[str]
    due: datetime | None  # None: forward-scheduled from the step's activation


class Plan(BaseModel):
    playbook: str
    name: str
    launch_date: date
    timezone: str
    steps: list[PlannedStep]


def plan_playbook(playbook: Playbook, launch_date: date, timezone: str = "UTC") -> Plan:
    """Every step with its owner roles, what it waits for and its due instant, shown in
    the project's time zone."""
    tz = zone(timezone)
    calendar = Calendar(business=playbook.calendar == "business", holidays=playbook.holidays)
    steps = []
    for step in playbook.steps:
        due = None
        if step.due is not None:
            due = due_instant(launch_date, step.due, playbook.due_time, timezone, calendar)
            due = due.astimezone(tz)
        steps.append(
            PlannedStep(
                id=step.id,
                name=step.name,
                kind=step.kind,
                owners=step.roles,
                after=step.depends_on,
                due=due,
            )
        )
    return Plan(
        playbook=playbook.id,
        name=playbook.name,
        launch_date=launch_date,
        timezone=timezone,
        steps=steps,
    )
