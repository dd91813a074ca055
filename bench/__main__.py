"""`make bench` (`python -m bench [--quick] [--strict]`): every figure of bench/README.md
in one run, on one Temporal dev server and one PostgreSQL, next to the bare workflow;
prints the table, writes bench/results.json. Exits 1 when a target is not met only with
--strict (the default reports and exits 0)."""

import argparse
import asyncio
import contextlib
import dataclasses
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import forecast, history, latency, lists, memory, report, simulation, throughput
from bench.figures import Figure, Target
from bench.progress import say
from bench.stack import Stack, WorkerProcess


@dataclasses.dataclass(frozen=True)
class Plan:
    runs: int
    latency_samples: int
    in_flight: tuple[int, ...]
    open_counts: tuple[int, ...]


FULL = Plan(runs=2, latency_samples=64, in_flight=(20, 200), open_counts=(500, 2000))
QUICK = Plan(runs=1, latency_samples=16, in_flight=(20, 50), open_counts=(100, 200))
PROFILE = Path(__file__).resolve().parent / "profile-worker.txt"
PHASES = ("latency", "throughput", "memory", "history", "simulate", "forecast")


class Bench:
    def __init__(self, plan: Plan, phases: tuple[str, ...], profile: bool = False) -> None:
        self.plan = plan
        self.phases = phases
        self.profile = profile
        self.figures: list[Figure] = []
        self.breakdown: dict[str, dict[str, float]] = {}
        self.profiles: dict[str, list[str]] = {}
        self.failed: list[str] = []

    async def attempt(self, name: str, work) -> None:
        """Run one phase; a failure is reported as a figure and the bench goes on."""
        began = time.monotonic()
        try:
            await work()
        except Exception as error:  # one broken phase must not lose the others' figures
            self.failed.append(name)
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
            say(f"[red]{name} failed:[/] {reason}")
            traceback.print_exc()
            self.figures.append(Figure(f"{name}.failed", f"{name} (failed)", "", [], error=reason))
        else:
            say(f"[green]{name} done[/] in {time.monotonic() - began:.0f} s")

    async def run(self, stack: Stack) -> None:
        plan = self.plan
        profile = stack.root / "worker.prof" if self.profile else None
        baton = WorkerProcess(stack, "baton", "bench-baton", profile)
        bare = WorkerProcess(stack, "bare", "bench-bare")

        async def workers() -> None:
            say("starting a Baton worker and a bare worker")
            await baton.start()
            await bare.start()

        async def latency_() -> None:
            self.figures += await latency.phase(
                stack, baton.queue, bare.queue, plan.runs, plan.latency_samples
            )

        async def throughput_() -> None:
            for count in plan.in_flight:
                self.figures += await throughput.phase(stack, baton, bare, plan.runs, count)

        kept: list[WorkerProcess] = []

        async def memory_() -> None:
            found, worker = await memory.phase(stack, plan.runs, plan.open_counts)
            self.figures += found
            if worker is not None:
                kept.append(worker)

        async def lists_() -> None:
            if not kept:
                raise RuntimeError("no worker over the open projects (the memory phase failed)")
            self.figures += await lists.phase(stack, plan.runs, plan.open_counts[-1])

        async def idle() -> None:
            self.figures += await memory.idle_phase(stack, plan.runs)

        async def history_() -> None:
            found, self.breakdown, self.profiles = await history.phase(stack.pool, plan.runs)
            self.figures += found

        async def simulate_() -> None:
            self.figures += await simulation.phase(stack, plan.runs)

        async def forecast_() -> None:
            self.figures.append(await asyncio.to_thread(forecast_figure, plan.runs))

        wanted = set(self.phases)
        if {"latency", "throughput"} & wanted:
            await self.attempt("workers", workers)
        if "latency" in wanted:
            await self.attempt("latency", latency_)
        if "throughput" in wanted:
            await self.attempt("throughput", throughput_)
        await baton.stop()
        await bare.stop()
        if profile and profile.exists():
            report.profile(profile, PROFILE)
        if "memory" in wanted:  # then the lists, over the projects it left open
            await self.attempt("memory", memory_)
            await self.attempt("lists", lists_)
            for worker in kept:
                await worker.stop()
            await self.attempt("idle", idle)
        for name, work in (("history", history_), ("simulate", simulate_), ("forecast", forecast_)):
            if name in wanted:
                await self.attempt(name, work)


def forecast_figure(runs: int) -> Figure:
    say(f"forecast: {forecast.REPEATS} forecasts and floors, {runs} runs")
    measured = [forecast.measure() for _ in range(runs)]
    return Figure(
        "forecast.p95",
        "forecast of a 12-step project, p95",
        "ms",
        [m.p95 for m in measured],
        [m.floor for m in measured],
        "numpy drawing + sorting the same numbers",
        Target("value<=", forecast.BUDGET_MS * forecast.WELL_UNDER),
        how=f"{forecast.SAMPLES} samples, {forecast.REPEATS} forecasts (bench/forecast.py)",
    )


async def main(plan: Plan, phases: tuple[str, ...], profile: bool) -> Bench:
    bench = Bench(plan, phases, profile)
    stack = Stack()
    say(f"one Temporal dev server and one PostgreSQL in {stack.root}")
    try:
        await stack.up()
        say(f"Temporal at {stack.address}; plan: {plan}")
        await bench.run(stack)
    finally:
        keep = bool(bench.failed)
        say(f"stopping the stack{f' (kept for its logs: {stack.root})' if keep else ''}")
        with contextlib.suppress(Exception):
            await stack.down(keep)
    return bench


def cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer projects (200 open, not 2,000), one run each"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is not met (or a phase failed)"
    )
    parser.add_argument(
        "--only", action="append", choices=PHASES, help="run only these phases (repeatable)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the Baton worker of the latency and throughput phases under cProfile (slower:"
        f" its figures are not comparable) and write its hot spots to {PROFILE.name}",
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    phases = tuple(args.only or PHASES)
    started = datetime.now(UTC)
    bench = asyncio.run(main(plan, phases, args.profile))
    report.show(bench.figures, bench.breakdown, bench.profiles)
    # A quick or partial run does not replace the last full run's results.
    complete = plan == FULL and phases == PHASES
    out = report.RESULTS if complete else report.RESULTS.with_name("results-partial.json")
    report.write(
        bench.figures,
        bench.breakdown,
        bench.profiles,
        {**dataclasses.asdict(plan), "quick": args.quick, "phases": list(phases)},
        started,
        out,
    )
    say(f"wrote {out}")
    missed = [f.key for f in bench.figures if f.met is False]
    if missed or bench.failed:
        say(f"not met: {', '.join(missed) or '-'}; failed: {', '.join(bench.failed) or '-'}")
    return 1 if args.strict and (missed or bench.failed) else 0


if __name__ == "__main__":
    sys.exit(cli())
