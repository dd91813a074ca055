"""`baton worker`, `baton sender`, `baton api`, `baton healthcheck`: Baton's long-running
processes, one command each, as a cluster runs them (docker-compose.yml); `baton dev`
runs them all in one. Each is configured by the environment alone (baton/config.py),
waits for Temporal and PostgreSQL when they are down, and stops gracefully on Ctrl-C or
SIGTERM. Heavy modules are imported by the command that uses them."""

import asyncio
import signal
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from baton.config import Settings
from baton.errors import Unavailable
from starters.cli.output import console, errors

app = typer.Typer()
PANEL = "Running Baton"
# A worker's poll of its task queue is a long poll (about a minute): one older than this
# means the worker stopped polling.
POLLED_WITHIN_S = 180


def _waiting(message: str) -> None:
    errors.print(f"[yellow]…[/] {escape(message)}", highlight=False)


@app.command(rich_help_panel=PANEL)
def worker(
    sender: Annotated[
        bool,
        typer.Option(
            "--sender/--no-sender",
            help="Also send the outbox's messages from this process (--no-sender when "
            "`baton sender` runs apart, as on a cluster).",
        ),
    ] = True,
) -> None:
    """Run a worker: connects to TEMPORAL_ADDRESS and runs projects until Ctrl-C."""
    from starters import client
    from workers.main import run_worker

    settings = Settings()
    console.print(
        f"Worker on task queue '{settings.task_queue}' at {settings.temporal_address} "
        f"(namespace {settings.temporal_namespace})"
        f"{'' if sender else ', without the outbox sender'}; Ctrl-C stops it."
    )

    async def connect():
        temporal = await client.connect(settings)
        try:
            await client.ensure_search_attributes(temporal, settings.temporal_namespace)
        except Unavailable as error:  # a namespace we may not administer: say so, go on
            errors.print(f"[yellow]warning:[/] {escape(str(error))}", highlight=False)
        return temporal

    asyncio.run(run_worker(settings, connect, say=_waiting, sender=sender))
    console.print("Worker stopped.")


@app.command(rich_help_panel=PANEL)
def sender() -> None:
    """Run the outbox sender alone, beside workers started with --no-sender.

    It sends the pending email and Slack messages until Ctrl-C (the ones under way are
    finished first); several senders may run, each message is sent once."""
    settings = Settings()
    channels = ", ".join(sorted(settings.channels))
    console.print(
        f"Outbox sender{f' for {channels}' if channels else ''}; Ctrl-C stops it.",
        highlight=False,
    )
    if not channels:
        errors.print(
            "[yellow]warning:[/] neither SENDGRID_API_KEY nor SLACK_BOT_TOKEN is set: "
            "messages stay in the Baton mailbox, nothing is sent",
            highlight=False,
        )
    asyncio.run(_send(settings))
    console.print("Sender stopped.")


async def _send(settings: Settings) -> None:
    from baton.store.database import open_store
    from workers.main import until_ready
    from workers.sender import build_sender

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await until_ready(lambda: open_store(settings), stop, _waiting, "PostgreSQL")
    if pool is None:
        return  # stopped while waiting
    try:
        await build_sender(settings, pool).run(stop)
    finally:
        await pool.close()


@app.command(rich_help_panel=PANEL)
def api(
    host: Annotated[
        str,
        typer.Option(help="The address to listen on (0.0.0.0: every interface, in a container)."),
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(help="The port to listen on (default: BATON_API_PORT, itself 8000)."),
    ] = None,
) -> None:
    """Serve the HTTP API and the dashboard until Ctrl-C.

    Requests under way finish; several may run behind a load balancer."""
    from starters.web.server import check_port_free, run_api

    settings = Settings()
    port = port or settings.api_port
    check_port_free(host, port)
    console.print(
        f"API and dashboard on {host}:{port} (public address {settings.public_url}), "
        f"Temporal at {settings.temporal_address}; Ctrl-C stops it.",
        highlight=False,
        soft_wrap=True,
    )
    asyncio.run(run_api(settings, host, port, say=_waiting))
    console.print("API stopped.")


class Service(StrEnum):
    api = "api"
    worker = "worker"
    sender = "sender"


@app.command(rich_help_panel=PANEL)
def healthcheck(
    service: Annotated[Service, typer.Argument(help="The service running on this host.")],
) -> None:
    """Exit 0 when SERVICE on this host is healthy (a container's health check).

    Else exit 1 saying why. api: it answers HTTP on 127.0.0.1:BATON_API_PORT; worker:
    Temporal lists a poller of this host on the task queue, polled within 3 minutes;
    sender: PostgreSQL answers."""
    settings = Settings()
    checks = {Service.api: _api_answers, Service.worker: _worker_polls, Service.sender: _db_answers}
    try:
        healthy = asyncio.run(checks[service](settings))
    except Unavailable as error:
        raise Unavailable(f"{service.value} unhealthy: {error}") from None
    console.print(f"{service.value} healthy: {healthy}", highlight=False)


async def _api_answers(settings: Settings) -> str:
    import httpx

    url = f"http://127.0.0.1:{settings.api_port}/login"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(url)
    except httpx.HTTPError as error:
        raise Unavailable(f"nothing answers at {url} ({error or type(error).__name__})") from None
    if answer.status_code >= 500:
        raise Unavailable(f"{url} answers {answer.status_code}")
    return f"{url} answers {answer.status_code}"


async def _worker_polls(settings: Settings) -> str:
    import socket
    from datetime import UTC, datetime

    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.service import RPCError

    from starters import client

    temporal = await client.connect(settings)
    try:
        described = await temporal.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace,
                task_queue=TaskQueue(name=settings.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except RPCError as error:
        raise Unavailable(f"Temporal did not describe the task queue: {error.message}") from None
    host = socket.gethostname()
    now = datetime.now(UTC)
    ages = [
        (now - poller.last_access_time.ToDatetime(tzinfo=UTC)).total_seconds()
        for poller in described.pollers
        if poller.identity.endswith(f"@{host}")  # the SDK's identity: pid@hostname
    ]
    where = f"task queue '{settings.task_queue}' at {settings.temporal_address}"
    if not ages:
        raise Unavailable(f"no worker of this host ({host}) polls the {where}")
    if min(ages) > POLLED_WITHIN_S:
        raise Unavailable(f"this host's worker last polled the {where} {min(ages):.0f} s ago")
    return f"polling the {where}"


async def _db_answers(settings: Settings) -> str:
    from baton.store.database import database_url, open_pool, redact

    url = await asyncio.to_thread(database_url, settings)
    pool = await open_pool(url, max_size=1)
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
    finally:
        await pool.close()
    return f"PostgreSQL answers at {redact(url)}"
