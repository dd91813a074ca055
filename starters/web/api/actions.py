"""Acting on a project as the token's person: complete, review, choose, reassign,
reschedule, cancel. Each reaches the same validated workflow update as the CLI."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from baton.bounds import ID_MAX, STEP_ID, Link, Name, PersonId, PlanDate, Text, is_id
from baton.contract import (
    ActionResult,
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
)
from baton.errors import NotFound, validated
from starters import client
from starters.web.api.projects import ProjectRef, ProjectView, project_view, workflow_id
from starters.web.deps import Me, Services, ServicesDep, current_person

router = APIRouter(tags=["actions"], dependencies=[Depends(current_person)])


class ActionView(ActionResult):
    """What the action did (message, project state, log entries) and the project now."""

    status: ProjectView


# The bodies: the contract's messages less the step (in the path) and the actor (the
# token's person), with the same bounds.


class Complete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = None
    link: Link | None = None


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    comment: Text | None = Field(
        None, description="Why: required with a rejection (sent with the rework notice)."
    )


class Choose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    option: Name


class Reassign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: PersonId = Field(description="Who takes the step over (person id).")


class NewLaunchDate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    launch_date: PlanDate
    compress: bool = Field(
        False, description="When steps would already be late: spread their dues before the launch."
    )
    allow_late: bool = Field(False, description="When steps would already be late: go on anyway.")


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[Text, Field(min_length=1)]


def step_ref(step_id: str) -> str:
    """The step a path names; what could be no step's is a 404 at once."""
    if not is_id(step_id, STEP_ID):
        raise NotFound(f"no step '{step_id[:ID_MAX]}'; GET /api/projects/PROJECT lists them")
    return step_id


async def _act(
    services: Services, project: str, command: Command, step_id: str | None = None
) -> ActionView:
    """Send one action as the workflow's validated update; unknown project or step: 404,
    an unknown person to reassign to: 422, refused: 409 with the reason."""
    wid = workflow_id(project)
    current = await client.status(services.client, wid)
    if step_id is not None and step_id not in {step.id for step in current.steps}:
        known = ", ".join(step.id for step in current.steps)
        raise NotFound(f"project '{current.slug}' has no step '{step_id}'; steps are: {known}")
    result = await services.act(wid, command)
    after = await client.status(services.client, wid)
    return ActionView(**dict(result), status=project_view(services, after))


@router.post("/projects/{project}/steps/{step_id}/complete", summary="Complete a task")
async def complete(
    project: ProjectRef, step_id: str, body: Complete, me: Me, services: ServicesDep
) -> ActionView:
    """Mark a task done as yourself; the next steps' owners are told at once."""
    command = CompleteStep(step_id=step_ref(step_id), actor=me.id, note=body.note, link=body.link)
    return await _act(services, project, command, step_id)


@router.post(
    "/projects/{project}/steps/{step_id}/review",
    summary="Approve or reject an approval",
)
async def review(
    project: ProjectRef, step_id: str, body: Review, me: Me, services: ServicesDep
) -> ActionView:
    """A rejection sends the work back for rework (revision + 1)."""
    fields = {"step_id": step_ref(step_id), "actor": me.id, **body.model_dump()}
    command = validated(ReviewStep, fields)  # a rejection without a reason: 422
    return await _act(services, project, command, step_id)


@router.post("/projects/{project}/steps/{step_id}/choose", summary="Decide a decision")
async def choose(
    project: ProjectRef, step_id: str, body: Choose, me: Me, services: ServicesDep
) -> ActionView:
    """Pick one of the decision's options; branches not chosen are skipped."""
    command = ChooseOption(step_id=step_ref(step_id), actor=me.id, option=body.option)
    return await _act(services, project, command, step_id)


@router.post("/projects/{project}/steps/{step_id}/reassign", summary="Hand a step over")
async def reassign(
    project: ProjectRef, step_id: str, body: Reassign, me: Me, services: ServicesDep
) -> ActionView:
    command = ReassignStep(step_id=step_ref(step_id), actor=me.id, to=body.to)
    return await _act(services, project, command, step_id)


@router.post("/projects/{project}/reschedule", summary="Move the launch date (PM)")
async def reschedule(
    project: ProjectRef, body: NewLaunchDate, me: Me, services: ServicesDep
) -> ActionView:
    """Due dates and reminders of unfinished steps move with it; not into the past. A
    launch that leaves unfinished steps due already is a 409 unless `compress` (their dues
    are spread between now and the launch, and the PM told) or `allow_late` is set."""
    command = Reschedule(actor=me.id, **body.model_dump())
    return await _act(services, project, command)


@router.post("/projects/{project}/cancel", summary="Cancel a project (PM)")
async def cancel(project: ProjectRef, body: Cancel, me: Me, services: ServicesDep) -> ActionView:
    return await _act(services, project, CancelProject(actor=me.id, reason=body.reason))
