"""The API fuzzers reuse the API tests' session: the real app, worker, PostgreSQL and
Temporal dev server, and a token per person (`pat` is an admin)."""

from pathlib import Path

import pytest

from tests.api.conftest import baton  # noqa: F401  (the session fixture, shared as is)


@pytest.fixture(scope="session")
async def api(baton, tmp_path_factory):  # noqa: F811
    """`baton`, with internal errors logged under a temporary Baton home instead of the
    working tree's `.baton/logs` (the fuzzers quote the tracebacks from there)."""
    services = baton.services
    original = services.settings
    home: Path = tmp_path_factory.mktemp("baton-home")
    services.settings = original.model_copy(update={"home": home})
    try:
        yield baton
    finally:
        services.settings = original
