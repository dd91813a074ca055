"""My tasks and the inbox as a person reads them: a task's instructions rendered from the
playbook's markdown, its due, who came before it (by name, with when they finished) and
who comes next; the inbox's messages in their HTML version, sanitised, under the
project's name."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

from baton.contract import StartProject
from baton.store.outbox import OutboxMessage, insert_messages
from baton.store.playbooks import PlaybookRepo
from starters.client import projects
from starters.web.dashboard.pages import due_in, safe_message_html
from tests.web.conftest import csrf_of, eventually

PLAYBOOK = """
id: howto-post
name: How-to post
launch: publish date
roles: {strategist: Content strategist, writer: Blog writer}
steps:
  - id: idea
    name: Generate idea
    owner: strategist
    due: -20d
    instructions: |
      Pick **one** idea:
      - from the backlog
      - or a [trend](https://example.com/trends)
  - id: outline
    name: Write the outline
    owner: writer
    after: [idea]
    due: -10d
    instructions: Keep it to *five* headings.
  - {id: publish, name: Publish, owner: writer, after: [outline], due: 0d}
"""


async def start_howto(site, name: str) -> str:
    """A project of the how-to playbook (sam has the idea, alice writes); its workflow id
    once its first step is handed out."""
    await PlaybookRepo(site.services.pool).publish(PLAYBOOK)
    request = StartProject(
        playbook="howto-post",
        name=name,
        slug=f"howto-{uuid.uuid4().hex[:10]}",
        launch_date=(datetime.now(UTC) + timedelta(days=40)).date(),
        assignments={"strategist": "sam", "writer": "alice"},
        project_manager="pat",
    )
    client = site.services.client
    handle = await projects.start_project(client, request, site.settings.task_queue)
    site.started.append(handle)
    await eventually(lambda: first_step(site, handle.id), lambda state: state == "active")
    return handle.id


async def first_step(site, workflow_id: str) -> str | None:
    """The first step's state; None while the project is still starting."""
    try:
        return (await site.status(workflow_id)).steps[0].state
    except projects.StillStarting:
        return None


def task_html(page: str, workflow_id: str, step_id: str) -> str:
    """One task's card on "my tasks"."""
    start = page.index(f'id="task-{workflow_id}-{step_id}"')
    return page[start : page.index("</article>", start)]


def shown(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_a_task_shows_its_instructions_due_and_who_comes_before_and_after(site):
    name = f"How-to {uuid.uuid4().hex[:6]}"
    wid = await start_howto(site, name)
    async with site.http("sam") as sam:
        page = await eventually(lambda: sam.get("/tasks"), lambda r: wid in r.text)
        idea = task_html(page.text, wid, "idea")
        assert "Pick <strong>one</strong> idea:" in idea  # markdown, rendered
        assert "<li>from the backlog</li>" in idea
        assert '<a href="https://example.com/trends" rel="noopener noreferrer">trend</a>' in idea
        text = shown(idea)
        assert re.search(r"Due \w{3} \d{4}-\d\d-\d\d 17:00 UTC in (19|20) days", text), text
        assert "Before Nothing: this is where the project begins." in text
        assert "After Write the outline Alice Writer" in text  # a name, not an id
        assert 'name="note"' in idea and "Complete" in idea

        response = await sam.post(
            "/tasks/act",
            data={
                "workflow_id": wid,
                "step_id": "idea",
                "action": "complete",
                "note": "AI for <small> teams",
                "csrf": csrf_of(page.text),
            },
        )
        assert response.status_code == 303
    async with site.http("alice") as alice:
        page = await eventually(
            lambda: alice.get("/tasks"), lambda r: f"task-{wid}-outline" in r.text
        )
        outline = task_html(page.text, wid, "outline")
        assert "Keep it to <em>five</em> headings." in outline
        text = shown(outline)
        assert re.search(
            r"Before Generate idea by Sam Strategist, finished \w{3} \d{4}-\d\d-\d\d \d\d:\d\d",
            text,
        ), text
        assert "“AI for &lt;small&gt; teams”" in outline  # the note travels, escaped
        assert "After Publish Alice Writer" in text


def test_due_in_says_how_far_off_in_words():
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    assert due_in(now + timedelta(days=2, hours=3), now) == "in 2 days"
    assert due_in(now + timedelta(hours=30), now) == "in 30 hours"
    assert due_in(now + timedelta(minutes=20), now) == "in 20 minutes"
    assert due_in(now - timedelta(hours=3), now) == "overdue by 3h"
    assert due_in(None, now) is None


def test_the_sanitiser_keeps_text_and_safe_links_only():
    html = (
        '<html><head><title>Subject</title><style>p{color:red}</style></head><body style="x">'
        '<h1>Your turn</h1><p onclick="steal()">Hi <b>Sam</b>, '
        '<a href="javascript:alert(1)">click</a> or <a href="https://baton.example/act/t">'
        'approve</a> or <a href="mailto:pat@example.com">mail</a>.</p>'
        '<script>alert("x")</script><img src="https://tracker.example/p.gif">'
        '<table role="presentation"><tr><td style="color:red">Project</td></tr></table>'
        "</body></html>"
    )
    clean = str(safe_message_html(html))
    for gone in ("<script", "alert", "onclick", "javascript:", "style", "<img", "Subject"):
        assert gone not in clean, gone
    assert "<h2>Your turn</h2>" in clean  # under the page's own h1
    assert '<p>Hi <b>Sam</b>, <a rel="noopener">click</a>' in clean
    assert '<a href="https://baton.example/act/t" rel="noopener">approve</a>' in clean
    assert '<a href="mailto:pat@example.com" rel="noopener">mail</a>' in clean
    assert "<td>Project</td>" in clean


async def test_the_inbox_shows_html_messages_sanitised_under_the_project_s_name(site):
    name = f"Inbox <post> {uuid.uuid4().hex[:6]}"
    wid = await start_howto(site, name)
    sign_in = OutboxMessage(
        idempotency_key=f"sign-in-{uuid.uuid4()}",
        workflow_id="",  # a sign-in link is about no project
        transition=0,
        kind="sign_in",
        recipient="sam",
        channel="mailbox",
        subject="Your sign-in link",
        body_text="Sign in: https://baton.example/login/link/abc",
        body_html=(
            '<p style="color:red" onclick="steal()">Sign in with '
            '<a href="https://baton.example/login/link/abc">this link</a>.</p>'
            "<script>steal()</script>"
        ),
    )
    async with site.services.pool.connection() as conn:
        await insert_messages(conn, [sign_in])
    async with site.http("sam") as sam:
        page = await eventually(lambda: sam.get("/inbox"), lambda r: "Your turn" in r.text)
        rows = page.text.split('<tr class="')[1:]  # the messages' own tables have no class
        mine = [row for row in rows if f'href="/projects/{wid}"' in row]
        assert mine and all("Inbox &lt;post&gt;" in row for row in mine)  # its name, escaped
        assigned = next(row for row in mine if "Your turn" in row)
        assert '<div class="message-html">' in assigned  # the message's HTML version
        assert "How to do it" in shown(assigned)
        assert "<strong>one</strong>" in assigned  # its instructions, kept as markup
        assert "style=" not in assigned  # the message's own styles are dropped

        link = next(row for row in rows if "Your sign-in link" in row)
        assert '<a href="https://baton.example/login/link/abc" rel="noopener">this link</a>' in link
        assert "/projects/" not in link  # about no project: nothing to link to
        assert "steal" not in page.text and "style=" not in link
