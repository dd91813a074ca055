"""Playbooks: list, show, plan, validate and (admins) publish."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from baton.bounds import ID_MAX, INT_MAX, STEP_ID, PlanDate
from baton.plan import Plan, plan_playbook
from baton.playbook import Playbook, PlaybookError, Problem, parse_playbook
from baton.store.playbooks import PlaybookRepo
from starters.web.deps import Admin, ServicesDep, Text, current_person, text_body_openapi

PlaybookRef = Annotated[
    str, Path(max_length=ID_MAX, pattern=STEP_ID, description="The playbook's id.")
]

router = APIRouter(tags=["playbooks"], dependencies=[Depends(current_person)])


class PlaybookSummary(BaseModel):
    id: str
    name: str
    version: int
    steps: int
    published_at: datetime


class PlaybookVersion(BaseModel):
    version: int
    playbook: Playbook


class ValidationReport(BaseModel):
    valid: bool
    id: str | None = None
    name: str | None = None
    steps: int | None = None
    problems: list[Problem] = []


class Published(BaseModel):
    id: str
    version: int
    created: bool  # False: the same playbook was published before, as this version


@router.get("/playbooks", summary="List published playbooks (latest)")
async def list_playbooks(services: ServicesDep) -> list[PlaybookSummary]:
    """The latest published version of every playbook."""
    return [PlaybookSummary(**row) for row in await PlaybookRepo(services.pool).list_latest()]


@router.get("/playbooks/{playbook_id}", summary="Show a published playbook")
async def get_playbook(
    playbook_id: PlaybookRef,
    services: ServicesDep,
    version: Annotated[
        int | None, Query(ge=1, le=INT_MAX, description="A published version.")
    ] = None,
) -> PlaybookVersion:
    """Roles, timing rules and steps of one version (the latest by default)."""
    playbook, found = await PlaybookRepo(services.pool).get(playbook_id, version)
    return PlaybookVersion(version=found, playbook=playbook)


@router.get("/playbooks/{playbook_id}/plan", summary="Plan a playbook on the calendar")
async def plan(
    playbook_id: PlaybookRef,
    launch: Annotated[PlanDate, Query(description="The launch date, YYYY-MM-DD.")],
    services: ServicesDep,
    timezone: Annotated[
        str, Query(max_length=64, description="The project's IANA time zone.")
    ] = "UTC",
    version: Annotated[
        int | None, Query(ge=1, le=INT_MAX, description="A published version.")
    ] = None,
) -> Plan:
    """Every step of a published playbook with its owner roles and due instant for a
    launch date, in the project's time zone; `past` marks a due already passed,
    `weekend` one on a Saturday or Sunday."""
    playbook, _ = await PlaybookRepo(services.pool).get(playbook_id, version)
    return plan_playbook(playbook, launch, timezone, datetime.now(UTC))


@router.post(
    "/playbooks/validate",
    summary="Check a playbook (YAML body)",
    openapi_extra=text_body_openapi("application/yaml", "text/plain"),
)
async def validate_playbook(
    body: Text,
    file: Annotated[str, Query(description="The name problems are reported under.")] = "<body>",
) -> ValidationReport:
    """Every problem with its file, step and field; 200 whether valid or not."""
    try:
        playbook = parse_playbook(body, source=file)
    except PlaybookError as error:
        return ValidationReport(valid=False, problems=error.problems)
    return ValidationReport(
        valid=True, id=playbook.id, name=playbook.name, steps=len(playbook.steps)
    )


@router.post(
    "/playbooks",
    summary="Publish a playbook (admin; YAML body)",
    status_code=201,
    responses={200: {"description": "Unchanged: already published as this version"}},
    openapi_extra=text_body_openapi("application/yaml", "text/plain"),
)
async def publish_playbook(
    body: Text,
    admin: Admin,
    services: ServicesDep,
    response: Response,
    file: Annotated[str, Query(description="The name problems are reported under.")] = "<body>",
) -> Published:
    """A new version when the playbook's meaning changed (201), else the existing one
    (200). Running projects keep the version they started with. An invalid playbook is
    a 422 listing its problems."""
    playbook, version, created = await PlaybookRepo(services.pool).publish(body, file)
    if not created:
        response.status_code = 200
    return Published(id=playbook.id, version=version, created=created)
