"""People: who can be assigned work, and when and where they can be reached; and the
one rule that every person a project names is a known person."""

import difflib
from collections.abc import Collection, Mapping
from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baton.bounds import ID_MAX, NAME_MAX, PersonId, PlanDate, bounded_text
from baton.contract import Command, ProjectTemplate, ReassignStep
from baton.errors import Invalid, Problem
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


# ---------------------------------------------------------------- who is known

# How to make someone known, when no known id is close to the one given.
DIRECTORY = "the people file and import it (`baton people import FILE`)"


def named_people(template: ProjectTemplate) -> dict[str, str]:
    """Everyone a project (a start, a schedule's spec, a scenario) names, by the field
    that names them: `{"assignments.writer": "alice", ..., "project_manager": "pat"}`."""
    named = {f"assignments.{role}": person for role, person in template.assignments.items()}
    return named | {"project_manager": template.project_manager}


def named_by(command: Command) -> dict[str, str]:
    """Who an action brings into a project, by field: a reassignment's `to`."""
    return {"to": command.to} if isinstance(command, ReassignStep) else {}


def unknown_people(
    named: Mapping[str, str], known: Collection[str], add_to: str = DIRECTORY
) -> list[Problem]:
    """The people in `named` (field -> person id, as `named_people` and `named_by`
    give) that are not in `known`, one problem each naming its field:
    `unknown person 'samm' for role 'strategist'; did you mean 'sam'?`. When no known
    id is close, the message says to add them to `add_to` instead."""
    return [
        Problem(field=field, message=unknown_person(person_id, field, known, add_to))
        for field, person_id in named.items()
        if person_id not in known
    ]


def check_known(named: Mapping[str, str], known: Collection[str], add_to: str = DIRECTORY) -> None:
    """`unknown_people` as an `Invalid` (one line per problem, naming each field)."""
    problems = unknown_people(named, known, add_to)
    if problems:
        lines = [p.message for p in problems]
        hint = f"; add them to {add_to}"
        if sum(line.endswith(hint) for line in lines) > 1:  # say how to fix it once
            lines = [line.removesuffix(hint) for line in lines] + [f"add them to {add_to}"]
        raise Invalid("\n".join(lines), problems=problems)


def unknown_person(
    person_id: str, field: str, known: Collection[str], add_to: str = DIRECTORY
) -> str:
    close = closest(person_id, known)
    hint = f"did you mean '{close}'?" if close else f"add them to {add_to}"
    return f"unknown person '{person_id}' {_named_as(field)}; {hint}"


def closest(person_id: str, known: Collection[str]) -> str | None:
    """The known id most like `person_id` (a typo's fix), if any is close."""
    close = difflib.get_close_matches(person_id, sorted(known), n=1)
    return close[0] if close else None


def _named_as(field: str) -> str:
    if field.startswith("assignments."):
        return f"for role '{field.removeprefix('assignments.')}'"
    if field == "project_manager":
        return "for project manager"
    if field == "to":
        return "to reassign to"
    return f"for {field}"
