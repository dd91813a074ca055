"""The MarketingProject workflow through a Temporal client: updates and their refusals,
signals, the status query, what the Web UI shows, worker restarts, continue-as-new."""

import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from baton.contract import CompleteStep, ReviewStep, RunOptions
from baton.errors import Refused
from starters.client import projects
from tests.workflow.conftest import STARTED, blog_request, project_worker
from workflows.project import NEXT_DUE, OVERDUE, OWNERS, PLAYBOOK, STATE


async def started(env, queue, request=None, options=None):
    request = request or blog_request()
    handle = await projects.start_project(env.client, request, queue, options)
    STARTED.append(handle)
    for _ in range(200):
        try:
            return handle, await projects.status(env.client, handle.id)
        except projects.StillStarting:
            await env.sleep(timedelta(milliseconds=50))
    raise AssertionError("the project never started")


async def _eventually_status(env, workflow_id, ready):
    """The status once `ready` holds; a new worker takes over a workflow only after the
    old worker's sticky queue times out (5 s on the server's clock)."""
    for _ in range(30):
        try:
            status = await projects.status(env.client, workflow_id)
            if ready(status):
                return status
        except (ConnectionError, projects.StillStarting):
            pass
        await env.sleep(timedelta(seconds=1))
    raise AssertionError("the workflow never caught up")


async def test_update_completes_a_step_and_hands_over(env):
    async with project_worker(env) as (queue, recorder):
        handle, status = await started(env, queue)
        assert [s.state for s in status.steps][:2] == ["active", "waiting"]
        result = await projects.act(
            env.client, handle.id, CompleteStep(step_id="idea", actor="sam", note="AI for SMBs")
        )
        assert "completed 'idea' by sam" in result.message
        assert "Waiting on 'Do keyword research' (sam)" in result.message
        status = await projects.status(env.client, handle.id)
        assert status.step("idea").state == "done"
        assert status.step("idea").notes[0].text == "AI for SMBs"
        assert status.step("keywords").state == "active"
        await env.sleep(timedelta(seconds=1))  # let the effects activity run
        recorded = [(e.type, e.step_id, e.recipient) for e in recorder.entries(handle.id)]
        assert ("assigned", "keywords", "sam") in recorded


async def test_refused_update_returns_the_reason_and_leaves_no_trace(env):
    async with project_worker(env) as (queue, _):
        handle, _ = await started(env, queue)
        with pytest.raises(Refused, match=r"alice may not complete 'idea': only sam \(owner\)"):
            await projects.act(env.client, handle.id, CompleteStep(step_id="idea", actor="alice"))
        with pytest.raises(Refused, match="unknown step 'nope'"):
            await projects.act(env.client, handle.id, CompleteStep(step_id="nope", actor="sam"))
        with pytest.raises(Refused, match="'approve-outline' is an approval step"):
            await projects.act(
                env.client, handle.id, CompleteStep(step_id="approve-outline", actor="pat")
            )
        history = await handle.fetch_history()
        accepted = [
            e
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        assert accepted == []
        status = await projects.status(env.client, handle.id)
        assert [e.type for e in status.log] == ["assigned"]


async def test_signals_act_like_updates_and_refusals_land_in_the_log(env):
    async with project_worker(env) as (queue, _):
        handle, _ = await started(env, queue)
        await handle.signal("complete_step", CompleteStep(step_id="idea", actor="mallory"))
        await handle.signal("complete_step", CompleteStep(step_id="idea", actor="sam"))
        await handle.signal(
            "review_step", ReviewStep(step_id="approve-outline", actor="sam", approve=True)
        )
        await env.sleep(timedelta(seconds=1))
        status = await projects.status(env.client, handle.id)
        refused = [e for e in status.log if e.type == "refused"]
        assert [(e.actor, e.step_id) for e in refused] == [
            ("mallory", "idea"),
            ("sam", "approve-outline"),
        ]
        assert "only sam (owner) or pat (project manager)" in (refused[0].detail or "")
        assert "not active yet" in (refused[1].detail or "")
        assert status.step("idea").state == "done"


async def test_search_attributes_and_details_show_who_is_waiting(env):
    async with project_worker(env) as (queue, _):
        handle, _ = await started(env, queue)
        await projects.act(env.client, handle.id, CompleteStep(step_id="idea", actor="sam"))
        await projects.act(env.client, handle.id, CompleteStep(step_id="keywords", actor="sam"))
        description = await handle.describe()
        attributes = description.typed_search_attributes
        assert attributes.get(PLAYBOOK) == "blog-post"
        assert attributes.get(STATE) == "active"
        assert attributes.get(OWNERS) == ["alice"]
        status = await projects.status(env.client, handle.id)
        assert attributes.get(NEXT_DUE) == status.step("outline").due
        assert attributes.get(OVERDUE) is False
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert "Waiting on 'Create blog post outline' (alice)" in metadata.current_details


async def test_starting_a_duplicate_project_is_a_clear_error(env):
    async with project_worker(env) as (queue, _):
        request = blog_request()
        await started(env, queue, request)
        with pytest.raises(Refused, match=f"'{request.workflow_id}' already exists"):
            await projects.start_project(env.client, request, queue)


async def test_a_worker_restarted_mid_project_loses_nothing(env):
    request = blog_request()
    # No workflow cache: a stopped worker leaves no sticky queue for Temporal to wait on,
    # as after a crash once the sticky timeout has passed.
    async with project_worker(env, max_cached_workflows=0) as (queue, first):
        handle, _ = await started(env, queue, request)
        await projects.act(env.client, handle.id, CompleteStep(step_id="idea", actor="sam"))
        await env.sleep(timedelta(seconds=1))
    # No worker: a signal and days of reminders wait in Temporal.
    await handle.signal("complete_step", CompleteStep(step_id="keywords", actor="sam"))
    async with project_worker(env, queue=queue) as (_, second):
        status = await _eventually_status(
            env, handle.id, lambda s: s.step("outline").state == "active"
        )
        assert status.step("keywords").state == "done"
        assert status.step("outline").state == "active"
        await projects.act(env.client, handle.id, CompleteStep(step_id="outline", actor="alice"))
        await env.sleep(timedelta(seconds=1))
        transitions = sorted(int(key.split("/")[1]) for key in [*first.batches, *second.batches])
        assert transitions == list(range(1, len(transitions) + 1))
        status = await projects.status(env.client, handle.id)
        assert [e.type for e in status.log if e.recipient is None] == [
            "completed",
            "completed",
            "completed",
        ]


async def test_continue_as_new_carries_the_project_over_intact(own_env):
    env = own_env
    async with project_worker(env) as (queue, _):
        options = RunOptions(history_limit=25)
        handle, _ = await started(env, queue, options=options)
        first_run = (await handle.describe()).run_id
        for step, actor in [("idea", "sam"), ("keywords", "sam"), ("outline", "alice")]:
            await projects.act(env.client, handle.id, CompleteStep(step_id=step, actor=actor))
        for approver in ("sam", "stu"):
            await projects.act(
                env.client,
                handle.id,
                ReviewStep(step_id="approve-outline", actor=approver, approve=True),
            )
        await env.sleep(timedelta(seconds=2))
        latest = env.client.get_workflow_handle(handle.id)
        description = await latest.describe()
        assert description.run_id != first_run
        assert description.status == WorkflowExecutionStatus.RUNNING
        status = await projects.status(env.client, handle.id)
        assert [s.state for s in status.steps][:5] == ["done"] * 4 + ["active"]
        assert sum(e.type == "completed" for e in status.log) == 3
        assert sum(e.type == "approved" for e in status.log) == 2
        result = await projects.act(
            env.client, handle.id, CompleteStep(step_id="draft", actor="alice")
        )
        assert "completed 'draft'" in result.message


async def test_the_start_input_alone_starts_a_project_as_from_the_temporal_ui(env):
    """The Temporal UI (or any SDK) sends one JSON argument, not the Python types."""
    request = blog_request()
    async with project_worker(env) as (queue, _):
        handle = await env.client.start_workflow(
            "MarketingProject",
            request.model_dump(mode="json", exclude_none=True),
            id=request.workflow_id,
            task_queue=queue,
        )
        STARTED.append(handle)
        status = await _eventually_status(env, handle.id, lambda s: True)
        assert status.name == request.name
        assert status.step("idea").owners == ["sam"]


async def test_a_start_input_missing_a_field_fails_the_start_clearly(env):
    async with project_worker(env) as (queue, _):
        handle = await env.client.start_workflow(
            "MarketingProject",
            {"playbook": "blog-post", "name": "No PM"},
            id="project-no-pm",
            task_queue=queue,
        )
        STARTED.append(handle)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert "the start input's field 'project_manager': Field required" in str(
            failure.value.cause
        )


async def test_a_start_naming_an_unknown_person_fails_with_who_and_the_closest_name(env):
    """A start straight from the Temporal UI has no way in to check it first: the
    workflow's start does, and fails with the same words every way in uses."""
    async with project_worker(env) as (queue, _):
        request = blog_request().model_dump(mode="json", exclude_none=True)
        request["assignments"]["strategist"] = "samm"
        handle = await env.client.start_workflow(
            "MarketingProject", request, id=f"project-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        STARTED.append(handle)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert failure.value.cause.message == (
            "unknown person 'samm' for role 'strategist'; did you mean 'sam'?"
        )
