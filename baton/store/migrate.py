"""Schema migrations: the SQL files in `migrations/`, applied once each, in name order.

A file is named `NNNN_what.sql`; its version is the name without `.sql`. Applied
versions are recorded in `schema_migrations`. Every process may call `migrate()` at
start-up: a session advisory lock makes concurrent callers take turns, and each file
runs in its own transaction with its record, so a failed file leaves nothing half done.
"""

import re
from pathlib import Path

from psycopg_pool import AsyncConnectionPool

from baton.errors import Unavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 0x6261746F6E  # "baton": the migration lock, one per database


class MigrationError(Unavailable):
    """A migration file that is misnamed or fails, with the file and the server's reason."""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[str, Path]]:
    """(version, path) of every migration file, in order; refuses misnamed or clashing ones."""
    found: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path}: a migration file is named like 0002_add_things.sql "
                "(four digits, underscore, lowercase words)"
            )
        if match.group(1) in found:
            raise MigrationError(
                f"{path}: number {match.group(1)} is already used by {found[match.group(1)].name}"
            )
        found[match.group(1)] = path
    return [(path.stem, path) for _, path in sorted(found.items())]


async def migrate(pool: AsyncConnectionPool, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not applied yet; return their versions (empty when up to date)."""
    files = migration_files(directory)
    async with pool.connection() as conn:
        autocommit = conn.autocommit
        await conn.set_autocommit(True)  # the lock is the session's; each file its own tx
        try:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
            try:
                return await _apply(conn, files)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        finally:
            await conn.set_autocommit(autocommit)


async def applied_versions(pool: AsyncConnectionPool) -> list[str]:
    """The versions recorded as applied, in order (empty on a fresh database)."""
    async with pool.connection() as conn:
        exists = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not (await exists.fetchone())[0]:
            return []
        rows = await conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row[0] for row in await rows.fetchall()]


async def _apply(conn, files: list[tuple[str, Path]]) -> list[str]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    cursor = await conn.execute("SELECT version FROM schema_migrations")
    done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for version, path in files:
        if version in done:
            continue
        try:
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8").encode())
                await conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (%s)", (version,)
                )
        except Exception as error:
            raise MigrationError(
                f"migration {path.name} failed and was rolled back: {error}"
            ) from error
        applied.append(version)
    return applied
