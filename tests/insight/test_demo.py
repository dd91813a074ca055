"""Generated history against the truth it was drawn from: the same seed gives the same
history, the cycle times recover the stated distributions, rework and reassignment
happen at their rates, and every run is one a live project could have recorded."""

import itertools
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from baton.errors import Invalid
from baton.insight.demo import DemoHistory, default_people, draw_truth, generate_history
from baton.insight.runs import StepRun
from baton.playbook import find_playbook

END = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def blog() -> DemoHistory:
    return generate_history(find_playbook("blog-post"), 400, 5, END)


def test_the_same_seed_gives_the_same_history():
    playbook = find_playbook("product-launch")
    first = generate_history(playbook, 12, 3, END)
    assert generate_history(playbook, 12, 3, END) == first
    other = generate_history(playbook, 12, 4, END)
    assert other.runs != first.runs
    assert other.truth != first.truth


def test_cycle_times_recover_the_truth(blog: DemoHistory):
    """Per step and person, the median and the 80th percentile of first runs come within
    12% of the log-normal they were drawn from (about 200 runs each: the median's own
    sampling error is near 3.5%)."""
    cycles = defaultdict(list)
    for run in blog.runs:
        if run.outcome == "done" and run.revision == 1:
            cycles[(run.step, run.owners[0])].append(run.cycle_days)
    assert len(cycles) >= 14
    for (step, person), days in cycles.items():
        for q in (0.5, 0.8):
            true = blog.truth.true_quantile(step, person, q)
            seen = float(np.quantile(days, q))
            assert seen == pytest.approx(true, rel=0.12), (step, person, q, len(days))


def test_true_quantiles_are_the_log_normals():
    truth = draw_truth(find_playbook("blog-post"), default_people(find_playbook("blog-post")), 1)
    median = truth.step_median_days["draft"] * truth.person_speed["kim"]
    assert truth.true_quantile("draft", "kim", 0.5) == pytest.approx(median)
    assert truth.true_quantile("draft", "kim", 0.8) == pytest.approx(
        median * math.exp(truth.sigma * 0.8416212335729143)
    )
    # An approval goes at its approvers' pace together: the step's median for anyone.
    assert truth.true_quantile("approve-outline", "kim", 0.5) == pytest.approx(
        truth.step_median_days["approve-outline"]
    )
    assert truth.sigma == 0.4 and truth.rework_rate == 0.2 and truth.reassign_rate == 0.1
    assert all(0.7 <= speed <= 1.5 for speed in truth.person_speed.values())


def test_rejected_approvals_send_the_work_back_one_revision_up(blog: DemoHistory):
    runs = {(r.project, r.step, r.revision): r for r in blog.runs}
    reworked = [r for r in blog.runs if r.step == "outline" and r.revision >= 2]
    projects = len(blog.projects)
    first_rejections = sum(1 for r in reworked if r.revision == 2)
    assert 0.13 * projects <= first_rejections <= 0.27 * projects  # rework_rate 0.2
    for again in reworked:
        rejected = runs[(again.project, "approve-outline", again.revision - 1)]
        assert [d.approve for d in rejected.reviews][-1] is False
        assert again.activated_at == rejected.finished_at
        approval = runs[(again.project, "approve-outline", again.revision)]
        assert approval.activated_at == again.finished_at
    for run in blog.runs:
        if run.kind == "approval":  # every approver decides, at most at the run's finish
            assert [d.person for d in run.reviews] == run.owners
            assert all(run.activated_at < d.at <= run.finished_at for d in run.reviews)
            assert run.reviews[-1].at == run.finished_at


def test_runs_are_handed_to_another_person_of_the_role_at_the_stated_rate(blog: DemoHistory):
    playbook = find_playbook("blog-post")
    people = default_people(playbook)
    assigned = {p.project: p.assignments for p in blog.projects}
    tasks = [r for r in blog.runs if r.kind == "task" and r.revision == 1]
    handed_over = 0
    for run in tasks:
        role = playbook.step(run.step).owner
        assert run.owners[0] in people[role]
        handed_over += run.owners[0] != assigned[run.project][role]
    assert handed_over / len(tasks) == pytest.approx(0.1, abs=0.03)


def test_every_run_is_valid_and_finished_before_the_end(blog: DemoHistory):
    playbook = find_playbook("blog-post")
    for run in blog.runs:
        assert StepRun.model_validate(run.model_dump()) == run
        assert run.activated_at <= run.finished_at < END
        assert run.playbook == "blog-post" and run.step in playbook.by_id
    ids = [p.project for p in blog.projects]
    assert ids[:2] == ["demo-blog-post-001", "demo-blog-post-002"] and len(set(ids)) == 400
    launches = [p.launch_date for p in blog.projects]
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(launches))
    assert END.date() - launches[-1] <= timedelta(days=120)  # the last launch is recent
    assert max(p.finished_at for p in blog.projects) < END


def test_dues_follow_the_playbook_from_each_launch(blog: DemoHistory):
    first = blog.projects[0]
    runs = {r.step: r for r in blog.runs if r.project == first.project and r.revision == 1}
    publish = runs["publish"].due_at
    assert publish == datetime.combine(first.launch_date, publish.timetz())
    assert publish.hour == 17 and publish.tzinfo == UTC
    assert runs["draft"].due_at == publish - timedelta(days=10)
    assert runs["idea"].activated_at == first.started_at == runs["idea"].due_at - timedelta(days=2)
    assert first.deadline == publish
    assert runs["keywords"].activated_at == runs["idea"].finished_at


def test_steps_whose_condition_is_false_are_skipped_at_once():
    playbook = find_playbook("product-launch")  # video runs only with include_video
    history = generate_history(playbook, 10, 2, END)
    videos = [r for r in history.runs if r.step == "video"]
    assert len(videos) == 10
    assert all(r.outcome == "skipped" and r.activated_at == r.finished_at for r in videos)


def test_business_day_playbooks_and_chosen_people():
    playbook = find_playbook("newsletter")
    people = {role: [f"{role}-a", f"{role}-b", f"{role}-c"] for role in playbook.roles}
    history = generate_history(playbook, 20, 9, END, people=people)
    assert {r.owners[0].rsplit("-", 1)[0] for r in history.runs} <= set(playbook.roles)
    assert set(history.truth.person_speed) == {p for ps in people.values() for p in ps}
    # launches on a working day, offsets in business days: every due on a weekday, at noon
    assert all(p.launch_date.weekday() < 5 for p in history.projects)
    assert all(r.due_at.weekday() < 5 and r.due_at.hour == 12 for r in history.runs)


def test_default_people_are_two_made_up_names_per_role():
    playbook = find_playbook("product-launch")
    people = default_people(playbook)
    assert list(people) == list(playbook.roles)
    names = [p for ps in people.values() for p in ps]
    assert all(len(ps) == 2 for ps in people.values()) and len(set(names)) == len(names)


def test_impossible_requests_are_invalid():
    playbook = find_playbook("blog-post")
    with pytest.raises(Invalid) as raised:
        generate_history(playbook, 3, 1, END, people={"writer": ["wen"]})
    assert raised.value.field == "people" and "strategist" in raised.value.message
    with pytest.raises(Invalid):
        generate_history(playbook, -1, 1, END)
    assert generate_history(playbook, 0, 1, END).runs == []
