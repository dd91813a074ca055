"""Issue 11: every time in the viewer's own zone and labelled; conditional work reads as
conditional; URLs never hard-wrapped; `projects` filters that explain themselves; a
follow-up that stands for earlier ones says so.

The pure parts run on the state machine and the message renderer; the CLI parts run the
real `baton` command (operator mode) against the session's Temporal dev server, a real
worker and a PostgreSQL database, in an 80-column terminal."""

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from activities.messages import LinkSigner, compose
from activities.postgres import PostgresCatalog, PostgresRecorder
from activities.recorders import EffectsBatch
from baton.contract import ChooseOption, CompleteStep, StartProject
from baton.people import Person
from baton.playbook import BUNDLED_DIR, find_playbook, playbook_from_data
from baton.state import advance, apply, start_project
from baton.store.database import open_pool
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import url_lines, when
from starters.client import projects
from tests import pg
from tests.shared_worker import worker_on_shared_server

BATON = str(Path(sys.executable).parent / "baton")
NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# ---------------------------------------------------------------------------- one formatter


def test_an_instant_reads_in_the_zone_asked_for_with_its_abbreviation():
    instant = utc(11, 15, 16)
    assert when(instant, BERLIN) == "Sun 2026-11-15 17:00 CET"
    assert when(instant, NEW_YORK) == "Sun 2026-11-15 11:00 EST"
    assert when(utc(7, 1, 16), NEW_YORK) == "Wed 2026-07-01 12:00 EDT"
    assert when(instant) == "Sun 2026-11-15 16:00 UTC"


# ---------------------------------------------------------------------------- conditions

CHANNEL_PLAYBOOK = {
    "id": "channel-campaign",
    "name": "Channel campaign",
    "reminders": [],
    "escalation": {"max": 0},
    "inputs": {"include_video": {"description": "Cut a teaser video", "default": False}},
    "roles": {"lead": "Lead", "maker": "Maker"},
    "steps": [
        {"id": "channel-choice", "name": "Choose the channel", "kind": "decision",
         "owner": "lead", "options": ["video", "organic"], "due": "-10d"},
        {"id": "video", "name": "Shoot the video", "owner": "maker",
         "when": {"step": "channel-choice", "option": "video"}, "due": "-5d"},
        {"id": "posts", "name": "Write organic posts", "owner": "maker",
         "when": {"step": "channel-choice", "option": "organic"}, "due": "-5d"},
        {"id": "teaser", "name": "Cut a teaser", "owner": "maker", "after": ["channel-choice"],
         "when": {"input": "include_video"}, "due": "-4d"},
        {"id": "launch", "name": "Launch", "owner": "lead",
         "after": ["video", "posts", "teaser"], "due": "0d"},
    ],
}  # fmt: skip


def test_a_step_decided_against_reads_wont_run_and_every_condition_is_shown():
    playbook = playbook_from_data(CHANNEL_PLAYBOOK)
    request = StartProject(
        playbook=playbook.id,
        name="Winter campaign",
        launch_date=date(2026, 12, 15),
        assignments={"lead": "lea", "maker": "max"},
        project_manager="lea",
    )
    project = start_project(request, playbook, {}, utc(11, 10, 9)).project
    before = project.status()
    assert before.step("video").condition == "if 'channel-choice' is video"
    assert before.step("posts").condition == "if 'channel-choice' is organic"
    assert before.step("teaser").condition == "if include_video"
    assert before.step("launch").condition is None
    # Nothing is decided yet but the input: the teaser won't run from the start.
    assert before.step("video").wont_run is None
    assert before.step("teaser").wont_run == "include_video is off"

    chosen = apply(
        project,
        ChooseOption(step_id="channel-choice", actor="lea", option="organic"),
        utc(11, 11, 9),
    ).project.status()
    assert chosen.step("video").wont_run == "organic chosen"
    assert chosen.step("video").state == "skipped"  # the skip rule is as it was
    assert chosen.step("posts").wont_run is None and chosen.step("posts").state == "active"
    # The state keeps neither: they are worked out when the status is asked for.
    assert project.step("video").condition is None


# ---------------------------------------------------------------------------- collapsed follow-ups


def weekend_follow_ups(after: str) -> tuple[list, dict]:
    """A step due Friday 20 Nov 17:00 UTC whose follow-ups all fall in quiet hours, the
    clock run to Monday noon: the entries, and the messages as the worker renders them."""
    playbook = playbook_from_data(
        {
            "id": "late-work",
            "name": "Late work",
            "reminders": [],
            "escalation": {"after": after, "repeat": "12h", "max": 3},
            "roles": {"doer": "Doer"},
            "steps": [{"id": "work", "name": "Do the work", "owner": "doer", "due": "0d"}],
        }
    )
    people = {"ann": Person(id="ann", name="Ann"), "pat": Person(id="pat", name="Pat")}
    request = StartProject(
        playbook=playbook.id,
        name="Late work",
        launch_date=date(2026, 11, 20),
        assignments={"doer": "ann"},
        project_manager="pat",
    )
    project = start_project(request, playbook, people, utc(11, 16, 9)).project
    moved = advance(project, utc(11, 23, 12))
    batch = EffectsBatch.of(request.workflow_id, moved.project, moved.entries)
    signer = LinkSigner(secret=b"a test secret of enough length!!", public_url="http://b.test")
    rendered = compose(batch, people, playbook, signer, set(), now=utc(11, 23, 12))
    return moved.entries, {(m.kind, m.recipient): m for m in rendered}


def test_a_follow_up_that_stands_for_earlier_ones_says_which_and_why():
    # Sat 05:00, Sat 17:00 and Sun 05:00 all wait for Monday 09:00: one message goes.
    entries, messages = weekend_follow_ups("12h")
    sent = [(e.at, e.type, e.recipient, e.detail) for e in entries if e.recipient]
    assert sent == [
        (utc(11, 23, 9), "follow_up", "ann",
         "follow-up 3 of 3; the first two fell on the weekend and go out as this one"),
        (utc(11, 23, 9), "escalated", "pat",
         "follow-up 3 of 3; the 2nd fell on the weekend and goes out as this one"),
    ]  # fmt: skip
    text = messages[("follow_up", "ann")].body_text
    assert (
        "is not done yet (follow-up 3 of 3; the first two fell on the weekend and go out "
        "as this one)" in " ".join(text.split())
    )


def test_a_follow_up_held_overnight_and_over_the_weekend_says_both():
    # Fri 21:00 (after hours), Sat 09:00 and Sat 21:00 (weekend) wait for Monday 09:00.
    entries, _ = weekend_follow_ups("4h")
    follow_up = next(e for e in entries if e.type == "follow_up")
    assert follow_up.detail == (
        "follow-up 3 of 3; the first two fell outside working hours and on the weekend "
        "and go out as this one"
    )


# ---------------------------------------------------------------------------- URLs


def test_a_long_url_stands_on_a_line_of_its_own_and_short_lines_stay_as_they_are():
    url = "http://localhost:8000/act/" + "x" * 120
    assert url_lines(f"Mark as done: {url}", 80) == [("Mark as done:", False), (url, True)]
    assert url_lines("See http://a.example", 80) == [("See http://a.example", True)]
    assert url_lines("no address here", 80) == [("no address here", False)]


# ---------------------------------------------------------------------------- the CLI

TEAM = {
    "nyla": Person(id="nyla", name="Nyla", timezone=NEW_YORK),
    **{p: Person(id=p, name=p.title()) for p in ("pat", "sam", "alice", "dana", "sol", "stu")},
}
LONG_UI = "http://temporal-web-ui.internal.example.com:8233"


@pytest.fixture(scope="module")
async def cli(temporal, tmp_path_factory):
    """Run `baton` (operator mode: Temporal and PostgreSQL directly) in an 80-column
    terminal, with a worker for it and a team where Nyla lives in New York."""
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    await PeopleRepo(pool).replace_all_or_nothing(TEAM.values())
    for playbook in ("blog-post", "social-campaign"):
        await PlaybookRepo(pool).publish((BUNDLED_DIR / f"{playbook}.yaml").read_text())
    queue = f"times-{uuid.uuid4().hex[:8]}"
    signer = LinkSigner(secret=b"a cli test secret of enough length", public_url="http://b.test")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "BATON_TASK_QUEUE": queue,
        "TEMPORAL_UI_URL": LONG_UI,
        "BATON_HOME": str(tmp_path_factory.mktemp("baton-home")),
        "BATON_USER": "",
        "COLUMNS": "80",
    }
    env.pop("BATON_TOKEN", None)

    async def run(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
        wide = {**env, "COLUMNS": str(columns)}
        result = await asyncio.to_thread(
            subprocess.run, [BATON, *args], env=wide, capture_output=True, text=True, timeout=120
        )
        assert "Traceback" not in result.stdout + result.stderr
        return result

    async def start(playbook: str, assignments: dict[str, str], **fields) -> str:
        request = StartProject(
            playbook=playbook,
            name=f"Times {uuid.uuid4().hex[:6]}",
            slug=f"times-{uuid.uuid4().hex[:8]}",
            launch_date=(datetime.now(UTC) + timedelta(days=60)).date(),
            timezone=BERLIN,
            assignments=assignments,
            project_manager="pat",
            **fields,
        )
        handle = await projects.start_project(temporal.client, request, queue)
        for _ in range(100):
            try:
                await projects.status(temporal.client, handle.id)
                return request.project_slug
            except projects.StillStarting:
                await asyncio.sleep(0.1)
        raise AssertionError("the project never started")

    recorder = PostgresRecorder(pool, signer, set())
    try:
        catalog = PostgresCatalog(pool)
        async with worker_on_shared_server(temporal.client, queue, catalog, recorder):
            yield run, start, temporal.client, pool
    finally:
        await pool.close()
        pg.drop_database(url)


BLOG = {"strategist": "nyla", "seo": "sam", "writer": "alice", "designer": "dana",
        "social": "sol", "stakeholder": "stu"}  # fmt: skip
CAMPAIGN = {"strategist": "sam", "manager": "pat", "social": "sol", "content": "alice",
            "designer": "dana", "paid": "sol", "community": "sol", "finance": "stu"}  # fmt: skip


async def eventually(check, attempts: int = 60):
    """`check()`'s result once it is truthy (Temporal's visibility lags a moment)."""
    for _ in range(attempts):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.5)
    raise AssertionError("never true")


def step_rows(output: str, ids: list[str]) -> dict[str, str]:
    """`status`'s table as step id -> the text of its row (the id's line, the name's)."""
    rows: dict[str, str] = {}
    current = None
    for line in output.split("Waiting on", 1)[0].splitlines():
        first = line.split()[0] if line.strip() else ""
        if first in ids:
            current = first
            rows[current] = line.strip()
        elif current and line.strip():
            rows[current] += " " + line.strip()
    return rows


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


async def test_times_are_in_the_viewers_zone_or_else_the_projects_and_always_labelled(cli):
    run, start, client, _ = cli
    slug = await start("blog-post", BLOG)
    idea = (await projects.status(client, f"project-{slug}")).step("idea")
    in_new_york, in_berlin = when(idea.due, NEW_YORK), when(idea.due, BERLIN)
    assert re.search(r"E[SD]T$", in_new_york) and re.search(r"CES?T$", in_berlin)

    mine = await run("status", slug, "--as", "nyla")
    assert mine.returncode == 0, mine.stderr
    assert in_new_york in mine.stdout and in_berlin not in mine.stdout
    assert f"(nyla), due {in_new_york}" in " ".join(mine.stdout.split())  # waiting on
    anyone = await run("status", slug)  # nobody named: the project's zone
    assert in_berlin in anyone.stdout and in_new_york not in anyone.stdout

    tasks = await run("tasks", "nyla", "--as", "nyla")
    assert tasks.returncode == 0, tasks.stderr
    assert in_new_york in tasks.stdout
    assert in_berlin in (await run("tasks", "nyla")).stdout

    # The mailbox reads in its owner's zone, like the messages in it.
    inbox = await eventually(lambda: _output_with(run, slug, "inbox", "nyla"))
    stamps = re.findall(r"\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} (\w+)", inbox)
    assert stamps and set(stamps) <= {"EST", "EDT"}

    listed = await eventually(lambda: _output_with(run, slug, "projects", "--as", "nyla"))
    assert in_new_york in listed
    assert in_berlin in await eventually(lambda: _output_with(run, slug, "projects"))

    # What an action answers is in the actor's zone too: sam (Berlin) is next.
    done = await run("complete", slug, "idea", "--as", "nyla", columns=200)
    assert done.returncode == 0, done.stderr
    keywords = (await projects.status(client, f"project-{slug}")).step("keywords")
    assert f"(sam), due {when(keywords.due, NEW_YORK)}" in " ".join(done.stdout.split())


async def _output_with(run, text: str, *args: str) -> str | None:
    result = await run(*args, columns=200)
    assert result.returncode == 0, result.stderr
    return result.stdout if text in result.stdout else None


async def test_long_urls_in_inbox_and_status_stay_whole_on_a_line_of_their_own(cli):
    run, start, _, pool = cli
    slug = await start("blog-post", BLOG)

    async def assigned():
        rows = await OutboxRepo(pool).mailbox("nyla")
        return [r for r in rows if r.workflow_id == f"project-{slug}"]

    message = (await eventually(assigned))[0]
    urls = re.findall(r"https?://\S+", message.body_text)
    assert any(len(url) > 80 for url in urls)
    inbox = await run("inbox", "nyla")
    assert inbox.returncode == 0, inbox.stderr
    shown = lines(inbox.stdout)
    for url in urls:  # whole, and a long one on a line of its own
        assert url in shown if len(url) > 60 else any(url in line for line in shown), url

    status = await run("status", slug)
    temporal_url = f"{LONG_UI}/namespaces/default/workflows/project-{slug}"
    assert len(f"Temporal UI: {temporal_url}") > 80
    assert temporal_url in lines(status.stdout)


async def test_a_step_decided_against_reads_wont_run_in_status(cli):
    run, start, client, _ = cli
    slug = await start("social-campaign", CAMPAIGN)
    wid = f"project-{slug}"
    await projects.act(client, wid, CompleteStep(step_id="brief", actor="sam"))
    await projects.act(client, wid, ChooseOption(step_id="approach", actor="pat", option="organic"))

    data = json.loads((await run("status", slug, "--json")).stdout)
    steps = {step["id"]: step for step in data["steps"]}
    shown = await run("status", slug, columns=160)
    assert shown.returncode == 0, shown.stderr
    rows = step_rows(shown.stdout, list(steps))
    assert "won't run (organic chosen)" in rows["audience"]
    assert "won't run (include_video is off)" in rows["video"]
    assert "(if 'approach' is organic)" in rows["advocates"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", rows["audience"])  # no due date for it
    assert "sol" not in rows["audience"]  # nor an owner
    assert not re.search(r"\d+r/\d+f", shown.stdout)
    assert "alerts sent: reminders before the due time, follow-ups after it" in shown.stdout
    # In 80 columns the ids still read whole: they are typed back in commands.
    narrow = await run("status", slug)
    assert set(step_rows(narrow.stdout, list(steps))) == set(steps)

    assert steps["audience"]["wont_run"] == "organic chosen"
    assert steps["audience"]["condition"] == "if 'approach' is paid"
    assert steps["advocates"]["wont_run"] is None


async def test_projects_refuses_an_unknown_state_and_says_when_nothing_matches(cli):
    run, _, _, _ = cli
    bogus = await run("projects", "--state", "bogus")
    assert bogus.returncode == 1
    assert "--state 'bogus' is not a project state; use active|completed|cancelled" in " ".join(
        bogus.stderr.split()
    )
    empty = await run("projects", "--playbook", "no-such-playbook")
    assert empty.returncode == 0, empty.stderr
    assert "No projects match these filters." in empty.stdout


async def test_playbook_show_and_plan_list_conditions_and_inputs(cli):
    run, _, _, _ = cli
    shown = await run("playbook", "show", "social-campaign", columns=200)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "if 'approach' is paid" in text and "if include_video" in text
    assert "include_video │ false │ Make short-form videos" in text
    planned = await run(
        "playbook", "plan", str(BUNDLED_DIR / "social-campaign.yaml"), "--launch", "2027-03-15",
        columns=200,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    text = " ".join(planned.stdout.split())
    assert "Shoot and edit short-form videos (if include_video)" in text
    assert "Set up ads in the ads manager (if 'approach' is paid)" in text
    assert "include_video │ false" in text
    assert find_playbook("social-campaign").inputs  # what the table lists
