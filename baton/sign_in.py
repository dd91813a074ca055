"""Sign-in links: "Email me a sign-in link" sends a person a link that signs them in to
the dashboard once, within 15 minutes.

A link's token is a signed action link (`baton.links`) for the action `sign_in`, with no
project or step: it carries the person, the expiry and a random nonce under the app
secret's HMAC, so nobody without the secret can make or alter one. The action keeps the
two kinds apart: an action link signs nobody in, and a sign-in link takes no action.
The server records each nonce it sends (`baton.store.sign_in_links`), so a link works
once although it stays genuine until it expires.
"""

from datetime import UTC, datetime, timedelta

from baton.links import ActionClaim, LinkError, sign, verify

LIFETIME = timedelta(minutes=15)
ACTION = "sign_in"
_EPOCH = datetime(1970, 1, 2, tzinfo=UTC)  # before any link's expiry


def sign_link(secret: bytes, person_id: str, expires_at: datetime) -> tuple[str, ActionClaim]:
    """A token signing `person_id` in until `expires_at`, and its claim (for the nonce)."""
    token = sign(secret, person_id, "", "", ACTION, expires_at)
    return token, read_link(secret, token)


def read_link(secret: bytes, token: str) -> ActionClaim:
    """The claim of a genuine sign-in link, expired or not (its `expires_at` says);
    `LinkError` otherwise. An action link is "malformed" here: it signs nobody in."""
    claim = verify(secret, token, _EPOCH)
    if claim.action != ACTION or claim.workflow_id or claim.step_id:
        raise LinkError("malformed", "it is not a sign-in link")
    return claim


def link_url(public_url: str, token: str) -> str:
    """The address a person opens: `<public url>/login/link/<token>`."""
    return f"{public_url.rstrip('/')}/login/link/{token}"
