"""The worker process: the MarketingProject and RecurringProject workflows with their
activities, and the outbox sender beside them. It is handed a connected client (the
entry points connect); it runs until stopped, then shuts down gracefully (in-flight
work finishes)."""

import asyncio
import signal

from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client
from temporalio.worker import Worker

from activities.catalog import Catalog
from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from activities.project import ProjectActivities
from activities.recorders import Recorder
from baton.config import Settings
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


async def run_worker(settings: Settings, client: Client, stop: asyncio.Event | None = None) -> None:
    """The `baton worker` process: until `stop` is set or SIGINT/SIGTERM arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await open_store(settings)
    try:
        await serve(settings, client, pool, stop)
    finally:
        await pool.close()


async def serve(settings: Settings, client: Client, pool: AsyncConnectionPool, stop) -> None:
    """Run the worker and the outbox sender until `stop` is set; in-flight work finishes."""
    signer = LinkSigner(secret=settings.secret(), public_url=settings.public_url)
    recorder = PostgresRecorder(pool, signer, settings.channels)
    worker = build_worker(client, settings.task_queue, PostgresCatalog(pool), recorder)
    sender = build_sender(settings, pool)
    async with worker:
        await asyncio.gather(stop.wait(), sender.run(stop))
