"""The web process: the app (API and dashboard) under uvicorn. `baton dev` runs it beside
the rest of its stack; `baton api` runs it alone (a cluster runs several, behind a load
balancer), waiting for Temporal and PostgreSQL rather than exiting when they are down."""

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable

import uvicorn

from baton.config import Settings
from baton.errors import Unavailable
from baton.store.database import open_store
from starters import client
from starters.web.app import create_app
from starters.web.deps import Services
from workers.main import until_ready


def api_server(services: Services, host: str, port: int) -> uvicorn.Server:
    """uvicorn serving the app over `services`. It leaves SIGINT and SIGTERM to the
    process running it, which stops it by setting `should_exit` (in-flight requests
    finish)."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services.settings, services), host=host, port=port, log_level="warning"
        )
    )
    server.capture_signals = contextlib.nullcontext  # the caller handles the signals
    return server


def check_port_free(host: str, port: int) -> None:
    """Unavailable, saying how to fix it, when the API could not listen on host:port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise Unavailable(
                f"the API cannot listen on {host}:{port} ({error.strerror or error}); "
                "stop what uses it, or choose another port with --port or BATON_API_PORT"
            ) from None


async def run_api(
    settings: Settings, host: str, port: int, say: Callable[[str], None] = logging.warning
) -> None:
    """The `baton api` process, until SIGINT or SIGTERM (requests under way finish)."""
    check_port_free(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    temporal = await until_ready(lambda: client.connect(settings), stop, say, "Temporal")
    pool = await until_ready(lambda: open_store(settings), stop, say, "PostgreSQL")
    try:
        if temporal is None or pool is None:
            return  # stopped while waiting
        server = api_server(Services(settings, temporal, pool), host, port)
        serving = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        server.should_exit = True
        await serving
        if not stop.is_set():  # uvicorn gave up (it logged why)
            raise Unavailable(f"the API on {host}:{port} stopped; see the lines above")
    finally:
        if pool is not None:
            await pool.close()
