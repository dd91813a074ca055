"""`baton doctor`'s Temporal checks: reachable, the namespace, Baton's search attributes,
workers polling the task queue, and projects whose workflow task keeps failing."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import (
    EventType,
    IndexedValueType,
    NamespaceState,
    TaskQueueType,
    WorkflowTaskFailedCause,
)
from temporalio.api.namespace.v1 import NamespaceInfo
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import PollerInfo, TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeTaskQueueRequest,
    DescribeWorkflowExecutionRequest,
    GetSystemInfoRequest,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from baton import contract
from baton.config import Settings
from baton.errors import Invalid
from starters.client.connection import INDEXED_TYPES, connect
from starters.client.doctor.checks import (
    TIMEOUT,
    Check,
    duration_text,
    guarded,
    ok,
    one_line,
    problem,
    reason,
    skipped,
    warning,
)

POLLER_FRESH = timedelta(minutes=2)  # a live worker polls at least every minute (long poll)
STUCK_ATTEMPT = 2  # a pending workflow task on its second attempt: the first one failed
SCAN_LIMIT = 500  # open projects described, newest first, when looking for stuck ones
NAMED = 5  # stuck projects named in the finding


TEMPORAL_CHECKS = ("temporal", "namespace", "search_attributes", "workers", "stuck_projects")


async def temporal_checks(settings: Settings) -> list[Check]:
    address = settings.temporal_address
    try:
        client = await asyncio.wait_for(connect(settings), TIMEOUT)
        version = await _server_version(client)
    except Invalid as error:  # the mTLS settings
        return [
            problem(
                "temporal",
                str(error),
                "correct TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA",
            ),
            *skipped(TEMPORAL_CHECKS[1:], "Temporal cannot be reached"),
        ]
    except Exception as error:  # refused, no answer, a malformed address: all unreachable
        why = f"no answer in {TIMEOUT:.0f} s" if isinstance(error, TimeoutError) else None
        return [
            problem(
                "temporal",
                f"cannot reach Temporal at {address}: {why or reason(error)}",
                "start Temporal (`baton dev` runs one here), or set TEMPORAL_ADDRESS to your "
                "Temporal frontend (and TEMPORAL_TLS_CERT/KEY/CA if it needs mTLS)",
            ),
            *skipped(TEMPORAL_CHECKS[1:], "Temporal is unreachable"),
        ]
    checks = [
        ok("temporal", f"reachable at {address}" + (f" (server {version})" if version else ""))
    ]
    namespace = await _namespace(client, settings)
    if isinstance(namespace, Check):
        return [*checks, namespace, *skipped(TEMPORAL_CHECKS[2:], "no usable namespace")]
    info, found = namespace
    checks.append(found)
    rest = await asyncio.gather(  # side by side: a slow server costs one timeout, not three
        guarded("search_attributes", lambda: _search_attributes(client, settings)),
        guarded("workers", lambda: _workers(client, settings)),
        guarded("stuck_projects", lambda: _stuck_projects(client, settings, info)),
    )
    return [*checks, *rest]


def _rpc_timeout() -> timedelta:
    return timedelta(seconds=TIMEOUT)


async def _server_version(client: Client) -> str:
    info = await client.workflow_service.get_system_info(
        GetSystemInfoRequest(), timeout=_rpc_timeout()
    )
    return info.server_version


async def _namespace(client: Client, settings: Settings) -> tuple[NamespaceInfo, Check] | Check:
    name, address = settings.temporal_namespace, settings.temporal_address
    try:
        described = await asyncio.wait_for(
            client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=name), timeout=_rpc_timeout()
            ),
            TIMEOUT,
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return problem(
                "namespace",
                f"namespace '{name}' does not exist on Temporal at {address}",
                f"create it: `temporal operator namespace create --namespace {name} "
                f"--address {address}`, or set TEMPORAL_NAMESPACE to an existing one",
            )
        return problem(
            "namespace",
            f"cannot describe namespace '{name}': {reason(error)}",
            "check that this client may use the namespace (its mTLS certificate, the "
            "namespace's permissions), or set TEMPORAL_NAMESPACE",
        )
    except TimeoutError:
        return problem(
            "namespace",
            f"Temporal did not describe namespace '{name}' within {TIMEOUT:.0f} s",
            "check the Temporal server's health, then run `baton doctor` again",
        )
    info = described.namespace_info
    if info.state != NamespaceState.NAMESPACE_STATE_REGISTERED:
        state = NamespaceState.Name(info.state).removeprefix("NAMESPACE_STATE_").lower()
        return info, warning(
            "namespace",
            f"namespace '{name}' is {state}: it may stop taking new projects",
            "use a registered namespace (set TEMPORAL_NAMESPACE)",
        )
    return info, ok("namespace", f"'{name}' exists")


async def _search_attributes(client: Client, settings: Settings) -> Check:
    namespace = settings.temporal_namespace
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace), timeout=_rpc_timeout()
        )
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return warning(
            "search_attributes",
            "this Temporal server cannot list search attributes",
            "`baton worker` registers them as it starts; use a full Temporal server to check",
        )
    registered = dict(listed.custom_attributes)
    missing = [name for name in contract.SEARCH_ATTRIBUTES if name not in registered]
    wrong = {
        name: kind
        for name, kind in contract.SEARCH_ATTRIBUTES.items()
        if name in registered and registered[name] != INDEXED_TYPES[kind]
    }
    if wrong:
        found = ", ".join(
            f"{name} is {_type_name(registered[name])}, Baton needs {kind}"
            for name, kind in wrong.items()
        )
        removes = "; ".join(
            f"temporal operator search-attribute remove --namespace {namespace} --name {name}"
            for name in wrong
        )
        return problem(
            "search_attributes",
            f"registered with the wrong type in '{namespace}': {found}",
            f"remove them ({removes}), then start `baton worker`: it registers them again "
            "with the right types",
        )
    if missing:
        pairs = " ".join(
            f"--name {name} --type {contract.SEARCH_ATTRIBUTES[name]}" for name in missing
        )
        return problem(
            "search_attributes",
            f"not registered in '{namespace}': {', '.join(missing)} (lists, tasks and the "
            "board need them)",
            "start `baton worker` (it registers them), or run `temporal operator "
            f"search-attribute create --namespace {namespace} {pairs}`",
        )
    return ok("search_attributes", f"all {len(contract.SEARCH_ATTRIBUTES)} registered, right types")


def _type_name(value: int) -> str:
    names = {indexed: kind for kind, indexed in INDEXED_TYPES.items()}
    if value in names:
        return names[value]
    return IndexedValueType.Name(value).removeprefix("INDEXED_VALUE_TYPE_").title()


async def _workers(client: Client, settings: Settings) -> Check:
    queue, namespace = settings.task_queue, settings.temporal_namespace
    kinds = {
        "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    }
    described = await asyncio.gather(
        *(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
                ),
                timeout=_rpc_timeout(),
            )
            for kind in kinds.values()
        )
    )
    now = datetime.now(UTC)
    live: dict[str, list[str]] = {}
    last_seen: list[datetime] = []
    for kind, answer in zip(kinds, described, strict=True):
        for poller in answer.pollers:
            seen = _seen_at(poller)
            if seen is not None and now - seen <= POLLER_FRESH:
                live.setdefault(kind, []).append(poller.identity or "a worker")
            elif seen is not None:
                last_seen.append(seen)
    start = "start a worker: `baton worker` (`baton dev` runs one locally), with the same "
    start += "TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and BATON_TASK_QUEUE as here"
    if not live:
        since = ""
        if last_seen:
            since = f"; the last one polled {duration_text(now - max(last_seen))} ago"
        return problem(
            "workers",
            f"no worker is polling task queue '{queue}' in namespace '{namespace}'{since}: "
            "projects do not move",
            start,
        )
    if len(live) < len(kinds):
        polled = next(iter(live))
        other = next(kind for kind in kinds if kind not in live)
        return problem(
            "workers",
            f"workers poll only {polled} tasks on '{queue}', none {other} tasks: projects "
            "stall at their first " + ("step" if other == "workflow" else "message or effect"),
            start + " (Baton's worker polls both)",
        )
    workers = sorted({identity for identities in live.values() for identity in identities})
    return ok(
        "workers",
        f"{len(workers)} worker{'s' * (len(workers) != 1)} polling '{queue}' "
        f"({', '.join(workers[:NAMED])}{', …' if len(workers) > NAMED else ''})",
    )


def _seen_at(poller: PollerInfo) -> datetime | None:
    if not poller.HasField("last_access_time"):
        return None
    return poller.last_access_time.ToDatetime(tzinfo=UTC)


async def _stuck_projects(client: Client, settings: Settings, namespace: NamespaceInfo) -> Check:
    """Open projects whose workflow task keeps failing (a bug, a non-deterministic change):
    those Temporal flags itself (`TemporalReportedProblems`, where the server keeps it),
    and those among the newest SCAN_LIMIT whose pending workflow task is a retry."""
    queue = settings.task_queue.replace("\\", "\\\\").replace("'", "\\'")
    open_ = (
        f"WorkflowType = '{contract.WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{queue}'"
    )
    total = (await client.count_workflows(open_, rpc_timeout=_rpc_timeout())).count
    if total == 0:
        return ok("stuck_projects", f"no open projects on '{settings.task_queue}'")
    stuck: set[str] = set()  # workflow ids
    if namespace.capabilities.reported_problems_search_attribute:
        with contextlib.suppress(RPCError):  # a server that does not keep it after all
            async for execution in client.list_workflows(
                f"{open_} AND TemporalReportedProblems IS NOT NULL",
                limit=SCAN_LIMIT,
                rpc_timeout=_rpc_timeout(),
            ):
                stuck.add(execution.id)
    scanned = [
        execution.id
        async for execution in client.list_workflows(
            open_, limit=SCAN_LIMIT, rpc_timeout=_rpc_timeout()
        )
    ]
    attempts = await _task_attempts(client, settings.temporal_namespace, scanned)
    stuck |= {wid for wid, attempt in attempts.items() if attempt >= STUCK_ATTEMPT}
    if not stuck:
        checked = f"{total}" if len(scanned) >= total else f"the newest {len(scanned)} of {total}"
        return ok(
            "stuck_projects",
            f"no workflow task failing among {checked} open project{'s' * (total != 1)}",
        )
    named = sorted(stuck)[:NAMED]
    errors = await asyncio.gather(
        *(_last_task_failure(client, settings.temporal_namespace, wid) for wid in named)
    )
    by_error: dict[str, list[str]] = {}
    for wid, error in zip(named, errors, strict=True):
        by_error.setdefault(error, []).append(wid)
    found = "; ".join(f"{', '.join(ids)} ({error})" for error, ids in by_error.items())
    more = f" and {len(stuck) - len(named)} more" if len(stuck) > len(named) else ""
    links = ", ".join(settings.workflow_url(wid) for wid in named)
    one = len(stuck) == 1
    return problem(
        "stuck_projects",
        f"{len(stuck)} open project{'' if one else 's'} {'is' if one else 'are'} stuck, "
        f"{'its' if one else 'their'} workflow task failing again and again: {found}{more}",
        "read the worker's log for the traceback, and the run in the Temporal UI "
        f"({links}); once the cause is fixed and the worker restarted, "
        f"{'it resumes by itself' if one else 'they resume by themselves'}",
    )


async def _task_attempts(client: Client, namespace: str, ids: list[str]) -> dict[str, int]:
    """The attempt of each project's pending workflow task (those with one), described
    a few at a time."""
    lanes = asyncio.Semaphore(16)

    async def attempt(workflow_id: str) -> tuple[str, int]:
        async with lanes:
            try:
                described = await client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=namespace, execution=WorkflowExecution(workflow_id=workflow_id)
                    ),
                    timeout=_rpc_timeout(),
                )
            except RPCError:  # closed meanwhile
                return workflow_id, 0
        if not described.HasField("pending_workflow_task"):
            return workflow_id, 0
        return workflow_id, described.pending_workflow_task.attempt

    return dict(await asyncio.gather(*(attempt(wid) for wid in ids)))


async def _last_task_failure(client: Client, namespace: str, workflow_id: str) -> str:
    """Why the project's latest workflow task failed, from the end of its history (a
    failing task's retries are not written there: its first failure is the last event)."""
    try:
        history = await client.workflow_service.get_workflow_execution_history_reverse(
            GetWorkflowExecutionHistoryReverseRequest(
                namespace=namespace,
                execution=WorkflowExecution(workflow_id=workflow_id),
                maximum_page_size=20,
            ),
            timeout=_rpc_timeout(),
        )
    except RPCError as error:
        return f"its history cannot be read: {reason(error)}"
    for event in history.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            attributes = event.workflow_task_failed_event_attributes
            failure = attributes.failure
            kind = (
                failure.application_failure_info.type
                if failure.application_failure_info.type
                else ""
            )
            message = f"{kind}: {failure.message}" if kind else failure.message
            cause = attributes.cause
            if cause not in (
                WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
                WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
            ):
                named = WorkflowTaskFailedCause.Name(cause)
                named = named.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()
                message = f"{named.replace('_', ' ')}: {message}"
            return one_line(message or "failed without a message")
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            return "its workflow task timed out (no worker finished it: one crashed or is stuck)"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            break
    return "its workflow task keeps being retried"
