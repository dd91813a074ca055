"""How long one forecast takes: a 12-step project with 4,000 samples, over 50 runs, next
to a floor measured in the same run (numpy drawing and sorting 12 x 4,000 numbers, the
same size of work without any of the forecast's logic). `python bench/forecast.py`; `make
bench` takes its figure through `measure()`."""

import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from baton.insight.demo import generate_history
from baton.insight.forecast import ForecastInput, PlannedStep, forecast
from baton.plan import offset_dues
from baton.playbook import Playbook, playbook_from_data

REPEATS = 50
SAMPLES = 4000
BUDGET_MS = 100.0  # the forecast runs in the activity after every transition
WELL_UNDER = 0.25  # "well under" the budget: a quarter of it or less


def twelve_steps() -> Playbook:
    """A launch of 12 steps: a chain, an approval, three parallel branches that join."""
    steps = [
        {"id": "brief", "owner": "pmm", "due": "-40d"},
        {"id": "messaging", "owner": "pmm", "after": ["brief"], "due": "-34d"},
        {"id": "approve", "kind": "approval", "approvers": ["vp"], "on_reject": "messaging",
         "after": ["messaging"], "due": "-31d"},
        {"id": "copy", "owner": "writer", "after": ["approve"], "due": "-24d"},
        {"id": "visuals", "owner": "designer", "after": ["approve"], "due": "-24d"},
        {"id": "page", "owner": "web", "after": ["copy", "visuals"], "due": "-17d"},
        {"id": "press", "owner": "pr", "after": ["approve"], "due": "-20d"},
        {"id": "pitch", "owner": "pr", "after": ["press"], "due": "-10d"},
        {"id": "deck", "owner": "sales", "after": ["approve"], "due": "-18d"},
        {"id": "training", "owner": "sales", "after": ["deck"], "due": "-7d"},
        {"id": "go-no-go", "owner": "pmm", "after": ["page", "pitch", "training"], "due": "-2d"},
        {"id": "launch", "owner": "pmm", "after": ["go-no-go"], "due": "0d"},
    ]  # fmt: skip
    roles = ["pmm", "vp", "writer", "designer", "web", "pr", "sales"]
    return playbook_from_data(
        {
            "id": "bench-launch",
            "name": "Bench launch",
            "roles": {role: role for role in roles},
            "steps": [{"name": step["id"], **step} for step in steps],
        }
    )


def project_at_start(playbook: Playbook, assignments: dict[str, str], now: datetime):
    launch = (now + timedelta(days=42)).date()
    dues = offset_dues(playbook, launch, "UTC")
    return ForecastInput(
        project="project-bench",
        transition=1,
        launch_date=launch,
        steps=[
            PlannedStep(
                id=step.id,
                state="waiting" if step.depends_on else "active",
                owners=[assignments[role] for role in step.roles],
                after=step.depends_on,
                due=dues[step.id],
                started_at=None if step.depends_on else now,
            )
            for step in playbook.steps
        ],
    )


def timed(work, repeats: int) -> list[float]:
    work()  # warm up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times


@dataclass
class ForecastTimes:
    steps: int
    past_runs: int
    drawn_from: list[str]
    forecast_ms: list[float]
    floor_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.forecast_ms)

    @property
    def p95(self) -> float:
        return float(np.quantile(self.forecast_ms, 0.95))

    @property
    def floor(self) -> float:
        return statistics.median(self.floor_ms)

    @property
    def well_under(self) -> bool:
        return self.p95 <= BUDGET_MS * WELL_UNDER


def measure() -> ForecastTimes:
    """Time the forecast and its floor, interleaved (`REPEATS` runs of each)."""
    playbook = twelve_steps()
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    # Forty past projects: most steps read their owner's history, some the step's.
    history = generate_history(playbook, 40, 1, now)
    target = project_at_start(playbook, history.projects[-1].assignments, now)
    rng = np.random.default_rng(0)

    def floor() -> None:
        np.sort(rng.standard_normal((len(playbook.steps), SAMPLES)), axis=1)

    def one_forecast() -> None:
        forecast(target, playbook, history.runs, now, samples=SAMPLES)

    # Interleave the two so that a busy moment of the machine hits both alike.
    floor_ms, forecast_ms = [], []
    for _ in range(5):
        floor_ms += timed(floor, REPEATS // 5)
        forecast_ms += timed(one_forecast, REPEATS // 5)
    sources = forecast(target, playbook, history.runs, now, samples=SAMPLES).basis
    kinds = sorted({basis.split(",")[0].split(" ")[0] for basis in sources.values()})
    return ForecastTimes(len(playbook.steps), len(history.runs), kinds, forecast_ms, floor_ms)


def main() -> int:
    times = measure()
    print(f"forecast of {times.steps} steps x {SAMPLES} samples, {REPEATS} runs, "
          f"{times.past_runs} past runs (drawn from: {', '.join(times.drawn_from)})")  # fmt: skip
    print(f"  forecast: median {times.median:.2f} ms, p95 {times.p95:.2f} ms")
    print(f"  floor (numpy draw + sort of {times.steps} x {SAMPLES}): "
          f"median {times.floor:.2f} ms")  # fmt: skip
    print(f"  ratio forecast / floor: {times.median / times.floor:.1f}x")
    verdict = "yes" if times.well_under else "NO"
    print(
        f"  well under {BUDGET_MS:.0f} ms (p95 at most {BUDGET_MS * WELL_UNDER:.0f} ms): {verdict}"
    )
    return 0 if times.well_under else 1


if __name__ == "__main__":
    sys.exit(main())
