"""Steps per second with K projects in flight: K projects of 8 steps started and their
first step handed out (not timed), then every step of all of them completed, each
project by its own sequence of updates, all K at once; timed until every workflow has
ended (its last effects done). The worker's and the server's CPU time over the same span
give the CPU per step."""

import asyncio
import time
from dataclasses import dataclass
from datetime import date

from baton.contract import CompleteStep
from bench import bare
from bench.figures import Figure, Target
from bench.progress import say
from bench.stack import Stack, WorkerProcess
from bench.workload import OWNERS, STEP_COUNT, STEPS
from starters import client

STARTING_AT_ONCE = 50


@dataclass
class Run:
    steps_per_s: float
    worker_cpu_ms: float  # per step
    server_cpu_ms: float  # per step


async def gathered(work, limit: int = STARTING_AT_ONCE) -> list:
    gate = asyncio.Semaphore(limit)

    async def one(job):
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in work))


async def until(check, what: str, timeout: float = 600) -> None:
    """Wait until `await check()` is true."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in {timeout:.0f} s")
        await asyncio.sleep(0.1)


async def first_steps_handed_out(stack: Stack, workflow_ids: list[str]) -> bool:
    """Every project has recorded its start's effects (its first owner's message)."""
    async with stack.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(DISTINCT workflow_id) FROM outbox WHERE kind = 'assigned'"
            " AND step_id = 's0' AND workflow_id = ANY(%s)",
            (workflow_ids,),
        )
        return (await cursor.fetchone())[0] >= len(workflow_ids)


async def bare_started(stack: Stack, tag: str, count: int) -> bool:
    """Every bare workflow of the run has run its first task (upserted its attributes)."""
    query = f"WorkflowType = '{bare.WORKFLOW_TYPE}' AND BatonPlaybook = '{tag}'"
    return (await stack.client.count_workflows(query)).count >= count


async def timed(stack: Stack, worker: WorkerProcess, steps: int, drive) -> Run:
    server = stack.server_process()
    worker_cpu, server_cpu = worker.cpu(), server.cpu_times() if server else None
    began = time.perf_counter()
    await drive()
    elapsed = time.perf_counter() - began
    server_ms = 0.0
    if server and server_cpu:
        after = server.cpu_times()
        server_ms = (after.user + after.system - server_cpu.user - server_cpu.system) * 1000
    return Run(
        steps_per_s=steps / elapsed,
        worker_cpu_ms=(worker.cpu() - worker_cpu) * 1000 / steps,
        server_cpu_ms=server_ms / steps,
    )


async def baton_run(stack: Stack, worker: WorkerProcess, in_flight: int, tag: str) -> Run:
    today = date.today()
    playbook = await STEPS.named(f"throughput-{tag}").publish(stack.pool)
    starts = [
        playbook.request(f"throughput {tag} {n}", today, OWNERS[n % len(OWNERS)])
        for n in range(in_flight)
    ]
    await gathered(client.start_project(stack.client, s, worker.queue) for s in starts)
    ids = [start.workflow_id for start in starts]
    await until(lambda: first_steps_handed_out(stack, ids), "the projects' start")

    async def one(start) -> None:
        owner = start.assignments["owner"]
        for index in range(STEP_COUNT):
            done = CompleteStep(step_id=f"s{index}", actor=owner)
            await client.act(stack.client, start.workflow_id, done)
        await stack.client.get_workflow_handle(start.workflow_id).result()

    async def drive() -> None:
        await asyncio.gather(*(one(start) for start in starts))

    return await timed(stack, worker, in_flight * STEP_COUNT, drive)


async def bare_run(stack: Stack, worker: WorkerProcess, in_flight: int, tag: str) -> Run:
    spec = bare.BareSpec(steps=STEP_COUNT, tag=f"throughput-{tag}")
    handles = await gathered(
        stack.client.start_workflow(
            bare.WORKFLOW_TYPE, spec, id=f"bare-throughput-{tag}-{n}", task_queue=worker.queue
        )
        for n in range(in_flight)
    )
    await until(lambda: bare_started(stack, spec.tag, in_flight), "the bare workflows' start")

    async def one(handle) -> None:
        for index in range(STEP_COUNT):
            await handle.execute_update(bare.UPDATE, bare.step_id(index))
        await handle.result()

    async def drive() -> None:
        await asyncio.gather(*(one(handle) for handle in handles))

    return await timed(stack, worker, in_flight * STEP_COUNT, drive)


async def phase(
    stack: Stack, baton: WorkerProcess, bare_worker: WorkerProcess, runs: int, in_flight: int
) -> list[Figure]:
    """Steps/s and CPU per step with `in_flight` projects (bare and Baton alternate)."""
    baton_runs, bare_runs = [], []
    for run in range(runs):
        tag = f"k{in_flight}-r{run}"
        say(f"throughput, {in_flight} in flight, run {run + 1}/{runs}: bare")
        bare_runs.append(await bare_run(stack, bare_worker, in_flight, tag))
        say(f"  bare {bare_runs[-1].steps_per_s:.1f} steps/s; now Baton")
        baton_runs.append(await baton_run(stack, baton, in_flight, tag))
        say(f"  Baton {baton_runs[-1].steps_per_s:.1f} steps/s")
    how = f"{in_flight} projects x {STEP_COUNT} steps, each project's updates in sequence"

    def of(runs_: list[Run], name: str) -> list[float]:
        return [getattr(one, name) for one in runs_]

    return [
        Figure(f"throughput.{in_flight}", f"steps/s, {in_flight} projects in flight", "steps/s",
               of(baton_runs, "steps_per_s"), of(bare_runs, "steps_per_s"), "bare workflow",
               Target("ratio>=", 0.9), how=how),
        Figure(f"throughput.{in_flight}.worker_cpu", f"worker CPU per step, {in_flight} in flight",
               "ms", of(baton_runs, "worker_cpu_ms"), of(bare_runs, "worker_cpu_ms"),
               "bare worker", how=how),
        Figure(f"throughput.{in_flight}.server_cpu", f"server CPU per step, {in_flight} in flight",
               "ms", of(baton_runs, "server_cpu_ms"), of(bare_runs, "server_cpu_ms"),
               "bare workflow", how=how),
    ]  # fmt: skip
