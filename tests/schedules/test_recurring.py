"""Recurring projects: a weekly newsletter as a Temporal Schedule.

The RecurringProject workflow runs on the time-skipping test server; Schedules (which
that server does not support) on a real `temporal server start-dev`; the cadence grammar
and the CLI's refusals without any server."""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import (
    Client,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.catalog import MemoryCatalog
from activities.recorders import MemoryRecorder
from baton.errors import NotFound, Refused
from baton.playbook import find_playbook
from baton.recurring import CadenceError, Occurrence, RecurringSpec, parse_cron, parse_every
from baton.schedule import zone
from starters.client import projects, schedules
from tests import pg
from tests.shared_worker import worker_on_shared_server
from tests.workflow.conftest import (  # noqa: F401 - env is a fixture
    TEAM_DIRECTORY,
    env,
    project_worker,
)
from workflows.recurring import RecurringProject

BATON = str(Path(sys.executable).parent / "baton")
ROOT = Path(__file__).resolve().parents[2]
TEAM = {"editor": "eve", "writer": "walt", "partnerships": "pia", "email": "em", "manager": "max"}
BERLIN = "Europe/Berlin"


def newsletter(**fields) -> RecurringSpec:
    values = {
        "playbook": "newsletter",
        "name": "Weekly newsletter",
        "slug": f"nl-{uuid.uuid4().hex[:6]}",
        "timezone": BERLIN,
        "assignments": TEAM,
        "project_manager": "pat",
        "inputs": {"sponsored": True},
        "lead_days": 10,
    }
    return RecurringSpec(**(values | fields))


async def project_status(client: Client, workflow_id: str):
    for _ in range(100):
        try:
            return await projects.status(client, workflow_id)
        except (projects.StillStarting, NotFound):
            await asyncio.sleep(0.1)
    return await projects.status(client, workflow_id)


# -- the workflow each occurrence runs (time-skipping server)


async def test_an_occurrence_starts_the_project_launching_lead_days_later(env):  # noqa: F811
    spec = newsletter()
    async with project_worker(env, "newsletter") as (queue, _):
        first = await env.client.start_workflow(
            RecurringProject.run, spec, id=f"recurring-{spec.slug}-1", task_queue=queue
        )
        result = await first.result()
        occurred = (await first.describe()).start_time.astimezone(zone(BERLIN)).date()
        launch = occurred + timedelta(days=10)
        project_id = f"project-{spec.slug}-{launch}"
        assert result == Occurrence(workflow_id=project_id, launch_date=launch, started=True)
        started = await project_status(env.client, project_id)
        assert started.name == f"Weekly newsletter {launch}" and started.launch_date == launch
        assert started.assignments == TEAM and started.project_manager == "pat"
        assert started.timezone == BERLIN and started.inputs["sponsored"] is True
        assert started.step("plan").state == "active"
        project = env.client.get_workflow_handle(project_id)
        running = await project.describe()  # it outlives the occurrence that started it
        assert running.status == WorkflowExecutionStatus.RUNNING

        again = await env.client.execute_workflow(
            RecurringProject.run, spec, id=f"recurring-{spec.slug}-2", task_queue=queue
        )
        assert again == Occurrence(workflow_id=project_id, launch_date=launch, started=False)
        assert (await project.describe()).run_id == running.run_id  # still the one project
        await project.terminate(reason="test finished")

    replayer = Replayer(workflows=[RecurringProject], data_converter=pydantic_data_converter)
    replayed = await replayer.replay_workflow(await first.fetch_history())
    assert replayed.replay_failure is None  # deterministic


# -- Schedules on a real dev server


@pytest.fixture(scope="module")
def dev_server(temporal):
    """The session's dev server (tests/conftest.py): its address."""
    return temporal.client.service_client.config.target_host


@pytest.fixture(scope="module")
async def scheduled(dev_server):
    """A client of the dev server and a worker with the newsletter playbook."""
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    queue = f"schedules-{uuid.uuid4().hex[:6]}"
    catalog = MemoryCatalog(find_playbook("newsletter"), TEAM_DIRECTORY)
    async with worker_on_shared_server(client, queue, catalog, MemoryRecorder()):
        yield client, queue


async def test_a_weekly_schedule_starts_a_project_when_triggered(scheduled):
    client, queue = scheduled
    spec = newsletter()
    row = await schedules.create_schedule(client, spec, task_queue=queue, every="weekly on Tue")
    assert row.schedule_id == f"schedule-{spec.slug}"
    assert (row.playbook, row.cadence, row.paused) == (
        "newsletter",
        "weekly on Tue at 09:00",
        False,
    )
    next_run = row.next_runs[0].astimezone(zone(BERLIN))
    assert (next_run.strftime("%a %H:%M"), next_run > datetime.now(UTC)) == ("Tue 09:00", True)

    await schedules.trigger_schedule(client, spec.slug)  # as if Tuesday had come
    today = datetime.now(UTC).astimezone(zone(BERLIN)).date()
    launch = today + timedelta(days=10)
    started = await project_status(client, f"project-{spec.slug}-{launch}")
    assert started.name == f"Weekly newsletter {launch}" and started.launch_date == launch
    assert started.assignments == TEAM and started.timezone == BERLIN

    # A missed Tuesday, made up with a backfill: the project counts from that Tuesday.
    tuesday = today - timedelta(days=(today.weekday() - 1) % 7 or 7)
    nine = datetime(tuesday.year, tuesday.month, tuesday.day, 9, tzinfo=zone(BERLIN))
    handle = client.get_schedule_handle(row.schedule_id)
    minute = timedelta(minutes=1)
    await handle.backfill(
        ScheduleBackfill(nine - minute, nine + minute, ScheduleOverlapPolicy.ALLOW_ALL)
    )
    made_up = await project_status(client, f"project-{spec.slug}-{tuesday + timedelta(days=10)}")
    assert made_up.launch_date == tuesday + timedelta(days=10)

    for _ in range(50):  # the listing is eventually consistent
        listed = {r.schedule_id: r for r in await schedules.list_schedules(client)}
        if row.schedule_id in listed and listed[row.schedule_id].recent_runs:
            break
        await asyncio.sleep(0.2)
    assert listed[row.schedule_id].recent_runs[0].startswith(f"recurring-{spec.slug}-")

    with pytest.raises(Refused, match=f"'schedule-{spec.slug}' already exists"):
        await schedules.create_schedule(client, spec, task_queue=queue, cron="0 9 * * 2")


async def test_pause_resume_and_delete(scheduled):
    client, queue = scheduled
    spec = newsletter(name="Monthly report")
    row = await schedules.create_schedule(client, spec, task_queue=queue, cron="30 8 1 * *")
    assert row.cadence == "cron 30 8 1 * *"
    first = row.next_runs[0].astimezone(zone(BERLIN))
    assert (first.day, first.hour, first.minute) == (1, 8, 30)

    paused = await schedules.pause_schedule(client, spec.slug, note="summer break")
    assert (paused.schedule_id, paused.paused, paused.note) == (
        row.schedule_id,
        True,
        "summer break",
    )
    for _ in range(50):  # the listing is eventually consistent
        listed = {r.schedule_id: r for r in await schedules.list_schedules(client)}
        if row.schedule_id in listed:
            break
        await asyncio.sleep(0.2)
    assert (listed[row.schedule_id].paused, listed[row.schedule_id].note) == (True, "summer break")
    resumed = await schedules.resume_schedule(client, row.schedule_id)
    assert (resumed.paused, resumed.note) == (False, "resumed")

    await schedules.delete_schedule(client, row.schedule_id)
    with pytest.raises(NotFound, match=f"no schedule '{row.schedule_id}'"):
        await schedules.describe_schedule(client, row.schedule_id)
    with pytest.raises(NotFound, match="`baton schedule list` lists them"):
        await schedules.pause_schedule(client, "no-such-schedule")


# -- the cadence people write


@pytest.mark.parametrize(
    ("every", "cron", "text"),
    [
        ("daily", "0 9 * * *", "daily at 09:00"),
        ("weekly on Tue", "0 9 * * 2", "weekly on Tue at 09:00"),
        ("Weekly on mon,thu at 16:30", "30 16 * * 1,4", "weekly on Mon, Thu at 16:30"),
        ("weekly on friday and monday", "0 9 * * 5,1", "weekly on Fri, Mon at 09:00"),
        ("monthly on 1", "0 9 1 * *", "monthly on 1 at 09:00"),
        ("monthly on 1st, 15th at 7:05", "5 7 1,15 * *", "monthly on 1,15 at 07:05"),
    ],
)
def test_every_reads_like_people_write(every, cron, text):
    assert (parse_every(every).cron, parse_every(every).text) == (cron, text)


@pytest.mark.parametrize(
    ("every", "says"),
    [
        ("fortnightly", 'is not a cadence; write "daily", "weekly on Tue"'),
        ("weekly", "say which day, like 'weekly on Tue'"),
        ("weekly on tu", "'tu' is not a weekday; write a name or its first three letters"),
        ("monthly on 31", "write 1 to 28 (for later days use --cron"),
        ("daily at 9pm", "'at 9pm' is not a time of day; write 24-hour HH:MM"),
        ("daily on mon", "'daily' takes no 'on'; for some days write 'weekly on mon'"),
    ],
)
def test_a_cadence_that_cannot_be_read_says_how_to_write_it(every, says):
    with pytest.raises(CadenceError) as error:
        parse_every(every)
    assert says in str(error.value) and str(error.value).startswith(f"--every {every!r}")


def test_cron_passes_through_when_it_has_five_valid_fields():
    assert parse_cron("0 9 * * 2").cron == "0 9 * * 2"
    assert parse_cron(" */15  9-17 * *  mon-fri ").cron == "*/15 9-17 * * mon-fri"
    with pytest.raises(CadenceError, match="has 4 field\\(s\\); write five: minute hour"):
        parse_cron("0 9 * *")
    with pytest.raises(CadenceError, match="the hour field '24' is not valid; use numbers 0-23"):
        parse_cron("0 24 * * *")
    with pytest.raises(ValueError, match=r"one of --every .* or --cron"):
        schedules.cadence_of(every="daily", cron="0 9 * * *")


# -- the CLI refuses a bad schedule before creating anything


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    env_ = {**os.environ, "DATABASE_URL": pg.create_database(), "TEMPORAL_ADDRESS": "127.0.0.1:1"}
    published = baton(env_, "playbook", "publish", str(ROOT / "playbooks" / "newsletter.yaml"))
    assert published.returncode == 0, published.stderr
    team = tmp_path_factory.mktemp("people") / "team.yaml"  # everyone named must be known
    team.write_text("".join(f"{who}: {{}}\n" for who in ["pat", *TEAM.values()]))
    imported = baton(env_, "people", "import", str(team))
    assert imported.returncode == 0, imported.stderr
    return env_


def baton(env_, *args):
    result = subprocess.run([BATON, *args], env=env_, capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in result.stdout + result.stderr
    return result


CREATE = ["schedule", "create", "--playbook", "newsletter", "--name", "Weekly newsletter",
          "--pm", "pat"]  # fmt: skip
FULL_TEAM = [arg for role, person in TEAM.items() for arg in ("--assign", f"{role}={person}")]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--every", "weekly on tu", *FULL_TEAM], "--every 'weekly on tu': 'tu' is not a weekday"),
        (["--cron", "0 9 * *", *FULL_TEAM], "--cron '0 9 * *' has 4 field(s); write five"),
        (FULL_TEAM, "say when the project recurs with one of --every"),
        (["--every", "daily", "--lead", "3h", *FULL_TEAM], "--lead '3h': write whole days"),
        (["--every", "daily", "--timezone", "Mars/Base", *FULL_TEAM], "unknown time zone"),
        (
            ["--every", "daily", "--assign", "editor=eve"],
            "assign someone to every role of 'newsletter'; missing: writer",
        ),
    ],
)
def test_schedule_create_refuses_clearly(cli_env, args, says):
    result = baton(cli_env, *CREATE, *args)
    assert result.returncode == 1
    assert says in " ".join(result.stderr.split())


def test_schedule_create_refuses_an_unknown_playbook(cli_env):
    args = ["schedule", "create", "--playbook", "newsleter", "--name", "N", "--pm", "pat"]
    result = baton(cli_env, *args, "--every", "daily")
    assert result.returncode == 1 and "newsleter" in result.stderr


def test_schedule_commands_through_the_cli(cli_env, dev_server):
    env_ = {**cli_env, "TEMPORAL_ADDRESS": dev_server, "BATON_TASK_QUEUE": "cli-schedules"}
    created = baton(env_, *CREATE, "--every", "weekly on Tue at 10:00", "--lead", "2w",
                    "--slug", "cli-news", "--timezone", BERLIN, *FULL_TEAM)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "schedule-cli-news" in created.stdout and "weekly on Tue at 10:00" in created.stdout
    assert "launches 14 day(s) after its occurrence" in created.stdout
    paused = baton(env_, "schedule", "pause", "cli-news", "--note", "holidays")
    assert paused.returncode == 0 and "Paused schedule-cli-news: holidays" in paused.stdout
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the listing is eventually consistent
        rows = json.loads(baton(env_, "schedule", "list", "--json").stdout)
        if any(r["schedule_id"] == "schedule-cli-news" for r in rows):
            break
        time.sleep(0.3)
    row = next(r for r in rows if r["schedule_id"] == "schedule-cli-news")
    assert (row["paused"], row["note"], row["lead_days"]) == (True, "holidays", 14)
    assert baton(env_, "schedule", "delete", "schedule-cli-news").returncode == 0
    gone = baton(env_, "schedule", "resume", "cli-news")
    assert gone.returncode == 1
    assert "no schedule 'schedule-cli-news'; `baton schedule list` lists them" in gone.stderr
