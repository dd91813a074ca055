"""Step runs in PostgreSQL: written with each transition's effects (live projects), by
`baton history import` (all or nothing) and by the demo history; read by the reports,
recalibration and forecasts. A run is keyed (project, step, revision): writing it again
adds nothing, so a retried transition or a file imported twice changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from baton.insight.runs import StepRun

Source = Literal["live", "import", "demo"]
_FIELDS = tuple(StepRun.model_fields)
_INSERT = (
    "INSERT INTO step_runs (" + ", ".join(_FIELDS) + ", source) VALUES ("
    + ", ".join(f"%({name})s" for name in _FIELDS)
    + ", %(source)s) ON CONFLICT (project, step, revision) DO NOTHING"
)  # fmt: skip


async def insert_runs(
    conn: AsyncConnection, runs: Sequence[StepRun], source: Source = "live"
) -> int:
    """Record runs on an open connection (inside the caller's transaction); returns how
    many were new."""
    if not runs:
        return 0
    rows = [
        run.model_dump()
        | {"reviews": Jsonb(run.model_dump(mode="json")["reviews"]), "source": source}
        for run in runs
    ]
    async with conn.cursor() as cursor:
        await cursor.executemany(_INSERT, rows)
        return max(cursor.rowcount, 0)


class StepRunRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def add(self, runs: Sequence[StepRun], source: Source = "import") -> int:
        """Record runs all or nothing; returns how many were new (the rest known)."""
        added = 0
        async with self.pool.connection() as conn, conn.transaction():
            for start in range(0, len(runs), 1000):
                added += await insert_runs(conn, runs[start : start + 1000], source)
        return added

    async def list(
        self, playbook: str | None = None, since: datetime | None = None
    ) -> list[StepRun]:
        """Runs in the order they finished, of one playbook or all, finished since."""
        where, params = [], []
        if playbook:
            where.append("playbook = %s")
            params.append(playbook)
        if since:
            where.append("finished_at >= %s")
            params.append(since)
        sql = f"SELECT {', '.join(_FIELDS)} FROM step_runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY finished_at, project, step, revision"
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql, params)
            return [StepRun.model_validate(row) for row in await cursor.fetchall()]

    async def of_project(self, project: str) -> list[StepRun]:
        """One project's runs (every round of every step), by step and revision."""
        sql = f"SELECT {', '.join(_FIELDS)} FROM step_runs WHERE project = %s"
        sql += " ORDER BY step, revision"
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql, (project,))
            return [StepRun.model_validate(row) for row in await cursor.fetchall()]

    async def count(self, source: Source | None = None) -> int:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT count(*) FROM step_runs WHERE %s::text IS NULL OR source = %s",
                (source, source),
            )
            return (await cursor.fetchone())[0]


async def save_forecast(
    conn: AsyncConnection, workflow_id: str, transition: int, forecast: dict
) -> None:
    """Keep a project's latest forecast (an older transition's never replaces a newer)."""
    await conn.execute(
        "INSERT INTO forecasts (workflow_id, transition, forecast) VALUES (%s, %s, %s)"
        " ON CONFLICT (workflow_id) DO UPDATE SET transition = EXCLUDED.transition,"
        " forecast = EXCLUDED.forecast, updated_at = now()"
        " WHERE forecasts.transition <= EXCLUDED.transition",
        (workflow_id, transition, Jsonb(forecast)),
    )


async def latest_forecasts(
    pool: AsyncConnectionPool, workflow_ids: Sequence[str]
) -> dict[str, dict]:
    """The stored forecast of each project that has one."""
    if not workflow_ids:
        return {}
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT workflow_id, forecast FROM forecasts WHERE workflow_id = ANY(%s)",
            (list(workflow_ids),),
        )
        return {row[0]: row[1] for row in await cursor.fetchall()}
