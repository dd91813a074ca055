"""The `baton` command line: typer + rich, `--json` on every read command.

Errors a person can fix are printed as one clear message (exit 1); nothing else may
reach them as a traceback either (exit 2, or the traceback with BATON_DEBUG=1)."""

import os
import sys

import typer

from baton.playbook import PlaybookError
from baton.state import Refused
from starters.cli import playbooks
from starters.cli.output import fail

app = typer.Typer(
    name="baton",
    help="Baton runs your team's repeatable marketing projects: every step an owner and a "
    "deadline, reminders, follow-ups, approvals and hand-offs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
app.add_typer(playbooks.app, name="playbook")


def main() -> None:
    try:
        app()
    except (PlaybookError, Refused, ValueError, OSError) as error:
        fail(str(error))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence: no traceback for users
        if os.environ.get("BATON_DEBUG"):
            raise
        fail(
            f"unexpected error: {type(error).__name__}: {error} (set BATON_DEBUG=1 for details)", 2
        )
