"""Where Baton's PostgreSQL is, and a connection pool to it.

`DATABASE_URL` points at any PostgreSQL. Without it, Baton uses an embedded server from
the `pgserver` package with its data in `<BATON_HOME>/pg`: the first Baton process
starts it and leaves it running, every later process on the machine finds it there.
"""

import asyncio
import fcntl
import os
import re
import subprocess
import warnings
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from baton.config import Settings
from baton.errors import Unavailable
from baton.store.migrate import migrate

EMBEDDED_DATABASE = "baton"
WAIT_FOR_CONNECTION = 5.0  # seconds


def database_url(settings: Settings) -> str:
    """`DATABASE_URL` when set, else the embedded server's URL (started when not running)."""
    if settings.database_url:
        return settings.database_url
    return embedded_url(settings.home / "pg")


def embedded_url(data_dir: Path) -> str:
    """Start (once per machine) or find the embedded PostgreSQL kept in `data_dir`, make
    sure its `baton` database exists, and return a URL to that database.

    A file lock beside the data directory makes concurrent first starts wait for each
    other, so only one process runs initdb. The server listens on a unix socket only;
    when `data_dir` is too deep for a socket path (about 100 characters), pgserver puts
    the socket in a short per-user runtime directory instead and records it in
    postmaster.pid, where every later process reads it. Run as root, pgserver runs
    PostgreSQL as a `pgserver` system user and opens the data directory's parents to it.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(data_dir.parent / f"{data_dir.name}.lock"):
        try:
            server = _pgserver().get_server(data_dir, cleanup_mode=None)
            admin_url = server.get_uri()
        except Exception as error:  # initdb, pg_ctl, permissions: all mean 'not started'
            raise Unavailable(
                f"could not start the embedded PostgreSQL in {data_dir}: {error}. "
                f"Its log is {data_dir / 'log'}; set DATABASE_URL to use another PostgreSQL."
            ) from error
        _ensure_database(admin_url, EMBEDDED_DATABASE)
        return server.get_uri(EMBEDDED_DATABASE)


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server kept in `data_dir`; False when it was not running."""
    data_dir = Path(data_dir).expanduser().resolve()
    pgserver = _pgserver()
    if not (data_dir / "postmaster.pid").exists():
        return False
    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs it as this user
    try:
        pgserver.pg_ctl(["-w", "stop"], pgdata=data_dir, user=user)
    except subprocess.CalledProcessError:
        return False
    return True


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    """An opened pool of autocommit connections in UTC. Group statements that must be
    atomic in `async with conn.transaction():`. Raises Unavailable saying where and
    why when the server cannot be reached."""
    try:
        probe = await psycopg.AsyncConnection.connect(url, connect_timeout=5)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unavailable(
            f"cannot connect to PostgreSQL at {redact(url)}: {reason}. Check that the server "
            "is running and DATABASE_URL is right, or unset DATABASE_URL to use the embedded "
            "server under BATON_HOME."
        ) from None
    await probe.close()
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"autocommit": True, "connect_timeout": 5},
        configure=_configure,
        check=AsyncConnectionPool.check_connection,
        open=False,
        name="baton",
        # With PostgreSQL down a request waits this long for a connection, then answers
        # 503 (Unavailable) saying so, rather than hanging for half a minute.
        timeout=WAIT_FOR_CONNECTION,
    )
    await pool.open(wait=True, timeout=15)
    return pool


async def open_store(settings: Settings) -> AsyncConnectionPool:
    """The pool to Baton's PostgreSQL, its schema brought up to date (safe in every
    process: migrations take turns)."""
    pool = await open_pool(await asyncio.to_thread(database_url, settings))
    await migrate(pool)
    return pool


def as_unavailable(error: BaseException) -> Unavailable | None:
    """PostgreSQL lost in the middle of work (a dropped connection, no connection free
    in time) as the error a person sees; None for anything else."""
    if isinstance(error, psycopg.OperationalError | PoolTimeout):
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no connection"
        return Unavailable(f"the database is unreachable: {reason}")
    return None


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    url = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(password=)\S+", r"\1***", url)


async def _configure(conn: psycopg.AsyncConnection) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")


def _ensure_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def _file_lock(path: Path):
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pgserver():
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset; pgserver then uses
    # /tmp/runtime-<uid>, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver
