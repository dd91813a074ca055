"""Effects PostgreSQL refused for their content: kept with the reason, once per
transition, so a project is never stuck retrying what can never be written."""

from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel


class FailedEffect(BaseModel):
    workflow_id: str
    transition: int
    reason: str
    entries: int
    failed_at: datetime


async def record_failure(
    conn: AsyncConnection, workflow_id: str, transition: int, reason: str, entries: int
) -> bool:
    """Keep the failure; False when this transition's failure was kept before (a retry)."""
    cursor = await conn.execute(
        "INSERT INTO failed_effects (workflow_id, transition, reason, entries)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (workflow_id, transition, reason, entries),
    )
    return cursor.rowcount == 1


async def failures_of(pool: AsyncConnectionPool, workflow_id: str) -> list[FailedEffect]:
    async with pool.connection() as conn, conn.cursor(row_factory=class_row(FailedEffect)) as cur:
        await cur.execute(
            "SELECT workflow_id, transition, reason, entries, failed_at FROM failed_effects"
            " WHERE workflow_id = %s ORDER BY transition",
            (workflow_id,),
        )
        return await cur.fetchall()
