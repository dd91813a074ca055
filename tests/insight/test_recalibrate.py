"""Recalibration: the proposal finds the true quantile of a known distribution, shrinks
toward the current window as the formula says, lays the dues out again without moving
the launch or changing the order, counts a business-day playbook's cycles in business
days, and rewrites each bundled playbook's YAML keeping every comment."""

import difflib
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from statistics import NormalDist

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.durations import parse_duration, parse_offset
from baton.errors import Invalid
from baton.insight.recalibrate import (
    MIN_WINDOW_DAYS,
    lay_out,
    recalibrate,
    recalibrated_yaml,
    shrunk_window,
)
from baton.insight.runs import StepRun
from baton.insight.stats import median, quantile, working_days_between
from baton.insight.windows import windows
from baton.playbook import Playbook, bundled_playbooks, find_playbook, parse_playbook
from baton.schedule import Calendar

BUNDLED = {name: find_playbook(name) for name in bundled_playbooks()}
BLOG = BUNDLED["blog-post"]
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def runs_of(playbook: Playbook, step: str, cycles, **fields) -> list[StepRun]:
    """One project per cycle time (in days), each run of `step` activated on its own day."""
    return [
        StepRun(
            project=f"{fields.get('revision', 1)}-{index}",
            playbook=playbook.id,
            step=step,
            kind=playbook.step(step).kind,
            owners=["sam"],
            activated_at=START + timedelta(days=index),
            due_at=START + timedelta(days=index + 3),
            finished_at=START + timedelta(days=index + cycle),
            **fields,
        )
        for index, cycle in enumerate(cycles)
    ]


def lognormal_history(playbook: Playbook, medians: dict[str, float], sigma, n, seed):
    """`n` runs of each step, cycle times log-normal with the given medians and log-sd."""
    rng = numpy.random.default_rng(seed)
    return [
        run
        for step, middle in medians.items()
        for run in runs_of(playbook, step, middle * numpy.exp(sigma * rng.standard_normal(n)))
    ]


def proposals(result) -> dict:
    return {p.step: p for p in result.steps}


# -- the statistics ----------------------------------------------------------------------


def test_quantiles_are_numpys_linear_rule_and_none_without_data():
    assert quantile([4.0, 6.0, 11.0], 0.8) == 9.0  # position 1.6: 6 + 0.6 * 5
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert quantile([], 0.8) is None and median([]) is None


def test_working_days_count_only_working_days_in_the_instants_own_offset():
    calendar, business = Calendar(), Calendar(business=True, holidays="US")
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert working_days_between(friday, monday, calendar) == 3.0
    assert working_days_between(friday, monday, business) == 1.0  # Fri 7h + Mon 17h
    assert working_days_between(monday, friday, business) == -1.0
    # Thanksgiving (Thursday 2026-11-26) is a US holiday: Wed 7h + Fri 17h
    wednesday = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert working_days_between(wednesday, wednesday + timedelta(days=2), business) == 1.0
    # Saturday 01:00-03:00 at +02:00 is Friday 23:00 to Saturday 01:00 in UTC: the days
    # are the instants' own, so none of it is a working day
    plus_two = timezone(timedelta(hours=2))
    saturday = datetime(2026, 3, 7, 1, 0, tzinfo=plus_two)
    assert working_days_between(saturday, saturday + timedelta(hours=2), business) == 0.0


# -- the proposed windows ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_proposal_recovers_the_true_quantile_of_a_known_distribution(seed):
    medians = {"keywords": 2.0, "outline": 3.0, "draft": 6.0, "images": 2.5, "promote": 0.8}
    sigma, n, k, q = 0.4, 200, 5, 0.8
    history = lognormal_history(BLOG, medians, sigma, n, seed)
    result = proposals(recalibrate(BLOG, 3, history, quantile=q, min_samples=k))
    current = windows(BLOG)
    z = NormalDist().inv_cdf(q)
    for step, middle in medians.items():
        true_quantile = middle * math.exp(sigma * z)
        # The sample quantile's log has sd ~ sigma * sqrt(q(1-q)/n) / pdf(z) = 0.04 for
        # n = 200 (0.035 for the median): 15% is more than 3.5 sd, plus 0.05 for the
        # rounding to 0.1. The proposal is compared with the truth shrunk the same way.
        expected = (n * true_quantile + k * current[step]) / (n + k)
        assert result[step].samples == n
        assert result[step].proposed_window_days == pytest.approx(expected, rel=0.15, abs=0.05)
        assert result[step].quantile_cycle_days == pytest.approx(true_quantile, rel=0.15)
        assert result[step].median_cycle_days == pytest.approx(middle, rel=0.15)


def test_shrinkage_weighs_the_data_by_n_over_n_plus_k():
    # draft's current window: due -10d after approve-outline's -15d = 5 days
    def proposed(cycles):
        history = runs_of(BLOG, "draft", cycles)
        return proposals(recalibrate(BLOG, 1, history))["draft"].proposed_window_days

    assert proposed([]) == 5.0  # nothing learned: the current window
    assert proposed([4.0, 6.0, 11.0]) == 6.5  # q80 = 9.0: (3 * 9 + 5 * 5) / 8
    assert proposed([9.0] * 60) == 8.7  # (60 * 9 + 5 * 5) / 65 = 8.69
    assert shrunk_window(5.0, [9.0] * 60, 0.8, 0) == 9.0  # k = 0: the data alone


def test_a_window_is_never_below_half_a_day():
    # promote's window is 1 day; 60 runs of 15 minutes: (60 * 0.01 + 5 * 1) / 65 = 0.09
    history = runs_of(BLOG, "promote", [0.01] * 60)
    assert proposals(recalibrate(BLOG, 1, history))["promote"].proposed_window_days == 0.5
    assert MIN_WINDOW_DAYS == 0.5


def test_only_first_rounds_that_ended_done_of_this_playbook_are_samples():
    history = [
        *runs_of(BLOG, "draft", [8.0] * 4),
        *runs_of(BLOG, "draft", [0.5] * 3, revision=2),  # rework: not the normal time
        *runs_of(BLOG, "draft", [30.0] * 2, outcome="cancelled"),
        *runs_of(BLOG, "draft", [1.0], outcome="skipped"),
        *(
            run.model_copy(update={"playbook": "newsletter"})
            for run in runs_of(BLOG, "draft", [2.0])
        ),
    ]
    draft = proposals(recalibrate(BLOG, 1, history))["draft"]
    assert (draft.samples, draft.median_cycle_days) == (4, 8.0)


def test_a_business_day_playbook_counts_cycles_in_business_days():
    weekly = parse_playbook(
        """
id: weekly
name: Weekly
calendar: business
holidays: US
roles: {writer: Writer}
steps:
  - {id: write, name: Write, owner: writer, due: -2d}
  - {id: send, name: Send, owner: writer, after: [write], due: 0d}
"""
    )
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    wednesday = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # Thanksgiving is on Thursday
    history = [
        StepRun(
            project=f"w{index}",
            playbook="weekly",
            step="send",
            owners=["wen"],
            activated_at=start,
            due_at=start + timedelta(days=1),
            finished_at=start + timedelta(days=days),
        )
        for index, (start, days) in enumerate([(friday, 3), (wednesday, 2)])
    ]
    send = proposals(recalibrate(weekly, 1, history))["send"]
    # 3 and 2 calendar days, each 1 business day (7h + 17h)
    assert (send.samples, send.median_cycle_days, send.quantile_cycle_days) == (2, 1.0, 1.0)


def test_a_quantile_outside_zero_to_one_is_refused():
    with pytest.raises(Invalid, match="between 0 and 1"):
        recalibrate(BLOG, 1, [], quantile=80)


# -- the dues laid out again ------------------------------------------------------------


def test_dues_are_laid_out_backwards_from_the_launch():
    # draft really takes 8.4 days (k = 0: the data alone): it needs 9 whole days, so
    # approve-outline must be due 9 days before draft's -10d, and each step before it
    # keeps its own 5-day window: -19, -24, -29, -34. After draft nothing changes.
    history = runs_of(BLOG, "draft", [8.4] * 60)
    result = recalibrate(BLOG, 3, history, min_samples=0)
    dues = [(p.step, p.current_due, p.proposed_due) for p in result.steps]
    assert dues == [
        ("idea", "-30d", "-34d"),
        ("keywords", "-25d", "-29d"),
        ("outline", "-20d", "-24d"),
        ("approve-outline", "-15d", "-19d"),
        ("draft", "-10d", "-10d"),
        ("images", "-5d", "-5d"),
        ("promote", "-4d", "-4d"),
        ("publish", "0d", "0d"),
    ]
    draft = proposals(result)["draft"]
    assert (draft.current_window_days, draft.proposed_window_days) == (5.0, 8.4)
    assert (result.lead_days.current, result.lead_days.proposed) == (30, 34)
    assert result.model_dump(mode="json")["steps"][4] == {
        "step": "draft",
        "samples": 60,
        "median_cycle_days": 8.4,
        "quantile_cycle_days": 8.4,
        "current_window_days": 5.0,
        "proposed_window_days": 8.4,
        "current_due": "-10d",
        "proposed_due": "-10d",
        "proposed_estimate": None,
    }


def test_a_parallel_step_keeps_its_buffer():
    # product-launch: go-no-go (-2d) waits for five steps; its window is 3 days, from
    # sales-training's -5d. launch-email is due -14d though -5d would do: 9 days of
    # deliberate buffer. go-no-go really taking 6 days moves sales-training to -8d and
    # launch-email to -17d (the buffer kept); go-no-go itself stays.
    playbook = BUNDLED["product-launch"]
    history = runs_of(playbook, "go-no-go", [6.0] * 60)
    result = proposals(recalibrate(playbook, 1, history, min_samples=0))
    assert result["go-no-go"].proposed_due == "-2d"
    assert result["sales-training"].proposed_due == "-8d"
    assert result["launch-email"].proposed_due == "-17d"
    assert result["launch"].proposed_due == "0d"


def test_steps_after_the_launch_are_laid_out_forward_from_it():
    # product-launch's results report (+14d) really takes 20 days after the launch
    playbook = BUNDLED["product-launch"]
    history = runs_of(playbook, "results", [20.0] * 60)
    result = proposals(recalibrate(playbook, 1, history, min_samples=0))
    assert (result["launch"].proposed_due, result["results"].proposed_due) == ("0d", "+20d")
    assert result["go-no-go"].proposed_due == "-2d"


@given(data=st.data())
def test_the_launch_stays_put_and_the_order_never_changes(data):
    playbook = BUNDLED[data.draw(st.sampled_from(sorted(BUNDLED)))]
    proposed = {step.id: data.draw(st.floats(0.5, 60.0), label=step.id) for step in playbook.steps}
    _, offsets = lay_out(playbook, windows(playbook), proposed)
    for step in playbook.steps:
        if step.due == 0:
            assert offsets[step.id] == 0
        for before in step.depends_on:
            assert offsets[before] < offsets[step.id], (before, step.id)
        if not playbook.dependants(step.id) and step.due is not None and step.due < 0:
            assert offsets[step.id] == step.due  # nothing waits for it: it keeps its due


# -- the YAML ----------------------------------------------------------------------------


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def without_timings(playbook: Playbook) -> dict:
    data = playbook.model_dump(mode="json")
    for step in data["steps"]:
        del step["due"], step["estimate"]
    return data


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_no_history_leaves_every_bundled_playbook_as_it_is(name):
    source = bundled_playbooks()[name].read_text(encoding="utf-8")
    result = recalibrate(BUNDLED[name], 1, [])
    assert [p.proposed_due for p in result.steps] == [p.current_due for p in result.steps]
    assert recalibrated_yaml(source, result) == source


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_bundled_playbook_round_trips_with_its_comments(name):
    playbook = BUNDLED[name]
    source = bundled_playbooks()[name].read_text(encoding="utf-8")
    slower = {s: 1.6 * w + 0.3 for s, w in windows(playbook).items()}  # every step slower
    result = recalibrate(playbook, 1, lognormal_history(playbook, slower, 0.3, 30, seed=7))
    text = recalibrated_yaml(source, result)
    assert text != source
    assert comments(text) == comments(source)
    assert changed_lines(source, text)
    assert all(re.search(r"\b(due|estimate): ", line) for line in changed_lines(source, text))
    again = parse_playbook(text)
    assert without_timings(again) == without_timings(playbook)
    for proposal in result.steps:
        step = again.step(proposal.step)
        if proposal.proposed_due is not None:
            assert step.due == parse_offset(proposal.proposed_due)
        if proposal.proposed_estimate is not None:
            estimate = step.estimate or again.default_estimate
            assert estimate == parse_duration(proposal.proposed_estimate)


def changed_lines(before: str, after: str) -> list[str]:
    """The lines of `after` that are new or changed; a line taken away fails the test."""
    old, new = before.splitlines(), after.splitlines()
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    assert all(tag != "delete" for tag, *_ in opcodes)
    return [line for tag, _, _, j1, j2 in opcodes if tag != "equal" for line in new[j1:j2]]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_estimates_are_replaced_or_inserted_in_flow_and_block_steps(newline):
    source = """\
id: tiny          # a comment on the id
name: Tiny
default_estimate: 1d
roles: {doer: Doer}
steps:
  - {id: first, name: First, owner: doer, due: -3d}   # first: window = estimate
  - id: middle
    name: Middle
    owner: doer
    after: [first]
    instructions: |
      Do it.
  # the launch
  - {id: last, name: Last, owner: doer, after: [middle], due: 0d}
  - {id: wrap, name: Wrap, owner: doer, after: [last], estimate: 2d}
""".replace("\n", newline)
    playbook = parse_playbook(source)
    history = [
        *runs_of(playbook, "first", [2.5] * 5),
        *runs_of(playbook, "middle", [1.5] * 5),
        *runs_of(playbook, "last", [1.0] * 5),
        *runs_of(playbook, "wrap", [4.0] * 5),
    ]
    result = recalibrate(playbook, 1, history, min_samples=0)
    # middle (no due) is virtually due the day before the launch (last's 1-day window);
    # it now needs 2 whole days (1.5), so first, which keeps its 1-day buffer
    # (-1 - 1 - 1 = -3 now), moves to -1 - 2 - 1 = -4. last's window (its 1-day
    # estimate) is unchanged: no estimate added. wrap's 4 days are written as "4d".
    assert (
        recalibrated_yaml(source, result)
        == """\
id: tiny          # a comment on the id
name: Tiny
default_estimate: 1d
roles: {doer: Doer}
steps:
  - {id: first, name: First, owner: doer, due: -4d, estimate: 60h}   # first: window = estimate
  - id: middle
    name: Middle
    owner: doer
    after: [first]
    estimate: 36h
    instructions: |
      Do it.
  # the launch
  - {id: last, name: Last, owner: doer, after: [middle], due: 0d}
  - {id: wrap, name: Wrap, owner: doer, after: [last], estimate: 4d}
""".replace("\n", newline)
    )


def test_a_proposal_for_another_playbook_is_refused():
    source = bundled_playbooks()["newsletter"].read_text(encoding="utf-8")
    with pytest.raises(Invalid, match="blog-post"):
        recalibrated_yaml(source, recalibrate(BLOG, 1, []))
