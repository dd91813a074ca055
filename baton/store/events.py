"""Step events: every log entry of every transition, for status pages and reports.

`insert_events` takes an open connection so the caller can write a transition's events
and its outbox messages in one transaction. Entries are keyed (workflow id, transition,
position in the transition), so recording a transition again records nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

_COLUMNS = ("at", "type", "step_id", "recipient", "actor", "detail", "revision", "planned_due")
_INSERT = (
    "INSERT INTO step_events (workflow_id, transition, seq, "
    + ", ".join(_COLUMNS)
    + ") VALUES (%(workflow_id)s, %(transition)s, %(seq)s, "
    + ", ".join(f"%({name})s" for name in _COLUMNS)
    + ") ON CONFLICT (workflow_id, transition, seq) DO NOTHING"
)


class EventRow(BaseModel):
    id: int
    workflow_id: str
    transition: int
    seq: int
    at: datetime
    type: str
    step_id: str | None
    recipient: str | None
    actor: str | None
    detail: str | None
    revision: int | None
    planned_due: datetime | None
    recorded_at: datetime


async def insert_events(
    conn: AsyncConnection,
    workflow_id: str,
    transition: int,
    entries: Sequence[Mapping | BaseModel],
) -> int:
    """Record a transition's log entries in order (`at` and `type` required; step_id,
    recipient, actor, detail, revision, planned_due optional). Returns how many were new."""
    rows = []
    for seq, entry in enumerate(entries):
        values = entry.model_dump() if isinstance(entry, BaseModel) else dict(entry)
        missing = [name for name in ("at", "type") if values.get(name) is None]
        if missing:
            raise ValueError(
                f"event {seq} of {workflow_id} transition {transition} has no {missing[0]}"
            )
        rows.append(
            {name: values.get(name) for name in _COLUMNS}
            | {"workflow_id": workflow_id, "transition": transition, "seq": seq}
        )
    if not rows:
        return 0
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(_INSERT, rows)
        return cursor.rowcount


_ROW_COLUMNS = ", ".join(EventRow.model_fields)


class EventRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def for_project(self, workflow_id: str) -> list[EventRow]:
        """A project's events in the order they happened."""
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(EventRow)) as cursor,
        ):
            await cursor.execute(
                f"SELECT {_ROW_COLUMNS} FROM step_events WHERE workflow_id = %s"
                " ORDER BY transition, seq",
                (workflow_id,),
            )
            return await cursor.fetchall()
