"""Projects: start one, list them, read one's status. `project` in a path is the slug or
the workflow id `project-<slug>`."""

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from activities.postgres import PostgresCatalog
from baton.bounds import ID_MAX, bounded_text
from baton.contract import ProjectStatus, StartProject, workflow_id_of
from baton.errors import NotFound
from baton.people import Person
from baton.store.people import PeopleRepo
from starters import client
from starters.client import ProjectRow
from starters.web.deps import Me, Services, ServicesDep, current_person

Filter = bounded_text(ID_MAX)

router = APIRouter(tags=["projects"], dependencies=[Depends(current_person)])


class ProjectView(ProjectStatus):
    """The `status` query's answer, with where the run is in the Temporal Web UI."""

    temporal_url: str


_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
ProjectRef = Annotated[str, Path(description="The slug, or the workflow id project-<slug>.")]


def workflow_id(project: str) -> str:
    """The workflow id a path names; what could be no project's is a 404 at once."""
    if not _PROJECT.fullmatch(project):
        raise NotFound(f"no project '{project}'; GET /api/projects lists them")
    return workflow_id_of(project)


def project_view(services: Services, status: ProjectStatus) -> ProjectView:
    url = services.settings.workflow_url(status.workflow_id)
    return ProjectView(**dict(status), temporal_url=url)


@router.post(
    "/projects",
    summary="Start a project",
    status_code=201,
    responses={409: {"description": "A project with this id exists"}},
)
async def start(
    request: StartProject, me: Me, services: ServicesDep, response: Response
) -> ProjectView:
    """One durable run of a playbook, with the contract's start input, started by the
    project's manager or an admin (recorded as `started_by`). Answers once the first
    steps are handed out. An unknown playbook or version, a role without anyone,
    or a launch date in the past is a 422 naming the field; so is a launch that leaves
    steps due already ("3 steps would already be late ..."), unless `compress` (their
    dues are spread between now and the launch, and the PM told) or `allow_late`."""
    status = await start_as(services, me, request)
    response.headers["Location"] = f"/api/projects/{status.slug}"
    return project_view(services, status)


async def start_as(services: Services, me: Person, request: StartProject) -> ProjectStatus:
    """Start a project as `me` (the API and the dashboard): the project's manager or an
    admin may (else 403), recorded as `started_by`; checked before anything starts."""
    if request.project_manager != me.id and not await PeopleRepo(services.pool).is_admin(me.id):
        raise HTTPException(
            403,
            detail=f"{me.id} may not start a project for {request.project_manager}: only "
            "the project's manager or an admin may start one",
        )
    request = request.model_copy(update={"started_by": me.id})  # the token says who
    await client.check_start_request(PostgresCatalog(services.pool), request)
    return await client.start_and_wait(services.client, request, services.settings.task_queue)


@router.get("/projects", summary="List projects")
async def list_projects(
    services: ServicesDep,
    state: Annotated[Literal["active", "completed", "cancelled"] | None, Query()] = None,
    # Filters are names, never query text: any text is quoted into the visibility query.
    playbook: Annotated[Filter | None, Query(description="Only this playbook's.")] = None,
    owner: Annotated[Filter | None, Query(description="Only those waiting on this person.")] = None,
    overdue: Annotated[bool, Query(description="Only overdue ones.")] = False,
) -> list[ProjectRow]:
    """Projects and their state, from Temporal's visibility store (updated a moment
    after each change)."""
    query = client.visibility_query(state, playbook, owner, overdue)
    return await client.list_projects(services.client, query)


@router.get("/projects/{project}", summary="A project's status")
async def project_status(project: ProjectRef, services: ServicesDep) -> ProjectView:
    """Every step with its owners, due, state, revision, approvals and notes; the log;
    and the Temporal Web UI link. `project` is the slug or the workflow id."""
    return project_view(services, await client.status(services.client, workflow_id(project)))
