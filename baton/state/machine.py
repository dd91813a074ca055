"""The engine: a transition from a state and an input (the start, an action, the clock)
to the next state and the log entries it produced. Entries with a recipient are
messages to deliver; the rest are things that happened."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from baton import plan, wording
from baton.contract import (
    Alert,
    AlertKind,
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    EntryType,
    LogEntry,
    Note,
    ReassignStep,
    Reschedule,
    Review,
    ReviewStep,
    StartProject,
    StepState,
    StepStatus,
)
from baton.insight.runs import ended_runs
from baton.people import Person
from baton.playbook import Playbook, Step
from baton.schedule import due_instant, forward_due, zone
from baton.state import alerts
from baton.state.model import Outlook, Project, Transition, decisions_only, keep_small
from baton.state.rules import check, check_start, resolve_launch_date


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
        started_by=request.started_by,
        assignments=dict(request.assignments),
        inputs=inputs,
        started_at=now,
        steps=steps,
        definition=decisions_only(playbook),
        people=people,
    )
    run = _Run(project, now)
    if request.compress:
        _compress(run, request.started_by)
    for step in run.project.steps:
        definition = playbook.step(step.id)
        if definition.due is not None and run.project.launch_date is not None:
            step.due = run.due_of(definition)
    run.settle()
    return run.finish()


# ---------------------------------------------------------------------------- actions


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


def refuse_unreadable(project: Project, kind: type, reason: str, now: datetime) -> Transition:
    """Record a message that could not be read at all (a signal out of bounds): what it
    was meant to be and why, nothing of its content."""
    run = _Run(project, now)
    run.catch_up()
    action = kind.model_fields["action"].default
    run.log("refused", detail=f"a {action} message that could not be read: {reason}")
    return run.finish()


def note_forecast(project: Project, outlook: Outlook, now: datetime) -> Transition | None:
    """A fresh forecast after a transition's effects: kept for the status, and when the
    chance of finishing on time falls below the playbook's `risk_alert`, the project
    manager is warned, once per drop (again only after it recovered above). None when
    nothing changed."""
    if project.state != "active":
        return None
    below = outlook.p_on_time < project.definition.risk_alert
    same = (project.p_on_time, project.projected_finish) == (
        outlook.p_on_time,
        outlook.projected_finish,
    )
    if same and below == project.risk_warned:
        return None
    run = _Run(project, now)
    run.project.p_on_time = outlook.p_on_time
    run.project.projected_finish = outlook.projected_finish
    if below and not project.risk_warned:
        detail = wording.at_risk(
            run.project, outlook.p_on_time, outlook.projected_finish, outlook.critical_steps
        )
        run.log("at_risk", detail=detail)
        run.log("at_risk", recipient=project.project_manager, detail=detail)
    run.project.risk_warned = below
    return run.finish()


def next_wake(project: Project, dues: bool = False) -> datetime | None:
    """The earliest instant the core needs the clock: a planned alert (something to
    send). A due instant alone sends nothing, so it wakes nobody: readers derive
    "overdue" from the due (`ProjectStatus.as_of`), and the next transition records it.
    `dues=True`: also the due instants, as runs from before this woke for them."""
    if project.state != "active":
        return None
    instants = []
    for step in project.steps:
        if step.state == "active":
            instants.extend(alert.at for alert in step.pending_alerts)
            if dues and step.due and not step.overdue:
                instants.append(step.due)
    return min(instants, default=None)


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
        run.rework(step, command.comment, by=command.actor)


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
        step.pending_alerts = alerts.collapse(moved, run.project)


def _apply_reschedule(run: "_Run", command: Reschedule) -> None:
    project = run.project
    before = project.launch_date
    project.launch_date = command.launch_date
    run.log("rescheduled", actor=command.actor, detail=f"{before} -> {command.launch_date}")
    project.compressed_dues = {}  # a new launch: the offsets count again
    if command.compress:
        _compress(run, command.actor)
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


def _compress(run: "_Run", actor: str | None) -> None:
    """Fit the unfinished steps' late dues between now and the launch (a start or a
    reschedule with `compress`), and tell the project manager it was done."""
    project = run.project
    if project.launch_date is None:
        return
    remaining = [step.id for step in project.steps if not step.finished]
    dues = plan.offset_dues(run.playbook, project.launch_date, project.timezone, remaining)
    compressed = plan.compress_dues(
        run.playbook, dues, project.launch_date, project.timezone, run.now
    )
    if not compressed:
        return
    project.compressed_dues = compressed
    late = len(plan.late_dues(dues, run.now))
    detail = plan.describe_compression(compressed, late, project.launch_date, project.timezone)
    run.log("rescheduled", actor=actor, detail=detail)
    run.log("rescheduled", recipient=project.project_manager, actor=actor, detail=detail)


def _apply_cancel(run: "_Run", command: CancelProject) -> None:
    """Stop everything: every unfinished step is cancelled, and everyone it was waiting on
    (active owners, pending approvers) and the PM are told why, once each."""
    project = run.project
    project.state = "cancelled"
    project.cancel_reason = command.reason
    project.cancelled_by = command.actor
    project.finished_at = run.now
    run.log("project_cancelled", actor=command.actor, detail=command.reason)
    told: set[str] = set()
    for step in project.steps:
        if step.state == "active":
            for person in step.waiting_on:
                if person not in told:
                    told.add(person)
                    run.log(
                        "cancelled", step=step, recipient=person, actor=command.actor,
                        detail=command.reason,
                    )  # fmt: skip
        if not step.finished:
            step.state = "cancelled"
            step.finished_at = run.now
            step.overdue = False
        step.pending_alerts = []
    if project.project_manager not in told:
        run.log(
            "cancelled", recipient=project.project_manager, actor=command.actor,
            detail=command.reason,
        )  # fmt: skip


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
        self.before = project
        # Only what a transition changes is copied: the steps and the log. The playbook
        # and the people are shared, never changed in place (the bulk of the state).
        self.project = project.model_copy(
            update={
                "steps": [step.model_copy(deep=True) for step in project.steps],
                "log": list(project.log),
            }
        )
        self.now = now
        self.entries: list[LogEntry] = []
        self.playbook = project.definition
        self.calendar = self.playbook.working_calendar

    def finish(self) -> Transition:
        self.project.log.extend(self.entries)
        keep_small(self.project)
        self.project.transition += 1
        self.project.next_wake_at = next_wake(self.project)
        runs = ended_runs(
            self.project.workflow_id,
            self.project.playbook,
            self.project.playbook_version,
            self.before.steps,
            self.project.steps,
            self.entries,
            self.now,
        )
        return Transition(project=self.project, entries=self.entries, runs=runs)

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
                    step.rework_comment = step.rework_by = None  # nobody reworks it
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
                "rework", step=step, recipient=step.owners[0], actor=step.rework_by,
                detail=step.rework_comment or None,
            )  # fmt: skip
            step.rework_comment = step.rework_by = None
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
            compressed = self.project.compressed_dues.get(definition.id)
            if compressed is not None:
                return compressed
            return due_instant(
                self.project.launch_date, definition.due, self.playbook.due_time, tz, self.calendar
            )
        estimate = definition.estimate or self.playbook.default_estimate
        return forward_due(self.now, estimate, self.playbook.due_time, tz, self.calendar)

    def plan_alerts(self, step: StepStatus, since: datetime) -> None:
        step.pending_alerts = alerts.plan(self.project, step, since, self.now)

    def alert(self, nominal: datetime, kind: AlertKind, person: str, detail: str) -> Alert:
        return alerts.make(self.project, self.now, nominal, kind, person, detail)

    # -- finishing and rework

    def finish_step(self, step: StepStatus, state: StepState) -> None:
        step.state = state
        step.finished_at = self.now
        step.pending_alerts = []

    def rework(self, approval: StepStatus, comment: str | None, by: str) -> None:
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
                step.rework_by = by

    def complete_project(self) -> None:
        project = self.project
        project.state = "completed"
        project.finished_at = self.now
        self.log("project_completed")
        self.log("summary", recipient=project.project_manager, detail=wording.summarize(project))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
