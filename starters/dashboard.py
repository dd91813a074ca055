"""The web dashboard: server-rendered pages over the same workflow messages as the CLI
and the API. The projects board, one project's timeline (plan vs actual), "my tasks"
with buttons, the mailbox; sign-in (`web_auth`), one-click links (`web_links`) and the
calendar feed (`web_calendar`) live beside it."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.state import ProjectStatus, Refused, StepStatus
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import waiting_on
from starters import web_auth, web_calendar, web_links, web_listing
from starters.projects import act, list_projects, status, visibility_query
from starters.web import get_services
from starters.web_auth import Me
from starters.web_common import (
    command_for,
    form_fields,
    guarded,
    human_duration,
    local_path,
    overdue_by,
    page,
    redirect,
)

router = APIRouter(include_in_schema=False)
router.include_router(web_auth.router)
router.include_router(web_links.router)
router.include_router(web_calendar.router)

STATES = ("active", "completed", "cancelled", "failed", "terminated")


@router.get("/", response_class=HTMLResponse)
@guarded
async def board(request: Request, me: Me, playbook: str = "", owner: str = ""):
    services = get_services(request)
    query = visibility_query(playbook=playbook.strip() or None, owner=owner.strip() or None)
    rows = await list_projects(services.client, query)
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
@guarded
async def project(request: Request, workflow_id: str, me: Me):
    services = get_services(request)
    current = await status(services.client, workflow_id)
    now = datetime.now(UTC)
    return page(
        request,
        "project.html",
        p=current,
        steps=[timeline_row(current, step, me.id, now) for step in current.steps],
        log=list(reversed(current.log)),
        waiting=waiting_on(current),
        workflow_url=services.settings.workflow_url(current.workflow_id),
    )


def timeline_row(current: ProjectStatus, step: StepStatus, me: str, now: datetime) -> dict:
    """One step as the timeline shows it: plan (due) against actual (finished)."""
    late = None
    if step.finished_at and step.due and step.finished_at > step.due:
        late = human_duration(step.finished_at - step.due)
    waiting_on_me = step.state == "active" and current.state == "active"
    if step.kind == "approval":
        waiting_on_me = waiting_on_me and me in step.pending_approvers()
    else:
        waiting_on_me = waiting_on_me and me in step.owners
    return {
        "s": step,
        "late_by": late,
        "overdue_by": overdue_by(step.due, now) if step.state == "active" else None,
        "mine": waiting_on_me,
    }


@router.get("/tasks", response_class=HTMLResponse)
@guarded
async def my_tasks(request: Request, me: Me):
    services = get_services(request)
    found = await web_listing.tasks(services.client, me.id)
    return page(
        request,
        "tasks.html",
        tasks=found,
        now=datetime.now(UTC),
        calendar_url=web_calendar.feed_url(services.settings, me),
    )


@router.post("/tasks/act")
@guarded
async def act_on_task(request: Request, me: Me):
    """A button on "my tasks" or a project page: the same update as `baton complete`,
    `review` or `choose`, with the signed-in person as the actor."""
    fields = await form_fields(request)
    back = local_path(fields.get("back"), "/tasks")
    workflow_id, step_id = fields.get("workflow_id", ""), fields.get("step_id", "")
    if not workflow_id or not step_id:
        return redirect(back, "That form was incomplete; nothing was sent.", ok=False)
    try:
        command = command_for(fields.get("action", ""), step_id, me.id, fields)
    except ValueError as error:
        return redirect(back, f"Nothing was sent: {error}.", ok=False)
    try:
        result = await act(get_services(request).client, workflow_id, command)
    except Refused as refused:
        return redirect(back, f"Baton refused: {refused.reason}", ok=False)
    return redirect(back, result.message)


@router.get("/inbox", response_class=HTMLResponse)
@guarded
async def inbox(request: Request, me: Me):
    messages = await OutboxRepo(get_services(request).pool).mailbox(me.id)
    return page(request, "inbox.html", messages=messages[:200], total=len(messages))


@router.post("/inbox/read")
@guarded
async def mark_read(request: Request, me: Me):
    count = await OutboxRepo(get_services(request).pool).mark_read(me.id)
    return redirect("/inbox", f"Marked {count} message{'s' if count != 1 else ''} read.")
