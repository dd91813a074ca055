"""`baton doctor`: is this Baton set up to work? Each check says ok, warning or problem
(or skipped, when what it needs already failed), what it found, and what to do about it.

Every check runs, each within a few seconds: Temporal down still reports PostgreSQL, a
server that does not answer fails its own checks only, and nothing raises (a check
that breaks reports how). Plain models out, for the CLI now and the API later.

- `checks`         a check's outcome, their order, the guard, the wording
- `temporal`       the server, namespace, search attributes, workers, stuck projects
- `store`          PostgreSQL, migrations, the outbox
- `configuration`  the settings, the providers, the links
"""

import asyncio
from collections.abc import Awaitable

from baton.config import Settings
from starters.client.doctor.checks import LABELS, Check, problem, reason, skipped
from starters.client.doctor.configuration import (
    links_check,
    providers_check,
    read_settings,
    settings_found,
)
from starters.client.doctor.store import POSTGRES_CHECKS, postgres_checks
from starters.client.doctor.temporal import TEMPORAL_CHECKS, temporal_checks

__all__ = [
    "LABELS",
    "Check",
    "diagnose",
    "has_problem",
    "links_check",
    "providers_check",
    "read_settings",
]


async def diagnose(settings: Settings | None = None) -> list[Check]:
    """Every check, in LABELS order; settings from the environment when not given."""
    if settings is None:
        settings, read = read_settings()
    else:
        read = settings_found(settings)
    if settings is None:
        return [read, *skipped(tuple(LABELS)[1:], "the settings cannot be read")]
    temporal, postgres = await asyncio.gather(
        _never_raising(TEMPORAL_CHECKS, temporal_checks(settings)),
        _never_raising(POSTGRES_CHECKS, postgres_checks(settings)),
    )
    return [read, *temporal, *postgres, providers_check(settings), links_check(settings)]


async def _never_raising(checks: tuple[str, ...], group: Awaitable[list[Check]]) -> list[Check]:
    """A group of checks; one that broke (a bug) reported as a problem, not raised."""
    try:
        return await group
    except Exception as error:
        return [
            problem(checks[0], f"could not check: {reason(error)}", "report this as a bug"),
            *skipped(checks[1:], f"the {LABELS[checks[0]]} check broke"),
        ]


def has_problem(checks: list[Check]) -> bool:
    return any(check.status == "problem" for check in checks)
