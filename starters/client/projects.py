"""Projects through Temporal: the start pre-check, start, act, status and lists (a
person's tasks: `starters.client.tasks`). Temporal's errors end here as BatonErrors."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.catalog import Catalog, check_people
from baton import contract
from baton.bounds import PERSON_ID, STEP_ID, is_id
from baton.contract import (
    ActionResult,
    Command,
    ProjectStatus,
    RunOptions,
    StartProject,
)
from baton.errors import Invalid, NotFound, Refused, Unavailable
from baton.people import named_by, named_people
from baton.plan import lead_refusal
from baton.recurring import RecurringSpec
from baton.schedule import zone
from baton.state import LateDues, check_on_time, check_start, closed_reason
from workflows.project import (
    NEXT_DUE,
    OVERDUE,
    OWNERS,
    PLAYBOOK,
    STATE,
    MarketingProject,
)


class ProjectNotFound(NotFound):
    """No project by that slug or workflow id."""


class LateStart(Invalid):
    """A launch that leaves steps due already: the same start with `compress` or
    `allow_late` would be taken."""


class StillStarting(Unavailable):
    """The project's first step (looking up its playbook and people) has not finished."""


class NotAnswering(Unavailable):
    """The project cannot answer (its workflow task fails, or it took too long); the
    message says why, as far as Temporal tells."""


QUERY_TIMEOUT = timedelta(seconds=10)  # one project that cannot answer holds up no page


class ProjectRow(BaseModel):
    workflow_id: str
    name: str | None
    playbook: str | None
    state: str | None
    owners: list[str]
    next_due: datetime | None
    overdue: bool | None
    started_at: datetime | None
    timezone: str | None = None  # the project's (a start through Baton keeps it in the memo)


async def check_start_request(
    catalog: Catalog,
    request: StartProject,
    today: date | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse, before anything starts, a start the workflow would refuse (an unknown
    playbook or version, a role without anyone, a launch date in the past, a person not
    in the directory), and a launch that leaves steps due already unless the request
    says to compress them or to allow it: `Invalid` naming the field. `now` is the wall
    clock's (a simulation's start instead), `today` its date where the project is, by
    default."""
    try:
        found = await catalog.playbook(request.playbook, request.playbook_version)
    except NotFound as error:
        raise Invalid(error.message, field=error.field or "playbook") from None
    now = now or datetime.now(UTC)
    today = today or now.astimezone(zone(request.timezone)).date()
    try:
        check_start(request, found.playbook, today)
    except Refused as refused:
        raise Invalid(refused.message, field=refused.field) from None
    await check_people(catalog, named_people(request))
    try:
        check_on_time(request, found.playbook, now)
    except LateDues as late:
        raise LateStart(late.message, field=late.field) from None
    except Refused as refused:
        raise Invalid(refused.message, field=refused.field) from None


async def check_schedule_request(
    catalog: Catalog, spec: RecurringSpec, now: datetime | None = None
) -> None:
    """Refuse, before a schedule is created, one whose projects could not start: what
    `check_start_request` refuses of today's project, and a lead too short for the
    playbook's span (every project would start late), naming the shortest that works."""
    today = spec.occurrence_date(now or datetime.now(UTC))
    # The lead decides lateness for every occurrence; today's time of day does not.
    first = spec.project_for(today).model_copy(update={"allow_late": True})
    await check_start_request(catalog, first, today, now)
    found = await catalog.playbook(spec.playbook, spec.playbook_version)
    reason = lead_refusal(found.playbook, spec.lead_days, today)
    if reason:
        raise Invalid(reason, field="lead_days")


async def check_action_request(catalog: Catalog, command: Command) -> None:
    """Refuse, before it is sent, an action bringing in someone unknown (a reassignment
    to a person not in the directory): `Invalid` naming the field."""
    await check_people(catalog, named_by(command))


async def start_project(
    client: Client, request: StartProject, task_queue: str, options: RunOptions | None = None
) -> WorkflowHandle:
    try:
        return await client.start_workflow(
            MarketingProject.run,
            args=[request, None, options],
            id=request.workflow_id,
            task_queue=task_queue,
            static_summary=f"{request.name} ({request.playbook})",
            static_details=f"Project manager: {request.project_manager}",
            memo={"name": request.name, "timezone": request.timezone},
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        raise Refused(
            f"a project with id '{request.workflow_id}' already exists; give this one another "
            "name or --slug"
        ) from None


FIRST_LOOK = 0.005  # seconds: the first transition takes a few tens of milliseconds
LOOK_AT_MOST = 0.1  # between two looks, however long it takes


async def start_and_wait(
    client: Client, request: StartProject, task_queue: str, timeout: float = 10.0
) -> ProjectStatus:
    """Start a project and return its status once its first steps are handed out (the
    workflow's first activity looks up the playbook and the people): looked at after
    5 ms, then after pauses each half as long again as the last (at most 100 ms), so a
    quick start answers at once and a slow one is not asked a hundred times."""
    handle = await start_project(client, request, task_queue)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pause = FIRST_LOOK
    while True:
        try:
            return await status(client, handle.id)
        except StillStarting:
            if loop.time() + pause > deadline:
                break
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, LOOK_AT_MOST)
    raise StillStarting(
        f"project '{handle.id}' was started and is still starting: its first step (looking "
        "up the playbook and the people) waits for a worker; `baton status "
        f"{request.project_slug}` shows it in a moment (do not start it again)"
    )


async def act(client: Client, workflow_id: str, command: Command) -> ActionResult:
    """Send one action as a validated update; a refusal raises `Refused` with the reason."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(command.action, command, result_type=ActionResult)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise (Invalid if cause.type == "Invalid" else Refused)(cause.message) from None
        raise Refused(str(cause)) from None
    except RPCError as error:
        ended = error.status == RPCStatusCode.NOT_FOUND and await _ended(client, workflow_id)
        raise ended or _translate(error, workflow_id) from None


async def _ended(client: Client, workflow_id: str) -> Refused | None:
    """Why a project that has ended takes no more actions: what happened, by whom and
    when (Temporal itself only says the run is not there to update)."""
    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return None  # no such project at all
    if described.status in (None, WorkflowExecutionStatus.RUNNING):
        return None
    try:
        reason = closed_reason(await status(client, workflow_id))
    except (NotFound, Unavailable):
        reason = None  # its worker cannot replay it now: say what Temporal knows
    slug = workflow_id.removeprefix(contract.PROJECT_PREFIX)
    ended = described.status.name.lower().replace("canceled", "cancelled")
    return Refused(reason or f"project '{slug}' has ended ({ended}); nothing more can be done")


async def status(client: Client, workflow_id: str, now: datetime | None = None) -> ProjectStatus:
    """The project's status as of `now` (by default this instant; a simulation's, on its
    own clock): a step past its due reads as overdue though the project has not woken
    since (nothing wakes it at a due instant)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        result = await handle.query(MarketingProject.status, rpc_timeout=QUERY_TIMEOUT)
    except WorkflowQueryFailedError as error:
        raise NotAnswering(await _stuck(client, workflow_id, error.message)) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise _translate(error, workflow_id) from None
        raise NotAnswering(await _stuck(client, workflow_id, error.message)) from None
    if result is None:
        raise StillStarting(f"project '{workflow_id}' is still starting; try again in a moment")
    return result.as_of(now or datetime.now(UTC))


async def list_projects(client: Client, query: str | None = "") -> list[ProjectRow]:
    """Projects from Temporal's visibility store (a moment behind each change), filtered
    by a `visibility_query` (none at all for NO_MATCH)."""
    if query is NO_MATCH:
        return []
    try:
        return [row async for row in _rows(client, _of_projects(query))]
    except RPCError as error:
        raise Unavailable(f"Temporal could not list projects: {error.message}") from None


async def count_projects(client: Client, query: str | None = "") -> int:
    """How many projects `list_projects` would list (the server counts: nothing is
    listed)."""
    if query is NO_MATCH:
        return 0
    try:
        return (await client.count_workflows(_of_projects(query), rpc_timeout=QUERY_TIMEOUT)).count
    except RPCError as error:
        raise Unavailable(f"Temporal could not count projects: {error.message}") from None


def _of_projects(query: str) -> str:
    # One row per project: a continued-as-new run lives on in its successor.
    base = f"WorkflowType = '{contract.WORKFLOW_TYPE}' AND ExecutionStatus != 'ContinuedAsNew'"
    return f"{base} AND ({query})" if query else base


async def _rows(client: Client, query: str):
    now = datetime.now(UTC)
    async for execution in client.list_workflows(query):
        attributes = execution.typed_search_attributes
        state = attributes.get(STATE)
        if execution.status == WorkflowExecutionStatus.FAILED:
            state = "failed"
        elif execution.status == WorkflowExecutionStatus.TERMINATED:
            state = "terminated"
        memo = await execution.memo()
        next_due = attributes.get(NEXT_DUE)
        overdue = attributes.get(OVERDUE)
        if state == "active" and next_due is not None and next_due <= now:
            overdue = True  # nothing wakes a project at a due instant to say so
        yield ProjectRow(
            workflow_id=execution.id,
            name=memo.get("name"),
            playbook=attributes.get(PLAYBOOK),
            state=state,
            owners=list(attributes.get(OWNERS) or []),
            next_due=next_due,
            overdue=overdue,
            started_at=execution.start_time,
            timezone=_known_zone(memo.get("timezone")),
        )


ACTIVE_AT_ONCE = 16  # status queries in flight at once, so a big board holds up no worker


async def active_statuses(client: Client) -> list[ProjectStatus]:
    """The status of every active project (those that cannot answer now are left out),
    for pages that look across every step of every project (the people page)."""
    return await statuses_of(client, await list_projects(client, visibility_query(state="active")))


async def statuses_of(client: Client, rows: list[ProjectRow]) -> list[ProjectStatus]:
    """The status of each listed project, a few at a time (those that cannot answer now
    are left out)."""
    gate = asyncio.Semaphore(ACTIVE_AT_ONCE)

    async def one(workflow_id: str) -> ProjectStatus | None:
        async with gate:
            try:
                return await status(client, workflow_id)
            except (NotFound, Unavailable):
                return None

    found = await asyncio.gather(*(one(row.workflow_id) for row in rows))
    return [current for current in found if current is not None]


def _known_zone(name: Any) -> str | None:
    """A memo's time zone when it is one (a start straight in Temporal sets any memo)."""
    try:
        return zone(name).key if isinstance(name, str) else None
    except Invalid:
        return None


NO_MATCH = None  # a query no project can match: listing it finds nothing, asks nothing


def visibility_query(
    state: str | None = None,
    playbook: str | None = None,
    owner: str | None = None,
    overdue: bool = False,
) -> str | None:
    """The list filters as a Temporal visibility query on Baton's search attributes;
    NO_MATCH when a filter names what no project can have (a state, playbook or person
    that cannot exist): such text never reaches the query."""
    possible = (
        state in (None, "active", "completed", "cancelled")
        and (not playbook or is_id(playbook, STEP_ID))
        and (not owner or is_id(owner, PERSON_ID))
    )
    if not possible:
        return NO_MATCH
    # Only a fixed state and ids (no quote or backslash can be in one) reach the query.
    clauses = [
        f"{key} = '{value}'"
        for key, value in (
            (contract.SEARCH_STATE, state),
            (contract.SEARCH_PLAYBOOK, playbook),
            (contract.SEARCH_OWNERS, owner),
        )
        if value
    ]
    if state == "active":  # a terminated run keeps the last state it upserted
        clauses.append("ExecutionStatus = 'Running'")
    if overdue:  # past the next due: nothing wakes a project to say so
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        clauses.append(
            f"({contract.SEARCH_OVERDUE} = true OR {contract.SEARCH_NEXT_DUE} <= '{now}')"
        )
    return " AND ".join(clauses)


async def _stuck(client: Client, workflow_id: str, answer: str) -> str:
    """Why a project does not answer: its failing workflow task's error when Temporal
    has one (a bug: the project is stuck until a fixed worker runs it), else the answer."""
    reason = f"it does not answer ({answer})"
    try:
        described = await client.get_workflow_handle(workflow_id).describe(
            rpc_timeout=QUERY_TIMEOUT
        )
        pending = described.raw_description.pending_workflow_task
        if pending.attempt > 1:
            failure = await _last_task_failure(client, workflow_id)
            reason = f"its workflow task has failed {pending.attempt - 1} times: {failure}"
    except RPCError:
        pass  # the first answer is all there is to say
    return f"project '{workflow_id}' is stuck, because {reason}"


async def _last_task_failure(client: Client, workflow_id: str) -> str:
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id),
        maximum_page_size=100,
    )
    history = await client.workflow_service.get_workflow_execution_history_reverse(
        request, timeout=QUERY_TIMEOUT
    )
    for event in history.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            return failure.message.splitlines()[0] if failure.message else "no reason given"
    return "no reason recorded"


def _translate(error: RPCError, workflow_id: str) -> Exception:
    if error.status == RPCStatusCode.NOT_FOUND:
        return ProjectNotFound(f"no project '{workflow_id}'; `baton projects` lists them")
    return Unavailable(f"Temporal refused the request: {error.message}")
