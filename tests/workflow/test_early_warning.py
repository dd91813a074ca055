"""The early warning, end to end on the time-skipping server: a blog post whose history
says the writer is slow, with the draft coming in late, warns the project manager
(`at_risk`) before the publish date; the same post with a writer the history knows as
quick, every step on time, warns nobody. The scenario is examples/early-warning.yaml."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml

from baton import wording
from starters.simulate import scenario_from_data, simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PUBLISH = datetime(2026, 12, 15, 17, tzinfo=UTC)


def scenario(**changes) -> dict:
    data = yaml.safe_load((EXAMPLES / "early-warning.yaml").read_text())
    data["history"] = str(EXAMPLES / data["history"])
    return data | changes


def warnings_to_pat(result) -> list:
    return [e for e in result.timeline if e.type == "at_risk" and e.recipient == "pat"]


async def test_a_slow_writer_late_with_the_draft_warns_the_pm_before_the_publish_date(env):
    result = await simulate(
        scenario_from_data(scenario(slug=f"slow-{uuid.uuid4().hex[:8]}"), "<slow writer>"), env=env
    )
    warned = warnings_to_pat(result)
    assert warned, [(e.at, e.type) for e in result.timeline]
    first = warned[0]
    assert first.at < PUBLISH
    assert first.detail.startswith("a ") and "chance of making the publish date" in first.detail
    assert "critical: 'Write final draft'" in first.detail  # the slow step is named first
    assert result.status.p_on_time is None or 0 <= result.status.p_on_time <= 1


async def test_a_quick_writer_on_time_warns_nobody(env):
    on_time = [
        {**action, "actor": "bob" if action["actor"] == "alice" else action["actor"]}
        for action in scenario()["actions"]
    ]
    dates = {  # the writer's steps and those after the draft, each before its due
        "draft": "2026-12-04T12:00:00Z",
        "images": "2026-12-09T12:00:00Z",
        "promote": "2026-12-10T12:00:00Z",
        "publish": "2026-12-14T12:00:00Z",
    }
    for action in on_time:
        if action["step_id"] in dates:
            action["at"] = dates[action["step_id"]]
    data = scenario(assignments={**scenario()["assignments"], "writer": "bob"}, actions=on_time)
    result = await simulate(scenario_from_data(data, "<quick writer>"), env=env)
    assert result.state == "completed"
    assert warnings_to_pat(result) == []


async def test_a_start_already_at_risk_warns_at_once_without_refusing(env):
    """Feasibility at the start: the forecast of the first state is in the start itself,
    so the project starts (no refusal) and the PM is told at the start instant."""
    late_start = datetime(2026, 11, 22, 9, tzinfo=UTC)
    data = scenario(
        slug=f"tight-{uuid.uuid4().hex[:8]}",
        start_at=late_start.isoformat(),
        allow_late=True,
        actions=[],
        until="2026-11-23T00:00:00Z",
    )
    result = await simulate(scenario_from_data(data, "<tight start>"), env=env)
    first = warnings_to_pat(result)[0]
    assert first.at == late_start
    assert result.status.p_on_time is not None and result.status.p_on_time < 0.7
    assert wording.start_warning(result.status).startswith("At risk from the start: a ")
