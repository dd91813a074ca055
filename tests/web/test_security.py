"""Nobody acts as someone else through the dashboard: security headers on every answer,
CSRF tokens and the Origin check on every state-changing POST, sessions revocable
server-side, failed sign-ins limited, and the calendar feed's own key."""

import re
import uuid

import httpx

from baton.config import Settings
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from starters.web.app import create_app
from starters.web.deps import SESSION_COOKIE, Services
from starters.web.security import CSP
from tests.web.conftest import eventually, feed_url_in, form_token, sign_in

EVIL = "http://evil.example"


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["content-security-policy"] == CSP


def test_the_policy_allows_no_inline_script_or_style():
    policy = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"


async def test_every_answer_carries_the_security_headers(site):
    async with site.http("sam") as sam:
        board = await sam.get("/tasks")
        assert board.status_code == 200
        assert_secured(board)
        # the page itself needs no inline script or style: its CSS is a file
        assert not re.search(r'<script(?! src="/static/)|<style|\sstyle=', board.text)
        assert '<link rel="stylesheet" href="/static/baton.css">' in board.text
        css = await sam.get("/static/baton.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert_secured(css)
        icon = await sam.get("/static/favicon.svg")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        api = await sam.get("/api/me/tasks")
        assert api.status_code == 401  # the API wants its bearer token, not the cookie
        assert_secured(api)
        assert_secured(await sam.get("/projects/project-nope"))  # an error page
    async with site.http() as anonymous:
        assert_secured(await anonymous.get("/login"))
        assert_secured(await anonymous.get("/"))  # a redirect


async def test_a_bug_answer_carries_them_too(tmp_path):
    settings = Settings(BATON_HOME=str(tmp_path), BATON_SECRET_KEY="a test secret of length")
    app = create_app(services=Services(settings, client=None, pool=None))  # type: ignore[arg-type]

    async def broken():
        raise KeyError("steps")

    app.add_api_route("/api/broken", broken)
    app.state.services = Services(settings, client=None, pool=None)  # the transport: no lifespan
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        answer = await client.get("/api/broken")
    assert answer.status_code == 500 and "error_id" in answer.json()
    assert_secured(answer)


async def test_dashboard_posts_without_their_token_are_refused_and_change_nothing(site):
    project = await site.start()
    wid = project.workflow_id
    async with site.http("pat") as pat:
        pats = await form_token(pat)
    async with site.http("sam") as sam:
        await eventually(lambda: sam.get("/inbox"), lambda r: project.name in r.text)
        feed = await sam.get("/tasks")
        act = {"workflow_id": wid, "step_id": "idea", "action": "complete"}
        posts = {"/tasks/act": act, "/inbox/read": {}, "/tasks/calendar/reset": {}, "/logout": {}}
        for token in (None, "", "f" * 64, pats):  # none, empty, made up, another session's
            for path, fields in posts.items():
                data = fields if token is None else {**fields, "csrf": token}
                refused = await sam.post(path, data=data)
                assert refused.status_code == 403, (path, token)
                assert "This form cannot be accepted" in refused.text
                assert "Nothing was changed" in refused.text
        assert 'class="unread"' in (await sam.get("/inbox")).text
        assert feed_url_in((await sam.get("/tasks")).text) == feed_url_in(feed.text)
        assert (await sam.get("/")).status_code == 200  # still signed in
    assert (await site.status(wid)).step("idea").state == "active"


async def test_posts_from_another_site_are_refused(site):
    project = await site.start()
    wid = project.workflow_id
    act = {"workflow_id": wid, "step_id": "idea", "action": "complete"}
    async with site.http("sam") as sam:
        csrf = await form_token(sam)
        for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {"Origin": "null"}):
            refused = await sam.post("/tasks/act", data={**act, "csrf": csrf}, headers=headers)
            assert refused.status_code == 403, headers
            assert "came from another site" in refused.text
        api = await sam.post(
            f"/api/projects/{wid}/steps/idea/complete",
            json={},
            headers={"Origin": EVIL, "Authorization": f"Bearer {site.tokens['sam']}"},
        )
        assert api.status_code == 403 and "another site" in api.json()["detail"]
        assert (await site.status(wid)).step("idea").state == "active"

        # its own address, as the request names it or as published, is accepted
        proxied = {"Host": "10.0.0.5:8000"}
        for step, origin in (("idea", "http://10.0.0.5:8000"), ("keywords", site.url)):
            own = await sam.post(
                "/tasks/act",
                data={**act, "step_id": step, "csrf": csrf},
                headers={**proxied, "Origin": origin},
            )
            assert own.status_code == 303, origin
    current = await site.status(wid)
    assert (current.step("idea").state, current.step("keywords").state) == ("done", "done")
    async with site.http() as anyone:
        csrf = await form_token(anyone, "/login")
        sign = await anyone.post(
            "/login",
            data={"token": site.tokens["sam"], "csrf": csrf},
            headers={"Origin": EVIL},
        )
        assert sign.status_code == 403 and SESSION_COOKIE not in anyone.cookies


async def test_sign_in_needs_its_forms_cookie_and_token(site):
    async with site.http() as anyone:
        bare = await anyone.post("/login", data={"token": site.tokens["sam"]})
        assert bare.status_code == 403 and "sign-in form had expired" in bare.text
        csrf = await form_token(anyone, "/login")
        anyone.cookies.clear()  # the token without its cookie: another visitor's form
        alone = await anyone.post("/login", data={"token": site.tokens["sam"], "csrf": csrf})
        assert alone.status_code == 403 and SESSION_COOKIE not in anyone.cookies


async def test_opening_logout_signs_nobody_out_and_signing_out_revokes_the_session(site):
    async with site.http("sam") as sam:
        session = sam.cookies[SESSION_COOKIE]
        page = await sam.get("/logout")
        assert page.status_code == 200 and "Sign out of Baton?" in page.text
        assert (await sam.get("/tasks")).status_code == 200  # still signed in
        out = await sam.post("/logout", data={"csrf": await form_token(sam)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
    async with site.http() as thief:  # the old cookie, kept by someone: revoked
        thief.cookies.set(SESSION_COOKIE, session)
        again = await thief.get("/tasks")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_a_replaced_api_token_ends_the_dashboard_session(site):
    async with site.http("dana") as dana:
        assert (await dana.get("/tasks")).status_code == 200
        site.tokens["dana"], digest = new_token()
        await PeopleRepo(site.services.pool).set_token_hash("dana", digest)  # as the CLI does
        ended = await dana.get("/tasks")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    async with site.http("dana") as dana:  # the new token signs in
        assert (await dana.get("/tasks")).status_code == 200


async def test_the_sixth_failed_sign_in_in_ten_minutes_is_refused(site):
    # uvicorn trusts X-Forwarded-For from loopback: each test client its own address
    address = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    async with httpx.AsyncClient(base_url=site.url, headers=address) as client:
        for attempt in range(5):
            failed = await sign_in(client, f"bt_guess-{attempt}")
            assert failed.status_code == 401, attempt
        sixth = await sign_in(client, site.tokens["sam"])  # even the right token
        assert sixth.status_code == 429
        assert 0 < int(sixth.headers["retry-after"]) <= 600
        assert "Too many failed sign-ins" in sixth.text and "Try again in 10 minutes" in sixth.text
        assert SESSION_COOKIE not in client.cookies
    async with site.http("sam") as elsewhere:  # other addresses are not held up
        assert (await elsewhere.get("/tasks")).status_code == 200
