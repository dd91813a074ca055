"""The dashboard over plain HTTP (httpx against the running server): sign-in, pages,
buttons, escaping, and that bad input gets a page saying so, never a 500."""

import re

from starters.web.deps import SESSION_COOKIE
from tests.web.conftest import UI, csrf_of, eventually, form_token, sign_in


async def test_pages_need_a_signed_in_person(site):
    async with site.http() as anonymous:
        for path in ("/", "/tasks", "/inbox", "/projects/project-x?tab=1"):
            response = await anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=%2F"), path
        form = await anonymous.get("/login?next=/tasks")
        assert form.status_code == 200
        assert 'name="token"' in form.text and 'value="/tasks"' in form.text


async def test_sign_in_sets_a_safe_cookie_and_sign_out_clears_it(site):
    async with site.http() as client:
        wrong = await sign_in(client, "bt_not-a-token")
        assert wrong.status_code == 401
        assert "That token is not valid" in wrong.text
        empty = await sign_in(client, "")
        assert empty.status_code == 401 and "Paste your personal token" in empty.text

        response = await sign_in(client, site.tokens["sam"], next="//evil.example/x")
        assert response.status_code == 303
        assert response.headers["location"] == "/"  # never another host
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert site.tokens["sam"] not in cookie  # the cookie holds no token

        board = await client.get("/")
        assert board.status_code == 200 and "Sam Strategist" in board.text

        out = await client.post("/logout", data={"csrf": await form_token(client)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert (await client.get("/")).status_code == 303


async def test_a_forged_session_cookie_is_not_a_session(site):
    async with site.http() as client:
        client.cookies.set(SESSION_COOKIE, "0" * 64 + "." + "f" * 64)
        assert (await client.get("/tasks")).status_code == 303


async def test_board_and_timeline_escape_what_people_typed(site):
    name = "<script>alert('pwned')</script> launch"
    project = await site.start(name)
    async with site.http("pat") as pat:
        board = await eventually(lambda: pat.get("/"), lambda r: project.workflow_id in r.text)
        assert "<script>alert" not in board.text
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; launch" in board.text
        page = await pat.get(f"/projects/{project.workflow_id}")
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
        assert f'href="{UI}/namespaces/default/workflows/{project.workflow_id}"' in page.text
        assert "Generate idea" in page.text and "Planned (due)" in page.text


async def test_board_filters_by_playbook_and_owner(site):
    project = await site.start()
    async with site.http("pat") as pat:
        mine = await eventually(
            lambda: pat.get("/", params={"owner": "sam", "playbook": "blog-post"}),
            lambda r: project.workflow_id in r.text,
        )
        assert 'value="sam" selected' in mine.text
        others = await pat.get("/", params={"owner": "dana"})
        assert project.workflow_id not in others.text
        # The session's Temporal server is shared with other tests: only this project counts.
        webinars = await pat.get("/", params={"playbook": "webinar"})
        assert project.workflow_id not in webinars.text


async def test_unknown_project_is_a_404_page(site):
    async with site.http("pat") as pat:
        response = await pat.get("/projects/project-nope-<b>")
        assert response.status_code == 404
        assert "No such project" in response.text and "<b>" not in response.text


async def test_the_nav_marks_the_page_it_is_on(site):
    async with site.http("sam") as sam:
        tasks = (await sam.get("/tasks")).text
        recalibration = (await sam.get("/reports/recalibration?playbook=blog-post")).text
    assert '<a href="/tasks" aria-current="page">My tasks</a>' in tasks
    assert '<a href="/">Projects</a>' in tasks and tasks.count('aria-current="page"') == 1
    assert '<a href="/reports" aria-current="page">Reports</a>' in recalibration


async def test_a_mistyped_address_is_a_page_and_the_api_stays_json(site):
    async with site.http("sam") as sam:
        page = await sam.get("/nope")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert "No such page" in page.text and 'href="/">Back to the projects' in page.text
        method = await sam.delete("/tasks")
        assert method.status_code == 405 and "Not here" in method.text
        api = await sam.get("/api/nope")
        assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    async with site.http() as anonymous:  # signing in is still a redirect, not a page
        assert (await anonymous.get("/tasks")).status_code == 303


async def test_buttons_act_as_the_signed_in_person_and_refusals_are_messages(site):
    project = await site.start()
    wid = project.workflow_id
    async with site.http("oona") as oona:
        csrf = await form_token(oona)
        response = await oona.post(
            "/tasks/act",
            data={"workflow_id": wid, "step_id": "idea", "action": "complete", "csrf": csrf},
        )
        assert response.status_code == 303 and response.headers["location"] == "/tasks"
        tasks = await oona.get("/tasks")
        assert "Baton refused: oona may not complete &#39;idea&#39;" in tasks.text
        assert "Nothing waits on you" in tasks.text
        again = await oona.get("/tasks")
        assert "Baton refused" not in again.text  # a flash shows once

        odd = await oona.post(
            "/tasks/act",
            data={"workflow_id": wid, "step_id": "idea", "action": "explode", "csrf": csrf},
        )
        assert odd.status_code == 303
        assert "unknown action" in (await oona.get("/tasks")).text
        empty = await oona.post("/tasks/act", data={"csrf": csrf})
        assert empty.status_code == 303
        assert "incomplete" in (await oona.get("/tasks")).text

    async with site.http("sam") as sam:
        tasks = await eventually(lambda: sam.get("/tasks"), lambda r: wid in r.text)
        assert "Generate idea" in tasks.text
        back = f"/projects/{wid}"
        response = await sam.post(
            "/tasks/act",
            data={
                "workflow_id": wid,
                "step_id": "idea",
                "action": "complete",
                "note": "AI <for> teams",
                "back": back,
                "csrf": csrf_of(tasks.text),
            },
        )
        assert response.headers["location"] == back
        page = await sam.get(back)
        assert "Sam Strategist completed &#39;Generate idea&#39;" in page.text  # what it did
        assert "AI &lt;for&gt; teams" in page.text
    assert (await site.status(wid)).step("idea").state == "done"


async def test_inbox_shows_the_persons_messages(site):
    project = await site.start()
    async with site.http("sam") as sam:
        inbox = await eventually(lambda: sam.get("/inbox"), lambda r: project.name in r.text)
        assert 'class="unread"' in inbox.text
        assert re.search(r'href="http://127\.0\.0\.1:\d+/act/[\w.-]+"', inbox.text)
        read = await sam.post("/inbox/read", data={"csrf": csrf_of(inbox.text)})
        assert read.status_code == 303
        after = await sam.get("/inbox")
        assert "Marked" in after.text and 'class="unread"' not in after.text
