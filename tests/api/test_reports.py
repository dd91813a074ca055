"""Learning from history over the HTTP API: a team imports its past projects as a
spreadsheet (all or nothing, admins only), reads the report, recalibrates a playbook
(admins publish it), asks a running project's forecast, and sees what comes up next.
Real worker, Temporal and PostgreSQL (see conftest)."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from baton.store.projects import ProjectRepo
from baton.store.step_runs import save_forecast
from baton.wording import when
from tests.api.conftest import eventually
from tests.api.test_finished_projects import direct_cli

CSV = {"Content-Type": "text/csv"}

# A small playbook only these tests publish, so the live projects other tests run (blog
# posts, webinars) never mix into its report.
PLAYBOOK = """\
id: {id}
name: Retro test
roles: {{writer: Writer, editor: Editor}}
steps:
  - {{id: draft, name: Write the draft, owner: writer, due: -10d}}
  - {{id: review, name: Review it, kind: approval, approvers: [editor], after: [draft], due: -5d}}
  - {{id: ship, name: Ship it, owner: writer, after: [review], due: 0d}}
"""

# Three past projects. The draft: late by 1, early by 1, late by 3 days; it took 4, 2 and
# 6 days. Reviews and shipping were on time (a day early each).
HISTORY = """\
project,playbook,step,owner,activated_at,due_at,finished_at,revision,outcome
{p}-1,{id},draft,alice,2026-01-01T17:00:00Z,2026-01-04T17:00:00Z,2026-01-05T17:00:00Z,1,done
{p}-1,{id},review,eve,2026-01-05T17:00:00Z,2026-01-09T17:00:00Z,2026-01-08T17:00:00Z,1,done
{p}-1,{id},ship,alice,2026-01-08T17:00:00Z,2026-01-14T17:00:00Z,2026-01-13T17:00:00Z,,
{p}-2,{id},draft,alice,2026-02-01T17:00:00Z,2026-02-04T17:00:00Z,2026-02-03T17:00:00Z,1,done
{p}-2,{id},review,eve,2026-02-03T17:00:00Z,2026-02-09T17:00:00Z,2026-02-08T17:00:00Z,1,done
{p}-2,{id},ship,alice,2026-02-08T17:00:00Z,2026-02-14T17:00:00Z,2026-02-13T17:00:00Z,1,done
{p}-3,{id},draft,alice,2026-03-01T17:00:00+01:00,2026-03-04T17:00:00+01:00,2026-03-07T17:00:00+01:00,1,done
{p}-3,{id},review,eve,2026-03-07T17:00:00Z,2026-03-09T17:00:00Z,2026-03-08T17:00:00Z,1,done
{p}-3,{id},ship,alice,2026-03-08T17:00:00Z,2026-03-14T17:00:00Z,2026-03-13T17:00:00Z,1,done
"""


def retro_playbook_and_history() -> tuple[str, str, str]:
    """A fresh playbook id, its YAML, and its three-project history as CSV."""
    playbook_id = f"retro-{uuid.uuid4().hex[:6]}"
    history = HISTORY.format(id=playbook_id, p=f"past-{playbook_id}")
    return playbook_id, PLAYBOOK.format(id=playbook_id), history


@pytest.fixture
async def retro(baton):
    """The retro playbook published and its history imported (by pat, an admin)."""
    playbook_id, yaml, history = retro_playbook_and_history()
    published = await baton["pat"].post("/api/playbooks", content=yaml)
    assert published.status_code == 201, published.text
    imported = await baton["pat"].post("/api/history?file=past.csv", content=history, headers=CSV)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"runs": 9, "added": 9}
    return playbook_id, history


async def test_the_report_counts_the_imported_history(baton, retro):
    playbook_id, _ = retro
    answer = await baton["sam"].get("/api/reports", params={"playbook": playbook_id})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["playbook"] == playbook_id and report["projects"] == 3
    steps = {row["step"]: row for row in report["steps"]}
    assert list(steps) == ["draft", "review", "ship"]  # the playbook's order
    draft = steps["draft"]
    assert draft["samples"] == 3
    assert draft["on_time_rate"] == pytest.approx(1 / 3, abs=0.01)
    assert draft["median_late_days"] == 1.0  # of -1, +1, +3
    assert draft["p80_late_days"] == pytest.approx(2.2)  # linear between +1 and +3
    assert draft["median_cycle_days"] == 4.0  # of 2, 4, 6
    assert steps["ship"]["on_time_rate"] == 1.0
    assert report["bottlenecks"][0] == {
        "step": "draft",
        "late_days_total": 4.0,
        "playbook": playbook_id,
    }
    people = {row["person"]: row for row in report["people"]}
    assert people["alice"]["samples"] == 6 and people["eve"]["on_time_rate"] == 1.0

    since = await baton["sam"].get(
        "/api/reports", params={"playbook": playbook_id, "since": "2026-02-15"}
    )
    assert since.json()["projects"] == 1  # only the March project finished since
    unknown = await baton["sam"].get("/api/reports", params={"playbook": "no-such-playbook"})
    assert unknown.status_code == 404 and "blog-post" in unknown.json()["detail"]
    bad = await baton["sam"].get("/api/reports", params={"since": "last tuesday"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "since"]
    assert (await baton[None].get("/api/reports")).status_code == 401


async def test_a_bad_history_file_imports_nothing_and_lists_every_problem(baton, retro):
    playbook_id, history = retro
    header, *rows = history.splitlines()
    new_project = rows[0].replace("-1,", "-9,", 1)  # a good row of a project not seen yet
    bad = "\n".join(
        [
            header,
            new_project,
            rows[1].replace(",review,", ",reveiw,"),
            rows[2].replace("2026-01-13T17:00:00Z", "next week"),
        ]
    )
    answer = await baton["pat"].post("/api/history?file=bad.csv", content=bad, headers=CSV)
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert [(p["where"], p["field"]) for p in problems] == [
        ("line 3", "step"),
        ("line 4", "finished_at"),
    ]
    assert all(p["file"] == "bad.csv" for p in problems)
    assert "did you mean 'review'?" in problems[0]["message"]
    assert "not an ISO 8601 instant" in answer.json()["detail"]

    report = await baton["sam"].get("/api/reports", params={"playbook": playbook_id})
    assert report.json()["projects"] == 3  # the good row was not imported either

    again = await baton["pat"].post("/api/history", content=history, headers=CSV)
    assert again.json() == {"runs": 9, "added": 0}  # known runs are not added twice
    forbidden = await baton["sam"].post("/api/history", content=history, headers=CSV)
    assert forbidden.status_code == 403 and "sam is not an admin" in forbidden.json()["detail"]


async def test_the_history_exports_as_csv_that_imports_again(baton, retro):
    playbook_id, _ = retro
    answer = await baton["sam"].get("/api/history.csv", params={"playbook": playbook_id})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 9 and {row["playbook"] for row in rows} == {playbook_id}
    march = next(row for row in rows if row["project"].endswith("-3") and row["step"] == "draft")
    assert march["activated_at"] == "2026-03-01T16:00:00+00:00"  # written in UTC
    assert march["owner"] == "alice" and march["outcome"] == "done"

    back = await baton["pat"].post("/api/history", content=answer.text, headers=CSV)
    assert back.json() == {"runs": 9, "added": 0}


async def test_recalibration_is_proposed_to_all_and_published_by_admins(baton, retro):
    playbook_id, _ = retro
    path = f"/api/playbooks/{playbook_id}/recalibration"
    proposal = await baton["sam"].get(path, params={"quantile": 0.8, "min_samples": 1})
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()
    assert body["playbook"] == playbook_id and body["version"] == 1
    assert body["quantile"] == 0.8 and body["min_samples"] == 1
    steps = {row["step"]: row for row in body["steps"]}
    assert steps["draft"]["samples"] == 3
    assert steps["draft"]["quantile_cycle_days"] == pytest.approx(5.2)  # of 2, 4, 6
    assert steps["draft"]["current_due"] == "-10d"

    forbidden = await baton["sam"].post(path, params={"min_samples": 1})
    assert forbidden.status_code == 403
    assert (await baton["sam"].get(f"/api/playbooks/{playbook_id}")).json()["version"] == 1

    published = await baton["pat"].post(path, params={"min_samples": 1})
    assert published.status_code == 201, published.text
    assert published.json() == {"id": playbook_id, "version": 2, "created": True}
    latest = (await baton["sam"].get(f"/api/playbooks/{playbook_id}")).json()
    assert latest["version"] == 2
    dues = {step["id"]: step["due"] for step in latest["playbook"]["steps"]}
    assert dues == {row["step"]: row["proposed_due"] for row in body["steps"]}

    for bad in ({"quantile": 1.5}, {"min_samples": 0}):
        answer = await baton["sam"].get(path, params=bad)
        assert answer.status_code == 422, bad
    missing = await baton["sam"].get("/api/playbooks/no-such-playbook/recalibration")
    assert missing.status_code == 404


async def test_a_running_projects_forecast(baton):
    project = await baton.start()
    answer = await baton["stu"].get(f"/api/projects/{project['slug']}/forecast")
    assert answer.status_code == 200, answer.text
    forecast = answer.json()
    assert forecast["project"] == project["workflow_id"]
    assert 0 <= forecast["p_on_time"] <= 1
    assert forecast["samples"] >= 2000
    assert forecast["p50_finish"] <= forecast["p80_finish"]
    assert forecast["launch_date"] == project["launch_date"]
    assert {"idea", "publish"} <= set(forecast["basis"])
    by_id = await baton["stu"].get(f"/api/projects/{project['workflow_id']}/forecast")
    assert by_id.json()["p_on_time"] == forecast["p_on_time"]  # seeded: the same answer

    for unknown in ("project-no-such-thing", "Not A Slug!"):
        missing = await baton["stu"].get(f"/api/projects/{unknown}/forecast")
        assert missing.status_code == 404, unknown
    assert (await baton[None].get(f"/api/projects/{project['slug']}/forecast")).status_code == 401


async def test_coming_up_lists_a_persons_waiting_steps_from_the_stored_forecast(baton, tmp_path):
    project = await baton.start()
    wid = project["workflow_id"]
    now = datetime.now(UTC).replace(microsecond=0)

    def outlook(step: str, owners: list[str], starts_in: int) -> dict:
        start = now + timedelta(days=starts_in)
        return {
            "step": step,
            "state": "active" if starts_in == 0 else "waiting",
            "owners": owners,
            "p50_start": start.isoformat(),
            "p50_finish": (start + timedelta(days=2)).isoformat(),
        }

    forecast = {
        "project": wid,
        "steps": [
            outlook("idea", ["sam"], 0),  # active: a task, not coming up
            outlook("keywords", ["sam"], 2),
            outlook("outline", ["alice"], 5),
            outlook("approve-outline", ["sam", "stu"], 8),
            outlook("draft", ["alice"], 12),
        ],
    }
    # The projects index has the project once its first effects are recorded; a
    # transition far ahead keeps the live forecaster's own from replacing this one.
    await eventually(lambda: ProjectRepo(baton.services.pool).get(wid), lambda row: row)
    async with baton.services.pool.connection() as conn:
        await save_forecast(conn, wid, 1_000_000, forecast)

    answer = await baton["sam"].get("/api/people/alice/upcoming")
    assert answer.status_code == 200
    mine = [row for row in answer.json() if row["workflow_id"] == wid]
    assert [(row["step_id"], row["step"]) for row in mine] == [
        ("outline", "Create blog post outline"),
        ("draft", "Write final draft"),
    ]
    assert mine[0]["project"] == project["name"]
    assert datetime.fromisoformat(mine[0]["p50_start"]) == now + timedelta(days=5)
    sams = (await baton["sam"].get("/api/people/sam/upcoming")).json()
    assert [row["step_id"] for row in sams if row["workflow_id"] == wid] == [
        "keywords",
        "approve-outline",
    ]
    assert (await baton["sam"].get("/api/people/nobody-here/upcoming")).status_code == 404

    # `baton tasks` prints them after the tasks; its --json stays the list of tasks.
    cli = direct_cli(baton, tmp_path)
    shown = await cli("tasks", "alice", "--as", "alice", columns=200)
    assert shown.returncode == 0, shown.stderr
    assert "Coming up" in shown.stdout and "Create blog post outline" in shown.stdout
    assert when(now + timedelta(days=5), "UTC") in shown.stdout
    listed = json.loads((await cli("tasks", "alice", "--json")).stdout)
    assert not [row for row in listed if row["workflow_id"] == wid]  # nothing active of hers


async def test_coming_up_from_the_forecast_the_worker_stores(baton):
    """No seeding: the effects activity keeps each running project's latest forecast,
    with each step's owners, and that is what "Coming up" reads."""
    project = await baton.start()
    wid = project["workflow_id"]
    upcoming = await eventually(
        lambda: baton["alice"].get("/api/people/alice/upcoming"),
        lambda r: any(row["workflow_id"] == wid for row in r.json()),
    )
    mine = [row["step_id"] for row in upcoming.json() if row["workflow_id"] == wid]
    assert mine == ["outline", "draft", "publish"]  # the order they are projected to start
