"""`baton doctor`'s PostgreSQL checks: reachable, migrations current, the outbox backlog."""

import asyncio
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg_pool import AsyncConnectionPool

from baton.config import Settings
from baton.errors import BatonError
from baton.store.database import database_url, open_pool, redact
from baton.store.migrate import applied_versions, migration_files
from starters.client.doctor.checks import (
    TIMEOUT,
    Check,
    duration_text,
    guarded,
    ok,
    one_line,
    problem,
    reason,
    skipped,
    warning,
)

OUTBOX_SLOW = timedelta(minutes=5)  # a message waiting longer: the sender is behind
OUTBOX_STALLED = timedelta(hours=1)  # longer still: people are not being told


POSTGRES_CHECKS = ("postgresql", "migrations", "outbox")


async def postgres_checks(settings: Settings) -> list[Check]:
    data_dir = Path(settings.home) / "pg"  # the embedded server's, without DATABASE_URL
    url = await _database_url(settings, data_dir)
    if isinstance(url, Check):
        return [url, *skipped(POSTGRES_CHECKS[1:], "PostgreSQL is not running")]
    try:
        pool = await asyncio.wait_for(_open(url), TIMEOUT)
    except Exception as error:  # refused, no answer, a malformed URL: all unreachable
        why = f"no answer in {TIMEOUT:.0f} s" if isinstance(error, TimeoutError) else None
        return [
            problem(
                "postgresql",
                f"cannot connect to PostgreSQL at {redact(url)}: {why or reason(error)}",
                "start PostgreSQL, or correct DATABASE_URL (unset it to use the embedded "
                "server under BATON_HOME)",
            ),
            *skipped(POSTGRES_CHECKS[1:], "PostgreSQL is unreachable"),
        ]
    try:
        where = redact(url) if settings.database_url else f"the embedded server in {data_dir}"
        checks = [ok("postgresql", f"reachable ({where})")]
        migrations = await guarded("migrations", lambda: _migrations(pool))
        checks.append(migrations)
        if migrations.status != "ok" and not await _has_outbox(pool):
            return [*checks, *skipped(("outbox",), "the schema has no outbox yet")]
        checks.append(await guarded("outbox", lambda: _outbox(pool)))
        return checks
    finally:
        await pool.close()


async def _database_url(settings: Settings, data: Path) -> str | Check:
    """DATABASE_URL, or the embedded server's when it runs: the doctor does not start it."""
    if settings.database_url:
        return settings.database_url
    if not (data / "postmaster.pid").exists():
        return warning(
            "postgresql",
            f"the embedded PostgreSQL (in {data}) is not running",
            "`baton dev` runs it (and `baton worker` starts it), or set DATABASE_URL to your "
            "PostgreSQL",
        )
    try:
        return await asyncio.wait_for(asyncio.to_thread(database_url, settings), TIMEOUT)
    except (BatonError, TimeoutError) as error:
        return problem(
            "postgresql",
            f"the embedded PostgreSQL in {data} does not answer: {reason(error)}",
            f"stop Baton's processes and start `baton dev` again (its log: {data / 'log'}), "
            "or set DATABASE_URL",
        )


async def _open(url: str) -> AsyncConnectionPool:
    # A probe first: its error names the reason; open_pool's would add its own advice.
    probe = await psycopg.AsyncConnection.connect(url, connect_timeout=int(TIMEOUT))
    await probe.close()
    return await open_pool(url, min_size=1, max_size=2)


async def _migrations(pool: AsyncConnectionPool) -> Check:
    known = [version for version, _ in migration_files()]
    applied = await applied_versions(pool)
    behind = [version for version in known if version not in applied]
    unknown = [version for version in applied if version not in known]
    if behind:
        listed = ", ".join(behind) if len(behind) <= 3 else f"{behind[0]} … {behind[-1]}"
        return problem(
            "migrations",
            f"{len(behind)} of {len(known)} migrations not applied: {listed}",
            "`baton db migrate` (each Baton process also migrates as it starts)",
        )
    if unknown:
        return warning(
            "migrations",
            f"the database has migrations this Baton does not know: {', '.join(unknown)}",
            "a newer Baton migrated it: run that version here too",
        )
    return ok("migrations", f"all {len(known)} applied (latest {known[-1]})")


async def _has_outbox(pool: AsyncConnectionPool) -> bool:
    async with pool.connection() as conn:
        found = await conn.execute("SELECT to_regclass('outbox') IS NOT NULL")
        return bool((await found.fetchone())[0])


_BACKLOG = """
SELECT count(*), min(created_at), now(),
       (array_agg(attempts ORDER BY created_at))[1],
       (array_agg(last_error ORDER BY created_at))[1]
FROM outbox WHERE status IN ('pending', 'sending') AND channel <> 'mailbox'
"""
_FAILED = """
SELECT count(*), (array_agg(last_error ORDER BY created_at DESC))[1]
FROM outbox WHERE status = 'failed' AND created_at > now() - interval '1 day'
"""


async def _outbox(pool: AsyncConnectionPool) -> Check:
    """Email and Slack messages waiting for the sender (mailbox ones never wait)."""
    async with pool.connection() as conn:
        waiting, oldest, now, attempts, error = await (await conn.execute(_BACKLOG)).fetchone()
        failed, failure = await (await conn.execute(_FAILED)).fetchone()
    gave_up = ""
    if failed:
        gave_up = f"; {failed} failed for good in the last day (latest: {one_line(failure or '')})"
    if not waiting:
        if failed:
            return warning(
                "outbox",
                f"no message waiting{gave_up}",
                "check the provider settings (SENDGRID_API_KEY, SLACK_BOT_TOKEN) and the "
                "people's addresses; each project manager got a notice in their mailbox",
            )
        return ok("outbox", "no message waiting to be sent")
    age = now - oldest
    detail = f"{waiting} message{'s' * (waiting != 1)} waiting, the oldest for {duration_text(age)}"
    if age < OUTBOX_SLOW:
        return ok("outbox", detail + gave_up)
    if attempts:
        detail += f" (tried {attempts} time{'s' * (attempts != 1)}: {one_line(error or '')})"
        fix = (
            "the provider refuses or fails: check SENDGRID_API_KEY / SENDGRID_HOST, "
            "SLACK_BOT_TOKEN / SLACK_API_URL and the worker's log"
        )
    else:
        detail += " (never tried)"
        fix = "no sender is sending: the sender runs in `baton worker`; start one, or read its log"
    status = problem if age >= OUTBOX_STALLED else warning
    return status("outbox", detail + gave_up, fix)
