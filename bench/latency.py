"""One action at a time on an idle-ish stack: the update round trip (Baton's
`complete_step` through the client layer, the bare workflow's `complete`), and Baton's
hand-off, from sending a completion to the next owner's message committed in the outbox
(a NOTIFY at commit, from the bench's trigger; see bench/stack.py)."""

import asyncio
import contextlib
import math
import time
from datetime import date

import psycopg

from baton.contract import CompleteStep
from bench import bare
from bench.figures import Figure, Target, percentile
from bench.progress import say
from bench.stack import HANDOFF_CHANNEL, Stack
from bench.workload import OWNERS, STEP_COUNT, STEPS
from starters import client

PAUSE = 0.1  # between two actions: the previous one's effects are done (idle-ish)


class Handoffs:
    """Commit instants of next-owner messages, by 'workflow_id step_id'."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: dict[str, float] = {}
        self.arrived = asyncio.Condition()
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> "Handoffs":
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        await self.conn.execute(f"LISTEN {HANDOFF_CHANNEL}")
        self.task = asyncio.create_task(self._listen())
        return self

    async def _listen(self) -> None:
        async for notify in self.conn.notifies():
            self.seen[notify.payload] = time.perf_counter()
            async with self.arrived:
                self.arrived.notify_all()

    async def wait(self, key: str, timeout: float = 30) -> float:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: key in self.seen), timeout)
        return self.seen[key]

    async def __aexit__(self, *exc) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
                await self.task
        await self.conn.close()


async def baton_actions(stack: Stack, queue: str, samples: int, tag: str):
    """(update round trips, hand-offs), in ms: about `samples` completions (whole
    projects of the bench playbook, each run to its end), one at a time."""
    projects = math.ceil(samples / STEP_COUNT)
    rtts, handoffs = [], []
    playbook = await STEPS.named(f"latency-{tag}").publish(stack.pool)
    async with Handoffs(stack.pg_url) as seen:
        for n in range(projects):
            start = playbook.request(f"latency {tag} {n}", date.today(), OWNERS[n % len(OWNERS)])
            status = await client.start_and_wait(stack.client, start, queue)
            owner = start.assignments["owner"]
            for index in range(STEP_COUNT):
                began = time.perf_counter()
                await client.act(
                    stack.client, status.workflow_id, CompleteStep(step_id=f"s{index}", actor=owner)
                )
                rtts.append((time.perf_counter() - began) * 1000)
                if index + 1 < STEP_COUNT:
                    committed = await seen.wait(f"{status.workflow_id} s{index + 1}")
                    handoffs.append((committed - began) * 1000)
                await asyncio.sleep(PAUSE)
    return rtts, handoffs


async def bare_actions(stack: Stack, queue: str, samples: int, tag: str) -> list[float]:
    """Update round trips of the bare workflow, in ms, one at a time (as above)."""
    rtts = []
    for n in range(math.ceil(samples / STEP_COUNT)):
        handle = await stack.client.start_workflow(
            bare.WORKFLOW_TYPE,
            bare.BareSpec(steps=STEP_COUNT, tag=f"latency-{tag}"),
            id=f"bare-latency-{tag}-{n}",
            task_queue=queue,
        )
        await handle.query(bare.BareProject.status)  # started
        for index in range(STEP_COUNT):
            began = time.perf_counter()
            await handle.execute_update(bare.UPDATE, bare.step_id(index))
            rtts.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(PAUSE)
    return rtts


async def phase(stack: Stack, baton_queue: str, bare_queue: str, runs: int, samples: int):
    """The round trip and hand-off figures (bare and Baton alternate, run after run)."""
    baton_rtt, handoff, bare_rtt = [], [], []
    for run in range(runs):
        say(f"latency run {run + 1}/{runs}: about {samples} bare updates, one at a time")
        bare_rtt.append(await bare_actions(stack, bare_queue, samples, f"r{run}"))
        say(f"latency run {run + 1}/{runs}: about {samples} Baton completions, one at a time")
        rtts, handoffs = await baton_actions(stack, baton_queue, samples, f"r{run}")
        baton_rtt.append(rtts)
        handoff.append(handoffs)

    def at(q: float, per_run: list[list[float]]) -> list[float]:
        return [percentile(values, q) for values in per_run]

    bare_label = "the bare workflow's update round trip"
    how = "sequential actions on an idle stack, ~100 ms apart"
    return [
        Figure("latency.update_p50", "update round trip, p50", "ms", at(0.5, baton_rtt),
               at(0.5, bare_rtt), bare_label, how=how),
        Figure("latency.update_p99", "update round trip, p99", "ms", at(0.99, baton_rtt),
               at(0.99, bare_rtt), bare_label, how=how),
        Figure("latency.handoff_p50", "hand-off p50: complete → next owner's message committed",
               "ms", at(0.5, handoff), at(0.5, bare_rtt), "bare update round trip, p50",
               Target("ratio<=", 1.5), how=how),
        Figure("latency.handoff_p99", "hand-off p99", "ms", at(0.99, handoff),
               at(0.99, bare_rtt), "bare update round trip, p99", how=how),
    ]  # fmt: skip
