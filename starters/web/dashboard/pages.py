"""A person's own pages: "my tasks" with buttons (and what is coming up), and the
mailbox. Server-rendered, over the same workflow messages as the CLI and the API.

Each task shows what the playbook says to do (its markdown instructions, through the
same safe renderer as the messages), when it is due in the person's zone and how far
off that is, who came before and who comes next, by name. The inbox shows each
message's HTML version, sanitised here (`safe_message_html`): a message is HTML built
from what people typed, shown inside this site's pages."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import nh3
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from baton.errors import Invalid, NotFound, Refused
from baton.notify.markdown import render_markdown
from baton.store.outbox import OutboxRepo, OutboxRow
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.store.projects import ProjectRepo
from starters import client
from starters.client import TaskRow
from starters.client.insight import upcoming_for
from starters.web.dashboard.calendar import feed_url
from starters.web.dashboard.project_actions import names_of, said
from starters.web.dashboard.render import (
    command_for,
    local_path,
    overdue_by,
    page,
    redirect,
    session_form,
)
from starters.web.deps import Services, Viewer, get_services

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------------------- my tasks


@dataclass
class TaskCard:
    """A task as "my tasks" shows it: the row, its instructions as HTML, how far off
    its due is ("in 2 days", "overdue by 3h")."""

    task: TaskRow
    instructions: Markup
    due_in: str | None


def due_in(due: datetime | None, now: datetime) -> str | None:
    """ "in 2 days", "in 5 hours", "in 20 minutes"; "overdue by 3h" once past."""
    if due is None:
        return None
    late = overdue_by(due, now)
    if late:
        return f"overdue by {late}"
    left = due - now
    for unit, size in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
        count = round(left / size)
        if count >= 2:
            return f"in {count} {unit}s"
    minutes = max(round(left / timedelta(minutes=1)), 1)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


async def _instructions(pool, tasks: list[TaskRow]) -> dict[tuple[str, str], Markup]:
    """Each task's step instructions, rendered, by (workflow id, step id); a playbook
    version gone from the store gives none."""
    playbooks = {}
    found = {}
    for task in tasks:
        key = (task.playbook, task.playbook_version)
        if not task.playbook or not task.step_id:
            continue
        if key not in playbooks:
            try:
                playbooks[key], _ = await PlaybookRepo(pool).get(*key)
            except NotFound:
                playbooks[key] = None
        step = playbooks[key].by_id.get(task.step_id) if playbooks[key] else None
        if step is not None and step.instructions:
            found[(task.workflow_id, task.step_id)] = render_markdown(step.instructions)
    return found


async def _names(pool, ids: set[str]) -> dict[str, str]:
    """People's names by id (an id not in the directory stands for itself)."""
    people = await PeopleRepo(pool).get_many(sorted(ids))
    return {pid: people[pid].display_name if pid in people else pid for pid in ids}


def _people_in(tasks: list[TaskRow]) -> set[str]:
    return {pid for t in tasks for near in (*t.before, *t.after) for pid in near.people}


async def _task_cards(services: Services, tasks: list[TaskRow], now: datetime) -> list[TaskCard]:
    instructions = await _instructions(services.pool, tasks)
    return [
        TaskCard(
            task=t,
            instructions=instructions.get((t.workflow_id, t.step_id), Markup("")),
            due_in=due_in(t.due, now),
        )
        for t in tasks
    ]


@router.get("/tasks", response_class=HTMLResponse)
async def my_tasks(request: Request, me: Viewer):
    services = get_services(request)
    found = await client.tasks_for(services.client, me.id, services.pool)
    now = datetime.now(UTC)
    return page(
        request,
        "tasks.html",
        tasks=await _task_cards(services, found, now),
        names=await _names(services.pool, _people_in(found)),
        coming_up=await upcoming_for(services.pool, me.id),
        now=now,
        due_in=due_in,
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
        return redirect(back, f"Nothing was sent: {error.message}.", ok=False)
    services = get_services(request)
    try:
        result = await client.act(services.client, workflow_id, command)
    except Refused as refused:
        return redirect(back, f"Baton refused: {refused.reason}", ok=False)
    current = await client.status(services.client, workflow_id)
    return redirect(back, f"{current.name}: {said(result, await names_of(services), current)}")


# ---------------------------------------------------------------------------- the inbox

MESSAGE_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre", "a",
    "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "blockquote", "span", "div",
}  # fmt: skip
_HEADING = re.compile(r"<(/?)h([1-4])>")


def safe_message_html(html: str) -> Markup:
    """A message's HTML as this site may show it: only simple tags, links only to
    http(s) and mailto (rel=noopener), no attribute but a link's href (no style, no
    on... handler), no script, style, image or form. Its headings move one level down,
    under the page's own h1."""
    clean = nh3.clean(
        html,
        tags=MESSAGE_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )
    # nh3 writes a heading without attributes as <hN>: the page's own h1 stays the one.
    return Markup(_HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", clean.strip()))


@dataclass
class InboxEntry:
    message: OutboxRow
    html: Markup  # the sanitised HTML version (empty: show the text one)
    project: str | None  # the project's name; None for a message about no project


async def _project_names(pool, workflow_ids: set[str]) -> dict[str, str]:
    """Projects' names by workflow id, from the project index (an id it does not hold
    stands for itself)."""
    repo = ProjectRepo(pool)
    names = {}
    for workflow_id in sorted(workflow_ids):
        row = await repo.get(workflow_id)
        names[workflow_id] = row.name if row else workflow_id
    return names


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, me: Viewer):
    pool = get_services(request).pool
    messages = await OutboxRepo(pool).mailbox(me.id)
    shown = messages[:200]
    projects = await _project_names(pool, {m.workflow_id for m in shown if m.workflow_id})
    entries = [
        InboxEntry(
            message=m,
            html=safe_message_html(m.body_html) if m.body_html else Markup(""),
            project=projects.get(m.workflow_id) if m.workflow_id else None,
        )
        for m in shown
    ]
    return page(request, "inbox.html", entries=entries, total=len(messages))


@router.post("/inbox/read")
async def mark_read(request: Request, me: Viewer):
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    count = await OutboxRepo(get_services(request).pool).mark_read(me.id)
    return redirect("/inbox", f"Marked {count} message{'s' if count != 1 else ''} read.")
