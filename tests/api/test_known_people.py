"""People must exist, through the API: a start, a reassignment and a schedule naming
someone not in the directory are a 422 naming the field, and change nothing; a people
import refuses a malformed email and a manager or backup naming nobody. Real worker,
Temporal and PostgreSQL (see conftest)."""

import uuid

from tests.api.conftest import BLOG_TEAM, days_ahead

TYPO = "unknown person 'samm' for role 'strategist'; did you mean 'sam'?"


def blog(**fields) -> dict:
    return {"playbook": "blog-post", "name": f"Post {uuid.uuid4().hex[:8]}",
            "launch_date": days_ahead(60), "assignments": BLOG_TEAM,
            "project_manager": "pat", **fields}  # fmt: skip


async def test_a_start_naming_an_unknown_person_is_a_422_naming_the_field(baton):
    request = blog(assignments={**BLOG_TEAM, "strategist": "samm"})
    refused = await baton["pat"].post("/api/projects", json=request)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"loc": ["body", "assignments", "strategist"], "msg": TYPO, "type": "value_error"}
    ]
    # Nothing started: the same project starts once the typo is fixed.
    fixed = await baton["pat"].post("/api/projects", json={**request, "assignments": BLOG_TEAM})
    assert fixed.status_code == 201, fixed.text

    both = await baton["pat"].post(
        "/api/projects",
        json=blog(assignments={**BLOG_TEAM, "writer": "alize"}, project_manager="pat"),
    )
    assert both.json()["detail"][0]["loc"] == ["body", "assignments", "writer"]
    assert both.json()["detail"][0]["msg"].endswith("did you mean 'alice'?")


async def test_a_reassignment_to_an_unknown_person_is_a_422_and_the_step_stays(baton):
    slug = (await baton.start())["slug"]
    steps = f"/api/projects/{slug}/steps"
    refused = await baton["sam"].post(f"{steps}/idea/reassign", json={"to": "bobb"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "loc": ["body", "to"],
            "msg": "unknown person 'bobb' to reassign to; did you mean 'bob'?",
            "type": "value_error",
        }
    ]
    status = (await baton["sam"].get(f"/api/projects/{slug}")).json()
    idea = next(step for step in status["steps"] if step["id"] == "idea")
    assert idea["owners"] == ["sam"]
    assert not any(entry["type"] == "reassigned" for entry in status["log"])

    moved = await baton["sam"].post(f"{steps}/idea/reassign", json={"to": "bob"})
    assert moved.status_code == 200, moved.text


async def test_a_schedule_naming_an_unknown_person_is_refused(baton):
    spec = {"playbook": "blog-post", "name": "Weekly", "slug": f"w-{uuid.uuid4().hex[:6]}",
            "assignments": BLOG_TEAM, "project_manager": "pat", "lead_days": 40}  # fmt: skip
    refused = await baton["pat"].post(
        "/api/schedules",
        json={
            "spec": spec | {"assignments": {**BLOG_TEAM, "strategist": "samm"}},
            "every": "weekly on Tue",
        },
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == TYPO
    assert refused.json()["detail"][0]["loc"][-2:] == ["assignments", "strategist"]
    listed = (await baton["pat"].get("/api/schedules")).json()
    assert f"schedule-{spec['slug']}" not in {row["schedule_id"] for row in listed}


async def test_a_people_import_refuses_bad_emails_and_dangling_references(baton):
    kim, lee = f"k{uuid.uuid4().hex[:6]}", f"l{uuid.uuid4().hex[:6]}"
    text = f"{kim}: {{email: not-an-address}}\n{lee}: {{manager: {kim}x, backup: sam}}\n"
    refused = await baton["pat"].post("/api/people/import?format=yaml", content=text)
    assert refused.status_code == 422
    found = [(p["where"], p["field"], p["message"]) for p in refused.json()["problems"]]
    assert found == [
        (f"person '{kim}'", "email",
         "'not-an-address' is not an email address; write it like alice@example.com"),
        (f"person '{lee}'", "manager",
         f"names nobody: '{kim}x' is neither in this file nor in the directory; "
         f"did you mean '{kim}'?"),
    ]  # fmt: skip
    team = {p["id"] for p in (await baton["sam"].get("/api/people")).json()}
    assert kim not in team and lee not in team  # all or nothing

    good = f"{kim}: {{email: {kim}@example.com, backup: sam}}\n"  # sam: in the directory
    imported = await baton["pat"].post("/api/people/import?format=yaml", content=good)
    assert imported.status_code == 200, imported.text
