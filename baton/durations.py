"""The duration and offset notation used in playbooks: "48h", "2d", "-30d"."""

import re
from datetime import timedelta

from baton.errors import Invalid

_DURATION = re.compile(r"^(\d+)\s*(m|h|d|w)$")
_OFFSET = re.compile(r"^([+-]?\d+)\s*d$")
MAX_DURATION = timedelta(days=365)
MAX_OFFSET_DAYS = 3650
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class DurationError(Invalid):
    """A duration or offset that cannot be read; the message says how to write it."""


def parse_duration(text: str | int) -> timedelta:
    """A positive length of time: "30m", "4h", "2d", "1w"."""
    match = _DURATION.match(str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise DurationError(
            f"{text!r} is not a duration; write a whole number above zero and a unit, "
            "like 30m, 4h, 2d or 1w"
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]  # checked before any timedelta
    if seconds > MAX_DURATION.total_seconds():
        raise DurationError(f"{text!r} is longer than a year; durations are at most 365d")
    return timedelta(seconds=seconds)


def parse_offset(text: str | int) -> int:
    """A due offset in days from the launch date: "-30d", "0d", "+2d"."""
    match = _OFFSET.match(str(text).strip())
    if not match:
        raise DurationError(
            f"{text!r} is not a due offset; write whole days from the launch date, "
            "like -30d, 0d or +2d"
        )
    days = int(match.group(1))
    if abs(days) > MAX_OFFSET_DAYS:
        raise DurationError(
            f"{text!r} is more than {MAX_OFFSET_DAYS} days from the launch date; "
            "a due offset is at most ten years either way"
        )
    return days


def format_duration(value: timedelta) -> str:
    """How a person reads a duration: hours up to three days ("48h"), then days."""
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0 and seconds > 3 * 86400:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"
