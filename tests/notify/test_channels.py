"""Delivery through the real sendgrid and slack_sdk clients, against the local fakes:
the requests are what the providers expect, and every failure is classified."""

import random

import pytest

from baton.notify.channels import (
    BACKOFF_CAP,
    EmailChannel,
    PermanentFailure,
    SlackChannel,
    TemporaryFailure,
    backoff,
    slack_blocks,
)
from baton.notify.render import Link
from tests.fakes import FakeSendGrid, FakeSlack, free_port

KEY = "project-spring-post/7/alice/assigned"


def email(server: FakeSendGrid, **options) -> EmailChannel:
    return EmailChannel(
        api_key=options.pop("api_key", server.api_key),
        host=server.url,
        sender="Baton <baton@example.com>",
        **options,
    )


def slack(server: FakeSlack, **options) -> SlackChannel:
    return SlackChannel(token=options.pop("token", server.token), api_url=f"{server.url}/api/")


def send_mail(channel: EmailChannel) -> str | None:
    return channel.send(
        "alice@example.com", "Your turn: Write", "Plain body", "<p>HTML body</p>", KEY
    )


# -- email


def test_email_is_a_well_formed_v3_mail_send(sendgrid_server):
    provider_id = send_mail(email(sendgrid_server))
    assert provider_id == "fake-sg-0001"
    [request] = sendgrid_server.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.header("Authorization") == "Bearer test-sendgrid-key"
    assert request.header("Content-Type") == "application/json"
    assert request.header("User-Agent").startswith("sendgrid/")
    mail = request.json
    assert mail["from"] == {"name": "Baton", "email": "baton@example.com"}
    assert mail["personalizations"] == [{"to": [{"email": "alice@example.com"}]}]
    assert mail["subject"] == "Your turn: Write"
    assert mail["content"] == [
        {"type": "text/plain", "value": "Plain body"},
        {"type": "text/html", "value": "<p>HTML body</p>"},
    ]
    assert mail["custom_args"] == {"idempotency_key": KEY}
    assert sendgrid_server.mails == [mail]


@pytest.mark.parametrize("host_suffix", ["", "/"])
def test_email_host_with_or_without_trailing_slash(sendgrid_server, host_suffix):
    channel = EmailChannel("test-sendgrid-key", sendgrid_server.url + host_suffix, "b@example.com")
    assert send_mail(channel) == "fake-sg-0001"


def test_email_429_is_temporary_with_retry_after(sendgrid_server):
    sendgrid_server.fail_next(1, 429, retry_after=7)
    channel = email(sendgrid_server)
    with pytest.raises(TemporaryFailure) as failed:
        send_mail(channel)
    assert failed.value.retry_after == 7.0
    assert "429" in str(failed.value) and "too many requests" in str(failed.value)
    assert send_mail(channel) == "fake-sg-0001"  # the next attempt goes through
    assert len(sendgrid_server.requests) == 2


def test_email_500_is_temporary(sendgrid_server):
    sendgrid_server.fail_next(1, 500)
    with pytest.raises(TemporaryFailure) as failed:
        send_mail(email(sendgrid_server))
    assert failed.value.retry_after is None
    assert "SendGrid answered 500" in str(failed.value)


def test_email_400_is_permanent_with_the_providers_message(sendgrid_server):
    sendgrid_server.fail_next(1, 400, error="Does not contain a valid address.")
    with pytest.raises(PermanentFailure, match="400: Does not contain a valid address"):
        send_mail(email(sendgrid_server))


def test_email_with_a_wrong_key_is_permanent(sendgrid_server):
    with pytest.raises(PermanentFailure, match="401: The provided authorization grant"):
        send_mail(email(sendgrid_server, api_key="wrong"))


def test_email_connection_refused_is_temporary():
    channel = EmailChannel("key", f"http://127.0.0.1:{free_port()}", "b@example.com")
    with pytest.raises(TemporaryFailure, match="could not reach SendGrid") as failed:
        send_mail(channel)
    assert failed.value.retry_after is None


def test_email_timeout_is_temporary(sendgrid_server):
    sendgrid_server.stall_next(1, seconds=5)
    with pytest.raises(TemporaryFailure, match="could not reach SendGrid"):
        send_mail(email(sendgrid_server, timeout=0.3))


def test_email_needs_a_key_and_a_sender():
    with pytest.raises(ValueError, match="SENDGRID_API_KEY"):
        EmailChannel("", "http://127.0.0.1:1", "b@example.com")
    with pytest.raises(ValueError, match="BATON_EMAIL_FROM"):
        EmailChannel("key", "http://127.0.0.1:1", "")


# -- Slack


LINKS = [
    Link(label="Approve", url="https://baton.example.com/act/yes", style="primary"),
    Link(label="Project status", url="https://baton.example.com/p"),
]


def test_slack_direct_message_with_blocks_and_buttons(slack_server):
    ts = slack(slack_server).send(
        "U024BE7LH", "Please review: Outline", "Line one\n\nLine two", LINKS
    )
    [request] = slack_server.requests
    assert ts.endswith(".000001")
    assert request.path == "/api/chat.postMessage"
    assert request.header("Authorization") == "Bearer xoxb-test-token"
    [message] = slack_server.messages
    assert message["channel"] == "U024BE7LH"
    assert message["text"] == "Please review: Outline"
    blocks = message["blocks"]
    assert blocks[0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Please review: Outline*"},
    }
    assert blocks[1]["text"] == {"type": "mrkdwn", "text": "Line one\n\nLine two"}
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert [(b["text"]["text"], b["url"], b.get("style")) for b in actions["elements"]] == [
        ("Approve", "https://baton.example.com/act/yes", "primary"),
        ("Project status", "https://baton.example.com/p", None),
    ]


def test_slack_without_links_has_no_actions_block(slack_server):
    SlackChannel(slack_server.token, api_url=f"{slack_server.url}/api").send("U1", "Hi", "Body")
    [message] = slack_server.messages
    assert all(block["type"] == "section" for block in message["blocks"])


def test_slack_text_cannot_mention_or_link():
    blocks = slack_blocks("<!channel> ping", "see <https://evil.example|here> & more")
    assert blocks[0]["text"]["text"] == "*&lt;!channel&gt; ping*"
    assert blocks[1]["text"]["text"] == "see &lt;https://evil.example|here&gt; &amp; more"


def test_slack_long_text_is_split_into_sections():
    paragraphs = "\n\n".join("x" * 1000 for _ in range(7))
    sections = slack_blocks("s", paragraphs)[1:]
    assert len(sections) >= 3
    assert all(len(block["text"]["text"]) <= 3000 for block in sections)
    assert sum(block["text"]["text"].count("x") for block in sections) == 7000


def test_slack_429_is_temporary_with_retry_after(slack_server):
    slack_server.fail_next(1, 429, retry_after=30)
    with pytest.raises(TemporaryFailure, match="429: ratelimited") as failed:
        slack(slack_server).send("U1", "s", "t")
    assert failed.value.retry_after == 30.0
    assert len(slack_server.requests) == 1  # the client did not retry on its own


def test_slack_500_is_temporary(slack_server):
    slack_server.fail_next(1, 500)
    with pytest.raises(TemporaryFailure, match="500: internal_error"):
        slack(slack_server).send("U1", "s", "t")


def test_slack_400_is_permanent_with_the_providers_error(slack_server):
    slack_server.fail_next(1, 400, error="invalid_blocks")
    with pytest.raises(PermanentFailure, match="400: invalid_blocks"):
        slack(slack_server).send("U1", "s", "t")


def test_slack_ok_false_errors(slack_server):
    slack_server.fail_next(1, 200, error="channel_not_found")
    with pytest.raises(PermanentFailure, match="channel_not_found"):
        slack(slack_server).send("U1", "s", "t")
    slack_server.fail_next(1, 200, error="service_unavailable")
    with pytest.raises(TemporaryFailure, match="service_unavailable"):
        slack(slack_server).send("U1", "s", "t")
    with pytest.raises(PermanentFailure, match="invalid_auth"):
        slack(slack_server, token="xoxb-wrong").send("U1", "s", "t")


def test_slack_connection_refused_is_temporary():
    channel = SlackChannel("xoxb-test", api_url=f"http://127.0.0.1:{free_port()}/api/")
    with pytest.raises(TemporaryFailure, match="could not reach Slack"):
        channel.send("U1", "s", "t")


def test_slack_timeout_is_temporary(slack_server):
    slack_server.stall_next(1, seconds=5)
    channel = SlackChannel(slack_server.token, f"{slack_server.url}/api/", timeout=0.3)
    with pytest.raises(TemporaryFailure, match="could not reach Slack"):
        channel.send("U1", "s", "t")


def test_slack_needs_a_token():
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackChannel("")


# -- backoff


def test_backoff_stays_within_exponential_bounds():
    rng = random.Random(7)
    for attempt in range(1, 25):
        ceiling = min(BACKOFF_CAP, 2.0 * 2 ** (attempt - 1))
        delays = [backoff(attempt, None, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        # full jitter: spread over the whole range, not clustered at the ceiling
        assert min(delays) < 0.2 * ceiling and max(delays) > 0.8 * ceiling
    assert backoff(10_000, None, rng) <= BACKOFF_CAP


def test_backoff_is_never_below_retry_after():
    rng = random.Random(1)
    assert all(backoff(1, 30.0, rng) >= 30.0 for _ in range(100))
    assert backoff(3, 3600.0, rng) == 3600.0  # the provider's word beats the cap
    assert backoff(1, 0.0, rng) <= 2.0


def test_backoff_is_reproducible_with_a_seeded_rng_and_refuses_attempt_zero():
    assert backoff(4, None, random.Random(3)) == backoff(4, None, random.Random(3))
    with pytest.raises(ValueError, match="from 1"):
        backoff(0, None, random.Random())
