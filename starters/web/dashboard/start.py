"""Starting a project from the dashboard: pick a playbook, then name the project, type its
launch date (2026-12-15, today, +6w, +45d, +10bd) and assign its roles. The start goes
the API's way (`start_as`: who may start, the pre-check, then the workflow). A launch
that leaves steps due already shows the reason and two choices: compress the plan, or
start anyway.

The form previews what it would start (`GET /start/preview`, an HTML fragment that
`static/start-preview.js` fetches as the launch, time zone or people change; without
scripts, the Preview button re-renders the form with it): the plan for that launch, the
steps that would already be late and what each way on would do with them, and the
forecast the start itself would warn with."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from baton.bounds import STEP_ID, is_id
from baton.contract import StartProject
from baton.errors import BatonError, NotFound, validated
from baton.people import Person
from baton.plan import (
    Plan,
    compress_dues,
    is_compression,
    late_choices,
    late_dues,
    late_summary,
    offset_dues,
    plan_playbook,
    shortest_lead,
    uncompressible,
)
from baton.playbook import Playbook
from baton.schedule import DAY_FORMS, parse_day, zone
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import at_risk, start_warning
from starters.client import LateStart
from starters.client.insight import StartForecast, forecast_start
from starters.web.api.projects import start_as
from starters.web.dashboard.render import page, redirect, session_form, templates
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

CHOICES = {"compress": "compress", "allow_late": "allow_late"}


@router.get("/start", response_class=HTMLResponse)
async def start_form(request: Request, me: Viewer, playbook: str = ""):
    """The start form: first the playbook, then everything its project needs (a link
    may fill some in: /start?playbook=blog-post&launch=%2B6w)."""
    given = {k: v[:200] for k, v in request.query_params.items() if k not in ("csrf", "preview")}
    return await _form(request, me, given | {"playbook": playbook.strip()})


@router.post("/start")
async def start(request: Request, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    services = get_services(request)
    try:
        playbook = await _playbook(services, fields.get("playbook", ""))
    except NotFound as error:
        return await _form(request, me, fields, problem=error.message)
    if fields.get("preview"):  # the Preview button (pages without scripts): start nothing
        return await _form(request, me, fields)
    choice = CHOICES.get(fields.get("choice", ""))
    try:
        start_request = _request(playbook, fields, choice)
        status = await start_as(services, me, start_request)
    except LateStart as late:
        # The buttons below the message are this page's --compress and --allow-late.
        buttons = "choose a later launch, or one of the two buttons below"
        problem = late.message.replace(late_choices("start"), buttons)
        return await _form(request, me, fields, problem=problem, late=True)
    except (BatonError, HTTPException) as error:
        message = error.detail if isinstance(error, HTTPException) else str(error)
        return await _form(request, me, fields, problem=str(message))
    said = [f"Started {status.name}."]
    said += [f"Its {entry.detail}." for entry in status.log if is_compression(entry)][:1]
    said += [warning] if (warning := start_warning(status)) else []
    return redirect(f"/projects/{status.workflow_id}", " ".join(said))


async def _playbook(services, playbook_id: str) -> Playbook:
    """The latest published version of the playbook the form names."""
    if not is_id(playbook_id, STEP_ID):
        raise NotFound("choose one of the published playbooks", field="playbook")
    playbook, _ = await PlaybookRepo(services.pool).get(playbook_id)
    return playbook


def _request(playbook: Playbook, fields: dict[str, str], choice: str | None) -> StartProject:
    """The start input the form describes; `Invalid` names what to fix."""
    timezone = fields.get("timezone", "").strip() or "UTC"
    today = datetime.now(UTC).astimezone(zone(timezone)).date()
    launch = fields.get("launch", "").strip()
    inputs = {}
    for key, spec in playbook.inputs.items():
        if isinstance(spec.default, bool):
            inputs[key] = f"input:{key}" in fields
        elif fields.get(f"input:{key}", "").strip():
            inputs[key] = fields[f"input:{key}"].strip()
    data = {
        "playbook": playbook.id,
        "name": fields.get("name", "").strip(),
        "launch_date": parse_day(launch, today, "the launch date") if launch else None,
        "timezone": timezone,
        "project_manager": fields.get("project_manager", "").strip(),
        "assignments": {
            role: fields.get(f"role:{role}", "").strip()
            for role in playbook.roles
            if fields.get(f"role:{role}", "").strip()
        },
        "inputs": inputs,
    }
    if choice:
        data[choice] = True
    return validated(StartProject, data, "the start form")


async def _form(
    request: Request,
    me,
    fields: dict[str, str],
    problem: str | None = None,
    late: bool = False,
) -> HTMLResponse:
    services = get_services(request)
    playbooks = await PlaybookRepo(services.pool).list_latest()
    chosen = None
    if fields.get("playbook"):
        try:
            chosen = await _playbook(services, fields["playbook"])
        except NotFound as error:
            problem = problem or error.message
    return page(
        request,
        "start.html",
        status_code=422 if problem else 200,
        playbooks=playbooks,
        playbook=chosen,
        people=picker(await PeopleRepo(services.pool).list()),
        values=fields,
        default_zone=me.timezone,
        problem=problem,
        late=late,
        date_forms=DAY_FORMS,
        preview=await preview_of(services, me, chosen, fields) if chosen else None,
    )


def picker(people: list[Person]) -> list[tuple[str, str]]:
    """The directory as a picker's options, (id, label) by name: "Sam Silva", with the
    id only where two people share a name."""
    count: dict[str, int] = {}
    for person in people:
        count[person.display_name] = count.get(person.display_name, 0) + 1
    options = [
        (p.id, p.display_name if count[p.display_name] == 1 else f"{p.display_name} ({p.id})")
        for p in people
    ]
    return sorted(options, key=lambda option: (option[1].casefold(), option[0]))


# ---------------------------------------------------------------------------- the preview


@dataclass
class Preview:
    """What the form would start: the plan, the steps already late and the ways on, and
    the forecast. `problem` instead when the fields cannot make a plan yet."""

    problem: str | None = None
    plan: Plan | None = None
    roles: dict[str, str] = field(default_factory=dict)
    launch_word: str = "launch date"
    late: str | None = None  # "3 steps would already be late (first: ...)"
    late_count: int = 0
    compressed: Plan | None = None  # the plan as compressing it would make it
    moved: dict[str, datetime] = field(default_factory=dict)  # compressed: the dues before
    no_compression: str | None = None  # why compressing cannot help
    on_time_from: date | None = None  # the earliest launch leaving no step late
    outlook: StartForecast | None = None
    outlook_text: str | None = None  # "a 78% chance of making the publish date ..."
    outlook_problem: str | None = None  # why there is no forecast (a launch in the past)


@router.get("/start/preview", response_class=HTMLResponse)
async def start_preview(request: Request, me: Viewer):
    """The preview as an HTML fragment (no page frame) for the form's script; the query
    carries the form's fields (`playbook`, `launch`, `timezone`, `role:...`)."""
    fields = {key: value[:200] for key, value in request.query_params.items()}
    services = get_services(request)
    try:
        playbook = await _playbook(services, fields.get("playbook", "").strip())
    except NotFound as error:
        preview = Preview(problem=error.message)
    else:
        preview = await preview_of(services, me, playbook, fields)
    html = templates().get_template("_start_preview.html").render(preview=preview)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def preview_of(services, me, playbook: Playbook, fields: dict[str, str]) -> Preview:
    """The preview of the start the fields describe, at the wall clock's now."""
    now = datetime.now(UTC)
    shown = {"roles": await _who(services, playbook, fields), "launch_word": playbook.launch}
    if not fields.get("launch", "").strip():
        return Preview(problem=f"Type the {playbook.launch} to see the plan.", **shown)
    given = fields | {
        "name": fields.get("name", "").strip() or "Preview",  # the preview needs neither
        "project_manager": me.id,
        "timezone": fields.get("timezone", "").strip() or me.timezone,
    }
    try:
        request = _request(playbook, given, None)
    except BatonError as error:  # a date that cannot be read: its message has the forms
        return Preview(problem=_sentence(str(error)), **shown)
    timezone, launch = request.timezone, request.launch_date
    if launch < now.astimezone(zone(timezone)).date():  # the start refuses it outright
        problem = f"The {playbook.launch} {launch} is in the past; pick today or a later day."
        return Preview(problem=problem, **shown)
    preview = Preview(plan=plan_playbook(playbook, launch, timezone, now), **shown)
    _late(preview, playbook, launch, timezone, now)
    try:
        preview.outlook = await forecast_start(services.pool, request, playbook, now)
    except BatonError as error:  # a launch in the past, or too far ahead
        preview.outlook_problem = _sentence(str(error))
    else:
        found, first = preview.outlook.forecast, preview.outlook.first
        critical = [step.step for step in found.critical_steps]
        preview.outlook_text = at_risk(first, found.p_on_time, found.p50_finish, critical)
    return preview


async def _who(services, playbook: Playbook, fields: dict[str, str]) -> dict[str, str]:
    """Each role as the plan shows it: the person picked for it, else its title."""
    names = {person.id: person.display_name for person in await PeopleRepo(services.pool).list()}
    picked = {role: fields.get(f"role:{role}", "").strip() for role in playbook.roles}
    return {
        role: names.get(picked[role], title) if picked[role] else title
        for role, title in playbook.roles.items()
    }


def _late(preview: Preview, playbook: Playbook, launch: date, timezone: str, now: datetime):
    """The steps the launch leaves due already (the start's own rule), what compressing
    would make of their dues, and the earliest launch that leaves none late."""
    dues = offset_dues(playbook, launch, timezone)
    late = late_dues(dues, now)
    if not late:
        return
    preview.late, preview.late_count = late_summary(late, timezone), len(late)
    reason = uncompressible(playbook, launch, timezone, now)
    # The reason without the command line's ways on (the preview names the buttons).
    preview.no_compression = reason.split(";")[0] if reason else None
    compressed = compress_dues(playbook, dues, launch, timezone, now)
    if compressed and preview.plan:
        tz = zone(timezone)
        steps = [
            s.model_copy(update={"due": compressed[s.id].astimezone(tz), "past": False})
            if s.id in compressed
            else s
            for s in preview.plan.steps
        ]
        preview.compressed = preview.plan.model_copy(update={"steps": steps})
        preview.moved = {s: due for s, due in dues.items() if s in compressed}
    preview.on_time_from = _earliest_on_time(playbook, timezone, now)


def _earliest_on_time(playbook: Playbook, timezone: str, now: datetime) -> date | None:
    """The earliest launch leaving no step due already: the playbook's shortest lead
    from today, or a day or so later when today's due time has passed."""
    today = now.astimezone(zone(timezone)).date()
    lead, _ = shortest_lead(playbook, today)
    for extra in range(8):
        launch = today + timedelta(days=lead + extra)
        if not late_dues(offset_dues(playbook, launch, timezone), now):
            return launch
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
