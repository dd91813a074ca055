"""The contract of DESIGN.md section 3, in code: the names every way in relies on (the
workflow type, the default task queue, workflow ids, search attribute names), the start
input, the six action messages, what an action answers, and the `status` view.

Every way in (CLI, API, dashboard, one-click links, the Temporal UI, schedules,
simulate) sends exactly these payloads and reads exactly these answers. Names only: no
Temporal SDK objects here (`workflows/` builds its search attribute keys from them)."""

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from baton.bounds import (
    ID_MAX,
    InputValue,
    Key,
    Link,
    Name,
    PersonId,
    PlanDate,
    PlaybookId,
    Slug,
    StepId,
    Text,
    Version,
)
from baton.schedule import TimeZoneName

WORKFLOW_TYPE = "MarketingProject"
TASK_QUEUE = "baton"  # the default; BATON_TASK_QUEUE changes it
PROJECT_PREFIX = "project-"

# Search attributes: name -> Temporal's indexed value type.
SEARCH_PLAYBOOK = "BatonPlaybook"
SEARCH_STATE = "BatonState"
SEARCH_OWNERS = "BatonOwners"  # the people active steps wait on
SEARCH_NEXT_DUE = "BatonNextDue"
SEARCH_OVERDUE = "BatonOverdue"
SEARCH_ATTRIBUTES = {
    SEARCH_PLAYBOOK: "Keyword",
    SEARCH_STATE: "Keyword",
    SEARCH_OWNERS: "KeywordList",
    SEARCH_NEXT_DUE: "Datetime",
    SEARCH_OVERDUE: "Bool",
}

StepKind = Literal["task", "approval", "decision"]
StepState = Literal["waiting", "active", "done", "skipped", "cancelled"]
ProjectState = Literal["active", "completed", "cancelled"]


def slugify(name: str) -> str:
    """ "Spring launch: post #1" -> "spring-launch-post-1"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")


def workflow_id_for(slug: str) -> str:
    """ "spring-post" -> "project-spring-post"."""
    return f"{PROJECT_PREFIX}{slug}"


def workflow_id_of(reference: str) -> str:
    """The project a person names (CLI, API): its workflow id as it is, or its slug."""
    return reference if reference.startswith(PROJECT_PREFIX) else workflow_id_for(reference)


# ---------------------------------------------------------------------------- messages


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectTemplate(_Message):
    """Who runs which playbook, and how: what a start input, a recurring project's spec
    and a simulation's scenario have in common."""

    playbook: PlaybookId
    playbook_version: Version | None = None
    name: Name
    slug: Slug | None = None
    timezone: TimeZoneName = "UTC"
    assignments: dict[Key, PersonId] = Field(default={}, max_length=ID_MAX)
    project_manager: PersonId
    inputs: dict[Key, InputValue] = Field(default={}, max_length=ID_MAX)

    @property
    def project_slug(self) -> str:
        return self.slug or slugify(self.name) or "project"


class StartProject(ProjectTemplate):
    """The contract's start input (DESIGN.md section 3): `{playbook, playbook_version?,
    name, slug?, launch_date?, start_date?, timezone?, assignments, project_manager,
    inputs?}`."""

    launch_date: PlanDate | None = None
    start_date: PlanDate | None = None
    # Who started it: set by the way in that knows (the API from the token); absent
    # when started straight in Temporal. An addition to DESIGN's input: optional.
    started_by: PersonId | None = None
    # A launch that leaves steps due in the past: `compress` spreads the remaining dues
    # between now and the launch; `allow_late` starts anyway (the ways in refuse otherwise).
    compress: bool = False
    allow_late: bool = False

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.project_slug)


class CompleteStep(_Message):
    action: Literal["complete_step"] = "complete_step"
    step_id: StepId
    actor: PersonId
    note: Text | None = None
    link: Link | None = None


class ReviewStep(_Message):
    action: Literal["review_step"] = "review_step"
    step_id: StepId
    actor: PersonId
    approve: bool
    comment: Text | None = Field(default=None, validate_default=True)

    @field_validator("comment")
    @classmethod
    def _reject_with_reason(cls, comment: str | None, info: ValidationInfo) -> str | None:
        # A bare "rejected" can't be acted on: the rework notice carries this reason.
        if info.data.get("approve") is False and not (comment or "").strip():
            raise ValueError("a rejection needs a reason: say in the comment what to change")
        return comment


class ChooseOption(_Message):
    action: Literal["choose_option"] = "choose_option"
    step_id: StepId
    actor: PersonId
    option: Name


class ReassignStep(_Message):
    action: Literal["reassign_step"] = "reassign_step"
    step_id: StepId
    actor: PersonId
    to: PersonId


class Reschedule(_Message):
    action: Literal["reschedule"] = "reschedule"
    actor: PersonId
    launch_date: PlanDate
    # As at the start: a launch that leaves unfinished steps due in the past is refused
    # unless one of these says what to do.
    compress: bool = False
    allow_late: bool = False


class CancelProject(_Message):
    action: Literal["cancel_project"] = "cancel_project"
    actor: PersonId
    reason: Annotated[Text, Field(min_length=1)]


Command = CompleteStep | ReviewStep | ChooseOption | ReassignStep | Reschedule | CancelProject
COMMANDS: dict[str, type[Command]] = {
    cls.model_fields["action"].default: cls
    for cls in (CompleteStep, ReviewStep, ChooseOption, ReassignStep, Reschedule, CancelProject)
}


class RunOptions(BaseModel):
    """How one run is carried out, not what the project is (the workflow's third
    argument; absent from a start by the contract's input alone)."""

    # A simulation runs the project on a shifted clock (at most a century either way).
    clock_offset_seconds: float = Field(default=0, ge=-(100 * 365 * 86400), le=100 * 365 * 86400)
    # Continue-as-new past this many events (0: when the SDK says).
    history_limit: int = Field(default=0, ge=0, le=1_000_000)


# ---------------------------------------------------------------------------- the status view

EntryType = Literal[
    "assigned",
    "review_requested",
    "reminder",
    "follow_up",
    "escalated",
    "rework",
    "completed",
    "approved",
    "rejected",
    "chosen",
    "skipped",
    "reassigned",
    "rescheduled",
    "refused",
    "project_completed",
    "project_cancelled",
    "cancelled",  # the message telling someone the project was cancelled
    "at_risk",  # the forecast fell below the playbook's risk_alert: the PM is warned
    "summary",
]
AlertKind = Literal["reminder", "follow_up", "escalated"]


class LogEntry(BaseModel):
    """One thing that happened, or one message to a person (then `recipient` is set)."""

    at: datetime
    type: EntryType
    step_id: str | None = None
    recipient: str | None = None
    actor: str | None = None
    detail: str | None = None
    revision: int | None = None


class Review(BaseModel):
    actor: str
    approve: bool
    comment: str | None = None
    at: datetime


class Note(BaseModel):
    actor: str
    at: datetime
    text: str | None = None
    link: str | None = None


class Alert(BaseModel):
    """A planned reminder, follow-up or escalation: sent at `at` (shifted into the
    recipient's working hours) for the rule's own instant `nominal`."""

    at: datetime
    nominal: datetime
    kind: AlertKind
    recipient: str
    detail: str


class StepStatus(BaseModel):
    id: str
    name: str
    kind: StepKind
    state: StepState = "waiting"
    owners: list[str]
    due: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    overdue: bool = False
    revision: int = 1
    reminders_sent: int = 0
    follow_ups_sent: int = 0
    escalations_sent: int = 0
    required_approvals: int | None = None
    approvals: list[Review] = []
    options: list[str] = []
    option: str | None = None
    notes: list[Note] = []
    skipped_reason: str | None = None
    after: list[str] = []
    pending_alerts: list[Alert] = []
    rework_comment: str | None = None  # set while a rework notice waits to go out
    rework_by: str | None = None  # who sent it back (named in the rework notice)
    # A conditional step: its condition as people read it ("if 'channel' is video"), and,
    # once that is decided false, why it won't run ("organic chosen").
    condition: str | None = None
    wont_run: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "skipped", "cancelled")

    def pending_approvers(self) -> list[str]:
        reviewed = {review.actor for review in self.approvals}
        return [person for person in self.owners if person not in reviewed]

    @property
    def waiting_on(self) -> list[str]:
        """Who must act for this step to move: the approvers yet to review an approval,
        the owners of any other step."""
        return self.pending_approvers() if self.kind == "approval" else list(self.owners)


class ProjectStatus(BaseModel):
    """What the `status` query returns: the whole project as people see it."""

    workflow_id: str
    slug: str
    name: str
    playbook: str
    playbook_name: str
    playbook_version: int | None = None
    launch: str = "launch date"
    launch_date: date | None = None
    timezone: str = "UTC"
    project_manager: str
    assignments: dict[str, str] = {}
    inputs: dict[str, Any] = {}
    state: ProjectState = "active"
    started_at: datetime
    finished_at: datetime | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None
    started_by: str | None = None
    steps: list[StepStatus]
    log: list[LogEntry] = []
    transition: int = 0
    next_wake_at: datetime | None = None
    # The latest forecast (after the last transition's effects): the chance of finishing
    # by the launch, and the median projected finish. None until the first one arrives.
    p_on_time: float | None = None
    projected_finish: datetime | None = None

    def step(self, step_id: str) -> StepStatus:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def find_step(self, step_id: str) -> StepStatus | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def sent_back(self, step: StepStatus) -> LogEntry | None:
        """The rework notice of the step's current round, when a rejection sent it back
        (its actor: the reviewer; its detail: the reason)."""
        return next(
            (
                entry
                for entry in reversed(self.log)
                if entry.type == "rework"
                and entry.step_id == step.id
                and entry.revision == step.revision
            ),
            None,
        )

    @property
    def overdue(self) -> bool:
        return any(s.overdue and s.state == "active" for s in self.steps)

    def as_of(self, now: datetime) -> "ProjectStatus":
        """The status as a reader sees it at `now`: an active step past its due is
        overdue though the workflow has not woken since (a due instant sends nothing,
        so nothing wakes for it)."""
        late = [s.id for s in self.steps if s.state == "active" and s.due and s.due <= now]
        if all(self.step(step_id).overdue for step_id in late):
            return self
        steps = [s.model_copy(update={"overdue": True}) if s.id in late else s for s in self.steps]
        return self.model_copy(update={"steps": steps})

    @property
    def active_owners(self) -> list[str]:
        """Everyone an active step waits on, once each (the `BatonOwners` attribute)."""
        owners: list[str] = []
        for step in self.steps:
            if step.state == "active":
                owners.extend(o for o in step.waiting_on if o not in owners)
        return owners

    @property
    def next_due(self) -> datetime | None:
        dues = [s.due for s in self.steps if s.state == "active" and s.due]
        return min(dues, default=None)


class ActionResult(BaseModel):
    """What an accepted action (an update) answers: what it did, for the person who
    took it, the project's state and the log entries it produced."""

    message: str
    state: str
    entries: list[LogEntry]
