"""The history budget: what a project costs in Temporal events (Temporal Cloud bills by
action, and every event is stored and replayed). A fixed scenario runs on the
time-skipping server with the real workflow; its history is cut by cause (the start, each
action, each wake-up: `bench/segments.py`) and held to the budget of issue 14:

- a step action costs at most what a bare workflow spends per step (`BARE_PER_STEP`,
  measured by `make bench`: one validated update, one activity and a timer per step);
- a reminder or follow-up wake-up costs at most 7 events, and no wake-up sends nothing;
- a realistic blog post (reminders firing, a follow-up, a rework) at most 20 per step;
- a 30-step playbook stays under 1,000 events.
"""

import textwrap
from pathlib import Path

from bench.segments import Segment, segments
from starters.simulate import SimulationResult
from tests.workflow.conftest import BLOG_TEAM, entries

BARE_PER_STEP = 13  # the bare workflow's events per step (bench/: 13-14 on the dev server)
WAKE_UP_BUDGET = 7
REALISTIC_PER_STEP = 20
THIRTY_STEPS_TOTAL = 1_000


async def history_of(env, result: SimulationResult) -> list[Segment]:
    """The run's history cut by cause (`bench.segments`, as `make bench` cuts it),
    without the time-skipping server's own retried empty workflow task: a status query
    while the first task runs its local activities makes it retry that task (the dev
    server records none, and bench/, which queries only settled projects, sees none)."""
    history = await env.client.get_workflow_handle(result.status.workflow_id).fetch_history()
    kept, skip = [], 0
    for event in history.events:
        if event.HasField("workflow_task_scheduled_event_attributes") and (
            event.workflow_task_scheduled_event_attributes.attempt > 1
        ):
            skip = 3  # scheduled, started, completed: nothing in it
        if skip:
            skip -= 1
            continue
        kept.append(event)
    return segments(kept)


def total(cut: list[Segment]) -> int:
    return sum(len(segment.events) for segment in cut)


def describe(cut: list[Segment]) -> str:
    return "\n".join(f"{len(s.events):3d} {s.cause}: {' '.join(s.events)}" for s in cut)


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
        "assignments": BLOG_TEAM,
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
    cut = await history_of(env, result)
    shown = describe(cut)
    steps = len(result.status.steps)
    assert total(cut) <= REALISTIC_PER_STEP * steps, f"{total(cut)} events:\n{shown}"
    actions = [s for s in cut if s.cause == "action"]
    assert len(actions) == 11
    assert all(len(s.events) <= BARE_PER_STEP for s in actions), shown
    wake_ups = [s for s in cut if s.cause == "wake"]
    assert len(wake_ups) >= 6
    assert all(len(s.events) <= WAKE_UP_BUDGET for s in wake_ups), shown
    assert all(s.sends for s in wake_ups), f"a wake-up that sends nothing:\n{shown}"


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
    cut = await history_of(env, result)
    assert total(cut) < THIRTY_STEPS_TOTAL, f"{total(cut)} events:\n{describe(cut)}"
    assert all(s.sends for s in cut if s.cause == "wake"), describe(cut)
