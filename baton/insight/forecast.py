"""The forecast: a Monte Carlo over the steps still to do, along the dependencies, each
step's cycle time drawn from its history (the owner's, else the step's, else its window
with a stated spread), seeded from the project and its transition so a re-run gives the
same answer.

The rules, as the README states them:
- Steps still to do: waiting or active, and `runs` (a waiting step a condition has
  already ruled out takes no time but still passes its dependencies on). Done, skipped
  and cancelled steps are in the past.
- A waiting step starts when the last of its unfinished dependencies finishes (at `now`
  when none remain); an active step started at its `started_at`. It finishes at its start
  plus a drawn cycle time (calendar days).
- Cycle times are drawn from, in order: the owner's done revision-1 runs of the step (any
  project of the playbook; the first owner of a multi-owner step; never for an approval,
  whose pace is its approvers' together), when there are at least `min_samples`; else
  the step's done revision-1 runs, when at least `min_samples`; else the step's window
  (business days times 7/5 for a business-day playbook) as the 80th percentile of a
  log-normal with log-sd 0.35: without history, a step is taken to keep to its window four
  times in five (a plan is made to be kept; were the window the median, every new team's
  first project would be forecast a coin toss and warned about). History is resampled
  with replacement (a bootstrap).
- An approval in its first round also carries its rework: what rework added to each
  past project (from the first round's end to the final approval; 0 where the first
  round approved), resampled, once at least `min_samples` past projects have settled it.
  Without it the forecast is optimistic wherever work is often sent back.
- Not foreseen: a step handed to someone else later (the owner it has now is read).
- The launch: the steps due on or before the launch day (offset <= 0) and those without
  a due that they wait for; steps after it (a results review at +14d) don't count. The
  deadline is the latest due among them (the launch-day step's due); the launch is made
  when the last of them finishes. p_on_time is the share of samples making the deadline.
  A playbook without offsets: every step counts.
"""

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import TypeVar

import numpy as np
from pydantic import BaseModel

from baton.contract import ProjectStatus, StepState
from baton.errors import Invalid
from baton.insight.runs import DAY, StepRun
from baton.insight.windows import window_days
from baton.playbook import Playbook
from baton.schedule import zone

SAMPLES = 4000
WINDOW_SPREAD = 0.35  # log-sd around a window when a step has too little history
WINDOW_KEPT = 0.8  # ... and how often a step without history keeps to its window
WINDOW_TO_MEDIAN = math.exp(-NormalDist().inv_cdf(WINDOW_KEPT) * WINDOW_SPREAD)
OVERRUN_SHARE = 0.5  # an active step already past its draw: half a fresh draw remains
SHORTEST_MEDIAN_DAYS = 0.25  # a window of 0 days (same-day dues) still takes some hours
CRITICAL_AT_LEAST = 0.25
CRITICAL_SHOWN = 5
BUSINESS_TO_CALENDAR = 7 / 5
T = TypeVar("T")


class PlannedStep(BaseModel):
    """What the forecast needs of a step (from a status, or from an effects batch)."""

    id: str
    state: StepState
    owners: list[str]
    after: list[str] = []
    due: datetime | None = None
    started_at: datetime | None = None
    runs: bool = True  # False: a condition already decided it won't run
    finished_at: datetime | None = None  # a finished step's end: the finish once all is done
    revision: int = 1  # above 1: being reworked (an approval's rework is under way)


class ForecastInput(BaseModel):
    project: str  # the workflow id
    transition: int = 0
    launch_date: date | None = None
    timezone: str = "UTC"
    steps: list[PlannedStep]

    @classmethod
    def of_status(cls, status: ProjectStatus) -> "ForecastInput":
        return cls(
            project=status.workflow_id,
            transition=status.transition,
            launch_date=status.launch_date,
            timezone=status.timezone,
            steps=[
                PlannedStep(
                    id=s.id,
                    state=s.state,
                    owners=s.owners,
                    after=s.after,
                    due=s.due,
                    started_at=s.started_at,
                    runs=s.wont_run is None,
                    finished_at=s.finished_at,
                    revision=s.revision,
                )
                for s in status.steps
            ],
        )


class CriticalStep(BaseModel):
    step: str
    p_critical: float


class StepOutlook(BaseModel):
    """A step still to do: when it is projected to start and finish (medians)."""

    step: str
    state: StepState = "waiting"  # active: under way already; waiting: still to come
    p50_start: datetime
    p50_finish: datetime
    owners: list[str] = []  # who it is projected for ("coming up" lists read it)


class Forecast(BaseModel):
    project: str
    launch_date: date | None
    deadline: datetime | None  # the instant "on time" is measured against
    p_on_time: float
    p50_finish: datetime
    p80_finish: datetime
    samples: int
    basis: dict[str, str]
    critical_steps: list[CriticalStep]
    steps: list[StepOutlook] = []


def forecast(
    target: ForecastInput,
    playbook: Playbook,
    runs: Sequence[StepRun],
    now: datetime,
    min_samples: int = 5,
    samples: int = SAMPLES,
) -> Forecast:
    """The project's outlook at `now` from `runs` (the playbook's step-run history).

    Vectorised: a steps x samples matrix of start and finish days (relative to `now`),
    filled one step at a time in dependency order. An active step whose drawn cycle time
    is shorter than what has already elapsed is not finished yet: its remaining time is
    a fresh draw times 0.5 from `now` (it runs long, so it is judged to be about half-way
    through a usual run rather than to end at once), but no later than its due while that
    is still ahead (people work to a deadline). Without a deadline (no step has a due),
    nothing can be late: p_on_time is 1.
    """
    if samples < 1:
        raise Invalid("the forecast needs at least 1 sample", field="samples")
    launch = by_the_launch(playbook, target.steps)
    deadline = max(
        (s.due for s in target.steps if s.due is not None and s.id in launch), default=None
    )
    pending = in_dependency_order(
        [s for s in target.steps if s.state in ("waiting", "active")],
        lambda step: step.id,
        lambda step: step.after,
    )
    if not any(s.runs and s.id in launch for s in pending):
        made = [s for s in target.steps if s.id in launch]
        return _settled(target, now, deadline, samples, made)

    rng = np.random.default_rng(_seed(target))
    history = _History.cached(runs, playbook.id)
    row = {step.id: i for i, step in enumerate(pending)}
    # One row of samples per step (contiguous), filled in dependency order.
    start = np.zeros((len(pending), samples))
    finish = np.zeros((len(pending), samples))
    cause = np.full((len(pending), samples), -1)  # the dependency that set each start
    basis: dict[str, str] = {}
    for i, step in enumerate(pending):
        waits_for = [row[d] for d in step.after if d in row]
        if step.state == "active":
            start[i] = _days(step.started_at or now, now)
        elif len(waits_for) == 1:
            cause[i] = waits_for[0]
            start[i] = finish[waits_for[0]]
        elif waits_for:
            latest = finish[waits_for].argmax(axis=0)
            cause[i] = np.asarray(waits_for)[latest]
            start[i] = finish[cause[i], np.arange(samples)]
        if not step.runs:
            finish[i] = start[i]
            continue
        source = _source(step, playbook, history, min_samples)
        basis[step.id] = source.basis
        finish[i] = start[i] + source.draw(rng, samples)
        if step.state == "active":
            remaining = source.draw(rng, samples) * OVERRUN_SHARE
            if step.due is not None and step.due > now:  # people work to a due ahead
                remaining = np.minimum(remaining, _days(step.due, now))
            finish[i] = np.where(finish[i] <= 0, remaining, finish[i])
        rework = _rework(step, playbook, history, min_samples)
        if rework is not None:
            finish[i] += rng.choice(rework, size=samples)
            sent_back = int(np.count_nonzero(rework))
            basis[step.id] += f"; sent back in {sent_back} of {len(rework)} past projects"

    counted = np.asarray([i for i, step in enumerate(pending) if step.id in launch])
    last = counted[finish[counted].argmax(axis=0)]
    end = finish[last, np.arange(samples)]
    p_critical = _critical_chains(last, cause).mean(axis=1)
    todo = [i for i, step in enumerate(pending) if step.runs]
    # Along a chain every step is critical: among equal shares, the step drawn furthest
    # past its window comes first (the slow writer's draft, not the quick keywords).
    overrun = {
        i: float(np.median(finish[i] - start[i])) / calendar_window_days(playbook, pending[i].id)
        for i in todo
    }
    ranked = sorted(
        (i for i in todo if p_critical[i] >= CRITICAL_AT_LEAST),
        key=lambda i: (-round(float(p_critical[i]), 2), -overrun[i]),
    )
    critical_steps = [
        CriticalStep(step=pending[i].id, p_critical=round(float(p_critical[i]), 2))
        for i in ranked[:CRITICAL_SHOWN]
    ]
    p50_finish, p80_finish = np.quantile(end, [0.5, 0.8])
    median_start, median_finish = np.median(start[todo], axis=1), np.median(finish[todo], axis=1)
    when = _Clock(now, target.timezone)
    return Forecast(
        project=target.project,
        launch_date=target.launch_date,
        deadline=when.of(deadline),
        p_on_time=_p_on_time(end, deadline, now),
        p50_finish=when(p50_finish),
        p80_finish=when(p80_finish),
        samples=samples,
        basis={s.id: basis[s.id] for s in target.steps if s.id in basis},
        critical_steps=critical_steps,
        steps=[
            StepOutlook(
                step=pending[i].id,
                state=pending[i].state,
                p50_start=when(median_start[k]),
                p50_finish=when(median_finish[k]),
                owners=pending[i].owners,
            )
            for k, i in enumerate(todo)
        ],
    )


def _p_on_time(end: np.ndarray, deadline: datetime | None, now: datetime) -> float:
    if deadline is None:
        return 1.0
    return round(float(np.mean(end <= _days(deadline, now))), 3)


def by_the_launch(playbook: Playbook, steps: Sequence[PlannedStep]) -> set[str]:
    """The steps the launch needs (see the module docstring)."""
    due_by = {s.id for s in playbook.steps if s.due is not None and s.due <= 0}
    if not due_by:
        return {s.id for s in steps}
    needed = set(due_by)
    for step_id in due_by:
        needed |= {a for a in playbook.ancestors(step_id) if playbook.step(a).due is None}
    return needed


def _settled(
    target: ForecastInput,
    now: datetime,
    deadline: datetime | None,
    samples: int,
    made: Sequence[PlannedStep],
) -> Forecast:
    """The launch is settled: its steps are finished (the last finish), or only steps that
    won't run are left to close (now), or no finish was given (now)."""
    finishes = [s.finished_at for s in made if s.finished_at is not None]
    left = any(s.state in ("waiting", "active") for s in made)
    finished = now if left or not finishes else max(finishes)
    when = _Clock(now, target.timezone)
    return Forecast(
        project=target.project,
        launch_date=target.launch_date,
        deadline=when.of(deadline),
        p_on_time=1.0 if deadline is None or finished <= deadline else 0.0,
        p50_finish=when.of(finished),
        p80_finish=when.of(finished),
        samples=samples,
        basis={},
        critical_steps=[],
    )


def _critical_chains(last: np.ndarray, cause: np.ndarray) -> np.ndarray:
    """Steps x samples: whether the step is on the sample's chain that set the project's
    finish, traced from the last step to finish back along the dependency that set each
    start (a dependency always comes before its dependant in the rows)."""
    steps, samples = cause.shape
    on_chain = np.zeros((steps, samples), dtype=bool)
    on_chain[last, np.arange(samples)] = True
    for i in range(steps - 1, -1, -1):
        traced = on_chain[i] & (cause[i] >= 0)
        on_chain[cause[i][traced], traced.nonzero()[0]] = True
    return on_chain


def in_dependency_order(
    items: Sequence[T], id_of: Callable[[T], str], waits_for: Callable[[T], Sequence[str]]
) -> list[T]:
    """`items` with each one after the items it waits for (an id not among them is
    finished already), otherwise in their given order; Invalid when they wait in a cycle."""
    ids = {id_of(item) for item in items}
    placed: set[str] = set()
    ordered: list[T] = []
    left = list(items)
    while left:
        ready = [i for i in left if all(d in placed or d not in ids for d in waits_for(i))]
        if not ready:
            cycle = ", ".join(id_of(i) for i in left)
            raise Invalid(f"steps wait for each other in a cycle: {cycle}", field="steps")
        ordered.extend(ready)
        placed.update(id_of(i) for i in ready)
        left = [i for i in left if id_of(i) not in placed]
    return ordered


def _seed(target: ForecastInput) -> int:
    """Stable across processes and machines (Python's hash() of a str is not)."""
    digest = hashlib.sha256(f"{target.project}:{target.transition}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _days(instant: datetime, now: datetime) -> float:
    return (instant - now).total_seconds() / DAY


class _Clock:
    """Days after `now` as datetimes in the project's time zone, to the second."""

    def __init__(self, now: datetime, timezone: str):
        self.now = now
        self.tz = zone(timezone)

    def __call__(self, days: float) -> datetime:
        moment = self.now + timedelta(seconds=round(float(days) * DAY))
        return moment.astimezone(self.tz).replace(microsecond=0)

    def of(self, instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(self.tz).replace(microsecond=0)


@dataclass(frozen=True)
class _History:
    """Cycle times (days) of done revision-1 runs, by step and by step and owner; and per
    approval, what rework added to each past project where it is settled (0 when the
    first round approved)."""

    by_step: dict[str, list[float]]
    by_owner: dict[tuple[str, str], list[float]]
    rework: dict[str, list[float]]

    @classmethod
    def cached(cls, runs: Sequence[StepRun], playbook_id: str) -> "_History":
        """`of`, worked out once for the same runs object (a worker's cached history is
        one list for many forecasts)."""
        kept = _HISTORIES.get(playbook_id)
        if kept is None or kept[0] is not runs or kept[1] != len(runs):
            kept = _HISTORIES[playbook_id] = (runs, len(runs), cls.of(runs, playbook_id))
        return kept[2]

    @classmethod
    def of(cls, runs: Sequence[StepRun], playbook_id: str) -> "_History":
        by_step: dict[str, list[float]] = defaultdict(list)
        by_owner: dict[tuple[str, str], list[float]] = defaultdict(list)
        rounds: dict[tuple[str, str], list[StepRun]] = defaultdict(list)
        for run in runs:
            if run.playbook != playbook_id or run.outcome != "done":
                continue
            if run.kind == "approval":
                rounds[(run.project, run.step)].append(run)
            if run.revision == 1:
                cycle = max(run.cycle_days, 0.0)  # clock skew in imported data: no negative time
                by_step[run.step].append(cycle)
                by_owner[(run.step, run.owners[0])].append(cycle)
        rework: dict[str, list[float]] = defaultdict(list)
        for (_, step), done in rounds.items():
            first = min(done, key=lambda run: run.revision)
            last = max(done, key=lambda run: run.revision)
            if first.revision != 1 or any(not review.approve for review in last.reviews):
                continue  # its first round is missing, or it is being reworked right now
            rework[step].append(max(_days(last.finished_at, first.finished_at), 0.0))
        return cls(by_step, by_owner, rework)


# The latest history worked out per playbook, with the runs it came from (kept alive, so
# `is` tells the same list).
_HISTORIES: dict[str, tuple[Sequence[StepRun], int, "_History"]] = {}


@dataclass(frozen=True)
class _Source:
    """Where a step's cycle times come from: its history (bootstrap) or its window."""

    basis: str
    history: np.ndarray | None = None
    median_days: float = 0.0

    def draw(self, rng: np.random.Generator, samples: int) -> np.ndarray:
        if self.history is not None:
            return rng.choice(self.history, size=samples)
        return self.median_days * np.exp(WINDOW_SPREAD * rng.standard_normal(samples))


def _source(step: PlannedStep, playbook: Playbook, history: _History, min_samples: int) -> _Source:
    defined = playbook.by_id.get(step.id)
    if defined is not None and defined.kind != "approval" and step.owners:
        person = step.owners[0]
        own = history.by_owner.get((step.id, person), [])
        if len(own) >= min_samples:
            return _Source(f"person {person}, {len(own)} samples", np.asarray(own))
    of_step = history.by_step.get(step.id, [])
    if len(of_step) >= min_samples:
        return _Source(f"step history, {len(of_step)} samples", np.asarray(of_step))
    window = _window_days(playbook, step.id)
    business = playbook.calendar == "business"
    shown = f"{window:g} business days" if business else f"{window:g}d"
    seen = f"only {len(of_step)} samples" if of_step else "no history"
    return _Source(
        f"window {shown} kept 4 times in 5, {seen} (log-normal spread {WINDOW_SPREAD})",
        median_days=calendar_window_days(playbook, step.id) * WINDOW_TO_MEDIAN,
    )


def _rework(
    step: PlannedStep, playbook: Playbook, history: _History, min_samples: int
) -> np.ndarray | None:
    """What rework adds to an approval in its first round, in days, per past project
    (mostly 0): None for any other step, or with fewer than `min_samples` past projects."""
    defined = playbook.by_id.get(step.id)
    if defined is None or defined.kind != "approval" or step.revision != 1:
        return None
    past = history.rework.get(step.id, [])
    return np.asarray(past) if len(past) >= min_samples else None


def calendar_window_days(playbook: Playbook, step_id: str) -> float:
    """A step's window in calendar days (business days x 7/5), at least a quarter day: the
    median a step without enough history is drawn around (and the demo's base pace)."""
    factor = BUSINESS_TO_CALENDAR if playbook.calendar == "business" else 1.0
    return max(_window_days(playbook, step_id) * factor, SHORTEST_MEDIAN_DAYS)


def _window_days(playbook: Playbook, step_id: str) -> float:
    if step_id in playbook.by_id:
        return window_days(playbook, step_id)
    return playbook.default_estimate.total_seconds() / DAY  # a step a newer version dropped
