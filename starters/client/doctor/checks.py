"""What every check of `baton doctor` is made of: its outcome (ok, warning, problem or
skipped, with what to do), the order they print in, one guard that keeps a broken or
silent check from stopping the others, and how a finding words errors and ages."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel
from temporalio.service import RPCError

Status = Literal["ok", "warning", "problem", "skipped"]

TIMEOUT = 5.0  # seconds any one check may take


class Check(BaseModel):
    """One check's outcome: `fix` says what to do when the status is not ok."""

    check: str
    status: Status
    detail: str
    fix: str | None = None


# The checks in the order they run and print, with their names for people.
LABELS = {
    "settings": "Settings",
    "temporal": "Temporal",
    "namespace": "Namespace",
    "search_attributes": "Search attributes",
    "workers": "Workers",
    "stuck_projects": "Stuck projects",
    "postgresql": "PostgreSQL",
    "migrations": "Migrations",
    "outbox": "Outbox",
    "providers": "Providers",
    "links": "Links",
}


def ok(check: str, detail: str) -> Check:
    return Check(check=check, status="ok", detail=detail)


def warning(check: str, detail: str, fix: str) -> Check:
    return Check(check=check, status="warning", detail=detail, fix=fix)


def problem(check: str, detail: str, fix: str) -> Check:
    return Check(check=check, status="problem", detail=detail, fix=fix)


def skipped(checks: tuple[str, ...], why: str) -> list[Check]:
    return [Check(check=check, status="skipped", detail=f"not checked: {why}") for check in checks]


async def guarded(check: str, run: Callable[[], Awaitable[Check]]) -> Check:
    """`run()`'s check, or a problem saying why it could not be made (an error, or no
    answer within TIMEOUT): one broken check never stops the others."""
    try:
        return await asyncio.wait_for(run(), TIMEOUT)
    except TimeoutError:
        return problem(
            check,
            f"could not check: no answer within {TIMEOUT:.0f} s",
            "the server is overloaded or unreachable: check its health, then run "
            "`baton doctor` again",
        )
    except Exception as error:  # a check must report, never crash the report
        return problem(
            check,
            f"could not check: {reason(error)}",
            "run `baton doctor` again; if it persists, read the server's log",
        )


def reason(error: BaseException) -> str:
    """An error in one line: the message inside the SDK core's or gRPC's wording
    ('Connection refused'), else the error's (or its hidden cause's) first line."""
    if isinstance(error, RPCError):
        return f"{error.status.name.lower().replace('_', ' ')}: {one_line(error.message)}"
    texts = [str(error), str(error.__context__ or "")]
    for text in texts:
        found = re.search(r'message: "([^"]*)"', text)
        if found:
            return found.group(1)
    return one_line(texts[0]) or type(error).__name__


def one_line(text: str) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= 200 else line[:197] + "..."


def duration_text(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
