"""The worker process: the MarketingProject and RecurringProject workflows with their
activities, and the outbox sender beside them. It is handed a connected client (the
entry points connect); it runs until stopped, then shuts down gracefully (in-flight
work finishes)."""

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.catalog import Catalog
from activities.forecaster import HistoryForecaster
from activities.project import ProjectActivities
from activities.recorders import Recorder
from baton.config import Settings
from baton.errors import Unavailable
from workers.sandbox import workflow_runner
from workflows.project import MarketingProject
from workflows.recurring import RecurringProject

if TYPE_CHECKING:  # the process's own parts come with `run_worker` (a simulation needs none)
    from psycopg_pool import AsyncConnectionPool


def build_worker(
    client: Client,
    task_queue: str,
    catalog: Catalog,
    recorder: Recorder,
    forecaster: HistoryForecaster | None = None,
    **options,
) -> Worker:
    activities = ProjectActivities(catalog, recorder, forecaster)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[MarketingProject, RecurringProject],
        activities=activities.all,
        **{"workflow_runner": workflow_runner(), **options},
    )


async def run_worker(
    settings: Settings,
    connect: Callable[[], Awaitable[Client]],
    stop: asyncio.Event | None = None,
    say: Callable[[str], None] = logging.warning,
    sender: bool = True,
) -> None:
    """The `baton worker` process: until `stop` is set or SIGINT/SIGTERM arrives. Started
    while Temporal or PostgreSQL is down, it waits for them (saying so) instead of
    exiting: a deployment need not restart it. `sender=False`: without the outbox
    sender (a cluster runs `baton sender` apart)."""
    from baton.store.database import open_store

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    client = await until_ready(connect, stop, say, "Temporal")
    pool = await until_ready(lambda: open_store(settings), stop, say, "PostgreSQL")
    if client is None or pool is None:
        return  # stopped while waiting
    try:
        await serve(settings, client, pool, stop, say, sender)
    finally:
        await pool.close()


async def until_ready(open_, stop: asyncio.Event, say, what: str, longest: float = 30):
    """`await open_()` once it works, retrying an Unavailable with a growing pause; None
    when `stop` is set first, an attempt under way abandoned (a server that accepts
    connections but does not answer must not hold Ctrl-C up for its timeout)."""
    pause = 1.0
    while not stop.is_set():
        opening = asyncio.ensure_future(open_())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([opening, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            abandoned = not opening.done()
            if abandoned:
                opening.cancel()
                with contextlib.suppress(BaseException):
                    await opening
        if abandoned:
            return None
        try:
            return opening.result()
        except Unavailable as error:
            say(f"waiting for {what} (again in {pause:.0f} s): {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        pause = min(pause * 2, longest)
    return None


async def serve(
    settings: Settings,
    client: Client,
    pool: "AsyncConnectionPool",
    stop: asyncio.Event,
    say: Callable[[str], None] = logging.warning,
    sender: bool = True,
) -> None:
    """Run the worker and (unless `sender` is False) the outbox sender until `stop` is
    set; in-flight work finishes.
    A worker Temporal fails (lost as the worker starts, a fatal poll error) raises
    Unavailable; once `stop` is set, it is said in one line instead: stopping succeeds
    whatever state Temporal is in."""
    from activities.messages import LinkSigner
    from activities.postgres import PostgresCatalog, PostgresRecorder, postgres_forecaster
    from workers.sender import build_sender

    signer = LinkSigner(secret=settings.secret(), public_url=settings.public_url)
    recorder = PostgresRecorder(pool, signer, settings.channels)
    worker = build_worker(
        client, settings.task_queue, PostgresCatalog(pool), recorder, postgres_forecaster(pool)
    )
    sent = asyncio.Event()  # not `stop`: that one is the caller's to set
    sending = asyncio.create_task(build_sender(settings, pool).run(sent)) if sender else None
    try:
        failure = await run_until(worker, stop)
        if failure is None and stop.is_set():  # stopped well, maybe without Temporal
            failure = await _unreachable(client)
    finally:
        sent.set()
        if sending is not None:
            await sending
    if failure is not None:
        lost = f"Temporal at {settings.temporal_address}: {failure}"
        if not stop.is_set():
            raise Unavailable(f"the worker lost {lost}")
        say(f"the worker stopped without {lost}")


async def run_until(worker: Worker, stop: asyncio.Event, patience: float = 10) -> str | None:
    """Run `worker` until `stop` is set, then shut it down (in-flight work finishes); why
    Temporal failed it, if it did. Not `async with worker`: a worker failing as it stops
    (Temporal gone) would cancel the task stopping it, a CancelledError for the user."""
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not running.done() and worker.is_running:
            shutdown = asyncio.create_task(worker.shutdown())  # finished as `running` ends
            await asyncio.wait([running], timeout=patience)
            shutdown.cancel()
        # else still asking Temporal for the namespace (it retries for long): nothing
        # started, nothing to finish
        unanswered = not running.done()
    finally:
        stopping.cancel()
        running.cancel()  # no-op once it ended
        with contextlib.suppress(BaseException):
            await running
    if unanswered or running.cancelled():
        return "it did not answer"
    error = running.exception()
    return None if error is None else _why(error)


async def _unreachable(client: Client) -> str | None:
    """Why Temporal cannot be reached now; None when it answers."""
    try:
        await client.service_client.check_health(timeout=timedelta(seconds=2))
    except Exception as error:
        return _why(error)
    return None


def _why(error: BaseException) -> str:
    """A failure in one line: the gRPC status Temporal answered with (or its absence:
    "Unavailable: tcp connect error"), else the error's first line."""
    if isinstance(error, RPCError):
        return f"{error.status.name.title().replace('_', '')}: {error.message}"
    chain, cause = [], error
    while cause is not None:
        chain.append(str(cause))
        cause = cause.__cause__
    status = re.search(r'code: (\w+), message: "([^"]*)"', " ".join(chain))
    if status:
        return f"{status[1]}: {status[2]}"
    return (chain[0].strip().splitlines() or ["no reason given"])[0][:200]
