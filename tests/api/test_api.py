"""The HTTP API as its users meet it: a token per person decides who acts; every CLI
operation is there, answering JSON; refusals are 409 with the workflow's reason,
unknown things 404, unusable input 422 naming the field; nothing a client sends gets a
500. Real worker, real Temporal, real PostgreSQL (see conftest)."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.tokens import hash_token
from tests import pg
from tests.api.conftest import BLOG_TEAM, days_ahead, eventually

BATON = str(Path(sys.executable).parent / "baton")

PLAYBOOK = """\
id: {id}
name: Tiny launch
roles: {{owner: Owner, boss: Boss}}
steps:
  - {{id: write, name: Write it, owner: owner, due: -2d}}
  - {{id: ok, name: Approve it, kind: approval, approvers: [boss], after: [write], due: -1d}}
"""


def steps(status: dict) -> dict[str, dict]:
    return {step["id"]: step for step in status["steps"]}


# -- who is asking


async def test_a_request_without_a_valid_token_is_401_and_says_how_to_get_one(baton):
    missing = await baton[None].get("/api/projects")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in missing.json()["detail"]
    assert "baton people token" in missing.json()["detail"]

    forged = baton.client({"Authorization": "Bearer bt_not-a-real-token"})
    wrong = await forged.get("/api/me")
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert "not valid" in wrong.json()["detail"]
    basic = await baton.client({"Authorization": "Basic c2FtOnNhbQ=="}).get("/api/me")
    assert basic.status_code == 401


async def test_me_is_the_token_s_person(baton):
    sam = (await baton["sam"].get("/api/me")).json()
    assert sam["person"]["id"] == "sam" and sam["is_admin"] is False
    assert (await baton["pat"].get("/api/me")).json()["is_admin"] is True


async def test_the_token_decides_who_acts(baton):
    project = await baton.start()
    slug = project["slug"]
    refused = await baton["alice"].post(f"/api/projects/{slug}/steps/idea/complete", json={})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "alice may not complete 'idea': only sam (owner) or pat (project manager) may"
    )
    impersonating = await baton["alice"].post(
        f"/api/projects/{slug}/steps/idea/complete", json={"actor": "sam"}
    )
    assert impersonating.status_code == 422  # no endpoint takes an actor
    assert impersonating.json()["detail"][0]["loc"] == ["body", "actor"]

    done = await baton["sam"].post(
        f"/api/projects/{slug}/steps/idea/complete",
        json={"note": "AI for small teams", "link": "https://docs.example/idea"},
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert "completed 'idea' by sam" in result["message"]
    assert result["state"] == "active"
    assert any(e["type"] == "completed" and e["actor"] == "sam" for e in result["entries"])
    now = steps(result["status"])
    assert now["idea"]["state"] == "done" and now["keywords"]["state"] == "active"
    assert now["idea"]["notes"][0]["text"] == "AI for small teams"
    assert now["idea"]["notes"][0]["actor"] == "sam"


# -- playbooks


async def test_only_admins_publish_playbooks_and_a_version_is_made_only_on_change(baton):
    playbook_id = f"tiny-{uuid.uuid4().hex[:6]}"
    body = PLAYBOOK.format(id=playbook_id)
    yaml = {"Content-Type": "application/yaml"}
    forbidden = await baton["sam"].post("/api/playbooks", content=body, headers=yaml)
    assert forbidden.status_code == 403
    assert "sam is not an admin" in forbidden.json()["detail"]

    first = await baton["pat"].post("/api/playbooks", content=body, headers=yaml)
    assert first.status_code == 201
    assert first.json() == {"id": playbook_id, "version": 1, "created": True}
    again = await baton["pat"].post("/api/playbooks", content=body + "# a comment\n")
    assert again.status_code == 200 and again.json()["created"] is False
    changed = body.replace("Tiny launch", "Tiny launch, renamed")
    second = await baton["pat"].post("/api/playbooks", content=changed)
    assert second.status_code == 201 and second.json()["version"] == 2

    listed = {row["id"]: row for row in (await baton["sam"].get("/api/playbooks")).json()}
    assert listed[playbook_id]["version"] == 2 and listed[playbook_id]["steps"] == 2
    assert listed["blog-post"]["name"] == "Blog post"
    latest = (await baton["sam"].get(f"/api/playbooks/{playbook_id}")).json()
    assert latest["version"] == 2 and latest["playbook"]["name"] == "Tiny launch, renamed"
    old = (await baton["sam"].get(f"/api/playbooks/{playbook_id}?version=1")).json()
    assert old["playbook"]["name"] == "Tiny launch"
    assert old["playbook"]["steps"][0]["due"] == "-2d"

    missing = await baton["sam"].get(f"/api/playbooks/{playbook_id}?version=7")
    assert missing.status_code == 404
    assert "has no version 7; its versions are 1, 2" in missing.json()["detail"]
    unknown = await baton["sam"].get("/api/playbooks/no-such-playbook")
    assert unknown.status_code == 404 and "blog-post" in unknown.json()["detail"]

    broken = await baton["pat"].post(
        "/api/playbooks?file=tiny.yaml", content=body.replace("after: [write]", "after: [nope]")
    )
    assert broken.status_code == 422
    [problem] = broken.json()["problems"]
    assert problem["file"] == "tiny.yaml" and problem["step"] == "ok"
    assert problem["field"] == "after" and "nope" in problem["message"]


async def test_validate_lists_every_problem_with_file_step_and_field(baton):
    good = await baton["sam"].post("/api/playbooks/validate", content=PLAYBOOK.format(id="t"))
    assert good.status_code == 200
    assert good.json() == {"valid": True, "id": "t", "name": "Tiny launch", "steps": 2,
                           "problems": []}  # fmt: skip

    bad_body = PLAYBOOK.format(id="t").replace("after: [write]", "after: [nope]")
    bad_body = bad_body.replace("approvers: [boss]", "approvers: [boss], colour: red")
    bad = await baton["sam"].post("/api/playbooks/validate?file=mine.yaml", content=bad_body)
    assert bad.status_code == 200
    report = bad.json()
    assert report["valid"] is False
    assert {(p["file"], p["step"], p["field"]) for p in report["problems"]} >= {
        ("mine.yaml", "ok", "colour")
    }
    assert all(p["message"] for p in report["problems"])

    not_yaml = await baton["sam"].post("/api/playbooks/validate", content="steps: [unclosed")
    assert not_yaml.json()["valid"] is False
    assert "not valid YAML" in not_yaml.json()["problems"][0]["message"]
    binary = await baton["sam"].post("/api/playbooks/validate", content=b"\xff\xfe\x00")
    assert binary.status_code == 422 and "UTF-8" in binary.json()["detail"]


async def test_plan_puts_every_step_on_the_calendar(baton):
    planned = await baton["sam"].get(
        "/api/playbooks/blog-post/plan?launch=2026-12-15&timezone=Europe/Berlin"
    )
    assert planned.status_code == 200
    plan = planned.json()
    assert plan["launch_date"] == "2026-12-15" and plan["timezone"] == "Europe/Berlin"
    dues = {step["id"]: step["due"] for step in plan["steps"]}
    assert dues["publish"] == "2026-12-15T17:00:00+01:00"
    assert dues["idea"] == "2026-11-15T17:00:00+01:00"
    assert steps(plan)["approve-outline"]["owners"] == ["seo", "stakeholder"]

    bad_date = await baton["sam"].get("/api/playbooks/blog-post/plan?launch=15.12.2026")
    assert bad_date.status_code == 422
    assert bad_date.json()["detail"][0]["loc"] == ["query", "launch"]
    bad_zone = await baton["sam"].get(
        "/api/playbooks/blog-post/plan?launch=2026-12-15&timezone=Mars/Olympus"
    )
    assert bad_zone.status_code == 422 and "unknown time zone" in bad_zone.json()["detail"]


# -- people


async def test_admins_import_people_all_or_nothing(baton):
    new = f"n{uuid.uuid4().hex[:6]}"
    csv = f"id,name,timezone\n{new},New Person,Europe/Paris\n"
    forbidden = await baton["sam"].post("/api/people/import?format=csv", content=csv)
    assert forbidden.status_code == 403

    imported = await baton["pat"].post("/api/people/import?format=csv", content=csv)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"imported": 1, "people": [new]}
    team = {p["id"]: p for p in (await baton["sam"].get("/api/people")).json()}
    assert team[new]["timezone"] == "Europe/Paris" and "sam" in team

    other = f"o{uuid.uuid4().hex[:6]}"
    broken = f"{other}: {{name: Other}}\n{new}: {{timezone: Nowhere/City}}\n"
    refused = await baton["pat"].post("/api/people/import?format=yaml", content=broken)
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert problem["where"] == f"person '{new}'" and problem["field"] == "timezone"
    assert "unknown time zone" in problem["message"]
    team = {p["id"]: p for p in (await baton["sam"].get("/api/people")).json()}
    assert other not in team and team[new]["timezone"] == "Europe/Paris"  # nothing changed

    bad_row = await baton["pat"].post(
        "/api/people/import?format=csv", content="id,working_hours\nzed,9 to 5\n"
    )
    assert bad_row.status_code == 422
    assert bad_row.json()["problems"][0]["where"] == "line 2 (id 'zed')"
    assert bad_row.json()["problems"][0]["field"] == "working_hours"


async def test_admins_make_tokens_shown_once_that_replace_the_old_one(baton):
    forbidden = await baton["sam"].post("/api/people/eve/token")
    assert forbidden.status_code == 403
    made = await baton["pat"].post("/api/people/eve/token", json={"admin": True})
    assert made.status_code == 200
    answer = made.json()
    assert answer["person"] == "eve" and answer["is_admin"] is True
    assert "shown once" in answer["note"]
    eve = baton.client({"Authorization": f"Bearer {answer['token']}"})
    me = (await eve.get("/api/me")).json()
    assert me["person"]["id"] == "eve" and me["is_admin"] is True
    assert (await baton["eve"].get("/api/me")).status_code == 401  # the old token is gone
    unknown = await baton["pat"].post("/api/people/nobody/token")
    assert unknown.status_code == 404 and "no person 'nobody'" in unknown.json()["detail"]


# -- projects


async def test_start_answers_201_with_the_status_and_where_it_is(baton):
    name = f"Launch post {uuid.uuid4().hex[:6]}"
    response = await baton["pat"].post(  # the project manager starts it
        "/api/projects",
        json={
            "playbook": "blog-post",
            "name": name,
            "launch_date": days_ahead(60),
            "timezone": "Europe/Berlin",
            "assignments": BLOG_TEAM,
            "project_manager": "pat",
        },
    )
    assert response.status_code == 201, response.text
    status = response.json()
    slug = status["slug"]
    assert response.headers["Location"] == f"/api/projects/{slug}"
    assert status["workflow_id"] == f"project-{slug}" and status["name"] == name
    assert status["temporal_url"] == (
        f"http://temporal.test/namespaces/default/workflows/project-{slug}"
    )
    assert steps(status)["idea"]["state"] == "active"
    assert steps(status)["idea"]["owners"] == ["sam"]
    assert status["playbook_version"] == 1

    by_slug = await baton["alice"].get(f"/api/projects/{slug}")
    by_id = await baton["alice"].get(f"/api/projects/project-{slug}")
    assert by_slug.status_code == by_id.status_code == 200
    assert by_slug.json()["steps"] == by_id.json()["steps"]

    duplicate = await baton["pat"].post(
        "/api/projects",
        json={"playbook": "blog-post", "name": name, "launch_date": days_ahead(60),
              "assignments": BLOG_TEAM, "project_manager": "pat"},
    )  # fmt: skip
    assert duplicate.status_code == 409
    assert f"a project with id 'project-{slug}' already exists" in duplicate.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"assignments": {k: v for k, v in BLOG_TEAM.items() if k != "writer"}},
         "assignments", "missing: writer (Blog writer)"),
        ({"assignments": {**BLOG_TEAM, "juggler": "bob"}}, "assignments", "no role juggler"),
        ({"playbook": "no-such-playbook"}, "playbook", "no playbook 'no-such-playbook'"),
        ({"playbook_version": 9}, "playbook_version", "has no version 9"),
        ({"launch_date": "2020-01-01"}, "launch_date", "is in the past"),
        ({"launch_date": None}, "launch_date", "give a launch date"),
    ],
)  # fmt: skip
async def test_a_start_baton_cannot_run_is_422_naming_the_field(baton, change, field, words):
    request = {"playbook": "blog-post", "name": f"P {uuid.uuid4().hex[:6]}",
               "launch_date": days_ahead(60), "assignments": BLOG_TEAM,
               "project_manager": "pat", **change}  # fmt: skip
    response = await baton["pat"].post("/api/projects", json=request)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", field]
    assert words in problem["msg"]
    missing = await baton["sam"].get(f"/api/projects/{request['name'].lower().replace(' ', '-')}")
    assert missing.status_code == 404  # nothing was started


async def test_unknown_projects_and_steps_are_404(baton):
    unknown = await baton["sam"].get("/api/projects/no-such-project")
    assert unknown.status_code == 404
    assert "no project 'project-no-such-project'" in unknown.json()["detail"]
    odd = await baton["sam"].get("/api/projects/Not a slug!")
    assert odd.status_code == 404
    on_unknown = await baton["sam"].post(
        "/api/projects/no-such-project/steps/idea/complete", json={}
    )
    assert on_unknown.status_code == 404

    slug = (await baton.start())["slug"]
    step = await baton["sam"].post(f"/api/projects/{slug}/steps/ideas/complete", json={})
    assert step.status_code == 404
    assert "has no step 'ideas'; steps are: idea, keywords" in step.json()["detail"]


async def test_a_rejection_sends_the_work_back_and_the_status_shows_the_rework(baton):
    slug = (await baton.start())["slug"]
    for person, step in (("sam", "idea"), ("sam", "keywords"), ("alice", "outline")):
        done = await baton[person].post(f"/api/projects/{slug}/steps/{step}/complete", json={})
        assert done.status_code == 200, done.text
    not_yours = await baton["alice"].post(
        f"/api/projects/{slug}/steps/approve-outline/review", json={"approve": True}
    )
    assert not_yours.status_code == 409 and "sam" in not_yours.json()["detail"]
    rejected = await baton["stu"].post(
        f"/api/projects/{slug}/steps/approve-outline/review",
        json={"approve": False, "comment": "too long"},
    )
    assert rejected.status_code == 200, rejected.text
    now = steps(rejected.json()["status"])
    assert now["outline"]["state"] == "active" and now["outline"]["revision"] == 2
    assert now["approve-outline"]["state"] == "waiting"
    assert now["approve-outline"]["revision"] == 2
    later = steps((await baton["sam"].get(f"/api/projects/{slug}")).json())
    assert later["outline"]["revision"] == 2

    inbox = await eventually(
        lambda: baton["alice"].get("/api/me/inbox"),
        lambda r: any(m["kind"] == "rework" and slug in m["workflow_id"] for m in r.json()),
    )
    rework = next(m for m in inbox.json() if m["kind"] == "rework" and slug in m["workflow_id"])
    assert 'Stu sent "Create blog post outline" back to you' in rework["body_text"]
    assert 'Their reason: "too long"' in rework["body_text"]
    # Alice's task list says who sent it back, and why.
    tasks = (await baton["alice"].get("/api/me/tasks")).json()
    outline = next(t for t in tasks if t["workflow_id"].endswith(slug))
    assert (outline["revision"], outline["sent_back_by"], outline["sent_back_because"]) == (
        2,
        "stu",
        "too long",
    )


async def test_a_rejection_needs_a_reason(baton):
    slug = (await baton.start())["slug"]
    for body in ({"approve": False}, {"approve": False, "comment": "   "}):
        bare = await baton["pat"].post(
            f"/api/projects/{slug}/steps/approve-outline/review", json=body
        )
        assert bare.status_code == 422, bare.text
        assert bare.json()["detail"] == [
            {
                "loc": ["body", "comment"],
                "msg": "a rejection needs a reason: say in the comment what to change",
                "type": "value_error",
            }
        ]


async def test_a_decision_switches_branches(baton):
    team = {"event": "sam", "speakers": "alice", "content": "dana", "designer": "dana",
            "email": "sol", "ops": "bob", "director": "stu"}  # fmt: skip
    slug = (await baton.start(playbook="webinar", assignments=team))["slug"]
    await baton["sam"].post(f"/api/projects/{slug}/steps/brief/complete", json={})
    wrong = await baton["sam"].post(
        f"/api/projects/{slug}/steps/format/choose", json={"option": "hybrid"}
    )
    assert wrong.status_code == 409 and "online" in wrong.json()["detail"]
    chosen = await baton["sam"].post(
        f"/api/projects/{slug}/steps/format/choose", json={"option": "online"}
    )
    assert chosen.status_code == 200, chosen.text
    now = steps(chosen.json()["status"])
    assert now["format"]["option"] == "online"
    assert now["venue"]["state"] == "skipped" and now["platform"]["state"] == "active"


async def test_reassign_reschedule_and_cancel(baton):
    project = await baton.start()
    slug = project["slug"]
    before = steps(project)["publish"]["due"]

    handed = await baton["sam"].post(
        f"/api/projects/{slug}/steps/idea/reassign", json={"to": "bob"}
    )
    assert handed.status_code == 200, handed.text
    assert steps(handed.json()["status"])["idea"]["owners"] == ["bob"]
    not_sams = await baton["sam"].post(f"/api/projects/{slug}/steps/idea/complete", json={})
    assert not_sams.status_code == 409 and "only bob (owner)" in not_sams.json()["detail"]

    not_pm = await baton["alice"].post(
        f"/api/projects/{slug}/reschedule", json={"launch_date": days_ahead(70)}
    )
    assert not_pm.status_code == 409 and "pat" in not_pm.json()["detail"]
    past = await baton["pat"].post(
        f"/api/projects/{slug}/reschedule", json={"launch_date": "2020-01-01"}
    )
    assert past.status_code == 409 and "in the past" in past.json()["detail"]
    moved = await baton["pat"].post(
        f"/api/projects/{slug}/reschedule", json={"launch_date": days_ahead(70)}
    )
    assert moved.status_code == 200, moved.text
    status = moved.json()["status"]
    assert status["launch_date"] == days_ahead(70)
    assert steps(status)["publish"]["due"] > before

    refused = await baton["alice"].post(f"/api/projects/{slug}/cancel", json={"reason": "no"})
    assert refused.status_code == 409
    cancelled = await baton["pat"].post(
        f"/api/projects/{slug}/cancel", json={"reason": "budget cut"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["status"]["cancel_reason"] == "budget cut"
    assert {s["state"] for s in cancelled.json()["status"]["steps"]} == {"cancelled"}


async def test_a_cancelled_project_tells_everyone_and_says_so_when_acted_on(baton):
    project = await baton.start()
    slug, workflow_id = project["slug"], project["workflow_id"]
    await baton["pat"].post(f"/api/projects/{slug}/cancel", json={"reason": "budget cut"})

    # The owner of the active step and the PM are told why.
    for person in ("sam", "pat"):
        inbox = await eventually(
            lambda person=person: baton[person].get("/api/me/inbox"),
            lambda r: any(m["kind"] == "cancelled" and m["workflow_id"] == workflow_id
                          for m in r.json()),
        )  # fmt: skip
        told = next(m for m in inbox.json() if m["kind"] == "cancelled")
        assert "Pat cancelled" in told["body_text"] and '"budget cut"' in told["body_text"]

    # Temporal's own status says Canceled, not Completed; the lists stop naming sam.
    handle = baton.services.client.get_workflow_handle(workflow_id)
    await eventually(
        lambda: handle.describe(), lambda d: d.status == WorkflowExecutionStatus.CANCELED
    )

    async def sams() -> set[str]:
        return {
            r["workflow_id"] for r in (await baton["sam"].get("/api/projects?owner=sam")).json()
        }

    await eventually(sams, lambda ids: workflow_id not in ids)

    # Any action now answers with what happened, never "no project".
    day = datetime.now(UTC).strftime("%a %Y-%m-%d")  # the project's zone is UTC
    for person, path, body in [
        ("sam", "steps/idea/complete", {}),
        ("pat", "cancel", {"reason": "again"}),
        ("pat", "reschedule", {"launch_date": days_ahead(90)}),
    ]:
        late = await baton[person].post(f"/api/projects/{slug}/{path}", json=body)
        assert late.status_code == 409, late.text
        assert late.json()["detail"] == (
            f"project '{slug}' was cancelled by pat on {day} (budget cut); nothing more can be done"
        )
    shown = (await baton["pat"].get(f"/api/projects/{slug}")).json()
    assert shown["state"] == "cancelled" and shown["cancelled_by"] == "pat"


async def test_lists_filter_by_state_playbook_owner_and_overdue(baton):
    mine = (await baton.start())["workflow_id"]
    team = {**BLOG_TEAM, "strategist": "dana"}
    danas = (await baton.start(assignments=team))["workflow_id"]
    late = await baton.start(launch_date=days_ahead(1), allow_late=True)  # every due has passed
    assert steps(late)["idea"]["overdue"] is True
    await baton["pat"].post(f"/api/projects/{danas}/cancel", json={"reason": "dropped"})

    async def listed(query: str) -> set[str]:
        rows = (await baton["sam"].get(f"/api/projects?{query}")).json()
        return {row["workflow_id"] for row in rows} & {mine, danas, late["workflow_id"]}

    ours = {mine, danas, late["workflow_id"]}
    await eventually(lambda: listed("playbook=blog-post"), lambda ids: ids == ours)
    await eventually(lambda: listed("state=cancelled"), lambda ids: ids == {danas})
    assert await listed("owner=sam&state=active") == {mine, late["workflow_id"]}
    assert await listed("overdue=true") == {late["workflow_id"]}
    assert await listed("playbook=webinar") == set()
    row = next(
        r
        for r in (await baton["sam"].get("/api/projects?owner=sam")).json()
        if r["workflow_id"] == mine
    )
    assert row["playbook"] == "blog-post" and row["owners"] == ["sam"] and row["state"] == "active"
    bad = await baton["sam"].get("/api/projects?state=sleeping")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "state"]


async def test_tasks_come_overdue_first_then_by_due(baton):
    far = (await baton.start(launch_date=days_ahead(90)))["workflow_id"]
    near = (await baton.start(launch_date=days_ahead(40)))["workflow_id"]
    late = (await baton.start(launch_date=days_ahead(1), allow_late=True))["workflow_id"]
    ours = [late, near, far]

    async def tasks(path: str) -> list[dict]:
        rows = (await baton["sam"].get(path)).json()
        return [row for row in rows if row["workflow_id"] in ours]

    mine = await eventually(lambda: tasks("/api/me/tasks"), lambda rows: len(rows) == 3)
    assert [row["workflow_id"] for row in mine] == ours
    assert [row["overdue"] for row in mine] == [True, False, False]
    assert {(row["step_id"], row["kind"]) for row in mine} == {("idea", "task")}
    assert await tasks("/api/people/sam/tasks") == mine
    nobody = await baton["sam"].get("/api/people/nobody/tasks")
    assert nobody.status_code == 404


async def test_inbox_returns_my_messages_and_marks_them_read(baton):
    slug = (await baton.start())["slug"]

    def assigned(rows: list[dict]) -> list[dict]:
        return [m for m in rows if m["workflow_id"] == f"project-{slug}"]

    first = await eventually(
        lambda: baton["sam"].get("/api/me/inbox?unread=true"),
        lambda r: assigned(r.json()),
    )
    [message] = assigned(first.json())
    assert message["kind"] == "assigned" and message["step_id"] == "idea"
    assert message["read_at"] is None
    assert f"baton complete {slug} idea --as sam" in message["body_text"]
    assert assigned((await baton["sam"].get("/api/me/inbox?unread=true")).json()) == []
    everything = assigned((await baton["sam"].get("/api/me/inbox")).json())
    assert everything[0]["read_at"] is not None
    assert assigned((await baton["alice"].get("/api/me/inbox")).json()) == []  # sam's only


# -- nothing a client sends is a 500


async def test_no_bad_input_is_a_server_error(baton):
    slug = (await baton.start())["slug"]
    step = f"/api/projects/{slug}/steps"
    broken_json = {"content": "{not json", "headers": {"Content-Type": "application/json"}}
    attempts = [
        ("sam", "post", "/api/projects", broken_json),
        ("sam", "post", "/api/projects", {"json": ["a", "list"]}),
        ("sam", "post", "/api/projects", {"json": {"playbook": "blog-post", "name": "x",
            "assignments": ["writer"], "project_manager": "pat"}}),
        ("sam", "post", "/api/projects", {"json": {"playbook": "blog-post", "name": "x",
            "slug": "Bad Slug", "project_manager": "pat"}}),
        ("sam", "post", "/api/projects", {"json": {"playbook": "blog-post", "name": "x",
            "timezone": "Nowhere/Town", "project_manager": "pat"}}),
        ("sam", "post", f"{step}/idea/complete", broken_json),
        ("sam", "post", f"{step}/idea/complete", {"json": {"note": ["not", "text"]}}),
        ("sam", "post", f"{step}/idea/complete", {}),
        ("sam", "post", f"{step}/approve-outline/review", {"json": {"approve": "maybe"}}),
        ("sam", "post", f"{step}/idea/review", {"json": {"approve": True}}),
        ("sam", "post", f"{step}/idea/choose", {"json": {"option": "video"}}),
        ("sam", "post", f"{step}/idea/choose", {"json": {}}),
        ("sam", "post", f"{step}/idea/reassign", {"json": {"to": ""}}),
        ("sam", "post", f"{step}/%00%27/complete", {"json": {}}),
        ("sam", "post", f"{step}/{'x' * 5000}/complete", {"json": {}}),
        ("sam", "post", f"/api/projects/{slug}/reschedule", {"json": {"launch_date": "soon"}}),
        ("sam", "post", f"/api/projects/{slug}/cancel", {"json": {"reason": ""}}),
        ("sam", "post", "/api/projects/%27%22/cancel", {"json": {"reason": "x"}}),
        ("sam", "get", "/api/projects?overdue=maybe", {}),
        ("sam", "get", "/api/playbooks/blog-post?version=abc", {}),
        ("sam", "get", "/api/playbooks/blog-post?version=0", {}),
        ("sam", "get", "/api/playbooks/blog-post/plan", {}),
        ("sam", "get", "/api/people/%27%3B/tasks", {}),
        ("pat", "post", "/api/playbooks", {"content": ""}),
        ("pat", "post", "/api/playbooks", {"content": "- a list"}),
        ("pat", "post", "/api/people/import?format=xml", {"content": "a"}),
        ("pat", "post", "/api/people/import", {"content": ""}),
        ("pat", "post", "/api/people/import", {"content": b"\xff\xfe"}),
        ("pat", "post", "/api/people/import?format=csv", {"content": "id\na,b\n"}),
        ("pat", "post", "/api/people/eve/token", {"json": {"admin": "perhaps"}}),
    ]  # fmt: skip
    for person, method, url, options in attempts:
        response = await getattr(baton[person], method)(url, **options)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert response.json()["detail"], url
    quoted = await baton["sam"].get("/api/projects?owner=%27%20OR%201%3D1%20--")
    assert quoted.status_code == 200 and quoted.json() == []  # a name, not a query
    status = (await baton["sam"].get(f"/api/projects/{slug}")).json()
    assert steps(status)["idea"]["state"] == "active" and status["state"] == "active"


async def test_the_openapi_document_describes_every_operation(baton):
    from fastapi import FastAPI

    from starters.web import api

    app = FastAPI()
    app.include_router(api.router)
    document = app.openapi()
    operations = [op for path in document["paths"].values() for op in path.values()]
    # 21 for playbooks, people, projects; 7 for schedules; 7 for reports, recalibration,
    # forecasts, history and what comes up next
    assert len(operations) == 35
    assert all(op.get("summary") for op in operations)
    assert "HTTPBearer" in document["components"]["securitySchemes"]


async def test_the_cli_makes_a_token_shown_once_and_stored_hashed(tmp_path):
    url = pg.create_database(template=await pg.migrated_template())
    team = tmp_path / "team.yaml"
    team.write_text("kim: {name: Kim}\n")
    env = {**os.environ, "DATABASE_URL": url}

    def baton_cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([BATON, *args], env=env, capture_output=True, text=True)

    try:
        assert (await asyncio.to_thread(baton_cli, "people", "import", str(team))).returncode == 0
        made = await asyncio.to_thread(baton_cli, "people", "token", "kim", "--admin")
        assert made.returncode == 0, made.stderr
        assert "shown once" in made.stdout and "only its hash" in made.stdout
        token = made.stdout.strip().splitlines()[-1]
        assert token.startswith("bt_")
        pool = await open_pool(url)
        try:
            people = PeopleRepo(pool)
            assert (await people.by_token_hash(hash_token(token))).id == "kim"
            assert await people.is_admin("kim")
            async with pool.connection() as conn:
                stored = await (await conn.execute("SELECT token_hash FROM people")).fetchone()
            assert token not in stored[0]
        finally:
            await pool.close()
        unknown = await asyncio.to_thread(baton_cli, "people", "token", "nobody")
        assert unknown.returncode == 1 and "no person 'nobody'" in unknown.stderr
    finally:
        pg.drop_database(url)


async def test_recurring_projects_through_the_api(baton):
    slug = f"weekly-{uuid.uuid4().hex[:6]}"
    spec = {
        "playbook": "blog-post",
        "name": "Weekly post",
        "slug": slug,
        "timezone": "Europe/Berlin",
        "assignments": BLOG_TEAM,
        "project_manager": "pat",
        "lead_days": 40,
    }
    created = await baton["pat"].post(
        "/api/schedules", json={"spec": spec, "every": "weekly on Tue at 09:00"}
    )
    assert created.status_code == 201, created.text
    row = created.json()
    assert row["schedule_id"] == f"schedule-{slug}"
    assert row["playbook"] == "blog-post" and row["paused"] is False
    duplicate = await baton["pat"].post("/api/schedules", json={"spec": spec, "cron": "0 9 * * 2"})
    assert duplicate.status_code == 409
    bad = await baton["pat"].post(
        "/api/schedules", json={"spec": spec | {"slug": "x1"}, "every": "fortnightly-ish"}
    )
    assert bad.status_code == 422
    missing_role = await baton["pat"].post(
        "/api/schedules",
        json={"spec": spec | {"slug": "x2", "assignments": {"writer": "alice"}}, "every": "daily"},
    )
    assert missing_role.status_code in (409, 422)
    paused = await baton["pat"].post(
        f"/api/schedules/{row['schedule_id']}/pause", json={"note": "holidays"}
    )
    assert paused.json()["paused"] is True
    resumed = await baton["pat"].post(f"/api/schedules/{row['schedule_id']}/resume", json={})
    assert resumed.json()["paused"] is False
    listed = await baton["sam"].get("/api/schedules")
    assert row["schedule_id"] in [r["schedule_id"] for r in listed.json()]
    deleted = await baton["pat"].delete(f"/api/schedules/{row['schedule_id']}")
    assert deleted.status_code == 204
    gone = await baton["pat"].get(f"/api/schedules/{row['schedule_id']}")
    assert gone.status_code == 404
