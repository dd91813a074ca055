"""The project state machine (baton.state): every transition and every refusal, with the
exact messages and instants a person would see."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from baton.contract import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    LogEntry,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
)
from baton.errors import Refused
from baton.people import Person, TimeOff
from baton.playbook import Playbook, find_playbook, playbook_from_data
from baton.state import (
    Project,
    Transition,
    advance,
    apply,
    check,
    next_wake,
    refuse,
    start_project,
)

START = datetime(2026, 11, 10, 9, tzinfo=UTC)  # a Tuesday
LAUNCH = date(2026, 12, 15)
PM = "pam"
BLOG_ROLES = {
    "strategist": "sam",
    "seo": "sia",
    "writer": "wes",
    "designer": "dee",
    "social": "sol",
    "stakeholder": "stu",
}
BLOG_STEPS = [
    "idea",
    "keywords",
    "outline",
    "approve-outline",
    "draft",
    "images",
    "promote",
    "publish",
]


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------------------- helpers


def start_blog(
    people: dict[str, Person] | None = None,
    now: datetime = START,
    assignments: dict[str, str] | None = None,
    **request: Any,
) -> Transition:
    req = StartProject(
        playbook="blog-post",
        name="Launch post",
        launch_date=request.pop("launch_date", LAUNCH),
        assignments=assignments or BLOG_ROLES,
        project_manager=PM,
        **request,
    )
    return start_project(req, find_playbook("blog-post"), people or {}, now)


def make_playbook(steps: list[dict[str, Any]], **extra: Any) -> Playbook:
    """A small inline playbook; role names double as the people assigned to them. Unless
    a test is about them, it sends no reminders or follow-ups."""
    roles: dict[str, str] = {}
    for step in steps:
        for role in [step.get("owner"), *step.get("approvers", [])]:
            if role:
                roles[role] = role.title()
    quiet = {"reminders": [], "escalation": {"max": 0}}
    data = {"id": "inline", "name": "Inline", "roles": roles, "steps": steps, **quiet, **extra}
    return playbook_from_data(data)


def task(step_id: str, owner: str, *after: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "name": step_id.title(), "owner": owner, "after": list(after), **extra}


def approval(step_id: str, approvers: list[str], *after: str, **extra: Any) -> dict[str, Any]:
    step = {"id": step_id, "name": step_id.title(), "kind": "approval", "approvers": approvers}
    return {**step, "after": list(after), **extra}


def decision(step_id: str, owner: str, options: list[str], *after: str) -> dict[str, Any]:
    step = {"id": step_id, "name": step_id.title(), "kind": "decision", "owner": owner}
    return {**step, "options": options, "after": list(after)}


def when(step_id: str, option: str) -> dict[str, str]:
    return {"step": step_id, "option": option}


def start_inline(
    playbook: Playbook,
    now: datetime = START,
    launch: date | None = LAUNCH,
    people: dict[str, Person] | None = None,
    assignments: dict[str, str] | None = None,
    inputs: dict[str, Any] | None = None,
    timezone: str = "UTC",
) -> Transition:
    req = StartProject(
        playbook=playbook.id,
        name="Inline project",
        launch_date=launch,
        timezone=timezone,
        assignments=assignments or {role: role for role in playbook.roles},
        project_manager=PM,
        inputs=inputs or {},
    )
    return start_project(req, playbook, people or {}, now)


def messages(entries: list[LogEntry]) -> list[tuple[str, str | None, str | None]]:
    """(type, recipient, step) of every message, in order."""
    return [(e.type, e.recipient, e.step_id) for e in entries if e.recipient]


def happenings(entries: list[LogEntry]) -> list[tuple[str, str | None, str | None]]:
    """(type, actor, step) of everything that is not a message."""
    return [(e.type, e.actor, e.step_id) for e in entries if not e.recipient]


def sent(entries: list[LogEntry]) -> list[tuple[datetime, str, str | None, str | None]]:
    """(at, type, recipient, detail) of every reminder, follow-up and escalation."""
    kinds = ("reminder", "follow_up", "escalated")
    return [(e.at, e.type, e.recipient, e.detail) for e in entries if e.type in kinds]


def planned(project: Project, step_id: str) -> list[tuple[datetime, str, str, str]]:
    return [(a.at, a.kind, a.recipient, a.detail) for a in project.step(step_id).pending_alerts]


def refusal(project: Project, command: Command, now: datetime) -> str:
    """The reason `apply` gives, checking `check` gives the very same one."""
    with pytest.raises(Refused) as checked:
        check(project, command, now)
    with pytest.raises(Refused) as applied:
        apply(project, command, now)
    assert checked.value.reason == applied.value.reason
    return applied.value.reason


def complete(project: Project, step_id: str, actor: str, now: datetime, **extra: Any) -> Project:
    return apply(project, CompleteStep(step_id=step_id, actor=actor, **extra), now).project


def review(
    project: Project, step_id: str, actor: str, approve: bool, now: datetime, comment: str = ""
) -> Transition:
    comment = comment or (None if approve else "needs work")  # a rejection needs a reason
    command = ReviewStep(step_id=step_id, actor=actor, approve=approve, comment=comment)
    return apply(project, command, now)


def blog_at_approval() -> Project:
    """The blog post with idea, keywords and outline done on time; the approval active."""
    project = start_blog().project
    project = complete(project, "idea", "sam", utc(11, 12, 10))
    project = complete(project, "keywords", "sia", utc(11, 17, 10))
    return complete(project, "outline", "wes", utc(11, 23, 10))


def states(project: Project) -> dict[str, str]:
    return {step.id: step.state for step in project.steps}


# ---------------------------------------------------------------------------- start


def test_start_assigns_the_first_step_and_dates_every_step():
    transition = start_blog()
    project = transition.project

    assert [(e.at, e.type, e.recipient, e.step_id, e.revision) for e in transition.entries] == [
        (START, "assigned", "sam", "idea", 1)
    ]
    assert states(project) == {s: "active" if s == "idea" else "waiting" for s in BLOG_STEPS}
    assert project.state == "active"
    assert project.step("idea").started_at == START
    assert project.step("idea").owners == ["sam"]
    assert project.step("approve-outline").owners == ["sia", "stu"]
    assert project.step("approve-outline").required_approvals == 2
    assert project.step("idea").due == utc(11, 15, 17)  # -30d at 17:00
    assert project.step("approve-outline").due == utc(11, 30, 17)  # -15d
    assert project.step("publish").due == utc(12, 15, 17)  # the publish date itself
    assert project.log == transition.entries
    assert project.active_owners == ["sam"]


def test_start_in_a_project_time_zone_puts_deadlines_at_local_due_time():
    project = start_blog(timezone="America/New_York").project
    # 17:00 in New York in November (EST, UTC-5) is 22:00 UTC.
    assert project.step("idea").due == utc(11, 15, 22)
    assert project.step("publish").due == utc(12, 15, 22)


def test_start_with_only_a_start_date_places_the_launch_after_the_first_estimate():
    project = start_blog(launch_date=None, start_date=date(2026, 11, 10)).project
    # The first step (idea, -30d) gets its 2d estimate after the start.
    assert project.step("idea").due == utc(11, 12, 17)
    assert project.launch_date == date(2026, 12, 12)


def test_start_refuses_a_launch_date_in_the_past():
    with pytest.raises(Refused) as info:
        start_blog(launch_date=date(2026, 11, 1))
    assert info.value.reason == "the launch date 2026-11-01 is in the past (today is 2026-11-10)"


def test_start_refuses_a_missing_role():
    roles = {k: v for k, v in BLOG_ROLES.items() if k != "designer"}
    with pytest.raises(Refused) as info:
        start_blog(assignments=roles)
    assert info.value.reason == (
        "assign someone to every role of 'blog-post'; missing: designer (Graphic designer)"
    )


def test_start_refuses_a_dated_playbook_without_launch_or_start_date():
    with pytest.raises(Refused) as info:
        start_blog(launch_date=None)
    assert info.value.reason == "give a launch date (publish date) or a start date"


# ---------------------------------------------------------------------------- complete


def test_owner_completes_a_task_and_the_next_owner_is_assigned_at_once():
    project = start_blog().project
    now = utc(11, 12, 10)
    transition = apply(
        project, CompleteStep(step_id="idea", actor="sam", note="AI myths", link="http://x"), now
    )
    after = transition.project

    assert [(e.type, e.actor, e.recipient, e.step_id, e.detail) for e in transition.entries] == [
        ("completed", "sam", None, "idea", "AI myths"),
        ("assigned", None, "sia", "keywords", None),
    ]
    assert all(e.at == now for e in transition.entries)
    idea = after.step("idea")
    assert (idea.state, idea.finished_at, idea.pending_alerts) == ("done", now, [])
    assert [(n.actor, n.text, n.link) for n in idea.notes] == [("sam", "AI myths", "http://x")]
    assert after.step("keywords").state == "active"
    assert after.step("keywords").started_at == now
    # The project passed in is left as it was.
    assert project.step("idea").state == "active"
    assert project.log == start_blog().entries


def test_project_manager_may_complete_any_step():
    project = start_blog().project
    transition = apply(project, CompleteStep(step_id="idea", actor=PM), utc(11, 11, 10))
    assert happenings(transition.entries) == [("completed", PM, "idea")]
    assert transition.project.step("idea").state == "done"


def test_someone_else_may_not_complete_a_step_and_is_told_who_may():
    project = start_blog().project
    reason = refusal(project, CompleteStep(step_id="idea", actor="zed"), utc(11, 11))
    assert reason == "zed may not complete 'idea': only sam (owner) or pam (project manager) may"


def test_unknown_step_is_refused_with_the_known_steps():
    project = start_blog().project
    reason = refusal(project, CompleteStep(step_id="nope", actor="sam"), utc(11, 11))
    assert reason == f"unknown step 'nope'; steps are: {', '.join(BLOG_STEPS)}"


def test_a_waiting_step_is_refused_saying_what_it_waits_for():
    project = start_blog().project
    reason = refusal(project, CompleteStep(step_id="keywords", actor="sia"), utc(11, 11))
    assert reason == "step 'keywords' is not active yet: it waits for 'idea' (sam)"
    approval = refusal(
        project, ReviewStep(step_id="approve-outline", actor="sia", approve=True), utc(11, 11)
    )
    assert approval == "step 'approve-outline' is not active yet: it waits for 'outline' (wes)"


def test_a_done_step_is_refused():
    project = complete(start_blog().project, "idea", "sam", utc(11, 11))
    reason = refusal(project, CompleteStep(step_id="idea", actor="sam"), utc(11, 11, 1))
    assert reason == "step 'idea' is already done"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            CompleteStep(step_id="approve-outline", actor="sia"),
            "'approve-outline' is an approval step; review it instead of completing it",
        ),
        (
            ReviewStep(step_id="idea", actor="sam", approve=True),
            "'idea' is a task step; complete it instead of reviewing it",
        ),
        (
            ChooseOption(step_id="idea", actor="sam", option="x"),
            "'idea' is a task step; complete it instead of choosing an option",
        ),
    ],
)
def test_the_wrong_action_for_a_step_kind_says_which_action_to_use(command, reason):
    assert refusal(start_blog().project, command, utc(11, 11)) == reason


def test_completing_a_decision_says_to_choose_it():
    playbook = make_playbook([decision("pick", "ann", ["a", "b"])])
    project = start_inline(playbook).project
    reason = refusal(project, CompleteStep(step_id="pick", actor="ann"), utc(11, 11))
    assert reason == "'pick' is a decision step; choose it instead of completing it"


def test_refuse_records_a_refused_signal_in_the_log_and_changes_nothing_else():
    project = start_blog().project
    command = CompleteStep(step_id="idea", actor="zed")
    transition = refuse(project, command, "zed may not complete 'idea'", utc(11, 11))
    assert [(e.type, e.actor, e.step_id, e.detail, e.at) for e in transition.entries] == [
        ("refused", "zed", "idea", "zed may not complete 'idea'", utc(11, 11))
    ]
    assert states(transition.project) == states(project)
    assert transition.project.log[-1] == transition.entries[-1]


# ---------------------------------------------------------------------------- the clock


def test_reminders_follow_ups_and_escalations_at_their_shifted_instants():
    """idea is due Sunday 15 Nov 17:00. The 48h reminder (Fri 17:00, the end of the day
    counts) stays; the 24h one (Sat) moves to Monday 09:00, where it meets follow-up 1
    (Sun 21:00 -> Mon 09:00) and the follow-up wins. From follow-up 2 the PM hears too."""
    project = start_blog().project
    assert next_wake(project) == utc(11, 13, 17)

    transition = advance(project, utc(11, 25))

    assert sent(transition.entries) == [
        (utc(11, 13, 17), "reminder", "sam", "48h before"),
        (utc(11, 16, 9), "follow_up", "sam", "follow-up 1 of 3"),
        (utc(11, 17, 9), "follow_up", "sam", "follow-up 2 of 3"),
        (utc(11, 17, 9), "escalated", PM, "follow-up 2 of 3"),
        (utc(11, 18, 9), "follow_up", "sam", "follow-up 3 of 3"),
        (utc(11, 18, 9), "escalated", PM, "follow-up 3 of 3"),
    ]
    assert all(e.step_id == "idea" and e.revision == 1 for e in transition.entries)
    idea = transition.project.step("idea")
    assert (idea.reminders_sent, idea.follow_ups_sent, idea.escalations_sent) == (1, 3, 2)
    assert idea.overdue and transition.project.overdue
    # The limit is reached: nothing more to send, nothing to wake up for.
    assert next_wake(transition.project) is None
    assert advance(transition.project, utc(12, 31)).entries == []


def test_advance_sends_only_what_is_due_and_wakes_for_the_next_one():
    project = start_blog().project
    first = advance(project, utc(11, 14))
    assert sent(first.entries) == [(utc(11, 13, 17), "reminder", "sam", "48h before")]
    assert not first.project.step("idea").overdue
    # The due instant sends nothing, so nothing wakes for it: the next wake-up is the
    # first follow-up (4h after, shifted into working hours). A reader sees the step
    # overdue from its due; the next transition records it.
    assert next_wake(first.project) == utc(11, 16, 9)
    assert first.project.next_wake_at == utc(11, 16, 9)
    assert next_wake(first.project, dues=True) == utc(11, 15, 17)  # runs from before
    assert not first.project.status().as_of(utc(11, 15, 16)).step("idea").overdue
    assert first.project.status().as_of(utc(11, 15, 17)).step("idea").overdue
    second = advance(first.project, utc(11, 15, 17))
    assert second.entries == []
    assert second.project.step("idea").overdue
    assert next_wake(second.project) == utc(11, 16, 9)


def test_nothing_is_sent_for_a_finished_step():
    project = start_blog().project
    project = complete(project, "idea", "sam", utc(11, 13, 18))
    transition = advance(project, utc(11, 20, 12))
    # Only keywords (due Fri 20 Nov 17:00) reminds; idea says nothing any more.
    assert sent(transition.entries) == [
        (utc(11, 18, 17), "reminder", "sia", "48h before"),
        (utc(11, 19, 17), "reminder", "sia", "24h before"),
    ]
    assert {e.step_id for e in transition.entries} == {"keywords"}


def test_reminders_already_past_at_activation_are_not_sent():
    project = start_blog().project
    project = complete(project, "idea", "sam", utc(11, 19, 10))  # keywords due 20 Nov 17:00
    assert planned(project, "keywords")[0] == (utc(11, 19, 17), "reminder", "sia", "24h before")
    transition = advance(project, utc(11, 20, 17))
    assert sent(transition.entries) == [(utc(11, 19, 17), "reminder", "sia", "24h before")]


def test_a_step_activated_after_its_due_is_overdue_at_once_and_counts_from_activation():
    project = start_blog().project
    now = utc(11, 24, 10)  # keywords was due Fri 20 Nov 17:00
    project = complete(project, "idea", PM, now)
    keywords = project.step("keywords")
    assert keywords.overdue and project.overdue
    assert planned(project, "keywords") == [
        (utc(11, 24, 14), "follow_up", "sia", "follow-up 1 of 3"),
        (utc(11, 25, 14), "follow_up", "sia", "follow-up 2 of 3"),
        (utc(11, 25, 14), "escalated", PM, "follow-up 2 of 3"),
        (utc(11, 26, 14), "follow_up", "sia", "follow-up 3 of 3"),
        (utc(11, 26, 14), "escalated", PM, "follow-up 3 of 3"),
    ]
    assert next_wake(project) == utc(11, 24, 14)


def quiet_playbook(due_time: str = "17:00", reminders: list[str] | None = None, **extra: Any):
    return make_playbook(
        [task("work", "ann", due="0d")],
        due_time=due_time,
        reminders=reminders if reminders is not None else ["48h", "24h"],
        **extra,
    )


def test_weekend_reminders_move_to_monday_morning_and_collapse_into_one():
    """Due Monday 30 Nov 17:00: the 48h (Sat) and 24h (Sun) reminders both move to Monday
    09:00 and go out once, as the later (24h) one."""
    playbook = quiet_playbook(escalation={"max": 0})
    project = start_inline(playbook, now=utc(11, 23, 9), launch=date(2026, 11, 30)).project
    assert planned(project, "work") == [(utc(11, 30, 9), "reminder", "ann", "24h before")]
    assert project.step("work").pending_alerts[0].nominal == utc(11, 29, 17)

    transition = advance(project, utc(11, 30, 12))
    assert sent(transition.entries) == [(utc(11, 30, 9), "reminder", "ann", "24h before")]
    assert transition.project.step("work").reminders_sent == 1


@pytest.mark.parametrize(
    ("due_time", "reminder_at"),
    [
        ("08:59", utc(11, 24, 9)),  # before the day starts: moved to its start
        ("09:00", utc(11, 24, 9)),  # the start of the day is inside it
        ("17:00", utc(11, 24, 17)),  # so is the end
        ("17:01", utc(11, 25, 9)),  # after the end: the next morning
    ],
)
def test_quiet_hours_include_both_ends_of_the_working_day(due_time, reminder_at):
    playbook = quiet_playbook(due_time, ["24h"], escalation={"max": 0})
    project = start_inline(playbook, now=utc(11, 23, 9), launch=date(2026, 11, 25)).project
    assert [a[0] for a in planned(project, "work")] == [reminder_at]


def test_alerts_follow_each_recipients_own_time_zone():
    """Due Wed 25 Nov 10:00 UTC. Ann (UTC) is reminded at 10:00 UTC; Nia in New York,
    where that is 05:00, at her 09:00 (14:00 UTC); the PM in Tokyo gets escalations at
    09:00 Tokyo time (00:00 UTC)."""
    playbook = make_playbook(
        [task("a", "ann", due="0d"), task("n", "nia", due="0d")],
        due_time="10:00",
        reminders=["24h"],
        escalation={"after": "4h", "repeat": "24h", "max": 2},
    )
    people = {
        "nia": Person(id="nia", timezone="America/New_York"),
        PM: Person(id=PM, timezone="Asia/Tokyo"),
    }
    project = start_inline(playbook, now=utc(11, 23, 9), launch=date(2026, 11, 25), people=people)
    transition = advance(project.project, utc(11, 30))
    by_step = {
        step: sent([e for e in transition.entries if e.step_id == step]) for step in ("a", "n")
    }
    assert by_step["a"] == [
        (utc(11, 24, 10), "reminder", "ann", "24h before"),
        (utc(11, 25, 14), "follow_up", "ann", "follow-up 1 of 2"),
        (utc(11, 26, 14), "follow_up", "ann", "follow-up 2 of 2"),
        # 14:00 UTC is 23:00 in Tokyo: the PM hears at 09:00 Tokyo the next day.
        (utc(11, 27, 0), "escalated", PM, "follow-up 2 of 2"),
    ]
    assert by_step["n"] == [
        (utc(11, 24, 14), "reminder", "nia", "24h before"),
        (utc(11, 25, 14), "follow_up", "nia", "follow-up 1 of 2"),  # 09:00 in New York
        (utc(11, 26, 14), "follow_up", "nia", "follow-up 2 of 2"),
        (utc(11, 27, 0), "escalated", PM, "follow-up 2 of 2"),
    ]
    # Log times never go backwards, even with alerts of several steps interleaved.
    ats = [e.at for e in transition.project.log]
    assert ats == sorted(ats)


def test_escalation_limit_and_repeat_come_from_the_playbook():
    escalation = {"after": "1h", "repeat": "2h", "max": 4}
    playbook = quiet_playbook("10:00", reminders=[], escalation=escalation)
    # Due Wed 25 Nov 10:00; working hours keep every follow-up where it is.
    project = start_inline(playbook, now=utc(11, 23, 9), launch=date(2026, 11, 25)).project
    assert planned(project, "work") == [
        (utc(11, 25, 11), "follow_up", "ann", "follow-up 1 of 4"),
        (utc(11, 25, 13), "follow_up", "ann", "follow-up 2 of 4"),
        (utc(11, 25, 13), "escalated", PM, "follow-up 2 of 4"),
        (utc(11, 25, 15), "follow_up", "ann", "follow-up 3 of 4"),
        (utc(11, 25, 15), "escalated", PM, "follow-up 3 of 4"),
        (utc(11, 25, 17), "follow_up", "ann", "follow-up 4 of 4"),
        (utc(11, 25, 17), "escalated", PM, "follow-up 4 of 4"),
    ]


def test_a_pm_who_owns_the_late_step_gets_one_escalation_not_two_messages():
    playbook = quiet_playbook(reminders=[], escalation={"after": "4h", "repeat": "24h", "max": 2})
    project = start_inline(
        playbook, now=utc(11, 23, 9), launch=date(2026, 11, 24), assignments={"ann": PM}
    ).project
    assert planned(project, "work") == [
        (utc(11, 25, 9), "follow_up", PM, "follow-up 1 of 2"),
        (utc(11, 26, 9), "escalated", PM, "follow-up 2 of 2"),
    ]


# ---------------------------------------------------------------------------- approvals


def test_approval_asks_every_approver_and_is_approved_when_all_approve():
    project = start_blog().project
    project = complete(project, "idea", "sam", utc(11, 12, 10))
    project = complete(project, "keywords", "sia", utc(11, 17, 10))
    transition = apply(project, CompleteStep(step_id="outline", actor="wes"), utc(11, 23, 10))
    assert messages(transition.entries) == [
        ("review_requested", "sia", "approve-outline"),
        ("review_requested", "stu", "approve-outline"),
    ]
    project = transition.project

    first = review(project, "approve-outline", "sia", True, utc(11, 24, 10), "fine")
    step = first.project.step("approve-outline")
    assert [(e.type, e.actor, e.detail) for e in first.entries] == [("approved", "sia", "fine")]
    assert step.state == "active"
    assert [(r.actor, r.approve, r.comment) for r in step.approvals] == [("sia", True, "fine")]
    # Only the approver still to review is reminded from now on.
    assert {a.recipient for a in step.pending_alerts} <= {"stu", PM}
    assert "stu" in {a.recipient for a in step.pending_alerts}
    assert first.project.active_owners == ["stu"]

    second = review(first.project, "approve-outline", "stu", True, utc(11, 24, 11))
    assert [(e.type, e.actor, e.recipient, e.step_id) for e in second.entries] == [
        ("approved", "stu", None, "approve-outline"),
        ("assigned", None, "wes", "draft"),
    ]
    assert second.project.step("approve-outline").state == "done"


def test_reviewing_twice_in_one_round_is_refused():
    project = review(blog_at_approval(), "approve-outline", "sia", True, utc(11, 24)).project
    command = ReviewStep(step_id="approve-outline", actor="sia", approve=False, comment="no")
    reason = refusal(project, command, utc(11, 24, 1))
    assert reason == "sia has already reviewed 'approve-outline' in this round (revision 1)"


def test_someone_else_may_not_review_and_is_told_the_approvers():
    command = ReviewStep(step_id="approve-outline", actor="wes", approve=True)
    reason = refusal(blog_at_approval(), command, utc(11, 24))
    assert reason == (
        "wes may not review 'approve-outline': only sia or stu (approver) or pam "
        "(project manager) may"
    )


def test_rejection_sends_the_work_back_and_asks_every_approver_again():
    project = review(blog_at_approval(), "approve-outline", "sia", True, utc(11, 24, 10)).project
    now = utc(11, 24, 11)
    transition = review(project, "approve-outline", "stu", False, now, "Needs a hook")
    after = transition.project

    assert [
        (e.type, e.actor, e.recipient, e.step_id, e.detail, e.revision) for e in transition.entries
    ] == [
        ("rejected", "stu", None, "approve-outline", "Needs a hook", 1),
        ("rework", "stu", "wes", "outline", "Needs a hook", 2),  # names the reviewer
    ]
    outline, approval = after.step("outline"), after.step("approve-outline")
    assert (outline.state, outline.revision, outline.started_at) == ("active", 2, now)
    assert (approval.state, approval.revision, approval.approvals) == ("waiting", 2, [])
    assert approval.pending_alerts == []
    # Steps before on_reject keep their revision; the rest never ran.
    assert after.step("keywords").revision == 1
    assert after.step("draft").revision == 1 and after.step("draft").state == "waiting"
    # outline (due 25 Nov 17:00) is not late yet: it is reminded again from now on.
    assert outline.due == utc(11, 25, 17)
    assert planned(after, "outline")[0] == (utc(11, 24, 17), "reminder", "wes", "24h before")

    again = apply(after, CompleteStep(step_id="outline", actor="wes"), utc(11, 24, 16))
    assert messages(again.entries) == [
        ("review_requested", "sia", "approve-outline"),
        ("review_requested", "stu", "approve-outline"),
    ]
    assert all(e.revision == 2 for e in again.entries)
    # sia's earlier approval was cleared: she reviews again in revision 2.
    second_round = review(again.project, "approve-outline", "sia", True, utc(11, 24, 16, 30))
    assert [r.actor for r in second_round.project.step("approve-outline").approvals] == ["sia"]


def test_a_pm_who_is_not_an_approver_decides_an_approval_outright():
    approved = review(blog_at_approval(), "approve-outline", PM, True, utc(11, 24))
    assert approved.project.step("approve-outline").state == "done"
    assert approved.project.step("draft").state == "active"

    rejected = review(blog_at_approval(), "approve-outline", PM, False, utc(11, 24), "No")
    assert rejected.project.step("outline").state == "active"
    assert rejected.project.step("outline").revision == 2
    assert messages(rejected.entries) == [("rework", "wes", "outline")]


def quorum_playbook(policy: Any, approvers: list[str]) -> Playbook:
    return make_playbook(
        [
            task("brief", "ann"),
            approval("ok", approvers, "brief", policy=policy, on_reject="brief"),
            task("ship", "ann", "ok"),
        ]
    )


def at_quorum(policy: Any, approvers: list[str] | None = None, **kw: Any) -> Project:
    playbook = quorum_playbook(policy, approvers or ["rob", "ron", "ray"])
    project = start_inline(playbook, **kw).project
    return complete(project, "brief", "ann", utc(11, 10, 10))


def test_quorum_is_approved_with_enough_approvals_without_waiting_for_the_rest():
    project = at_quorum(2)
    assert project.step("ok").required_approvals == 2
    project = review(project, "ok", "rob", True, utc(11, 10, 11)).project
    transition = review(project, "ok", "ray", True, utc(11, 10, 12))
    assert transition.project.step("ok").state == "done"
    assert transition.project.step("ok").pending_alerts == []
    assert messages(transition.entries) == [("assigned", "ann", "ship")]


def test_quorum_rejects_only_once_the_quorum_can_no_longer_be_reached():
    project = at_quorum(2)
    project = review(project, "ok", "rob", True, utc(11, 10, 11)).project
    still_open = review(project, "ok", "ron", False, utc(11, 10, 12))
    assert still_open.project.step("ok").state == "active"  # 1 approval + ray could make 2
    rejected = review(still_open.project, "ok", "ray", False, utc(11, 10, 13), "not yet")
    assert rejected.project.step("brief").state == "active"
    assert rejected.project.step("ok").revision == 2
    assert messages(rejected.entries) == [("rework", "ann", "brief")]


def test_quorum_is_capped_at_the_number_of_distinct_approvers():
    # Three approver roles but only two people: a quorum of 3 needs both of them.
    project = at_quorum(3, assignments={"ann": "ann", "rob": "rob", "ron": "rob", "ray": "ray"})
    step = project.step("ok")
    assert (step.owners, step.required_approvals) == (["rob", "ray"], 2)
    project = review(project, "ok", "rob", True, utc(11, 10, 11)).project
    assert review(project, "ok", "ray", True, utc(11, 10, 12)).project.step("ok").state == "done"


def test_policy_all_is_capped_too_and_rejected_by_any_no():
    project = at_quorum("all", assignments={"ann": "ann", "rob": "rob", "ron": "rob", "ray": "ray"})
    assert project.step("ok").required_approvals == 2
    rejected = review(project, "ok", "ray", False, utc(11, 10, 11))
    assert rejected.project.step("ok").state == "waiting"
    assert rejected.project.step("brief").state == "active"


def test_policy_any_needs_one_approval_and_rejects_only_when_everyone_said_no():
    project = at_quorum("any", ["rob", "ron"])
    assert project.step("ok").required_approvals == 1
    no = review(project, "ok", "rob", False, utc(11, 10, 11)).project
    assert no.step("ok").state == "active"
    yes = review(no, "ok", "ron", True, utc(11, 10, 12)).project
    assert yes.step("ok").state == "done"

    both_no = review(no, "ok", "ron", False, utc(11, 10, 12)).project
    assert both_no.step("ok").state == "waiting"
    assert both_no.step("brief").state == "active"


def test_rework_reruns_every_step_between_with_revision_counts():
    playbook = make_playbook(
        [
            task("plan", "ann"),
            task("write", "ben", "plan"),
            task("side", "cat", "plan"),
            task("edit", "cat", "write"),
            approval("ok", ["dan"], "edit", "side", on_reject="write"),
            task("ship", "ann", "ok"),
        ]
    )
    project = start_inline(playbook).project
    now = utc(11, 10, 10)
    for step_id, owner in [("plan", "ann"), ("write", "ben"), ("side", "cat"), ("edit", "cat")]:
        project = complete(project, step_id, owner, now)

    rejected = review(project, "ok", "dan", False, utc(11, 11, 10), "tone")
    project = rejected.project
    revisions = {s.id: s.revision for s in project.steps}
    assert revisions == {"plan": 1, "write": 2, "side": 1, "edit": 2, "ok": 2, "ship": 1}
    assert states(project) == {
        "plan": "done",
        "write": "active",
        "side": "done",
        "edit": "waiting",
        "ok": "waiting",
        "ship": "waiting",
    }
    assert messages(rejected.entries) == [("rework", "ben", "write")]

    rerun = apply(project, CompleteStep(step_id="write", actor="ben"), utc(11, 12, 10))
    # The steps between are plainly assigned again (only on_reject gets the rework notice).
    assert [(e.type, e.recipient, e.step_id, e.revision) for e in rerun.entries] == [
        ("completed", None, "write", 2),
        ("assigned", "cat", "edit", 2),
    ]
    project = complete(rerun.project, "edit", "cat", utc(11, 12, 11))
    assert project.step("ok").state == "active"
    project = review(project, "ok", "dan", False, utc(11, 13, 10)).project
    assert {s.id: s.revision for s in project.steps}["write"] == 3
    # The rework notice names who sent it back and why.
    notice = project.log[-1]
    assert (notice.type, notice.actor, notice.detail) == ("rework", "dan", "needs work")


def test_rejection_without_on_reject_reruns_the_approvals_predecessors():
    playbook = make_playbook([task("draft", "ann"), approval("ok", ["dan"], "draft")])
    project = complete(start_inline(playbook).project, "draft", "ann", utc(11, 10, 10))
    rejected = review(project, "ok", "dan", False, utc(11, 10, 11), "redo")
    assert messages(rejected.entries) == [("rework", "ann", "draft")]
    assert rejected.project.step("draft").revision == 2


def test_rework_of_a_late_step_is_overdue_at_once_and_follows_up_from_reactivation():
    project = blog_at_approval()
    now = utc(12, 1, 10)  # outline was due 25 Nov
    rejected = review(project, "approve-outline", "sia", False, now, "again").project
    outline = rejected.step("outline")
    assert outline.overdue
    assert planned(rejected, "outline")[0] == (
        utc(12, 1, 14),
        "follow_up",
        "wes",
        "follow-up 1 of 3",
    )
    assert all(a.kind != "reminder" for a in outline.pending_alerts)


# ---------------------------------------------------------------------------- decisions


def branching_playbook() -> Playbook:
    return make_playbook(
        [
            decision("pick", "ann", ["video", "post"]),
            task("film", "ben", "pick", when=when("pick", "video")),
            task("write", "cat", "pick", when=when("pick", "post")),
            task("launch", "ann", "film", "write"),
        ]
    )


def test_choosing_an_option_runs_its_branch_and_skips_the_other():
    project = start_inline(branching_playbook()).project
    now = utc(11, 11, 10)
    transition = apply(project, ChooseOption(step_id="pick", actor="ann", option="video"), now)
    assert [(e.type, e.actor, e.recipient, e.step_id, e.detail) for e in transition.entries] == [
        ("chosen", "ann", None, "pick", "video"),
        ("assigned", None, "ben", "film", None),
        ("skipped", None, None, "write", "'pick' chose 'video', not 'post'"),
    ]
    project = transition.project
    assert project.step("pick").option == "video"
    assert (project.step("write").state, project.step("write").skipped_reason) == (
        "skipped",
        "'pick' chose 'video', not 'post'",
    )
    # The skipped branch counts as done: launch waits only for the film.
    reason = refusal(project, CompleteStep(step_id="launch", actor="ann"), now)
    assert reason == "step 'launch' is not active yet: it waits for 'film' (ben)"
    done = apply(project, CompleteStep(step_id="film", actor="ben"), utc(11, 12, 10))
    assert messages(done.entries) == [("assigned", "ann", "launch")]


def test_choosing_an_option_not_offered_is_refused():
    project = start_inline(branching_playbook()).project
    command = ChooseOption(step_id="pick", actor="ann", option="tiktok")
    assert refusal(project, command, utc(11, 11)) == (
        "'tiktok' is not an option of 'pick'; options are: video, post"
    )


def test_someone_else_may_not_choose():
    project = start_inline(branching_playbook()).project
    command = ChooseOption(step_id="pick", actor="ben", option="video")
    assert refusal(project, command, utc(11, 11)) == (
        "ben may not choose for 'pick': only ann (owner) or pam (project manager) may"
    )


def test_the_pm_may_choose_and_a_skipped_step_cannot_be_acted_on():
    project = start_inline(branching_playbook()).project
    command = ChooseOption(step_id="pick", actor=PM, option="post")
    project = apply(project, command, utc(11, 11)).project
    assert project.step("write").state == "active"
    assert refusal(project, CompleteStep(step_id="film", actor="ben"), utc(11, 11)) == (
        "step 'film' is already skipped"
    )
    reassign = ReassignStep(step_id="film", actor=PM, to="zed")
    assert refusal(project, reassign, utc(11, 11)) == (
        "step 'film' is already skipped; there is nothing to hand over"
    )


def test_a_branch_on_a_skipped_decision_is_skipped_too():
    playbook = make_playbook(
        [
            task("plan", "ann"),
            {**decision("pick", "ben", ["a", "b"], "plan"), "when": {"input": "flag"}},
            task("extra", "cat", "pick", when=when("pick", "a")),
            task("end", "ann", "extra"),
        ],
        inputs={"flag": {"default": False}},
    )
    project = start_inline(playbook).project
    transition = apply(project, CompleteStep(step_id="plan", actor="ann"), utc(11, 11))
    assert [(e.type, e.step_id, e.detail) for e in transition.entries[1:]] == [
        ("skipped", "pick", "input 'flag' is not set"),
        ("skipped", "extra", "'pick' was skipped, so option 'a' was not chosen"),
        ("assigned", "end", None),
    ]


def input_playbook() -> Playbook:
    return make_playbook(
        [
            task("plan", "ann"),
            task("video", "ben", "plan", when={"input": "include_video"}),
            task("gold", "cat", "plan", when={"input": "tier", "equals": "gold"}),
        ],
        inputs={"include_video": {"default": False}, "tier": {"default": "silver"}},
    )


def test_input_conditions_skip_steps_when_false():
    project = start_inline(input_playbook()).project
    transition = apply(project, CompleteStep(step_id="plan", actor="ann"), utc(11, 11))
    assert [(e.type, e.step_id, e.detail) for e in transition.entries] == [
        ("completed", "plan", None),
        ("skipped", "video", "input 'include_video' is not set"),
        ("skipped", "gold", "input 'tier' is not 'gold'"),
        ("project_completed", None, None),
        ("summary", None, "1 steps done, 0 late, 2 skipped"),
    ]


def test_input_conditions_run_steps_when_true():
    inputs = {"include_video": True, "tier": "gold"}
    project = start_inline(input_playbook(), inputs=inputs).project
    transition = apply(project, CompleteStep(step_id="plan", actor="ann"), utc(11, 11))
    assert messages(transition.entries) == [
        ("assigned", "ben", "video"),
        ("assigned", "cat", "gold"),
    ]


# ---------------------------------------------------------------------------- branches


def test_parallel_branches_run_at_once_and_the_join_waits_for_both():
    playbook = make_playbook(
        [
            task("kickoff", "ann"),
            task("left", "ben", "kickoff"),
            task("right", "cat", "kickoff"),
            task("join", "ann", "left", "right"),
        ]
    )
    project = start_inline(playbook).project
    first = apply(project, CompleteStep(step_id="kickoff", actor="ann"), utc(11, 10, 10))
    assert messages(first.entries) == [("assigned", "ben", "left"), ("assigned", "cat", "right")]
    assert first.project.active_owners == ["ben", "cat"]

    one = apply(first.project, CompleteStep(step_id="right", actor="cat"), utc(11, 10, 11))
    assert messages(one.entries) == []
    assert one.project.step("join").state == "waiting"
    assert refusal(one.project, CompleteStep(step_id="join", actor="ann"), utc(11, 10, 11)) == (
        "step 'join' is not active yet: it waits for 'left' (ben)"
    )
    both = apply(one.project, CompleteStep(step_id="left", actor="ben"), utc(11, 10, 12))
    assert messages(both.entries) == [("assigned", "ann", "join")]


def test_forward_scheduling_counts_from_activation():
    playbook = make_playbook(
        [
            task("one", "ann", estimate="3d"),
            task("two", "ben", "one", estimate="4h"),
            task("three", "ann", "two"),
        ],
        default_estimate="1d",
    )
    project = start_inline(playbook, launch=None).project
    assert project.launch_date is None
    # Whole days land on due_time of the day reached.
    assert project.step("one").due == utc(11, 13, 17)
    assert project.step("two").due is None  # not active yet: no due
    project = complete(project, "one", "ann", utc(11, 12, 10, 30))
    assert project.step("two").due == utc(11, 12, 14, 30)  # shorter estimates are exact
    assert next_wake(project, dues=True) == utc(11, 12, 14, 30)
    project = complete(project, "two", "ben", utc(11, 12, 12))
    assert project.step("three").due == utc(11, 13, 17)  # the playbook default (1d)


# ---------------------------------------------------------------------------- reassign


def test_the_owner_hands_a_step_to_someone_else():
    project = start_blog().project
    transition = apply(project, ReassignStep(step_id="idea", actor="sam", to="tom"), utc(11, 11))
    assert [(e.type, e.actor, e.recipient, e.detail) for e in transition.entries] == [
        ("reassigned", "sam", None, "sam -> tom"),
        ("assigned", "sam", "tom", None),
    ]
    idea = transition.project.step("idea")
    assert idea.owners == ["tom"]
    assert {a.recipient for a in idea.pending_alerts} == {"tom", PM}
    assert transition.project.active_owners == ["tom"]
    # tom now completes it; sam no longer may.
    assert refusal(transition.project, CompleteStep(step_id="idea", actor="sam"), utc(11, 11)) == (
        "sam may not complete 'idea': only tom (owner) or pam (project manager) may"
    )
    assert complete(transition.project, "idea", "tom", utc(11, 12)).step("idea").state == "done"


def test_the_pm_hands_a_step_over_and_the_old_owner_is_told():
    project = start_blog().project
    transition = apply(project, ReassignStep(step_id="idea", actor=PM, to="tom"), utc(11, 11))
    assert [(e.type, e.actor, e.recipient, e.detail) for e in transition.entries] == [
        ("reassigned", PM, None, "sam -> tom"),
        ("reassigned", PM, "sam", "to tom"),
        ("assigned", PM, "tom", None),
    ]


def test_pending_alerts_move_to_the_new_owner_in_their_hours():
    people = {"nia": Person(id="nia", timezone="America/New_York")}
    project = start_blog(people=people).project
    project = apply(
        project, ReassignStep(step_id="idea", actor="sam", to="nia"), utc(11, 11)
    ).project
    assert planned(project, "idea") == [
        (utc(11, 13, 17), "reminder", "nia", "48h before"),  # 12:00 in New York: kept
        # Sun 21:00 UTC is Sunday in New York too: Monday 09:00 EST (14:00 UTC).
        (utc(11, 16, 14), "follow_up", "nia", "follow-up 1 of 3"),
        # For sam these waited for Monday 09:00 UTC; 21:00 UTC is 16:00 in New York.
        (utc(11, 16, 21), "follow_up", "nia", "follow-up 2 of 3"),
        (utc(11, 17, 9), "escalated", PM, "follow-up 2 of 3"),  # the PM's stay as they were
        (utc(11, 17, 21), "follow_up", "nia", "follow-up 3 of 3"),
        (utc(11, 18, 9), "escalated", PM, "follow-up 3 of 3"),
    ]


def test_alerts_moved_to_the_new_owner_that_meet_go_out_once():
    """Ann works every day, so her Saturday and Sunday reminders stand; for Ben (Mon-Fri)
    both move to Monday 09:00, and he gets one message there, not two."""
    playbook = quiet_playbook(escalation={"max": 0})
    people = {"ann": Person(id="ann", working_days="mon-sun")}
    project = start_inline(playbook, now=utc(11, 23, 9), launch=date(2026, 11, 30), people=people)
    assert [a[0] for a in planned(project.project, "work")] == [utc(11, 28, 17), utc(11, 29, 17)]
    command = ReassignStep(step_id="work", actor="ann", to="ben")
    moved = apply(project.project, command, utc(11, 23, 10)).project
    assert planned(moved, "work") == [(utc(11, 30, 9), "reminder", "ben", "24h before")]


def test_a_pm_handing_over_their_own_late_step_keeps_the_escalations():
    playbook = quiet_playbook(reminders=[], escalation={"after": "4h", "repeat": "24h", "max": 3})
    project = start_inline(
        playbook, now=utc(11, 23, 9), launch=date(2026, 11, 24), assignments={"ann": PM}
    ).project
    command = ReassignStep(step_id="work", actor=PM, to="ben")
    moved = apply(project, command, utc(11, 24, 10)).project
    assert planned(moved, "work") == [
        (utc(11, 25, 9), "follow_up", "ben", "follow-up 1 of 3"),
        (utc(11, 26, 9), "follow_up", "ben", "follow-up 2 of 3"),
        (utc(11, 26, 9), "escalated", PM, "follow-up 2 of 3"),
        (utc(11, 27, 9), "follow_up", "ben", "follow-up 3 of 3"),
        (utc(11, 27, 9), "escalated", PM, "follow-up 3 of 3"),
    ]


def test_a_reminder_held_for_an_absent_owner_goes_to_the_new_owner_now_not_in_the_past():
    """Ann is off Monday and Tuesday, so her Monday 17:00 reminder waits for Wednesday.
    Handed to Ben on Tuesday, it is due at once: not back on Monday, not on Wednesday."""
    playbook = quiet_playbook(reminders=["48h"], escalation={"max": 0})
    people = {"ann": away("ann", None, date(2026, 11, 23), date(2026, 11, 24))}
    project = start_inline(playbook, now=utc(11, 20, 9), launch=date(2026, 11, 25), people=people)
    assert planned(project.project, "work") == [(utc(11, 25, 9), "reminder", "ann", "48h before")]
    now = utc(11, 24, 10)
    moved = apply(project.project, ReassignStep(step_id="work", actor=PM, to="ben"), now).project
    assert planned(moved, "work") == [(now, "reminder", "ben", "48h before")]
    assert next_wake(moved) == now
    later = advance(moved, utc(11, 24, 11))
    assert sent(later.entries) == [(now, "reminder", "ben", "48h before")]


def test_reassigning_a_waiting_step_assigns_the_new_owner_when_it_starts():
    project = start_blog().project
    transition = apply(project, ReassignStep(step_id="keywords", actor=PM, to="kim"), utc(11, 11))
    assert [(e.type, e.recipient) for e in transition.entries] == [
        ("reassigned", None),
        ("reassigned", "sia"),
    ]
    project = complete(transition.project, "idea", "sam", utc(11, 12))
    assert messages(project.log[-1:]) == [("assigned", "kim", "keywords")]
    # The approval seat is still sia's: only the keywords step moved.
    assert project.step("approve-outline").owners == ["sia", "stu"]


def test_an_approver_hands_over_their_own_seat():
    project = blog_at_approval()
    command = ReassignStep(step_id="approve-outline", actor="sia", to="sue")
    transition = apply(project, command, utc(11, 24))
    assert [(e.type, e.actor, e.recipient, e.detail) for e in transition.entries] == [
        ("reassigned", "sia", None, "sia -> sue"),
        ("review_requested", "sia", "sue", None),
    ]
    step = transition.project.step("approve-outline")
    assert step.owners == ["sue", "stu"]
    assert {a.recipient for a in step.pending_alerts} - {PM} == {"sue", "stu"}


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            ReassignStep(step_id="idea", actor="zed", to="tom"),
            "zed may not reassign 'idea': only sam (owner) or pam (project manager) may",
        ),
        (ReassignStep(step_id="idea", actor=PM, to="sam"), "'idea' is already assigned to sam"),
        (
            ReassignStep(step_id="nope", actor=PM, to="tom"),
            f"unknown step 'nope'; steps are: {', '.join(BLOG_STEPS)}",
        ),
    ],
)
def test_reassign_refusals(command, reason):
    assert refusal(start_blog().project, command, utc(11, 11)) == reason


def test_reassigning_a_done_step_is_refused():
    project = complete(start_blog().project, "idea", "sam", utc(11, 11))
    command = ReassignStep(step_id="idea", actor=PM, to="tom")
    assert refusal(project, command, utc(11, 11, 1)) == (
        "step 'idea' is already done; there is nothing to hand over"
    )


def test_an_approver_who_reviewed_cannot_hand_over_and_the_pm_must_pick_a_seat():
    project = review(blog_at_approval(), "approve-outline", "sia", True, utc(11, 24)).project
    reviewed = ReassignStep(step_id="approve-outline", actor="sia", to="sue")
    assert refusal(project, reviewed, utc(11, 24, 1)) == (
        "sia has already reviewed 'approve-outline'; nothing to hand over"
    )
    by_pm = ReassignStep(step_id="approve-outline", actor=PM, to="sue")
    assert refusal(project, by_pm, utc(11, 24, 1)) == (
        "'approve-outline' has several approvers (sia, stu); each of them hands over "
        "their own review"
    )


# ---------------------------------------------------------------------------- time off


def away(person: str, backup: str | None, start: date, end: date) -> Person:
    return Person(id=person, backup=backup, time_off=[TimeOff(start=start, end=end)])


def test_an_owner_on_time_off_hands_the_step_to_their_backup():
    people = {"sam": away("sam", "bo", date(2026, 11, 9), date(2026, 11, 12))}
    transition = start_blog(people=people)
    assert [(e.type, e.actor, e.recipient, e.detail) for e in transition.entries] == [
        ("reassigned", None, None, "sam -> bo (sam is away)"),
        ("assigned", None, "bo", None),
    ]
    idea = transition.project.step("idea")
    assert idea.owners == ["bo"]
    assert {a.recipient for a in idea.pending_alerts} == {"bo", PM}


def test_an_owner_on_time_off_without_a_backup_keeps_the_step():
    people = {"sam": away("sam", None, date(2026, 11, 9), date(2026, 11, 12))}
    project = start_blog(people=people).project
    assert project.step("idea").owners == ["sam"]
    # Reminders wait for sam's return: the Friday 13th 48h reminder is kept (back that day).
    assert planned(project, "idea")[0] == (utc(11, 13, 17), "reminder", "sam", "48h before")


def test_time_off_later_on_does_not_hand_over_a_step_starting_now():
    people = {"sam": away("sam", "bo", date(2026, 11, 20), date(2026, 11, 27))}
    assert start_blog(people=people).project.step("idea").owners == ["sam"]


def test_a_weekend_is_not_time_off():
    people = {"sam": Person(id="sam", backup="bo")}
    project = start_blog(people=people, now=utc(11, 14, 10)).project  # a Saturday
    assert project.step("idea").owners == ["sam"]


def test_time_off_holds_reminders_until_the_person_is_back():
    people = {"sia": away("sia", None, date(2026, 11, 18), date(2026, 11, 19))}
    project = start_blog(people=people).project
    project = complete(project, "idea", "sam", utc(11, 13, 10))
    # keywords is due Fri 20 Nov 17:00; sia is off Wednesday and Thursday, when both
    # reminders fall: they meet on Friday 09:00 and go out once.
    assert planned(project, "keywords")[0] == (utc(11, 20, 9), "reminder", "sia", "24h before")
    assert planned(project, "keywords")[1][0] > utc(11, 20, 17)


# ---------------------------------------------------------------------------- reschedule


def test_reschedule_moves_unfinished_deadlines_and_tells_each_owner_once():
    project = complete(start_blog().project, "idea", "sam", utc(11, 12))
    now = utc(11, 13, 10)
    transition = apply(project, Reschedule(actor=PM, launch_date=date(2026, 12, 22)), now)
    after = transition.project

    assert happenings(transition.entries) == [("rescheduled", PM, None)]
    assert transition.entries[0].detail == "2026-12-15 -> 2026-12-22"
    assert [(e.recipient, e.detail) for e in transition.entries if e.recipient] == [
        ("sia", "2026-12-22"),
        ("wes", "2026-12-22"),
        ("stu", "2026-12-22"),
        ("dee", "2026-12-22"),
        ("sol", "2026-12-22"),
    ]
    assert after.launch_date == date(2026, 12, 22)
    assert after.step("idea").due == utc(11, 15, 17)  # done: left as it was
    assert after.step("keywords").due == utc(11, 27, 17)
    assert after.step("publish").due == utc(12, 22, 17)
    # keywords' alerts are planned again for the new deadline.
    assert planned(after, "keywords")[:2] == [
        (utc(11, 25, 17), "reminder", "sia", "48h before"),
        (utc(11, 26, 17), "reminder", "sia", "24h before"),
    ]


def test_reschedule_makes_a_late_step_on_time_again():
    project = advance(start_blog().project, utc(11, 16, 12)).project
    assert project.step("idea").overdue
    now = utc(11, 16, 12)
    after = apply(project, Reschedule(actor=PM, launch_date=date(2026, 12, 29)), now).project
    idea = after.step("idea")
    assert (idea.due, idea.overdue) == (utc(11, 29, 17), False)
    assert planned(after, "idea")[0] == (utc(11, 27, 17), "reminder", "sam", "48h before")
    assert next_wake(after) == utc(11, 27, 17)
    assert ("rescheduled", "sam", None) in messages(after.log)


def test_reschedule_does_not_tell_the_pm_who_did_it():
    roles = {**BLOG_ROLES, "writer": PM}
    project = start_blog(assignments=roles).project
    transition = apply(project, Reschedule(actor=PM, launch_date=date(2026, 12, 20)), utc(11, 11))
    assert PM not in {e.recipient for e in transition.entries}
    assert {e.recipient for e in transition.entries if e.recipient} == {
        "sam",
        "sia",
        "stu",
        "dee",
        "sol",
    }


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            Reschedule(actor="sam", launch_date=date(2026, 12, 20)),
            "sam may not reschedule: only pam (project manager) may",
        ),
        (
            Reschedule(actor=PM, launch_date=date(2026, 11, 9)),
            "the launch date 2026-11-09 is in the past (today is 2026-11-10)",
        ),
        (
            Reschedule(actor=PM, launch_date=LAUNCH),
            "the launch date is already 2026-12-15",
        ),
    ],
)
def test_reschedule_refusals(command, reason):
    assert refusal(start_blog().project, command, utc(11, 10, 12)) == reason


def test_reschedule_today_is_the_projects_today():
    # 02:00 UTC on 11 Nov is still 10 Nov in New York.
    project = start_blog(timezone="America/New_York").project
    command = Reschedule(actor=PM, launch_date=date(2026, 11, 10), allow_late=True)
    assert apply(project, command, utc(11, 11, 2)).project.launch_date == date(2026, 11, 10)
    assert refusal(start_blog().project, command, utc(11, 11, 2)) == (
        "the launch date 2026-11-10 is in the past (today is 2026-11-11)"
    )


# ---------------------------------------------------------------------------- the end


def test_cancel_stops_everything():
    project = start_blog().project
    transition = apply(project, CancelProject(actor=PM, reason="budget cut"), utc(11, 11))
    assert [(e.type, e.recipient, e.step_id, e.detail) for e in transition.entries] == [
        ("project_cancelled", None, None, "budget cut"),
        ("cancelled", "sam", "idea", "budget cut"),  # the owner of the active step
        ("cancelled", PM, None, "budget cut"),
    ]
    after = transition.project
    assert {s.state for s in after.steps} == {"cancelled"}
    assert (after.active_owners, after.next_due, after.cancelled_by) == ([], None, PM)
    assert (after.state, after.cancel_reason, after.finished_at) == (
        "cancelled",
        "budget cut",
        utc(11, 11),
    )
    assert next_wake(after) is None and after.next_wake_at is None
    assert advance(after, utc(12, 31)).entries == []
    for command in [
        CompleteStep(step_id="idea", actor="sam"),
        CancelProject(actor=PM, reason="again"),
        Reschedule(actor=PM, launch_date=date(2026, 12, 20)),
    ]:
        assert refusal(after, command, utc(11, 12)) == (
            "project 'launch-post' was cancelled by pam on Wed 2026-11-11 (budget cut); "
            "nothing more can be done"
        )


def test_only_the_pm_may_cancel():
    command = CancelProject(actor="sam", reason="bored")
    assert refusal(start_blog().project, command, utc(11, 11)) == (
        "sam may not cancel: only pam (project manager) may"
    )


def test_the_project_completes_when_every_step_is_done_and_the_pm_gets_a_summary():
    project = blog_at_approval()
    project = review(project, "approve-outline", "sia", True, utc(11, 24)).project
    project = review(project, "approve-outline", "stu", True, utc(11, 24, 1)).project
    project = complete(project, "draft", "wes", utc(12, 4))
    project = complete(project, "images", "dee", utc(12, 12, 17))  # due 10 Dec 17:00
    project = complete(project, "promote", "sol", utc(12, 11))
    now = utc(12, 15, 12)
    transition = apply(project, CompleteStep(step_id="publish", actor="wes"), now)
    assert sent(transition.entries)  # publish's own reminders went out before the end
    assert [(e.type, e.recipient, e.detail) for e in transition.entries if not sent([e])] == [
        ("completed", None, None),
        ("project_completed", None, None),
        (
            "summary",
            PM,
            "8 steps done, 1 late; the largest slip was 'Create images or infographics', 48h late",
        ),
    ]
    after = transition.project
    assert (after.state, after.finished_at, next_wake(after)) == ("completed", now, None)
    done = "project 'launch-post' was completed on Tue 2026-12-15; nothing more can be done"
    assert refusal(after, CompleteStep(step_id="publish", actor="wes"), now) == done
    assert refusal(after, Reschedule(actor=PM, launch_date=date(2027, 1, 5)), now) == done


def test_a_branch_skipped_at_the_end_completes_the_project():
    playbook = make_playbook(
        [decision("pick", "ann", ["a", "b"]), task("extra", "ben", "pick", when=when("pick", "a"))]
    )
    project = start_inline(playbook).project
    transition = apply(project, ChooseOption(step_id="pick", actor="ann", option="b"), utc(11, 11))
    assert [e.type for e in transition.entries] == [
        "chosen",
        "skipped",
        "project_completed",
        "summary",
    ]
    assert transition.entries[-1].detail == "1 steps done, 0 late, 1 skipped"


def test_a_rework_notice_is_not_left_behind_on_a_skipped_step():
    """x (only for option a) is where the first approval sends work back; it was skipped.
    When a later rework re-runs everything and option a is chosen, x's owner gets a plain
    assignment, not a stale rework notice from a round they never took part in."""
    playbook = make_playbook(
        [
            decision("pick", "ann", ["a", "b"]),
            task("x", "ben", "pick", when=when("pick", "a")),
            approval("ok1", ["dan"], "x", on_reject="x"),
            approval("ok2", ["dan"], "ok1", on_reject="pick"),
        ]
    )
    project = start_inline(playbook).project
    project = apply(
        project, ChooseOption(step_id="pick", actor="ann", option="b"), utc(11, 11)
    ).project
    rejected = review(project, "ok1", "dan", False, utc(11, 11, 1), "old comment")
    assert rejected.project.step("x").state == "skipped"
    assert messages(rejected.entries) == [("review_requested", "dan", "ok1")]
    project = review(rejected.project, "ok1", "dan", True, utc(11, 11, 2)).project
    project = review(project, "ok2", "dan", False, utc(11, 11, 3), "pick a").project
    transition = apply(project, ChooseOption(step_id="pick", actor="ann", option="a"), utc(11, 12))
    assert [(e.type, e.recipient, e.detail) for e in transition.entries if e.recipient] == [
        ("assigned", "ben", None)
    ]


def test_the_log_keeps_time_order_across_transitions():
    project = start_blog().project
    project = advance(project, utc(11, 14)).project
    project = complete(project, "idea", "sam", utc(11, 16, 10))  # sends follow-up 1 first
    ats = [e.at for e in project.log]
    assert ats == sorted(ats)
    assert [e.type for e in project.log] == [
        "assigned",
        "reminder",
        "follow_up",
        "completed",
        "assigned",
    ]
    assert project.transition == 3


def test_status_is_the_project_without_its_definition_and_people():
    status = start_blog().project.status()
    assert not hasattr(status, "definition")
    assert status.step("idea").state == "active"
    assert status.next_wake_at == utc(11, 13, 17)


def test_refused_carries_the_reason_as_its_message():
    error = Refused("because")
    assert (error.reason, str(error)) == ("because", "because")
