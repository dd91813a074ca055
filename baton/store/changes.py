"""What the dashboard's live pages watch: one cheap stamp that changes whenever a project
moves (the worker records a transition's step events, the project index is updated) or
a message reaches a person's mailbox. Each part reads an index or a small table."""

from psycopg_pool import AsyncConnectionPool

_STAMP = (
    "SELECT (SELECT coalesce(max(id), 0) FROM step_events),"
    " (SELECT coalesce(max(id), 0) FROM outbox WHERE channel = 'mailbox' AND recipient = %s),"
    " (SELECT coalesce(max(updated_at), 'epoch') FROM projects)"
)


async def change_stamp(pool: AsyncConnectionPool, person_id: str) -> str:
    """A short text that differs once anything a page of `person_id` shows has changed."""
    async with pool.connection() as conn:
        cursor = await conn.execute(_STAMP, (person_id,))
        events, messages, projects = await cursor.fetchone()
    return f"{events}.{messages}.{projects.timestamp():.6f}"
