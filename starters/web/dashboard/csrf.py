"""Cross-site request forgery: another site must not make a visitor's browser change
anything here.

Every dashboard form carries a token only this site can make for this visitor: an HMAC,
under the app secret, of what the form is bound to. A signed-in person's forms are
bound to their session id (kept in an HttpOnly cookie), a one-click link's
confirmation to the link's nonce, and the sign-in form (no session yet) to a random
cookie of its own (a double-submit cookie). Each state-changing POST checks its token;
besides, any unsafe request whose Origin (or Referer) names another site is refused
(`cross_site`, applied to the whole app in `starters.web.app`).
"""

import hashlib
import hmac
from urllib.parse import urlsplit

FIELD = "csrf"  # the hidden input every form posts its token in
SIGN_IN_COOKIE = "baton_sign_in"
_VERSION = b"baton-form-v1."
_DEFAULT_PORTS = {"http": 80, "https": 443}


def for_session(session_id: str) -> str:
    return f"session:{session_id}"


def for_link(nonce: str) -> str:
    return f"link:{nonce}"


def for_sign_in(cookie: str) -> str:
    return f"sign-in:{cookie}"


def token(secret: bytes, bound_to: str) -> str:
    return hmac.new(secret, _VERSION + bound_to.encode("utf-8"), hashlib.sha256).hexdigest()


def valid(secret: bytes, bound_to: str | None, given: str | None) -> bool:
    """Whether `given` is the token of `bound_to` (nothing to bind to: never)."""
    if not bound_to or not given:
        return False
    return hmac.compare_digest(token(secret, bound_to).encode(), given.encode("utf-8"))


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, default ports filled in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a malformed port
        return None
    if port is None or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def cross_site(claimed: str | None, own: list[str]) -> bool:
    """Whether a request's Origin (or Referer) names a site other than the `own` URLs.
    No header at all is not cross-site (API clients, the CLI); "null" or garbage is."""
    if claimed is None:
        return False
    found = origin(claimed)
    return found is None or found not in {origin(url) for url in own}
