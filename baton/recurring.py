"""Recurring projects (a weekly newsletter): the template a Temporal Schedule starts one
project from at each occurrence, and the cadences people write ("weekly on Tue at 09:00").

Pure: no clock, no Temporal. `starters.schedules` turns a cadence into a Schedule and
`workflows.recurring` turns an occurrence into a project."""

import re
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from baton.bounds import LAUNCH_YEARS_AHEAD
from baton.contract import ProjectTemplate, StartProject
from baton.errors import Invalid
from baton.schedule import zone

SCHEDULE_PREFIX = "schedule-"


def schedule_id_for(slug: str) -> str:
    """ "newsletter" or "schedule-newsletter" -> "schedule-newsletter"."""
    return slug if slug.startswith(SCHEDULE_PREFIX) else f"{SCHEDULE_PREFIX}{slug}"


class RecurringSpec(ProjectTemplate):
    """The project each occurrence starts: a start input without its date, plus how many
    days ahead of the occurrence the project's launch date lies. Its `name` and `slug`
    are the projects' prefixes: "Newsletter" -> projects "Newsletter 2026-12-15"."""

    # launch date = occurrence date + lead_days (at most the launch window ahead)
    lead_days: int = Field(default=0, ge=0, le=LAUNCH_YEARS_AHEAD * 365)

    @property
    def schedule_id(self) -> str:
        return schedule_id_for(self.project_slug)

    def occurrence_date(self, at: datetime) -> date:
        """The occurrence's date where the team is (the spec's time zone)."""
        return at.astimezone(zone(self.timezone)).date()

    def project_for(self, occurrence: date) -> StartProject:
        """The start input of the occurrence's project: "Newsletter 2026-12-15", slug
        "newsletter-2026-12-15", launching `lead_days` after the occurrence."""
        launch = occurrence + timedelta(days=self.lead_days)
        return StartProject(
            playbook=self.playbook,
            playbook_version=self.playbook_version,
            name=f"{self.name} {launch.isoformat()}",
            slug=f"{self.project_slug}-{launch.isoformat()}",
            launch_date=launch,
            timezone=self.timezone,
            assignments=self.assignments,
            project_manager=self.project_manager,
            inputs=self.inputs,
        )


class Occurrence(BaseModel):
    """What one occurrence did: the project it started, or found already started."""

    workflow_id: str
    launch_date: date
    started: bool  # False: a project for this date already existed (a repeated occurrence)


# -- cadences: "daily", "weekly on Tue,Thu", "monthly on 1", each optionally "at 09:00"

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_EVERY = re.compile(
    r"^(?P<kind>daily|weekly|monthly)(?:\s+on\s+(?P<on>.+?))?(?:\s+at\s+(?P<at>\S+))?$"
)
_EXAMPLES = '"daily", "weekly on Tue", "weekly on mon,thu at 10:30" or "monthly on 1 at 09:00"'


class CadenceError(Invalid):
    """A cadence that cannot be read; the message says how to write it."""


class Cadence(BaseModel):
    """When a schedule fires, in its time zone, as a 5-field cron expression."""

    model_config = ConfigDict(frozen=True)

    cron: str
    text: str  # how a person reads it: "weekly on Tue at 09:00"


def parse_every(text: str) -> Cadence:
    """ "weekly on Tue at 9:00" -> Cadence(cron="0 9 * * 2", text="weekly on Tue at 09:00")."""
    written = " ".join(text.lower().split())
    match = _EVERY.match(written)
    if not match:
        raise CadenceError(f"--every {text!r} is not a cadence; write {_EXAMPLES}")
    kind, on, at = match["kind"], match["on"], match["at"]
    hour, minute = _parse_time(at, text) if at else (9, 0)
    clock = f"{hour:02d}:{minute:02d}"
    if kind == "daily":
        if on:
            raise CadenceError(
                f"--every {text!r}: 'daily' takes no 'on'; for some days write 'weekly on {on}'"
            )
        return Cadence(cron=f"{minute} {hour} * * *", text=f"daily at {clock}")
    if not on:
        example = "weekly on Tue" if kind == "weekly" else "monthly on 1"
        raise CadenceError(f"--every {text!r}: say which day, like '{example}'")
    if kind == "weekly":
        days = [_parse_weekday(day, text) for day in _split(on)]
        names = ", ".join(WEEKDAYS[d][:3].title() for d in days)
        dow = ",".join(str(d) for d in days)
        return Cadence(cron=f"{minute} {hour} * * {dow}", text=f"weekly on {names} at {clock}")
    days = [_parse_day_of_month(day, text) for day in _split(on)]
    dom = ",".join(str(d) for d in days)
    return Cadence(cron=f"{minute} {hour} {dom} * *", text=f"monthly on {dom} at {clock}")


def _split(days: str) -> list[str]:
    parts = [p for p in re.split(r"\s*(?:,|\band\b)\s*|\s+", days) if p]
    return list(dict.fromkeys(parts))  # in order, once each


def _parse_time(at: str, text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", at)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise CadenceError(
            f"--every {text!r}: 'at {at}' is not a time of day; write 24-hour HH:MM, "
            "like 'at 09:00' or 'at 16:30'"
        )
    return int(match[1]), int(match[2])


def _parse_weekday(word: str, text: str) -> int:
    found = [i for i, name in enumerate(WEEKDAYS) if len(word) >= 3 and name.startswith(word)]
    if len(found) != 1:
        raise CadenceError(
            f"--every {text!r}: {word!r} is not a weekday; write a name or its first three "
            "letters, like mon, tue, wed, thu, fri, sat, sun (several: 'weekly on mon,thu')"
        )
    return found[0]


def _parse_day_of_month(word: str, text: str) -> int:
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word)
    if not match or not 1 <= int(match[1]) <= 28:
        raise CadenceError(
            f"--every {text!r}: {word!r} is not a day of the month Baton can keep every "
            "month; write 1 to 28 (for later days use --cron, like --cron '0 9 30 * *')"
        )
    return int(match[1])


# -- cron: five fields, checked before Temporal sees them

_CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_CRON_NAMES = {
    3: ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    4: ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}
_CRON_ITEM = re.compile(r"^(\*|\w+(?:-\w+)?)(?:/(\d+))?$")


def parse_cron(text: str) -> Cadence:
    """Check a 5-field cron expression (minute hour day-of-month month day-of-week)."""
    fields = text.split()
    if len(fields) != 5:
        raise CadenceError(
            f"--cron {text!r} has {len(fields)} field(s); write five: minute hour "
            "day-of-month month day-of-week, like --cron '0 9 * * 2' (Tuesdays at 09:00)"
        )
    for index, (field, (label, low, high)) in enumerate(zip(fields, _CRON_FIELDS, strict=True)):
        for item in field.lower().split(","):
            match = _CRON_ITEM.match(item)
            values = match[1].split("-") if match and match[1] != "*" else []
            if not match or not all(_cron_value(v, index, low, high) is not None for v in values):
                raise CadenceError(
                    f"--cron {text!r}: the {label} field {field!r} is not valid; use numbers "
                    f"{low}-{high}, '*', ranges like 1-5, lists like 1,15 and steps like */2"
                )
    return Cadence(cron=" ".join(fields), text=f"cron {' '.join(fields)}")


def _cron_value(value: str, index: int, low: int, high: int) -> int | None:
    if value.isdigit():
        return int(value) if low <= int(value) <= high else None
    names = _CRON_NAMES.get(index, ())
    return names.index(value) if value in names else None
