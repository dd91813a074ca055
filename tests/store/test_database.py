"""Finding the database: DATABASE_URL, the embedded server, unreachable servers."""

import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psycopg
import pytest

from baton.config import Settings
from baton.store.database import database_url, open_pool, redact, stop_embedded


def test_database_url_prefers_the_setting(tmp_path):
    settings = Settings(DATABASE_URL="postgresql://u@db.example/baton", BATON_HOME=tmp_path)
    assert database_url(settings) == "postgresql://u@db.example/baton"
    assert not (tmp_path / "pg").exists()  # nothing embedded was started


async def test_unreachable_server_is_a_clear_connection_error(tmp_path):
    url = f"postgresql://baton:s3cret@/baton?host={tmp_path}/nothing-here"
    with pytest.raises(ConnectionError) as caught:
        await open_pool(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to PostgreSQL at postgresql://baton:***@/baton")
    assert "s3cret" not in message
    assert "DATABASE_URL" in message


def test_redact_hides_passwords():
    assert redact("postgresql://me:pw@host:5432/db") == "postgresql://me:***@host:5432/db"
    assert redact("host=h password=pw dbname=d") == "host=h password=*** dbname=d"
    assert redact("postgresql://me@host/db") == "postgresql://me@host/db"


@pytest.fixture
def deep_home():
    """A home under /tmp, not pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to
    mode 700 when any pytest starts, which locks out the server's own system user when
    running as root."""
    base = Path(tempfile.mkdtemp(prefix="baton-test-home-"))
    yield base / ("deep-" + "d" * 60) / ("er-" + "e" * 60)
    shutil.rmtree(base, ignore_errors=True)


def test_embedded_server_is_shared_by_processes_starting_together(deep_home):
    """Two processes start Baton at once on a home too deep for a unix socket path: one
    server is initialised and started, both get its URL, and it outlives them."""
    home = deep_home
    assert len(str(home / "pg" / ".s.PGSQL.5432")) > 108
    script = textwrap.dedent(
        f"""
        from baton.config import Settings
        from baton.store.database import database_url
        print(database_url(Settings(BATON_HOME={str(home)!r})))
        """
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        urls = [process.communicate(timeout=60)[0].strip() for process in starts]
        assert [process.returncode for process in starts] == [0, 0]
        assert urls[0] == urls[1]
        assert "dbname" in urls[0] or "/baton?" in urls[0]
        # both processes have exited; the server is still there, with the baton database
        with psycopg.connect(urls[0]) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("baton",)
        log = (home / "pg" / "log").read_text()
        assert log.count("database system is ready to accept connections") == 1
        # a later process reuses it
        assert database_url(Settings(BATON_HOME=home)) == urls[0]
    finally:
        for process in starts:
            process.kill()
        assert stop_embedded(home / "pg")
    assert not stop_embedded(home / "pg")
    assert not Path(home / "pg" / "postmaster.pid").exists()


def test_the_baton_home_and_what_baton_keeps_there_are_private(deep_home):
    """Created owner-only; the embedded PostgreSQL's password kept 0600, its socket
    reached only with that password."""
    home = deep_home
    url = database_url(Settings(BATON_HOME=home))
    try:
        mode = home.stat().st_mode & 0o777
        assert mode in (0o700, 0o711)  # 0o711 as root: PostgreSQL's own user passes through
        assert (home / "pg.password").stat().st_mode & 0o777 == 0o600
        assert "password=" in url
        without = re.sub(r"password=\S+", "", url)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(without).close()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        secret = Settings(BATON_HOME=home).secret()
        assert secret and (home / "secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        stop_embedded(home / "pg")
