"""Late dates through the HTTP API: a start leaving steps due already is a 422 naming
`launch_date` (like any start the pre-check refuses); a reschedule doing so is a 409 (a
rule of the running project, refused by the workflow's validator). Both take
`compress` (the dues are spread between now and the launch, the PM told) or
`allow_late`. A schedule with a lead shorter than its playbook's span is a 422 naming
`lead_days` and the shortest lead that works."""

import re
import uuid
from datetime import UTC, datetime

from tests.api.conftest import BLOG_TEAM, days_ahead, eventually

LATE = re.compile(
    r"^\d steps would already be late \(first: 'idea' due \w{3} \d{4}-\d\d-\d\d 17:00 UTC\); "
    r"choose a later launch, or --compress to fit them between now and the launch, or "
    r"--allow-late to (start|reschedule) anyway$"
)


def blog(**fields) -> dict:
    return {
        "playbook": "blog-post",
        "name": f"Post {uuid.uuid4().hex[:8]}",
        "launch_date": days_ahead(10),
        "assignments": BLOG_TEAM,
        "project_manager": "pat",
        **fields,
    }


async def test_a_start_leaving_steps_late_is_422_and_starts_nothing(baton):
    request = blog()
    refused = await baton["pat"].post("/api/projects", json=request)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "launch_date"]
    assert LATE.match(problem["msg"]), problem["msg"]
    slug = request["name"].lower().replace(" ", "-")
    assert (await baton["pat"].get(f"/api/projects/{slug}")).status_code == 404


async def test_a_compressed_start_is_accepted_and_the_pm_is_told(baton):
    before = datetime.now(UTC)
    started = await baton["pat"].post("/api/projects", json=blog(compress=True))
    assert started.status_code == 201, started.text
    status = started.json()
    dues = [datetime.fromisoformat(step["due"]) for step in status["steps"]]
    assert all(due > before for due in dues) and dues == sorted(dues)
    assert dues[-1].date().isoformat() == days_ahead(10)
    inbox = await eventually(
        lambda: baton["pat"].get("/api/me/inbox"),
        lambda answer: any(m["workflow_id"] == status["workflow_id"] for m in answer.json()),
    )
    told = [m for m in inbox.json() if m["workflow_id"] == status["workflow_id"]]
    # The plan squeezed into ten days is told, and (its forecast low) may be warned about.
    [compressed] = [m for m in told if m["kind"] != "at_risk"]
    assert compressed["kind"] == "rescheduled"
    assert compressed["subject"].startswith(f"[{status['name']}] The plan was compressed")


async def test_a_start_allowed_late_is_accepted_with_the_late_steps_overdue(baton):
    started = await baton["pat"].post("/api/projects", json=blog(allow_late=True))
    assert started.status_code == 201, started.text
    assert started.json()["steps"][0]["overdue"] is True
    both = await baton["pat"].post("/api/projects", json=blog(allow_late=True, compress=True))
    assert both.status_code == 422
    assert "choose one of compress" in both.json()["detail"][0]["msg"]


async def test_a_reschedule_leaving_steps_late_is_409_unless_compressed(baton):
    slug = (await baton.start())["slug"]  # launching in 60 days
    path = f"/api/projects/{slug}/reschedule"
    refused = await baton["pat"].post(path, json={"launch_date": days_ahead(10)})
    assert refused.status_code == 409
    assert LATE.match(refused.json()["detail"]), refused.json()["detail"]
    moved = await baton["pat"].post(path, json={"launch_date": days_ahead(10), "compress": True})
    assert moved.status_code == 200, moved.text
    assert "plan compressed:" in moved.json()["message"]
    dues = [datetime.fromisoformat(step["due"]) for step in moved.json()["status"]["steps"]]
    assert all(due > datetime.now(UTC) for due in dues) and dues == sorted(dues)


async def test_a_schedule_lead_shorter_than_the_playbook_is_422_naming_the_shortest(baton):
    spec = {
        "playbook": "blog-post",
        "name": "Weekly post",
        "slug": f"weekly-{uuid.uuid4().hex[:6]}",
        "assignments": BLOG_TEAM,
        "project_manager": "pat",
        "lead_days": 7,
    }
    refused = await baton["pat"].post("/api/schedules", json={"spec": spec, "every": "daily"})
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "lead_days"]
    assert problem["msg"] == (
        "a lead of 7 days is too short for 'blog-post': its first step 'idea' is due 30 days "
        "before the launch, so every project would start with steps already late; the "
        "shortest lead that works is 30 days (--lead 30d)"
    )
