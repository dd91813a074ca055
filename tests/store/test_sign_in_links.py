"""Sign-in links in PostgreSQL: a link is claimed once however many clicks race, not after
it expires; link sessions need no token; request limits hold under concurrency; and a
sign-in message, about no project, is delivered by email and Slack like any other."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from baton.notify.channels import EmailChannel, SlackChannel
from baton.people import Person
from baton.sign_in import LIFETIME, link_url, sign_link
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.sessions import SessionsRepo, SignInFailures
from baton.store.sign_in_links import SignInLinksRepo
from starters.web.dashboard.auth import sign_in_messages
from tests.fakes import FakeSendGrid, FakeSlack
from workers.sender import OutboxSender

SECRET = b"a test secret of enough length"
PAT = Person(id="pat", name="Pat Park", email="Pat@Example.com", slack_id="U0PAT")


@pytest.fixture
async def team(pool):
    await PeopleRepo(pool).replace_all_or_nothing([PAT, Person(id="sam")])
    return pool


async def issue(pool, person: Person = PAT, expires_in: timedelta = LIFETIME, channels=()):
    """A link for `person`, recorded with its messages; its nonce and URL."""
    token, claim = sign_link(SECRET, person.id, datetime.now(UTC) + expires_in)
    url = link_url("http://baton.test", token)
    messages = sign_in_messages(person, url, claim, set(channels))
    await SignInLinksRepo(pool).issue(claim.nonce, person.id, "/tasks", claim.expires_at, messages)
    return claim.nonce, url


async def test_racing_clicks_claim_a_link_once(team):
    nonce, _ = await issue(team)
    links = SignInLinksRepo(team)
    claims = await asyncio.gather(*(links.claim(nonce, "pat") for _ in range(5)))
    assert sorted(claims, key=str) == ["/tasks", None, None, None, None]
    record = await links.get(nonce)
    assert record.person == "pat" and record.used_at is not None


async def test_a_link_claims_only_its_own_person_and_not_once_expired(team):
    nonce, _ = await issue(team)
    links = SignInLinksRepo(team)
    assert await links.claim(nonce, "sam") is None  # not sam's link
    assert await links.claim("another nonce", "pat") is None
    expired, _ = await issue(team, expires_in=-timedelta(seconds=1))
    assert await links.claim(expired, "pat") is None
    assert (await links.get(expired)).used_at is None  # expired, not used
    assert await links.claim(nonce, "pat") == "/tasks"


async def test_only_the_nonces_hash_is_kept(team):
    nonce, _ = await issue(team)
    async with team.connection() as conn:
        cursor = await conn.execute("SELECT nonce_hash FROM sign_in_links")
        [(kept,)] = await cursor.fetchall()
    assert nonce not in kept and len(kept) == 64


async def test_a_link_session_lasts_without_a_token_a_token_session_ends_with_it(team):
    people, sessions = PeopleRepo(team), SessionsRepo(team)
    await people.set_token_hash("pat", "hash-1")
    by_token = await sessions.start("pat", "hash-1", timedelta(days=1))
    by_link = await sessions.start("pat", None, timedelta(days=1))
    assert await sessions.person_id(by_token) == await sessions.person_id(by_link) == "pat"
    await people.set_token_hash("pat", "hash-2")  # a new token replaces the old
    assert await sessions.person_id(by_token) is None
    assert await sessions.person_id(by_link) == "pat"
    await sessions.revoke(by_link)
    assert await sessions.person_id(by_link) is None
    gone = await sessions.start("pat", None, timedelta(seconds=-1))
    assert await sessions.person_id(gone) is None


async def test_concurrent_requests_stay_within_the_limit(team):
    limit = SignInFailures(team, 3, timedelta(minutes=10))
    waits = await asyncio.gather(*(limit.take("link:person:pat") for _ in range(8)))
    assert sum(wait is None for wait in waits) == 3
    assert all(timedelta(minutes=9) < wait <= timedelta(minutes=10) for wait in waits if wait)
    assert await limit.take("link:person:sam") is None  # another key counts apart
    assert await limit.wait("link:person:pat") is not None


async def test_the_link_is_delivered_by_email_and_slack_about_no_project(team):
    _, url = await issue(team, channels={"email", "slack"})
    [mailbox] = await OutboxRepo(team).mailbox("pat")
    assert mailbox.status == "sent" and mailbox.workflow_id == ""
    with FakeSendGrid() as sendgrid, FakeSlack() as slack:
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        sender = OutboxSender(team, email, SlackChannel(slack.token, f"{slack.url}/api/"))
        assert await sender.drain_once() == 2
    [mail] = sendgrid.mails
    assert mail["personalizations"][0]["to"][0]["email"] == "Pat@Example.com"
    assert mail["subject"] == "Your Baton sign-in link"
    assert all(url in part["value"] for part in mail["content"])
    [message] = slack.messages
    assert message["channel"] == "U0PAT"
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [("Sign in to Baton", url)]


async def test_a_failed_delivery_about_no_project_is_recorded_quietly(team):
    await issue(team, channels={"email"})
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(1, 400, error="Does not contain a valid address.")
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        assert await OutboxSender(team, email, None).drain_once() == 1
    rows = await OutboxRepo(team).mailbox("pat")
    assert [row.kind for row in rows] == ["sign_in"]  # no project manager to report to
    async with team.connection() as conn:
        cursor = await conn.execute("SELECT status FROM outbox WHERE channel = 'email'")
        assert await cursor.fetchall() == [("failed",)]
