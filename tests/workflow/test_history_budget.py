"""The history budget: what a project costs in Temporal events (Temporal Cloud bills by
action, and every event is stored and replayed). A fixed scenario runs on the
time-skipping server with the real workflow; its history is cut into episodes (what one
trigger, a message or a timer, cost) and held to the budget of issue 14:

- a step action costs at most what a bare workflow spends per step (`BARE_PER_STEP`,
  measured by `make bench`: one validated update, one activity and a timer per step);
- a reminder or follow-up wake-up costs at most 7 events, and no wake-up sends nothing;
- a realistic blog post (reminders firing, a follow-up, a rework) at most 20 per step;
- a 30-step playbook stays under 1,000 events.
"""

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from starters.simulate import SimulationResult
from tests.workflow.conftest import entries

BARE_PER_STEP = 13  # the bare workflow's events per step (bench/: 13-14 on the dev server)
WAKE_UP_BUDGET = 7
REALISTIC_PER_STEP = 20
THIRTY_STEPS_TOTAL = 1_000


@dataclass
class Episode:
    """The events one trigger caused: a timer that fired, or a message (update)."""

    events: list[str] = field(default_factory=list)

    @property
    def woken(self) -> bool:
        return self.events[0] == "timer_fired"

    @property
    def action(self) -> bool:
        return "workflow_execution_update_accepted" in self.events

    @property
    def sends(self) -> bool:
        """Whether it recorded effects (a local activity's marker; patch markers come
        only at the start)."""
        return "marker_recorded" in self.events


async def history_of(env, result: SimulationResult) -> list[str]:
    """The run's event types, without the time-skipping server's own retried empty
    workflow task after the first one (its clock jumps past the deadline of a task that
    ran local activities). The dev server records none: bench/ counts there."""
    history = await env.client.get_workflow_handle(result.status.workflow_id).fetch_history()
    names: list[str] = []
    skip = 0
    for event in history.events:
        name = event.WhichOneof("attributes").removesuffix("_event_attributes")
        retried = name == "workflow_task_scheduled" and (
            event.workflow_task_scheduled_event_attributes.attempt > 1
        )
        if retried:
            skip = 3  # scheduled, started, completed: nothing in it
        if skip:
            skip -= 1
            continue
        names.append(name)
    return names


def episodes(events: list[str]) -> list[Episode]:
    """Cut at each trigger: a timer firing, or a workflow task not caused by one."""
    cut: list[Episode] = []
    for index, name in enumerate(events):
        after_timer = index > 0 and events[index - 1] == "timer_fired"
        if name == "timer_fired" or (name == "workflow_task_scheduled" and not after_timer):
            cut.append(Episode())
        if cut:
            cut[-1].events.append(name)
    return cut


def describe(cut: list[Episode]) -> str:
    return "\n".join(f"{len(e.events):3d} {' '.join(e.events)}" for e in cut)


def blog_post_at_a_human_pace() -> dict:
    """Launch Mon 2027-02-01, dues at 17:00 UTC: idea 01-02, keywords 01-07, outline 01-12,
    approve-outline 01-17, draft 01-22, images 01-27, promote 01-28, publish 02-01.
    Some act before any reminder (keywords, promotion), most after the 48h one; the idea
    waits for both reminders; SEO sends the outline back once; the draft is late over a
    weekend (a follow-up on Monday)."""

    def act(at, action, step_id, actor, **more):
        return {"at": at, "action": action, "step_id": step_id, "actor": actor, **more}

    return {
        "playbook": "blog-post",
        "name": "Budget blog post",
        "launch_date": "2027-02-01",
        "assignments": {
            "strategist": "sam",
            "seo": "sam",
            "writer": "alice",
            "designer": "dana",
            "social": "sol",
            "stakeholder": "stu",
        },
        "project_manager": "pat",
        "start_at": "2026-12-29T09:00:00Z",
        "actions": [
            act("2027-01-02T10:00:00Z", "complete_step", "idea", "sam"),
            act("2027-01-05T10:00:00Z", "complete_step", "keywords", "sam"),
            act("2027-01-11T10:00:00Z", "complete_step", "outline", "alice"),
            act(
                "2027-01-11T15:00:00Z",
                "review_step",
                "approve-outline",
                "sam",
                approve=False,
                comment="tighten the intro",
            ),
            act("2027-01-12T10:00:00Z", "complete_step", "outline", "alice"),
            act("2027-01-13T10:00:00Z", "review_step", "approve-outline", "sam", approve=True),
            act("2027-01-14T10:00:00Z", "review_step", "approve-outline", "stu", approve=True),
            act("2027-01-25T12:00:00Z", "complete_step", "draft", "alice"),
            act("2027-01-26T10:00:00Z", "complete_step", "images", "dana"),
            act("2027-01-26T15:00:00Z", "complete_step", "promote", "sol"),
            act("2027-02-01T10:00:00Z", "complete_step", "publish", "alice"),
        ],
    }


async def test_a_realistic_blog_post_stays_within_the_budget(env, run_scenario):
    result = await run_scenario(**blog_post_at_a_human_pace())
    assert result.state == "completed"
    # The scenario is what it says: both reminders of a step, a follow-up, a rework.
    assert len(entries(result, "reminder", step_id="idea")) == 2
    assert len(entries(result, "follow_up", step_id="draft")) == 1
    assert len(entries(result, "rework")) == 1
    events = await history_of(env, result)
    cut = episodes(events)
    shown = describe(cut)
    steps = len(result.status.steps)
    assert len(events) <= REALISTIC_PER_STEP * steps, f"{len(events)} events:\n{shown}"
    actions = [e for e in cut if e.action]
    assert len(actions) == 11
    assert all(len(e.events) <= BARE_PER_STEP for e in actions), shown
    wake_ups = [e for e in cut if e.woken]
    assert len(wake_ups) >= 6
    assert all(len(e.events) <= WAKE_UP_BUDGET for e in wake_ups), shown
    assert all(e.sends for e in wake_ups), f"a wake-up that sends nothing:\n{shown}"


def thirty_step_playbook(tmp_path: Path) -> str:
    def step(n: int) -> str:
        after = f", after: [s{n - 1:02d}]" if n > 1 else ""
        owner = "writer" if n % 2 else "editor"
        return f"  - {{id: s{n:02d}, name: Step {n}, owner: {owner}, due: {n - 31}d{after}}}"

    steps = "\n".join(step(n) for n in range(1, 31))
    path = tmp_path / "thirty.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            id: thirty
            name: Thirty steps
            due_time: "17:00"
            reminders: [48h, 24h]
            escalation: {after: 4h, repeat: 24h, max: 3}
            roles: {writer: Writer, editor: Editor}
            steps:
            """
        )
        + steps
        + "\n"
    )
    return str(path)


async def test_a_thirty_step_playbook_stays_under_a_thousand_events(env, run_scenario, tmp_path):
    """Each step done on its due day after its reminder (one a day): the worst human
    pace short of lateness."""
    actions = [
        {
            "at": f"2027-04-{n:02d}T10:00:00Z",  # step n is due 04-n at 17:00
            "action": "complete_step",
            "step_id": f"s{n:02d}",
            "actor": "wendy" if n % 2 else "ed",
        }
        for n in range(1, 31)
    ]
    result = await run_scenario(
        playbook=thirty_step_playbook(tmp_path),
        name="Thirty steps",
        launch_date="2027-05-01",
        assignments={"writer": "wendy", "editor": "ed"},
        project_manager="pat",
        start_at="2027-03-31T09:00:00Z",
        actions=actions,
    )
    assert result.state == "completed", result.status.steps
    events = await history_of(env, result)
    cut = episodes(events)
    assert len(events) < THIRTY_STEPS_TOTAL, f"{len(events)} events:\n{describe(cut)}"
    assert all(e.sends for e in cut if e.woken), describe(cut)
