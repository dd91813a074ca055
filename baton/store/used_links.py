"""One-click links already honoured (`used_links`), so each link works once.

`claim` holds a transaction open around the action: the nonce row is inserted at once
(a concurrent claim of the same nonce waits on it) and kept only if the block ends
normally. The caller leaves the block with an exception when the action was not taken
(Temporal unreachable, or the workflow refused it), which rolls the claim back so the
link can be tried again; only an action the workflow took is recorded, with its outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from baton.links import ActionClaim


class UsedLink(BaseModel):
    nonce: str
    person: str
    workflow_id: str
    step_id: str
    action: str
    outcome: str | None
    used_at: datetime


class Claim:
    """A nonce claimed inside an open transaction; `record` notes what happened."""

    def __init__(self, cursor, nonce: str):
        self._cursor = cursor
        self.nonce = nonce

    async def record(self, outcome: str) -> None:
        await self._cursor.execute(
            "UPDATE used_links SET outcome = %s WHERE nonce = %s", (outcome, self.nonce)
        )


class UsedLinksRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def get(self, nonce: str) -> UsedLink | None:
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(UsedLink)) as cursor,
        ):
            await cursor.execute(
                "SELECT nonce, person, workflow_id, step_id, action, outcome, used_at"
                " FROM used_links WHERE nonce = %s",
                (nonce,),
            )
            return await cursor.fetchone()

    @asynccontextmanager
    async def claim(self, link: ActionClaim) -> AsyncIterator[Claim | None]:
        """Yields a `Claim` when this caller is the first to use the link, else None
        (already used). Committed when the block ends normally, rolled back otherwise."""
        async with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            await cursor.execute(
                "INSERT INTO used_links (nonce, person, workflow_id, step_id, action)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
                (link.nonce, link.person, link.workflow_id, link.step_id, link.action),
            )
            if await cursor.fetchone() is None:
                yield None
                return
            yield Claim(cursor, link.nonce)
