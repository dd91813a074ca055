"""The project index: one row per workflow, for lists and reports without asking Temporal."""

from __future__ import annotations

from datetime import date, datetime

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel


class ProjectFacts(BaseModel):
    """What the index knows of a project whatever it is read for."""

    workflow_id: str
    name: str
    playbook_id: str
    playbook_version: int | None
    project_manager: str
    timezone: str
    launch_date: date | None
    state: str


class ProjectRow(ProjectFacts):
    started_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(ProjectRow.model_fields)


_FACTS = ("workflow_id, name, playbook_id, playbook_version, project_manager, timezone,"
          " launch_date, state")  # fmt: skip
_LATEST = (
    " ON CONFLICT (workflow_id) DO UPDATE SET name = EXCLUDED.name,"
    " playbook_id = EXCLUDED.playbook_id, playbook_version = EXCLUDED.playbook_version,"
    " project_manager = EXCLUDED.project_manager, timezone = EXCLUDED.timezone,"
    " launch_date = EXCLUDED.launch_date, state = EXCLUDED.state, updated_at = now()"
)
_UPSERT = f"INSERT INTO projects ({_FACTS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s){_LATEST}"
# With its steps (`project_steps`): whether the index has them since the start is
# decided once, at the first transition recorded with them: yes unless the project
# has events from before that transition (it started before steps were indexed).
_UPSERT_WITH_STEPS = (
    f"INSERT INTO projects ({_FACTS}, steps_indexed)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NOT EXISTS (SELECT 1 FROM step_events"
    " WHERE workflow_id = %s AND transition < %s))"
    f"{_LATEST}, steps_indexed = coalesce(projects.steps_indexed, EXCLUDED.steps_indexed)"
)


async def record_project(
    conn: AsyncConnection,
    workflow_id: str,
    name: str,
    playbook_id: str,
    playbook_version: int | None,
    project_manager: str,
    timezone: str,
    launch_date: date | None,
    state: str,
    steps_at: int | None = None,
) -> None:
    """Record a project or its latest facts on an open connection (inside the caller's
    transaction; started_at stays the first record's). `steps_at`: the transition whose
    steps are recorded with it (`project_steps.record_steps`)."""
    facts = (workflow_id, name, playbook_id, playbook_version, project_manager, timezone,
             launch_date, state)  # fmt: skip
    if steps_at is None:
        await conn.execute(_UPSERT, facts)
    else:
        await conn.execute(_UPSERT_WITH_STEPS, (*facts, workflow_id, steps_at))


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
            await record_project(
                conn, workflow_id, name, playbook_id, playbook_version, project_manager,
                timezone, launch_date, state,
            )  # fmt: skip

    async def mark_ended(self, states: dict[str, str]) -> None:
        """Record how projects the index still had open have ended outside Baton
        (`terminated` in the Temporal UI, `failed`; `gone` from Temporal altogether):
        nothing of theirs was recorded since, as nothing of theirs ran."""
        async with self.pool.connection() as conn, conn.cursor() as cursor:
            await cursor.executemany(
                "UPDATE projects SET state = %s, updated_at = now()"
                " WHERE workflow_id = %s AND state = 'active'",
                [(state, workflow_id) for workflow_id, state in states.items()],
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
