"""Signed one-click action links: "complete 'draft'" or "approve 'approve-outline'" from a
message, without logging in.

A token is `<claims>.<signature>`: the claims are compact JSON, base64url without padding;
the signature is HMAC-SHA256 over the exact claims text (with a version prefix, so a
future format cannot be confused with this one), also base64url. Whoever holds the
secret can mint links; anyone else changing one character breaks the signature. The
signature is compared as text in constant time, so two encodings of the same bytes (base64's
spare trailing bits) cannot pass as one.

Every token carries a random `nonce`: the server that honours a link records it, so a
link works once even though it stays valid until it expires.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from baton.errors import Invalid

_VERSION = b"baton-link-v1."
_MIN_SECRET = 16

LinkProblem = Literal["malformed", "tampered", "expired"]


class LinkError(Invalid):
    """A link that may not be honoured; `problem` says why, `str()` says it to a person."""

    def __init__(self, problem: LinkProblem, message: str):
        self.problem = problem
        super().__init__(message)


class ActionClaim(BaseModel):
    """What a verified link allows: `person` takes `action` on one step of one project."""

    model_config = ConfigDict(frozen=True)
    person: str
    workflow_id: str
    step_id: str
    action: str
    expires_at: datetime
    nonce: str
    revision: int | None = None  # the step's round the link was made for (older links: None)

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        return value.astimezone(UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
        raise Invalid(f"the link secret must be at least {_MIN_SECRET} bytes")


def _signature(secret: bytes, claims: str) -> str:
    mac = hmac.new(secret, _VERSION + claims.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest())


def sign(
    secret: bytes,
    person: str,
    workflow_id: str,
    step_id: str,
    action: str,
    expires_at: datetime,
    revision: int | None = None,
) -> str:
    """A URL-safe token that lets `person` take `action` on `step_id` (in its round
    `revision`, when given) until `expires_at`."""
    _check_secret(secret)
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    body = {
        "p": person,
        "w": workflow_id,
        "s": step_id,
        "a": action,
        "e": int(expires_at.timestamp()),
        "n": secrets.token_urlsafe(12),
    }
    if revision is not None:
        body["r"] = revision
    claims = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{claims}.{_signature(secret, claims)}"


def verify(secret: bytes, token: str, now: datetime) -> ActionClaim:
    """The claims of a genuine, unexpired token; `LinkError` otherwise."""
    _check_secret(secret)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 2 or not all(parts):
        raise LinkError("malformed", "the link is malformed (not a Baton action link)")
    claims, given = parts
    if not claims.isascii():
        raise LinkError("malformed", "the link is malformed (unexpected characters)")
    expected = _signature(secret, claims)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
        raise LinkError(
            "tampered",
            "the link's signature does not match: it was altered or signed with another key",
        )
    try:
        body = json.loads(_unb64(claims))
        claim = ActionClaim(
            person=body["p"],
            workflow_id=body["w"],
            step_id=body["s"],
            action=body["a"],
            expires_at=datetime.fromtimestamp(body["e"], UTC),
            nonce=body["n"],
            revision=body.get("r"),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError, OSError) as error:
        # Only reachable with the secret: a bug in whoever signed it, not an attacker.
        raise LinkError("malformed", f"the link's claims are unreadable: {error}") from error
    if now >= claim.expires_at:
        raise LinkError("expired", f"the link expired at {claim.expires_at:%Y-%m-%d %H:%M} UTC")
    return claim


def action_url(base_url: str, token: str) -> str:
    """The address a person clicks: `<base>/act/<token>`."""
    return f"{base_url.rstrip('/')}/act/{token}"
