"""Nobody acts as someone else, and who did what is recorded: only admins or the named
project manager start a project (`started_by` says who did); only admins or a schedule's
project manager create, pause, resume, trigger or delete it (each kept with who did)."""

import uuid

from baton.store.schedule_actions import ScheduleActions
from tests.api.conftest import BLOG_TEAM, days_ahead


def blog(**fields) -> dict:
    return {"playbook": "blog-post", "name": f"Post {uuid.uuid4().hex[:8]}",
            "launch_date": days_ahead(60), "assignments": BLOG_TEAM,
            "project_manager": "pat", **fields}  # fmt: skip


async def test_only_admins_or_the_named_pm_start_a_project_and_who_did_is_kept(baton):
    refused = await baton["sam"].post("/api/projects", json=blog())
    assert refused.status_code == 403
    assert "only the project's manager or an admin" in refused.json()["detail"]
    own = await baton["sam"].post("/api/projects", json=blog(project_manager="sam"))
    assert own.status_code == 201, own.text
    assert own.json()["started_by"] == "sam"
    spoofed = await baton["pat"].post("/api/projects", json=blog(started_by="sam"))
    assert spoofed.status_code == 201
    assert spoofed.json()["started_by"] == "pat"  # the token decides, not the body


async def test_only_admins_or_its_pm_change_a_schedule_and_each_change_is_kept(baton):
    slug = f"weekly-{uuid.uuid4().hex[:6]}"
    spec = {"playbook": "blog-post", "name": "Weekly", "slug": slug, "assignments": BLOG_TEAM,
            "project_manager": "sam", "lead_days": 40}  # fmt: skip
    not_theirs = await baton["bob"].post("/api/schedules", json={"spec": spec, "every": "daily"})
    assert not_theirs.status_code == 403
    created = await baton["sam"].post("/api/schedules", json={"spec": spec, "every": "daily"})
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert (schedule["project_manager"], schedule["created_by"]) == ("sam", "sam")
    path = f"/api/schedules/{schedule['schedule_id']}"
    for action in ("pause", "resume", "trigger"):
        assert (await baton["bob"].post(f"{path}/{action}", json={})).status_code == 403
    assert (await baton["bob"].delete(path)).status_code == 403
    assert (await baton["sam"].post(f"{path}/pause", json={"note": "summer"})).status_code == 200
    assert (await baton["pat"].post(f"{path}/resume", json={})).status_code == 200  # an admin
    assert (await baton["sam"].delete(path)).status_code == 204
    history = await ScheduleActions(baton.services.pool).history(schedule["schedule_id"])
    assert [(e.action, e.actor, e.note) for e in history] == [
        ("create", "sam", None), ("pause", "sam", "summer"), ("resume", "pat", None),
        ("delete", "sam", None),
    ]  # fmt: skip
