"""Sign-in links ("Email me a sign-in link"): each link's nonce, kept as its SHA-256
with whom it signs in, where it leads and until when, so a link works once.

A link is written with its messages (the outbox rows that deliver it) in one
transaction, and claimed by one conditional UPDATE, so two clicks racing each other
sign in once: the second finds it used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from baton.store.outbox import OutboxMessage, insert_messages


def nonce_hash(nonce: str) -> str:
    """What the table keeps of a link's nonce (and what its messages' keys are made of)."""
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


class SignInLink(BaseModel):
    person: str
    next_path: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


_COLUMNS = ", ".join(SignInLink.model_fields)


class SignInLinksRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def issue(
        self,
        nonce: str,
        person_id: str,
        next_path: str,
        expires_at: datetime,
        messages: Sequence[OutboxMessage],
    ) -> None:
        """Record a new link and write the messages that deliver it, all or nothing.
        Links expired a day ago are cleared on the way."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM sign_in_links WHERE expires_at < now() - interval '1 day'"
            )
            await conn.execute(
                "INSERT INTO sign_in_links (nonce_hash, person, next_path, expires_at)"
                " VALUES (%s, %s, %s, %s)",
                (nonce_hash(nonce), person_id, next_path, expires_at),
            )
            await insert_messages(conn, messages)

    async def claim(self, nonce: str, person_id: str) -> str | None:
        """Use the link up: where it leads, when it was unused and unexpired; else None
        (`get` tells which)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE sign_in_links SET used_at = now()"
                " WHERE nonce_hash = %s AND person = %s"
                " AND used_at IS NULL AND expires_at > now() RETURNING next_path",
                (nonce_hash(nonce), person_id),
            )
            row = await cursor.fetchone()
        return row[0] if row else None

    async def get(self, nonce: str) -> SignInLink | None:
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(SignInLink)) as cursor,
        ):
            await cursor.execute(
                f"SELECT {_COLUMNS} FROM sign_in_links WHERE nonce_hash = %s",
                (nonce_hash(nonce),),
            )
            return await cursor.fetchone()
