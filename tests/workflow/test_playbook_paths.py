"""Every path of every bundled playbook runs to `completed` through `simulate`.

For each playbook the team is made of distinct people (one per role, the PM apart), and
the actions are derived from the playbook itself: its steps walked in dependency order,
each task completed by its owner, each approval approved by as many approvers as its
policy needs, each decision given the option under test, one hour apart and long before
any due instant. Every decision option and every boolean input is a parameter, so every
branch of every bundled playbook is taken once. Which steps end `skipped` is worked out
here from the `when` conditions, independently of the core.
"""

import itertools
import uuid
from datetime import datetime, timedelta

import pytest

from baton.playbook import Playbook, Step, bundled_playbooks, load_playbook
from baton.schedule import due_instant
from tests.workflow.conftest import entries, utc

LAUNCH = "2027-09-15"  # a Wednesday
START_AT = "2027-06-28T08:00:00Z"  # 79 days before: ahead of the earliest due (-60d)
PM = "boss"


def _playbooks() -> dict[str, Playbook]:
    return {pid: load_playbook(path) for pid, path in bundled_playbooks().items()}


def _paths() -> list:
    """(playbook id, {decision: option}, {input: bool}) for every combination."""
    params = []
    for pid, playbook in _playbooks().items():
        decisions = [s for s in playbook.steps if s.kind == "decision"]
        inputs = sorted(playbook.inputs)
        for options in itertools.product(*(d.options for d in decisions)):
            for values in itertools.product([True, False], repeat=len(inputs)):
                chosen = {d.id: o for d, o in zip(decisions, options, strict=True)}
                given = dict(zip(inputs, values, strict=True))
                label = "-".join(
                    [pid, *(f"{k}={v}" for k, v in chosen.items())]
                    + [f"{k}={v}" for k, v in given.items()]
                )
                params.append(pytest.param(pid, chosen, given, id=label))
    return params


def _in_dependency_order(playbook: Playbook) -> list[Step]:
    """The steps in file order, each moved after everything it depends on."""
    ordered: list[Step] = []
    placed: set[str] = set()
    remaining = list(playbook.steps)
    while remaining:
        ready = next(s for s in remaining if _needs(s) <= placed)
        ordered.append(ready)
        placed.add(ready.id)
        remaining.remove(ready)
    return ordered


def _needs(step: Step) -> set[str]:
    """What a step waits for: its `after`, and the decision its `when` reads."""
    return set(step.after) | ({step.when.step} if step.when and step.when.step else set())


def _expected_states(
    playbook: Playbook, chosen: dict[str, str], inputs: dict[str, object]
) -> dict[str, str]:
    """done or skipped for every step, from the `when` conditions alone."""
    values = {name: spec.default for name, spec in playbook.inputs.items()} | inputs
    states: dict[str, str] = {}
    for step in _in_dependency_order(playbook):
        when = step.when
        skipped = False
        if when is not None and when.step:
            skipped = states[when.step] == "skipped" or chosen.get(when.step) != when.option
        elif when is not None:
            value = values.get(when.input or "")
            skipped = not value if when.equals is None else value != when.equals
        states[step.id] = "skipped" if skipped else "done"
    return states


def _team(playbook: Playbook) -> dict[str, str]:
    return {role: f"{role}-person" for role in playbook.roles}


def _people(step: Step, team: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(team[role] for role in step.roles))


def _required(step: Step, approvers: int) -> int:
    """Approvals an approval step needs: all of them, one, or the quorum."""
    if step.policy == "all":
        return approvers
    if step.policy == "any":
        return 1
    return int(step.policy)


def _due(playbook: Playbook, step: Step) -> datetime | None:
    if step.due is None:
        return None
    calendar = playbook.working_calendar
    launch = datetime.fromisoformat(LAUNCH).date()
    return due_instant(launch, step.due, playbook.due_time, "UTC", calendar)


def _actions(
    playbook: Playbook, team: dict[str, str], chosen: dict[str, str], states: dict[str, str]
) -> list[dict]:
    """One action per step (one per needed approver), an hour apart, none for a step
    that will be skipped, every one before its step's due instant."""
    at = utc(START_AT)
    actions = []
    for step in _in_dependency_order(playbook):
        if states[step.id] == "skipped":
            continue
        people = _people(step, team)
        if step.kind == "approval":
            batch = [
                {"action": "review_step", "actor": p, "approve": True}
                for p in people[: _required(step, len(people))]
            ]
        elif step.kind == "decision":
            batch = [{"action": "choose_option", "actor": people[0], "option": chosen[step.id]}]
        else:
            batch = [{"action": "complete_step", "actor": people[0]}]
        for fields in batch:
            at += timedelta(hours=1)
            due = _due(playbook, step)
            assert due is None or at < due, f"test plan: {step.id} acted on after its due"
            actions.append({"at": at.isoformat(), "step_id": step.id, **fields})
    return actions


def test_every_bundled_playbook_and_branch_is_covered():
    params = [p.values for p in _paths()]
    assert {pid for pid, _, _ in params} == set(bundled_playbooks())
    for pid, playbook in _playbooks().items():
        for step in playbook.steps:
            for option in step.options:
                assert any(p == pid and c[step.id] == option for p, c, _ in params)
        for name in playbook.inputs:
            assert {i[name] for p, _, i in params if p == pid} == {True, False}


@pytest.mark.parametrize(("playbook_id", "chosen", "inputs"), _paths())
async def test_path_runs_to_completed(run_scenario, playbook_id, chosen, inputs):
    playbook = _playbooks()[playbook_id]
    team = _team(playbook)
    states = _expected_states(playbook, chosen, inputs)
    actions = _actions(playbook, team, chosen, states)

    result = await run_scenario(
        playbook=playbook_id,
        name=f"Path {playbook_id} {uuid.uuid4().hex[:8]}",
        launch_date=LAUNCH,
        assignments=team,
        project_manager=PM,
        inputs=inputs,
        start_at=START_AT,
        actions=actions,
    )

    assert entries(result, "refused") == []
    assert result.state == "completed"
    assert {s.id: s.state for s in result.status.steps} == states
    assert all(s.revision == 1 for s in result.status.steps)
    last_action = utc(actions[-1]["at"])
    assert [e.at for e in entries(result, "project_completed")] == [last_action]
    assert result.status.finished_at == last_action
    summaries = entries(result, "summary")
    assert [(e.at, e.recipient) for e in summaries] == [(last_action, PM)]
    done = sum(state == "done" for state in states.values())
    skipped = len(states) - done
    assert summaries[0].detail.startswith(f"{done} steps done, 0 late")
    assert (f"{skipped} skipped" in summaries[0].detail) == bool(skipped)

    for step in playbook.steps:
        people = _people(step, team)
        shown = result.status.step(step.id)
        told = "review_requested" if step.kind == "approval" else "assigned"
        if states[step.id] == "skipped":
            assert entries(result, "skipped", step_id=step.id), step.id
            assert entries(result, told, step_id=step.id) == [], step.id
            continue
        # Each owner (every approver) was told once, when the step became active.
        assert sorted(e.recipient for e in entries(result, told, step_id=step.id)) == sorted(
            people
        ), step.id
        assert entries(result, "skipped", step_id=step.id) == [], step.id
        if step.kind == "decision":
            assert shown.option == chosen[step.id]
            assert entries(result, "chosen", step_id=step.id, detail=chosen[step.id])
        if step.kind == "approval":
            needed = _required(step, len(people))
            assert len(entries(result, "approved", step_id=step.id)) == needed
            assert shown.required_approvals == needed
    # Nothing was late, so no alert of any kind went out.
    for kind in ("follow_up", "escalated", "reminder"):
        assert entries(result, kind) == [], kind
