"""The dashboard shows every time in the signed-in person's own zone, labelled, and
conditional work as conditional: a step decided against reads "won't run (organic
chosen)" instead of an owner and a due date."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from baton.contract import CancelProject, ChooseOption, CompleteStep, StartProject
from baton.people import Person
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from baton.wording import when
from starters.client import projects
from tests.web.conftest import BLOG_TEAM, eventually

NEW_YORK = "America/New_York"
STAMP = re.compile(r"\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} ([A-Z]{3,4})")


def text_of(html: str) -> str:
    """What a person reads: the page without its tags, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row(html: str, step_id: str) -> str:
    found = re.search(rf'<tr id="step-{re.escape(step_id)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {step_id}"
    return text_of(found.group(1))


@pytest.fixture(scope="module")
async def nyla(site):
    """Nyla, who works from New York, signed up with a token."""
    people = PeopleRepo(site.services.pool)
    await people.replace_all_or_nothing(
        [Person(id="nyla", name="Nyla York", email="nyla@example.com", timezone=NEW_YORK)]
    )
    site.tokens["nyla"], digest = new_token()
    await people.set_token_hash("nyla", digest)
    return "nyla"


async def test_every_page_shows_the_viewers_zone(site, nyla):
    request = StartProject(
        playbook="blog-post",
        name=f"Zones {uuid.uuid4().hex[:6]}",
        slug=f"web-zones-{uuid.uuid4().hex[:8]}",
        launch_date=(datetime.now(UTC) + timedelta(days=60)).date(),
        timezone="Europe/Berlin",
        assignments={**BLOG_TEAM, "strategist": nyla},
        project_manager="pat",
    )
    client = site.services.client
    site.started.append(await projects.start_project(client, request, site.settings.task_queue))
    wid = request.workflow_id
    current = await eventually(lambda: _started(site, wid), lambda s: s is not None)
    due = current.step("idea").due
    in_new_york, in_utc = when(due, NEW_YORK), when(due, "UTC")
    assert re.search(r"E[SD]T$", in_new_york)

    async with site.http(nyla) as mine, site.http("pat") as pats:
        tasks = text_of((await mine.get("/tasks")).text)
        assert in_new_york in tasks and "Times are shown in America/New_York" in tasks

        page = text_of((await mine.get(f"/projects/{wid}")).text)
        assert in_new_york in page and in_utc not in page
        # what the project waits on: the person by name, the due in their zone
        assert re.search(rf"Nyla York \(nyla\) ?, due {re.escape(in_new_york)}", page)
        stamps = set(STAMP.findall(page))
        assert stamps and stamps <= {"EST", "EDT"}, stamps  # the log too

        board = await eventually(lambda: mine.get("/"), lambda r: wid in r.text)
        assert in_new_york in text_of(board.text)

        inbox = await eventually(lambda: mine.get("/inbox"), lambda r: wid in r.text)
        assert set(STAMP.findall(text_of(inbox.text))) <= {"EST", "EDT"}

        # Pat (in UTC) sees the same instant in his own zone.
        theirs = text_of((await pats.get(f"/projects/{wid}")).text)
        assert in_utc in theirs and in_new_york not in theirs


async def _started(site, workflow_id: str):
    try:
        return await site.status(workflow_id)
    except projects.StillStarting:
        return None


async def test_the_timeline_reads_conditional_work_as_conditional(site):
    project = await site.start(playbook="social-campaign")
    client, wid = site.services.client, project.workflow_id
    await projects.act(client, wid, CompleteStep(step_id="brief", actor="sam"))
    await projects.act(client, wid, ChooseOption(step_id="approach", actor="pat", option="organic"))
    async with site.http("pat") as pat:
        html = (await pat.get(f"/projects/{wid}")).text
    audience = row(html, "audience")
    assert "won't run (organic chosen)" in audience
    assert "if 'approach' is paid" in audience
    assert not STAMP.search(audience) and "sol" not in audience  # no due, no owner
    assert "won't run (include_video is off)" in row(html, "video")
    advocates = row(html, "advocates")
    assert "if 'approach' is organic" in advocates and "won't run" not in advocates
    assert STAMP.search(advocates)

    await projects.act(client, wid, CancelProject(actor="pat", reason="budget cut"))
    async with site.http("pat") as pat:
        html = (await pat.get(f"/projects/{wid}")).text
    assert "cancelled" in row(html, "copy")  # the lead's cancel: unfinished steps stop
    assert "won't run (organic chosen)" in row(html, "audience")
