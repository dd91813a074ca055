"""The `baton` command line: typer + rich, `--json` on every read command, one module per
noun, each a `typer.Typer()` added here.

Errors are mapped here and only here: a `BatonError` is printed as one clear message
(exit 1); anything else is a bug, reported as "internal error" with the log file that
holds its traceback (exit 2; BATON_DEBUG=1 shows the traceback instead)."""

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence

import typer

from baton.config import Settings
from baton.errors import BatonError, report_internal
from starters.cli import (
    account,
    demo,
    dev,
    doctor,
    history,
    insight,
    messages,
    people,
    playbooks,
    projects,
    running,
    schedules,
    steps,
)
from starters.cli.output import fail

app = typer.Typer(
    name="baton",
    help="Baton runs your team's repeatable marketing projects: every step an owner and a "
    "deadline, reminders, follow-ups, approvals and hand-offs.",
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
GUIDE = """Usage: baton COMMAND [OPTIONS]   (baton --help lists every command)

Get going:
  make run                                  the whole stack with a demo project
  baton playbook list                       the playbooks you can run
  baton playbook plan blog-post --launch 2026-12-15
  baton start blog-post --name "Spring post" --launch 2026-12-15 --pm pat \\
      --assign writer=alice ...             start a project
Day to day:
  baton tasks alice                         what waits on Alice, overdue first
  baton complete PROJECT STEP --as alice    mark a step done
  baton review PROJECT STEP --approve --as stu
  baton status PROJECT                      steps, owners, dues, the log, the Web UI link
  baton inbox alice                         Alice's messages
Try a playbook without waiting weeks:
  baton simulate scenario.yaml              a project on a time-skipping clock
Learn from history:
  baton history import past.csv             past projects (or: baton demo history)
  baton report --playbook blog-post         where deadlines slipped
  baton recalibrate blog-post               better dues from history (--publish)
  baton forecast PROJECT                    will it finish on time?
"""


@app.callback(invoke_without_command=True)
def guide(context: typer.Context) -> None:
    """Without a command: a short guide."""
    if context.invoked_subcommand is None:
        print(GUIDE)


app.add_typer(projects.app)
app.add_typer(steps.app)
app.add_typer(messages.app)
app.add_typer(account.app)
app.add_typer(running.app)
app.add_typer(dev.app)
app.add_typer(doctor.app)
app.add_typer(playbooks.app, name="playbook", rich_help_panel="Playbooks")
app.add_typer(schedules.app, name="schedule", rich_help_panel="Projects")
app.add_typer(people.app, name="people", rich_help_panel="People")
app.add_typer(insight.app)
app.add_typer(history.app, name="history", rich_help_panel=insight.PANEL)
app.add_typer(demo.app, name="demo", rich_help_panel=insight.PANEL)


def _quiet_temporal_core() -> None:
    """The SDK core logs warnings (server capabilities and the like) that mean nothing
    to a marketing team; keep errors only."""
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
    Runtime.set_default(
        Runtime(telemetry=TelemetryConfig(logging=quiet)), error_if_already_set=False
    )


def main() -> None:
    code = run(sys.argv[1:])
    # Leave without interpreter finalization: the Temporal SDK's native threads can
    # abort a finalizing interpreter ("PyGILState_Release"), turning success into a crash.
    sys.stdout.flush()
    sys.stderr.flush()
    if "baton.store.database" in sys.modules:  # a command that used PostgreSQL
        # what the skipped exit handlers would do: no longer using it
        sys.modules["baton.store.database"].leave_embedded()
    os._exit(code)


def run(argv: Sequence[str]) -> int:
    """Run one command line; returns the exit code."""
    _quiet_temporal_core()
    try:
        app(args=list(argv), prog_name="baton")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except (Exception, asyncio.CancelledError) as error:  # CancelledError: a bug too
        known = error if isinstance(error, BatonError) else _lost_store(error)
        if known is not None:
            return _fail(str(known))
        if os.environ.get("BATON_DEBUG"):
            raise
        return _fail(f"internal error (details in {_log_internal(error)})", 2)
    return 0


def _lost_store(error: BaseException) -> BatonError | None:
    """PostgreSQL lost in the middle of a command, as the error a person sees (only a
    command that used the store can have lost it)."""
    database = sys.modules.get("baton.store.database")
    return database.as_unavailable(error) if database else None


def _log_internal(error: BaseException) -> str:
    """Keep a bug's traceback in the Baton home's log; the file's path, for the message."""
    try:
        home = Settings().home
    except Exception:  # settings that cannot be read must not hide the bug
        home = Settings.model_fields["home"].default
    error_id, logfile = report_internal(error, home / "logs")
    return f"{logfile}, error {error_id}"


def _fail(message: str, code: int = 1) -> int:
    with contextlib.suppress(SystemExit):
        fail(message, code)
    return code
