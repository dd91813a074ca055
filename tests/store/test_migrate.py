"""Migrations on a real PostgreSQL: from empty, idempotent, concurrent, failing."""

import asyncio

import psycopg
import pytest

from baton.store.database import open_pool
from baton.store.migrate import MigrationError, applied_versions, migrate, migration_files

ALL = [version for version, _ in migration_files()]


async def _tables(pool) -> set[str]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in await cursor.fetchall()}


def test_migration_files_are_numbered_in_order():
    assert ALL[:2] == ["0001_initial", "0002_outbox_claimed_at"]
    assert sorted(ALL) == ALL


async def test_from_empty_applies_everything_then_nothing(empty_db):
    pool = await open_pool(empty_db)
    try:
        assert await applied_versions(pool) == []
        assert await migrate(pool) == ALL
        assert {"people", "playbook_versions", "projects", "step_events", "outbox"} <= (
            await _tables(pool)
        )
        assert await applied_versions(pool) == ALL
        assert await migrate(pool) == []
        assert await applied_versions(pool) == ALL
    finally:
        await pool.close()


async def test_concurrent_migrations_apply_each_version_once(empty_db):
    pools = [await open_pool(empty_db) for _ in range(3)]  # like three processes starting
    try:
        results = await asyncio.gather(*(migrate(pool) for pool in pools))
        assert sorted(v for result in results for v in result) == ALL
        assert sum(1 for result in results if result) == 1  # one did it all, under the lock
        async with pools[0].connection() as conn:
            cursor = await conn.execute(
                "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY 1"
            )
            assert await cursor.fetchall() == [(version, 1) for version in ALL]
    finally:
        for pool in pools:
            await pool.close()


async def test_a_failing_file_is_rolled_back_and_named(empty_db, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id int);")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;"
    )
    pool = await open_pool(empty_db)
    try:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql failed.*no_such_table"):
            await migrate(pool, tmp_path)
        assert await applied_versions(pool) == ["0001_first"]
        tables = await _tables(pool)
        assert "first_table" in tables
        assert "half_done" not in tables  # the failed file left nothing behind
        (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half_done (id int);")
        assert await migrate(pool, tmp_path) == ["0002_broken"]
    finally:
        await pool.close()


def test_misnamed_or_clashing_files_are_refused(tmp_path):
    (tmp_path / "2_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"named like 0002_add_things\.sql"):
        migration_files(tmp_path)
    (tmp_path / "2_things.sql").unlink()
    (tmp_path / "0003_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"number 0003 is already used by 0003_a\.sql"):
        migration_files(tmp_path)


async def test_migrate_leaves_the_connection_usable(empty_db):
    pool = await open_pool(empty_db, max_size=1)
    try:
        await migrate(pool)
        async with pool.connection() as conn:
            assert conn.autocommit
            cursor = await conn.execute(
                "SELECT pg_try_advisory_lock(1), current_setting('TimeZone')"
            )
            assert await cursor.fetchone() == (True, "UTC")
        # the migration lock was released: another session can take it at once
        async with await psycopg.AsyncConnection.connect(empty_db, autocommit=True) as other:
            cursor = await other.execute("SELECT pg_try_advisory_lock(%s)", (0x6261746F6E,))
            assert (await cursor.fetchone())[0] is True
    finally:
        await pool.close()
