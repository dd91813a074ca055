"""No input can break a project. Each case here was seen breaking one before: a payload
a validator accepted then failed the workflow on every task (the project stuck, every
later query answering 503). Sent raw, as a direct Temporal client could, each is now
refused with its reason, and the project keeps answering and working."""

import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from baton.contract import CompleteStep, StartProject
from baton.state import Project
from starters.client import projects
from tests.workflow.conftest import BLOG_TEAM, STARTED, blog_request, project_worker
from tests.workflow.test_project_workflow import started


async def rejected(handle, update: str, payload) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)
    return failed.value.cause.message


@pytest.mark.parametrize(
    ("update", "payload", "says"),
    [
        ("reassign_step", {"step_id": "idea", "actor": "sam", "to": "Bob Smith"},
         "field 'to': 'Bob Smith' is not valid here"),
        ("complete_step", {"step_id": "idea", "actor": "sam", "note": "x" * 850_000},
         "field 'note': String should have at most 10000 characters"),
        ("complete_step", {"step_id": "idea", "actor": "sam", "note": "a\x00b"},
         "field 'note': contains a control character (U+0000)"),
        ("complete_step", {"step_id": "idea", "actor": "sam", "note": "pay \u202eevil"},
         "field 'note': contains a bidirectional override (U+202E)"),
        ("reschedule", {"actor": "pat", "launch_date": "9999-12-31"},
         "field 'launch_date': 9999-12-31 is outside the dates Baton plans for"),
        ("complete_step", {"step_id": "idea"}, "field 'actor': Field required"),
        ("complete_step", "not a message", "the message"),
    ],
)  # fmt: skip
async def test_an_update_out_of_bounds_is_rejected_with_why_and_the_project_goes_on(
    env, update, payload, says
):
    async with project_worker(env) as (queue, _):
        handle, _ = await started(env, queue)
        assert says in await rejected(handle, update, payload)
        after = await projects.act(env.client, handle.id, CompleteStep(step_id="idea", actor="sam"))
        assert "completed 'idea' by sam" in after.message
        status = await projects.status(env.client, handle.id)
        assert status.step("keywords").state == "active"


async def test_a_signal_out_of_bounds_is_recorded_as_refused_not_applied(env):
    async with project_worker(env) as (queue, _):
        handle, _ = await started(env, queue)
        await handle.signal("reassign_step", {"step_id": "idea", "actor": "sam", "to": "Bob Smith"})
        await handle.signal("complete_step", {"step_id": "idea", "actor": "sam", "note": "\x00"})
        await handle.signal("complete_step", {"step_id": "idea", "actor": "sam"})
        await env.sleep(timedelta(seconds=1))
        status = await projects.status(env.client, handle.id)
        refused = [e.detail for e in status.log if e.type == "refused"]
        assert len(refused) == 2
        assert "a reassign_step message that could not be read" in refused[0]
        assert "'Bob Smith' is not valid here" in refused[0]
        assert "control character (U+0000)" in refused[1]
        assert status.step("idea").owners == ["sam"]  # nothing applied
        assert status.step("idea").state == "done"  # the valid signal after them was


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"launch_date": "9999-12-31"}, "field 'launch_date': 9999-12-31 is outside"),
        ({"name": "Post\x00"}, "field 'name': contains a control character"),
        ({"assignments": {**BLOG_TEAM, "writer": "Bob Smith"}}, "is not valid here"),
    ],
)  # fmt: skip
async def test_a_start_out_of_bounds_fails_with_why_instead_of_retrying_forever(env, change, says):
    """The contract's input alone, as the Temporal UI sends it: a bad one ends the start
    with the reason (the run fails once), never a workflow task failing again and again."""
    request = blog_request().model_dump(mode="json") | change
    async with project_worker(env) as (queue, _):
        handle = await env.client.start_workflow(
            "MarketingProject", request, id=f"project-hostile-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )  # fmt: skip
        STARTED.append(handle)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert says in str(failed.value.cause)


def test_launch_dates_are_refused_beyond_five_years_and_start_dates_beyond_a_year_back():
    from datetime import date

    from baton.errors import Refused
    from baton.playbook import find_playbook
    from baton.state import check_start

    today, blog = date(2026, 11, 28), find_playbook("blog-post")
    far = blog_request().model_copy(update={"launch_date": date(2032, 1, 1)})
    with pytest.raises(Refused, match="is more than 5 years away") as refused:
        check_start(far, blog, today)
    assert refused.value.field == "launch_date"
    old = blog_request().model_copy(update={"launch_date": None, "start_date": date(2025, 1, 1)})
    with pytest.raises(Refused, match="not within a year before today") as refused:
        check_start(old, blog, today)
    assert refused.value.field == "start_date"
    check_start(blog_request().model_copy(update={"launch_date": date(2031, 11, 1)}), blog, today)


def test_a_long_project_keeps_its_state_small_whatever_people_write():
    """Hundreds of maximal notes and comments: the state (the status query, what a
    continue-as-new carries) stays far below Temporal's 2 MB payload limit."""
    from baton.contract import ReviewStep
    from baton.playbook import find_playbook
    from baton.state import apply, start_project
    from tests.test_state import START

    request = StartProject.model_validate(blog_request().model_dump())
    project: Project = start_project(request, find_playbook("blog-post"), {}, START).project
    long = "word " * 2_000  # 10,000 characters
    for step, owner in (("idea", "sam"), ("keywords", "sam")):
        project = apply(project, CompleteStep(step_id=step, actor=owner, note=long), START).project
    for _ in range(60):  # sixty rounds of rework, every text at its limit
        done = CompleteStep(step_id="outline", actor="alice", note=long, link="https://x.test/a")
        project = apply(project, done, START).project
        rejection = ReviewStep(step_id="approve-outline", actor="sam", approve=False, comment=long)
        project = apply(project, rejection, START).project
    assert project.step("outline").revision > 50
    assert len(project.model_dump_json()) < 300_000
    assert len(project.status().model_dump_json()) < 300_000
