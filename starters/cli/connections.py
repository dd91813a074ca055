"""Running a command's work with Temporal, the store or both open (each imported when the
command runs: `baton --help` waits on none of them). `common` and `backends` both use
these; neither imports the other for them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from baton.config import Settings

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool
    from temporalio.client import Client

T = TypeVar("T")


def with_client(work: Callable[[Client], Awaitable[T]]) -> T:
    """Run `work(client)` connected to Temporal (TEMPORAL_ADDRESS)."""

    from starters.client.connection import connect

    async def run() -> T:
        return await work(await connect(Settings()))

    return asyncio.run(run())


def with_store(work: Callable[[AsyncConnectionPool], Awaitable[T]]) -> T:
    """Run `work(pool)` on Baton's PostgreSQL (the embedded one unless DATABASE_URL is
    set), its schema brought up to date, and close it after."""
    from baton.store.database import open_store

    async def run() -> T:
        pool = await open_store(Settings())
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def with_client_and_store(
    work: Callable[[Client, AsyncConnectionPool], Awaitable[T]],
) -> T:
    """Run `work(client, pool)` with Temporal and the store both open (as above)."""
    from baton.store.database import open_store
    from starters.client.connection import connect

    async def run() -> T:
        temporal = await connect(Settings())
        pool = await open_store(Settings())
        try:
            return await work(temporal, pool)
        finally:
            await pool.close()

    return asyncio.run(run())
