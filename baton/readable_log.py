"""A project's log as people read it: one line per thing that happened, with the people
it told, and people and steps by name.

The workflow logs an event (a reschedule, a cancellation) and then one message per
person it told; `group_log` folds those messages into their event's line ("told Sam,
Alice"), and messages sent to several people at once (a review requested of two
approvers, a reminder) into one line. `describe_line` words a line. Pure: the names come
in as maps."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from baton.contract import LogEntry
from baton.plan import COMPRESSED

# An event whose messages are of another type: the project's cancellation tells each
# person with a "cancelled" message.
_MESSAGES_OF = {"project_cancelled": "cancelled"}
_HANDOVER = re.compile(r"^(\S+) -> (\S+)(.*)$")


@dataclass
class LogLine:
    """One line of the log: a thing that happened (`event`) and whom it told, or a
    message sent to `told` at once."""

    at: datetime
    type: str
    step_id: str | None
    actor: str | None
    detail: str | None
    revision: int | None
    event: bool
    told: list[str] = field(default_factory=list)


def group_log(entries: Sequence[LogEntry]) -> list[LogLine]:
    """The entries (oldest first) as lines: each message joins the line of the same
    instant it belongs to (the same message to others, else the event that sent it)."""
    lines: list[LogLine] = []
    for entry in entries:
        line = _line_of(lines, entry) if entry.recipient else None
        if line is None:
            lines.append(_new_line(entry))
        elif entry.recipient not in line.told:
            line.told.append(entry.recipient)
    return lines


def _new_line(entry: LogEntry) -> LogLine:
    return LogLine(
        at=entry.at,
        type=entry.type,
        step_id=entry.step_id,
        actor=entry.actor,
        detail=entry.detail,
        revision=entry.revision,
        event=entry.recipient is None,
        told=[entry.recipient] if entry.recipient else [],
    )


def _line_of(lines: list[LogLine], message: LogEntry) -> LogLine | None:
    """The line a message joins: one of the same instant saying the same (its event, or
    the same message to someone else), else that instant's first event of its kind."""
    sender = None
    for line in reversed(lines):
        if line.at != message.at:
            break
        if line.actor != message.actor:
            continue
        if (line.type, line.step_id, line.detail) == (
            message.type,
            message.step_id,
            message.detail,
        ):
            return line
        sends = _MESSAGES_OF.get(line.type, line.type) == message.type
        if line.event and sends and line.step_id in (None, message.step_id):
            sender = line  # the earliest such event wins: keep looking back
    return sender


def describe_line(
    line: LogLine,
    names: Mapping[str, str],
    steps: Mapping[str, str],
    launch: str = "launch date",
) -> str:
    """One line in words, people and steps by name: "Pat PM moved the publish date from
    2026-05-01 to 2026-06-01; told Sam Strategist and Alice Writer"."""
    words = _Words(line, names, steps, launch)
    text = words.event() if line.event else words.message()
    if line.event and line.told:
        text += f"; told {words.people}"
    return text[:1].upper() + text[1:]


@dataclass
class _Words:
    line: LogLine
    names: Mapping[str, str]
    steps: Mapping[str, str]
    launch: str

    def who(self, person: str | None) -> str:
        return self.names.get(person, person) if person else "Baton"

    @property
    def actor(self) -> str:
        return self.who(self.line.actor)

    @property
    def step(self) -> str:
        step_id = self.line.step_id
        return f"'{self.steps.get(step_id, step_id)}'" if step_id else "the project"

    @property
    def people(self) -> str:
        return and_list([self.who(person) for person in self.line.told])

    def because(self, joiner: str = ": ") -> str:
        return f"{joiner}{self.line.detail}" if self.line.detail else ""

    def event(self) -> str:
        kind, actor, step = self.line.type, self.actor, self.step
        said = {
            "completed": f"{actor} completed {step}{self.because()}",
            "approved": f"{actor} approved {step}{self.because()}",
            "rejected": f"{actor} rejected {step}{self.because()}",
            "chosen": f"{actor} chose {self.line.detail} for {step}",
            "skipped": f"{step} was skipped{self.because()}",
            "project_completed": "the project was completed",
            "project_cancelled": f"{actor} cancelled the project{self.because()}",
            "at_risk": f"at risk{self.because()}",
        }
        if kind in said:
            return said[kind]
        if kind == "reassigned":
            return self.handover()
        if kind == "rescheduled":
            return self.rescheduled()
        if kind == "refused":
            whose = f"{actor}'s action on {step}" if self.line.actor else "a message"
            return f"Baton refused {whose}{self.because()}"
        return f"{kind.replace('_', ' ')} {step}{self.aside()}"

    def aside(self) -> str:
        return f" ({self.line.detail})" if self.line.detail else ""

    def handover(self) -> str:
        found = _HANDOVER.match(self.line.detail or "")
        if not found:
            return f"{self.step} was handed over{self.aside()}"
        old, new, rest = found.groups()
        by = f"{self.actor} handed" if self.line.actor else "Baton handed"
        return f"{by} {self.step} over from {self.who(old)} to {self.who(new)}{rest}"

    def rescheduled(self) -> str:
        detail = self.line.detail or ""
        if detail.startswith(COMPRESSED):
            return f"{self.actor} compressed the plan{detail.removeprefix(COMPRESSED)}"
        before, _, after = detail.partition(" -> ")
        if not after:
            return f"{self.actor} moved the {self.launch}{self.because(' to ')}"
        if before in ("", "None"):
            return f"{self.actor} set the {self.launch} to {after}"
        return f"{self.actor} moved the {self.launch} from {before} to {after}"

    def message(self) -> str:
        kind, step, people = self.line.type, self.step, self.people
        by = f" by {self.actor}" if self.line.actor else ""
        round_ = f" (round {self.line.revision})" if self.line.revision else ""
        said = {
            "assigned": f"{step} assigned to {people}{by}",
            "review_requested": f"review of {step} requested from {people}{by}",
            "reminder": f"reminder about {step} sent to {people}{self.because(', ')}",
            "follow_up": f"follow-up about {step} sent to {people}{self.because(', ')}",
            "escalated": f"{step} escalated to {people}{self.because(', ')}",
            "rework": f"{self.actor} sent {step} back to {people}{round_}{self.because()}",
            "reassigned": f"{people} told {step} was handed over{self.because(' ')}",
            "rescheduled": f"{people} told the {self.launch} moved{self.because(' to ')}",
            "cancelled": f"{people} told the project was cancelled{self.because()}",
            "at_risk": f"{people} warned: at risk{self.because()}",
            "summary": f"summary sent to {people}{self.because()}",
        }
        return said.get(kind, f"{kind.replace('_', ' ')} {step} sent to {people}")


def and_list(items: Sequence[str]) -> str:
    """ "Sam", "Sam and Alice", "Sam, Alice and Dana"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
