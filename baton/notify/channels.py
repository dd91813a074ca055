"""Delivery through the providers' real client libraries: SendGrid for email, slack_sdk for
Slack direct messages.

Each `send` either returns the provider's id for the message or raises one of two
errors, so the outbox knows what to do next without knowing any provider:
- `TemporaryFailure` (429, 5xx, timeouts, connection errors): try again after
  `backoff(...)`, never sooner than the provider's `Retry-After`;
- `PermanentFailure` (any other 4xx, a refused request): record it with the provider's
  own words and tell the project manager; retrying would fail the same way.

The clients' own retries are off (slack_sdk retries connection errors by default): one
place decides when to try again, and a worker thread is never parked inside a client.

A send whose outcome is unknown (the sender died mid-send, or the connection broke after
the request left) is not simply sent again: `find(key)` first asks the provider whether it
accepted a message with that idempotency key. SendGrid can answer through its Email
Activity API (a paid add-on: without it SendGrid answers 4xx, and Baton cannot tell);
Slack cannot look messages up by anything of Baton's cheaply (`conversations.history`
would mean paging through a whole DM), so Slack always cannot tell and such a message is
sent again.
"""

import http.client
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from python_http_client.exceptions import HTTPError as SendGridHTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from baton.errors import Invalid
from baton.notify.render import Link

DEFAULT_TIMEOUT = 10.0
BACKOFF_BASE = 2.0
BACKOFF_CAP = 15 * 60.0
_MAX_ERROR_TEXT = 500
# Slack answers some server-side trouble with HTTP 200 and ok=false.
_SLACK_TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class DeliveryError(Exception):
    """A message the provider did not take."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class TemporaryFailure(DeliveryError):
    """Worth retrying: after `retry_after` seconds when the provider said so.
    `maybe_accepted`: no answer came back (a timeout, a dropped connection), so the
    provider may have taken the message; ask it (`find`) before sending again."""

    def __init__(
        self, message: str, retry_after: float | None = None, maybe_accepted: bool = False
    ):
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_accepted = maybe_accepted


class PermanentFailure(DeliveryError):
    """Retrying would fail the same way: the message names the provider's reason."""


@dataclass(frozen=True)
class Lookup:
    """What a provider says of a message sent earlier with an idempotency key: accepted
    (with its id when it gives one), not found, or None when it cannot tell."""

    accepted: bool | None
    provider_id: str | None = None
    detail: str = ""


def backoff(
    attempt: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
    *,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
) -> float:
    """Seconds to wait before retry number `attempt` (1 = the first retry): exponential
    with full jitter, uniform in [0, min(cap, base * 2^(attempt-1))] so many failed
    messages do not come back at once; never less than the provider's `retry_after`."""
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 64))
    delay = (rng or random).uniform(0.0, ceiling)
    return max(delay, retry_after or 0.0)


def _header(headers: Mapping[str, Any] | Any, name: str) -> str | None:
    """A response header, whatever the case its server or client gave it."""
    if headers is None:
        return None
    if hasattr(headers, "get") and headers.get(name) is not None:
        value = headers.get(name)
    else:
        items = headers.items() if hasattr(headers, "items") else []
        value = next((v for k, v in items if str(k).lower() == name.lower()), None)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return None if value is None else str(value)


def _retry_after(headers: Any) -> float | None:
    value = _header(headers, "Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: neither provider sends one; the backoff still applies
    return max(seconds, 0.0) if seconds is not None else None


def _classify(provider: str, status: int, reason: str, headers: Any) -> DeliveryError:
    text = f"{provider} answered {status}: {reason}"
    if status == 429 or status == 408 or status >= 500:
        return TemporaryFailure(text, _retry_after(headers))
    return PermanentFailure(text)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"


def _network(provider: str, error: BaseException) -> TemporaryFailure:
    reason = getattr(error, "reason", None) or error
    # Refused: the request never left. Anything else may have reached the provider.
    refused = isinstance(error, ConnectionRefusedError) or isinstance(
        reason, ConnectionRefusedError
    )
    return TemporaryFailure(f"could not reach {provider}: {reason}", maybe_accepted=not refused)


# -- email


def _sendgrid_reason(body: bytes | str | None) -> str:
    """SendGrid's `{"errors": [{"message", "field"}]}` as one line, else the raw body."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        errors = json.loads(raw).get("errors") or []
        parts = [
            f"{e.get('message')}" + (f" (field {e['field']})" if e.get("field") else "")
            for e in errors
            if isinstance(e, dict) and e.get("message")
        ]
    except (ValueError, AttributeError):
        parts = []
    return _clip("; ".join(parts) or raw or "no error text")


class EmailChannel:
    """Email through SendGrid's v3 mail/send, with the official `sendgrid` client."""

    def __init__(
        self,
        api_key: str,
        host: str = "https://api.sendgrid.com",
        sender: str = "Baton <baton@localhost>",
        timeout: float = DEFAULT_TIMEOUT,
    ):
        if not api_key:
            raise Invalid("SendGrid needs an API key (SENDGRID_API_KEY)")
        if not sender:
            raise Invalid("email needs a sender address (BATON_EMAIL_FROM)")
        self.sender = sender
        self._client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        # The python_http_client under it copies this to every request it builds.
        self._client.client.timeout = timeout

    def send(self, to_email: str, subject: str, text: str, html: str, key: str) -> str | None:
        """Send one message; SendGrid's `X-Message-Id`, or None if it gave none. `key` is
        the outbox's idempotency key, echoed back in SendGrid's event webhooks."""
        try:
            mail = Mail(
                from_email=self.sender,
                to_emails=to_email,
                subject=subject,
                plain_text_content=text,
                html_content=html,
            )
            mail.custom_arg = CustomArg(key="idempotency_key", value=key)
            response = self._client.send(mail)
        except SendGridHTTPError as error:
            reason = _sendgrid_reason(error.body)
            raise _classify("SendGrid", error.status_code, reason, error.headers) from error
        except (OSError, http.client.HTTPException) as error:
            raise _network("SendGrid", error) from error
        except (ValueError, TypeError) as error:  # the helpers refused the message itself
            raise PermanentFailure(f"SendGrid message refused before sending: {error}") from error
        if not 200 <= response.status_code < 300:
            reason = _sendgrid_reason(response.body)
            raise _classify("SendGrid", response.status_code, reason, response.headers)
        return _header(response.headers, "X-Message-Id")

    def find(self, key: str) -> Lookup:
        """Whether SendGrid accepted a message sent with idempotency key `key`, from its
        Email Activity API (`GET /v3/messages`, where `custom_args` are `unique_args`).
        429/5xx/network raise `TemporaryFailure`; any other 4xx (the add-on not bought,
        a key without Email Activity access) means SendGrid cannot tell."""
        escaped = key.replace("\\", "\\\\").replace('"', '\\"')
        query = f"unique_args['idempotency_key']=\"{escaped}\""
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": 1})
        except SendGridHTTPError as error:
            reason = _sendgrid_reason(error.body)
            failure = _classify("SendGrid", error.status_code, reason, error.headers)
            if isinstance(failure, TemporaryFailure):
                raise failure from error
            return Lookup(None, detail=f"SendGrid cannot tell ({failure.message})")
        except (OSError, http.client.HTTPException) as error:
            raise _network("SendGrid", error) from error
        try:
            found = json.loads(response.body or b"{}").get("messages") or []
        except (ValueError, AttributeError):
            return Lookup(None, detail="SendGrid cannot tell (its answer was not JSON)")
        if not found:
            return Lookup(False, detail="SendGrid has no message with this idempotency key")
        message_id = found[0].get("msg_id") if isinstance(found[0], dict) else None
        return Lookup(True, message_id, detail="SendGrid has a message with this idempotency key")


# -- Slack


def _mrkdwn(text: str) -> str:
    """Slack's three control characters escaped, so names cannot make links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, size: int) -> list[str]:
    """Paragraph-aligned pieces no longer than `size` (a section holds 3000 characters)."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        while len(paragraph) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(paragraph[:size])
            paragraph = paragraph[size:]
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) > size:
            pieces.append(current)
            current = paragraph
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def slack_blocks(subject: str, text: str, links: Sequence[Link] = ()) -> list[dict[str, Any]]:
    """Block Kit for one message: the subject in bold, the text in mrkdwn sections, and a
    button per link (Slack opens the URL; the signed link does the rest)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(subject)[:2900]}*"}}
    ]
    for piece in _chunks(_mrkdwn(text.strip()), 2900)[:45]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
    buttons = []
    for index, link in enumerate(links[:25]):
        button: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": link.label[:75]},
            "url": link.url,
            "action_id": f"baton-link-{index}",
        }
        if link.style:
            button["style"] = link.style
        buttons.append(button)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


class SlackChannel:
    """Slack direct messages through `slack_sdk.WebClient.chat_postMessage`."""

    def __init__(
        self,
        token: str,
        api_url: str = "https://slack.com/api/",
        timeout: float = DEFAULT_TIMEOUT,
    ):
        if not token:
            raise Invalid("Slack needs a bot token (SLACK_BOT_TOKEN)")
        # WebClient joins method names onto base_url: without the slash "/api" is lost.
        self._client = WebClient(
            token=token,
            base_url=api_url.rstrip("/") + "/",
            timeout=timeout,  # type: ignore[arg-type]
            retry_handlers=[],
        )

    def send(self, slack_id: str, subject: str, text: str, links: Sequence[Link] = ()) -> str:
        """Post a direct message to `slack_id` (a user id opens the app's DM with them);
        returns the message's `ts`."""
        try:
            response = self._client.chat_postMessage(
                channel=slack_id, text=subject, blocks=slack_blocks(subject, text, links)
            )
        except SlackApiError as error:
            raise _slack_failure(error) from error
        except (OSError, http.client.HTTPException) as error:
            raise _network("Slack", error) from error
        except SlackClientError as error:
            raise PermanentFailure(f"Slack request refused before sending: {error}") from error
        ts = response.get("ts")
        if not ts:
            raise PermanentFailure(f"Slack accepted the message but returned no ts: {response}")
        return str(ts)

    def find(self, key: str) -> Lookup:
        """Slack cannot tell: its API finds messages by channel and time, not by anything
        Baton sends, and paging a DM's history per message is not worth a rate limit."""
        return Lookup(None, detail="Slack cannot look a message up by its idempotency key")


def _slack_failure(error: SlackApiError) -> DeliveryError:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    reason = _clip(str(data.get("error") or response.data or "no error text"))
    if status == 200:  # ok=false: Slack's own error codes
        if reason in _SLACK_TRANSIENT:
            return TemporaryFailure(f"Slack answered {reason}", _retry_after(response.headers))
        return PermanentFailure(f"Slack refused the message: {reason}")
    return _classify("Slack", status, reason, response.headers)
