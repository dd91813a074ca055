"""The dashboard's pages: the projects board, one project's timeline (plan vs actual),
"my tasks" with buttons, the mailbox. Server-rendered, over the same workflow messages
as the CLI and the API."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.contract import ProjectStatus, StepStatus
from baton.errors import Invalid, Refused
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import waiting_on
from starters import client
from starters.client.insight import upcoming_for
from starters.web.dashboard.calendar import feed_url
from starters.web.dashboard.render import (
    command_for,
    human_duration,
    local_path,
    overdue_by,
    page,
    redirect,
    session_form,
)
from starters.web.dashboard.reports import forecast_panel
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

STATES = ("active", "completed", "cancelled", "failed", "terminated")


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, me: Viewer, playbook: str = "", owner: str = ""):
    services = get_services(request)
    query = client.visibility_query(playbook=playbook.strip() or None, owner=owner.strip() or None)
    rows = await client.list_projects(services.client, query)
    sections = {state: [] for state in STATES}
    for row in rows:
        sections.setdefault(row.state or "unknown", []).append(row)
    playbooks = [p["id"] for p in await PlaybookRepo(services.pool).list_latest()]
    people = [p.id for p in await PeopleRepo(services.pool).list()]
    return page(
        request,
        "board.html",
        sections={state: found for state, found in sections.items() if found},
        count=len(rows),
        playbook=playbook,
        owner=owner,
        playbooks=sorted({*playbooks, *(r.playbook for r in rows if r.playbook)}),
        people=people,
        workflow_url=services.settings.workflow_url,
    )


@router.get("/projects/{workflow_id}", response_class=HTMLResponse)
async def project(request: Request, workflow_id: str, me: Viewer):
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    now = datetime.now(UTC)
    return page(
        request,
        "project.html",
        p=current,
        steps=[timeline_row(current, step, me.id, now) for step in current.steps],
        log=list(reversed(current.log)),
        waiting=waiting_on(current, me.timezone),
        workflow_url=services.settings.workflow_url(current.workflow_id),
        forecast=await forecast_panel(services, current),
    )


def timeline_row(current: ProjectStatus, step: StepStatus, me: str, now: datetime) -> dict:
    """One step as the timeline shows it: plan (due) against actual (finished)."""
    late = None
    if step.finished_at and step.due and step.finished_at > step.due:
        late = human_duration(step.finished_at - step.due)
    waiting_on_me = step.state == "active" and current.state == "active" and me in step.waiting_on
    return {
        "s": step,
        "late_by": late,
        "overdue_by": overdue_by(step.due, now) if step.state == "active" else None,
        "mine": waiting_on_me,
    }


@router.get("/tasks", response_class=HTMLResponse)
async def my_tasks(request: Request, me: Viewer):
    services = get_services(request)
    found = await client.tasks_for(services.client, me.id)
    return page(
        request,
        "tasks.html",
        tasks=found,
        coming_up=await upcoming_for(services.pool, me.id),
        now=datetime.now(UTC),
        calendar_url=await feed_url(services, me.id),
    )


@router.post("/tasks/act")
async def act_on_task(request: Request, me: Viewer):
    """A button on "my tasks" or a project page: the same update as `baton complete`,
    `review` or `choose`, with the signed-in person as the actor."""
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    back = local_path(fields.get("back"), "/tasks")
    workflow_id, step_id = fields.get("workflow_id", ""), fields.get("step_id", "")
    if not workflow_id or not step_id:
        return redirect(back, "That form was incomplete; nothing was sent.", ok=False)
    try:
        command = command_for(fields.get("action", ""), step_id, me.id, fields)
    except Invalid as error:
        return redirect(back, f"Nothing was sent: {error}.", ok=False)
    try:
        result = await client.act(get_services(request).client, workflow_id, command)
    except Refused as refused:
        return redirect(back, f"Baton refused: {refused.reason}", ok=False)
    return redirect(back, result.message)


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, me: Viewer):
    messages = await OutboxRepo(get_services(request).pool).mailbox(me.id)
    return page(request, "inbox.html", messages=messages[:200], total=len(messages))


@router.post("/inbox/read")
async def mark_read(request: Request, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    count = await OutboxRepo(get_services(request).pool).mark_read(me.id)
    return redirect("/inbox", f"Marked {count} message{'s' if count != 1 else ''} read.")
