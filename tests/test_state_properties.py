"""Property tests of the state machine: random valid playbooks driven by random people
doing random things at random times. Whatever happens, the core only ever refuses with a
reason, keeps its log in time order, never finishes a step twice in one round, always
has someone on every active step, and finishes exactly when every step is finished."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from baton.contract import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
)
from baton.errors import Refused
from baton.people import Person, TimeOff
from baton.playbook import Playbook, playbook_from_data
from baton.schedule import local_instant, zone
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

ROLES = ["r0", "r1", "r2", "r3"]
TEAM = ["ann", "ben", "cat", "dan"]
PM = "pam"
STRANGER = "zed"
ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Europe/Berlin"]
ALERTS = ("reminder", "follow_up", "escalated")
EPOCH = datetime(2026, 1, 5, tzinfo=UTC)


# ---------------------------------------------------------------------------- playbooks


@st.composite
def playbooks(draw: st.DrawFn) -> Playbook:
    """A small valid DAG of task, approval and decision steps: random dependencies,
    policies, rework targets among the ancestors, conditions on decision options and
    on an input, due offsets or forward scheduling."""
    count = draw(st.integers(1, 6))
    steps: list[dict[str, Any]] = []
    ancestors: dict[str, set[str]] = {}
    options: dict[str, list[str]] = {}  # decision id -> its options
    for index in range(count):
        step_id = f"s{index}"
        earlier = [s["id"] for s in steps]
        after = sorted(draw(st.sets(st.sampled_from(earlier), max_size=3))) if earlier else []
        step: dict[str, Any] = {"id": step_id, "name": f"Step {index}", "after": after}
        kind = draw(st.sampled_from(["task", "task", "approval", "decision"]))
        if kind == "approval":
            approvers = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))
            policy = draw(st.sampled_from(["all", "any", *range(1, len(approvers) + 1)]))
            step.update(kind="approval", approvers=approvers, policy=policy)
        else:
            step["owner"] = draw(st.sampled_from(ROLES))
            if kind == "decision":
                choices = draw(
                    st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True)
                )
                step.update(kind="decision", options=choices)
        condition = draw(st.sampled_from(["none", "none", "input", "option"]))
        if condition == "input":
            step["when"] = {"input": "flag"}
        elif condition == "option" and options:
            chosen = draw(st.sampled_from(sorted(options)))
            step["when"] = {"step": chosen, "option": draw(st.sampled_from(options[chosen]))}
        depends = set(after) | ({step["when"]["step"]} if "step" in step.get("when", {}) else set())
        ancestors[step_id] = depends.union(*(ancestors[d] for d in depends))
        if kind == "approval" and ancestors[step_id] and draw(st.booleans()):
            step["on_reject"] = draw(st.sampled_from(sorted(ancestors[step_id])))
        if draw(st.booleans()):
            step["due"] = f"{draw(st.integers(-20, 0))}d"
        estimate = draw(st.sampled_from([None, "4h", "1d", "3d"]))
        if estimate:
            step["estimate"] = estimate
        if kind == "decision":
            options[step_id] = step["options"]
        steps.append(step)
    data = {
        "id": "random",
        "name": "Random playbook",
        "due_time": draw(st.sampled_from(["09:00", "12:30", "17:00"])),
        "calendar": draw(st.sampled_from(["calendar", "business"])),
        "reminders": draw(st.lists(st.sampled_from(["48h", "24h", "2h"]), unique=True)),
        "escalation": {
            "after": draw(st.sampled_from(["1h", "4h"])),
            "repeat": draw(st.sampled_from(["2h", "24h"])),
            "max": draw(st.integers(0, 3)),
        },
        "inputs": {"flag": {"default": False}},
        "roles": {role: f"Role {role}" for role in ROLES},
        "steps": steps,
    }
    return playbook_from_data(data)


@st.composite
def people(draw: st.DrawFn, start: date) -> dict[str, Person]:
    """Some of the team in other time zones, with odd working days, time off, backups."""
    team: dict[str, Person] = {}
    for person in [*TEAM, PM]:
        if not draw(st.booleans()):
            continue
        time_off = []
        if draw(st.booleans()):
            first = start + timedelta(days=draw(st.integers(-2, 20)))
            time_off = [TimeOff(start=first, end=first + timedelta(days=draw(st.integers(0, 6))))]
        team[person] = Person(
            id=person,
            timezone=draw(st.sampled_from(ZONES)),
            working_days=draw(st.sampled_from(["mon-fri", "mon-sun", "tue-thu", "sat"])),
            working_hours=draw(st.sampled_from(["09:00-17:00", "00:00-23:59", "08:30-12:00"])),
            time_off=time_off,
            backup=draw(st.sampled_from([None, *(p for p in TEAM if p != person), "bea"])),
        )
    return team


# ---------------------------------------------------------------------------- commands


def draw_command(data: st.DataObject, project: Project, now: datetime) -> Command:
    """A random action, usually on an active step by someone with a stake in it."""
    active = [s for s in project.steps if s.state == "active"]
    ids = [s.id for s in project.steps]
    if active and data.draw(st.integers(0, 9)) < 8:
        step = data.draw(st.sampled_from(active))
    else:
        step = project.step(data.draw(st.sampled_from(ids)))
    step_id = step.id if data.draw(st.integers(0, 19)) else "nope"
    actors = [*step.owners, PM, STRANGER, *TEAM]
    actor = data.draw(st.sampled_from(actors[: len(step.owners) + 1] * 4 + actors))
    kind = data.draw(
        st.sampled_from(
            ["act"] * 12
            + ["complete", "review", "choose", "reassign", "reschedule"] * 2
            + ["cancel"]
        )
    )
    if kind == "act":
        kind = {"task": "complete", "approval": "review", "decision": "choose"}[step.kind]
    if kind == "complete":
        return CompleteStep(
            step_id=step_id, actor=actor, note=data.draw(st.sampled_from([None, "n"]))
        )
    if kind == "review":
        approve = data.draw(st.booleans())
        return ReviewStep(step_id=step_id, actor=actor, approve=approve, comment="c")
    if kind == "choose":
        option = data.draw(st.sampled_from([*step.options, "bogus"] if step.options else ["x"]))
        return ChooseOption(step_id=step_id, actor=actor, option=option)
    if kind == "reassign":
        to = data.draw(st.sampled_from([*TEAM, PM, "newbie"]))
        return ReassignStep(step_id=step_id, actor=actor, to=to)
    today = now.astimezone(zone(project.timezone)).date()
    if kind == "reschedule":
        launch = today + timedelta(days=data.draw(st.integers(-3, 40)))
        who = data.draw(st.sampled_from([PM, PM, actor]))
        flags = data.draw(st.sampled_from([{}, {}, {"compress": True}, {"allow_late": True}]))
        return Reschedule(actor=who, launch_date=launch, **flags)
    return CancelProject(actor=data.draw(st.sampled_from([PM, actor])), reason="stop")


def drive_command(project: Project) -> Command | None:
    """What the PM does to move the first active step on: complete, approve, choose."""
    for step in project.steps:
        if step.state != "active":
            continue
        if step.kind == "task":
            return CompleteStep(step_id=step.id, actor=PM)
        if step.kind == "decision":
            return ChooseOption(step_id=step.id, actor=PM, option=step.options[-1])
        reviewer = step.pending_approvers()[0] if PM in step.owners else PM
        return ReviewStep(step_id=step.id, actor=reviewer, approve=True)
    return None


# ---------------------------------------------------------------------------- invariants


class Watcher:
    """Follows one project through its transitions and checks every invariant."""

    def __init__(self, first: Transition, now: datetime):
        self.project = first.project
        self.now = now
        self.finished_rounds: set[tuple[str, int]] = set()
        self.check(None, first)

    def take(self, transition: Transition, now: datetime) -> None:
        before = self.project
        self.now = now
        self.check(before, transition)
        self.project = transition.project

    def check(self, before: Project | None, transition: Transition) -> None:
        project, entries, now = transition.project, transition.entries, self.now
        # The log is the old log plus this transition's entries, in time order, and
        # nothing in it lies in the future.
        if before is not None:
            assert project.log == [*before.log, *entries]
        times = [e.at for e in project.log]
        assert times == sorted(times), "log times go backwards"
        assert all(at <= now for at in times)
        # The next wake-up is never before this transition.
        wake = next_wake(project)
        assert project.next_wake_at == wake
        assert wake is None or wake >= now, f"next_wake {wake} is before {now}"
        # Every active step has someone on it.
        for step in project.steps:
            if step.state == "active":
                assert step.owners, f"active step {step.id} has no owner"
                assert step.due is not None
                if step.kind == "approval":
                    assert 1 <= (step.required_approvals or 0) <= len(step.owners)
                    assert sum(r.approve for r in step.approvals) < (step.required_approvals or 0)
                    for alert in step.pending_alerts:
                        assert alert.recipient in [*step.pending_approvers(), PM]
            else:
                assert step.pending_alerts == [], f"{step.state} step {step.id} has alerts"
        # A step finishes at most once per revision.
        for step in project.steps:
            old = before.step(step.id) if before else None
            newly = step.state == "done" and (
                old is None
                or old.state != "done"
                or (old.revision, old.finished_at) != (step.revision, step.finished_at)
            )
            if newly:
                key = (step.id, step.revision)
                assert key not in self.finished_rounds, f"{key} finished twice"
                self.finished_rounds.add(key)
            if old is not None:
                assert step.revision >= old.revision
        # The project is completed exactly when every step is done or skipped.
        all_finished = all(s.finished for s in project.steps)
        if project.state == "active":
            assert not all_finished, "every step is finished but the project is still active"
        elif project.state == "completed":
            assert all_finished
            assert [e.type for e in project.log].count("project_completed") == 1
            assert project.log[-1].type in ("summary", "refused")
        # Alerts only for steps that were running, none once the project is over.
        was_active = {s.id for s in before.steps if s.state == "active"} if before else set()
        if before is not None and before.state != "active":
            assert [e for e in entries if e.type != "refused"] == []
        for entry in entries:
            if entry.type in ALERTS:
                assert entry.step_id in was_active, f"alert for a step not running: {entry}"
            if entry.type == "summary":
                assert entry.recipient == PM


def attempt(watcher: Watcher, command: Command, now: datetime, record: bool) -> bool:
    """Run one command both through `check` and `apply`; they must agree. Only `Refused`
    may come out. Returns whether it was applied."""
    project = watcher.project
    try:
        check(project, command, now)
        checked = None
    except Refused as refusal:
        checked = refusal.reason
    try:
        transition = apply(project, command, now)
    except Refused as refusal:
        assert checked == refusal.reason, "check and apply disagree"
        assert refusal.reason
        if record:
            watcher.take(refuse(project, command, refusal.reason, now), now)
        return False
    assert checked is None, f"check refused ({checked}) what apply accepted"
    assert project.state == "active", "a finished project accepted an action"
    watcher.take(transition, now)
    return True


# ---------------------------------------------------------------------------- the test


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(playbook=playbooks(), data=st.data())
def test_random_projects_keep_every_invariant(playbook: Playbook, data: st.DataObject):
    now = EPOCH + timedelta(minutes=data.draw(st.integers(0, 300 * 24 * 60), label="start"))
    tz = data.draw(st.sampled_from(ZONES), label="timezone")
    today = now.astimezone(zone(tz)).date()
    dated = any(step.due is not None for step in playbook.steps)
    launch = None
    if dated or data.draw(st.booleans()):
        launch = today + timedelta(days=data.draw(st.integers(1, 40), label="lead"))
    team = data.draw(people(today), label="people")
    request = StartProject(
        playbook=playbook.id,
        name="Random",
        launch_date=launch,
        timezone=tz,
        assignments={role: data.draw(st.sampled_from([*TEAM, PM])) for role in ROLES},
        project_manager=PM,
        inputs={"flag": data.draw(st.booleans())},
        compress=data.draw(st.booleans(), label="compress"),
    )
    note(f"playbook: {playbook.model_dump(mode='json', exclude_defaults=True)}")
    watcher = Watcher(start_project(request, playbook, team, now), now)
    if request.compress and launch is not None:  # nothing due before now, none past launch
        launch_due = local_instant(launch, playbook.due_time, tz)
        for step in watcher.project.steps:
            if step.due is not None and playbook.step(step.id).due is not None:
                assert step.due > now or launch_due <= now, step

    for _ in range(data.draw(st.integers(0, 50), label="events")):
        what = data.draw(st.sampled_from(["command"] * 5 + ["tick", "tick", "wait"]))
        if what == "tick":
            wake = next_wake(watcher.project)
            if wake is not None:
                now = max(now, wake)
                watcher.take(advance(watcher.project, now), now)
        elif what == "wait":
            now += timedelta(minutes=data.draw(st.integers(0, 120 * 60)))
            if data.draw(st.booleans()):
                watcher.take(advance(watcher.project, now), now)
        else:
            now += timedelta(minutes=data.draw(st.integers(0, 600)))
            command = draw_command(data, watcher.project, now)
            note(f"{now.isoformat()} {command!r}")
            attempt(watcher, command, now, record=data.draw(st.booleans()))

    kinds = {e.type for e in watcher.project.log}
    event(f"random phase ended {watcher.project.state}")
    for kind in ("rework", "skipped", "follow_up", "escalated", "reassigned", "rescheduled"):
        if kind in kinds:
            event(f"saw {kind}")

    # Whatever happened, the PM can still carry the project to its end.
    for _ in range(8 * len(playbook.steps) + 8):
        if watcher.project.state != "active":
            break
        command = drive_command(watcher.project)
        assert command is not None, "nothing is active but the project is not finished"
        now += timedelta(hours=1)
        assert attempt(watcher, command, now, record=False), f"the PM was refused: {command}"
    assert watcher.project.state in ("completed", "cancelled")

    # A finished project refuses everything, and the clock brings nothing more.
    final = watcher.project
    assert next_wake(final) is None
    later = now + timedelta(days=30)
    assert advance(final, later).entries == []
    for step in final.steps:
        for command in (
            CompleteStep(step_id=step.id, actor=PM),
            ReviewStep(step_id=step.id, actor=PM, approve=True),
            ChooseOption(step_id=step.id, actor=PM, option=(step.options or ["x"])[0]),
            ReassignStep(step_id=step.id, actor=PM, to="newbie"),
        ):
            assert not attempt(watcher, command, later, record=False)
    assert not attempt(watcher, Reschedule(actor=PM, launch_date=later.date()), later, False)
    assert not attempt(watcher, CancelProject(actor=PM, reason="x"), later, False)
