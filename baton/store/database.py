"""Where Baton's PostgreSQL is, and a connection pool to it.

`DATABASE_URL` points at any PostgreSQL. Without it, Baton uses an embedded server from
the `pgserver` package with its data in `<BATON_HOME>/pg`: the first Baton process
starts it and leaves it running, every later process on the machine finds it there;
`baton dev` stops it on its way out unless another process still uses it.
"""

import asyncio
import contextlib
import fcntl
import os
import re
import secrets
import subprocess
import sys
import warnings
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from baton.config import Settings, private_dir
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

    pgserver lets anyone who reaches the socket in (trust), and its fallback socket
    directory is open to every user: so on its first start the server gets a password
    (kept, readable by its owner only, beside the data directory) and requires it for
    every connection from then on.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    home = private_dir(data_dir.parent)
    with _file_lock(home / f"{data_dir.name}.lock"):
        try:
            server = _pgserver().get_server(data_dir, cleanup_mode=None)
            admin_url = server.get_uri()
            if os.geteuid() == 0:  # pgserver opened the home to its system user: let it
                home.chmod(0o711)  # pass through, list nothing
        except Exception as error:  # initdb, pg_ctl, permissions: all mean 'not started'
            raise Unavailable(
                f"could not start the embedded PostgreSQL in {data_dir}: {error}. "
                f"Its log is {data_dir / 'log'}; set DATABASE_URL to use another PostgreSQL."
            ) from error
        password = _require_password(data_dir, admin_url)
        admin_url = make_conninfo(admin_url, password=password)
        _ensure_database(admin_url, EMBEDDED_DATABASE)
        return make_conninfo(server.get_uri(EMBEDDED_DATABASE), password=password)


_HBA_MARK = "# baton: every connection needs the password"
_HBA = f"""{_HBA_MARK} kept beside the data directory
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
host  all all ::1/128 scram-sha-256
"""


def _require_password(data_dir: Path, admin_url: str) -> str:
    """The server's password, set up on its first start (see `embedded_url`). Each step
    can be repeated: a start interrupted half way finishes the next time."""
    kept = data_dir.parent / f"{data_dir.name}.password"
    hba = data_dir / "pg_hba.conf"
    if _HBA_MARK in hba.read_text() and kept.exists():
        return kept.read_text().strip()
    password = kept.read_text().strip() if kept.exists() else secrets.token_urlsafe(24)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password)
    with psycopg.connect(admin_url, autocommit=True) as conn:  # trust, one last time
        user = conn.info.user
        conn.execute(
            sql.SQL("ALTER USER {} PASSWORD {}").format(sql.Identifier(user), sql.Literal(password))
        )
        hba.write_text(_HBA)
        conn.execute("SELECT pg_reload_conf()")
    return password


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


def release_embedded(data_dir: Path) -> list[int]:
    """This process is done with the embedded server kept in `data_dir` (`baton dev` on
    its way out): stop it unless another process still uses it. Returns the pids of the
    processes still using it; empty when it was stopped (or was not running).

    pgserver counts its users in `<data_dir>/.handle_pids.json`: every process that
    opens the server adds its pid, and takes it out again when it exits. A pid whose
    process is gone (killed before it could) does not count. Baton's start-up lock is
    held throughout, so a process starting up meanwhile either is counted or starts the
    server afresh after it was stopped."""
    data_dir = Path(data_dir).expanduser().resolve()
    if not data_dir.is_dir():
        return []
    _pgserver()  # imported quietly first (see there)
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import DiskList

    with _file_lock(data_dir.parent / f"{data_dir.name}.lock"), PostgresServer._lock:
        users = DiskList(data_dir / ".handle_pids.json")
        others = [pid for pid in users.get() if pid != os.getpid() and _alive(pid)]
        users.put(others)
        PostgresServer._instances.pop(data_dir, None)  # a later use here starts afresh
        if others:
            return others
        stop_embedded(data_dir)
        return []


def leave_embedded() -> None:
    """This process is exiting: take it out of the count of every embedded server it
    opened. pgserver does so at interpreter exit, but the CLI leaves through `os._exit`
    (see `starters.cli.main`), which skips that."""
    if "pgserver" not in sys.modules:
        return
    from pgserver.postgres_server import PostgresServer

    with contextlib.suppress(OSError, ValueError), PostgresServer._lock:
        for server in list(PostgresServer._instances.values()):
            server.global_process_id_list.get_and_remove(os.getpid())


def _alive(pid: int) -> bool:
    """A process that is still running (a zombie, ended but not yet reaped, is not)."""
    import psutil  # pgserver's own dependency

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


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


@contextlib.contextmanager
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
