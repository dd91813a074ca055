"""A test module's worker on the session's shared Temporal dev server."""

import contextlib
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.service import RPCError

from workers.main import build_worker


@asynccontextmanager
async def worker_on_shared_server(client: Client, queue: str, catalog, recorder, **options):
    """Run a worker on `queue`; afterwards end every project still running there. Later
    tests list people's projects on the same server: one left without a worker would
    make each of them wait for a status that never comes."""
    async with build_worker(client, queue, catalog, recorder, **options):
        try:
            yield
        finally:
            running = f"TaskQueue = '{queue}' AND ExecutionStatus = 'Running'"
            async for execution in client.list_workflows(running):
                with contextlib.suppress(RPCError):
                    await client.get_workflow_handle(execution.id).terminate(reason="test done")
