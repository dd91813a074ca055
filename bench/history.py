"""History events per step, on Temporal's time-skipping test server with Baton's real
workflow and activities (the PostgreSQL catalog, recorder and forecaster, as the worker
runs them) next to the bare workflow, one action at a time, each run's state settled
before the next move:

- a fast run: every step of the bench playbook completed at once, no timer firing;
- a realistic blog post: each step acted on only once both its reminders have fired,
  the draft once it is late and its first follow-up has gone out, the outline's approval
  rejected once (a rework);
- a 30-step playbook at the same pace (both reminders, then done).

The bare workflow runs the same counts of steps: fast, and with two reminder timers
firing per step (each "sending" through its activity)."""

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder, postgres_forecaster
from baton.contract import Command, CompleteStep, ProjectStatus, ReviewStep, StartProject
from bench import bare
from bench.figures import Figure, Target
from bench.progress import say
from bench.segments import Shape, settled
from bench.stack import LINK_SECRET
from bench.workload import STEP_COUNT, STEPS, THIRTY, blog_request
from starters import client
from starters.simulate import start_time_skipping
from workers.main import build_worker
from workers.sandbox import workflow_runner

LATE_STEP = "draft"  # the blog post's step that runs late, past its first follow-up
REJECTED = ("approve-outline", "stu")  # the approval sent back once, and by whom
REMINDERS = [timedelta(days=1).total_seconds(), timedelta(days=2).total_seconds()]  # bare's


@dataclass
class Histories:
    """One run of each history the bench looks at."""

    baton_fast: Shape
    bare_fast: Shape
    blog_post: Shape
    bare_reminded: Shape  # bare, 8 steps, two reminders firing per step
    thirty: Shape
    bare_thirty: Shape


class TimeSkipping:
    """The test server with Baton's worker and the bare worker on it, in this process."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self.queue = f"bench-history-{uuid.uuid4().hex[:8]}"
        self.bare_queue = f"{self.queue}-bare"

    async def __aenter__(self) -> "TimeSkipping":
        self.running = contextlib.AsyncExitStack()
        self.env: WorkflowEnvironment = await start_time_skipping()
        self.running.push_async_callback(self.env.shutdown)
        await client.ensure_search_attributes(self.env.client, self.env.client.namespace)
        signer = LinkSigner(secret=LINK_SECRET.encode(), public_url="http://localhost")
        recorder = PostgresRecorder(self.pool, signer, set())
        forecaster = postgres_forecaster(self.pool)
        catalog = PostgresCatalog(self.pool)
        await self.running.enter_async_context(
            build_worker(self.env.client, self.queue, catalog, recorder, forecaster)
        )
        bare_worker = Worker(
            self.env.client,
            task_queue=self.bare_queue,
            workflows=[bare.BareProject],
            activities=[bare.BareActivities(self.pool).record],
            workflow_runner=workflow_runner(),
        )
        await self.running.enter_async_context(bare_worker)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.running.aclose()

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).replace(tzinfo=UTC)

    async def sleep_until(self, instant: datetime) -> None:
        gap = instant - await self.now()
        if gap > timedelta(0):
            await self.env.sleep(gap)

    async def settled(self, handle: WorkflowHandle, timeout: float = 60) -> list:
        deadline = time.monotonic() + timeout
        while True:
            events = (await handle.fetch_history()).events
            if settled(events):
                return events
            if time.monotonic() > deadline:
                raise TimeoutError(f"{handle.id} did not settle in {timeout:.0f} s")
            await asyncio.sleep(0.02)

    # -- Baton

    async def baton_fast(self, tag: str) -> Shape:
        today = (await self.now()).date()
        start = STEPS.request(f"history fast {tag}", today)
        handle = await client.start_project(self.env.client, start, self.queue)
        await self.settled(handle)
        for index in range(STEP_COUNT):
            done = CompleteStep(step_id=f"s{index}", actor=start.assignments["owner"])
            await client.act(self.env.client, handle.id, done)
            await self.settled(handle)
        return Shape.of(await self.settled(handle))

    async def baton_paced(
        self, start: StartProject, late: str | None = None, reject: tuple | None = None
    ) -> Shape:
        """Run the project at a realistic pace (see the module's doc) to its end."""
        handle = await client.start_project(self.env.client, start, self.queue)
        rejected = False
        while True:
            await self.settled(handle)
            current = await client.status(self.env.client, handle.id)
            if current.state != "active":
                break
            command = next_action(current, late, None if rejected else reject)
            if command is not None:
                rejected = rejected or (isinstance(command, ReviewStep) and not command.approve)
                await client.act(self.env.client, handle.id, command)
                continue
            if current.next_wake_at is None:
                raise RuntimeError(f"{handle.id} waits for nothing the bench would do")
            await self.sleep_until(current.next_wake_at + timedelta(seconds=1))
        return Shape.of(await self.settled(handle))

    # -- bare

    async def bare(self, steps: int, tag: str, reminders: list[float]) -> Shape:
        spec = bare.BareSpec(steps=steps, tag=f"history-{tag}", reminders=reminders)
        handle = await self.env.client.start_workflow(
            bare.WORKFLOW_TYPE, spec, id=f"bare-history-{tag}", task_queue=self.bare_queue
        )
        await self.settled(handle)
        for index in range(steps):
            if reminders:
                await self.env.sleep(timedelta(seconds=max(reminders)) + timedelta(hours=1))
                await self.settled(handle)
            await handle.execute_update(bare.UPDATE, bare.step_id(index))
            await self.settled(handle)
        return Shape.of(await self.settled(handle))

    async def all(self, tag: str) -> Histories:
        today = (await self.now()).date()
        baton_fast = await self.baton_fast(tag)
        bare_fast = await self.bare(STEP_COUNT, f"fast-{tag}", [])
        blog_post = blog_request(f"history blog {tag}", today)
        blog = await self.baton_paced(blog_post, LATE_STEP, REJECTED)
        bare_reminded = await self.bare(STEP_COUNT, f"reminded-{tag}", REMINDERS)
        today = (await self.now()).date()
        thirty = await self.baton_paced(THIRTY.request(f"history thirty {tag}", today))
        bare_thirty = await self.bare(30, f"thirty-{tag}", REMINDERS)
        return Histories(baton_fast, bare_fast, blog, bare_reminded, thirty, bare_thirty)


def next_action(current: ProjectStatus, late: str | None, reject: tuple | None) -> Command | None:
    """The action a person at a realistic pace takes now, if any: a step is done once
    none of its reminders is still to come (and, for the `late` step, once its first
    follow-up went out); `reject` = (step, person) sends that approval back once."""
    for step in current.steps:
        if step.state != "active" or not step.waiting_on:
            continue
        if any(alert.kind == "reminder" for alert in step.pending_alerts):
            continue
        if step.id == late and step.follow_ups_sent == 0:
            continue
        person = step.waiting_on[0]
        if step.kind == "approval":
            no = reject == (step.id, person)
            comment = "Too long: cut it to five sections" if no else None
            return ReviewStep(step_id=step.id, actor=person, approve=not no, comment=comment)
        if step.kind == "decision":
            return None  # the bench's playbooks have none
        return CompleteStep(step_id=step.id, actor=person)
    return None


async def phase(pool: AsyncConnectionPool, runs: int) -> tuple[list[Figure], dict, dict]:
    """The history figures, the first run's events per step by type, and its profiles:
    each kind of segment (a start, an action, a wake-up) with its events."""
    done: list[Histories] = []
    async with TimeSkipping(pool) as server:
        for run in range(runs):
            say(f"histories run {run + 1}/{runs}: fast, realistic blog post, 30 steps (and bare)")
            done.append(await server.all(f"r{run}"))

    def each(pick) -> list[float]:
        return [float(pick(h)) for h in done]

    def wakes(h: Histories) -> list[int]:
        return h.blog_post.sending_wakes + h.thirty.sending_wakes

    per_step = STEP_COUNT
    floor_wake = "bare: a reminder timer firing, its activity"
    figures = [
        Figure("history.fast", "history events per step, fast run", "events",
               each(lambda h: h.baton_fast.events / per_step),
               each(lambda h: h.bare_fast.events / per_step), "bare, per step",
               how="8 steps completed at once; the whole history / 8"),
        Figure("history.action", "history events per step action", "events",
               each(lambda h: mean(h.baton_fast.actions)),
               each(lambda h: h.bare_fast.events / per_step), "bare, per step",
               Target("ratio<=", 1.0), how="events from an update to its effects done, mean"),
        Figure("history.wake", "events per reminder / follow-up wake-up, most", "events",
               each(lambda h: max(wakes(h), default=0)),
               each(lambda h: max(h.bare_reminded.sending_wakes, default=0)), floor_wake,
               Target("value<=", 7), how="realistic blog post and 30 steps: the largest"),
        Figure("history.silent", "wake-ups that send nothing", "wake-ups",
               each(lambda h: len(h.blog_post.silent_wakes) + len(h.thirty.silent_wakes)),
               each(lambda h: len(h.bare_reminded.silent_wakes)), "bare",
               Target("value<=", 0), how="realistic blog post and 30 steps"),
        Figure("history.blog", "history events per step, blog post, every reminder fires",
               "events",
               each(lambda h: h.blog_post.events / per_step),
               each(lambda h: h.bare_reminded.events / per_step),
               "bare, 2 reminders firing per step", Target("value<=", 20),
               how="both reminders fire on each step, one follow-up, one rework; total / 8"),
        Figure("history.blog_kb", "history size per step, blog post, every reminder fires", "KB",
               each(lambda h: h.blog_post.size / per_step / 1024),
               each(lambda h: h.bare_reminded.size / per_step / 1024),
               "bare, 2 reminders firing per step", how="event bytes (protobuf) / 8"),
        Figure("history.thirty", "history events, 30-step playbook (realistic pace)", "events",
               each(lambda h: h.thirty.events), each(lambda h: h.bare_thirty.events),
               "bare, 30 steps, 2 reminders each", Target("value<", 1000),
               how="both reminders fire on each step, then it is done"),
    ]  # fmt: skip
    first = done[0]
    breakdown = {
        "Baton fast": per_type(first.baton_fast, per_step),
        "bare fast": per_type(first.bare_fast, per_step),
        "Baton blog post": per_type(first.blog_post, per_step),
        "bare reminded": per_type(first.bare_reminded, per_step),
    }
    profiles = {
        "Baton fast run": first.baton_fast.profile(),
        "Baton realistic blog post": first.blog_post.profile(),
        "bare, reminders firing": first.bare_reminded.profile(),
    }
    return figures, breakdown, profiles


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def per_type(shape: Shape, steps: int) -> dict[str, float]:
    return {name: count / steps for name, count in sorted(shape.by_type.items())}
