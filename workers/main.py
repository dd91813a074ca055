"""The worker process: the MarketingProject and RecurringProject workflows with their
activities, and the outbox sender beside them. It is handed a connected client (the
entry points connect); it runs until stopped, then shuts down gracefully (in-flight
work finishes)."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client
from temporalio.worker import Worker

from activities.catalog import Catalog
from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from activities.project import ProjectActivities
from activities.recorders import Recorder
from baton.config import Settings
from baton.errors import Unavailable
from baton.store.database import open_store
from workers.sandbox import workflow_runner
from workers.sender import build_sender
from workflows.project import MarketingProject
from workflows.recurring import RecurringProject


def build_worker(
    client: Client, task_queue: str, catalog: Catalog, recorder: Recorder, **options
) -> Worker:
    activities = ProjectActivities(catalog, recorder)
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
) -> None:
    """The `baton worker` process: until `stop` is set or SIGINT/SIGTERM arrives. Started
    while Temporal or PostgreSQL is down, it waits for them (saying so) instead of
    exiting: a deployment need not restart it."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    client = await until_ready(connect, stop, say, "Temporal")
    pool = await until_ready(lambda: open_store(settings), stop, say, "PostgreSQL")
    if client is None or pool is None:
        return  # stopped while waiting
    try:
        await serve(settings, client, pool, stop)
    finally:
        await pool.close()


async def until_ready(open_, stop: asyncio.Event, say, what: str, longest: float = 30):
    """`await open_()` once it works, retrying an Unavailable with a growing pause; None
    when `stop` is set first."""
    pause = 1.0
    while not stop.is_set():
        try:
            return await open_()
        except Unavailable as error:
            say(f"waiting for {what} (again in {pause:.0f} s): {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        pause = min(pause * 2, longest)
    return None


async def serve(settings: Settings, client: Client, pool: AsyncConnectionPool, stop) -> None:
    """Run the worker and the outbox sender until `stop` is set; in-flight work finishes."""
    signer = LinkSigner(secret=settings.secret(), public_url=settings.public_url)
    recorder = PostgresRecorder(pool, signer, settings.channels)
    worker = build_worker(client, settings.task_queue, PostgresCatalog(pool), recorder)
    sender = build_sender(settings, pool)
    async with worker:
        await asyncio.gather(stop.wait(), sender.run(stop))
