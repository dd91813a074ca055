"""Pure date math used by everything: due instants, business days, reminder and
follow-up instants, quiet hours, forward scheduling (DESIGN.md section 4, timing rules).

Instants are timezone-aware UTC; local times exist only inside these functions.
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict

from baton.errors import Invalid, printable

DAY = timedelta(days=1)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Calendar(BaseModel):
    """How days are counted: every day, or business days (no weekends, no holidays)."""

    model_config = ConfigDict(frozen=True)
    business: bool = False
    holidays: str | None = None  # a country code for the `holidays` package

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(self.holidays, day.year)

    def add_days(self, day: date, days: int) -> date:
        """`days` days after (or, negative, before) `day`, counted in this calendar.

        On a business calendar, -5 is the fifth business day before `day`; 0 keeps the day
        as it is (the launch date stands even when it is not a business day)."""
        if not self.business or days == 0:
            return day + days * DAY
        step = DAY if days > 0 else -DAY
        for _ in range(abs(days)):
            day += step
            while not self.is_business_day(day):
                day += step
        return day


@cache
def _holidays(country: str | None, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


BUSINESS_WEEK = Calendar(business=True)  # Monday to Friday, no holidays
_RELATIVE_DAY = re.compile(r"^\+\s*(\d{1,5})\s*(d|w|bd)$")
DAY_FORMS = (
    "YYYY-MM-DD (like 2026-12-15), today, or counted from today: "
    "+45d (days), +6w (weeks), +10bd (business days, Monday to Friday)"
)


def parse_day(text: str, today: date, what: str = "the date") -> date:
    """A date as a person types it: ISO ("2026-12-15"), "today", or counted from
    `today`: "+45d", "+6w", "+10bd" (business days: Monday to Friday). Anything else is
    `Invalid`, saying which forms are read."""
    written = text.strip().lower()
    if written == "today":
        return today
    match = _RELATIVE_DAY.match(written)
    if match:
        count, unit = int(match[1]), match[2]
        if count > 3660 or (unit == "w" and count > 520):
            raise Invalid(f"{what} {text!r} is more than ten years away; choose a nearer date")
        if unit == "bd":
            return BUSINESS_WEEK.add_days(today, count)
        return today + count * (7 if unit == "w" else 1) * DAY
    try:
        return date.fromisoformat(written)
    except ValueError:
        shown = printable(text[:40])
        raise Invalid(f"{what} {shown!r} is not a date; write it as {DAY_FORMS}") from None


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, with a clear error for a bad one."""
    try:
        if len(name) > 64:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        # OSError: a folder of zones ("America"); UnicodeError: not text at all
        raise Invalid(
            f"unknown time zone {printable(name[:64])!r}; use an IANA name like Europe/Berlin"
        ) from None


def _known_zone(name: str) -> str:
    zone(name)
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, refused with a clear message when unknown."""


def local_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of a local wall-clock time. A time skipped by a DST change moves
    forward by the gap, as clocks do; a repeated one means its first occurrence."""
    local = datetime.combine(day, at, tzinfo=zone(tz))
    return local.astimezone(UTC).astimezone(zone(tz)).astimezone(UTC)


def due_instant(
    launch: date, offset_days: int, due_time: time, tz: str, calendar: Calendar
) -> datetime:
    """A step's due instant: the launch date plus its offset, at `due_time` local time."""
    return local_instant(calendar.add_days(launch, offset_days), due_time, tz)


def forward_due(
    activated_at: datetime, estimate: timedelta, due_time: time, tz: str, calendar: Calendar
) -> datetime:
    """The due instant of a step without a fixed offset, counted from its activation:
    whole days land on `due_time` of the day reached, shorter estimates are exact."""
    if estimate % DAY:
        return activated_at + estimate
    activation_day = activated_at.astimezone(zone(tz)).date()
    return local_instant(calendar.add_days(activation_day, estimate // DAY), due_time, tz)


class WorkingHours(BaseModel):
    """When a person can be reached: local hours on working days, away on time off."""

    model_config = ConfigDict(frozen=True)
    timezone: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))  # 0 = Monday
    time_off: tuple[tuple[date, date], ...] = ()  # inclusive date ranges

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and not any(a <= day <= b for a, b in self.time_off)

    def is_away(self, instant: datetime) -> bool:
        return not self.is_working_day(instant.astimezone(zone(self.timezone)).date())

    def next_window(self, instant: datetime) -> datetime:
        """`instant` if it falls in working hours (both ends included: a 17:00 deadline is
        still in a 09:00-17:00 day), else the start of the next working window."""
        local = instant.astimezone(zone(self.timezone))
        day = local.date()
        if self.is_working_day(day) and self.start <= local.time() <= self.end:
            return instant
        if not (self.is_working_day(day) and local.time() < self.start):
            day += DAY
            for _ in range(366):
                if self.is_working_day(day):
                    break
                day += DAY
            else:
                return instant  # nobody works on no day at all; do not hold messages forever
        return local_instant(day, self.start, self.timezone)


def parse_hours(text: str) -> tuple[time, time]:
    """ "09:00-17:00" -> (09:00, 17:00)."""
    match = re.match(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", text)
    if not match:
        raise Invalid(f"{text!r} is not working hours; write them like 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
        raise Invalid(f"{text!r} is not working hours; the start must come before the end")
    return time(h1, m1), time(h2, m2)


def parse_days(text: str) -> frozenset[int]:
    """ "mon-fri" or "mon,tue,thu" -> weekday numbers (0 = Monday)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e[:3] not in WEEKDAYS for e in ends):
            raise Invalid(f"{text!r} is not a list of days; write them like mon-fri or mon,wed")
        first, last = WEEKDAYS.index(ends[0][:3]), WEEKDAYS.index(ends[-1][:3])
        days.update(
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        )
    return frozenset(days)


def reminder_instants(
    due: datetime, before: Iterable[timedelta]
) -> list[tuple[timedelta, datetime]]:
    """Each reminder's lead and nominal instant, earliest first."""
    return sorted(((lead, due - lead) for lead in before), key=lambda pair: pair[1])


def follow_up_instants(
    due: datetime, activated_at: datetime, after: timedelta, repeat: timedelta, limit: int
) -> list[datetime]:
    """Overdue follow-ups: `after` past the due instant, or past the activation when the
    step became active already late, then every `repeat`, at most `limit`."""
    first = max(due, activated_at) + after
    return [first + n * repeat for n in range(limit)]
