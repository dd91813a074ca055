"""A person's own pages: "my tasks" with buttons (and what is coming up), and the
mailbox. Server-rendered, over the same workflow messages as the CLI and the API."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.errors import Invalid, Refused
from baton.store.outbox import OutboxRepo
from starters import client
from starters.client.insight import upcoming_for
from starters.web.dashboard.calendar import feed_url
from starters.web.dashboard.render import command_for, local_path, page, redirect, session_form
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)


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
