"""Representative project histories for the replay tests.

Each scenario is kept in two shapes: `NAME.json`, recorded before the lean history
(activities for effects, a timer re-armed at every message, a wake-up at each due
instant), which keeps that path of the `lean-history` patch replaying, and
`NAME--lean.json`, recorded by today's code. Record today's shape again (only when a
change to the workflow is meant to break replay, and then behind `workflow.patched` for
running projects) with:

    .venv/bin/python -m tests.workflow.histories

`blog-post-late-reschedule.json` is not made here: it was recorded by the code of
da6b63a, before a reschedule leaving steps late was refused (a launch moved to
2026-11-30 on 11-11, then two steps done). It keeps the `refuse-late-reschedule` patch
honest; keep it as it is.
"""

import asyncio
from pathlib import Path

from starters.client import ensure_search_attributes
from starters.simulate import scenario_from_data, simulate, start_time_skipping

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
SHAPE = "lean"  # today's history shape (the `lean-history` patch)
TEAM = {
    "strategist": "sam",
    "seo": "sam",
    "writer": "alice",
    "designer": "dana",
    "social": "sol",
    "stakeholder": "stu",
}

SCENARIOS = {
    "blog-post-rework-and-late-draft": {
        "playbook": "blog-post",
        "name": "Replay rework",
        "launch_date": "2026-12-15",
        "timezone": "Europe/Berlin",
        "people": {"alice": {"timezone": "America/New_York", "working_hours": "08:00-16:00"}},
        "assignments": TEAM,
        "project_manager": "pat",
        "start_at": "2026-11-10T09:00:00Z",
        "actions": [
            {
                "at": "2026-11-14T10:00:00Z",
                "action": "complete_step",
                "step_id": "idea",
                "actor": "sam",
            },
            {
                "at": "2026-11-18T10:00:00Z",
                "action": "complete_step",
                "step_id": "keywords",
                "actor": "sam",
            },
            {
                "at": "2026-11-20T10:00:00Z",
                "action": "complete_step",
                "step_id": "outline",
                "actor": "alice",
            },
            {
                "at": "2026-11-24T10:00:00Z",
                "action": "review_step",
                "step_id": "approve-outline",
                "actor": "sam",
                "approve": False,
                "comment": "too long",
            },
            {
                "at": "2026-11-24T12:00:00Z",
                "action": "complete_step",
                "step_id": "outline",
                "actor": "alice",
            },
            {
                "at": "2026-11-24T13:00:00Z",
                "action": "review_step",
                "step_id": "approve-outline",
                "actor": "sam",
                "approve": True,
            },
            {
                "at": "2026-11-24T14:00:00Z",
                "action": "review_step",
                "step_id": "approve-outline",
                "actor": "stu",
                "approve": True,
            },
            {
                "at": "2026-11-25T10:00:00Z",
                "action": "reassign_step",
                "step_id": "draft",
                "actor": "pat",
                "to": "bob",
            },
            {
                "at": "2026-12-07T15:00:00Z",
                "action": "complete_step",
                "step_id": "draft",
                "actor": "bob",
            },
            {
                "at": "2026-12-08T10:00:00Z",
                "action": "complete_step",
                "step_id": "images",
                "actor": "alice",
            },
            {
                "at": "2026-12-09T10:00:00Z",
                "action": "complete_step",
                "step_id": "images",
                "actor": "dana",
            },
            {
                "at": "2026-12-10T10:00:00Z",
                "action": "complete_step",
                "step_id": "promote",
                "actor": "sol",
            },
            {
                "at": "2026-12-15T10:00:00Z",
                "action": "complete_step",
                "step_id": "publish",
                "actor": "alice",
            },
        ],
    },
    "webinar-decision-reschedule-cancel": {
        "playbook": "webinar",
        "name": "Replay webinar",
        "launch_date": "2027-03-01",
        "assignments": {
            "event": "eve",
            "speakers": "sue",
            "content": "cal",
            "designer": "dana",
            "email": "emma",
            "ops": "otto",
            "director": "dir",
        },
        "project_manager": "pat",
        "start_at": "2027-01-04T09:00:00Z",
        "actions": [
            {
                "at": "2027-01-05T10:00:00Z",
                "action": "complete_step",
                "step_id": "brief",
                "actor": "eve",
            },
            {
                "at": "2027-01-06T10:00:00Z",
                "action": "choose_option",
                "step_id": "format",
                "actor": "eve",
                "option": "online",
            },
            {
                "at": "2027-01-07T10:00:00Z",
                "action": "reschedule",
                "actor": "pat",
                "launch_date": "2027-03-15",
            },
            {
                "at": "2027-01-08T10:00:00Z",
                "action": "cancel_project",
                "actor": "pat",
                "reason": "budget cut",
            },
        ],
    },
}


async def record() -> None:
    async with await start_time_skipping() as env:
        await ensure_search_attributes(env.client, env.client.namespace)
        for name, scenario in SCENARIOS.items():
            result = await simulate(scenario_from_data(scenario, name), env=env)
            handle = env.client.get_workflow_handle(result.status.workflow_id)
            history = await handle.fetch_history()
            (HISTORIES / f"{name}--{SHAPE}.json").write_text(history.to_json())
            print(f"{name}: {len(history.events)} events, project {result.state}")


if __name__ == "__main__":
    asyncio.run(record())
