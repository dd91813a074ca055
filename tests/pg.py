"""A real PostgreSQL for tests: one embedded server per test session, a fresh database
per test (CREATE DATABASE, from a migrated template when the test wants the schema).

Any test directory can use it: `from tests import pg`, then `pg.server_url()`,
`pg.create_database(...)`, `await pg.migrated_template()`, `pg.drop_database(url)`.
Set BATON_TEST_DATABASE_URL to run against another server instead (its user needs
CREATEDB).
"""

import os
import tempfile
import uuid
import warnings

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from baton.store.database import open_pool
from baton.store.migrate import migrate

TEMPLATE = "baton_test_template"
_state: dict[str, str] = {}


def server_url() -> str:
    """The admin URL of the session's server, started on first use and stopped and
    deleted when the test process exits."""
    if "url" not in _state:
        external = os.environ.get("BATON_TEST_DATABASE_URL")
        if external:
            _state["url"] = external
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pgserver
            data = tempfile.mkdtemp(prefix="baton-test-pg-")
            _state["url"] = pgserver.get_server(data, cleanup_mode="delete").get_uri()
            with psycopg.connect(_state["url"], autocommit=True) as conn:
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    conn.execute(f"ALTER SYSTEM SET {setting} = off")  # a throwaway server
                conn.execute("SELECT pg_reload_conf()")
    return _state["url"]


def database_url(name: str) -> str:
    return make_conninfo(server_url(), dbname=name)


def create_database(template: str | None = None) -> str:
    """A new, uniquely named database (a copy of `template` when given); its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(query)
    return database_url(name)


def drop_database(url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


async def migrated_template() -> str:
    """The name of a database with every migration applied, made once per session, for
    `create_database(template=...)` (copying it is much faster than migrating)."""
    if "template" not in _state:
        with psycopg.connect(server_url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        pool = await open_pool(database_url(TEMPLATE), max_size=1)
        try:
            await migrate(pool)
        finally:
            await pool.close()
        _state["template"] = TEMPLATE
    return _state["template"]
