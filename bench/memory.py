"""A worker's memory and start with N open projects: N projects (Baton's of the bench
playbook, spread over 40 owners; bare workflows of as many steps) are started and their
first step handed out by a worker that is then stopped. A fresh worker process is
started; it is ready when it polls (its start time), its idle RSS is read, then every
project is queried once (each replayed into the worker's cache; the time until all have
answered is the time to open them), and the RSS read again once it settles.

Per open project = (RSS with N open - idle RSS) / the projects the worker holds: N, or
its cache size (the SDK's max_cached_workflows, 1,000 by default) when N is larger."""

import asyncio
import time
from dataclasses import dataclass
from datetime import date

from bench import bare
from bench.figures import Figure, Target
from bench.progress import say
from bench.stack import Stack, WorkerProcess
from bench.throughput import bare_started, first_steps_handed_out, gathered, until
from bench.workload import OWNERS, STEP_COUNT, STEPS
from starters import client

CACHE = 1000  # temporalio's default max_cached_workflows, which Baton's worker keeps
QUERYING_AT_ONCE = 16  # as Baton's own lists ask
MB = 1 << 20


@dataclass
class Fresh:
    """One fresh worker against N open projects."""

    start_s: float  # until it polls
    idle_rss: int
    open_s: float  # until every project has answered a query
    rss: int

    def per_project(self, count: int) -> float:
        return (self.rss - self.idle_rss) / min(count, CACHE)


class OpenProjects:
    """The open projects of one kind (baton | bare) on a task queue of their own."""

    def __init__(self, stack: Stack, kind: str) -> None:
        self.stack = stack
        self.kind = kind
        self.queue = f"bench-open-{kind}"
        self.ids: list[str] = []

    async def grow_to(self, count: int) -> None:
        """Start projects until `count` are open, with a worker that is stopped after."""
        new = range(len(self.ids), count)
        if not new:
            return
        worker = WorkerProcess(self.stack, self.kind, self.queue)
        await worker.start()
        began = time.perf_counter()
        try:
            if self.kind == "baton":
                await self._start_baton(new)
            else:
                await self._start_bare(new)
        finally:
            await worker.stop()
        say(f"  {len(new)} {self.kind} projects opened in {time.perf_counter() - began:.0f} s")

    async def _start_baton(self, numbers: range) -> None:
        today = date.today()
        playbook = await STEPS.named("open").publish(self.stack.pool)
        starts = [playbook.request(f"open {n}", today, OWNERS[n % len(OWNERS)]) for n in numbers]
        await gathered(client.start_project(self.stack.client, s, self.queue) for s in starts)
        ids = [start.workflow_id for start in starts]
        await until(lambda: first_steps_handed_out(self.stack, ids), "the projects' start", 1800)
        self.ids += ids

    async def _start_bare(self, numbers: range) -> None:
        spec = bare.BareSpec(steps=STEP_COUNT, tag="open")
        ids = [f"bare-open-{n}" for n in numbers]
        await gathered(
            self.stack.client.start_workflow(
                bare.WORKFLOW_TYPE, spec, id=workflow_id, task_queue=self.queue
            )
            for workflow_id in ids
        )
        self.ids += ids
        await until(lambda: bare_started(self.stack, "open", len(self.ids)), "the bare start", 600)

    async def fresh_worker(self, keep: bool = False) -> tuple[Fresh, WorkerProcess]:
        """Measure a fresh worker against the open projects (stopped after, unless
        `keep`)."""
        worker = WorkerProcess(self.stack, self.kind, self.queue)
        start_s = await worker.start()
        idle = await worker.settled_rss()
        began = time.perf_counter()
        await gathered(
            (self.stack.client.get_workflow_handle(i).query("status") for i in self.ids),
            QUERYING_AT_ONCE,
        )
        open_s = time.perf_counter() - began
        fresh = Fresh(start_s=start_s, idle_rss=idle, open_s=open_s, rss=await worker.settled_rss())
        if not keep:
            await worker.stop()
        return fresh, worker


async def idle_rss(stack: Stack, kind: str) -> int:
    """The RSS of a worker (`entry`: `baton worker` itself) polling an empty queue."""
    worker = WorkerProcess(stack, kind, f"bench-idle-{kind}")
    await worker.start()
    try:
        return await worker.settled_rss()
    finally:
        await worker.stop()


async def phase(stack: Stack, runs: int, counts: tuple[int, ...]):
    """The memory and start figures at each count of open projects; returns them with
    the last fresh Baton worker, kept running over the largest count (for the lists)."""
    projects = {kind: OpenProjects(stack, kind) for kind in ("bare", "baton")}
    figures: list[Figure] = []
    kept: WorkerProcess | None = None
    starts: dict[str, list[float]] = {"bare": [], "baton": []}
    for count in counts:
        say(f"opening {count} bare and {count} Baton projects (both at once: not timed)")
        await asyncio.gather(*(open_.grow_to(count) for open_ in projects.values()))
        fresh: dict[str, list[Fresh]] = {"bare": [], "baton": []}
        for run in range(runs):
            for kind, open_ in projects.items():
                last = count == counts[-1] and run == runs - 1 and kind == "baton"
                say(f"fresh {kind} worker, {count} open, run {run + 1}/{runs}")
                measured, worker = await open_.fresh_worker(keep=last)
                fresh[kind].append(measured)
                starts[kind].append(measured.start_s)
                say(f"  answered all in {measured.open_s:.1f} s, RSS {measured.rss / MB:.0f} MB "
                    f"(idle {measured.idle_rss / MB:.0f} MB)")  # fmt: skip
                if last:
                    kept = worker
        figures += count_figures(count, fresh, count == counts[-1])
    figures.append(
        Figure("worker.start", "worker start, until it polls", "s", starts["baton"],
               starts["bare"], "bare worker", how="a fresh process, every run above")
    )  # fmt: skip
    return figures, kept


def count_figures(count: int, fresh: dict[str, list["Fresh"]], largest: bool) -> list[Figure]:
    def each(kind: str, pick) -> list[float]:
        return [pick(measured) for measured in fresh[kind]]

    held = min(count, CACHE)
    how = f"(RSS after querying all - idle RSS) / {held} held in the worker's cache"
    return [
        Figure(f"memory.{count}.per_project", f"worker memory per open project, {count} open",
               "KB", each("baton", lambda m: m.per_project(count) / 1024),
               each("bare", lambda m: m.per_project(count) / 1024), "bare worker",
               Target("ratio<=", 1.5), how=how),
        Figure(f"memory.{count}.rss", f"worker RSS with {count} open projects", "MB",
               each("baton", lambda m: m.rss / MB), each("bare", lambda m: m.rss / MB),
               "bare worker", Target("value<", 1024) if largest else None,
               how="after querying every project once, settled"),
        Figure(f"memory.{count}.open", f"fresh worker answers all {count} projects", "s",
               each("baton", lambda m: m.open_s), each("bare", lambda m: m.open_s),
               "bare worker", how=f"one query each, {QUERYING_AT_ONCE} at a time (replays)"),
    ]  # fmt: skip


async def idle_phase(stack: Stack, runs: int) -> list[Figure]:
    entry, floor = [], []
    for run in range(runs):
        say(f"idle workers, run {run + 1}/{runs}: bare, then `baton worker`")
        floor.append(await idle_rss(stack, "bare") / MB)
        entry.append(await idle_rss(stack, "entry") / MB)
    return [
        Figure("worker.idle", "idle worker RSS (`baton worker`)", "MB", entry, floor,
               "bare worker", how="polling an empty task queue, settled")
    ]  # fmt: skip
