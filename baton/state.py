"""The project state machine: the pure, deterministic core every project runs on.

`start_project` builds the first state; `apply` takes an action (complete, review,
choose, reassign, reschedule, cancel) and `advance` takes "the clock reached T". Each
returns a `Transition`: the new state and the log entries it produced. Entries with a
recipient are messages to deliver; the rest are things that happened. `next_wake` says
when the core next needs the clock. Nothing here does I/O or reads the clock, so the
Temporal workflow can replay it and hypothesis can hammer it.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from baton.commands import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
)
from baton.durations import format_duration
from baton.people import Person
from baton.playbook import Playbook, Step
from baton.schedule import (
    Calendar,
    due_instant,
    follow_up_instants,
    forward_due,
    reminder_instants,
    zone,
)

StepState = Literal["waiting", "active", "done", "skipped"]
ProjectState = Literal["active", "completed", "cancelled"]
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
    "summary",
]
AlertKind = Literal["reminder", "follow_up", "escalated"]
_ALERT_RANK = {"reminder": 0, "follow_up": 1, "escalated": 2}


class Refused(Exception):
    """An action the project does not accept, with the reason a person reads."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


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
    kind: Literal["task", "approval", "decision"]
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

    @property
    def finished(self) -> bool:
        return self.state in ("done", "skipped")

    def pending_approvers(self) -> list[str]:
        reviewed = {review.actor for review in self.approvals}
        return [person for person in self.owners if person not in reviewed]


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
    steps: list[StepStatus]
    log: list[LogEntry] = []
    transition: int = 0
    next_wake_at: datetime | None = None

    def step(self, step_id: str) -> StepStatus:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def overdue(self) -> bool:
        return any(s.overdue and s.state == "active" for s in self.steps)

    @property
    def active_owners(self) -> list[str]:
        owners: list[str] = []
        for step in self.steps:
            if step.state == "active":
                pending = step.pending_approvers() if step.kind == "approval" else step.owners
                owners.extend(o for o in pending if o not in owners)
        return owners

    @property
    def next_due(self) -> datetime | None:
        dues = [s.due for s in self.steps if s.state == "active" and s.due]
        return min(dues, default=None)


class Project(ProjectStatus):
    """The full state the workflow carries: the status plus what decisions need (the
    playbook version and the people, resolved once at the start)."""

    definition: Playbook
    people: dict[str, Person] = {}

    def status(self) -> ProjectStatus:
        return ProjectStatus.model_validate(self.model_dump(exclude={"definition", "people"}))

    def person(self, person_id: str) -> Person:
        return self.people.get(person_id) or Person(id=person_id)


class Transition(BaseModel):
    project: Project
    entries: list[LogEntry]


# ---------------------------------------------------------------------------- start


def resolve_launch_date(request: StartProject, playbook: Playbook) -> date | None:
    """The launch date deadlines count back from. A project given only a start date gets
    its launch placed so the earliest-due step has its estimate of time after the start."""
    if request.launch_date or not request.start_date:
        return request.launch_date
    dated = [s for s in playbook.steps if s.due is not None]
    if not dated:
        return None
    first = min(dated, key=lambda s: s.due or 0)
    calendar = _calendar(playbook)
    lead = (first.estimate or playbook.default_estimate) // timedelta(days=1)
    return calendar.add_days(calendar.add_days(request.start_date, max(lead, 1)), -(first.due or 0))


def check_start(request: StartProject, playbook: Playbook, today: date) -> None:
    """Refuse a start input that cannot make a project, saying what to fix."""
    if request.playbook != playbook.id:
        raise Refused(f"playbook '{request.playbook}' was asked for but '{playbook.id}' was given")
    missing = [role for role in playbook.roles if not request.assignments.get(role)]
    if missing:
        needed = ", ".join(f"{r} ({playbook.roles[r]})" for r in missing)
        raise Refused(f"assign someone to every role of '{playbook.id}'; missing: {needed}")
    unknown = sorted(set(request.assignments) - set(playbook.roles))
    if unknown:
        raise Refused(
            f"'{playbook.id}' has no role {', '.join(unknown)}; "
            f"roles are: {', '.join(playbook.roles)}"
        )
    if playbook.inputs:
        extra = sorted(set(request.inputs) - set(playbook.inputs))
        if extra:
            raise Refused(
                f"'{playbook.id}' takes no input {', '.join(extra)}; "
                f"inputs are: {', '.join(playbook.inputs)}"
            )
    if any(s.due is not None for s in playbook.steps) and not (
        request.launch_date or request.start_date
    ):
        raise Refused(f"give a launch date ({playbook.launch}) or a start date")
    launch = resolve_launch_date(request, playbook)
    if request.launch_date and launch and launch < today:
        raise Refused(f"the launch date {launch} is in the past (today is {today})")


def start_project(
    request: StartProject,
    playbook: Playbook,
    people: dict[str, Person],
    now: datetime,
    playbook_version: int | None = None,
) -> Transition:
    """The project's first state: first steps active, their owners told."""
    check_start(request, playbook, now.astimezone(zone(request.timezone)).date())
    inputs = {name: spec.default for name, spec in playbook.inputs.items()} | request.inputs
    steps = []
    for step in playbook.steps:
        owners = _unique(request.assignments[role] for role in step.roles)
        steps.append(
            StepStatus(
                id=step.id,
                name=step.name,
                kind=step.kind,
                owners=owners,
                options=list(step.options),
                after=step.depends_on,
                required_approvals=(
                    step.required_approvals(len(owners)) if step.kind == "approval" else None
                ),
            )
        )
    project = Project(
        workflow_id=request.workflow_id,
        slug=request.project_slug,
        name=request.name,
        playbook=playbook.id,
        playbook_name=playbook.name,
        playbook_version=playbook_version or request.playbook_version,
        launch=playbook.launch,
        launch_date=resolve_launch_date(request, playbook),
        timezone=request.timezone,
        project_manager=request.project_manager,
        assignments=dict(request.assignments),
        inputs=inputs,
        started_at=now,
        steps=steps,
        definition=playbook,
        people=people,
    )
    run = _Run(project, now)
    for step in run.project.steps:
        definition = playbook.step(step.id)
        if definition.due is not None and run.project.launch_date is not None:
            step.due = run.due_of(definition)
    run.settle()
    return run.finish()


# ---------------------------------------------------------------------------- actions


def check(project: Project, command: Command, now: datetime) -> None:
    """Raise `Refused` with the reason if `command` cannot be applied now."""
    _CHECKS[type(command)](project, command, now)


def apply(project: Project, command: Command, now: datetime) -> Transition:
    """Apply one action at `now` (after catching the clock up to it)."""
    check(project, command, now)
    run = _Run(project, now)
    run.catch_up()
    _APPLY[type(command)](run, command)
    run.settle()
    return run.finish()


def advance(project: Project, now: datetime) -> Transition:
    """The clock reached `now`: send what is due, mark what is late."""
    run = _Run(project, now)
    run.catch_up()
    return run.finish()


def refuse(project: Project, command: Command, reason: str, now: datetime) -> Transition:
    """Record an action that was refused (a signal cannot answer back, so the log does)."""
    run = _Run(project, now)
    run.catch_up()
    run.log(
        "refused", step_id=getattr(command, "step_id", None), actor=command.actor, detail=reason
    )
    return run.finish()


def next_wake(project: Project) -> datetime | None:
    """The earliest instant the core needs the clock: a planned alert, or a due instant
    that will turn a step overdue."""
    if project.state != "active":
        return None
    instants = []
    for step in project.steps:
        if step.state == "active":
            instants.extend(alert.at for alert in step.pending_alerts)
            if step.due and not step.overdue:
                instants.append(step.due)
    return min(instants, default=None)


def closed_reason(project: ProjectStatus) -> str | None:
    """Why a finished project refuses every action, or None while it is active."""
    if project.state == "active":
        return None
    return f"project '{project.name}' is already {project.state}; it accepts no actions"


def _check_open(project: Project) -> None:
    reason = closed_reason(project)
    if reason:
        raise Refused(reason)


def _check_step(project: Project, step_id: str, verb: str, kind: str | None = None) -> StepStatus:
    _check_open(project)
    try:
        step = project.step(step_id)
    except KeyError:
        known = ", ".join(s.id for s in project.steps)
        raise Refused(f"unknown step '{step_id}'; steps are: {known}") from None
    if kind and step.kind != kind:
        hint = {"task": "complete", "approval": "review", "decision": "choose"}[step.kind]
        raise Refused(f"'{step.id}' is {_article(step.kind)} step; {hint} it instead of {verb}")
    return step


def _check_active(project: Project, step: StepStatus) -> None:
    if step.state == "active":
        return
    if step.state == "waiting":
        blocking = [
            f"'{d}' ({', '.join(project.step(d).owners)})"
            for d in step.after
            if not project.step(d).finished
        ]
        waits = f": it waits for {', '.join(blocking)}" if blocking else ""
        raise Refused(f"step '{step.id}' is not active yet{waits}")
    raise Refused(f"step '{step.id}' is already {step.state}")


def _check_actor(project: Project, step: StepStatus, actor: str, verb: str) -> None:
    if actor in step.owners or actor == project.project_manager:
        return
    role = "approver" if step.kind == "approval" else "owner"
    allowed = " or ".join(step.owners)
    raise Refused(
        f"{actor} may not {verb} '{step.id}': only {allowed} ({role}) or "
        f"{project.project_manager} (project manager) may"
    )


def _check_complete(project: Project, command: CompleteStep, now: datetime) -> None:
    step = _check_step(project, command.step_id, "completing it", "task")
    _check_active(project, step)
    _check_actor(project, step, command.actor, "complete")


def _check_review(project: Project, command: ReviewStep, now: datetime) -> None:
    step = _check_step(project, command.step_id, "reviewing it", "approval")
    _check_active(project, step)
    _check_actor(project, step, command.actor, "review")
    if any(review.actor == command.actor for review in step.approvals):
        raise Refused(
            f"{command.actor} has already reviewed '{step.id}' in this round "
            f"(revision {step.revision})"
        )


def _check_choose(project: Project, command: ChooseOption, now: datetime) -> None:
    step = _check_step(project, command.step_id, "choosing an option", "decision")
    _check_active(project, step)
    _check_actor(project, step, command.actor, "choose for")
    if command.option not in step.options:
        raise Refused(
            f"'{command.option}' is not an option of '{step.id}'; options are: "
            f"{', '.join(step.options)}"
        )


def _check_reassign(project: Project, command: ReassignStep, now: datetime) -> None:
    step = _check_step(project, command.step_id, "reassigning it")
    if step.finished:
        raise Refused(f"step '{step.id}' is already {step.state}; there is nothing to hand over")
    _check_actor(project, step, command.actor, "reassign")
    if command.to in step.owners:
        raise Refused(f"'{step.id}' is already assigned to {command.to}")
    if step.kind == "approval" and any(r.actor == command.actor for r in step.approvals):
        raise Refused(f"{command.actor} has already reviewed '{step.id}'; nothing to hand over")
    if command.actor not in step.owners and len(step.owners) > 1:
        raise Refused(
            f"'{step.id}' has several approvers ({', '.join(step.owners)}); each of them "
            "hands over their own review"
        )


def _check_reschedule(project: Project, command: Reschedule, now: datetime) -> None:
    _check_open(project)
    if command.actor != project.project_manager:
        raise Refused(
            f"{command.actor} may not reschedule: only {project.project_manager} "
            "(project manager) may"
        )
    today = now.astimezone(zone(project.timezone)).date()
    if command.launch_date < today:
        raise Refused(f"the launch date {command.launch_date} is in the past (today is {today})")
    if command.launch_date == project.launch_date:
        raise Refused(f"the launch date is already {command.launch_date}")


def _check_cancel(project: Project, command: CancelProject, now: datetime) -> None:
    _check_open(project)
    if command.actor != project.project_manager:
        raise Refused(
            f"{command.actor} may not cancel: only {project.project_manager} (project manager) may"
        )


_CHECKS: dict[type, Callable[[Project, Any, datetime], None]] = {
    CompleteStep: _check_complete,
    ReviewStep: _check_review,
    ChooseOption: _check_choose,
    ReassignStep: _check_reassign,
    Reschedule: _check_reschedule,
    CancelProject: _check_cancel,
}


def _apply_complete(run: "_Run", command: CompleteStep) -> None:
    step = run.project.step(command.step_id)
    if command.note or command.link:
        step.notes.append(
            Note(actor=command.actor, at=run.now, text=command.note, link=command.link)
        )
    run.log("completed", step=step, actor=command.actor, detail=command.note)
    run.finish_step(step, "done")


def _apply_review(run: "_Run", command: ReviewStep) -> None:
    step = run.project.step(command.step_id)
    step.approvals.append(
        Review(actor=command.actor, approve=command.approve, comment=command.comment, at=run.now)
    )
    verdict = "approved" if command.approve else "rejected"
    run.log(verdict, step=step, actor=command.actor, detail=command.comment)
    step.pending_alerts = [a for a in step.pending_alerts if a.recipient != command.actor]
    approvals = sum(review.approve for review in step.approvals)
    required = step.required_approvals or 0
    # The PM may act on any step: a PM who is not an approver decides the approval.
    decides = command.actor not in step.owners
    if (decides and command.approve) or (not decides and approvals >= required):
        run.finish_step(step, "done")
    elif (decides and not command.approve) or approvals + len(step.pending_approvers()) < required:
        run.rework(step, command.comment)


def _apply_choose(run: "_Run", command: ChooseOption) -> None:
    step = run.project.step(command.step_id)
    step.option = command.option
    run.log("chosen", step=step, actor=command.actor, detail=command.option)
    run.finish_step(step, "done")


def _apply_reassign(run: "_Run", command: ReassignStep) -> None:
    step = run.project.step(command.step_id)
    old = command.actor if command.actor in step.owners else step.owners[0]
    step.owners = [command.to if person == old else person for person in step.owners]
    run.log("reassigned", step=step, actor=command.actor, detail=f"{old} -> {command.to}")
    if old != command.actor:
        run.log(
            "reassigned", step=step, recipient=old, actor=command.actor, detail=f"to {command.to}"
        )
    if step.state == "active":
        kind = "review_requested" if step.kind == "approval" else "assigned"
        run.log(kind, step=step, recipient=command.to, actor=command.actor)
        moved: list[Alert] = []
        for a in step.pending_alerts:
            if a.recipient != old:
                moved.append(a)
                continue
            if a.kind == "escalated" and old == run.project.project_manager:
                # A PM handing over their own step stays the PM: the escalation is still
                # theirs, and the follow-up it had absorbed goes to the new owner.
                moved.append(a)
                moved.append(run.alert(a.nominal, "follow_up", command.to, a.detail))
            else:
                moved.append(run.alert(a.nominal, a.kind, command.to, a.detail))
        # Re-shifted to the new owner's hours, two may now meet: they go out once.
        step.pending_alerts = _collapse(moved)


def _apply_reschedule(run: "_Run", command: Reschedule) -> None:
    project = run.project
    before = project.launch_date
    project.launch_date = command.launch_date
    run.log("rescheduled", actor=command.actor, detail=f"{before} -> {command.launch_date}")
    told: list[str] = []
    for step in project.steps:
        definition = project.definition.step(step.id)
        if step.finished or definition.due is None:
            continue
        step.due = run.due_of(definition)
        if step.state == "active":
            step.overdue = step.due <= run.now
            run.plan_alerts(step, since=run.now)
        told.extend(p for p in step.owners if p not in told and p != command.actor)
    for person in told:
        run.log(
            "rescheduled", recipient=person, actor=command.actor, detail=str(command.launch_date)
        )


def _apply_cancel(run: "_Run", command: CancelProject) -> None:
    project = run.project
    project.state = "cancelled"
    project.cancel_reason = command.reason
    project.finished_at = run.now
    for step in project.steps:
        step.pending_alerts = []
    run.log("project_cancelled", actor=command.actor, detail=command.reason)


_APPLY: dict[type, Callable[["_Run", Any], None]] = {
    CompleteStep: _apply_complete,
    ReviewStep: _apply_review,
    ChooseOption: _apply_choose,
    ReassignStep: _apply_reassign,
    Reschedule: _apply_reschedule,
    CancelProject: _apply_cancel,
}


# ---------------------------------------------------------------------------- engine


class _Run:
    """One transition in progress, on a private copy of the project."""

    def __init__(self, project: Project, now: datetime):
        self.project = project.model_copy(deep=True)
        self.now = now
        self.entries: list[LogEntry] = []
        self.playbook = project.definition
        self.calendar = _calendar(self.playbook)

    def finish(self) -> Transition:
        self.project.log.extend(self.entries)
        self.project.transition += 1
        self.project.next_wake_at = next_wake(self.project)
        return Transition(project=self.project, entries=self.entries)

    def log(
        self,
        type_: EntryType,
        step: StepStatus | None = None,
        step_id: str | None = None,
        recipient: str | None = None,
        actor: str | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self.entries.append(
            LogEntry(
                at=at or self.now,
                type=type_,
                step_id=step.id if step else step_id,
                recipient=recipient,
                actor=actor,
                detail=detail,
                revision=step.revision if step else None,
            )
        )

    # -- the clock

    def catch_up(self) -> None:
        """Send every alert due by now, in time order, and mark late steps overdue."""
        due: list[tuple[datetime, int, StepStatus, Alert]] = []
        for index, step in enumerate(self.project.steps):
            if step.state != "active":
                continue
            if step.due and step.due <= self.now:
                step.overdue = True
            for alert in step.pending_alerts:
                if alert.at <= self.now:
                    due.append((alert.at, index, step, alert))
            step.pending_alerts = [a for a in step.pending_alerts if a.at > self.now]
        for at, _, step, alert in sorted(due, key=lambda item: (item[0], item[1])):
            self.log(alert.kind, step=step, recipient=alert.recipient, detail=alert.detail, at=at)
            if alert.kind == "reminder":
                step.reminders_sent += 1
            elif alert.kind == "follow_up":
                step.follow_ups_sent += 1
            else:
                step.escalations_sent += 1

    # -- activation

    def settle(self) -> None:
        """Activate or skip every waiting step whose dependencies are finished, until
        nothing changes; complete the project when every step is finished."""
        if self.project.state != "active":
            return
        changed = True
        while changed:
            changed = False
            for step in self.project.steps:
                if step.state != "waiting":
                    continue
                if not all(self.project.step(d).finished for d in step.after):
                    continue
                skip_reason = self.skip_reason(self.playbook.step(step.id))
                if skip_reason:
                    step.state = "skipped"
                    step.skipped_reason = skip_reason
                    step.finished_at = self.now
                    step.rework_comment = None  # nobody reworks a skipped step
                    self.log("skipped", step=step, detail=skip_reason)
                else:
                    self.activate(step)
                changed = True
        if all(step.finished for step in self.project.steps):
            self.complete_project()

    def skip_reason(self, definition: Step) -> str | None:
        when = definition.when
        if when is None:
            return None
        if when.step:
            chosen = self.project.step(when.step).option
            if chosen == when.option:
                return None
            if chosen is None:
                return f"'{when.step}' was skipped, so option '{when.option}' was not chosen"
            return f"'{when.step}' chose '{chosen}', not '{when.option}'"
        value = self.project.inputs.get(when.input or "")
        if when.equals is None:
            return None if value else f"input '{when.input}' is not set"
        return None if value == when.equals else f"input '{when.input}' is not {when.equals!r}"

    def activate(self, step: StepStatus) -> None:
        definition = self.playbook.step(step.id)
        step.state = "active"
        step.started_at = self.now
        step.finished_at = None
        step.due = self.due_of(definition)
        step.overdue = step.due <= self.now
        for index, person in enumerate(step.owners):
            backup = self.backup_for(person)
            if backup and backup not in step.owners:
                step.owners[index] = backup
                self.log("reassigned", step=step, detail=f"{person} -> {backup} ({person} is away)")
        if step.rework_comment is not None:
            self.log(
                "rework", step=step, recipient=step.owners[0], detail=step.rework_comment or None
            )
            step.rework_comment = None
        else:
            kind = "review_requested" if step.kind == "approval" else "assigned"
            for person in step.owners:
                self.log(kind, step=step, recipient=person)
        self.plan_alerts(step, since=self.now)

    def backup_for(self, person_id: str) -> str | None:
        person = self.project.people.get(person_id)
        # Time off, not a weekend or an evening: quiet hours only delay their messages.
        if person and person.backup:
            today = self.now.astimezone(zone(person.timezone)).date()
            if person.is_away_on(today):
                return person.backup
        return None

    def due_of(self, definition: Step) -> datetime:
        tz = self.project.timezone
        if definition.due is not None and self.project.launch_date is not None:
            return due_instant(
                self.project.launch_date, definition.due, self.playbook.due_time, tz, self.calendar
            )
        estimate = definition.estimate or self.playbook.default_estimate
        return forward_due(self.now, estimate, self.playbook.due_time, tz, self.calendar)

    def plan_alerts(self, step: StepStatus, since: datetime) -> None:
        """Plan the step's reminders and follow-ups from `since` (its activation, or a
        reschedule): reminders already past are dropped; follow-ups count from the due
        instant, or from `since` when the step is already late."""
        assert step.due is not None
        recipients = step.pending_approvers() if step.kind == "approval" else step.owners
        rules = self.playbook.escalation
        planned: list[Alert] = []
        for person in recipients:
            for lead, nominal in reminder_instants(step.due, self.playbook.reminders):
                if nominal >= since:
                    planned.append(
                        self.alert(nominal, "reminder", person, f"{format_duration(lead)} before")
                    )
        follow_ups = follow_up_instants(step.due, since, rules.after, rules.repeat, rules.max)
        for number, nominal in enumerate(follow_ups, start=1):
            detail = f"follow-up {number} of {rules.max}"
            planned.extend(self.alert(nominal, "follow_up", p, detail) for p in recipients)
            if number >= 2:
                planned.append(
                    self.alert(nominal, "escalated", self.project.project_manager, detail)
                )
        step.pending_alerts = _collapse(planned)

    def alert(self, nominal: datetime, kind: AlertKind, person: str, detail: str) -> Alert:
        # Never before now: an alert re-planned for someone else may not go back in time.
        at = max(self.project.person(person).hours.next_window(nominal), self.now)
        return Alert(at=at, nominal=nominal, kind=kind, recipient=person, detail=detail)

    # -- finishing and rework

    def finish_step(self, step: StepStatus, state: StepState) -> None:
        step.state = state
        step.finished_at = self.now
        step.pending_alerts = []

    def rework(self, approval: StepStatus, comment: str | None) -> None:
        """Send the work back: `on_reject` (or the approval's own predecessors) and every
        step between run again, one revision up; the approval asks everyone afresh."""
        definition = self.playbook.step(approval.id)
        starts = [definition.on_reject] if definition.on_reject else definition.after
        span = _unique(s for start in starts for s in self.playbook.rework_span(approval.id, start))
        for step_id in span or [approval.id]:
            step = self.project.step(step_id)
            step.state = "waiting"
            step.revision += 1
            step.approvals = []
            step.option = None
            step.pending_alerts = []
            step.overdue = False
            step.skipped_reason = None
            if step_id in starts:
                step.rework_comment = comment or ""

    def complete_project(self) -> None:
        project = self.project
        project.state = "completed"
        project.finished_at = self.now
        self.log("project_completed")
        self.log("summary", recipient=project.project_manager, detail=summarize(project))


def summarize(project: Project) -> str:
    """One line for the PM: how many steps finished, how many late, and the worst slip."""
    done = [s for s in project.steps if s.state == "done"]
    late = [s for s in done if s.due and s.finished_at and s.finished_at > s.due]
    skipped = len(project.steps) - len(done)
    text = f"{len(done)} steps done, {len(late)} late"
    if skipped:
        text += f", {skipped} skipped"
    if late:
        worst = max(late, key=lambda s: (s.finished_at or s.due) - (s.due or s.finished_at))
        slip = (worst.finished_at or worst.due) - (worst.due or worst.finished_at)
        text += f"; the largest slip was '{worst.name}', {format_duration(slip)} late"
    return text


def _collapse(alerts: list[Alert]) -> list[Alert]:
    """Alerts for the same person landing on the same instant go out once: the most
    urgent kind wins, then the latest rule (the 24h reminder over the 48h one)."""
    best: dict[tuple[str, datetime], Alert] = {}
    for alert in alerts:
        key = (alert.recipient, alert.at)
        kept = best.get(key)
        if kept is None or (_ALERT_RANK[alert.kind], alert.nominal) > (
            _ALERT_RANK[kept.kind],
            kept.nominal,
        ):
            best[key] = alert
    return sorted(best.values(), key=lambda a: (a.at, _ALERT_RANK[a.kind], a.recipient))


def _calendar(playbook: Playbook) -> Calendar:
    return Calendar(business=playbook.calendar == "business", holidays=playbook.holidays)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
