"""A worker process of the bench: `python -m bench.worker baton|bare`, configured by the
environment as every Baton process is (TEMPORAL_ADDRESS, DATABASE_URL, BATON_TASK_QUEUE).

`baton` is Baton's real worker (`workers.main.run_worker`: MarketingProject with the
PostgreSQL catalog, recorder and forecaster, and the outbox sender beside it), without
the CLI around it; `bare` runs the bare workflow (bench/bare.py) alone, importing nothing
of Baton but its workflow sandbox's settings (the same sandbox). Both stop on SIGTERM."""

import asyncio
import os
import signal
import sys


async def run_baton() -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from baton.config import Settings
    from workers.main import run_worker

    settings = Settings()

    async def connect() -> Client:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
        )

    await run_worker(settings, connect)


async def run_bare() -> None:
    from psycopg_pool import AsyncConnectionPool
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker

    from bench.bare import BareActivities, BareProject
    from workers.sandbox import workflow_runner

    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    client = await Client.connect(
        os.environ["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter
    )
    pool = AsyncConnectionPool(
        os.environ["DATABASE_URL"], min_size=1, max_size=10, kwargs={"autocommit": True},
        open=False,
    )  # fmt: skip
    await pool.open(wait=True)
    activities = BareActivities(pool)
    worker = Worker(
        client,
        task_queue=os.environ["BATON_TASK_QUEUE"],
        workflows=[BareProject],
        activities=[activities.record],
        workflow_runner=workflow_runner(),
    )
    try:
        async with worker:
            await stop.wait()
    finally:
        await pool.close()


async def orphan_watch() -> None:
    """SIGTERM ourselves when the bench that started us is gone (killed, Ctrl-C): a
    worker left behind would keep polling a server that no longer exists."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


async def main(run) -> None:
    watch = asyncio.create_task(orphan_watch())
    try:
        await run()
    finally:
        watch.cancel()


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    runs = {"baton": run_baton, "bare": run_bare}
    if kind not in runs:
        sys.exit("usage: python -m bench.worker baton|bare")
    asyncio.run(main(runs[kind]))
