"""People: who can be assigned work, and when and where they can be reached."""

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baton.errors import Invalid
from baton.schedule import TimeZoneName, WorkingHours, parse_days, parse_hours


class TimeOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise Invalid(f"time off ends ({self.end}) before it starts ({self.start})")
        return self


class Person(BaseModel):
    """A member of the team. Anyone not known is reachable in UTC, Mon-Fri 09:00-17:00."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    name: str = ""
    email: str | None = None
    slack_id: str | None = None
    timezone: TimeZoneName = "UTC"
    working_hours: str = "09:00-17:00"
    working_days: str = "mon-fri"
    manager: str | None = None
    backup: str | None = None
    time_off: list[TimeOff] = []

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def hours(self) -> WorkingHours:
        start, end = parse_hours(self.working_hours)
        return WorkingHours(
            timezone=self.timezone,
            start=start,
            end=end,
            days=parse_days(self.working_days),
            time_off=tuple((off.start, off.end) for off in self.time_off),
        )

    def is_away_on(self, day: date) -> bool:
        return any(off.start <= day <= off.end for off in self.time_off)
