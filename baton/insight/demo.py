"""Demo history: past projects of a playbook generated from known distributions (per
person and per step cycle times, rework, reassignments), for `baton demo history`,
`make run`, and the tests that check the statistics against the truth.

How a project is generated (the README repeats this):
- the truth, from the seed unless given: each step's median is its window in calendar
  days times a factor between 0.5 and 1.5 (some steps habitually slow, some quick), each
  person's speed between 0.7 and 1.5, log-sd 0.4, rework rate 0.2, reassignment rate 0.1;
- launches a week apart, the last project finishing before `end`; each project's dues are
  its playbook's offsets from its launch date (UTC, the playbook's calendar and due time);
- the first steps start at their planned start (the earliest first step's due minus its
  window); every other step starts when the steps it waits for finish;
- a run's cycle time is log-normal with median `step_median_days[step] *
  person_speed[owner]` and log-sd `sigma` (an approval's median is the step's: its pace
  is its approvers' together, nobody's own);
- an approval rejects with probability `rework_rate` (at most three times): its
  `on_reject` step (or the steps it comes `after`) and every step between run again, one
  revision up, at half the median; the approval then runs again;
- a task's or decision's run goes to another person of its role with probability
  `reassign_rate` (its rework stays with that person);
- decisions pick their first option, inputs take their defaults; a step whose condition is
  false is a skipped run (activated and finished at once).
"""

import math
from datetime import date, datetime, timedelta
from statistics import NormalDist

import numpy as np
from pydantic import BaseModel

from baton.errors import Invalid
from baton.insight.forecast import calendar_window_days, in_dependency_order
from baton.insight.runs import Decision, StepRun
from baton.plan import offset_dues
from baton.playbook import Playbook, Step
from baton.schedule import forward_due, local_instant

SIGMA = 0.4
REWORK_RATE = 0.2
REASSIGN_RATE = 0.1
STEP_FACTORS = (0.45, 1.35)  # some steps habitually slow, most quick enough
PERSON_SPEEDS = (0.7, 1.3)  # a person's cycle times relative to the step's median
REWORK_SHARE = 0.5  # a rework round takes about half a first run
MOST_REJECTIONS = 3
LAUNCH_SPACING = timedelta(days=7)
MOST_PROJECTS = 2000  # a week apart: about 38 years back
TIMEZONE = "UTC"
NAMES = (
    "wen", "ade", "kim", "rui", "ola", "max", "ida", "tom", "ana", "leo", "mei", "sam",
    "joy", "raj", "eva", "noa", "ben", "zoe", "kai", "lin", "ama", "tej", "uma", "oli",
    "pia", "dev", "yus", "eli", "fen", "gus",
)  # fmt: skip


class DemoTruth(BaseModel):
    """The distributions the history was drawn from: each step's cycle time is
    log-normal with median `step_median_days[step] * person_speed[person]` (an
    approval's: `step_median_days[step]`) and log-sd `sigma`."""

    step_median_days: dict[str, float]
    person_speed: dict[str, float]
    sigma: float
    rework_rate: float
    reassign_rate: float
    # Approvals go at the pace of their approvers together, nobody's own: their median is
    # the step's, whoever approves (as the forecast reads them: the step's history).
    approvals: list[str] = []

    def median(self, step: str, person: str) -> float:
        if step in self.approvals:
            return self.step_median_days[step]
        return self.step_median_days[step] * self.person_speed[person]

    def true_quantile(self, step: str, person: str, q: float) -> float:
        """The `q` quantile (0 < q < 1) of `person`'s first-run cycle time of `step`, days."""
        return self.median(step, person) * math.exp(self.sigma * NormalDist().inv_cdf(q))


class DemoProject(BaseModel):
    """One generated project, as a test or a demo needs it to replay its start."""

    project: str
    launch_date: date
    started_at: datetime
    assignments: dict[str, str]  # role -> person
    deadline: datetime | None  # the latest due offset's instant (what a forecast measures)
    finished_at: datetime  # its last run's finish


class DemoHistory(BaseModel):
    runs: list[StepRun]
    truth: DemoTruth
    projects: list[DemoProject] = []


def generate_history(
    playbook: Playbook,
    projects: int,
    seed: int,
    end: datetime,
    people: dict[str, list[str]] | None = None,
    truth: DemoTruth | None = None,
) -> DemoHistory:
    """`projects` past projects of `playbook`, all finished before `end`; `people` maps
    each role to the people who fill it (defaults to two made-up names per role). The
    same arguments give the same history. `truth` replaces the distributions drawn from
    the seed (a test that needs a particular pace, or no rework)."""
    if seed < 0:
        raise Invalid("the seed is a whole number, 0 or more", field="seed")
    if not 0 <= projects <= MOST_PROJECTS:
        raise Invalid(f"generate between 0 and {MOST_PROJECTS} projects", field="projects")
    people = people or default_people(playbook)
    missing = [role for role in playbook.roles if not people.get(role)]
    if missing:
        raise Invalid(f"no people for the roles: {', '.join(missing)}", field="people")
    truth = truth or draw_truth(playbook, people, seed)
    _check_truth(truth, playbook, people)

    # Lay the launches out backwards from `end` (on a working day for a business-day
    # playbook); a project that overruns it moves every launch back by whole weeks
    # (weekdays stay put) until all have finished.
    setup = _Setup(playbook, truth, people, seed)
    last_launch = end.date()
    while playbook.calendar == "business" and last_launch.weekday() >= 5:
        last_launch -= timedelta(days=1)
    while True:
        generated = [
            _Project(setup, n, last_launch - (projects - n) * LAUNCH_SPACING)
            for n in range(1, projects + 1)
        ]
        latest = max((p.record.finished_at for p in generated), default=None)
        if latest is None or latest < end:
            break
        last_launch -= math.ceil((latest - end) / LAUNCH_SPACING + 1e-9) * LAUNCH_SPACING
    return DemoHistory(
        runs=[run for p in generated for run in p.runs],
        truth=truth,
        projects=[p.record for p in generated],
    )


def default_people(playbook: Playbook) -> dict[str, list[str]]:
    """Two made-up people per role, in role order."""
    names = [
        NAMES[i % len(NAMES)] + (str(i // len(NAMES) + 1) if i >= len(NAMES) else "")
        for i in range(2 * len(playbook.roles))
    ]
    return {role: names[2 * i : 2 * i + 2] for i, role in enumerate(playbook.roles)}


def draw_truth(
    playbook: Playbook,
    people: dict[str, list[str]],
    seed: int,
    step_factors: tuple[float, float] = STEP_FACTORS,
    person_speeds: tuple[float, float] = PERSON_SPEEDS,
) -> DemoTruth:
    """Each step's median (its window times a factor) and each person's speed, from the
    seed (uniform over the ranges given); the default spread, rework and reassignment
    rates."""
    rng = np.random.default_rng(seed)
    factors = rng.uniform(*step_factors, size=len(playbook.steps))
    persons = list(dict.fromkeys(p for role in playbook.roles for p in people[role]))
    speeds = rng.uniform(*person_speeds, size=len(persons))
    return DemoTruth(
        step_median_days={
            step.id: round(calendar_window_days(playbook, step.id) * float(factor), 3)
            for step, factor in zip(playbook.steps, factors, strict=True)
        },
        person_speed={p: round(float(s), 3) for p, s in zip(persons, speeds, strict=True)},
        sigma=SIGMA,
        rework_rate=REWORK_RATE,
        reassign_rate=REASSIGN_RATE,
        approvals=[step.id for step in playbook.steps if step.kind == "approval"],
    )


def _check_truth(truth: DemoTruth, playbook: Playbook, people: dict[str, list[str]]) -> None:
    steps = [s.id for s in playbook.steps if s.id not in truth.step_median_days]
    persons = {p for role in playbook.roles for p in people[role]} - set(truth.person_speed)
    if steps or persons:
        unknown = ", ".join([*steps, *sorted(persons)])
        raise Invalid(f"the truth has no pace for: {unknown}", field="truth")


class _Setup:
    """What every project of a history shares."""

    def __init__(
        self, playbook: Playbook, truth: DemoTruth, people: dict[str, list[str]], seed: int
    ):
        self.playbook = playbook
        self.truth = truth
        self.people = people
        self.seed = seed
        self.order = in_dependency_order(playbook.steps, lambda s: s.id, lambda s: s.depends_on)


class _Project:
    """One generated project: its runs and its record. Its own random stream (from the
    seed and its number) makes it independent of its dates and of the other projects."""

    def __init__(self, setup: _Setup, number: int, launch: date):
        playbook = self.playbook = setup.playbook
        self.truth = setup.truth
        self.people = setup.people
        self.order = setup.order
        self.rng = np.random.default_rng([setup.seed, number])
        self.id = f"demo-{playbook.id}-{number:03d}"
        self.dues = offset_dues(playbook, launch, TIMEZONE)
        self.assigned = {role: str(self.rng.choice(self.people[role])) for role in playbook.roles}
        self.runs: list[StepRun] = []
        self.revision: dict[str, int] = {}
        self.owner_of: dict[str, str] = {}
        started = self._start(launch)
        releases: dict[str, datetime] = {}  # when each step lets its dependants start
        for step in self.order:
            activated = max((releases[d] for d in step.depends_on), default=started)
            releases[step.id] = self._run(step, activated, rework=False)
            if step.kind == "approval" and self._runs(step):
                releases[step.id] = self._reviews(step, releases)
        self.record = DemoProject(
            project=self.id,
            launch_date=launch,
            started_at=started,
            assignments=self.assigned,
            deadline=max(self.dues.values(), default=None),
            finished_at=max(run.finished_at for run in self.runs),
        )

    def _start(self, launch: date) -> datetime:
        """The earliest first step's planned start: its due less its window."""
        firsts = [s for s in self.playbook.steps if not s.depends_on and s.id in self.dues]
        if not firsts:  # forward-scheduled: the launch date is the start
            return local_instant(launch, self.playbook.due_time, TIMEZONE)
        return min(
            self.dues[s.id] - timedelta(days=calendar_window_days(self.playbook, s.id))
            for s in firsts
        )

    def _run(self, step: Step, activated: datetime, rework: bool) -> datetime:
        """Record a run of `step` activated at `activated`; its finish."""
        if not self._runs(step):
            if not rework:
                planned = list(dict.fromkeys(self.assigned[role] for role in step.roles))
                self._record(step, activated, activated, "skipped", planned)
            return activated
        owners = self._owners(step, rework)
        median = self.truth.median(step.id, owners[0]) * (REWORK_SHARE if rework else 1.0)
        cycle = median * math.exp(self.truth.sigma * float(self.rng.standard_normal()))
        finished = activated + timedelta(days=cycle)
        self._record(step, activated, finished, "done", owners)
        return finished

    def _reviews(self, approval: Step, releases: dict[str, datetime]) -> datetime:
        """An approval's rounds: rejected ones send the work back and run again."""
        for _ in range(MOST_REJECTIONS):
            if self.rng.random() >= self.truth.rework_rate:
                break
            self._decide(approval, approve=False)
            rejected = self.runs[-1].finished_at
            back_to = [approval.on_reject] if approval.on_reject else approval.after
            span = {s for start in back_to for s in self.playbook.rework_span(approval.id, start)}
            # The rework round's own times: dependants outside it already started.
            times = dict(releases)
            for step in self.order:
                if step.id in span:
                    activated = max([rejected, *(times[d] for d in step.depends_on)])
                    times[step.id] = self._run(step, activated, rework=True)
            releases = {**releases, approval.id: times[approval.id]}
        self._decide(approval, approve=True)
        return releases[approval.id]

    def _decide(self, approval: Step, approve: bool) -> None:
        """Every approver's decision on the last run, spread over it; the last one at its
        finish says yes or no for the round."""
        run = self.runs[-1]
        span = run.finished_at - run.activated_at
        reviews = [
            Decision(
                person=person,
                approve=approve or i < len(run.owners) - 1,
                at=run.activated_at + span * (i + 1) / len(run.owners),
            )
            for i, person in enumerate(run.owners)
        ]
        self.runs[-1] = run.model_copy(update={"reviews": reviews})

    def _owners(self, step: Step, rework: bool) -> list[str]:
        if step.kind == "approval":
            return list(dict.fromkeys(self.assigned[role] for role in step.approvers))
        if rework:
            return [self.owner_of[step.id]]
        role = step.roles[0]
        owner = self.assigned[role]
        others = [p for p in self.people[role] if p != owner]
        if others and self.rng.random() < self.truth.reassign_rate:
            owner = str(self.rng.choice(others))
        self.owner_of[step.id] = owner
        return [owner]

    def _runs(self, step: Step) -> bool:
        """Whether a step's condition holds: decisions take their first option, inputs
        their defaults."""
        when = step.when
        if when is None:
            return True
        if when.step:
            decision = self.playbook.step(when.step)
            return self._runs(decision) and decision.options[:1] == [when.option]
        spec = self.playbook.inputs.get(when.input or "")
        value = spec.default if spec else None
        return bool(value) if when.equals is None else value == when.equals

    def _record(
        self, step: Step, activated: datetime, finished: datetime, outcome: str, owners: list[str]
    ) -> None:
        revision = self.revision.get(step.id, 0) + 1
        self.revision[step.id] = revision
        due = self.dues.get(step.id) or forward_due(
            activated,
            step.estimate or self.playbook.default_estimate,
            self.playbook.due_time,
            TIMEZONE,
            self.playbook.working_calendar,
        )
        self.runs.append(
            StepRun(
                project=self.id,
                playbook=self.playbook.id,
                step=step.id,
                kind=step.kind,
                owners=owners,
                revision=revision,
                activated_at=activated,
                due_at=due,
                finished_at=finished,
                outcome=outcome,  # type: ignore[arg-type]
            )
        )
