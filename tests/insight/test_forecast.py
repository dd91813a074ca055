"""The forecast against known truth: what it draws from (person, step, window), where it
is certain (a late project, a done one, huge slack), how it reads dependencies, and,
over hundreds of generated projects, whether its probabilities come true as often as
they say."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from baton.errors import Invalid
from baton.insight.demo import default_people, draw_truth, generate_history
from baton.insight.forecast import WINDOW_TO_MEDIAN, ForecastInput, PlannedStep, forecast
from baton.insight.runs import Decision, StepRun
from baton.plan import offset_dues
from baton.playbook import Playbook, find_playbook, playbook_from_data

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LAUNCH = date(2026, 12, 15)


def launch_playbook(calendar: str = "calendar") -> Playbook:
    """brief -> draft -> approve -> (page, email) -> launch: a chain, an approval and two
    parallel branches that join."""
    return playbook_from_data(
        {
            "id": "mini-launch",
            "name": "Mini launch",
            "calendar": calendar,
            "roles": {"pmm": "PMM", "writer": "Writer", "vp": "VP", "web": "Web"},
            "steps": [
                {"id": "brief", "name": "Brief", "owner": "pmm", "due": "-20d"},
                {"id": "draft", "name": "Draft", "owner": "writer", "after": "brief",
                 "due": "-15d"},
                {
                    "id": "approve",
                    "name": "Approve",
                    "kind": "approval",
                    "approvers": ["vp"],
                    "on_reject": "draft",
                    "after": "draft",
                    "due": "-12d",
                },
                {"id": "page", "name": "Page", "owner": "web", "after": "approve", "due": "-5d"},
                {"id": "email", "name": "Email", "owner": "pmm", "after": "approve", "due": "-5d"},
                {"id": "launch", "name": "Launch", "owner": "pmm", "after": ["page", "email"],
                 "due": "0d"},
            ],
        }
    )  # fmt: skip


OWNERS = {
    "brief": "ana", "draft": "wen", "approve": "vic", "page": "ola", "email": "ana", "launch": "ana"
}  # fmt: skip


def at_start(
    playbook: Playbook,
    launch: date = LAUNCH,
    now: datetime = NOW,
    timezone: str = "UTC",
    project: str = "project-x",
    transition: int = 3,
    owners: dict[str, list[str]] | None = None,
    steps: dict[str, dict] | None = None,
) -> ForecastInput:
    """The project with its first step active since `now`, every other step waiting;
    `owners` by step (else OWNERS); `steps` overrides fields of the steps it names."""
    dues = offset_dues(playbook, launch, timezone)
    planned = []
    for step in playbook.steps:
        fields = {
            "id": step.id,
            "state": "waiting" if step.depends_on else "active",
            "owners": (owners or {}).get(step.id) or [OWNERS.get(step.id, "ana")],
            "after": step.depends_on,
            "due": dues.get(step.id),
            "started_at": None if step.depends_on else now,
        }
        fields.update((steps or {}).get(step.id, {}))
        planned.append(PlannedStep(**fields))
    return ForecastInput(
        project=project, transition=transition, launch_date=launch, timezone=timezone, steps=planned
    )


def steady_history(days: float = 2, projects: int = 5) -> list[StepRun]:
    """Past projects where every step took exactly `days`, done by today's owners."""
    kinds = {"approve": "approval"}
    return [
        run(step, owner, days, project=f"past-{i}", kind=kinds.get(step, "task"))
        for i in range(projects)
        for step, owner in OWNERS.items()
    ]


def run(step: str, owner: str, days: float, project: str = "old-1", **fields) -> StepRun:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    values = {
        "project": project,
        "playbook": "mini-launch",
        "step": step,
        "owners": [owner],
        "activated_at": start,
        "due_at": start + timedelta(days=days),
        "finished_at": start + timedelta(days=days),
    }
    values.update(fields)
    return StepRun(**values)


# --- determinism ------------------------------------------------------------------


def test_the_same_input_gives_the_same_forecast_and_the_transition_reseeds_it():
    playbook = launch_playbook()
    target = at_start(playbook)
    first = forecast(target, playbook, [], NOW, samples=2000)
    again = forecast(target, playbook, [], NOW, samples=2000)
    assert first == again
    later = forecast(at_start(playbook, transition=4), playbook, [], NOW, samples=2000)
    assert later.p50_finish != first.p50_finish  # another transition, other draws


def test_the_seed_is_stable_across_processes():
    """Python's hash() of a string changes per process; the forecast must not."""
    script = (
        "import sys; sys.path.insert(0, 'tests/insight'); "
        "from test_forecast import launch_playbook, at_start, NOW; "
        "from baton.insight.forecast import forecast; "
        "p = launch_playbook(); "
        "print(forecast(at_start(p), p, [], NOW, samples=500).model_dump_json())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=os.path.join(os.path.dirname(__file__), "..", ".."),
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1, outputs
    playbook = launch_playbook()
    here = forecast(at_start(playbook), playbook, [], NOW, samples=500)
    assert json.loads(outputs.pop()) == json.loads(here.model_dump_json())


# --- what each step is drawn from ------------------------------------------------


def test_basis_takes_the_owner_then_the_step_then_the_window_at_min_samples():
    playbook = launch_playbook()
    wen_five = [run("draft", "wen", 2, project=f"p{i}") for i in range(5)]
    wen_four_and_others = wen_five[:4] + [run("draft", "kim", 3, project=f"q{i}") for i in range(3)]
    few = wen_five[:4]
    cases = [
        (wen_five, "person wen, 5 samples"),
        (wen_four_and_others, "step history, 7 samples"),
        (few, "window 5d kept 4 times in 5, only 4 samples (log-normal spread 0.35)"),
        ([], "window 5d kept 4 times in 5, no history (log-normal spread 0.35)"),
    ]
    for runs, basis in cases:
        found = forecast(at_start(playbook), playbook, runs, NOW, min_samples=5, samples=500)
        assert found.basis["draft"] == basis


def test_an_approval_reads_the_steps_history_whoever_approves():
    playbook = launch_playbook()
    runs = [run("approve", "vic", 1, project=f"p{i}", kind="approval") for i in range(9)]
    found = forecast(at_start(playbook), playbook, runs, NOW, samples=500)
    assert found.basis["approve"].startswith("step history, 9 samples")


def test_only_done_first_runs_of_this_playbook_count():
    playbook = launch_playbook()
    runs = [
        *[run("draft", "wen", 2, project=f"a{i}", revision=2) for i in range(5)],
        *[run("draft", "wen", 0, project=f"b{i}", outcome="skipped") for i in range(5)],
        *[run("draft", "wen", 2, project=f"c{i}", playbook="other") for i in range(5)],
    ]
    found = forecast(at_start(playbook), playbook, runs, NOW, samples=500)
    assert (
        found.basis["draft"] == "window 5d kept 4 times in 5, no history (log-normal spread 0.35)"
    )


def test_history_is_resampled_in_calendar_days_and_windows_of_business_days_stretch():
    playbook = launch_playbook()
    runs = steady_history(days=2)
    found = forecast(at_start(playbook), playbook, runs, NOW, samples=500)
    by_step = {s.step: s for s in found.steps}
    # Every past run took exactly two days: the chain brief, draft, approve, a branch,
    # launch is five steps of two days each.
    assert by_step["draft"].p50_finish == NOW + timedelta(days=4)
    assert found.p50_finish == found.p80_finish == NOW + timedelta(days=10)
    assert by_step["draft"].owners == ["wen"]

    business = launch_playbook("business")
    found = forecast(at_start(business), business, [], NOW, samples=4000)
    assert found.basis["draft"] == (
        "window 5 business days kept 4 times in 5, no history (log-normal spread 0.35)"
    )
    draft = {s.step: s for s in found.steps}["draft"]
    days = (draft.p50_finish - draft.p50_start).total_seconds() / 86400
    # Five working days are about seven, kept four times in five: the median is less.
    assert days == pytest.approx(7 * WINDOW_TO_MEDIAN, rel=0.05)


# --- where the answer is certain ---------------------------------------------------


def test_a_project_already_past_its_deadline_with_steps_left_is_late():
    playbook = launch_playbook()
    after_launch = datetime(2026, 12, 20, tzinfo=UTC)
    target = at_start(playbook, now=after_launch)
    found = forecast(target, playbook, [], after_launch, samples=500)
    assert found.p_on_time == 0.0
    assert found.deadline == datetime(2026, 12, 15, 17, tzinfo=UTC)


def test_a_project_with_huge_slack_is_on_time():
    playbook = launch_playbook()
    found = forecast(at_start(playbook, launch=date(2027, 12, 15)), playbook, [], NOW)
    assert found.p_on_time >= 0.999


def test_a_finished_project_is_on_time_or_not_by_its_last_finish():
    playbook = launch_playbook()
    due = datetime(2026, 12, 15, 17, tzinfo=UTC)
    for finished, p in [(due - timedelta(hours=1), 1.0), (due + timedelta(hours=1), 0.0)]:
        done = {
            step.id: {"state": "done", "finished_at": finished - timedelta(days=9)}
            for step in playbook.steps
        }
        done["launch"] = {"state": "done", "finished_at": finished}
        target = at_start(playbook, steps=done)
        found = forecast(target, playbook, [], NOW + timedelta(days=60))
        assert (found.p_on_time, found.p50_finish, found.basis) == (p, finished, {})
        assert found.critical_steps == [] and found.steps == []


# --- along the dependencies -------------------------------------------------------


def test_an_active_step_past_its_draw_has_half_a_fresh_draw_left():
    playbook = launch_playbook()
    runs = [run("brief", "ana", 2, project=f"p{i}") for i in range(5)]
    started = NOW - timedelta(days=20)  # every past brief took 2 days: this one is overdue
    target = at_start(playbook, steps={"brief": {"started_at": started}})
    found = forecast(target, playbook, runs, NOW)
    brief = {s.step: s for s in found.steps}["brief"]
    assert brief.p50_start == started
    assert brief.p50_finish == NOW + timedelta(days=1)


def test_a_step_that_wont_run_takes_no_time_but_passes_its_dependencies_on():
    playbook = launch_playbook()
    history = [run(s, OWNERS[s], 3, project=f"p{i}") for i in range(5) for s in ("brief", "draft")]
    history += [run("approve", "vic", 3, project=f"p{i}", kind="approval") for i in range(5)]
    target = at_start(playbook, steps={"page": {"runs": False}})
    found = forecast(target, playbook, history, NOW)
    assert "page" not in found.basis
    assert "page" not in {s.step for s in found.steps}
    email = {s.step: s for s in found.steps}["email"]
    assert email.p50_start == NOW + timedelta(days=9)  # brief, draft, approve: 3 days each


def test_finished_steps_are_past_and_the_order_given_does_not_matter():
    playbook = launch_playbook()
    target = at_start(
        playbook,
        steps={
            "brief": {"state": "done", "started_at": NOW - timedelta(days=3)},
            "draft": {"state": "active", "started_at": NOW - timedelta(days=1)},
        },
    )
    found = forecast(target, playbook, steady_history(days=2), NOW)
    assert "brief" not in found.basis
    # draft: one more day; approve, a branch, launch: two days each.
    assert found.p50_finish == NOW + timedelta(days=7)
    shuffled = target.model_copy(update={"steps": list(reversed(target.steps))})
    again = forecast(shuffled, playbook, steady_history(days=2), NOW)
    assert (again.p_on_time, again.p50_finish, again.basis) == (
        found.p_on_time,
        found.p50_finish,
        found.basis,
    )
    assert {s.step: s for s in again.steps} == {s.step: s for s in found.steps}


def test_critical_steps_follow_the_branch_that_sets_the_finish():
    playbook = launch_playbook()
    history = []
    for i in range(5):
        history += [run(s, OWNERS[s], 1, project=f"p{i}") for s in ("brief", "draft", "launch")]
        history += [run("approve", "vic", 1, project=f"p{i}", kind="approval")]
        history += [run("page", "ola", 10 + i, project=f"p{i}")]
        history += [run("email", "ana", 1 + i / 10, project=f"p{i}")]
    found = forecast(at_start(playbook), playbook, history, NOW)
    critical = [(c.step, c.p_critical) for c in found.critical_steps]
    assert len(critical) == 5  # brief, draft, approve, page, launch: all always; email never
    assert {step for step, _ in critical} == {"brief", "draft", "approve", "page", "launch"}
    assert all(p == 1.0 for _, p in critical)


def test_rework_adds_what_it_added_to_past_projects():
    playbook = launch_playbook()
    history = []
    for i in range(6):
        project = f"p{i}"
        first = run("approve", "vic", 1, project=project, kind="approval")
        sent_back = i % 2 == 0
        reviews = [Decision(person="vic", approve=not sent_back, at=first.finished_at)]
        history.append(first.model_copy(update={"reviews": reviews}))
        if sent_back:  # approved ten days after the first round, at revision 2
            again = first.finished_at + timedelta(days=10)
            history.append(
                first.model_copy(
                    update={
                        "revision": 2,
                        "activated_at": again - timedelta(days=1),
                        "finished_at": again,
                        "reviews": [Decision(person="vic", approve=True, at=again)],
                    }
                )
            )
    found = forecast(at_start(playbook), playbook, history, NOW)
    assert found.basis["approve"] == "step history, 6 samples; sent back in 3 of 6 past projects"
    without = forecast(at_start(playbook), playbook, history[:1], NOW)
    assert "sent back" not in without.basis["approve"]
    approve = {s.step: s for s in found.steps}["approve"]
    approve_without = {s.step: s for s in without.steps}["approve"]
    assert approve.p50_finish > approve_without.p50_finish


def test_times_are_in_the_projects_time_zone_to_the_second():
    playbook = launch_playbook()
    found = forecast(at_start(playbook, timezone="Europe/Berlin"), playbook, [], NOW)
    for instant in (found.p50_finish, found.p80_finish, found.deadline, found.steps[0].p50_finish):
        assert str(instant.tzinfo) == "Europe/Berlin" and instant.microsecond == 0
    assert found.deadline.hour == 17  # the due time, local
    assert found.p50_finish <= found.p80_finish
    assert found.p_on_time == round(found.p_on_time, 3)


def test_no_samples_is_invalid():
    playbook = launch_playbook()
    with pytest.raises(Invalid) as raised:
        forecast(at_start(playbook), playbook, [], NOW, samples=0)
    assert raised.value.field == "samples"


# --- calibration ------------------------------------------------------------------

CALIBRATION_SEED = 11
# A slower team than the demo's: about four in ten of its projects finish on time, so the
# forecasts spread over the bins.
SLOW_STEPS, SLOW_PEOPLE = (0.5, 1.5), (0.7, 1.5)
HISTORY_PROJECTS = 600  # so that the history's own sampling error stays small
TEST_PROJECTS = 400
BIN_TOLERANCE = 0.12  # |observed - mean forecast| in a bin of at least 30 projects
OVERALL_TOLERANCE = 0.06  # |observed on-time rate - mean forecast| over all of them


def test_forecasts_come_true_as_often_as_they_say():
    """Blog-post projects drawn from a known truth: the first 600 are the history, each
    of the next 400 is forecast at its start (as the workflow would) and then checked
    against whether it really finished by its deadline. The truth keeps rework (the
    forecast reads what rework added to past projects) but not reassignment: the
    forecast reads the owner a step has now and cannot foresee a hand-over to someone
    slower or quicker."""
    playbook = find_playbook("blog-post")
    people = default_people(playbook)
    truth = draw_truth(playbook, people, CALIBRATION_SEED, SLOW_STEPS, SLOW_PEOPLE).model_copy(
        update={"reassign_rate": 0.0}
    )
    generated = generate_history(
        playbook,
        HISTORY_PROJECTS + TEST_PROJECTS,
        CALIBRATION_SEED,
        datetime(2026, 11, 1, tzinfo=UTC),
        truth=truth,
    )
    past = {p.project for p in generated.projects[:HISTORY_PROJECTS]}
    history = [run for run in generated.runs if run.project in past]
    forecasts, came_true = [], []
    for project in generated.projects[HISTORY_PROJECTS:]:
        owners = {
            step.id: list(dict.fromkeys(project.assignments[role] for role in step.roles))
            for step in playbook.steps
        }
        target = at_start(
            playbook,
            launch=project.launch_date,
            now=project.started_at,
            project=project.project,
            owners=owners,
        )
        found = forecast(target, playbook, history, project.started_at, samples=2000)
        assert found.deadline == project.deadline
        forecasts.append(found.p_on_time)
        came_true.append(project.finished_at <= project.deadline)
    p, observed = np.array(forecasts), np.array(came_true, dtype=float)

    brier = float(np.mean((p - observed) ** 2))
    rate = float(observed.mean())
    reference = rate * (1 - rate)  # always forecasting the observed on-time rate
    lines = [f"{'bin':>9} {'n':>4} {'forecast':>9} {'observed':>9}"]
    off, judged = [], 0
    for low in (0.0, 0.2, 0.4, 0.6, 0.8):
        inside = (p >= low) & ((p < low + 0.2) | (low == 0.8))
        if not inside.any():
            continue
        mean, seen, n = float(p[inside].mean()), float(observed[inside].mean()), inside.sum()
        lines.append(f"{low:.1f}-{low + 0.2:.1f} {n:>4} {mean:>9.3f} {seen:>9.3f}")
        if n >= 30:
            judged += 1
            if abs(seen - mean) > BIN_TOLERANCE:
                off.append(f"{low:.1f}-{low + 0.2:.1f}")
    lines.append(f"Brier {brier:.4f} (reference {reference:.4f}); on time {rate:.3f}, "
                 f"mean forecast {p.mean():.3f}")  # fmt: skip
    table = "\n".join(lines)
    print("\n" + table)
    assert judged >= 3, f"the forecasts should spread over bins\n{table}"
    assert brier < reference, table
    assert abs(p.mean() - rate) <= OVERALL_TOLERANCE, table
    assert not off, f"bins off by more than {BIN_TOLERANCE}: {off}\n{table}"
