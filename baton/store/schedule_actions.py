"""Who did what to a recurring project's schedule, and when (Temporal keeps the schedule,
not who changed it)."""

from datetime import datetime
from typing import Literal

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

ScheduleAction = Literal["create", "pause", "resume", "trigger", "delete"]


class ScheduleEntry(BaseModel):
    schedule_id: str
    action: ScheduleAction
    actor: str
    note: str | None
    at: datetime


class ScheduleActions:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def record(
        self, schedule_id: str, action: ScheduleAction, actor: str, note: str | None = None
    ) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO schedule_actions (schedule_id, action, actor, note)"
                " VALUES (%s, %s, %s, %s)",
                (schedule_id, action, actor, note),
            )

    async def history(self, schedule_id: str) -> list[ScheduleEntry]:
        """What was done to the schedule, oldest first."""
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(ScheduleEntry)) as cursor,
        ):
            await cursor.execute(
                "SELECT schedule_id, action, actor, note, at FROM schedule_actions"
                " WHERE schedule_id = %s ORDER BY at, id",
                (schedule_id,),
            )
            return await cursor.fetchall()
