"""Messages people read: one Jinja2 template set per notification kind, HTML and text.

Every message answers the same questions, whatever the kind: what to do, by when in the
recipient's own time zone, which project and launch date, who comes before and after,
and how to act (the exact CLI line and, when the caller signed one, a one-click link).
HTML templates are autoescaped and the playbook's markdown instructions go through
`baton.notify.markdown`, so a name, note or comment holding markup shows as text.

Its callers build a `MessageContext` from a transition and one of its log entries
(`activities.messages.compose`, inside the `apply_effects` activity) or from a failed
delivery (`workers.sender`); this module does no I/O beyond reading its templates.
"""

import re
import shlex
from datetime import date, datetime
from functools import cache, partial
from typing import Any, Literal, get_args

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from baton.notify.markdown import render_markdown
from baton.people import Person
from baton.wording import action_command, when

NotificationKind = Literal[
    "assigned",
    "review_requested",
    "reminder",
    "follow_up",
    "escalated",
    "rework",
    "reassigned",
    "rescheduled",
    "summary",
    "cancelled",
    "at_risk",
    "delivery_failure",
    "effect_failed",
]
KINDS: tuple[str, ...] = get_args(NotificationKind)
# Kinds that are about one step and make no sense without it.
STEP_KINDS = frozenset(
    {"assigned", "review_requested", "reminder", "follow_up", "escalated", "rework", "reassigned"}
)
# Kinds that ask the recipient to do the step's work.
_WORK_KINDS = frozenset({"assigned", "review_requested", "reminder", "follow_up", "rework"})


class PersonRef(BaseModel):
    """Someone mentioned in a message: an id (for CLI lines) and a name (for people)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_id_or_person(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"id": value}
        if isinstance(value, Person):
            return {"id": value.id, "name": value.name}
        return value

    @property
    def display_name(self) -> str:
        return self.name or self.id


class StepInfo(BaseModel):
    """The step a message is about, as the recipient needs it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    kind: Literal["task", "approval", "decision"] = "task"
    due: datetime | None = None
    revision: int = 1
    owners: list[PersonRef] = []
    options: list[str] = []

    @field_validator("due")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a step's due instant must be timezone-aware")
        return value


class Neighbour(BaseModel):
    """A step before or after the recipient's: its name, owners, and what they left."""

    model_config = ConfigDict(extra="forbid")

    name: str
    owners: list[PersonRef] = []
    state: str | None = None
    note: str | None = None
    link: str | None = None


class MessageContext(BaseModel):
    """Everything a message says; built from the project status and one log entry."""

    model_config = ConfigDict(extra="forbid")

    kind: NotificationKind
    recipient: Person
    project_name: str
    workflow_id: str
    playbook_name: str
    launch: str = "launch date"
    launch_date: date | None = None
    project_manager: PersonRef | None = None
    step: StepInfo | None = None
    before: list[Neighbour] = []
    after: list[Neighbour] = []
    detail: str | None = None
    actor: PersonRef | None = None
    instructions: str = ""
    cli_command: str | None = None
    action_url: str | None = None
    approve_url: str | None = None
    reject_url: str | None = None
    status_url: str | None = None
    failed_recipient: PersonRef | None = None

    @field_validator("action_url", "approve_url", "reject_url", "status_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        """Only http(s) addresses become buttons: a javascript: URL would run on click."""
        if value is not None and _web_link(value) is None:
            raise ValueError(f"not an http(s) address without spaces or quotes: {value!r}")
        return value

    @model_validator(mode="after")
    def _step_when_needed(self) -> "MessageContext":
        if self.kind in STEP_KINDS and self.step is None:
            raise ValueError(f"a '{self.kind}' message needs the step it is about")
        return self


class Link(BaseModel):
    """A button: Slack shows it as one, email as a link."""

    label: str
    url: str
    style: Literal["primary", "danger"] | None = None


class Command(BaseModel):
    label: str
    command: str


class Rendered(BaseModel):
    subject: str
    text: str
    html: str
    links: list[Link] = []


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("baton.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["names"] = _names
    env.filters["markdown"] = render_markdown
    env.filters["web_link"] = _web_link
    return env


def _names(people: list[PersonRef]) -> str:
    return ", ".join(p.display_name for p in people) or "nobody yet"


def _web_link(url: str | None) -> str | None:
    """A link someone left in a note, only if it is http(s): it may become an href."""
    if url and re.match(r"^https?://[^\s\"'<>]+$", url):
        return url
    return None


def _quote(value: str) -> str:
    return shlex.quote(value)


def suggested_commands(context: MessageContext) -> list[Command]:
    """The CLI lines that act on this message; `cli_command`, when given, comes first."""
    slug = _quote(context.workflow_id.removeprefix("project-"))
    me = _quote(context.recipient.id)
    step = context.step
    commands: list[Command] = []
    if step is not None and context.kind in _WORK_KINDS:
        act = partial(action_command, workflow_id=context.workflow_id, step_id=step.id)
        if step.kind == "approval":
            commands = [
                Command(label="Approve", command=act("approve", person=context.recipient.id)),
                Command(label="Reject", command=act("reject", person=context.recipient.id)),
            ]
        elif step.kind == "decision":
            option = "|".join(step.options) if step.options else "OPTION"
            choose = act("choose", person=context.recipient.id, option=option)
            commands = [Command(label="Choose", command=choose)]
        else:
            done = act("complete", person=context.recipient.id)
            commands = [Command(label="Mark done", command=done)]
    elif step is not None and context.kind == "escalated":
        sid = _quote(step.id)
        commands = [
            Command(label="See the project", command=f"baton status {slug}"),
            Command(
                label="Hand the step over",
                command=f"baton reassign {slug} {sid} --to PERSON --as {me}",
            ),
            Command(
                label="Move the launch",
                command=f"baton reschedule {slug} --launch YYYY-MM-DD --as {me}",
            ),
        ]
    else:
        commands = [Command(label="See the project", command=f"baton status {slug}")]
    if context.cli_command:
        given = Command(label=commands[0].label, command=context.cli_command)
        commands = [given, *[c for c in commands[1:] if c.command != context.cli_command]]
    return commands


def _links(context: MessageContext) -> list[Link]:
    links: list[Link] = []
    if context.approve_url:
        links.append(Link(label="Approve", url=context.approve_url, style="primary"))
    if context.reject_url:
        links.append(Link(label="Reject", url=context.reject_url, style="danger"))
    if context.action_url:
        step = context.step
        if step is not None and context.kind in _WORK_KINDS and not links:
            label = {"task": "Mark as done", "approval": "Review", "decision": "Choose"}[step.kind]
            links.append(Link(label=label, url=context.action_url, style="primary"))
        else:
            links.append(Link(label="Open in Baton", url=context.action_url))
    if context.status_url and context.status_url != context.action_url:
        links.append(Link(label="Project status", url=context.status_url))
    return links


def _todo(step: StepInfo) -> str:
    """What the owner of `step` is asked to do, in words."""
    if step.kind == "approval":
        return f"Review '{step.name}': approve it, or reject it with a comment"
    if step.kind == "decision":
        options = ", ".join(step.options) if step.options else "the options"
        return f"Decide '{step.name}': choose one of {options}"
    return f"Do '{step.name}' and mark it done"


def _view(context: MessageContext) -> dict[str, Any]:
    tz = context.recipient.timezone
    step = context.step
    due = when(step.due, tz) if step and step.due else None
    return {
        "c": context,
        "tz": tz,
        "me": context.recipient.display_name,
        "step": step,
        "due": due,
        "by_when": f"by {due}" if due else "(no fixed due date)",
        "todo": _todo(step) if step else None,
        "show_instructions": bool(step and context.instructions and context.kind in _WORK_KINDS),
        "launch_day": f"{context.launch_date:%a %Y-%m-%d}" if context.launch_date else None,
        "pm": context.project_manager.display_name if context.project_manager else None,
        "actor": context.actor.display_name if context.actor else None,
        "commands": suggested_commands(context),
        "links": _links(context),
    }


def render(context: MessageContext) -> Rendered:
    """Subject, text and HTML of one message."""
    env = _environment()
    view = _view(context)
    subject = " ".join(env.get_template(f"{context.kind}.subject.txt").render(view).split())
    view["subject"] = subject
    return Rendered(
        subject=subject,
        text=env.get_template(f"{context.kind}.txt").render(view),
        html=env.get_template(f"{context.kind}.html").render(view),
        links=view["links"],
    )
