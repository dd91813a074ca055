"""A finished project is told apart from a live one at every way in: cancelling tells
everyone it was waiting on and the PM, its steps read `cancelled`, the lists stop naming
its owners, Temporal shows it Canceled (not Completed), and any later action says what
happened instead of "no project". The real `baton` command in direct mode, against the
API tests' Temporal dev server, worker and PostgreSQL."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus

from tests.api.conftest import eventually
from workflows.project import STATE

BATON = str(Path(sys.executable).parent / "baton")


def direct_cli(baton, tmp_path):
    """`baton` as an operator on this machine would run it (no login: `--as` acts)."""
    services = baton.services
    env = {
        **os.environ,
        "BATON_HOME": str(tmp_path / "home"),
        "TEMPORAL_ADDRESS": services.client.service_client.config.target_host,
        "BATON_TASK_QUEUE": services.settings.task_queue,
        "DATABASE_URL": services.pool.conninfo,
        "BATON_USER": "",
    }

    async def run(*args: str, columns: int = 100) -> subprocess.CompletedProcess:
        wide = {**env, "COLUMNS": str(columns)}
        return await asyncio.to_thread(
            subprocess.run, [BATON, *args], env=wide, capture_output=True, text=True, timeout=120
        )

    return run


async def test_cancel_from_the_cli_then_every_action_says_what_happened(baton, tmp_path):
    cli = direct_cli(baton, tmp_path)
    project = await baton.start()
    slug, workflow_id = project["slug"], project["workflow_id"]

    cancelled = await cli("cancel", slug, "--reason", "budget cut", "--as", "pat")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "told: pat, sam" in cancelled.stdout

    day = datetime.now(UTC).strftime("%a %Y-%m-%d")  # the project's zone is UTC
    what_happened = (
        f"project '{slug}' was cancelled by pat on {day} (budget cut); nothing more can be done"
    )
    handle = baton.services.client.get_workflow_handle(workflow_id)
    await eventually(
        lambda: handle.describe(), lambda d: d.status == WorkflowExecutionStatus.CANCELED
    )
    for args in (
        ["complete", slug, "idea", "--as", "sam"],
        ["reschedule", slug, "--launch", "2031-01-06", "--as", "pat"],
        ["cancel", slug, "--reason", "again", "--as", "pat"],
    ):
        late = await cli(*args)
        assert late.returncode == 1, late.stdout
        assert what_happened in " ".join(late.stderr.split()), late.stderr
        assert "no project" not in late.stderr

    shown = await cli("status", slug, "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"state": "cancelled"' in shown.stdout and '"cancelled_by": "pat"' in shown.stdout


async def test_a_rejection_without_a_reason_is_refused_at_the_cli(baton, tmp_path):
    cli = direct_cli(baton, tmp_path)
    slug = (await baton.start())["slug"]
    bare = await cli("review", slug, "approve-outline", "--reject", "--as", "pat")
    assert bare.returncode == 1
    assert "a rejection needs a reason" in bare.stderr
    status = (await baton["pat"].get(f"/api/projects/{slug}")).json()
    assert all(not step["approvals"] for step in status["steps"])  # nothing changed


async def test_a_cancellation_asked_of_temporal_cancels_the_project_as_its_pm_would(baton):
    """The Web UI's "Request Cancellation" (here the same request from a client): the
    project reads cancelled, its people are told, and Temporal shows it Canceled."""
    project = await baton.start()
    slug, workflow_id = project["slug"], project["workflow_id"]
    handle = baton.services.client.get_workflow_handle(workflow_id)
    await handle.cancel()
    described = await eventually(
        lambda: handle.describe(), lambda d: d.status == WorkflowExecutionStatus.CANCELED
    )
    # The lists read the state attribute: it says cancelled too.
    assert described.typed_search_attributes.get(STATE) == "cancelled"
    shown = (await baton["pat"].get(f"/api/projects/{slug}")).json()
    assert (shown["state"], shown["cancelled_by"]) == ("cancelled", "pat")
    assert shown["cancel_reason"] == "cancelled in Temporal (Request Cancellation)"
    assert {step["state"] for step in shown["steps"]} == {"cancelled"}
    inbox = await eventually(
        lambda: baton["sam"].get("/api/me/inbox"),
        lambda r: any(m["kind"] == "cancelled" and m["workflow_id"] == workflow_id
                      for m in r.json()),
    )  # fmt: skip
    assert inbox.status_code == 200


async def test_a_reworked_task_says_who_sent_it_back_and_why(baton, tmp_path):
    cli = direct_cli(baton, tmp_path)
    slug = (await baton.start())["slug"]
    for person, step in (("sam", "idea"), ("sam", "keywords"), ("alice", "outline")):
        done = await baton[person].post(f"/api/projects/{slug}/steps/{step}/complete", json={})
        assert done.status_code == 200, done.text
    rejected = await baton["stu"].post(
        f"/api/projects/{slug}/steps/approve-outline/review",
        json={"approve": False, "comment": "too long"},
    )
    assert rejected.status_code == 200, rejected.text
    tasks = await cli("tasks", "alice", columns=200)  # wide enough for no cell to wrap
    assert tasks.returncode == 0, tasks.stderr
    assert 'sent back by stu: "too long"' in tasks.stdout
