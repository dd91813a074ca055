"""Input that once made the API answer 500, or broke a project, now answers with a clear
4xx naming what is wrong, and changes nothing."""

import uuid

import pytest

from tests.api.conftest import BLOG_TEAM, days_ahead


def blog(**fields) -> dict:
    return {"playbook": "blog-post", "name": f"Post {uuid.uuid4().hex[:8]}",
            "launch_date": days_ahead(60), "assignments": BLOG_TEAM,
            "project_manager": "pat", **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "options", "code", "says"),
    [
        ("get", "/api/playbooks/blog-post?version=3000000000", {}, 422, "less than or equal"),
        ("post", "/api/projects", {"json": blog(playbook_version=3_000_000_000)}, 422,
         "less than or equal"),
        ("post", "/api/schedules", {"json": {"every": "daily", "spec": {
            "playbook": "blog-post", "name": "Weekly", "assignments": BLOG_TEAM,
            "project_manager": "pat", "lead_days": 10**11}}}, 422, "less than or equal"),
        ("get", "/api/playbooks/blog-post/plan?launch=0001-01-01", {}, 422, "outside the dates"),
        ("post", "/api/projects", {"json": blog(launch_date="9999-12-31")}, 422,
         "outside the dates"),
        ("post", "/api/projects", {"json": blog(name="Post\u0000")}, 422, "control character"),
        ("get", "/api/projects?owner=sam%00", {}, 422, "control character"),
        ("get", "/api/people/sa%00m/tasks", {}, 422, "pattern"),
        ("get", "/api/projects/post%00x", {}, 404, "no project"),
        ("post", "/api/playbooks/validate", {"content": "[" * 5000 + "]" * 5000}, 200,
         "nests [ ] or { } more than 100 deep"),
        ("post", "/api/playbooks", {"content": "a:\n" + "  " * 400 + "- x"}, 422, "field 'id'"),
        ("post", "/api/playbooks/validate", {"content": "version: " + "1" * 5000}, 200,
         "cannot be read"),
    ],
)  # fmt: skip
async def test_input_that_once_was_a_server_error_is_a_clear_4xx(
    baton, method, path, options, code, says
):
    answer = await getattr(baton["pat"], method)(path, **options)
    assert answer.status_code == code, answer.text
    assert says in answer.text


async def test_a_reassignment_to_no_valid_person_is_refused_and_the_project_answers(baton):
    project = await baton.start()
    steps = f"/api/projects/{project['slug']}/steps"
    refused = await baton["sam"].post(f"{steps}/idea/reassign", json={"to": "Bob Smith"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "to"]
    huge = await baton["sam"].post(f"{steps}/idea/complete", json={"note": "x" * 850_000})
    assert huge.status_code == 422
    assert (await baton["sam"].get(f"/api/projects/{project['slug']}")).status_code == 200
    done = await baton["sam"].post(f"{steps}/idea/complete", json={"note": "fine"})
    assert done.status_code == 200, done.text
