"""What the core hands the history and the early warning: the step runs each transition
ends (a finished step, a rejected approval round, a cancelled step), and the `at_risk`
message to the project manager, once per drop below the playbook's risk_alert."""

from datetime import UTC, date, datetime, timedelta

from baton.contract import CancelProject, CompleteStep, ReviewStep, StartProject
from baton.playbook import find_playbook
from baton.state import Outlook, Project, apply, note_forecast, start_project

START = datetime(2026, 11, 10, 9, tzinfo=UTC)
ROLES = {
    "strategist": "sam",
    "seo": "sia",
    "writer": "wes",
    "designer": "dee",
    "social": "sol",
    "stakeholder": "stu",
}
BLOG = find_playbook("blog-post")


def started() -> Project:
    request = StartProject(
        playbook="blog-post",
        name="Runs",
        launch_date=date(2026, 12, 15),
        assignments=ROLES,
        project_manager="pam",
    )
    return start_project(request, BLOG, {}, START).project


def walk(project: Project, *commands, step=timedelta(days=1)):
    """Apply commands a day apart; every transition's ended runs, in order."""
    now, runs = START, []
    for command in commands:
        now += step
        moved = apply(project, command, now)
        project = moved.project
        runs.extend(moved.runs)
    return project, runs


def test_a_finished_step_is_one_run_with_its_due_and_times():
    _, runs = walk(started(), CompleteStep(step_id="idea", actor="sam"))
    assert len(runs) == 1
    run = runs[0]
    assert (run.step, run.kind, run.owners, run.revision, run.outcome) == (
        "idea", "task", ["sam"], 1, "done"
    )  # fmt: skip
    assert run.project == "project-runs" and run.playbook == "blog-post"
    assert run.activated_at == START and run.finished_at == START + timedelta(days=1)
    assert run.due_at == datetime(2026, 11, 15, 17, tzinfo=UTC)  # -30d at 17:00
    assert run.cycle_days == 1 and run.on_time


def test_a_rejection_closes_the_approval_round_and_the_rework_is_a_new_run():
    _, runs = walk(
        started(),
        CompleteStep(step_id="idea", actor="sam"),
        CompleteStep(step_id="keywords", actor="sia"),
        CompleteStep(step_id="outline", actor="wes"),
        ReviewStep(step_id="approve-outline", actor="sia", approve=True),
        ReviewStep(step_id="approve-outline", actor="stu", approve=False, comment="thin"),
        CompleteStep(step_id="outline", actor="wes"),
    )
    rounds = [(r.step, r.revision) for r in runs]
    assert rounds == [
        ("idea", 1), ("keywords", 1), ("outline", 1), ("approve-outline", 1), ("outline", 2)
    ]  # fmt: skip
    approval = runs[3]
    assert approval.outcome == "done" and approval.owners == ["sia", "stu"]
    assert [(d.person, d.approve) for d in approval.reviews] == [("sia", True), ("stu", False)]
    assert approval.finished_at == START + timedelta(days=5)


def test_cancelling_ends_the_active_steps_runs_as_cancelled_and_skips_the_waiting():
    _, runs = walk(
        started(),
        CompleteStep(step_id="idea", actor="sam"),
        CancelProject(actor="pam", reason="budget"),
    )
    assert [(r.step, r.outcome) for r in runs] == [("idea", "done"), ("keywords", "cancelled")]


def outlook(p: float) -> Outlook:
    return Outlook(
        p_on_time=p, projected_finish=datetime(2026, 12, 17, 16, tzinfo=UTC),
        critical_steps=["draft"],
    )  # fmt: skip


def warnings(project: Project, *chances: float) -> list[str]:
    """The at_risk messages to the PM as the forecast moves through `chances`."""
    told = []
    for p in chances:
        noted = note_forecast(project, outlook(p), START)
        if noted is None:
            continue
        project = noted.project
        assert project.status().p_on_time == p
        told += [e.detail for e in noted.entries if e.type == "at_risk" and e.recipient == "pam"]
    return told


def test_the_pm_is_warned_once_per_drop_below_the_risk_alert():
    project = started()
    assert warnings(project, 0.9, 0.8) == []
    assert len(warnings(project, 0.6, 0.5, 0.4)) == 1  # one drop, one warning
    assert len(warnings(project, 0.6, 0.9, 0.5)) == 2  # recovered above 0.7 in between
    assert len(warnings(project, 0.6, 0.69, 0.65)) == 1  # never recovered: still one
    (detail,) = warnings(project, 0.42)
    assert detail == (
        "a 42% chance of making the publish date (Tue 2026-12-15); projected finish "
        "Thu 2026-12-17 16:00 UTC; critical: 'Write final draft'"
    )


def test_a_same_forecast_changes_nothing_and_an_ended_project_takes_none():
    project = note_forecast(started(), outlook(0.9), START).project
    assert note_forecast(project, outlook(0.9), START) is None
    cancelled = apply(project, CancelProject(actor="pam", reason="x"), START).project
    assert note_forecast(cancelled, outlook(0.1), START) is None
