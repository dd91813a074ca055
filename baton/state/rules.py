"""The rules: what a project accepts. A start input that cannot make a project, and an
action that may not be applied now, are refused with the reason a person reads (who may
act, what a step waits for, what to fix)."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from baton import plan
from baton.bounds import LAUNCH_YEARS_AHEAD
from baton.contract import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ProjectStatus,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
    StepStatus,
)
from baton.errors import Refused
from baton.playbook import Playbook
from baton.schedule import zone
from baton.state.model import Project


def resolve_launch_date(request: StartProject, playbook: Playbook) -> date | None:
    """The launch date deadlines count back from. A project given only a start date gets
    its launch placed so the earliest-due step has its estimate of time after the start."""
    if request.launch_date or not request.start_date:
        return request.launch_date
    dated = [s for s in playbook.steps if s.due is not None]
    if not dated:
        return None
    first = min(dated, key=lambda s: s.due or 0)
    calendar = playbook.working_calendar
    lead = (first.estimate or playbook.default_estimate) // timedelta(days=1)
    return calendar.add_days(calendar.add_days(request.start_date, max(lead, 1)), -(first.due or 0))


def check_start(request: StartProject, playbook: Playbook, today: date) -> None:
    """Refuse a start input that cannot make a project, saying what to fix."""
    if request.playbook != playbook.id:
        raise Refused(
            f"playbook '{request.playbook}' was asked for but '{playbook.id}' was given",
            field="playbook",
        )
    missing = [role for role in playbook.roles if not request.assignments.get(role)]
    if missing:
        needed = ", ".join(f"{r} ({playbook.roles[r]})" for r in missing)
        raise Refused(
            f"assign someone to every role of '{playbook.id}'; missing: {needed}",
            field="assignments",
        )
    unknown = sorted(set(request.assignments) - set(playbook.roles))
    if unknown:
        raise Refused(
            f"'{playbook.id}' has no role {', '.join(unknown)}; "
            f"roles are: {', '.join(playbook.roles)}",
            field="assignments",
        )
    if playbook.inputs:
        extra = sorted(set(request.inputs) - set(playbook.inputs))
        if extra:
            raise Refused(
                f"'{playbook.id}' takes no input {', '.join(extra)}; "
                f"inputs are: {', '.join(playbook.inputs)}",
                field="inputs",
            )
    if any(s.due is not None for s in playbook.steps) and not (
        request.launch_date or request.start_date
    ):
        raise Refused(
            f"give a launch date ({playbook.launch}) or a start date", field="launch_date"
        )
    if request.start_date and not today - timedelta(days=366) <= request.start_date <= latest(
        today
    ):
        raise Refused(
            f"the start date {request.start_date} is not within a year before today and "
            f"{LAUNCH_YEARS_AHEAD} years after (today is {today})",
            field="start_date",
        )
    launch = resolve_launch_date(request, playbook)
    if request.launch_date and launch and launch < today:
        raise Refused(
            f"the launch date {launch} is in the past (today is {today})", field="launch_date"
        )
    if launch and launch > latest(today):
        raise Refused(too_far(launch, today), field="launch_date")


class LateDues(Refused):
    """A launch that leaves steps due in the past: compressing them or going on late
    would be accepted (the dashboard offers both)."""


def check_on_time(request: StartProject, playbook: Playbook, now: datetime) -> None:
    """Refuse a launch that leaves steps due in the past, unless the request says to
    `compress` them or to start anyway (`allow_late`). The ways in ask this before a
    start; the workflow itself starts what it is given (a start straight in Temporal)."""
    launch = resolve_launch_date(request, playbook)
    if launch is None:
        return
    _check_late(
        plan.offset_dues(playbook, launch, request.timezone),
        playbook, launch, request.timezone, now, request, "start",
    )  # fmt: skip


def _check_late(
    dues: dict[str, datetime],
    playbook: Playbook,
    launch: date,
    timezone: str,
    now: datetime,
    choice: StartProject | Reschedule,
    verb: str,
) -> None:
    """The one late-dues rule of a start and a reschedule (`choice` carries the flags)."""
    if choice.compress and choice.allow_late:
        raise Refused(
            "choose one of compress (fit the late steps before the launch) and allow-late "
            "(leave them late), not both",
            field="compress",
        )
    late = plan.late_dues(dues, now)
    if not late or choice.allow_late:
        return
    if not choice.compress:
        raise LateDues(plan.late_refusal(late, timezone, verb), field="launch_date")
    reason = plan.uncompressible(playbook, launch, timezone, now)
    if reason:
        raise Refused(reason, field="launch_date")


def latest(today: date) -> date:
    """The latest launch date Baton plans for: LAUNCH_YEARS_AHEAD years from today."""
    return today + timedelta(days=365 * LAUNCH_YEARS_AHEAD + 1)


def too_far(launch: date, today: date) -> str:
    return (
        f"the launch date {launch} is more than {LAUNCH_YEARS_AHEAD} years away "
        f"(today is {today}); choose one before {latest(today)}"
    )


def check(project: Project, command: Command, now: datetime) -> None:
    """Raise `Refused` with the reason if `command` cannot be applied now."""
    _CHECKS[type(command)](project, command, now)


def closed_reason(project: ProjectStatus) -> str | None:
    """Why a finished project refuses every action, or None while it is active."""
    if project.state == "active":
        return None
    day = (
        f" on {project.finished_at.astimezone(zone(project.timezone)):%a %Y-%m-%d}"
        if project.finished_at
        else ""
    )
    if project.state == "cancelled":
        by = project.cancelled_by or next(
            (e.actor for e in reversed(project.log) if e.type == "project_cancelled"), None
        )
        who = f" by {by}" if by else ""
        why = f" ({project.cancel_reason})" if project.cancel_reason else ""
        return f"project '{project.slug}' was cancelled{who}{day}{why}; nothing more can be done"
    return f"project '{project.slug}' was completed{day}; nothing more can be done"


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
    if command.launch_date > latest(today):
        raise Refused(too_far(command.launch_date, today))
    remaining = [step.id for step in project.steps if not step.finished]
    dues = plan.offset_dues(project.definition, command.launch_date, project.timezone, remaining)
    if command.launch_date == project.launch_date and not (
        command.compress and plan.late_dues(dues, now)
    ):
        nothing = "; no step would be late, so there is nothing to compress"
        raise Refused(
            f"the launch date is already {command.launch_date}{nothing if command.compress else ''}"
        )
    _check_late(
        dues, project.definition, command.launch_date, project.timezone, now, command, "reschedule"
    )


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


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
