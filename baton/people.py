"""People: who can be assigned work, and when and where they can be reached."""

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baton.bounds import ID_MAX, NAME_MAX, PersonId, PlanDate, bounded_text
from baton.errors import Invalid
from baton.schedule import TimeZoneName, WorkingHours, parse_days, parse_hours


class TimeOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: PlanDate
    end: PlanDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise Invalid(f"time off ends ({self.end}) before it starts ({self.start})")
        return self


class Person(BaseModel):
    """A member of the team. Anyone not known is reachable in UTC, Mon-Fri 09:00-17:00."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: PersonId
    name: bounded_text(NAME_MAX) = ""
    email: bounded_text(254) | None = None
    slack_id: bounded_text(ID_MAX) | None = None
    timezone: TimeZoneName = "UTC"
    working_hours: str = Field(default="09:00-17:00", max_length=40)
    working_days: str = Field(default="mon-fri", max_length=60)
    manager: PersonId | None = None
    backup: PersonId | None = None
    time_off: list[TimeOff] = Field(default=[], max_length=200)

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
