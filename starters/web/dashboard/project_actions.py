"""Running a project from its page (its manager and admins see the forms; the workflow's
validators decide, as for the CLI and the API): hand an active step over, move the
launch after a preview of what moves, cancel with a reason.

Each POST is CSRF-checked and goes the API's way (`Services.act`): a person nobody
knows is refused before anything is sent, then the workflow's validated update. It
redirects to the project page with what happened, or the refusal.

The reschedule preview runs the state machine's own reschedule on a copy of the
project (`baton.state.apply`: the same rules and due arithmetic as the workflow), so
what it shows is what the workflow will do."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.contract import (
    ActionResult,
    CancelProject,
    ProjectStatus,
    ReassignStep,
    Reschedule,
)
from baton.errors import BatonError, Invalid, NotFound, Refused, validated
from baton.people import Person
from baton.plan import Plan, late_choices, late_summary, planned_step
from baton.playbook import Playbook
from baton.readable_log import describe_line, group_log
from baton.schedule import DAY_FORMS, parse_day, zone
from baton.state import LateDues, Project, apply
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters import client
from starters.web.dashboard.render import error_page, page, redirect, session_form
from starters.web.deps import Services, Viewer, get_services

router = APIRouter(include_in_schema=False)

Choice = Literal["compress", "allow_late"]
CHOICES: dict[str, Choice] = {"compress": "compress", "allow_late": "allow_late"}


# ------------------------------------------------------------------ shared with the page


def project_url(workflow_id: str) -> str:
    return f"/projects/{quote(workflow_id, safe='')}"


async def names_of(services: Services) -> dict[str, str]:
    """Everyone known, id -> name (the page shows people by name)."""
    return {person.id: person.display_name for person in await PeopleRepo(services.pool).list()}


async def manages(services: Services, me: Person, current: ProjectStatus) -> bool:
    """Whether the page offers `me` the forms that run the project: its manager and
    admins (the workflow still decides what it accepts)."""
    if me.id == current.project_manager:
        return True
    return await PeopleRepo(services.pool).is_admin(me.id)


async def playbook_of(services: Services, current: ProjectStatus) -> Playbook | None:
    """The playbook version the project runs (None if it is gone from the store)."""
    try:
        playbook, _ = await PlaybookRepo(services.pool).get(
            current.playbook, current.playbook_version
        )
    except NotFound:
        return None
    return playbook


def said(result: ActionResult, names: dict[str, str], current: ProjectStatus) -> str:
    """What an action did, in words with names: its events and whom they told."""
    steps = {step.id: step.name for step in current.steps}
    lines = [line for line in group_log(result.entries) if line.event]
    text = ". ".join(describe_line(line, names, steps, current.launch) for line in lines)
    return f"{text}." if text else result.message


def _forbidden(request: Request, current: ProjectStatus) -> HTMLResponse:
    return error_page(
        request,
        403,
        "Only its manager runs this project",
        f"Moving, handing over and cancelling {current.name} is for its project manager "
        f"({current.project_manager}) and admins.",
        "Ask them, or go back to the project's page.",
    )


# ------------------------------------------------------------------ hand a step over


@router.post("/projects/{workflow_id}/steps/{step_id}/reassign")
async def reassign(request: Request, workflow_id: str, step_id: str, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    back = project_url(workflow_id)
    to = fields.get("to", "").strip()
    if not to:
        return redirect(back, "Nothing was sent: choose who takes the step over.", ok=False)
    services = get_services(request)
    try:
        current = await client.status(services.client, workflow_id)
        command = validated(ReassignStep, {"step_id": step_id, "actor": me.id, "to": to})
        result = await services.act(workflow_id, command)
    except Invalid as error:
        return redirect(back, f"Nothing was sent: {error.message}", ok=False)
    except BatonError as error:
        return redirect(back, f"Baton refused: {error.message}", ok=False)
    return redirect(back, said(result, await names_of(services), current))


# ------------------------------------------------------------------ move the launch


@dataclass
class Preview:
    """What moving the launch to `launch_date` would do: the unfinished steps' dues
    after (`plan`, and `moved`: their dues now), the steps it would leave late with the
    dues a compression would give instead, whom it tells, or why it cannot be done."""

    launch_date: date
    plan: Plan | None = None
    moved: dict[str, datetime] = field(default_factory=dict)
    late: str | None = None  # "2 steps would already be late (first: ...)"
    compressed: Plan | None = None
    cannot_compress: str | None = None
    told: list[str] = field(default_factory=list)
    problem: str | None = None  # the workflow would refuse it: why


def reschedule_preview(
    current: ProjectStatus, playbook: Playbook, launch_date: date, actor: str, now: datetime
) -> Preview:
    """The state machine's reschedule, run on a copy of the project at `now`."""
    project = Project.model_validate(current.model_dump() | {"definition": playbook})
    preview = Preview(launch_date)
    as_is = Reschedule(actor=current.project_manager, launch_date=launch_date)
    try:
        after = apply(project, as_is, now)
    except LateDues:
        after = apply(project, as_is.model_copy(update={"allow_late": True}), now)
        late = _late(current, after.project, now)
        preview.late = late_summary(late, current.timezone)
        try:
            compressed = apply(project, as_is.model_copy(update={"compress": True}), now)
            preview.compressed = _plan(current, compressed.project, launch_date, now)
        except Refused as refused:
            preview.cannot_compress = refused.message
    except Refused as refused:
        preview.problem = refused.message
        return preview
    preview.plan = _plan(current, after.project, launch_date, now)
    preview.moved = {
        step.id: step.due
        for step in current.steps
        if not step.finished and step.due and step.due != after.project.step(step.id).due
    }
    preview.told = _unique(e.recipient for e in after.entries if e.recipient)
    if actor != current.project_manager:
        preview.problem = _refusal(project, as_is.model_copy(update={"actor": actor}), now)
    return preview


def _refusal(project: Project, command: Reschedule, now: datetime) -> str | None:
    try:
        apply(project, command.model_copy(update={"allow_late": True}), now)
    except Refused as refused:
        return refused.message
    return None


def _late(current: ProjectStatus, after: Project, now: datetime) -> list[tuple[str, datetime]]:
    """The unfinished steps the move leaves due already (by name), earliest first."""
    dues = [
        (step.name, due)
        for step in current.steps
        if not step.finished and (due := after.step(step.id).due) and due <= now
    ]
    return sorted(dues, key=lambda pair: pair[1])


def _plan(current: ProjectStatus, after: Project, launch_date: date, now: datetime) -> Plan:
    """The unfinished steps with their dues after the move, as the plan table shows."""
    steps = [
        planned_step(
            step.id,
            step.name,
            step.kind,
            step.owners,
            step.after,
            after.step(step.id).due,
            current.timezone,
            now,
        )
        for step in current.steps
        if not step.finished
    ]
    return Plan(
        playbook=current.playbook,
        name=current.name,
        launch_date=launch_date,
        timezone=current.timezone,
        steps=steps,
    )


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _launch_of(current: ProjectStatus, text: str) -> date:
    """The new launch date as typed (the CLI's forms), counted from today where the
    project is."""
    if not text.strip():
        raise Invalid(f"type the new {current.launch}: {DAY_FORMS}", field="launch")
    today = datetime.now(UTC).astimezone(zone(current.timezone)).date()
    return parse_day(text, today, f"the new {current.launch}")


@router.get("/projects/{workflow_id}/reschedule", response_class=HTMLResponse)
async def reschedule_form(request: Request, workflow_id: str, me: Viewer, launch: str = ""):
    """The preview: each unfinished step's due now and after, and the ways on when the
    move leaves steps late."""
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    if not await manages(services, me, current):
        return _forbidden(request, current)
    names = await names_of(services)
    preview, problem = None, None
    playbook = await playbook_of(services, current)
    if playbook is None:
        problem = f"the playbook version this project runs ({current.playbook}) is gone"
    elif launch.strip():
        try:
            day = _launch_of(current, launch[:40])
            preview = reschedule_preview(current, playbook, day, me.id, datetime.now(UTC))
        except Invalid as error:
            problem = error.message
    return page(
        request,
        "reschedule.html",
        status_code=422 if problem else 200,
        p=current,
        names=names,
        step_names={step.id: step.name for step in current.steps},
        typed=launch[:40],
        preview=preview,
        problem=problem,
        date_forms=DAY_FORMS,
        back=project_url(current.workflow_id),
    )


@router.post("/projects/{workflow_id}/reschedule")
async def reschedule(request: Request, workflow_id: str, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    back = project_url(workflow_id)
    services = get_services(request)
    choice = CHOICES.get(fields.get("choice", ""))
    try:
        current = await client.status(services.client, workflow_id)
        day = _launch_of(current, fields.get("launch", "")[:40])
        flags = {choice: True} if choice else {}
        command = validated(Reschedule, {"actor": me.id, "launch_date": day, **flags})
        result = await services.act(workflow_id, command)
    except Invalid as error:
        return redirect(back, f"Nothing was moved: {error.message}", ok=False)
    except BatonError as error:
        message = error.message.replace(late_choices("reschedule"), _BUTTONS)
        return redirect(back, f"Baton refused: {message}", ok=False)
    return redirect(back, said(result, await names_of(services), current))


_BUTTONS = "preview a later launch, or choose to compress the plan or to allow the steps late"


# ------------------------------------------------------------------ cancel


@router.get("/projects/{workflow_id}/cancel", response_class=HTMLResponse)
async def cancel_form(request: Request, workflow_id: str, me: Viewer):
    """The confirm step: why, and who will be told."""
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    if not await manages(services, me, current):
        return _forbidden(request, current)
    return await _cancel_page(request, services, current)


async def _cancel_page(
    request: Request, services: Services, current: ProjectStatus, problem: str | None = None
) -> HTMLResponse:
    waiting = _unique(
        person for step in current.steps if step.state == "active" for person in step.waiting_on
    )
    return page(
        request,
        "cancel.html",
        status_code=422 if problem else 200,
        p=current,
        names=await names_of(services),
        told=_unique([*waiting, current.project_manager]),
        problem=problem,
        back=project_url(current.workflow_id),
    )


@router.post("/projects/{workflow_id}/cancel")
async def cancel(request: Request, workflow_id: str, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    back = project_url(workflow_id)
    services = get_services(request)
    reason = fields.get("reason", "").strip()
    try:
        current = await client.status(services.client, workflow_id)
        if not reason:
            why = "Nothing was cancelled: say why (everyone it waits on is told the reason)."
            return await _cancel_page(request, services, current, why)
        command = validated(CancelProject, {"actor": me.id, "reason": reason})
        result = await services.act(workflow_id, command)
    except Invalid as error:
        return redirect(back, f"Nothing was cancelled: {error.message}", ok=False)
    except BatonError as error:
        return redirect(back, f"Baton refused: {error.message}", ok=False)
    return redirect(back, said(result, await names_of(services), current))
