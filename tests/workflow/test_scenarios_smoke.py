"""The blog post of DESIGN.md run end to end through `simulate`."""

from tests.workflow.conftest import BLOG_TEAM, entries, utc


async def test_writer_two_days_late_gets_reminders_follow_ups_and_pm_escalation(run_scenario):
    result = await run_scenario(
        playbook="blog-post",
        name="Late draft",
        launch_date="2026-12-15",
        assignments=BLOG_TEAM,
        project_manager="pat",
        start_at="2026-11-10T09:00:00Z",
        actions=[
            {
                "at": "2026-11-12T10:00:00Z",
                "action": "complete_step",
                "step_id": "idea",
                "actor": "sam",
            },
            {
                "at": "2026-11-13T10:00:00Z",
                "action": "complete_step",
                "step_id": "keywords",
                "actor": "sam",
            },
            {
                "at": "2026-11-16T10:00:00Z",
                "action": "complete_step",
                "step_id": "outline",
                "actor": "alice",
            },
            {
                "at": "2026-11-17T10:00:00Z",
                "action": "review_step",
                "step_id": "approve-outline",
                "actor": "sam",
                "approve": True,
            },
            {
                "at": "2026-11-17T11:00:00Z",
                "action": "review_step",
                "step_id": "approve-outline",
                "actor": "stu",
                "approve": True,
            },
            # The draft is due Sat 2026-12-05 17:00 UTC; alice finishes Mon 12-07 15:00.
            {
                "at": "2026-12-07T15:00:00Z",
                "action": "complete_step",
                "step_id": "draft",
                "actor": "alice",
            },
        ],
        until="2026-12-08T00:00:00Z",
    )
    assert result.state == "active"
    reminders = [(e.at, e.recipient) for e in entries(result, "reminder", step_id="draft")]
    # 48h before: Thu 12-03 17:00 (17:00 is inside 09:00-17:00); 24h before: Fri 12-04 17:00.
    assert reminders == [
        (utc("2026-12-03T17:00:00Z"), "alice"),
        (utc("2026-12-04T17:00:00Z"), "alice"),
    ]
    follow_ups = [e.at for e in entries(result, "follow_up", step_id="draft")]
    # Due Sat 17:00 -> follow-ups Sat 21:00, Sun 21:00, Mon 21:00 -> all quiet hours:
    # the weekend two collapse into Mon 09:00; the third (Mon 21:00) never comes: done at 15:00.
    assert follow_ups == [utc("2026-12-07T09:00:00Z")]
    escalations = entries(result, "escalated", step_id="draft")
    assert [(e.at, e.recipient) for e in escalations] == [(utc("2026-12-07T09:00:00Z"), "pat")]
    assert entries(result, "completed", step_id="draft", actor="alice")
    assert entries(result, "assigned", step_id="images", recipient="dana")
