"""The project index: one row per workflow, for lists and reports without asking Temporal."""

from __future__ import annotations

from datetime import date, datetime

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel


class ProjectRow(BaseModel):
    workflow_id: str
    name: str
    playbook_id: str
    playbook_version: int | None
    project_manager: str
    timezone: str
    launch_date: date | None
    state: str
    started_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(ProjectRow.model_fields)


class ProjectRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def upsert(
        self,
        workflow_id: str,
        name: str,
        playbook_id: str,
        playbook_version: int | None,
        project_manager: str,
        timezone: str,
        launch_date: date | None,
        state: str,
    ) -> None:
        """Record a project or its latest facts (started_at stays the first record's)."""
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO projects (workflow_id, name, playbook_id, playbook_version,"
                " project_manager, timezone, launch_date, state)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (workflow_id) DO UPDATE SET name = EXCLUDED.name,"
                " playbook_id = EXCLUDED.playbook_id,"
                " playbook_version = EXCLUDED.playbook_version,"
                " project_manager = EXCLUDED.project_manager, timezone = EXCLUDED.timezone,"
                " launch_date = EXCLUDED.launch_date, state = EXCLUDED.state,"
                " updated_at = now()",
                (
                    workflow_id,
                    name,
                    playbook_id,
                    playbook_version,
                    project_manager,
                    timezone,
                    launch_date,
                    state,
                ),
            )

    async def get(self, workflow_id: str) -> ProjectRow | None:
        rows = await self._select("WHERE workflow_id = %s", (workflow_id,))
        return rows[0] if rows else None

    async def list(self, state: str | None = None) -> list[ProjectRow]:
        """Projects in the index, the most recently started first; only those whose
        last recorded state is `state` when given. The index is written with each
        transition's effects, so a run ended outside Baton (terminated in the Temporal
        UI) keeps the state it last recorded: Temporal's visibility is the live truth."""
        if state is None:
            return await self._select("", ())
        return await self._select("WHERE state = %s", (state,))

    async def _select(self, where: str, params: tuple) -> list[ProjectRow]:
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=class_row(ProjectRow)) as cursor,
        ):
            await cursor.execute(
                f"SELECT {_COLUMNS} FROM projects {where} ORDER BY started_at DESC, workflow_id",
                params,
            )
            return await cursor.fetchall()
