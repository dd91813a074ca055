"""The retrospective: how each step, person and role did against their dues, where the
days went, the bottlenecks and the crowded weeks (`baton report`, GET /api/reports, the
dashboard's reports page).

The rules, one line each (the README quotes them):
- Runs counted: those of the playbook asked for (all when none), finished on or after
  `since` (00:00 UTC that day).
- projects: the distinct projects among the runs counted.
- steps: samples are the runs that ended done; the on-time rate, median and 80th
  percentile lateness and median cycle time are over those; rework_rounds counts the
  runs (any outcome) with revision above 1.
- Step order: the playbook's own order, then steps only the history knows, by id; with
  several playbooks (those with runs counted), by playbook id first. A playbook step
  with no runs is still listed.
- people: over runs that ended done; on an approval each reviewer's decision is their
  sample (lateness = decision time - due); on other runs (and an approval with no
  decisions recorded) every owner gets the run's lateness. By person id.
- roles: from the playbook: a task or decision counts for its owner role, an approval
  for each approver role, with the run's lateness. By role id, across playbooks.
- where_the_days_went (calendar days, the mean over the projects that ran the step, a
  skipped step not counting as run): working = cycle of the first-round task or
  decision run; approval_queue = cycle of the first-round approval run; rework = cycle
  of the rework rounds (revision above 1); waiting = how much later than planned the
  step's first run started: activation - (due - the step's window), at least 0.
- bottlenecks: per step, the lateness of the late done runs summed; only steps above
  0, most first, ties in step order.
- crowded_weeks: per owner and ISO week (UTC) of the due, the runs due that week (a
  skipped run was nobody's work); listed from CROWDED_WEEK_DUES up, most first, then
  by week, then by person.
- Numbers are rounded to 2 decimals.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter

from pydantic import BaseModel

from baton.insight.runs import DAY, StepRun
from baton.insight.stats import mean, median, quantile, rounded
from baton.insight.windows import window_days
from baton.playbook import Playbook
from baton.schedule import Calendar

CROWDED_WEEK_DUES = 3  # this many dues for one person in one week makes it crowded
LATE_QUANTILE = 0.8  # the "p80" of p80_late_days


class StepStats(BaseModel):
    step: str
    samples: int
    on_time_rate: float | None
    median_late_days: float | None
    p80_late_days: float | None
    median_cycle_days: float | None
    rework_rounds: int
    playbook: str | None = None  # step ids repeat across playbooks; this tells them apart


class PersonStats(BaseModel):
    person: str
    samples: int
    on_time_rate: float | None
    median_late_days: float | None


class RoleStats(BaseModel):
    role: str
    samples: int
    on_time_rate: float | None
    median_late_days: float | None


class DaysWent(BaseModel):
    step: str
    working_days: float
    waiting_days: float
    approval_queue_days: float
    rework_days: float
    playbook: str | None = None


class Bottleneck(BaseModel):
    step: str
    late_days_total: float
    playbook: str | None = None


class CrowdedWeek(BaseModel):
    person: str
    week: str  # ISO week, "2026-W50"
    dues: int


class Report(BaseModel):
    playbook: str | None
    since: date | None
    projects: int
    steps: list[StepStats]
    people: list[PersonStats]
    roles: list[RoleStats]
    where_the_days_went: list[DaysWent]
    bottlenecks: list[Bottleneck]
    crowded_weeks: list[CrowdedWeek]


StepKey = tuple[str, str]  # (playbook id, step id)


def build_report(
    runs: Sequence[StepRun],
    playbooks: dict[str, Playbook],
    playbook: str | None = None,
    since: date | None = None,
) -> Report:
    """The report over `runs` (of `playbook` when given, finished on or after `since`);
    `playbooks` (id -> latest version) gives step order, kinds, roles and windows."""
    start = datetime.combine(since, time(), UTC) if since else None
    counted = [
        run
        for run in runs
        if (playbook is None or run.playbook == playbook)
        and (start is None or run.finished_at >= start)
    ]
    order = _step_order(counted, playbooks, playbook)
    by_step: dict[StepKey, list[StepRun]] = defaultdict(list)
    for run in counted:
        by_step[(run.playbook, run.step)].append(run)
    done = [run for run in counted if run.outcome == "done"]
    return Report(
        playbook=playbook,
        since=since,
        projects=len({run.project for run in counted}),
        steps=[_step_stats(key, by_step[key]) for key in order],
        people=[
            PersonStats(person=person, **_lateness_summary(late))
            for person, late in sorted(_people_lateness(done).items())
        ],
        roles=[
            RoleStats(role=role, **_lateness_summary(late))
            for role, late in sorted(_roles_lateness(done, playbooks).items())
        ],
        where_the_days_went=[
            went
            for key in order
            if (went := _days_went(key, by_step[key], playbooks.get(key[0]))) is not None
        ],
        bottlenecks=_bottlenecks(order, by_step),
        crowded_weeks=_crowded_weeks(counted),
    )


def _step_order(
    runs: Sequence[StepRun], playbooks: dict[str, Playbook], only: str | None
) -> list[StepKey]:
    """Each playbook's steps in its own order, then the steps only the history has, by id;
    playbooks by id."""
    ids = [only] if only else sorted({run.playbook for run in runs})
    order: list[StepKey] = []
    for playbook_id in ids:
        book = playbooks.get(playbook_id)
        listed = [step.id for step in book.steps] if book else []
        seen = {run.step for run in runs if run.playbook == playbook_id}
        order += [(playbook_id, step) for step in [*listed, *sorted(seen - set(listed))]]
    return order


def _step_stats(key: StepKey, runs: list[StepRun]) -> StepStats:
    done = [run for run in runs if run.outcome == "done"]
    late = [run.lateness_days for run in done]
    return StepStats(
        playbook=key[0],
        step=key[1],
        samples=len(done),
        on_time_rate=rounded(mean(float(run.on_time) for run in done)),
        median_late_days=rounded(median(late)),
        p80_late_days=rounded(quantile(late, LATE_QUANTILE)),
        median_cycle_days=rounded(median(run.cycle_days for run in done)),
        rework_rounds=sum(run.revision > 1 for run in runs),
    )


def _lateness_summary(late: list[float]) -> dict:
    return {
        "samples": len(late),
        "on_time_rate": rounded(mean(float(days <= 0) for days in late)),
        "median_late_days": rounded(median(late)),
    }


def _people_lateness(done: list[StepRun]) -> dict[str, list[float]]:
    """Each person's samples: a reviewer's own decision on an approval, else the run's
    lateness for every owner."""
    late: dict[str, list[float]] = defaultdict(list)
    for run in done:
        if run.kind == "approval" and run.reviews:
            decided = {
                review.person: review.at for review in sorted(run.reviews, key=attrgetter("at"))
            }
            for person, at in decided.items():  # a person's last word on the run counts
                late[person].append((at - run.due_at).total_seconds() / DAY)
        else:
            for owner in dict.fromkeys(run.owners):
                late[owner].append(run.lateness_days)
    return late


def _roles_lateness(done: list[StepRun], playbooks: dict[str, Playbook]) -> dict[str, list]:
    """Each role's samples: the run's lateness for the roles its playbook step names (the
    owner role, or every approver role); a step the playbook lacks counts for no role."""
    late: dict[str, list[float]] = defaultdict(list)
    for run in done:
        book = playbooks.get(run.playbook)
        step = book.by_id.get(run.step) if book else None
        for role in dict.fromkeys(step.roles if step else []):
            if role:
                late[role].append(run.lateness_days)
    return late


def _days_went(key: StepKey, runs: list[StepRun], book: Playbook | None) -> DaysWent | None:
    """Where one step's days went, the mean over the projects that ran it; None when no
    project ran it."""
    per_project: dict[str, list[StepRun]] = defaultdict(list)
    for run in runs:
        if run.outcome != "skipped":
            per_project[run.project].append(run)
    if not per_project:
        return None
    parts: dict[str, list[float]] = defaultdict(list)
    for project_runs in per_project.values():
        first_round = [run for run in project_runs if run.revision == 1]
        parts["working"].append(sum(r.cycle_days for r in first_round if r.kind != "approval"))
        parts["queue"].append(sum(r.cycle_days for r in first_round if r.kind == "approval"))
        parts["rework"].append(sum(r.cycle_days for r in project_runs if r.revision > 1))
        first = min(project_runs, key=lambda run: (run.revision, run.activated_at))
        parts["waiting"].append(_waiting_days(first, book))
    return DaysWent(
        playbook=key[0],
        step=key[1],
        working_days=_mean_of(parts["working"]),
        waiting_days=_mean_of(parts["waiting"]),
        approval_queue_days=_mean_of(parts["queue"]),
        rework_days=_mean_of(parts["rework"]),
    )


def _mean_of(per_project: list[float]) -> float:
    return rounded(sum(per_project) / len(per_project))


def _waiting_days(run: StepRun, book: Playbook | None) -> float:
    """How much later than its plan the run started, in calendar days: the plan starts
    the step's window before its due. 0 for a step its playbook no longer has."""
    if book is None or run.step not in book.by_id:
        return 0.0
    window = window_days(book, run.step)
    planned = planned_start(run.due_at, window, book.working_calendar)
    return max(0.0, (run.activated_at - planned).total_seconds() / DAY)


def planned_start(due_at: datetime, window: float, calendar: Calendar) -> datetime:
    """When a step's window opens: its whole days counted back from the due's date in the
    playbook's calendar (business days skip weekends and holidays), the due's time of day
    kept; a fraction of a day is then taken off as plain time."""
    whole = math.floor(window)
    day = calendar.add_days(due_at.date(), -whole)
    return datetime.combine(day, due_at.timetz()) - timedelta(days=window - whole)


def _bottlenecks(order: list[StepKey], by_step: dict[StepKey, list[StepRun]]) -> list[Bottleneck]:
    late = {
        key: rounded(sum(max(r.lateness_days, 0.0) for r in by_step[key] if r.outcome == "done"))
        for key in order
    }
    ranked = sorted((key for key in order if late[key]), key=lambda key: -late[key])
    return [  # sorted() is stable: ties keep step order
        Bottleneck(playbook=key[0], step=key[1], late_days_total=late[key]) for key in ranked
    ]


def iso_week(moment: datetime) -> str:
    """The ISO week (UTC) an instant falls in, as crowded weeks name it: "2026-W50"."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def dues_per_week(dues: Iterable[tuple[Iterable[str], datetime]]) -> Counter[tuple[str, str]]:
    """How many dues each person has per ISO week (UTC), from (people, due) pairs: a
    count per (person, week); a person named twice on one due counts once. The report's
    crowded weeks and the dashboard's load per week count alike."""
    counts: Counter[tuple[str, str]] = Counter()
    for people, due in dues:
        week = iso_week(due)
        for person in dict.fromkeys(people):
            counts[(person, week)] += 1
    return counts


def _crowded_weeks(runs: list[StepRun]) -> list[CrowdedWeek]:
    dues = dues_per_week((run.owners, run.due_at) for run in runs if run.outcome != "skipped")
    crowded = [
        CrowdedWeek(person=person, week=week, dues=count)
        for (person, week), count in dues.items()
        if count >= CROWDED_WEEK_DUES
    ]
    return sorted(crowded, key=lambda c: (-c.dues, c.week, c.person))
