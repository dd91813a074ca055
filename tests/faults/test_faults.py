"""Blog-post projects driven to completion while everything under them breaks: the worker
SIGKILLed at random moments and started again, Temporal's dev server stopped and started
on the same database file, PostgreSQL stopped for 20 s, SendGrid (the fake) answering
30% of requests 429/500. Then every email the outbox holds is checked against what the
fake accepted, by idempotency key: none lost, none doubled without a reason.

The short version runs in `make test`; `make chaos` sets BATON_CHAOS=long. The seed is
printed; BATON_CHAOS_SEED=N runs the same plan of faults again (timings still vary)."""

import asyncio
import contextlib
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus

from baton.config import Settings
from baton.notify.channels import EmailChannel
from baton.playbook import bundled_playbooks
from baton.store.database import open_pool
from baton.store.migrate import migrate
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters import client
from starters.devstack import demo
from tests.fakes import FakeSendGrid, free_port
from tests.faults.actors import Actor, Tally, blog_post
from tests.faults.stack import Postgres, Temporal, Worker
from workers.sender import STUCK_AFTER, OutboxSender


@dataclass(frozen=True)
class Plan:
    name: str
    projects: int
    kills: int
    temporal_restarts: int
    outages: int
    gap: tuple[float, float]  # seconds between two faults
    finish: float  # seconds the projects get to finish once the faults are over
    settle: float  # seconds the worker gets to send what is left after that
    mid_send: int = 1  # of the kills, how many wait for the moment SendGrid takes an email
    outage: float = 20.0
    failure_rate: float = 0.3

    @property
    def window(self) -> float:
        """About how long the faults take: the projects are spread over it."""
        faults = self.kills + self.temporal_restarts + self.outages
        return faults * sum(self.gap) / 2 + self.outages * self.outage + self.temporal_restarts * 5


SHORT = Plan("short", 4, 3, 1, 1, gap=(1, 3), finish=60, settle=15)
LONG = Plan("long", 24, 12, 2, 2, gap=(2, 6), finish=240, settle=60, mid_send=3)
STEPS = 11  # about how many actions a blog post takes (a rework adds two)
KILL, MID_SEND = "worker SIGKILL", "worker SIGKILL mid-send"
RESTART, OUTAGE = "Temporal restart", "PostgreSQL outage (20 s)"
KINDS = (KILL, MID_SEND, RESTART, OUTAGE)


class Run:
    """Everything one run starts, so that all of it is stopped whatever happens."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.seed = seed
        self.root = Path(tempfile.mkdtemp(prefix="baton-faults-"))
        self.sendgrid = FakeSendGrid()
        self.pg = Postgres(self.root)
        self.temporal = Temporal(self.root, free_port())
        self.worker: Worker | None = None
        self.pool = None
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.faults: Counter[str] = Counter()
        self.timeline: list[str] = []
        self.started = time.monotonic()
        self.phases: dict[str, float] = {}
        self._phase_start = self.started

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def phase(self, name: str) -> None:
        """The phase that just ended, and how long it took."""
        now = time.monotonic()
        self.phases[name] = now - self._phase_start
        self._phase_start = now

    async def up(self) -> None:
        self.sendgrid.start()
        url = await self.pg.start()
        self.pool = await open_pool(url)
        await migrate(self.pool)
        for path in bundled_playbooks().values():
            await PlaybookRepo(self.pool).publish(path.read_text(encoding="utf-8"), str(path))
        await PeopleRepo(self.pool).replace_all_or_nothing(demo.TEAM)  # all have emails
        await self.temporal.start()
        self.worker = Worker(
            self.root,
            {
                "TEMPORAL_ADDRESS": self.temporal.address,
                "DATABASE_URL": url,
                "SENDGRID_API_KEY": self.sendgrid.api_key,
                "SENDGRID_HOST": self.sendgrid.url,
                "BATON_HOME": str(self.root / "home"),
                "BATON_TASK_QUEUE": self.task_queue,
            },
        )
        self.keeper = asyncio.create_task(self.worker.keep_running(self.stop))
        self.tasks.append(self.keeper)

    @property
    def task_queue(self) -> str:
        return f"faults-{self.seed}"

    async def inject(self, rng: random.Random) -> None:
        """The plan's faults in a random order, one after another at random moments."""
        kinds = [KILL] * (self.plan.kills - self.plan.mid_send) + [MID_SEND] * self.plan.mid_send
        kinds += [RESTART] * self.plan.temporal_restarts + [OUTAGE] * self.plan.outages
        rng.shuffle(kinds)
        for kind in kinds:
            await asyncio.sleep(rng.uniform(*self.plan.gap))
            self.timeline.append(f"{self.elapsed():.0f}s {kind}")
            if kind == KILL:
                self.worker.kill()  # keep_running starts it again
            elif kind == MID_SEND:
                await self.kill_mid_send()
            elif kind == RESTART:
                await self.temporal.stop()
                await self.temporal.start()
            else:
                await self.pg.stop()
                await asyncio.sleep(self.plan.outage)
                await self.pg.start()
            self.faults[kind] += 1

    async def kill_mid_send(self, timeout: float = 20) -> None:
        """SIGKILL the worker at the moment SendGrid has taken an email and before the
        answer reaches it (a moment random kills rarely hit); a plain kill when no email
        goes out within `timeout` seconds."""
        accepted = asyncio.Event()
        loop = asyncio.get_running_loop()

        def kill(request) -> None:
            self.sendgrid.on_accept = None
            self.worker.kill()
            loop.call_soon_threadsafe(accepted.set)

        self.sendgrid.on_accept = kill
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(accepted.wait(), timeout)
        if not accepted.is_set():
            self.sendgrid.on_accept = None
            self.worker.kill()
            self.timeline[-1] += " (no email in time: a plain kill)"

    async def completed(self, temporal, workflow_ids: list[str], timeout: float) -> int:
        """How many of the projects' workflows closed completed (their last effects are
        written by then), waiting up to `timeout` for the rest."""
        deadline = time.monotonic() + timeout
        done: set[str] = set()
        while True:
            for workflow_id in set(workflow_ids) - done:
                with contextlib.suppress(Exception):  # not started, or Temporal busy
                    found = await temporal.get_workflow_handle(workflow_id).describe()
                    if found.status == WorkflowExecutionStatus.COMPLETED:
                        done.add(workflow_id)
            if len(done) == len(workflow_ids) or time.monotonic() > deadline:
                return len(done)
            await asyncio.sleep(0.5)

    async def unsent(self) -> Counter[str]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT status, count(*) FROM outbox WHERE channel = 'email'"
                " AND status IN ('pending', 'sending') GROUP BY status"
            )
            return Counter(dict(await cursor.fetchall()))

    async def settle(self, timeout: float) -> None:
        """Give the worker up to `timeout` seconds to send what is due (not what waits
        for a long backoff, nor rows a killed worker claimed: they wait for the lease)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(
                    "SELECT count(*) FROM outbox WHERE channel = 'email' AND ("
                    " (status = 'pending' AND next_attempt_at < now() + interval '5 seconds')"
                    " OR (status = 'sending' AND claimed_at > now() - interval '15 seconds'))"
                )
                if not (await cursor.fetchone())[0]:
                    return
            await asyncio.sleep(0.5)

    async def sweep(self) -> Counter[str]:
        """What the worker left to its lease (rows a killed worker had claimed) or to a
        long backoff: sent by a sender whose clock moves on 20 minutes a round, as the
        worker would after waiting; returns what was left."""
        left = await self.unsent()
        ahead = datetime.now(UTC)
        email = EmailChannel(self.sendgrid.api_key, self.sendgrid.url)
        sender = OutboxSender(self.pool, email, None, clock=lambda: ahead)
        for _ in range(30):
            if not await self.unsent():
                break
            ahead += timedelta(minutes=20)
            await sender.outbox.release_stuck(ahead - STUCK_AFTER)
            while await sender.drain_once():
                pass
        return left

    async def emails(self) -> dict[str, tuple[str, str | None]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT idempotency_key, status, note FROM outbox WHERE channel = 'email'"
            )
            return {key: (status, note) for key, status, note in await cursor.fetchall()}

    async def down(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(BaseException):
                await task
        for part in (self.worker, self.temporal):
            if part is not None:
                with contextlib.suppress(Exception):
                    await part.stop()
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await self.pool.close()
        with contextlib.suppress(Exception):
            await self.pg.stop()
        self.sendgrid.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        processes = [self.temporal.process] + ([self.worker.process] if self.worker else [])
        return "\n".join(
            f"--- {process.name} log, last lines:\n{process.tail()}" for process in processes
        )


async def test_projects_and_their_emails_survive_faults(capsys):
    plan = LONG if os.environ.get("BATON_CHAOS") == "long" else SHORT
    seed = int(os.environ.get("BATON_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    run = Run(plan, seed)
    try:
        await run.up()
        run.phase("up")
        temporal = await client.connect(Settings(TEMPORAL_ADDRESS=run.temporal.address))
        run.sendgrid.fail_at_random(plan.failure_rate, random.Random(f"{seed}/sendgrid"))
        today = datetime.now(UTC).date()
        tally = Tally()
        # Projects start over the first half of the faults and each takes about half of
        # them, so faults keep finding projects in flight.
        think = (0.2, plan.window / STEPS)
        actors = [
            Actor(
                temporal,
                run.task_queue,
                blog_post(number, seed, today),
                random.Random(f"{seed}/actor/{number}"),
                think,
                tally,
            )
            for number in range(1, plan.projects + 1)
        ]
        starts = random.Random(f"{seed}/starts")
        driving = [
            asyncio.create_task(actor.run(starts.uniform(0, plan.window / 2))) for actor in actors
        ]
        run.tasks += driving
        await run.inject(random.Random(f"{seed}/faults"))
        run.phase("faults")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*driving), plan.finish)
        ids = [actor.workflow_id for actor in actors]
        completed = await run.completed(temporal, ids, timeout=30)
        run.phase("finish")
        await run.settle(plan.settle)
        run.phase("settle")
        run.keeper.cancel()  # the worker stays stopped now
        await run.worker.stop()
        left = await run.sweep()
        emails = await run.emails()
        accepted = run.sendgrid.accepted_keys()
        run.phase("sweep")
    except BaseException:
        with capsys.disabled():
            print(f"\nfault suite ({plan.name}) seed {seed} failed after {run.elapsed():.0f} s")
            print(run.logs())
        raise
    finally:
        await run.down()
        run.phase("down")

    lost = sorted(key for key in emails if key not in accepted)
    doubled = {key: count for key, count in accepted.items() if count > 1}
    explained = {
        key: emails[key][1]
        for key in doubled
        if key in emails and "sent again" in (emails[key][1] or "")
    }
    unexplained = sorted(set(doubled) - set(explained))
    strangers = sorted(str(key) for key in accepted if key not in emails)
    notes = Counter(
        "found at SendGrid, not resent" if "not sent again" in note else "sent again"
        for _, note in emails.values()
        if note
    )
    provider = ", ".join(
        f"SendGrid {s} {n}" for s, n in sorted(run.sendgrid.random_failures.items())
    )
    injected = ", ".join(f"{kind} {run.faults[kind]}" for kind in KINDS if run.faults[kind])
    lines = [
        f"== Baton fault suite ({plan.name}), seed {seed}: {run.elapsed():.0f} s "
        f"({', '.join(f'{name} {took:.0f} s' for name, took in run.phases.items())}) ==",
        f"faults injected: {injected}, {provider or 'SendGrid failures 0'}",
        f"fault timeline: {', '.join(run.timeline)}",
        "worker exits nobody asked for (started again each time): "
        + (
            "".join(
                f"\n  {n}x {code}: {run.worker.exit_logs[code]}"
                for code, n in run.worker.exits.items()
            )
            or "none"
        ),
        f"projects: started {len(actors)}, completed {completed}",
        f"messages expected {len(emails)}, delivered {len(emails) - len(lost)}, "
        f"lost {len(lost)}, doubled {len(doubled)}, explained duplicates {len(explained)}",
        "interrupted sends: "
        + (", ".join(f"{what} {n}" for what, n in notes.items()) or "none")
        + f"; left to the lease or a backoff at the end, then swept: {sum(left.values())}"
        + (f" ({', '.join(f'{s} {n}' for s, n in left.items())})" if left else ""),
        f"actors: {tally.actions} actions, refused {sum(tally.refused.values())}, retried "
        + (", ".join(f"{kind} {n}" for kind, n in tally.retried.items()) or "none")
        + "".join(f"\n  refused {n}x: {reason}" for reason, n in tally.refused.items()),
        "errors from the client layer that were not BatonErrors: "
        + (
            "".join(
                f"\n  {n}x {kind}: {tally.samples[kind]}" for kind, n in tally.unexpected.items()
            )
            or "none"
        ),
    ]
    for key, reason in explained.items():
        lines.append(f"explained duplicate {key}: {reason}")
    for key in lost:
        lines.append(f"LOST {key}: {emails[key][0]}")
    for key in unexplained:
        lines.append(f"DOUBLED {key}: accepted {accepted[key]} times")
    for key in strangers:
        lines.append(f"accepted but not in the outbox: {key}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))

    assert completed == len(actors), "some projects did not complete"
    assert not lost, f"{len(lost)} emails lost"
    assert not unexplained, f"{len(unexplained)} emails sent twice without a reason"
    assert not strangers
