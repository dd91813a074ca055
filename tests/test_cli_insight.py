"""Learning from history as a person runs it: the real `baton` script in a subprocess on a
real PostgreSQL (`baton history import|export`, `report`, `recalibrate`, `demo history`)
and, for `forecast`, a real Temporal dev server with a worker."""

import asyncio
import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from baton.errors import Invalid
from baton.insight.history_csv import parse_history_csv, write_history_csv
from baton.insight.report import build_report
from baton.people import Person
from baton.playbook import bundled_playbooks, find_playbook
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters.charts import report_chart
from tests import pg
from tests.shared_worker import worker_on_shared_server
from tests.test_cli_playbook import assert_clean_failure, baton

PLAYBOOKS = {"blog-post": find_playbook("blog-post")}
# Two blog posts. idea: 1 day late (P1), half a day early (P2); keywords 2 days late; the
# outline's approval on time, then rejected work back 2 days late in its second round.
HISTORY = """project,playbook,step,owner,activated_at,due_at,finished_at,revision,outcome
P1,blog-post,idea,sam,2026-01-01T09:00:00Z,2026-01-03T17:00:00Z,2026-01-04T17:00:00Z,,
P2,blog-post,idea,kim,2026-02-01T09:00:00Z,2026-02-03T17:00:00Z,2026-02-03T05:00:00Z,,
P1,blog-post,keywords,sam,2026-01-04T17:00:00Z,2026-01-08T17:00:00Z,2026-01-10T17:00:00Z,,
P1,blog-post,approve-outline,sam;stu,2026-01-12T17:00:00Z,2026-01-15T17:00:00Z,2026-01-14T17:00:00Z,1,done
P1,blog-post,approve-outline,sam;stu,2026-01-16T17:00:00+01:00,2026-01-15T18:00:00+01:00,2026-01-17T18:00:00+01:00,2,done
"""  # a spreadsheet's rows, as a team writes them
ROWS = 5
BLOG_TEAM = {"strategist": "sam", "seo": "sam", "writer": "alice", "designer": "dana",
             "social": "sol", "stakeholder": "stu"}  # fmt: skip


@pytest.fixture(scope="module")
async def migrated():
    return await pg.migrated_template()


def fresh_store(template: str) -> dict[str, str]:
    return {"DATABASE_URL": pg.create_database(template=template)}


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return baton(*args, columns=200, extra_env=env)


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def history_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("history") / "history.csv"
    path.write_text(HISTORY, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def imported(migrated, history_file) -> dict:
    """A store with the blog post published and HISTORY imported."""
    store = fresh_store(migrated)
    ok(cli(store, "playbook", "publish", "blog-post"))
    ok(cli(store, "history", "import", history_file))
    return store


def exported(store: dict) -> list[str]:
    """The store's runs as `baton history export -` prints them, header included."""
    return ok(cli(store, "history", "export", "-")).splitlines()


# ------------------------------------------------------------------ history import/export


def test_importing_a_file_twice_adds_nothing_the_second_time(imported, history_file):
    again = cli(imported, "history", "import", history_file)
    assert ok(again).strip() == f"Imported 0 step runs from {history_file} ({ROWS} already known)."
    assert len(exported(imported)) == 1 + ROWS


def test_the_first_import_says_how_many_runs_it_added(migrated, tmp_path):
    store = fresh_store(migrated)
    ok(cli(store, "playbook", "publish", "blog-post"))
    path = tmp_path / "past.csv"
    path.write_text(HISTORY, encoding="utf-8")
    assert ok(cli(store, "history", "import", str(path))).strip() == (
        f"Imported {ROWS} step runs from {path} (0 already known)."
    )


def test_a_file_with_a_bad_row_changes_nothing(imported, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text(
        HISTORY.splitlines()[0] + "\n"
        "P3,blog-post,idea,sam,2026-03-01T09:00:00Z,2026-03-03T17:00:00Z,2026-03-04T17:00:00Z,,\n"
        "P3,blog-post,drfat,alice,2026-03-05T09:00:00Z,2026-03-09T17:00:00,2026-03-08T17:00Z,,\n",
        encoding="utf-8",
    )
    stderr = assert_clean_failure(cli(imported, "history", "import", str(path)))
    assert f"{path}, line 3, field 'step': step 'drfat' is not in playbook 'blog-post'; " in stderr
    assert "did you mean 'draft'?" in stderr
    assert f"{path}, line 3, field 'due_at': '2026-03-09T17:00:00' has no offset" in stderr
    assert "P3" not in "\n".join(exported(imported))  # the good row was not imported either
    assert len(exported(imported)) == 1 + ROWS


def test_a_bundled_playbook_is_known_before_it_is_published(migrated, tmp_path):
    """A team's spreadsheet may come before its first project: the bundled playbooks
    are known to the import, the report and the recalibration (version null) at once;
    a playbook neither published nor bundled is refused by name."""
    store = fresh_store(migrated)
    path = tmp_path / "past.csv"
    path.write_text(HISTORY, encoding="utf-8")
    assert f"Imported {ROWS} step runs" in ok(cli(store, "history", "import", str(path)))
    report = json.loads(ok(cli(store, "report", "--playbook", "blog-post", "--json")))
    assert report["projects"] > 0 and report["steps"][0]["step"] == "idea"
    proposal = json.loads(ok(cli(store, "recalibrate", "blog-post", "--json")))
    assert proposal["version"] is None and proposal["playbook"] == "blog-post"
    mine = tmp_path / "mine.csv"
    mine.write_text(HISTORY.replace("blog-post", "my-post"), encoding="utf-8")
    stderr = assert_clean_failure(cli(store, "history", "import", str(mine)))
    assert "unknown playbook 'my-post'" in stderr


def test_export_round_trips_through_import(imported, tmp_path):
    path = tmp_path / "out.csv"
    assert ok(cli(imported, "history", "export", str(path), "--playbook", "blog-post")).strip() == (
        f"Wrote {ROWS} step runs to {path}."
    )
    text = path.read_text(encoding="utf-8")
    runs = parse_history_csv(HISTORY, "history.csv", PLAYBOOKS)
    assert parse_history_csv(text, str(path), PLAYBOOKS) == sorted(
        runs, key=lambda r: (r.finished_at, r.project, r.step, r.revision)
    )
    assert text == write_history_csv(parse_history_csv(text, str(path), PLAYBOOKS))
    again = ok(cli(imported, "history", "import", str(path)))
    assert f"Imported 0 step runs from {path} ({ROWS} already known)." in again


def test_export_of_an_unknown_playbook_names_the_published_ones(imported):
    stderr = assert_clean_failure(cli(imported, "history", "export", "-", "--playbook", "webnar"))
    assert "no playbook 'webnar' is published (published: blog-post)" in stderr
    bundled = ok(cli(imported, "history", "export", "-", "--playbook", "webinar"))
    assert bundled.splitlines() == [HISTORY.splitlines()[0]]  # known, with no runs yet


# ------------------------------------------------------------------------------ report


def test_report_json_has_the_numbers_of_the_history(imported):
    report = json.loads(ok(cli(imported, "report", "--playbook", "blog-post", "--json")))
    assert (report["playbook"], report["since"], report["projects"]) == ("blog-post", None, 2)
    steps = {row["step"]: row for row in report["steps"]}
    assert [row["step"] for row in report["steps"]] == [s.id for s in PLAYBOOKS["blog-post"].steps]
    assert steps["idea"] == {
        "playbook": "blog-post",
        "step": "idea",
        "samples": 2,
        "on_time_rate": 0.5,
        "median_late_days": 0.25,  # between +1 and -0.5
        "p80_late_days": 0.7,
        "median_cycle_days": 2.58,  # (3 1/3 + 1 5/6) / 2
        "rework_rounds": 0,
    }
    assert steps["approve-outline"]["rework_rounds"] == 1
    assert steps["draft"]["samples"] == 0
    sam = next(row for row in report["people"] if row["person"] == "sam")
    assert sam == {"person": "sam", "samples": 4, "on_time_rate": 0.25, "median_late_days": 1.5}
    assert [(b["step"], b["late_days_total"]) for b in report["bottlenecks"]] == [
        ("keywords", 2.0),
        ("approve-outline", 2.0),
        ("idea", 1.0),
    ]


def test_report_since_counts_only_runs_finished_from_that_day(imported):
    report = json.loads(ok(cli(imported, "report", "--since", "2026-02-01", "--json")))
    assert (report["since"], report["projects"]) == ("2026-02-01", 1)
    idea = next(row for row in report["steps"] if row["step"] == "idea")
    assert (idea["samples"], idea["on_time_rate"], idea["median_late_days"]) == (1, 1.0, -0.5)


def test_report_tables_say_what_they_cover(imported):
    out = ok(cli(imported, "report", "--playbook", "blog-post"))
    assert out.splitlines()[0] == "Blog post: 2 projects"
    for title in ("Steps", "People", "Roles", "Where the days went", "Bottlenecks"):
        assert title in out, title
    idea = next(line for line in out.splitlines() if "│ idea " in line)
    assert "50%" in idea and "+0.7d" in idea and "2.6d" in idea


def test_report_plot_writes_an_svg_and_a_png(imported, tmp_path):
    svg, png = tmp_path / "report.svg", tmp_path / "report.PNG"
    ok(cli(imported, "report", "--plot", str(svg)))
    ok(cli(imported, "report", "--playbook", "blog-post", "--json", "--plot", str(png)))
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<svg" in text and "viewBox" in text
    assert "How late each step finished" in text and "Where the days went" in text
    assert "days late (negative: early; green: on time)" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


def test_report_plot_needs_an_svg_or_png_name(imported, tmp_path):
    stderr = assert_clean_failure(cli(imported, "report", "--plot", str(tmp_path / "r.pdf")))
    assert "--plot" in stderr and "name the file .svg or .png" in stderr
    missing = tmp_path / "no" / "such" / "dir.svg"
    stderr = assert_clean_failure(cli(imported, "report", "--plot", str(missing)))
    assert "cannot write" in stderr


def test_report_without_history_says_how_to_get_some(migrated):
    store = fresh_store(migrated)
    out = ok(cli(store, "report"))
    assert out.strip() == (
        "No history yet: import past projects with `baton history import FILE.csv`, or try "
        "`baton demo history`."
    )
    stderr = assert_clean_failure(cli(store, "report", "--playbook", "blog-pots"))
    assert "no playbook 'blog-pots' is published" in stderr


def test_report_bad_since(imported):
    stderr = assert_clean_failure(cli(imported, "report", "--since", "last year"))
    assert "--since 'last year' is not a date" in stderr


# ----------------------------------------------------------------- demo history, recalibrate


@pytest.fixture(scope="module")
def demo_run(migrated) -> tuple[dict, str]:
    """A store filled by `baton demo history` (nothing published before it), and what
    the command printed."""
    store = fresh_store(migrated)
    return store, ok(cli(store, "demo", "history", "--projects", "6", "--seed", "3"))


@pytest.fixture(scope="module")
def demo(demo_run) -> dict:
    return demo_run[0]


def test_demo_history_fills_every_bundled_playbook(demo_run):
    demo, printed = demo_run
    lines = printed.splitlines()
    for playbook in bundled_playbooks():
        assert any(line.startswith(f"✓ {playbook}: 6 projects, ") for line in lines), playbook
    total = len(exported(demo)) - 1
    assert lines[-1] == (
        f"Demo history: {total} new step runs (0 already there). See it with `baton report`."
    )
    report = json.loads(ok(cli(demo, "report", "--playbook", "blog-post", "--json")))
    assert report["projects"] == 6
    listed = json.loads(ok(cli(demo, "playbook", "list", "--json")))
    assert all(row["version"] == 1 for row in listed)  # published by the command


def test_demo_history_again_adds_nothing(demo):
    before = exported(demo)
    again = ok(cli(demo, "demo", "history", "--projects", "6", "--seed", "3"))
    assert again.splitlines()[-1] == (
        f"Demo history: 0 new step runs ({len(before) - 1} already there). See it with "
        "`baton report`."
    )
    assert exported(demo) == before


def test_demo_history_uses_the_directorys_people(migrated, tmp_path):
    store = fresh_store(migrated)
    team = tmp_path / "team.yaml"
    team.write_text("ann: {name: Ann}\nbo: {name: Bo}\ncy: {name: Cy}\n", encoding="utf-8")
    ok(cli(store, "people", "import", str(team)))
    ok(cli(store, "demo", "history", "--projects", "2"))
    owners = {owner for line in exported(store)[1:] for owner in line.split(",")[3].split(";")}
    assert owners == {"ann", "bo", "cy"}


def test_demo_history_refuses_a_silly_count(demo):
    stderr = assert_clean_failure(cli(demo, "demo", "history", "--projects", "0"))
    assert "--projects 0: give 1 to 500 projects per playbook" in stderr


def test_recalibrate_json_proposes_every_step(demo):
    proposal = json.loads(
        ok(
            cli(
                demo,
                "recalibrate",
                "blog-post",
                "--quantile",
                "0.9",
                "--min-samples",
                "3",
                "--json",
            )
        )
    )
    assert (proposal["playbook"], proposal["version"]) == ("blog-post", 1)
    assert (proposal["quantile"], proposal["min_samples"]) == (0.9, 3)
    playbook = PLAYBOOKS["blog-post"]
    assert [s["step"] for s in proposal["steps"]] == [s.id for s in playbook.steps]
    idea = proposal["steps"][0]
    assert idea["samples"] == 6 and idea["current_due"] == "-30d"
    assert idea["proposed_due"].endswith("d")
    assert set(proposal["lead_days"]) == {"current", "proposed"}


def test_recalibrate_refuses_bad_numbers(demo):
    stderr = assert_clean_failure(cli(demo, "recalibrate", "blog-post", "--quantile", "1.5"))
    assert "--quantile 1.5: give a share between 0 and 1" in stderr
    stderr = assert_clean_failure(cli(demo, "recalibrate", "blog-post", "--min-samples", "-1"))
    assert "--min-samples -1: give 0 or more" in stderr
    stderr = assert_clean_failure(cli(demo, "recalibrate", "blog-psot"))
    assert "no playbook 'blog-psot' is published" in stderr


def test_recalibrate_table_shows_now_and_proposed(demo):
    out = ok(cli(demo, "recalibrate", "blog-post"))
    assert "window now -> proposed" in out and "due now -> proposed" in out
    assert "p80 cycle" in out
    assert "Lead time" in out


def test_recalibrate_publish_makes_the_next_version_with_comments_kept(migrated):
    demo = fresh_store(migrated)
    ok(cli(demo, "demo", "history", "--projects", "8"))
    proposal = json.loads(ok(cli(demo, "recalibrate", "newsletter", "--json")))
    published = ok(cli(demo, "recalibrate", "newsletter", "--publish"))
    assert "Published newsletter version 2; new projects use it, running ones keep theirs." in (
        published
    )
    shown = json.loads(ok(cli(demo, "playbook", "show", "newsletter", "--json")))
    assert shown["version"] == 2
    dues = {s["id"]: s["due"] for s in shown["steps"]}
    assert dues == {s["step"]: s["proposed_due"] for s in proposal["steps"]}
    assert dues != {s["step"]: s["current_due"] for s in proposal["steps"]}
    body = asyncio.run(published_body(demo["DATABASE_URL"], "newsletter"))
    original = bundled_playbooks()["newsletter"].read_text(encoding="utf-8")
    comments = [line.split("#", 1)[1] for line in original.splitlines() if "#" in line]
    assert len(comments) >= 5
    assert all(comment in body for comment in comments)
    assert yaml.safe_load(body)["description"] == yaml.safe_load(original)["description"]


async def published_body(url: str, playbook: str) -> str:
    pool = await open_pool(url, max_size=1)
    try:
        body, _ = await PlaybookRepo(pool).source(playbook)
        return body
    finally:
        await pool.close()


# ------------------------------------------------------------------------------ forecast


@pytest.fixture(scope="module")
async def running(temporal, migrated, tmp_path_factory):
    """Demo history, the team and a blog post started on the session's Temporal dev
    server, with a worker writing to the same store; the environment the CLI needs."""
    url = pg.create_database(template=migrated)
    pool = await open_pool(url)
    team = sorted(set(BLOG_TEAM.values()) | {"pat"})
    await PeopleRepo(pool).replace_all_or_nothing(
        [Person(id=p, name=p.title(), email=f"{p}@example.com") for p in team]
    )
    queue = f"insight-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "BATON_TASK_QUEUE": queue,
        "BATON_HOME": str(tmp_path_factory.mktemp("baton-home")),
        "BATON_USER": "",
    }
    signer = LinkSigner(secret=b"a test secret of enough length!!", public_url="http://b.test")
    try:
        async with worker_on_shared_server(
            temporal.client, queue, PostgresCatalog(pool), PostgresRecorder(pool, signer, set())
        ):
            ok(await asyncio.to_thread(cli, env, "demo", "history", "--projects", "8"))
            slug = f"forecast-{uuid.uuid4().hex[:6]}"
            launch = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
            assign = [a for role, who in BLOG_TEAM.items() for a in ("--assign", f"{role}={who}")]
            started = await asyncio.to_thread(
                cli, env, "start", "blog-post", "--name", "Forecast post", "--slug", slug,
                "--launch", launch, "--pm", "pat", "--as", "pat", *assign,
            )  # fmt: skip
            ok(started)
            yield env, slug
    finally:
        await pool.close()
        pg.drop_database(url)


async def test_forecast_json_of_a_running_project(running):
    env, slug = running
    outlook = json.loads(ok(await asyncio.to_thread(cli, env, "forecast", slug, "--json")))
    assert outlook["project"] == f"project-{slug}"
    assert 0 <= outlook["p_on_time"] <= 1
    assert [s["step"] for s in outlook["steps"]] == [s.id for s in PLAYBOOKS["blog-post"].steps]
    # Eight past posts: every step is drawn from its own history.
    assert outlook["basis"]["draft"] == "step history, 8 samples"
    assert outlook["p50_finish"] <= outlook["p80_finish"]
    strict = json.loads(
        ok(await asyncio.to_thread(cli, env, "forecast", slug, "--json", "--min-samples", "50"))
    )
    assert strict["basis"]["draft"].startswith("window 5d kept 4 times in 5, only 8 samples")


async def test_forecast_table_and_chart(running, tmp_path):
    env, slug = running
    chart = tmp_path / "forecast.svg"
    out = ok(await asyncio.to_thread(cli, env, "forecast", slug, "--plot", str(chart)))
    assert "likely on time" in out
    assert "Deadline:" in out and "Finish (80%):" in out
    assert "Steps still to do" in out and "step history, 8 samples" in out
    assert "deadline" in chart.read_text(encoding="utf-8")


async def test_forecast_of_an_unknown_project(running):
    env, _ = running
    stderr = assert_clean_failure(await asyncio.to_thread(cli, env, "forecast", "no-such-post"))
    assert "no-such-post" in stderr


# ------------------------------------------------------------------------------ charts


def test_charts_of_nothing_say_so_and_refuse_unknown_formats():
    empty = build_report([], PLAYBOOKS, "blog-post")
    svg = report_chart(empty, [], "svg", "slip").decode()
    assert "No finished steps yet" in svg
    with pytest.raises(Invalid) as raised:
        report_chart(empty, [], "pdf")
    assert (raised.value.field, str(raised.value)) == (
        "format",
        "cannot draw a chart as 'pdf'; use svg or png",
    )
    with pytest.raises(Invalid):
        report_chart(empty, [], "svg", "pie")


def test_a_report_chart_is_the_same_bytes_every_time():
    runs = parse_history_csv(HISTORY, "history.csv", PLAYBOOKS)
    report = build_report(runs, PLAYBOOKS, "blog-post")
    first = report_chart(report, runs, "svg", "days")
    assert first == report_chart(report, runs, "svg", "days")
    assert "Where the days went" in first.decode() and "How late" not in first.decode()
