"""A transition's messages from the apply-effects activity to the provider: written once
in one transaction with the events, sent through the real SendGrid and Slack clients to
local fake servers, retried on 429/500, reported to the PM on a permanent 400; a message
whose sender died mid-send is not sent twice when the provider can tell it has it."""

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from activities.messages import LinkSigner
from activities.postgres import PostgresRecorder
from activities.recorders import EffectsBatch, StepBrief
from baton.contract import LogEntry
from baton.insight.runs import StepRun
from baton.notify.channels import EmailChannel, SlackChannel
from baton.people import Person
from baton.playbook import BUNDLED_DIR
from baton.store.events import EventRepo
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.store.step_runs import StepRunRepo
from tests import pg
from tests.fakes import FakeSendGrid, FakeSlack, free_port
from workers.sender import STUCK_AFTER, OutboxSender

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # when the transition happened
SIGNER = LinkSigner(secret=b"a test secret of enough length", public_url="http://baton.test")


class Clock:
    """The sender's clock, a little ahead of the database's (rows are due at now())."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def team(pool):
    await PeopleRepo(pool).replace_all_or_nothing(
        [
            Person(id="alice", name="Alice", email="alice@example.com", slack_id="U0ALICE",
                   timezone="America/New_York"),
            Person(id="pat", name="Pat", email="pat@example.com"),
        ]
    )  # fmt: skip
    await PlaybookRepo(pool).publish((BUNDLED_DIR / "blog-post.yaml").read_text())
    return pool


def batch(transition: int = 3, recipient: str = "alice") -> EffectsBatch:
    return EffectsBatch(
        workflow_id="project-spring-post",
        transition=transition,
        project_name="Spring post",
        project_manager="pat",
        timezone="UTC",
        playbook="blog-post",
        playbook_version=1,
        launch="publish date",
        launch_date=date(2026, 12, 15),
        entries=[
            LogEntry(at=NOW, type="completed", step_id="keywords", actor="sam"),
            LogEntry(at=NOW, type="assigned", step_id="outline", recipient=recipient, revision=1),
        ],
        steps=[
            StepBrief(id="keywords", name="Do keyword research", kind="task", state="done",
                      owners=["sam"]),
            StepBrief(id="outline", name="Create blog post outline", kind="task",
                      state="active", owners=[recipient], after=["keywords"],
                      due=datetime(2026, 11, 25, 17, tzinfo=UTC)),
        ],
    )  # fmt: skip


async def test_a_retried_transition_writes_its_events_and_messages_once(team):
    recorder = PostgresRecorder(team, SIGNER, {"email", "slack"})
    assert await recorder.record(batch()) is True
    assert await recorder.record(batch()) is False  # the activity retried: nothing new
    events = await EventRepo(team).for_project("project-spring-post")
    assert [(e.type, e.step_id) for e in events] == [
        ("completed", "keywords"),
        ("assigned", "outline"),
    ]
    outbox = OutboxRepo(team)
    for channel in ("mailbox", "email", "slack"):
        row = await outbox.get_by_key(f"project-spring-post/3/outline/alice/assigned/{channel}")
        assert row is not None, channel
    [mail] = await outbox.mailbox("alice")
    assert "Create blog post outline" in mail.subject
    assert "Wed 2026-11-25 12:00 EST" in mail.body_text  # alice's own time zone
    assert "baton complete spring-post outline --as alice" in mail.body_text
    assert "http://baton.test/act/" in mail.body_html


async def test_each_event_records_its_steps_due_instant_when_it_happened(team):
    await PostgresRecorder(team, SIGNER, set()).record(batch())
    events = await EventRepo(team).for_project("project-spring-post")
    due = {e.step_id: e.planned_due for e in events}
    assert due == {"keywords": None, "outline": datetime(2026, 11, 25, 17, tzinfo=UTC)}


async def test_email_goes_out_once_with_both_parts_after_a_500(team):
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    clock = Clock()
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(1, 500)
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        sender = OutboxSender(team, email, None, clock=clock, rng=random.Random(1))
        assert await sender.drain_once() == 1
        row = await OutboxRepo(team).get_by_key(
            "project-spring-post/3/outline/alice/assigned/email"
        )
        assert (row.status, row.attempts) == ("pending", 1)
        assert "500" in row.last_error
        assert await sender.drain_once() == 0  # not before the backoff
        clock.now = row.next_attempt_at
        assert await sender.drain_once() == 1
        assert await sender.drain_once() == 0
    [mail] = sendgrid.mails
    assert [c["type"] for c in mail["content"]] == ["text/plain", "text/html"]
    assert mail["personalizations"][0]["to"][0]["email"] == "alice@example.com"
    assert mail["custom_args"]["idempotency_key"] == row.idempotency_key
    sent = await OutboxRepo(team).get_by_key(row.idempotency_key)
    assert (sent.status, sent.attempts, sent.provider_id) == ("sent", 2, "fake-sg-0001")


async def test_a_429_waits_at_least_its_retry_after(team):
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    clock = Clock()
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(1, 429, retry_after=120)
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        await OutboxSender(team, email, None, clock=clock).drain_once()
    row = await OutboxRepo(team).get_by_key("project-spring-post/3/outline/alice/assigned/email")
    assert row.status == "pending"
    assert row.next_attempt_at >= clock.now + timedelta(seconds=120)


async def test_a_400_is_permanent_and_reported_to_the_pm(team):
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(1, 400, error="Does not contain a valid address.")
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        sender = OutboxSender(team, email, None, clock=Clock())
        await sender.drain_once()
        await sender.drain_once()
    assert len(sendgrid.requests) == 1  # never retried
    row = await OutboxRepo(team).get_by_key("project-spring-post/3/outline/alice/assigned/email")
    assert row.status == "failed"
    assert "Does not contain a valid address." in row.last_error
    [report] = await OutboxRepo(team).mailbox("pat")
    assert report.kind == "delivery_failure"
    assert "Alice" in report.body_text and "Does not contain a valid address." in report.body_text


async def test_slack_gets_a_direct_message_with_blocks(team):
    await PostgresRecorder(team, SIGNER, {"slack"}).record(batch())
    with FakeSlack() as slack:
        channel = SlackChannel(slack.token, f"{slack.url}/api/")
        await OutboxSender(team, None, channel, clock=Clock()).drain_once()
    [message] = slack.messages
    assert message["channel"] == "U0ALICE"
    assert message["blocks"] and "Create blog post outline" in message["text"]
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["text"]["text"] == "Mark as done"
    assert buttons[0]["url"].startswith("http://baton.test/act/")


async def test_a_sender_dying_mid_send_leaves_the_message_to_be_sent_once(team):
    """Written, claimed, then the worker died before marking it: the next sender (after
    the stuck timeout) sends it once, and nothing sends it again once marked sent."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox = OutboxRepo(team)
    clock = Clock()
    [claimed] = await outbox.claim_due(10, clock.now)  # the dead worker's claim
    with FakeSendGrid() as sendgrid:
        email = EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>")
        sender = OutboxSender(team, email, None, clock=clock)
        assert await sender.drain_once() == 0  # still claimed
        clock.now += timedelta(minutes=10)
        await outbox.release_stuck(clock.now - timedelta(minutes=5))
        assert await sender.drain_once() == 1
        assert await sender.drain_once() == 0
    assert len(sendgrid.mails) == 1
    assert (await outbox.get_by_key(claimed.idempotency_key)).status == "sent"


KEY = "project-spring-post/3/outline/alice/assigned/email"
# A sender in its own process, so it can really die: it drains the outbox once.
SENDER_PROCESS = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from baton.notify.channels import EmailChannel
from baton.store.database import open_pool
from workers.sender import OutboxSender

async def main(url, host, key):
    pool = await open_pool(url)
    email = EmailChannel(key, host, "Baton <baton@example.com>")
    clock = lambda: datetime.now(UTC) + timedelta(minutes=1)
    await OutboxSender(pool, email, None, clock=clock).drain_once()

asyncio.run(main(*sys.argv[1:]))
"""


def email_to(sendgrid: FakeSendGrid, **options) -> EmailChannel:
    return EmailChannel(sendgrid.api_key, sendgrid.url, "Baton <baton@example.com>", **options)


async def interrupted(outbox: OutboxRepo, clock: Clock) -> None:
    """What a sender that died after starting its attempt leaves behind (its claim and
    the attempt, committed) once the lease has run out."""
    [row] = await outbox.claim_due(10, clock.now)
    assert await outbox.start_attempt(row.id, row.attempts, clock.now)
    clock.now += STUCK_AFTER * 2
    assert await outbox.release_stuck(clock.now - STUCK_AFTER) == 1


async def test_a_sender_killed_after_sendgrid_accepted_does_not_send_twice(team):
    """The worker is SIGKILLed after SendGrid took the email and before it was marked
    sent: the next sender finds it at SendGrid by its idempotency key and marks it sent
    instead of sending it again."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox = OutboxRepo(team)
    with FakeSendGrid() as sendgrid:
        child: dict[str, subprocess.Popen] = {}
        sendgrid.on_accept = lambda request: os.kill(child["sender"].pid, signal.SIGKILL)
        child["sender"] = subprocess.Popen(
            [sys.executable, "-c", SENDER_PROCESS, team.conninfo, sendgrid.url, sendgrid.api_key]
        )
        assert child["sender"].wait(timeout=60) == -signal.SIGKILL
        dead = await outbox.get_by_key(KEY)
        assert (dead.status, dead.attempts) == ("sending", 1)
        assert dead.attempt_started_at is not None  # recorded before SendGrid was called

        clock = Clock()
        clock.now += STUCK_AFTER * 2
        sender = OutboxSender(team, email_to(sendgrid), None, clock=clock)
        assert await sender.outbox.release_stuck(clock.now - STUCK_AFTER) == 1
        assert await sender.drain_once() == 1
        assert await sender.drain_once() == 0
    assert sendgrid.accepted_keys() == {KEY: 1}
    assert [r.method for r in sendgrid.requests] == ["POST", "GET"]  # the send, the lookup
    row = await outbox.get_by_key(KEY)
    assert (row.status, row.provider_id, row.attempt_started_at) == ("sent", "fake-sg-0001", None)
    assert "SendGrid has a message with this idempotency key" in row.note
    assert "not sent again" in row.note


async def test_without_email_activity_an_interrupted_email_is_sent_again_with_a_note(team):
    """An account without the Email Activity add-on answers the lookup 403: SendGrid
    cannot tell, so the email is sent again (at least once), and the row says why."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox, clock = OutboxRepo(team), Clock()
    await interrupted(outbox, clock)
    with FakeSendGrid(activity=False) as sendgrid:
        assert await OutboxSender(team, email_to(sendgrid), None, clock=clock).drain_once() == 1
    assert [(r.method, r.accepted) for r in sendgrid.requests] == [("GET", False), ("POST", True)]
    row = await outbox.get_by_key(KEY)
    assert (row.status, row.attempts) == ("sent", 2)
    assert "SendGrid cannot tell (SendGrid answered 403: access forbidden)" in row.note
    assert row.note.endswith("sent again")


async def test_an_interrupted_email_sendgrid_never_took_is_sent_again(team):
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox, clock = OutboxRepo(team), Clock()
    await interrupted(outbox, clock)
    with FakeSendGrid() as sendgrid:
        assert await OutboxSender(team, email_to(sendgrid), None, clock=clock).drain_once() == 1
    assert sendgrid.accepted_keys() == {KEY: 1}
    [lookup, _] = sendgrid.requests
    assert lookup.path.startswith("/v3/messages?")
    assert "unique_args%5B%27idempotency_key%27%5D%3D%22project-spring-post" in lookup.path
    row = await outbox.get_by_key(KEY)
    assert row.status == "sent"
    assert "SendGrid has no message with this idempotency key: sent again" in row.note


async def test_a_lookup_sendgrid_fails_keeps_the_email_in_doubt_until_it_answers(team):
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox, clock = OutboxRepo(team), Clock()
    await interrupted(outbox, clock)
    with FakeSendGrid() as sendgrid:
        sendgrid.fail_next(1, 500)
        sender = OutboxSender(team, email_to(sendgrid), None, clock=clock, rng=random.Random(2))
        assert await sender.drain_once() == 1
        row = await outbox.get_by_key(KEY)
        assert (row.status, row.attempts) == ("pending", 2)
        assert row.attempt_started_at is not None  # still asked first next time
        clock.now = row.next_attempt_at
        assert await sender.drain_once() == 1
    assert [r.method for r in sendgrid.requests] == ["GET", "GET", "POST"]
    assert sendgrid.accepted_keys() == {KEY: 1}


async def test_an_email_whose_answer_timed_out_is_looked_up_before_it_is_retried(team):
    """SendGrid took the email but the answer came too late: the retry finds it there."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    outbox, clock = OutboxRepo(team), Clock()
    with FakeSendGrid() as sendgrid:
        sendgrid.stall_next(1, seconds=1.0)
        email = email_to(sendgrid, timeout=0.3)
        sender = OutboxSender(team, email, None, clock=clock, rng=random.Random(3))
        assert await sender.drain_once() == 1
        row = await outbox.get_by_key(KEY)
        assert row.status == "pending" and row.attempt_started_at is not None
        for _ in range(50):  # the fake answers (and takes it) once its stall is over
            if sendgrid.mails:
                break
            time.sleep(0.1)
        clock.now = row.next_attempt_at
        assert await sender.drain_once() == 1
    assert sendgrid.accepted_keys() == {KEY: 1}
    row = await outbox.get_by_key(KEY)
    assert (row.status, row.provider_id) == ("sent", "fake-sg-0001")
    assert "not sent again" in row.note


async def test_a_refused_connection_is_retried_without_asking_first(team):
    """Nothing listened: the email never left, so the retry need not look it up."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    email = EmailChannel("key", f"http://127.0.0.1:{free_port()}", "Baton <baton@example.com>")
    assert await OutboxSender(team, email, None, clock=Clock()).drain_once() == 1
    row = await OutboxRepo(team).get_by_key(KEY)
    assert (row.status, row.attempt_started_at) == ("pending", None)
    assert "could not reach SendGrid" in row.last_error


async def test_slack_cannot_tell_so_an_interrupted_message_is_sent_again(team):
    await PostgresRecorder(team, SIGNER, {"slack"}).record(batch())
    outbox, clock = OutboxRepo(team), Clock()
    await interrupted(outbox, clock)
    with FakeSlack() as slack:
        channel = SlackChannel(slack.token, f"{slack.url}/api/")
        assert await OutboxSender(team, None, channel, clock=clock).drain_once() == 1
    assert len(slack.messages) == 1
    row = await outbox.get_by_key("project-spring-post/3/outline/alice/assigned/slack")
    assert row.status == "sent"
    assert "Slack cannot look a message up by its idempotency key: sent again" in row.note


async def test_a_sender_that_loses_the_database_mid_send_records_the_outcome_next_round(team):
    """PostgreSQL goes away while SendGrid takes the email: the sender cannot mark it
    sent, keeps that, and marks it at its next round: no lookup, no second email."""
    await PostgresRecorder(team, SIGNER, {"email"}).record(batch())
    url = team.conninfo
    name = conninfo_to_dict(url)["dbname"]

    def connections(allowed: bool) -> None:
        with psycopg.connect(pg.server_url(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(name), sql.SQL("true" if allowed else "false")
                )
            )
            if not allowed:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    pool = AsyncConnectionPool(
        url, min_size=1, max_size=2, kwargs={"autocommit": True}, timeout=2, open=False,
        check=AsyncConnectionPool.check_connection,
    )  # fmt: skip
    await pool.open(wait=True)
    try:
        with FakeSendGrid() as sendgrid:
            sendgrid.on_accept = lambda request: connections(allowed=False)
            sender = OutboxSender(pool, email_to(sendgrid), None, clock=Clock())
            with pytest.raises(psycopg.Error):  # the pool's timeout, or a dropped connection
                await sender.drain_once()
            connections(allowed=True)
            assert await sender.drain_once() == 0  # the outcome written, nothing to send
    finally:
        connections(allowed=True)
        await pool.close()
    assert [r.method for r in sendgrid.requests] == ["POST"]
    row = await OutboxRepo(team).get_by_key(KEY)
    assert (row.status, row.provider_id, row.note) == ("sent", "fake-sg-0001", None)


async def test_the_runs_a_transition_ended_are_recorded_with_its_effects_once(team):
    """The step-run history is written in the effects' own transaction: a retried
    transition adds no second run."""
    run = StepRun(
        project="project-spring-post", playbook="blog-post", playbook_version=1,
        step="keywords", owners=["sam"], activated_at=NOW - timedelta(days=3),
        due_at=NOW - timedelta(days=1), finished_at=NOW,
    )  # fmt: skip
    with_run = batch().model_copy(update={"runs": [run]})
    recorder = PostgresRecorder(team, SIGNER, set())
    assert await recorder.record(with_run) is True
    assert await recorder.record(with_run) is False
    [stored] = await StepRunRepo(team).list("blog-post")
    assert stored == run and stored.lateness_days == 1


async def test_the_at_risk_warning_reaches_the_project_managers_mailbox(team):
    warned = batch(transition=4).model_copy(
        update={
            "entries": [
                LogEntry(at=NOW, type="at_risk", detail="a 42% chance of making the publish date"),
                LogEntry(at=NOW, type="at_risk", recipient="pat",
                         detail="a 42% chance of making the publish date"),
            ]
        }
    )  # fmt: skip
    await PostgresRecorder(team, SIGNER, {"email"}).record(warned)
    [mail] = await OutboxRepo(team).mailbox("pat")
    assert mail.subject == "[Spring post] At risk: the publish date may slip"
    assert "a 42% chance of making the publish date" in mail.body_text
    assert "baton forecast project-spring-post" in mail.body_text
