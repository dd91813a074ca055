"""The launch calendar's month: each day with the launches (coloured by the project's
health) and the dues of active steps that fall on it, in the viewer's time zone. Pure:
the cards come from `starters.client.portfolio`."""

import calendar
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from baton.errors import Invalid
from baton.schedule import zone
from starters.client.portfolio import CLOSED, ProjectCard, health_label

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_month(text: str | None, today: date) -> date:
    """A `YYYY-MM` month as its first day (this month when none is given), or `Invalid`."""
    if not text or not text.strip():
        return today.replace(day=1)
    found = _MONTH.fullmatch(text.strip())
    if found and int(found.group(1)) >= 1 and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1)
    raise Invalid(
        f"'{text.strip()[:40]}' is not a month; write it as YYYY-MM, like {today:%Y-%m}",
        field="month",
    )


def next_month(first: date) -> date | None:
    """The first of the month after (None after December 9999)."""
    if (first.year, first.month) == (9999, 12):
        return None
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(first: date) -> date | None:
    """The first of the month before (None before January of year 1)."""
    return None if first == date.min else (first - timedelta(days=1)).replace(day=1)


class CalendarEntry(BaseModel):
    """A launch (coloured by the project's health) or an active step's due."""

    kind: Literal["launch", "due"]
    workflow_id: str
    project: str
    health: str
    step: str | None = None
    at: datetime | None = None
    overdue: bool = False

    @property
    def health_text(self) -> str:
        """The launch's health in words, without the percent: "at risk", "completed"."""
        return health_label(self.health, None)

    @property
    def colour(self) -> str:
        """The health a launch is coloured by; every closed state alike."""
        return "closed" if self.health in CLOSED else self.health


class CalendarDay(BaseModel):
    day: date
    in_month: bool
    today: bool
    entries: list[CalendarEntry] = []


def calendar_entries(card: ProjectCard, timezone: str) -> list[tuple[date, CalendarEntry]]:
    """A project's launch and the dues of its active steps, each with its day (a due on
    the day it falls in `timezone`)."""
    project = {"workflow_id": card.workflow_id, "project": card.name, "health": card.health}
    found = []
    if card.launch_date is not None:
        found.append((card.launch_date, CalendarEntry(kind="launch", **project)))
    for step in card.waiting:
        if step.due is not None:
            due = CalendarEntry(
                kind="due", step=step.name, at=step.due, overdue=step.overdue, **project
            )
            found.append((step.due.astimezone(zone(timezone)).date(), due))
    return found


def month_grid(
    cards: Iterable[ProjectCard], first: date, timezone: str, today: date
) -> list[list[CalendarDay]]:
    """The month's weeks (Monday first), each day with the launches and the dues of
    active steps that fall on it; days of the months around it are left empty."""
    on: dict[date, list[CalendarEntry]] = {}
    for card in cards:
        for day, entry in calendar_entries(card, timezone):
            on.setdefault(day, []).append(entry)
    far = datetime.max.replace(tzinfo=UTC)

    def order(entry: CalendarEntry):
        return (entry.kind != "launch", entry.at or far, entry.project.casefold())

    weeks = calendar.Calendar(calendar.MONDAY).monthdatescalendar(first.year, first.month)
    return [
        [
            CalendarDay(
                day=day,
                in_month=day.month == first.month,
                today=day == today,
                entries=sorted(on.get(day, []), key=order) if day.month == first.month else [],
            )
            for day in week
        ]
        for week in weeks
    ]
