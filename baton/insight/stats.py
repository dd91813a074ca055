"""The statistics the report and the recalibration share: medians and quantiles by
linear interpolation between order statistics (numpy's default rule), rounding for
display, and time between two instants counted in a playbook's working days."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta, timezone
from typing import overload

import numpy

from baton.insight.runs import DAY
from baton.schedule import Calendar

ONE_DAY = timedelta(days=1)


def quantile(values: Iterable[float], q: float) -> float | None:
    """The `q` quantile (0..1) of `values`, numpy's linear rule; None when there are none."""
    data = list(values)
    if not data:
        return None
    return float(numpy.quantile(data, q))


def median(values: Iterable[float]) -> float | None:
    """The median of `values` (the 0.5 quantile); None when there are none."""
    return quantile(values, 0.5)


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean of `values`; None when there are none."""
    data = list(values)
    return sum(data) / len(data) if data else None


@overload
def rounded(value: float, places: int = 2) -> float: ...
@overload
def rounded(value: None, places: int = 2) -> None: ...
def rounded(value: float | None, places: int = 2) -> float | None:
    """`value` rounded for people to read (never "-0.0"); None stays None."""
    if value is None:
        return None
    return round(value, places) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0


def working_days_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """The days from `start` to `end` that fall on the calendar's working days: each local
    day's overlap with [start, end], in `start`'s UTC offset, over 24 hours. Every day
    counts on a plain calendar; a business calendar skips weekends and its holidays.
    Negative when `end` comes before `start`."""
    if end < start:
        return -working_days_between(end, start, calendar)
    offset = start.utcoffset()
    zone = timezone(offset) if offset is not None else None  # a naive pair stays naive
    start = start.astimezone(zone) if zone else start
    end = end.astimezone(zone) if zone else end
    if not calendar.business:
        return (end - start).total_seconds() / DAY
    seconds = 0.0
    day = start.date()
    while day <= end.date():
        if calendar.is_business_day(day):
            day_start = datetime.combine(day, time(), zone)
            overlap = min(end, day_start + ONE_DAY) - max(start, day_start)
            seconds += max(overlap.total_seconds(), 0.0)
        day += ONE_DAY
    return seconds / DAY
