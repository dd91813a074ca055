"""Starting a project from the dashboard: pick a playbook, then name the project, type its
launch date (2026-12-15, today, +6w, +45d, +10bd) and assign its roles. The start goes
the API's way (`start_as`: who may start, the pre-check, then the workflow). A launch
that leaves steps due already shows the reason and two choices: compress the plan, or
start anyway."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from baton.bounds import STEP_ID, is_id
from baton.contract import StartProject
from baton.errors import BatonError, NotFound, validated
from baton.plan import is_compression, late_choices
from baton.playbook import Playbook
from baton.schedule import DAY_FORMS, parse_day, zone
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import start_warning
from starters.client import LateStart
from starters.web.api.projects import start_as
from starters.web.dashboard.render import page, redirect, session_form
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

CHOICES = {"compress": "compress", "allow_late": "allow_late"}


@router.get("/start", response_class=HTMLResponse)
async def start_form(request: Request, me: Viewer, playbook: str = ""):
    """The start form: first the playbook, then everything its project needs."""
    return await _form(request, me, {"playbook": playbook.strip()})


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
    people = [person.id for person in await PeopleRepo(services.pool).list()]
    return page(
        request,
        "start.html",
        status_code=422 if problem else 200,
        playbooks=playbooks,
        playbook=chosen,
        people=people,
        values=fields,
        default_zone=me.timezone,
        problem=problem,
        late=late,
        date_forms=DAY_FORMS,
    )
