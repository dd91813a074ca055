"""Projects are isolated. One project that is stuck (a workflow task failing again and
again: here a worker with a broken workflow) or was terminated must not break the lists
of everyone in it: a person's tasks list only running projects, once each, and a project
that cannot answer is shown as such in its own row while the rest of the list works.
The stuck project's own status says "stuck, because ..." with the failing task's error."""

import uuid

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.api.conftest import BLOG_TEAM, days_ahead, eventually
from workflows.project import OWNERS, PLAYBOOK, STATE


@workflow.defn(name="MarketingProject")
class BrokenProject:
    """A worker's bug: every workflow task of this project fails."""

    @workflow.run
    async def run(self, *args) -> None:
        raise RuntimeError("boom: a bug in this worker")


async def test_a_stuck_or_ended_project_breaks_nobody_elses_list(baton, temporal):
    healthy = await baton.start()  # sam's 'idea' waits
    ended = await baton.start()
    await temporal.client.get_workflow_handle(ended["workflow_id"]).terminate(reason="test")
    stuck_id = f"project-stuck-{uuid.uuid4().hex[:6]}"
    queue = f"broken-{uuid.uuid4().hex[:6]}"
    listed_for_sam = TypedSearchAttributes([
        SearchAttributePair(PLAYBOOK, "blog-post"), SearchAttributePair(STATE, "active"),
        SearchAttributePair(OWNERS, ["sam"]),
    ])  # fmt: skip
    async with Worker(temporal.client, task_queue=queue, workflows=[BrokenProject],
                      workflow_runner=UnsandboxedWorkflowRunner()):  # fmt: skip
        handle = await temporal.client.start_workflow(
            "MarketingProject", {}, id=stuck_id, task_queue=queue,
            search_attributes=listed_for_sam, memo={"name": "Stuck post"},
        )  # fmt: skip
        try:
            status = await eventually(
                lambda: baton["sam"].get(f"/api/projects/{stuck_id}"),
                lambda answer: "has failed" in answer.text,
            )
            assert status.status_code == 503
            assert (
                f"project '{stuck_id}' is stuck, because its workflow task has failed"
                in (status.json()["detail"])
            )
            assert "boom: a bug in this worker" in status.json()["detail"]

            mine = await eventually(
                lambda: baton["sam"].get("/api/me/tasks"),
                lambda answer: any(row["workflow_id"] == stuck_id for row in answer.json()),
            )
            assert mine.status_code == 200
            rows = mine.json()
            [stuck] = [row for row in rows if row["workflow_id"] == stuck_id]
            assert stuck["project"] == "Stuck post" and "is stuck, because" in stuck["problem"]
            ids = [(row["workflow_id"], row["step_id"]) for row in rows]
            assert (healthy["workflow_id"], "idea") in ids  # the rest still works
            assert len(ids) == len(set(ids))  # one row per project and step
            assert all(row["workflow_id"] != ended["workflow_id"] for row in rows)
        finally:
            await handle.terminate(reason="test finished")


async def test_a_project_that_continued_as_new_is_listed_once(baton, temporal):
    """Its earlier run ends 'continued as new'; lists and tasks show the project once."""
    from baton.contract import CompleteStep, RunOptions, StartProject
    from starters import client

    request = StartProject.model_validate(
        {"playbook": "blog-post", "name": f"Long post {uuid.uuid4().hex[:6]}",
         "launch_date": days_ahead(60), "assignments": BLOG_TEAM, "project_manager": "pat"}
    )  # fmt: skip
    queue = baton.services.settings.task_queue
    handle = await client.start_project(
        temporal.client, request, queue, RunOptions(history_limit=12)
    )
    await eventually(lambda: _status_or_none(temporal, handle.id), lambda s: s is not None)
    for step in ("idea", "keywords"):  # enough events to continue as new
        await client.act(temporal.client, handle.id, CompleteStep(step_id=step, actor="sam"))
    # Visibility shows the new run a moment after the old one closed: wait for both.
    runs = await eventually(
        lambda: _runs(temporal, handle.id),
        lambda found: "ContinuedAsNew" in found and "Running" in found,
    )
    assert runs.count("Running") == 1
    listed = await eventually(
        lambda: baton["pat"].get("/api/projects"),
        lambda answer: any(row["workflow_id"] == handle.id for row in answer.json()),
    )
    assert [row["workflow_id"] for row in listed.json()].count(handle.id) == 1
    # Visibility lags each change a moment: wait until alice's owner attribute shows.
    tasks = await eventually(
        lambda: baton["alice"].get("/api/me/tasks"),
        lambda answer: any(t["workflow_id"] == handle.id for t in answer.json()),
    )
    pairs = [(t["workflow_id"], t["step_id"]) for t in tasks.json()]
    assert pairs.count((handle.id, "outline")) == 1
    await handle.terminate(reason="test finished")


async def _status_or_none(temporal, workflow_id):
    from starters import client

    try:
        return await client.status(temporal.client, workflow_id)
    except client.StillStarting:
        return None


async def _runs(temporal, workflow_id) -> list[str]:
    query = f"WorkflowId = '{workflow_id}'"
    return [run.status.name.title().replace("_", "") async for run in
            temporal.client.list_workflows(query)]  # fmt: skip
