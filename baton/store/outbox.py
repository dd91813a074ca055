"""The notification outbox: every message, written in the transaction that records its
transition, then delivered by a sender.

Life of an email or Slack row: `pending` -> claimed (`sending`, attempts + 1) -> attempt
started (`attempt_started_at`, committed before the provider is called) -> `sent`, or back
to `pending` with a later `next_attempt_at` (retry), or `failed`. A claim is identified by
the row's `attempts` after it, so a sender whose claim was taken over writes nothing.

A row a crashed sender left in `sending` is put back to `pending` by `release_stuck`, so
delivery is at least once; when its attempt had started (`attempt_started_at` still set)
its outcome is unknown, and the sender asks the provider before sending it again.
Mailbox rows are delivered by being written: they are `sent` at once and read in the
dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

Channel = Literal["email", "slack", "mailbox"]


class OutboxMessage(BaseModel):
    """One message to one person on one channel; the key makes writing it idempotent."""

    idempotency_key: str
    workflow_id: str
    transition: int
    kind: str
    step_id: str | None = None
    recipient: str
    channel: Channel
    subject: str
    body_text: str
    body_html: str
    links: list[dict[str, Any]] = []  # {label, url, style}: buttons where a channel has them


class OutboxRow(OutboxMessage):
    id: int
    status: Literal["pending", "sending", "sent", "failed"]
    attempts: int
    next_attempt_at: datetime
    provider_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None
    claimed_at: datetime | None
    attempt_started_at: datetime | None = None  # set: an attempt whose outcome is unknown
    note: str | None = None  # how an interrupted delivery was settled


class InboxMessage(BaseModel):
    """A mailbox message as a person reads it (the API's answer, the CLI's token mode)."""

    id: int
    kind: str
    workflow_id: str
    step_id: str | None
    subject: str
    body_text: str
    body_html: str
    created_at: datetime
    read_at: datetime | None  # before this reading: None means new


_MESSAGE_COLUMNS = tuple(OutboxMessage.model_fields)
_ROW_COLUMNS = ", ".join(OutboxRow.model_fields)
_INSERT = (
    f"INSERT INTO outbox ({', '.join(_MESSAGE_COLUMNS)}, status, sent_at) VALUES ("
    + ", ".join(f"%({name})s" for name in _MESSAGE_COLUMNS)
    + ", CASE WHEN %(mailbox)s THEN 'sent' ELSE 'pending' END,"
    " CASE WHEN %(mailbox)s THEN now() END)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
)


async def insert_messages(conn: AsyncConnection, messages: Sequence[OutboxMessage]) -> int:
    """Write messages not written before (by idempotency key); returns how many were new.
    Takes the caller's connection so it can share a transaction with `insert_events`."""
    rows = [
        message.model_dump()
        | {"mailbox": message.channel == "mailbox", "links": Jsonb(message.links)}
        for message in messages
    ]
    if not rows:
        return 0
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(_INSERT, rows)
        return cursor.rowcount


class OutboxRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def claim_due(self, limit: int, now: datetime) -> list[OutboxRow]:
        """Take up to `limit` pending email/Slack rows due by `now` (oldest due first) for
        sending: they become `sending` with one more attempt. Rows another sender is
        claiming at the same moment are skipped, never taken twice."""
        return await self._rows(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = %(now)s"
            " WHERE id IN (SELECT id FROM outbox WHERE status = 'pending'"
            " AND channel <> 'mailbox' AND next_attempt_at <= %(now)s"
            " ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            f" RETURNING {_ROW_COLUMNS}",
            {"now": now, "limit": limit},
            sort=lambda row: (row.next_attempt_at, row.id),
        )

    async def start_attempt(
        self, row_id: int, claim: int, at: datetime, note: str | None = None
    ) -> bool:
        """Record, before the provider is called, that the claim `claim` (the row's
        attempts when it was claimed) starts an attempt at `at`; False when that claim
        is no longer the row's (released and taken by another sender): send nothing."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET attempt_started_at = %s, note = coalesce(%s, note)"
                " WHERE id = %s AND status = 'sending' AND attempts = %s",
                (at, note, row_id, claim),
            )
            return cursor.rowcount == 1

    async def mark_sent(
        self, row_id: int, provider_id: str | None, note: str | None = None
    ) -> bool:
        """Accepted by the provider: whoever claims the row now, this is the truth."""
        return await self._update(
            "status = 'sent', sent_at = now(), provider_id = %s, claimed_at = NULL,"
            " attempt_started_at = NULL, note = coalesce(%s, note)",
            (provider_id, note),
            row_id,
        )

    async def mark_retry(
        self,
        row_id: int,
        error: str,
        next_attempt_at: datetime,
        *,
        claim: int | None = None,
        in_doubt: bool = False,
    ) -> bool:
        """Back to pending until `next_attempt_at` (unless another sender already sent it,
        or, given `claim`, took the row over). `in_doubt`: the provider may have taken
        the attempt (a timeout), so the next one asks it first."""
        return await self._update(
            "status = 'pending', last_error = %s, next_attempt_at = %s, claimed_at = NULL,"
            " attempt_started_at = CASE WHEN %s THEN attempt_started_at END",
            (error, next_attempt_at, in_doubt),
            row_id,
            unless_sent=True,
            claim=claim,
        )

    async def mark_failed(self, row_id: int, error: str, *, claim: int | None = None) -> bool:
        """Given up (unless another sender already sent it, or took it over)."""
        return await self._update(
            "status = 'failed', last_error = %s, claimed_at = NULL, attempt_started_at = NULL",
            (error,),
            row_id,
            unless_sent=True,
            claim=claim,
        )

    async def release(self, row_id: int, claim: int) -> bool:
        """Put a row this sender claimed (as `claim`) back to pending, for a sender that
        could not finish it (the database went away mid-round). An attempt it started
        stays recorded, so the provider is asked before the row is sent again."""
        return await self._update("status = 'pending', claimed_at = NULL", (), row_id, claim=claim)

    async def release_stuck(self, older_than: datetime) -> int:
        """Put rows claimed before `older_than` and never marked back to pending, so they
        are sent again (those whose attempt had started, only after asking the provider);
        returns how many."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET status = 'pending', claimed_at = NULL"
                " WHERE status = 'sending' AND (claimed_at < %s OR claimed_at IS NULL)",
                (older_than,),
            )
            return cursor.rowcount

    async def mailbox(self, person_id: str, unread_only: bool = False) -> list[OutboxRow]:
        """A person's mailbox, newest first."""
        unread = " AND read_at IS NULL" if unread_only else ""
        return await self._rows(
            f"SELECT {_ROW_COLUMNS} FROM outbox WHERE channel = 'mailbox'"
            f" AND recipient = %s{unread} ORDER BY created_at DESC, id DESC",
            (person_id,),
        )

    async def newest_mailbox(self, limit: int) -> list[OutboxRow]:
        """Everyone's newest mailbox messages (every message has a mailbox copy), newest
        first: the local demo's mailbox page."""
        return await self._rows(
            f"SELECT {_ROW_COLUMNS} FROM outbox WHERE channel = 'mailbox'"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            (limit,),
        )

    async def read(self, person_id: str, unread_only: bool = False) -> list[OutboxRow]:
        """A person reads their mailbox: its messages, newest first (`read_at` as it was
        before this reading), and those become read."""
        rows = await self.mailbox(person_id, unread_only=unread_only)
        await self.mark_read(person_id, [row.id for row in rows])
        return rows

    async def mark_read(self, person_id: str, ids: Iterable[int] | None = None) -> int:
        """Mark a person's unread mailbox messages read (only `ids` when given); returns
        how many. Other people's messages are never touched."""
        only = "" if ids is None else " AND id = ANY(%(ids)s)"
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET read_at = now() WHERE channel = 'mailbox'"
                f" AND recipient = %(person)s AND read_at IS NULL{only}",
                {"person": person_id, "ids": None if ids is None else list(ids)},
            )
            return cursor.rowcount

    async def get_by_key(self, key: str) -> OutboxRow | None:
        rows = await self._rows(
            f"SELECT {_ROW_COLUMNS} FROM outbox WHERE idempotency_key = %s", (key,)
        )
        return rows[0] if rows else None

    async def _update(
        self,
        assignments: str,
        params: tuple,
        row_id: int,
        unless_sent: bool = False,
        claim: int | None = None,
    ) -> bool:
        guard = " AND status <> 'sent'" if unless_sent else ""
        if claim is not None:
            guard += " AND status = 'sending' AND attempts = %s"
            params = (*params, row_id, claim)
        else:
            params = (*params, row_id)
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                f"UPDATE outbox SET {assignments} WHERE id = %s{guard}", params
            )
            return cursor.rowcount == 1

    async def _rows(self, query: str, params, sort=None) -> list[OutboxRow]:
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(OutboxRow)) as cursor,
        ):
            await cursor.execute(query, params)
            rows = await cursor.fetchall()
        return sorted(rows, key=sort) if sort else rows
