"""When Baton speaks: reminders, quiet hours, follow-ups and escalations, late activation,
rescheduling and cancellation, checked at exact instants through `simulate`.

Each test writes a small playbook so every due instant is plain to read. Calendar of the
dates used (2027): Mon 03-08, Fri 03-12, Mon 03-15, Tue 03-16, Wed 03-17, Fri 03-19,
Mon 03-22, Fri 03-26, Mon 03-29. US daylight saving time started on Sun 03-14.
"""

import textwrap
import uuid
from pathlib import Path

import pytest

from starters.simulate import ScenarioError
from tests.workflow.conftest import entries, utc


def write_playbook(
    tmp_path: Path,
    steps: str,
    roles: str = "{writer: Writer}",
    due_time: str = "17:00",
    escalation: str = "{after: 4h, repeat: 24h, max: 3}",
) -> str:
    """A playbook file with the given steps (YAML flow lines); returns its path."""
    path = tmp_path / f"pb-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            id: timing
            name: Timing
            due_time: "{due_time}"
            reminders: [48h, 24h]
            escalation: {escalation}
            roles: {roles}
            steps:
            """
        )
        + textwrap.indent(textwrap.dedent(steps).strip() + "\n", "  "),
        encoding="utf-8",
    )
    return str(path)


def name() -> str:
    return f"Timing {uuid.uuid4().hex[:8]}"


def complete(at: str, step: str, actor: str) -> dict:
    return {"at": at, "action": "complete_step", "step_id": step, "actor": actor}


def alerts(result, kind: str, **match) -> list[tuple]:
    return [(e.at, e.recipient, e.detail) for e in entries(result, kind, **match)]


# ------------------------------------------------------------------- reminders


async def test_reminders_48h_and_24h_before_a_weekday_due(run_scenario, tmp_path):
    playbook = write_playbook(tmp_path, "- {id: write, name: Write, owner: writer, due: 0d}")
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",  # due Wed 17:00 UTC
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        actions=[complete("2027-03-17T12:00:00Z", "write", "alice")],
    )
    assert result.state == "completed"
    assert result.status.step("write").due == utc("2027-03-17T17:00:00Z")
    # 17:00 is the last minute of a 09:00-17:00 day: both reminders go out as planned.
    assert alerts(result, "reminder") == [
        (utc("2027-03-15T17:00:00Z"), "alice", "48h before"),
        (utc("2027-03-16T17:00:00Z"), "alice", "24h before"),
    ]
    assert result.status.step("write").reminders_sent == 2
    assert entries(result, "follow_up") == [] and entries(result, "escalated") == []
    assert [(e.at, e.recipient) for e in entries(result, "assigned")] == [
        (utc("2027-03-08T09:00:00Z"), "alice")
    ]


async def test_reminders_and_follow_ups_in_each_recipients_own_hours(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        """
        - {id: write, name: Write, owner: writer, due: 0d}
        - {id: design, name: Design, owner: designer, due: 0d}
        """,
        roles="{writer: Writer, designer: Designer}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",
        timezone="America/New_York",  # due Wed 17:00 EDT = 21:00 UTC
        people={"alice": {"timezone": "America/New_York", "working_hours": "08:00-16:00"}},
        assignments={"writer": "alice", "designer": "bob"},  # bob: UTC, 09:00-17:00
        project_manager="pat",
        start_at="2027-03-08T14:00:00Z",
        actions=[complete("2027-03-17T20:00:00Z", "design", "bob")],
        until="2027-03-18T18:00:00Z",
    )
    assert result.status.step("write").due == utc("2027-03-17T21:00:00Z")
    # alice: 17:00 EDT is after her 16:00 end, so each moves to her next 08:00 EDT (12:00Z).
    assert alerts(result, "reminder", recipient="alice") == [
        (utc("2027-03-16T12:00:00Z"), "alice", "48h before"),
        (utc("2027-03-17T12:00:00Z"), "alice", "24h before"),
    ]
    # bob: 21:00 UTC is after 17:00 UTC, so his go out at 09:00 UTC the next day.
    assert alerts(result, "reminder", recipient="bob") == [
        (utc("2027-03-16T09:00:00Z"), "bob", "48h before"),
        (utc("2027-03-17T09:00:00Z"), "bob", "24h before"),
    ]
    # alice's first follow-up (Wed 21:00 EDT) waits for Thu 08:00 EDT; the second would be
    # Thu 21:00 EDT, past `until`. bob finished in time: nothing late for him.
    assert alerts(result, "follow_up") == [
        (utc("2027-03-18T12:00:00Z"), "alice", "follow-up 1 of 3")
    ]
    assert entries(result, "escalated") == []
    assert result.state == "active"


async def test_a_weekend_reminder_moves_to_monday_start(run_scenario, tmp_path):
    playbook = write_playbook(tmp_path, "- {id: write, name: Write, owner: writer, due: 0d}")
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-16",  # due Tue 17:00: 48h before is Sun 17:00
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        actions=[complete("2027-03-16T10:00:00Z", "write", "alice")],
    )
    assert alerts(result, "reminder") == [
        (utc("2027-03-15T09:00:00Z"), "alice", "48h before"),
        (utc("2027-03-15T17:00:00Z"), "alice", "24h before"),
    ]


async def test_two_reminders_landing_on_one_instant_go_out_once(run_scenario, tmp_path):
    playbook = write_playbook(tmp_path, "- {id: write, name: Write, owner: writer, due: 0d}")
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-15",  # due Mon 17:00: Sat 17:00 and Sun 17:00 -> Mon 09:00
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        actions=[complete("2027-03-15T12:00:00Z", "write", "alice")],
    )
    # One message, and it is the later rule's (24h).
    assert alerts(result, "reminder") == [(utc("2027-03-15T09:00:00Z"), "alice", "24h before")]
    assert result.status.step("write").reminders_sent == 1


# -------------------------------------------------------- follow-ups, escalation


@pytest.mark.parametrize("max_", [1, 3])
async def test_a_step_never_done_gets_max_follow_ups_and_max_minus_one_escalations(
    run_scenario, tmp_path, max_
):
    playbook = write_playbook(
        tmp_path,
        "- {id: write, name: Write, owner: writer, due: 0d}",
        due_time="12:00",
        escalation=f"{{after: 2h, repeat: 24h, max: {max_}}}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",  # due Wed 12:00; follow-ups Wed, Thu, Fri 14:00
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        until="2027-04-30T00:00:00Z",
    )
    instants = ["2027-03-17T14:00:00Z", "2027-03-18T14:00:00Z", "2027-03-19T14:00:00Z"]
    assert alerts(result, "follow_up") == [
        (utc(at), "alice", f"follow-up {n} of {max_}")
        for n, at in enumerate(instants[:max_], start=1)
    ]
    assert alerts(result, "escalated") == [
        (utc(at), "pat", f"follow-up {n} of {max_}")
        for n, at in enumerate(instants[:max_], start=1)
        if n >= 2
    ]
    step = result.status.step("write")
    assert (step.follow_ups_sent, step.escalations_sent) == (max_, max_ - 1)
    assert step.overdue and step.state == "active"
    # Then nothing more, ever: the last thing in the timeline is the last follow-up.
    assert result.timeline[-1].at == utc(instants[max_ - 1])
    assert result.status.next_wake_at is None
    assert result.state == "active"


async def test_until_cuts_the_follow_ups_short(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        "- {id: write, name: Write, owner: writer, due: 0d}",
        due_time="12:00",
        escalation="{after: 2h, repeat: 24h, max: 3}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        until="2027-03-18T15:00:00Z",
    )
    assert [e.at for e in entries(result, "follow_up")] == [
        utc("2027-03-17T14:00:00Z"),
        utc("2027-03-18T14:00:00Z"),
    ]
    assert [(e.at, e.recipient) for e in entries(result, "escalated")] == [
        (utc("2027-03-18T14:00:00Z"), "pat")
    ]
    assert result.state == "active"
    assert result.status.step("write").follow_ups_sent == 2
    # The third is still planned, for after `until`.
    assert result.status.next_wake_at == utc("2027-03-19T14:00:00Z")


async def test_escalations_wait_for_the_pms_working_hours(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        "- {id: write, name: Write, owner: writer, due: 0d}",
        due_time="12:00",
        escalation="{after: 2h, repeat: 24h, max: 3}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",
        people={"pat": {"timezone": "Asia/Tokyo"}},  # 09:00-17:00 JST = 00:00-08:00 UTC
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        until="2027-04-30T00:00:00Z",
    )
    # The owner's follow-ups are in alice's (UTC) hours as planned.
    assert [e.at for e in entries(result, "follow_up", recipient="alice")] == [
        utc("2027-03-17T14:00:00Z"),
        utc("2027-03-18T14:00:00Z"),
        utc("2027-03-19T14:00:00Z"),
    ]
    # Thu 14:00Z is Thu 23:00 JST -> Fri 09:00 JST; Fri 23:00 JST -> Mon 09:00 JST.
    assert alerts(result, "escalated") == [
        (utc("2027-03-19T00:00:00Z"), "pat", "follow-up 2 of 3"),
        (utc("2027-03-22T00:00:00Z"), "pat", "follow-up 3 of 3"),
    ]


# ---------------------------------------------------------- late activation


async def test_a_simulated_start_is_checked_and_compressed_on_the_simulated_clock(
    run_scenario, tmp_path
):
    # Seen from the wall clock (late 2026) nothing here is late; from the simulated start
    # (Wed 03-10 09:00) the draft is (due Mon 03-08 17:00).
    playbook = write_playbook(
        tmp_path,
        """
        - {id: draft, name: Draft, owner: writer, due: -8d, estimate: 2d}
        - {id: publish, name: Publish, owner: publisher, after: [draft], due: 0d}
        """,
        roles="{writer: Writer, publisher: Publisher}",
    )
    scenario = {
        "playbook": playbook,
        "name": name(),
        "launch_date": "2027-03-16",
        "assignments": {"writer": "alice", "publisher": "bob"},
        "project_manager": "pat",
        "start_at": "2027-03-10T09:00:00Z",
        "until": "2027-03-10T10:00:00Z",
    }
    with pytest.raises(ScenarioError) as refused:
        await run_scenario(**scenario)
    assert str(refused.value) == (
        "the project cannot start: 1 step would already be late ('draft' due Mon 2027-03-08 "
        "17:00 UTC); choose a later launch, or --compress to fit them between now and the "
        "launch, or --allow-late to start anyway"
    )
    result = await run_scenario(**scenario, compress=True)
    # The plan ran from 03-06 17:00 (the draft's due less its 2-day estimate) to the launch
    # (10 days); it now runs from 03-10 09:00 (6 days 8 hours): the draft, 8 days before
    # the launch, comes 5 days 1.6 hours before it (03-11 15:24), so at 17:00 that day.
    assert result.status.step("draft").due == utc("2027-03-11T17:00:00Z")
    assert result.status.step("publish").due == utc("2027-03-16T17:00:00Z")
    assert alerts(result, "rescheduled", recipient="pat") == [
        (
            utc("2027-03-10T09:00:00Z"),
            "pat",
            "plan compressed: 1 step would have been late, so the dues were spread between "
            "Thu 2027-03-11 17:00 UTC and the launch on Tue 2027-03-16, in the same order",
        )
    ]


async def test_steps_activated_after_their_due_are_overdue_at_once(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        """
        - {id: draft, name: Draft, owner: writer, due: -5d}
        - {id: publish, name: Publish, owner: publisher, after: [draft], due: 0d}
        """,
        roles="{writer: Writer, publisher: Publisher}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-16",  # draft due Thu 03-11 17:00, publish Tue 03-16 17:00
        assignments={"writer": "alice", "publisher": "bob"},
        project_manager="pat",
        start_at="2027-03-15T10:00:00Z",  # the project starts after the draft's due
        allow_late=True,
        actions=[complete("2027-03-17T10:00:00Z", "draft", "alice")],  # after publish's due
        until="2027-03-25T00:00:00Z",
    )
    draft, publish = result.status.step("draft"), result.status.step("publish")
    # No reminders at all: every reminder instant had passed at activation.
    assert entries(result, "reminder") == []
    assert draft.reminders_sent == 0 and publish.reminders_sent == 0
    assert draft.overdue and draft.started_at == utc("2027-03-15T10:00:00Z")
    # draft: follow-ups count from the activation (10:00 + 4h), not from its due;
    # the third (Wed 14:00) never comes, the draft was done at 10:00 that day.
    assert alerts(result, "follow_up", step_id="draft") == [
        (utc("2027-03-15T14:00:00Z"), "alice", "follow-up 1 of 3"),
        (utc("2027-03-16T14:00:00Z"), "alice", "follow-up 2 of 3"),
    ]
    assert alerts(result, "escalated", step_id="draft") == [
        (utc("2027-03-16T14:00:00Z"), "pat", "follow-up 2 of 3")
    ]
    # publish became active Wed 10:00, after its due (Tue 17:00): overdue at once, its
    # follow-ups from Wed 10:00 + 4h.
    assert publish.started_at == utc("2027-03-17T10:00:00Z") and publish.overdue
    assert [(e.at, e.recipient) for e in entries(result, "assigned", step_id="publish")] == [
        (utc("2027-03-17T10:00:00Z"), "bob")
    ]
    assert alerts(result, "follow_up", step_id="publish") == [
        (utc("2027-03-17T14:00:00Z"), "bob", "follow-up 1 of 3"),
        (utc("2027-03-18T14:00:00Z"), "bob", "follow-up 2 of 3"),
        (utc("2027-03-19T14:00:00Z"), "bob", "follow-up 3 of 3"),
    ]
    assert [(e.at, e.recipient) for e in entries(result, "escalated", step_id="publish")] == [
        (utc("2027-03-18T14:00:00Z"), "pat"),
        (utc("2027-03-19T14:00:00Z"), "pat"),
    ]


# ---------------------------------------------------------------- reschedule


async def test_reschedule_moves_due_dates_and_timers(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        """
        - {id: write, name: Write, owner: writer, due: -3d}
        - {id: publish, name: Publish, owner: publisher, after: [write], due: 0d}
        """,
        roles="{writer: Writer, publisher: Publisher}",
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-22",  # write due Fri 03-19 17:00: reminders Wed, Thu 17:00
        assignments={"writer": "alice", "publisher": "bob"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        actions=[
            {"at": "2027-03-16T09:00:00Z", "action": "reschedule", "actor": "alice",
             "launch_date": "2027-03-29"},
            {"at": "2027-03-16T09:30:00Z", "action": "reschedule", "actor": "pat",
             "launch_date": "2027-03-15"},
            {"at": "2027-03-16T10:00:00Z", "action": "reschedule", "actor": "pat",
             "launch_date": "2027-03-29"},
            complete("2027-03-26T12:00:00Z", "write", "alice"),
            complete("2027-03-26T13:00:00Z", "publish", "bob"),
        ],
    )  # fmt: skip
    assert result.state == "completed"
    assert result.status.launch_date.isoformat() == "2027-03-29"
    assert result.status.step("write").due == utc("2027-03-26T17:00:00Z")
    assert result.status.step("publish").due == utc("2027-03-29T17:00:00Z")

    refused = [(e.at, e.actor, e.detail) for e in entries(result, "refused")]
    assert len(refused) == 2
    assert refused[0][:2] == (utc("2027-03-16T09:00:00Z"), "alice")
    assert "alice may not reschedule: only pat (project manager)" in refused[0][2]
    assert refused[1][:2] == (utc("2027-03-16T09:30:00Z"), "pat")
    assert "2027-03-15 is in the past" in refused[1][2]

    changed = entries(result, "rescheduled", recipient=None)
    assert [(e.at, e.actor, e.detail) for e in changed] == [
        (utc("2027-03-16T10:00:00Z"), "pat", "2027-03-22 -> 2027-03-29")
    ]
    told = entries(result, "rescheduled")[1:]
    assert sorted((e.recipient, e.actor) for e in told) == [("alice", "pat"), ("bob", "pat")]

    # The old reminder instants (Wed 03-17, Thu 03-18 17:00) produce nothing at all...
    for old in ("2027-03-17T17:00:00Z", "2027-03-18T17:00:00Z"):
        assert [e for e in result.timeline if e.at == utc(old)] == []
    # ...and the new ones, 48h and 24h before Fri 03-26 17:00, fire.
    assert alerts(result, "reminder") == [
        (utc("2027-03-24T17:00:00Z"), "alice", "48h before"),
        (utc("2027-03-25T17:00:00Z"), "alice", "24h before"),
    ]
    assert entries(result, "follow_up") == []


# -------------------------------------------------------------- cancellation


async def test_cancelled_project_goes_quiet_and_refuses_later_actions(run_scenario, tmp_path):
    playbook = write_playbook(tmp_path, "- {id: write, name: Write, owner: writer, due: 0d}")
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",  # reminders would be Mon 03-15 and Tue 03-16 17:00
        assignments={"writer": "alice"},
        project_manager="pat",
        start_at="2027-03-08T09:00:00Z",
        actions=[
            {"at": "2027-03-12T11:00:00Z", "action": "cancel_project", "actor": "eve",
             "reason": "no reason"},
            {"at": "2027-03-12T12:00:00Z", "action": "cancel_project", "actor": "pat",
             "reason": "budget cut"},
            complete("2027-03-16T10:00:00Z", "write", "alice"),
        ],
        until="2027-03-25T00:00:00Z",
    )  # fmt: skip
    assert result.state == "cancelled"
    assert result.status.state == "cancelled"
    assert result.status.cancel_reason == "budget cut"
    assert result.status.finished_at == utc("2027-03-12T12:00:00Z")
    cancelled = entries(result, "project_cancelled")
    assert [(e.at, e.actor, e.detail) for e in cancelled] == [
        (utc("2027-03-12T12:00:00Z"), "pat", "budget cut")
    ]
    refused = entries(result, "refused")
    assert [(e.at, e.actor) for e in refused] == [
        (utc("2027-03-12T11:00:00Z"), "eve"),
        (utc("2027-03-16T10:00:00Z"), "alice"),
    ]
    assert "eve may not cancel: only pat (project manager) may" in refused[0].detail
    assert refused[1].detail == (
        "project '" + result.status.slug + "' was cancelled by pat on Fri 2027-03-12 "
        "(budget cut); nothing more can be done"
    )
    assert refused[1].step_id == "write"
    # The owner of the active step and the PM are told why, once each.
    told = entries(result, "cancelled")
    assert [(e.recipient, e.step_id, e.actor, e.detail) for e in told] == [
        ("alice", "write", "pat", "budget cut"),
        ("pat", None, "pat", "budget cut"),
    ]
    # After the cancellation: no message to anyone, only the refusal of alice's action.
    after = [e for e in result.timeline if e.at > utc("2027-03-12T12:00:00Z")]
    assert [(e.type, e.actor) for e in after] == [("refused", "alice")]
    assert entries(result, "reminder") == []
    assert result.status.step("write").state == "cancelled"
    assert result.status.cancelled_by == "pat"
    assert entries(result, "completed") == []
