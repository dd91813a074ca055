"""`baton doctor`: is this Baton set up to work? Each check says ok, warning or problem
(or skipped, when what it needs already failed), what it found, and what to do about it.

Every check runs, each within a few seconds: Temporal down still reports PostgreSQL, a
server that does not answer fails its own checks only, and nothing raises (a check
that breaks reports how). Plain models out, for the CLI now and the API later."""

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ValidationError
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
from baton.errors import BatonError, Invalid, field_problems
from baton.store.database import database_url, open_pool, redact
from baton.store.migrate import applied_versions, migration_files
from starters.client.connection import INDEXED_TYPES, connect

Status = Literal["ok", "warning", "problem", "skipped"]

TIMEOUT = 5.0  # seconds any one check may take
POLLER_FRESH = timedelta(minutes=2)  # a live worker polls at least every minute (long poll)
STUCK_ATTEMPT = 2  # a pending workflow task on its second attempt: the first one failed
SCAN_LIMIT = 500  # open projects described, newest first, when looking for stuck ones
NAMED = 5  # stuck projects named in the finding
OUTBOX_SLOW = timedelta(minutes=5)  # a message waiting longer: the sender is behind
OUTBOX_STALLED = timedelta(hours=1)  # longer still: people are not being told


class Check(BaseModel):
    """One check's outcome: `fix` says what to do when the status is not ok."""

    check: str
    status: Status
    detail: str
    fix: str | None = None


# The checks in the order they run and print, with their names for people.
LABELS = {
    "settings": "Settings",
    "temporal": "Temporal",
    "namespace": "Namespace",
    "search_attributes": "Search attributes",
    "workers": "Workers",
    "stuck_projects": "Stuck projects",
    "postgresql": "PostgreSQL",
    "migrations": "Migrations",
    "outbox": "Outbox",
    "providers": "Providers",
    "links": "Links",
}


def ok(check: str, detail: str) -> Check:
    return Check(check=check, status="ok", detail=detail)


def warning(check: str, detail: str, fix: str) -> Check:
    return Check(check=check, status="warning", detail=detail, fix=fix)


def problem(check: str, detail: str, fix: str) -> Check:
    return Check(check=check, status="problem", detail=detail, fix=fix)


def skipped(checks: tuple[str, ...], why: str) -> list[Check]:
    return [Check(check=check, status="skipped", detail=f"not checked: {why}") for check in checks]


async def diagnose(settings: Settings | None = None) -> list[Check]:
    """Every check, in LABELS order; settings from the environment when not given."""
    if settings is None:
        settings, read = read_settings()
    else:
        read = _settings_found(settings)
    if settings is None:
        return [read, *skipped(tuple(LABELS)[1:], "the settings cannot be read")]
    temporal, postgres = await asyncio.gather(
        _never_raising(TEMPORAL_CHECKS, temporal_checks(settings)),
        _never_raising(POSTGRES_CHECKS, postgres_checks(settings)),
    )
    return [read, *temporal, *postgres, providers_check(settings), links_check(settings)]


async def _never_raising(checks: tuple[str, ...], group: Awaitable[list[Check]]) -> list[Check]:
    """A group of checks; one that broke (a bug) reported as a problem, not raised."""
    try:
        return await group
    except Exception as error:
        return [
            problem(checks[0], f"could not check: {_reason(error)}", "report this as a bug"),
            *skipped(checks[1:], f"the {LABELS[checks[0]]} check broke"),
        ]


def has_problem(checks: list[Check]) -> bool:
    return any(check.status == "problem" for check in checks)


# ---------------------------------------------------------------------------- settings


def read_settings() -> tuple[Settings | None, Check]:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(str(p) for p in field_problems(error))
        return None, problem(
            "settings",
            f"the environment (or .env) has a setting Baton cannot use: {problems}",
            "correct that variable (see the settings in README.md) and run `baton doctor` again",
        )
    return settings, _settings_found(settings)


def _settings_found(settings: Settings) -> Check:
    return ok(
        "settings",
        f"task queue '{settings.task_queue}' in namespace '{settings.temporal_namespace}', "
        f"home {settings.home}",
    )


# ---------------------------------------------------------------------------- Temporal

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
                f"cannot reach Temporal at {address}: {why or _reason(error)}",
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


async def guarded(check: str, run: Callable[[], Awaitable[Check]]) -> Check:
    """`run()`'s check, or a problem saying why it could not be made (an error, or no
    answer within TIMEOUT): one broken check never stops the others."""
    try:
        return await asyncio.wait_for(run(), TIMEOUT)
    except TimeoutError:
        return problem(
            check,
            f"could not check: no answer within {TIMEOUT:.0f} s",
            "the server is overloaded or unreachable: check its health, then run "
            "`baton doctor` again",
        )
    except Exception as error:  # a check must report, never crash the report
        return problem(
            check,
            f"could not check: {_reason(error)}",
            "run `baton doctor` again; if it persists, read the server's log",
        )


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
            f"cannot describe namespace '{name}': {_reason(error)}",
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
            since = f"; the last one polled {_age(now - max(last_seen))} ago"
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
        return f"its history cannot be read: {_reason(error)}"
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
                reason = WorkflowTaskFailedCause.Name(cause)
                reason = reason.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()
                message = f"{reason.replace('_', ' ')}: {message}"
            return _one_line(message or "failed without a message")
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            return "its workflow task timed out (no worker finished it: one crashed or is stuck)"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            break
    return "its workflow task keeps being retried"


# ---------------------------------------------------------------------------- PostgreSQL

POSTGRES_CHECKS = ("postgresql", "migrations", "outbox")


async def postgres_checks(settings: Settings) -> list[Check]:
    data_dir = Path(settings.home) / "pg"  # the embedded server's, without DATABASE_URL
    url = await _database_url(settings, data_dir)
    if isinstance(url, Check):
        return [url, *skipped(POSTGRES_CHECKS[1:], "PostgreSQL is not running")]
    try:
        pool = await asyncio.wait_for(_open(url), TIMEOUT)
    except Exception as error:  # refused, no answer, a malformed URL: all unreachable
        why = f"no answer in {TIMEOUT:.0f} s" if isinstance(error, TimeoutError) else None
        return [
            problem(
                "postgresql",
                f"cannot connect to PostgreSQL at {redact(url)}: {why or _reason(error)}",
                "start PostgreSQL, or correct DATABASE_URL (unset it to use the embedded "
                "server under BATON_HOME)",
            ),
            *skipped(POSTGRES_CHECKS[1:], "PostgreSQL is unreachable"),
        ]
    try:
        where = redact(url) if settings.database_url else f"the embedded server in {data_dir}"
        checks = [ok("postgresql", f"reachable ({where})")]
        migrations = await guarded("migrations", lambda: _migrations(pool))
        checks.append(migrations)
        if migrations.status != "ok" and not await _has_outbox(pool):
            return [*checks, *skipped(("outbox",), "the schema has no outbox yet")]
        checks.append(await guarded("outbox", lambda: _outbox(pool)))
        return checks
    finally:
        await pool.close()


async def _database_url(settings: Settings, data: Path) -> str | Check:
    """DATABASE_URL, or the embedded server's when it runs: the doctor does not start it."""
    if settings.database_url:
        return settings.database_url
    if not (data / "postmaster.pid").exists():
        return warning(
            "postgresql",
            f"the embedded PostgreSQL (in {data}) is not running",
            "`baton dev` runs it (and `baton worker` starts it), or set DATABASE_URL to your "
            "PostgreSQL",
        )
    try:
        return await asyncio.wait_for(asyncio.to_thread(database_url, settings), TIMEOUT)
    except (BatonError, TimeoutError) as error:
        return problem(
            "postgresql",
            f"the embedded PostgreSQL in {data} does not answer: {_reason(error)}",
            f"stop Baton's processes and start `baton dev` again (its log: {data / 'log'}), "
            "or set DATABASE_URL",
        )


async def _open(url: str) -> AsyncConnectionPool:
    # A probe first: its error names the reason; open_pool's would add its own advice.
    probe = await psycopg.AsyncConnection.connect(url, connect_timeout=int(TIMEOUT))
    await probe.close()
    return await open_pool(url, min_size=1, max_size=2)


async def _migrations(pool: AsyncConnectionPool) -> Check:
    known = [version for version, _ in migration_files()]
    applied = await applied_versions(pool)
    behind = [version for version in known if version not in applied]
    unknown = [version for version in applied if version not in known]
    if behind:
        listed = ", ".join(behind) if len(behind) <= 3 else f"{behind[0]} … {behind[-1]}"
        return problem(
            "migrations",
            f"{len(behind)} of {len(known)} migrations not applied: {listed}",
            "`baton db migrate` (each Baton process also migrates as it starts)",
        )
    if unknown:
        return warning(
            "migrations",
            f"the database has migrations this Baton does not know: {', '.join(unknown)}",
            "a newer Baton migrated it: run that version here too",
        )
    return ok("migrations", f"all {len(known)} applied (latest {known[-1]})")


async def _has_outbox(pool: AsyncConnectionPool) -> bool:
    async with pool.connection() as conn:
        found = await conn.execute("SELECT to_regclass('outbox') IS NOT NULL")
        return bool((await found.fetchone())[0])


_BACKLOG = """
SELECT count(*), min(created_at), now(),
       (array_agg(attempts ORDER BY created_at))[1],
       (array_agg(last_error ORDER BY created_at))[1]
FROM outbox WHERE status IN ('pending', 'sending') AND channel <> 'mailbox'
"""
_FAILED = """
SELECT count(*), (array_agg(last_error ORDER BY created_at DESC))[1]
FROM outbox WHERE status = 'failed' AND created_at > now() - interval '1 day'
"""


async def _outbox(pool: AsyncConnectionPool) -> Check:
    """Email and Slack messages waiting for the sender (mailbox ones never wait)."""
    async with pool.connection() as conn:
        waiting, oldest, now, attempts, error = await (await conn.execute(_BACKLOG)).fetchone()
        failed, failure = await (await conn.execute(_FAILED)).fetchone()
    gave_up = ""
    if failed:
        gave_up = f"; {failed} failed for good in the last day (latest: {_one_line(failure or '')})"
    if not waiting:
        if failed:
            return warning(
                "outbox",
                f"no message waiting{gave_up}",
                "check the provider settings (SENDGRID_API_KEY, SLACK_BOT_TOKEN) and the "
                "people's addresses; each project manager got a notice in their mailbox",
            )
        return ok("outbox", "no message waiting to be sent")
    age = now - oldest
    detail = f"{waiting} message{'s' * (waiting != 1)} waiting, the oldest for {_age(age)}"
    if age < OUTBOX_SLOW:
        return ok("outbox", detail + gave_up)
    if attempts:
        detail += f" (tried {attempts} time{'s' * (attempts != 1)}: {_one_line(error or '')})"
        fix = (
            "the provider refuses or fails: check SENDGRID_API_KEY / SENDGRID_HOST, "
            "SLACK_BOT_TOKEN / SLACK_API_URL and the worker's log"
        )
    else:
        detail += " (never tried)"
        fix = "no sender is sending: the sender runs in `baton worker`; start one, or read its log"
    status = problem if age >= OUTBOX_STALLED else warning
    return status("outbox", detail + gave_up, fix)


# ---------------------------------------------------------------------------- configuration


def providers_check(settings: Settings) -> Check:
    """Which providers carry messages besides the mailbox; their settings' sanity."""
    channels = []
    if settings.sendgrid_api_key:
        channels.append(f"email via SendGrid at {_host(settings.sendgrid_host)}")
    if settings.slack_bot_token:
        channels.append(f"Slack at {_host(settings.slack_api_url)}")
    for name, url in (
        ("SENDGRID_HOST", settings.sendgrid_host),
        ("SLACK_API_URL", settings.slack_api_url),
    ):
        if not _is_url(url):
            return problem(
                "providers", f"{name} '{url}' is not an http(s) URL", f"correct {name}, or unset it"
            )
    if not channels:
        return warning(
            "providers",
            "mailbox only: messages go to each person's mailbox (the dashboard, `baton inbox "
            "PERSON`); nobody is emailed or sent a Slack message",
            "fine for a trial; to notify people, set SENDGRID_API_KEY (email, from "
            "BATON_EMAIL_FROM) and/or SLACK_BOT_TOKEN",
        )
    detail = ", ".join(channels) + ", and every message in the mailbox"
    if _real_email(settings) and _email_address(settings.email_from).endswith("@localhost"):
        return warning(
            "providers",
            f"{detail}; but mail is sent from '{settings.email_from}'",
            "set BATON_EMAIL_FROM to a sender verified in SendGrid, e.g. "
            "'Baton <baton@example.com>' (SendGrid refuses unverified senders)",
        )
    if _real_slack(settings) and not settings.slack_bot_token.startswith("xoxb-"):
        return warning(
            "providers",
            f"{detail}; but SLACK_BOT_TOKEN is not a bot token (xoxb-…)",
            "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (starts with xoxb-)",
        )
    return ok("providers", detail)


def links_check(settings: Settings) -> Check:
    """BATON_PUBLIC_URL (where message links lead) and BATON_SECRET_KEY (what signs them)."""
    url = settings.public_url
    if not _is_url(url):
        return problem(
            "links",
            f"BATON_PUBLIC_URL '{url}' is not an http(s) URL: message links would not open",
            "set BATON_PUBLIC_URL to where people reach the dashboard, e.g. "
            "https://baton.example.com",
        )
    real = _real_email(settings) or _real_slack(settings)
    if real and _is_local(url):
        return warning(
            "links",
            f"messages go to real inboxes but their links lead to {url}: on this machine only",
            "set BATON_PUBLIC_URL to where people reach the dashboard, e.g. "
            "https://baton.example.com",
        )
    if real and urlsplit(url).scheme == "http":
        return warning(
            "links",
            f"links lead to {url} over plain http: the one-click links' tokens travel in clear",
            "serve the dashboard over https and set BATON_PUBLIC_URL to the https address",
        )
    if settings.secret_key is not None and len(settings.secret_key) < 16:
        return warning(
            "links",
            f"BATON_SECRET_KEY is {len(settings.secret_key)} characters: easy to guess",
            "set BATON_SECRET_KEY to a long random value: "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    if real and settings.secret_key is None:
        return warning(
            "links",
            f"links lead to {url}, signed with a key kept in {settings.home / 'secret.key'}: "
            "each machine makes its own",
            "on more than one machine, set BATON_SECRET_KEY to the same long random value "
            "everywhere (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
        )
    signed = "BATON_SECRET_KEY" if settings.secret_key else settings.home / "secret.key"
    return ok("links", f"lead to {url}, signed with {signed}")


def _real_email(settings: Settings) -> bool:
    """Mail to people's real inboxes (not a local test server)."""
    return bool(settings.sendgrid_api_key) and not _is_local(settings.sendgrid_host)


def _real_slack(settings: Settings) -> bool:
    return bool(settings.slack_bot_token) and not _is_local(settings.slack_api_url)


def _is_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _email_address(sender: str) -> str:
    found = re.search(r"<([^>]*)>", sender)
    return (found.group(1) if found else sender).strip().lower()


# ---------------------------------------------------------------------------- wording


def _reason(error: BaseException) -> str:
    """An error in one line: the message inside the SDK core's or gRPC's wording
    ('Connection refused'), else the error's (or its hidden cause's) first line."""
    if isinstance(error, RPCError):
        return f"{error.status.name.lower().replace('_', ' ')}: {_one_line(error.message)}"
    texts = [str(error), str(error.__context__ or "")]
    for text in texts:
        found = re.search(r'message: "([^"]*)"', text)
        if found:
            return found.group(1)
    return _one_line(texts[0]) or type(error).__name__


def _one_line(text: str) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= 200 else line[:197] + "..."


def _age(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
