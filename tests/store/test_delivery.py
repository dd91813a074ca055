"""A transition's messages from the apply-effects activity to the provider: written once
in one transaction with the events, sent through the real SendGrid and Slack clients to
local fake servers, retried on 429/500, reported to the PM on a permanent 400."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from activities.messages import LinkSigner
from activities.postgres import PostgresRecorder
from activities.recorders import EffectsBatch, StepBrief
from baton.contract import LogEntry
from baton.notify.channels import EmailChannel, SlackChannel
from baton.people import Person
from baton.playbook import BUNDLED_DIR
from baton.store.events import EventRepo
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from tests.fakes import FakeSendGrid, FakeSlack
from workers.sender import OutboxSender

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
