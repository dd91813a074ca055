"""The bounds every input has, as pydantic types: ids by pattern and length, free text of a
stated size without control characters or bidi overrides, dates in a window the date
math can always handle, numbers in range. Every way in validates with these types, and
the workflow's validators with the same models, so nothing a validator accepts can fail
a project later (a NUL that PostgreSQL refuses, a date that overflows, a note too large
for Temporal's payloads)."""

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

TEXT_MAX = 10_000  # a note, a comment, a reason
NAME_MAX = 200  # a project's name, an option
ID_MAX = 64
INT_MAX = 2**31 - 1  # what PostgreSQL's integer holds

# Dates the date math can always handle: far from the year 1 and 9999, where offsets,
# business days and time zones would overflow. The window relative to today (a launch
# at most LAUNCH_YEARS_AHEAD years ahead) is checked by the rules that know today.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
LAUNCH_YEARS_AHEAD = 5

PERSON_ID = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
STEP_ID = r"^[a-z0-9][a-z0-9_-]*$"  # also playbook ids
KEY = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # role and input names
SLUG = r"^[a-z0-9][a-z0-9-]*$"

_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def clean_text(value: str) -> str:
    """Refuse NUL and other control characters (bar newline and tab) and bidi overrides:
    PostgreSQL refuses NUL, and overrides make text read differently from what it is."""
    for index, char in enumerate(value):
        if char in "\n\t":
            continue
        if char in _BIDI:
            raise ValueError(
                f"contains a bidirectional override (U+{ord(char):04X}) at character "
                f"{index + 1}; remove it"
            )
        if unicodedata.category(char) == "Cs":  # half a character: not text at all
            raise ValueError(
                f"contains a broken character (U+{ord(char):04X}) at character {index + 1}"
            )
        if unicodedata.category(char) == "Cc":
            raise ValueError(
                f"contains a control character (U+{ord(char):04X}) at character {index + 1}; "
                "only newlines and tabs are allowed"
            )
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be on one line")
    return value


def _in_window(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value} is outside the dates Baton plans for ({EARLIEST} to {LATEST})")
    return value


def _instant_in_window(value: datetime) -> datetime:
    """In UTC (a naive instant is read as UTC), within the dates Baton plans for."""
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise ValueError(f"{value:%Y-%m-%d} is outside the dates Baton plans for")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_value(value: Any) -> Any:
    """A playbook input's value: a short scalar (text, number, yes/no) or nothing."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("is too large a number")
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("is not a finite number")
        return value
    if isinstance(value, str):
        if len(value) > NAME_MAX:
            raise ValueError(f"is longer than {NAME_MAX} characters")
        return clean_text(value)
    raise ValueError("must be text, a number, true or false")


def bounded_text(max_length: int) -> Any:
    return Annotated[str, Field(max_length=max_length), AfterValidator(clean_text)]


Text = bounded_text(TEXT_MAX)
"""A note, a comment, a reason: at most 10,000 characters, newlines and tabs allowed."""
Name = Annotated[
    str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(clean_text),
    AfterValidator(_one_line),
]  # fmt: skip
"""A project's name, an option: one line of at most 200 characters."""
PersonId = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=PERSON_ID)]
StepId = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=STEP_ID)]
PlaybookId = StepId
Key = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=KEY)]
Slug = Annotated[str, Field(min_length=1, max_length=60, pattern=SLUG)]
Link = Annotated[
    str, Field(max_length=2_000, pattern=r"^https?://[^\s<>\"']+$"), AfterValidator(clean_text)
]
"""An http(s) address to the work, without spaces or quotes."""
PlanDate = Annotated[date, AfterValidator(_in_window)]
PlanInstant = Annotated[datetime, AfterValidator(_instant_in_window)]
Version = Annotated[int, Field(ge=1, le=INT_MAX)]
InputValue = Annotated[Any, BeforeValidator(_json_value)]


def is_id(value: str, pattern: str) -> bool:
    """Whether `value` could be an id of that pattern (a person's, a step's...)."""
    return len(value) <= ID_MAX and re.fullmatch(pattern, value) is not None


def readable(pattern: str) -> str:
    """What a pattern allows, in words, for messages."""
    return {
        PERSON_ID: "letters, digits and . _ @ -, starting with a letter or digit",
        STEP_ID: "lowercase letters, digits, _ and -, starting with a letter or digit",
        KEY: "letters, digits and _ . -, starting with a letter or digit",
        SLUG: "lowercase letters, digits and -, starting with a letter or digit",
    }.get(pattern, re.sub(r"[\^$]", "", pattern))
