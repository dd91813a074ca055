"""Impossible dates are caught before a project is born late (issue 11, item 2).

A launch that leaves steps due in the past is refused by every way in with the reason
and the three ways on (a later launch, --compress, --allow-late); `--compress` spreads the
dues between now and the launch in the same order (on working days for a business-day
playbook) and tells the PM; `playbook plan` marks past and weekend dues; `schedule
create` refuses a lead shorter than the playbook's span; dates may be typed relative to
today. The pure rules first, then the real CLI on a real Temporal dev server, worker and
PostgreSQL."""

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

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from baton.contract import Reschedule, StartProject
from baton.errors import Invalid, Refused
from baton.people import Person
from baton.plan import compress_dues, offset_dues, plan_playbook, shortest_lead
from baton.playbook import BUNDLED_DIR, find_playbook
from baton.schedule import Calendar, parse_day, zone
from baton.state import apply, check, check_on_time, refuse, start_project
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from tests import pg
from tests.shared_worker import worker_on_shared_server
from tests.workflow.conftest import BLOG_TEAM

BATON = str(Path(sys.executable).parent / "baton")
ROOT = Path(__file__).resolve().parent.parent
BERLIN = "Europe/Berlin"
NEWSLETTER_TEAM = {
    "editor": "eve",
    "writer": "alice",
    "partnerships": "pia",
    "email": "em",
    "manager": "pat",
}
PEOPLE = sorted({"pat", *BLOG_TEAM.values(), *NEWSLETTER_TEAM.values()})
US_BUSINESS = Calendar(business=True, holidays="US")


# ---------------------------------------------------------------------- typed dates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("today", date(2026, 11, 27)),  # a Friday
        ("+45d", date(2027, 1, 11)),
        ("+6w", date(2027, 1, 8)),
        ("+1bd", date(2026, 11, 30)),  # the weekend skipped
        ("+10bd", date(2026, 12, 11)),
        ("2026-12-15", date(2026, 12, 15)),
        (" +2W ", date(2026, 12, 11)),
    ],
)
def test_relative_dates_count_from_today(typed, expected):
    assert parse_day(typed, date(2026, 11, 27), "--launch") == expected


@pytest.mark.parametrize("typed", ["+6x", "6w", "+w", "-3d", "tomorrow", "15/12/2026", ""])
def test_a_date_that_cannot_be_read_says_how_to_write_one(typed):
    with pytest.raises(Invalid) as error:
        parse_day(typed, date(2026, 11, 27), "--launch")
    assert error.value.message == (
        f"--launch {typed!r} is not a date; write it as YYYY-MM-DD (like 2026-12-15), today, "
        "or counted from today: +45d (days), +6w (weeks), +10bd (business days, Monday to "
        "Friday)"
    )


def test_a_relative_date_too_far_away_is_refused():
    with pytest.raises(Invalid, match=r"--launch '\+99999d' is more than ten years away"):
        parse_day("+99999d", date(2026, 11, 27), "--launch")


# ---------------------------------------------------------------------- the plan


def test_plan_marks_past_and_weekend_dues():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)  # Sunday noon
    plan = plan_playbook(find_playbook("blog-post"), date(2026, 12, 15), BERLIN, now)
    marks = {step.id: (f"{step.due:%a %m-%d}", step.past, step.weekend) for step in plan.steps}
    assert marks == {
        "idea": ("Sun 11-15", True, True),
        "keywords": ("Fri 11-20", True, False),
        "outline": ("Wed 11-25", True, False),
        "approve-outline": ("Mon 11-30", False, False),
        "draft": ("Sat 12-05", False, True),
        "images": ("Thu 12-10", False, False),
        "promote": ("Fri 12-11", False, False),
        "publish": ("Tue 12-15", False, False),
    }


# ---------------------------------------------------------------------- the rules


def blog_request(launch: date, **flags) -> StartProject:
    return StartProject(
        playbook="blog-post",
        name="Late post",
        launch_date=launch,
        timezone=BERLIN,
        assignments=BLOG_TEAM,
        project_manager="pat",
        started_by="pat",
        **flags,
    )


NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)  # Sunday 13:00 in Berlin


def test_a_launch_leaving_steps_late_is_refused_with_the_first_late_due():
    with pytest.raises(Refused) as refused:
        check_on_time(blog_request(date(2026, 12, 15)), find_playbook("blog-post"), NOW)
    assert refused.value.reason == (
        "3 steps would already be late (first: 'idea' due Sun 2026-11-15 17:00 CET); choose a "
        "later launch, or --compress to fit them between now and the launch, or --allow-late "
        "to start anyway"
    )
    assert refused.value.field == "launch_date"
    blog = find_playbook("blog-post")
    check_on_time(blog_request(date(2026, 12, 31)), blog, NOW)  # idea due 12-01: fine
    check_on_time(blog_request(date(2026, 12, 15), allow_late=True), blog, NOW)
    check_on_time(blog_request(date(2026, 12, 15), compress=True), blog, NOW)
    with pytest.raises(Refused, match=r"choose one of compress .* and allow-late"):
        check_on_time(blog_request(date(2026, 12, 15), compress=True, allow_late=True), blog, NOW)


def test_compression_cannot_fit_steps_before_a_launch_already_past():
    today_after_five = datetime(2026, 11, 29, 17, tzinfo=UTC)  # 18:00 in Berlin
    with pytest.raises(Refused, match=r"the launch itself \(Sun 2026-11-29 17:00 CET\) has"):
        check_on_time(
            blog_request(date(2026, 11, 29), compress=True),
            find_playbook("blog-post"),
            today_after_five,
        )


def dues_in_order(dues: dict[str, datetime], ids: list[str]) -> list[datetime]:
    return [dues[step_id] for step_id in ids]


def test_a_compressed_start_spreads_every_due_between_now_and_the_launch_in_order():
    blog = find_playbook("blog-post")
    launch = date(2026, 12, 10)
    started = start_project(blog_request(launch, compress=True), blog, {}, NOW)
    project = started.project
    launch_due = datetime(2026, 12, 10, 16, tzinfo=UTC)  # 17:00 CET
    dues = [step.due for step in project.steps]
    assert all(NOW < due <= launch_due for due in dues)
    assert dues == sorted(dues) and dues[-1] == launch_due
    assert len(set(dues)) >= 6  # spread out, not piled up on the launch
    for due in dues:  # each on the playbook's due time
        assert f"{due.astimezone(zone(BERLIN)):%H:%M}" == "17:00"
    # The idea step, active at once, got its compressed due (not its offset one).
    assert project.steps[0].state == "active" and project.steps[0].due == dues[0]
    told = [e for e in started.entries if e.type == "rescheduled" and e.recipient == "pat"]
    assert [e.detail for e in told] == [
        "plan compressed: 4 steps would have been late, so the dues were spread between "
        "Mon 2026-11-30 17:00 CET and the launch on Thu 2026-12-10, in the same order"
    ]


def test_compression_keeps_a_business_day_playbook_on_business_days():
    newsletter = find_playbook("newsletter")
    launch = date(2026, 12, 4)  # a Friday; 'plan' was due Mon 11-23
    now = datetime(2026, 11, 27, 18, tzinfo=UTC)  # Friday after Thanksgiving, 13:00 NY
    dues = offset_dues(newsletter, launch, "America/New_York")
    compressed = compress_dues(newsletter, dues, launch, "America/New_York", now)
    order = [step.id for step in newsletter.steps if step.due is not None and step.due <= 0]
    moved = dues_in_order(compressed, order)
    assert moved == sorted(moved) and all(now < due for due in moved)
    for due in moved:
        local = due.astimezone(zone("America/New_York"))
        assert US_BUSINESS.is_business_day(local.date()), local
        assert f"{local:%H:%M}" == "12:00"


def test_nothing_late_means_nothing_compressed():
    blog = find_playbook("blog-post")
    dues = offset_dues(blog, date(2027, 2, 1), BERLIN)
    assert compress_dues(blog, dues, date(2027, 2, 1), BERLIN, NOW) == {}
    started = start_project(blog_request(date(2027, 2, 1), compress=True), blog, {}, NOW)
    assert not [e for e in started.entries if e.type == "rescheduled"]


def running_blog(now: datetime = NOW):
    blog = find_playbook("blog-post")
    return start_project(blog_request(date(2027, 1, 31)), blog, {}, now).project


def test_a_reschedule_leaving_steps_late_is_refused_and_a_signal_is_recorded_refused():
    project = running_blog()
    command = Reschedule(actor="pat", launch_date=date(2026, 12, 20))
    with pytest.raises(Refused) as refused:
        check(project, command, NOW)
    assert refused.value.reason == (
        "2 steps would already be late (first: 'idea' due Fri 2026-11-20 17:00 CET); choose a "
        "later launch, or --compress to fit them between now and the launch, or --allow-late "
        "to reschedule anyway"
    )
    recorded = refuse(project, command, refused.value.reason, NOW).entries
    assert [(e.type, e.actor, e.detail) for e in recorded] == [
        ("refused", "pat", refused.value.reason)
    ]
    late = apply(project, command.model_copy(update={"allow_late": True}), NOW).project
    assert late.launch_date == date(2026, 12, 20) and late.steps[0].overdue


def test_a_compressed_reschedule_moves_the_unfinished_dues_and_tells_the_pm():
    project = running_blog()
    command = Reschedule(actor="pat", launch_date=date(2026, 12, 20), compress=True)
    moved = apply(project, command, NOW)
    dues = [step.due for step in moved.project.steps]
    assert all(due > NOW for due in dues) and dues == sorted(dues)
    assert not moved.project.steps[0].overdue
    assert [e.recipient for e in moved.entries if e.type == "rescheduled"] == [
        None,  # 2027-01-31 -> 2026-12-20
        None,  # plan compressed
        "pat",  # the PM is told it was compressed
        "sam",  # the owners are told the new date, as with any reschedule
        "alice",
        "stu",
        "dana",
        "sol",
    ]
    # Moving on to a launch with room again: the playbook's offsets count once more.
    later = apply(moved.project, Reschedule(actor="pat", launch_date=date(2027, 2, 15)), NOW)
    assert later.project.steps[0].due == datetime(2027, 1, 16, 16, tzinfo=UTC)


def test_compressing_at_the_same_launch_date_needs_something_late():
    project = running_blog()
    same = Reschedule(actor="pat", launch_date=date(2027, 1, 31), compress=True)
    with pytest.raises(Refused, match="already 2027-01-31; no step would be late, so there is"):
        check(project, same, NOW)
    weeks_later = NOW + timedelta(days=40)  # idea (due 01-01) is overdue now
    moved = apply(project, same, weeks_later).project
    assert moved.steps[0].due > weeks_later


def test_the_shortest_lead_is_the_playbooks_span_in_its_own_calendar():
    assert shortest_lead(find_playbook("blog-post"), date(2026, 11, 29)) == (30, "idea")
    # 8 business days before a launch are 10 to 14 days, holidays around New Year's.
    assert shortest_lead(find_playbook("newsletter"), date(2026, 11, 29)) == (14, "plan")


# ---------------------------------------------------------------------- the CLI


def baton(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [BATON, *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def refused_clearly(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    return " ".join(result.stderr.split())


def test_plan_json_marks_past_and_weekend():
    env = {**os.environ, "NO_COLOR": "1"}
    result = baton(env, "playbook", "plan", "blog-post", "--launch", "today", "--json")
    assert result.returncode == 0, result.stderr
    steps = {step["id"]: step for step in json.loads(result.stdout)["steps"]}
    today = datetime.now(UTC).date()
    assert steps["idea"]["past"] is True  # due 30 days ago
    assert steps["publish"]["due"].startswith(today.isoformat())
    for step in steps.values():
        weekday = datetime.fromisoformat(step["due"]).weekday()
        assert step["weekend"] is (weekday >= 5)
    ahead = json.loads(
        baton(env, "playbook", "plan", "blog-post", "--launch", "+6w", "--json").stdout
    )
    assert not any(step["past"] for step in ahead["steps"])
    assert ahead["launch_date"] == (today + timedelta(weeks=6)).isoformat()


def test_plan_table_says_which_dues_are_past():
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    result = baton(env, "playbook", "plan", "blog-post", "--launch", "+10d")
    assert result.returncode == 0, result.stderr
    idea = next(line for line in result.stdout.splitlines() if " idea " in line)
    assert "past" in idea
    assert "step" in result.stdout and "are due already" in result.stdout


def test_a_bad_relative_date_is_a_clear_error():
    message = refused_clearly(
        baton(dict(os.environ), "playbook", "plan", "blog-post", "--launch", "+6x")
    )
    assert "--launch '+6x' is not a date; write it as YYYY-MM-DD" in message
    assert "+6w (weeks)" in message and "+10bd (business days" in message


@pytest.fixture(scope="module")
async def stack(temporal, tmp_path_factory):
    """A database with the team and the blog post and newsletter playbooks, a worker on
    the session's dev server writing to it, and the environment the CLI needs."""
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    await PeopleRepo(pool).replace_all_or_nothing(
        [Person(id=p, name=p.title(), email=f"{p}@example.com") for p in PEOPLE]
    )
    for playbook in ("blog-post", "newsletter"):
        await PlaybookRepo(pool).publish((BUNDLED_DIR / f"{playbook}.yaml").read_text())
    queue = f"late-{uuid.uuid4().hex[:8]}"
    signer = LinkSigner(secret=b"a test secret of enough length!!", public_url="http://b.test")
    recorder = PostgresRecorder(pool, signer, set())
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "BATON_TASK_QUEUE": queue,
        "BATON_HOME": str(tmp_path_factory.mktemp("baton-home")),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "BATON_USER": "",
    }
    try:
        catalog = PostgresCatalog(pool)
        async with worker_on_shared_server(temporal.client, queue, catalog, recorder):
            yield env
    finally:
        await pool.close()
        pg.drop_database(url)


async def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """The real `baton` command, off the event loop (the worker runs on it)."""
    return await asyncio.to_thread(baton, env, *args)


def team(assignments: dict[str, str]) -> list[str]:
    return [arg for role, person in assignments.items() for arg in ("--assign", f"{role}={person}")]


def start_args(slug: str, launch: str, playbook: str = "blog-post", *extra: str) -> list[str]:
    assignments = BLOG_TEAM if playbook == "blog-post" else NEWSLETTER_TEAM
    return ["start", playbook, "--name", f"Post {slug}", "--slug", slug, "--launch", launch,
            "--timezone", BERLIN, "--pm", "pat", "--as", "pat",
            *team(assignments), *extra]  # fmt: skip


async def test_cli_start_refuses_a_launch_that_leaves_steps_late(stack):
    slug = f"late-{uuid.uuid4().hex[:6]}"
    message = refused_clearly(await cli(stack, *start_args(slug, "+10d")))
    # idea, keywords, outline and approve-outline are due 30 to 15 days before the launch,
    # draft at 17:00 today: 4 or 5 late, depending on the hour.
    assert re.search(
        r"error: [45] steps would already be late \(first: 'idea' due \w{3} \d{4}-\d\d-\d\d "
        r"17:00 CES?T\); choose a later launch, or --compress to fit them between now and the "
        r"launch, or --allow-late to start anyway",
        message,
    ), message
    gone = await cli(stack, "status", slug)
    assert gone.returncode == 1 and "no project" in gone.stderr  # nothing was started


async def test_cli_start_compressed_fits_every_due_between_now_and_the_launch(stack):
    slug = f"squeezed-{uuid.uuid4().hex[:6]}"
    before = datetime.now(UTC)
    started = await cli(stack, *start_args(slug, "+10d", "blog-post", "--compress"))
    assert started.returncode == 0, started.stderr
    said = " ".join(started.stdout.split())
    assert re.search(
        r"Plan compressed: [45] steps would have been late, so the dues were spread", said
    )
    status = json.loads((await cli(stack, "status", slug, "--json")).stdout)
    launch = date.fromisoformat(status["launch_date"])
    assert launch == datetime.now(UTC).astimezone(zone(BERLIN)).date() + timedelta(days=10)
    launch_due = datetime.combine(launch, datetime.min.time().replace(hour=17), zone(BERLIN))
    dues = [datetime.fromisoformat(step["due"]) for step in status["steps"]]
    assert [step["id"] for step in status["steps"]] == [
        "idea", "keywords", "outline", "approve-outline", "draft", "images", "promote", "publish",
    ]  # fmt: skip
    assert all(before < due <= launch_due for due in dues), dues
    assert dues == sorted(dues) and dues[-1] == launch_due
    assert status["steps"][0]["state"] == "active" and not status["steps"][0]["overdue"]
    inbox = await _eventually_in_inbox(stack, "pat", f"project-{slug}")
    assert (
        inbox["subject"]
        == f"[Post {slug}] The plan was compressed to fit before {launch:%a %Y-%m-%d}"
    )
    assert "was compressed by Pat to fit before the publish date" in inbox["body_text"]
    assert "steps would have been late, so the dues were spread between" in inbox["body_text"]


async def test_cli_start_compressed_keeps_a_business_day_playbook_on_business_days(stack):
    slug = f"issue-{uuid.uuid4().hex[:6]}"
    started = await cli(stack, *start_args(slug, "+4bd", "newsletter", "--compress"))
    assert started.returncode == 0, started.stderr
    status = json.loads((await cli(stack, "status", slug, "--json")).stdout)
    dated = [datetime.fromisoformat(step["due"]) for step in status["steps"] if step["due"]]
    assert dated == sorted(dated)
    for due in dated:
        local = due.astimezone(zone(BERLIN))
        assert US_BUSINESS.is_business_day(local.date()) or local.date() == date.fromisoformat(
            status["launch_date"]
        ), local
        assert local > datetime.now(UTC)


async def test_cli_start_allow_late_starts_with_the_late_steps_overdue(stack):
    slug = f"anyway-{uuid.uuid4().hex[:6]}"
    started = await cli(stack, *start_args(slug, "+10d", "blog-post", "--allow-late"))
    assert started.returncode == 0, started.stderr
    assert "OVERDUE" in started.stdout
    status = json.loads((await cli(stack, "status", slug, "--json")).stdout)
    assert status["steps"][0]["overdue"] is True


async def test_cli_reschedule_refused_then_compressed(stack):
    slug = f"moved-{uuid.uuid4().hex[:6]}"
    assert (await cli(stack, *start_args(slug, "+60d"))).returncode == 0
    too_soon = refused_clearly(
        await cli(stack, "reschedule", slug, "--launch", "+2w", "--as", "pat")
    )
    assert "steps would already be late (first: 'idea' due " in too_soon
    assert "or --allow-late to reschedule anyway" in too_soon
    moved = await cli(stack, "reschedule", slug, "--launch", "+2w", "--compress", "--as", "pat")
    assert moved.returncode == 0, moved.stderr
    assert "plan compressed:" in moved.stdout
    status = json.loads((await cli(stack, "status", slug, "--json")).stdout)
    dues = [datetime.fromisoformat(step["due"]) for step in status["steps"]]
    assert dues == sorted(dues) and all(due > datetime.now(UTC) for due in dues)
    refused = [e for e in status["log"] if e["type"] == "refused"]
    assert refused == []  # an update refused leaves no trace


async def test_schedule_create_refuses_a_lead_shorter_than_the_playbook(stack):
    args = ["schedule", "create", "--playbook", "newsletter", "--name", "Weekly issue",
            "--pm", "pat", "--every", "weekly on Tue", "--lead", "1w",
            *team(NEWSLETTER_TEAM)]  # fmt: skip
    message = refused_clearly(await cli(stack, *args))
    shortest, _ = shortest_lead(find_playbook("newsletter"), datetime.now(UTC).date())
    assert (
        "a lead of 7 days is too short for 'newsletter': its first step 'plan' is due 8 "
        "business days before the launch, so every project would start with steps already "
        f"late; the shortest lead that works is {shortest} days (--lead {shortest}d)"
    ) in message


async def _eventually_in_inbox(env: dict, person: str, workflow_id: str) -> dict:
    """The person's `rescheduled` message of that project, once the worker wrote it."""
    for _ in range(50):
        result = await cli(env, "inbox", person, "--json")
        found = [m for m in json.loads(result.stdout)
                 if m["kind"] == "rescheduled" and m["workflow_id"] == workflow_id]  # fmt: skip
        if found:
            return found[-1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no rescheduled message for {person} in {workflow_id}")
