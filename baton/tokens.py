"""API tokens: a random secret shown to its person once; only its SHA-256 is stored.

The token is 256 random bits, so a plain (unsalted) hash is enough: nobody can guess
their way back from a stolen hash, and the hash is what the API looks a token up by."""

import hashlib
import secrets

PREFIX = "bt_"  # makes a leaked token recognisable (secret scanners, logs)


def new_token() -> tuple[str, str]:
    """(token to show once, hash to store)."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
