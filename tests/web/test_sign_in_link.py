"""Signing in like a marketer: "Email me a sign-in link" on the sign-in page sends a
link (here: to the Baton mailbox, the site has no email set up) that signs its person in
once, within 15 minutes, only when its page's button is pressed. Nobody learns who Baton
knows from the answer; requests are limited; the demo mailbox shows the links in a
local demo only."""

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest

from baton.links import ActionClaim
from baton.people import Person
from baton.sign_in import sign_link
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from starters.web.dashboard.auth import LINK_LIMIT, sign_in_messages
from starters.web.deps import SESSION_COOKIE
from tests.web.conftest import csrf_of, form_token, sign_in

LINK = re.compile(r"https?://[^/\s]+(/login/link/[A-Za-z0-9_.-]+)")
NEUTRAL = (
    "is someone Baton knows, a sign-in link is on its way to their Baton mailbox, email and "
    "Slack. It works once, within 15 minutes."
)


@pytest.fixture(autouse=True)
async def no_requests_counted(site):
    """Each test starts with no sign-in link requests counted against the limits (every
    test asks from the same address, 127.0.0.1)."""
    async with site.services.pool.connection() as conn:
        await conn.execute("DELETE FROM sign_in_failures WHERE client LIKE 'link:%'")


async def ask_for_link(client: httpx.AsyncClient, who: str, **fields: str) -> httpx.Response:
    """Fill in "Email me a sign-in link" on the sign-in page, as a browser would."""
    csrf = await form_token(client, "/login")
    return await client.post("/login/link", data={"who": who, "csrf": csrf, **fields})


async def sign_in_mail(site, person: str) -> list:
    """The sign-in messages in a person's Baton mailbox, newest first."""
    rows = await OutboxRepo(site.services.pool).mailbox(person)
    return [row for row in rows if row.kind == "sign_in"]


def link_in(text: str) -> str:
    """The sign-in link's path in a message."""
    found = LINK.search(text)
    assert found, text
    return found.group(1)


async def fresh_link(site, person: str = "pat", who: str | None = None, **fields) -> str:
    """Ask for a link for `person` (by `who`) and return its path from their mailbox."""
    before = len(await sign_in_mail(site, person))
    async with site.http() as anonymous:
        answer = await ask_for_link(anonymous, who or person, **fields)
        assert answer.status_code == 200, answer.text
    mail = await sign_in_mail(site, person)
    assert len(mail) == before + 1
    return link_in(mail[0].body_text)


async def press_sign_in(client: httpx.AsyncClient, path: str) -> httpx.Response:
    """Open the link's page and press its button."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"csrf": csrf_of(page.text)})


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    board = await client.get("/")
    assert board.status_code in (200, 303), board.status_code
    return board.status_code == 200


@contextmanager
def demo_mailbox_on(site):
    site.settings.demo_mailbox = True
    try:
        yield
    finally:
        site.settings.demo_mailbox = False


async def test_the_sign_in_page_offers_a_link_first_and_the_token_below(site):
    async with site.http() as anonymous:
        page = (await anonymous.get("/login")).text
    link_form = page.index("<h2>Email me a sign-in link</h2>")
    token_form = page.index("<h2>Sign in with an API token</h2>")
    assert link_form < token_form
    assert '<label for="who">Your email or Baton id</label>' in page
    assert 'action="/login/link"' in page and 'action="/login"' in page
    assert "demo mailbox" not in page  # not a demo


async def test_a_known_id_gets_a_link_in_their_mailbox(site):
    async with site.http() as anonymous:
        answer = await ask_for_link(anonymous, "pat")
    assert answer.status_code == 200
    assert f"If pat {NEUTRAL}" in unescape(answer.text)
    [mail, *_] = await sign_in_mail(site, "pat")
    assert mail.subject == "Your Baton sign-in link"
    assert (mail.workflow_id, mail.transition, mail.recipient) == ("", 0, "pat")
    assert "Pat PM (pat)" in mail.body_text
    assert "works once, and expires in 15 minutes" in mail.body_text
    assert "If you did not ask for it, ignore it" in mail.body_text
    assert link_in(mail.body_text) in mail.body_html
    assert mail.links[0]["label"] == "Sign in to Baton"
    assert mail.links[0]["url"].startswith(f"{site.url}/login/link/")
    async with site.http() as browser:
        assert (await press_sign_in(browser, link_in(mail.body_text))).status_code == 303
        assert await is_signed_in(browser)


async def test_a_known_email_in_any_case_gets_a_working_link(site):
    path = await fresh_link(site, "alice", who="ALICE@Example.com")
    async with site.http() as browser:
        assert (await press_sign_in(browser, path)).status_code == 303
        me = await browser.get("/tasks")
        assert me.status_code == 200 and "Alice Writer" in me.text


async def test_an_id_typed_with_capitals_gets_a_working_link(site):
    path = await fresh_link(site, "alice", who="Alice")  # ids are lower case
    async with site.http() as browser:
        assert (await press_sign_in(browser, path)).status_code == 303
        assert "Alice Writer" in (await browser.get("/tasks")).text


async def test_an_unknown_name_gets_the_same_answer_and_nothing_is_sent(site):
    before = await sign_in_messages_written(site)
    async with site.http() as anonymous:
        answer = await ask_for_link(anonymous, "nobody@example.com")
        other = await ask_for_link(anonymous, "no-such-person")
    assert answer.status_code == other.status_code == 200
    assert f"If nobody@example.com {NEUTRAL}" in unescape(answer.text)
    assert f"If no-such-person {NEUTRAL}" in unescape(other.text)
    assert await sign_in_messages_written(site) == before


async def test_opening_the_link_does_not_sign_in_pressing_its_button_does(site):
    path = await fresh_link(site, "pat")
    async with site.http() as browser:
        page = await browser.get(path)
        assert page.status_code == 200
        assert "<h1>Sign in as Pat PM</h1>" in page.text
        assert not await is_signed_in(browser)  # a mail scanner fetching it signs nobody in
        again = await browser.get(path)  # nor does opening it twice use it up
        assert again.status_code == 200
        signed = await browser.post(path, data={"csrf": csrf_of(page.text)})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = next(
            value
            for value in signed.headers.get_list("set-cookie")
            if value.startswith(f"{SESSION_COOKIE}=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert await is_signed_in(browser)
        board = await browser.get("/")
        assert "Pat PM" in board.text


async def test_the_link_leads_back_where_the_sign_in_began(site):
    path = await fresh_link(site, "sam", next="/tasks")
    elsewhere = await fresh_link(site, "sam", next="https://evil.example/")
    async with site.http() as browser:
        assert (await press_sign_in(browser, path)).headers["location"] == "/tasks"
    async with site.http() as browser:
        assert (await press_sign_in(browser, elsewhere)).headers["location"] == "/"


async def test_a_link_works_once(site):
    path = await fresh_link(site, "pat")
    async with site.http() as first, site.http() as second:
        page = await first.get(path)
        csrf = csrf_of(page.text)
        assert (await first.post(path, data={"csrf": csrf})).status_code == 303
        used = await second.post(path, data={"csrf": csrf})  # the same form, again
        assert used.status_code == 409
        assert "This sign-in link was already used" in used.text
        assert "a link works once" in used.text
        assert not await is_signed_in(second)
        reopened = await second.get(path)
        assert reopened.status_code == 409
        # it offers a new link, for the same person
        assert 'action="/login/link"' in reopened.text and 'value="pat"' in reopened.text
        # whoever clicked it twice is told they are in already
        twice = await first.get(path)
        assert twice.status_code == 409 and "You are signed in as Pat PM" in twice.text


async def test_an_expired_link_is_refused(site):
    token, _ = sign_link(site.settings.secret(), "pat", datetime.now(UTC) - timedelta(minutes=1))
    async with site.http() as browser:
        page = await browser.get(f"/login/link/{token}")
        assert page.status_code == 410
        assert "This sign-in link has expired" in page.text and "Pat PM" in page.text
        assert "Email me a new sign-in link" in page.text
        pressed = await browser.post(f"/login/link/{token}", data={"csrf": "x"})
        assert pressed.status_code == 410
        assert not await is_signed_in(browser)


async def test_a_tampered_link_or_an_action_link_is_refused(site):
    path = await fresh_link(site, "pat")
    claims, signature = path.removeprefix("/login/link/").split(".")
    forged = f"/login/link/{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    action = site.link("pat", "project-x", "idea", "complete").replace("/act/", "/login/link/")
    async with site.http() as browser:
        for bad in (forged, action, "/login/link/not-a-link"):
            page = await browser.get(bad)
            assert page.status_code == 400, bad
            assert "This sign-in link is not valid" in page.text
            assert (await browser.post(bad, data={"csrf": "x"})).status_code == 400
        assert not await is_signed_in(browser)
        assert (await press_sign_in(browser, path)).status_code == 303  # the real one works


async def test_a_press_without_the_pages_token_is_refused_and_keeps_the_link(site):
    path = await fresh_link(site, "pat")
    async with site.http() as browser:
        forged = await browser.post(path, data={})
        assert forged.status_code == 403
        other = await browser.post(path, data={"csrf": await form_token(browser, "/login")})
        assert other.status_code == 403  # a token from another form
        assert not await is_signed_in(browser)
        assert (await press_sign_in(browser, path)).status_code == 303


async def test_asking_without_the_forms_token_sends_nothing(site):
    before = await sign_in_messages_written(site)
    async with site.http() as anonymous:
        refused = await anonymous.post("/login/link", data={"who": "pat"})
    assert refused.status_code == 403 and "That sign-in form had expired" in refused.text
    assert await sign_in_messages_written(site) == before


async def test_requests_are_limited_per_address(site):
    async with site.http() as anonymous:
        for n in range(LINK_LIMIT):
            assert (await ask_for_link(anonymous, f"nobody-{n}")).status_code == 200
        limited = await ask_for_link(anonymous, "pat")
    assert limited.status_code == 429
    assert "Too many sign-in link requests" in limited.text
    assert "Try again in 10 minutes" in limited.text
    assert int(limited.headers["retry-after"]) > 500


async def test_a_person_gets_at_most_three_links_and_the_answer_does_not_tell(site):
    before = len(await sign_in_mail(site, "dana"))
    async with site.http() as anonymous:
        answers = [await ask_for_link(anonymous, "dana") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert all(f"If dana {NEUTRAL}" in unescape(a.text) for a in answers)
    assert len(await sign_in_mail(site, "dana")) == before + 3


async def test_a_link_session_has_no_token_and_ends_at_sign_out(site):
    path = await fresh_link(site, "oona")
    async with site.http() as browser:
        assert (await press_sign_in(browser, path)).status_code == 303
        # Replacing the person's API token ends token sessions, not this one.
        site.tokens["oona"], digest = new_token()
        await PeopleRepo(site.services.pool).set_token_hash("oona", digest)
        assert await is_signed_in(browser)
        out = await browser.post("/logout", data={"csrf": await form_token(browser)})
        assert out.status_code == 303
        assert not await is_signed_in(browser)
    async with site.http() as token_user:  # the token form still works, with the new token
        assert (await sign_in(token_user, site.tokens["oona"])).status_code == 303


async def test_the_demo_mailbox_is_there_only_in_a_demo(site):
    async with site.http() as anonymous:
        off = await anonymous.get("/demo/mailbox")
        assert off.status_code == 404
        path = await fresh_link(site, "stu")
        with demo_mailbox_on(site):
            login = await anonymous.get("/login")
            assert "Demo: your link shows up in the" in login.text
            assert '<a href="/demo/mailbox">demo mailbox</a>' in login.text
            sent = await ask_for_link(anonymous, "stu")
            assert 'href="/demo/mailbox"' in sent.text
            mailbox = await anonymous.get("/demo/mailbox")
        assert (await anonymous.get("/demo/mailbox")).status_code == 404  # off again
    assert mailbox.status_code == 200
    assert "Your Baton sign-in link" in mailbox.text and "Stu Stakeholder" in mailbox.text
    newest = link_in((await sign_in_mail(site, "stu"))[0].body_text)
    assert f'<a href="{site.url}{newest}">' in mailbox.text  # clickable
    assert newest != path
    assert mailbox.text.index(newest) < mailbox.text.index(path)  # newest first


def test_the_link_goes_to_every_channel_the_person_has():
    claim = ActionClaim(
        person="kim",
        workflow_id="",
        step_id="",
        action="sign_in",
        expires_at=datetime(2026, 11, 20, 10, 15, tzinfo=UTC),
        nonce="n0nce",
    )
    url = "https://baton.example.com/login/link/TOKEN"
    everywhere = Person(id="kim", name="Kim", email="kim@example.com", slack_id="U0KIM")
    messages = sign_in_messages(everywhere, url, claim, {"email", "slack"})
    assert [m.channel for m in messages] == ["mailbox", "email", "slack"]
    assert len({m.idempotency_key for m in messages}) == 3
    assert all(m.kind == "sign_in" and m.workflow_id == "" for m in messages)
    assert all(url in m.body_text and url in m.body_html for m in messages)
    no_slack = Person(id="kim", email="kim@example.com")
    assert [m.channel for m in sign_in_messages(no_slack, url, claim, {"email", "slack"})] == [
        "mailbox",
        "email",
    ]
    assert [m.channel for m in sign_in_messages(everywhere, url, claim, set())] == ["mailbox"]


async def sign_in_messages_written(site) -> int:
    async with site.services.pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM outbox WHERE kind = 'sign_in'")
        return (await cursor.fetchone())[0]
