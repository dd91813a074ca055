"""The HTTP API (/api, OpenAPI at /docs): every CLI operation, as JSON.

A bearer token per person (`baton people token PERSON`) decides who acts: no endpoint
takes an actor from the request, so nobody can act as someone else, and every action
reaches the same validated workflow update the CLI sends. Admins also manage people and
playbooks.

Errors are JSON with a `detail` a person can read, the same wording the CLI prints:
401 no or an unknown token, 403 not an admin, 404 an unknown project, step, person or
playbook, 409 the project refused the action (the reason says who may act), 422 input
Baton cannot use (naming the field, or listing a file's problems with where they are),
503 Temporal unreachable.
"""

import re
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from activities.catalog import CatalogError
from activities.postgres import PostgresCatalog
from baton.commands import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
    workflow_id_for,
)
from baton.people import Person
from baton.people_import import parse_people_csv, parse_people_yaml
from baton.plan import Plan, plan_playbook
from baton.playbook import Playbook, PlaybookError, Problem, parse_playbook
from baton.recurring import RecurringSpec
from baton.schedule import zone
from baton.state import ProjectStatus, Refused, check_start
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.tokens import hash_token, new_token
from starters import projects, schedules
from starters.projects import NotFound, ProjectRow, TaskRow
from starters.schedules import ScheduleRow
from starters.web import Services, get_services
from workflows.project import ActionResult


class FieldProblem(ValueError):
    """Input naming a field Baton cannot use; answered like FastAPI's own 422."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def error_response(error: Exception) -> JSONResponse | None:
    """Baton's errors as HTTP answers; None for anything else (a real bug: a 500)."""
    if isinstance(error, Refused):
        return JSONResponse({"detail": error.reason}, status_code=409)
    if isinstance(error, NotFound) or type(error) is LookupError:  # not KeyError, IndexError
        return JSONResponse({"detail": str(error)}, status_code=404)
    if isinstance(error, FieldProblem):
        problem = {"loc": ["body", error.field], "msg": str(error), "type": "value_error"}
        return JSONResponse({"detail": [problem]}, status_code=422)
    if isinstance(error, ValidationError):
        problems = [
            {"loc": list(e["loc"]), "msg": e["msg"].removeprefix("Value error, ")}
            for e in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)
    if isinstance(error, ValueError):  # PlaybookError, PeopleFileError, CatalogError, ...
        body: dict[str, Any] = {"detail": str(error)}
        if problems := getattr(error, "problems", None):
            body["problems"] = [problem.model_dump() for problem in problems]
        return JSONResponse(body, status_code=422)
    if isinstance(error, ConnectionError):
        return JSONResponse({"detail": str(error)}, status_code=503)
    return None


class BatonRoute(APIRoute):
    """Every /api route answers Baton's errors with `error_response` (the routes' own
    handlers, so the dashboard beside them keeps its own error pages)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:
                answer = error_response(error)
                if answer is None:
                    raise
                return answer

        return handle


router = APIRouter(prefix="/api", route_class=BatonRoute)

# -- who is asking

bearer = HTTPBearer(
    auto_error=False,
    description="A person's API token; an admin makes one with `baton people token PERSON` "
    "or POST /api/people/{person_id}/token.",
)
ServicesDep = Annotated[Services, Depends(get_services)]


def _unauthorized(message: str, challenge: str = 'Bearer realm="baton"') -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": challenge})


async def current_person(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Person:
    """The person whose token came with the request: the actor of everything they do."""
    if credentials is None:
        raise _unauthorized(
            "send your API token as `Authorization: Bearer <token>`; an admin makes one "
            "with `baton people token PERSON`"
        )
    person = await PeopleRepo(services.pool).by_token_hash(hash_token(credentials.credentials))
    if person is None:
        raise _unauthorized(
            "this API token is not valid (a newer one may have replaced it); ask an admin "
            "for a new one",
            'Bearer realm="baton", error="invalid_token"',
        )
    return person


Me = Annotated[Person, Depends(current_person)]


async def current_admin(me: Me, services: ServicesDep) -> Person:
    if not await PeopleRepo(services.pool).is_admin(me.id):
        raise HTTPException(
            403, detail=f"{me.id} is not an admin; only admins manage people and playbooks"
        )
    return me


Admin = Annotated[Person, Depends(current_admin)]


def _text_body(*media_types: str) -> dict:
    """OpenAPI for a request body read as text (a YAML or CSV document)."""
    schema = {"schema": {"type": "string"}}
    return {"requestBody": {"required": True, "content": dict.fromkeys(media_types, schema)}}


async def text_body(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"the body is not UTF-8 text (byte {error.start}); send UTF-8") from None


Text = Annotated[str, Depends(text_body)]

# -- playbooks


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


@router.get("/playbooks", tags=["playbooks"], summary="List published playbooks (latest)")
async def list_playbooks(me: Me, services: ServicesDep) -> list[PlaybookSummary]:
    """The latest published version of every playbook."""
    return [PlaybookSummary(**row) for row in await PlaybookRepo(services.pool).list_latest()]


@router.get("/playbooks/{playbook_id}", tags=["playbooks"], summary="Show a published playbook")
async def get_playbook(
    playbook_id: str,
    me: Me,
    services: ServicesDep,
    version: Annotated[int | None, Query(ge=1, description="A published version.")] = None,
) -> PlaybookVersion:
    """Roles, timing rules and steps of one version (the latest by default)."""
    playbook, found = await PlaybookRepo(services.pool).get(playbook_id, version)
    return PlaybookVersion(version=found, playbook=playbook)


@router.get(
    "/playbooks/{playbook_id}/plan", tags=["playbooks"], summary="Plan a playbook on the calendar"
)
async def plan(
    playbook_id: str,
    launch: Annotated[date, Query(description="The launch date, YYYY-MM-DD.")],
    me: Me,
    services: ServicesDep,
    timezone: Annotated[str, Query(description="The project's IANA time zone.")] = "UTC",
    version: Annotated[int | None, Query(ge=1, description="A published version.")] = None,
) -> Plan:
    """Every step of a published playbook with its owner roles and due instant for a
    launch date, in the project's time zone."""
    playbook, _ = await PlaybookRepo(services.pool).get(playbook_id, version)
    return plan_playbook(playbook, launch, timezone)


@router.post(
    "/playbooks/validate",
    tags=["playbooks"],
    summary="Check a playbook (YAML body)",
    openapi_extra=_text_body("application/yaml", "text/plain"),
)
async def validate_playbook(
    body: Text,
    me: Me,
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
    tags=["playbooks"],
    summary="Publish a playbook (admin; YAML body)",
    status_code=201,
    responses={200: {"description": "Unchanged: already published as this version"}},
    openapi_extra=_text_body("application/yaml", "text/plain"),
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


# -- people


class Myself(BaseModel):
    person: Person
    is_admin: bool


class Imported(BaseModel):
    imported: int
    people: list[str]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admin: bool | None = Field(None, description="Also make them an admin (or not).")


class NewToken(BaseModel):
    person: str
    token: str
    is_admin: bool
    note: str = "shown once: Baton stores only its hash; a new token replaces this one"


class InboxMessage(BaseModel):
    id: int
    kind: str
    workflow_id: str
    step_id: str | None
    subject: str
    body_text: str
    body_html: str
    created_at: datetime
    read_at: datetime | None  # before this request: None means new


@router.get("/people", tags=["people"], summary="List the team")
async def list_people(me: Me, services: ServicesDep) -> list[Person]:
    """Everyone Baton knows, with how and when to reach them."""
    return await PeopleRepo(services.pool).list()


@router.get("/me", tags=["me"], summary="Who this token belongs to")
async def whoami(me: Me, services: ServicesDep) -> Myself:
    return Myself(person=me, is_admin=await PeopleRepo(services.pool).is_admin(me.id))


@router.post(
    "/people/import",
    tags=["people"],
    summary="Import people (admin; YAML or CSV body)",
    openapi_extra=_text_body("application/yaml", "text/csv", "text/plain"),
)
async def import_people(
    body: Text,
    admin: Admin,
    services: ServicesDep,
    format: Annotated[Literal["yaml", "csv"], Query(description="The body's format.")] = "yaml",
) -> Imported:
    """Add or update people (the file format of `baton people import`). All or nothing:
    any problem is a 422 listing every problem with its row and field, and changes
    nothing."""
    parse = parse_people_csv if format == "csv" else parse_people_yaml
    entries = parse(body, f"<people.{format}>")
    admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}
    await PeopleRepo(services.pool).replace_all_or_nothing([e.person for e in entries], admins)
    return Imported(imported=len(entries), people=[e.person.id for e in entries])


@router.post(
    "/people/{person_id}/token", tags=["people"], summary="Make a person's API token (admin)"
)
async def make_token(
    person_id: str, admin: Admin, services: ServicesDep, request: TokenRequest | None = None
) -> NewToken:
    """A new token for the person, replacing any old one; the answer is the only time
    it is shown."""
    repo = PeopleRepo(services.pool)
    token, digest = new_token()
    await repo.set_token_hash(person_id, digest)  # an unknown person: 404
    if request and request.admin is not None:
        await repo.set_admin(person_id, request.admin)
    return NewToken(person=person_id, token=token, is_admin=await repo.is_admin(person_id))


@router.get("/me/tasks", tags=["me"], summary="My active steps")
async def my_tasks(me: Me, services: ServicesDep) -> list[TaskRow]:
    """Steps waiting on me across projects: overdue first, then by due."""
    return await projects.tasks_for(services.client, me.id)


@router.get("/people/{person_id}/tasks", tags=["people"], summary="A person's active steps")
async def person_tasks(person_id: str, me: Me, services: ServicesDep) -> list[TaskRow]:
    """Steps waiting on someone across projects: overdue first, then by due."""
    if await PeopleRepo(services.pool).get(person_id) is None:
        raise NotFound(f"no person '{person_id}'; GET /api/people lists the team")
    return await projects.tasks_for(services.client, person_id)


@router.get("/me/inbox", tags=["me"], summary="My messages (marks them read)")
async def my_inbox(
    me: Me,
    services: ServicesDep,
    unread: Annotated[bool, Query(description="Only messages not read before.")] = False,
) -> list[InboxMessage]:
    """Every Baton message sent to me, newest first; the ones returned are marked read."""
    repo = OutboxRepo(services.pool)
    rows = await repo.mailbox(me.id, unread_only=unread)
    await repo.mark_read(me.id, [row.id for row in rows])
    return [InboxMessage.model_validate(row.model_dump()) for row in rows]


# -- projects


class ProjectView(ProjectStatus):
    """The `status` query's answer, with where the run is in the Temporal Web UI."""

    temporal_url: str


class ActionView(ActionResult):
    """What the action did (message, project state, log entries) and the project now."""

    status: ProjectView


class Complete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None
    link: str | None = None


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    comment: str | None = Field(None, description="Why; sent with a rejection.")


class Choose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    option: str = Field(min_length=1)


class Reassign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, description="Who takes the step over (person id).")


class NewLaunchDate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    launch_date: date


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1)


_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
ProjectRef = Annotated[str, Path(description="The slug, or the workflow id project-<slug>.")]


def workflow_id(project: str) -> str:
    if not _PROJECT.fullmatch(project):
        raise NotFound(f"no project '{project}'; GET /api/projects lists them")
    return project if project.startswith("project-") else workflow_id_for(project)


def _view(services: Services, status: ProjectStatus) -> ProjectView:
    url = services.settings.workflow_url(status.workflow_id)
    return ProjectView(**dict(status), temporal_url=url)


async def _act(
    services: Services, project: str, command: Command, step_id: str | None = None
) -> ActionView:
    """Send one action as the workflow's validated update; unknown project or step: 404,
    refused: 409 with the reason."""
    wid = workflow_id(project)
    current = await projects.status(services.client, wid)
    if step_id is not None and step_id not in {step.id for step in current.steps}:
        known = ", ".join(step.id for step in current.steps)
        raise NotFound(f"project '{current.slug}' has no step '{step_id}'; steps are: {known}")
    result = await projects.act(services.client, wid, command)
    after = await projects.status(services.client, wid)
    return ActionView(**dict(result), status=_view(services, after))


def _start_field(request: StartProject, playbook: Playbook) -> str:
    """Which field of a refused start input to fix (the refusal says how)."""
    assigned = {role for role, person in request.assignments.items() if person}
    if assigned != set(playbook.roles):
        return "assignments"
    if playbook.inputs and set(request.inputs) - set(playbook.inputs):
        return "inputs"
    return "start_date" if request.start_date and not request.launch_date else "launch_date"


@router.post(
    "/projects",
    tags=["projects"],
    summary="Start a project",
    status_code=201,
    responses={409: {"description": "A project with this id exists"}},
)
async def start(
    request: StartProject, me: Me, services: ServicesDep, response: Response
) -> ProjectView:
    """One durable run of a playbook, with the contract's start input. Answers once the
    first steps are handed out. An unknown playbook or version, a role without anyone,
    or a launch date in the past is a 422 naming the field."""
    catalog = PostgresCatalog(services.pool)
    try:
        found = await catalog.playbook(request.playbook, request.playbook_version)
    except CatalogError as error:
        versions = await catalog.playbooks.versions(request.playbook)
        raise FieldProblem("playbook_version" if versions else "playbook", str(error)) from None
    today = datetime.now(UTC).astimezone(zone(request.timezone)).date()
    try:
        check_start(request, found.playbook, today)
    except Refused as refused:
        raise FieldProblem(_start_field(request, found.playbook), refused.reason) from None
    task_queue = services.settings.task_queue
    status = await projects.start_and_wait(services.client, request, task_queue)
    response.headers["Location"] = f"{router.prefix}/projects/{status.slug}"
    return _view(services, status)


@router.get("/projects", tags=["projects"], summary="List projects")
async def list_projects(
    me: Me,
    services: ServicesDep,
    state: Annotated[Literal["active", "completed", "cancelled"] | None, Query()] = None,
    playbook: Annotated[str | None, Query(description="Only this playbook's.")] = None,
    owner: Annotated[str | None, Query(description="Only those waiting on this person.")] = None,
    overdue: Annotated[bool, Query(description="Only overdue ones.")] = False,
) -> list[ProjectRow]:
    """Projects and their state, from Temporal's visibility store (updated a moment
    after each change)."""
    query = projects.visibility_query(state, playbook, owner, overdue)
    return await projects.list_projects(services.client, query)


@router.get("/projects/{project}", tags=["projects"], summary="A project's status")
async def project_status(project: ProjectRef, me: Me, services: ServicesDep) -> ProjectView:
    """Every step with its owners, due, state, revision, approvals and notes; the log;
    and the Temporal Web UI link. `project` is the slug or the workflow id."""
    return _view(services, await projects.status(services.client, workflow_id(project)))


@router.post(
    "/projects/{project}/steps/{step_id}/complete", tags=["actions"], summary="Complete a task"
)
async def complete(
    project: ProjectRef, step_id: str, body: Complete, me: Me, services: ServicesDep
) -> ActionView:
    """Mark a task done as yourself; the next steps' owners are told at once."""
    command = CompleteStep(step_id=step_id, actor=me.id, note=body.note, link=body.link)
    return await _act(services, project, command, step_id)


@router.post(
    "/projects/{project}/steps/{step_id}/review",
    tags=["actions"],
    summary="Approve or reject an approval",
)
async def review(
    project: ProjectRef, step_id: str, body: Review, me: Me, services: ServicesDep
) -> ActionView:
    """A rejection sends the work back for rework (revision + 1)."""
    command = ReviewStep(step_id=step_id, actor=me.id, approve=body.approve, comment=body.comment)
    return await _act(services, project, command, step_id)


@router.post(
    "/projects/{project}/steps/{step_id}/choose", tags=["actions"], summary="Decide a decision"
)
async def choose(
    project: ProjectRef, step_id: str, body: Choose, me: Me, services: ServicesDep
) -> ActionView:
    """Pick one of the decision's options; branches not chosen are skipped."""
    command = ChooseOption(step_id=step_id, actor=me.id, option=body.option)
    return await _act(services, project, command, step_id)


@router.post(
    "/projects/{project}/steps/{step_id}/reassign", tags=["actions"], summary="Hand a step over"
)
async def reassign(
    project: ProjectRef, step_id: str, body: Reassign, me: Me, services: ServicesDep
) -> ActionView:
    command = ReassignStep(step_id=step_id, actor=me.id, to=body.to)
    return await _act(services, project, command, step_id)


@router.post(
    "/projects/{project}/reschedule", tags=["actions"], summary="Move the launch date (PM)"
)
async def reschedule(
    project: ProjectRef, body: NewLaunchDate, me: Me, services: ServicesDep
) -> ActionView:
    """Due dates and reminders of unfinished steps move with it; not into the past."""
    return await _act(services, project, Reschedule(actor=me.id, launch_date=body.launch_date))


@router.post("/projects/{project}/cancel", tags=["actions"], summary="Cancel a project (PM)")
async def cancel(project: ProjectRef, body: Cancel, me: Me, services: ServicesDep) -> ActionView:
    return await _act(services, project, CancelProject(actor=me.id, reason=body.reason))


# -- recurring projects


class NewSchedule(BaseModel):
    """A recurring project: the project each occurrence starts and when it occurs."""

    model_config = ConfigDict(extra="forbid")
    spec: RecurringSpec
    every: str | None = Field(default=None, examples=["weekly on Tue at 09:00"])
    cron: str | None = Field(default=None, examples=["0 9 * * 2"])


class ScheduleNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None


@router.get("/schedules", tags=["schedules"], summary="List recurring projects")
async def list_recurring(me: Me, services: ServicesDep) -> list[ScheduleRow]:
    return await schedules.list_schedules(services.client)


@router.post(
    "/schedules", tags=["schedules"], summary="Create a recurring project", status_code=201
)
async def create_recurring(body: NewSchedule, me: Me, services: ServicesDep) -> ScheduleRow:
    """A Temporal Schedule starting one project per occurrence, its launch date the
    occurrence's date plus `lead_days`, with the same assignments each time."""
    today = datetime.now(UTC).astimezone(zone(body.spec.timezone)).date()
    catalog = PostgresCatalog(services.pool)
    await projects.check_start_request(catalog, body.spec.project_for(today), today)
    return await schedules.create_schedule(
        services.client,
        body.spec,
        task_queue=services.settings.task_queue,
        every=body.every,
        cron=body.cron,
    )


@router.get("/schedules/{schedule_id}", tags=["schedules"], summary="One recurring project")
async def get_recurring(schedule_id: str, me: Me, services: ServicesDep) -> ScheduleRow:
    return await schedules.describe_schedule(services.client, schedule_id)


@router.post("/schedules/{schedule_id}/pause", tags=["schedules"], summary="Pause a schedule")
async def pause_recurring(
    schedule_id: str, body: ScheduleNote, me: Me, services: ServicesDep
) -> ScheduleRow:
    return await schedules.pause_schedule(services.client, schedule_id, body.note)


@router.post("/schedules/{schedule_id}/resume", tags=["schedules"], summary="Resume a schedule")
async def resume_recurring(
    schedule_id: str, body: ScheduleNote, me: Me, services: ServicesDep
) -> ScheduleRow:
    return await schedules.resume_schedule(services.client, schedule_id, body.note)


@router.delete(
    "/schedules/{schedule_id}", tags=["schedules"], summary="Delete a schedule", status_code=204
)
async def delete_recurring(schedule_id: str, me: Me, services: ServicesDep) -> None:
    await schedules.delete_schedule(services.client, schedule_id)
