"""Signed action links: they round-trip, and any change, another key or age refuses them."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from baton.links import ActionClaim, LinkError, action_url, sign, verify

SECRET = b"0123456789abcdef-test-secret"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def token() -> str:
    return sign(SECRET, "alice", "project-spring-post", "draft", "complete", LATER)


def test_round_trip_returns_the_claims():
    claim = verify(SECRET, token(), NOW)
    assert isinstance(claim, ActionClaim)
    assert (claim.person, claim.workflow_id, claim.step_id, claim.action) == (
        "alice",
        "project-spring-post",
        "draft",
        "complete",
    )
    assert claim.expires_at == LATER
    assert len(claim.nonce) >= 16


def test_each_link_has_its_own_nonce():
    first, second = verify(SECRET, token(), NOW), verify(SECRET, token(), NOW)
    assert first.nonce != second.nonce


def test_token_is_url_safe():
    text = sign(SECRET, "al ice/?&", "project-x", "step id", "approve", LATER)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert verify(SECRET, text, NOW).person == "al ice/?&"


def test_changing_any_character_is_refused():
    original = token()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, char in enumerate(original):
        replacement = alphabet[(alphabet.find(char) + 1) % len(alphabet)] if char != "." else "A"
        tampered = original[:index] + replacement + original[index + 1 :]
        with pytest.raises(LinkError) as refused:
            verify(SECRET, tampered, NOW)
        assert refused.value.problem in ("tampered", "malformed"), index


def test_changed_claims_with_a_valid_encoding_are_refused_as_tampered():
    claims, signature = token().split(".")
    body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    body["p"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkError, match="altered or signed with another key") as refused:
        verify(SECRET, f"{forged}.{signature}", NOW)
    assert refused.value.problem == "tampered"


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", ".", "abc.", "é.é", "x" * 40])
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(LinkError) as refused:
        verify(SECRET, bad, NOW)
    assert refused.value.problem in ("malformed", "tampered")


def test_expired_link_is_refused_as_expired():
    with pytest.raises(LinkError, match="expired") as refused:
        verify(SECRET, token(), LATER)
    assert refused.value.problem == "expired"
    assert verify(SECRET, token(), LATER - timedelta(seconds=1)).person == "alice"


def test_another_secret_is_refused():
    with pytest.raises(LinkError) as refused:
        verify(b"another-secret-of-enough-bytes", token(), NOW)
    assert refused.value.problem == "tampered"


def test_a_tampered_expired_link_says_tampered_not_expired():
    original = token()
    tampered = original[:-1] + ("A" if original[-1] != "A" else "B")
    with pytest.raises(LinkError) as refused:
        verify(SECRET, tampered, LATER + timedelta(days=1))
    assert refused.value.problem == "tampered"


def test_clear_errors_for_misuse():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        sign(b"short", "alice", "project-x", "draft", "complete", LATER)
    with pytest.raises(ValueError, match="timezone-aware"):
        sign(SECRET, "alice", "project-x", "draft", "complete", datetime(2026, 12, 8))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(SECRET, token(), datetime(2026, 12, 1))


def test_action_url():
    assert action_url("https://baton.example.com/", "abc.def") == (
        "https://baton.example.com/act/abc.def"
    )
    assert action_url("http://localhost:8000", "t") == "http://localhost:8000/act/t"


@pytest.mark.parametrize(
    ("due_in", "valid_for"),
    [
        (None, timedelta(days=14)),  # no due: the usual fortnight
        (timedelta(days=2), timedelta(days=14)),  # due soon: still the fortnight
        (timedelta(days=40), timedelta(days=47)),  # due later: a week past its due
        (timedelta(days=200), timedelta(days=90)),  # never longer than 90 days
    ],
)
def test_a_message_link_lives_until_its_step_can_still_be_done(due_in, valid_for):
    from activities.messages import LinkSigner
    from baton.notify.render import StepInfo

    signer = LinkSigner(secret=SECRET, public_url="https://baton.example.com")
    step = StepInfo(id="draft", name="Draft", due=NOW + due_in if due_in else None)
    url = signer.url("alice", "project-spring-post", step, "complete", NOW)
    claim = verify(SECRET, url.rsplit("/", 1)[1], NOW)
    assert claim.expires_at == NOW + valid_for
