"""Dashboard sessions and sign-in limits, in PostgreSQL so every web process shares them.

A session id is random and travels only in the browser's cookie; the table keeps its
SHA-256 (like API tokens), so a copy of the table signs nobody in. A session made with
an API token stays valid while it is neither revoked nor expired and its person's token
is still that one: replacing or revoking a person's token ends the sessions made with
it, wherever the token is set, with no extra step there. A session made with a sign-in
link (no token behind it) is valid while neither revoked nor expired.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionsRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def start(self, person_id: str, token_hash: str | None, lifetime: timedelta) -> str:
        """A new session for the person signed in with the token of `token_hash` (None:
        with a sign-in link); its id (for the cookie, never stored). Sessions long
        expired are cleared on the way."""
        session_id = secrets.token_urlsafe(32)
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'")
            await conn.execute(
                "INSERT INTO sessions (id_hash, person, token_hash, expires_at)"
                " VALUES (%s, %s, %s, now() + %s)",
                (_hash(session_id), person_id, token_hash, lifetime),
            )
        return session_id

    async def person_id(self, session_id: str) -> str | None:
        """Whose session this is, while it is valid; else None."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT s.person FROM sessions s JOIN people p ON p.id = s.person"
                " AND (s.token_hash IS NULL OR p.token_hash = s.token_hash)"
                " WHERE s.id_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now()",
                (_hash(session_id),),
            )
            row = await cursor.fetchone()
        return row[0] if row else None

    async def revoke(self, session_id: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE sessions SET revoked_at = now() WHERE id_hash = %s AND revoked_at IS NULL",
                (_hash(session_id),),
            )


class SignInFailures:
    """Sign-in attempts per key, at most `limit` within any `window`: failed token
    sign-ins per client address, sign-in link requests per address and per person (each
    kind under keys of its own). Windows are at most a day: older rows are dropped."""

    def __init__(self, pool: AsyncConnectionPool, limit: int, window: timedelta):
        self.pool = pool
        self.limit = limit
        self.window = window

    async def wait(self, key: str) -> timedelta | None:
        """How long `key` must wait before trying again (None: it may try now): until
        the `limit`-th most recent attempt leaves the window."""
        async with self.pool.connection() as conn:
            return await self._wait(conn, key)

    async def record(self, key: str) -> None:
        """One more attempt (a failure) for `key`."""
        async with self.pool.connection() as conn, conn.transaction():
            await self._record(conn, key)

    async def take(self, key: str) -> timedelta | None:
        """Count one attempt for `key` if it is within the limit (None); else how long it
        must wait, counting nothing. Concurrent takes of one key wait for each other, so
        the limit holds across web processes."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            wait = await self._wait(conn, key)
            if wait is None:
                await self._record(conn, key)
            return wait

    async def _wait(self, conn: AsyncConnection, key: str) -> timedelta | None:
        cursor = await conn.execute(
            "SELECT at + %(window)s - now() FROM sign_in_failures"
            " WHERE client = %(key)s AND at > now() - %(window)s"
            " ORDER BY at DESC OFFSET %(skip)s LIMIT 1",
            {"key": key, "window": self.window, "skip": self.limit - 1},
        )
        row = await cursor.fetchone()
        return row[0] if row else None

    async def _record(self, conn: AsyncConnection, key: str) -> None:
        await conn.execute("DELETE FROM sign_in_failures WHERE at < now() - interval '1 day'")
        await conn.execute("INSERT INTO sign_in_failures (client) VALUES (%s)", (key,))
