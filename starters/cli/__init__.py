"""The `baton` command line: typer + rich, `--json` on every read command.

Errors a person can fix are printed as one clear message (exit 1); nothing else may
reach them as a traceback either (exit 2, or the traceback with BATON_DEBUG=1)."""

import contextlib
import os
import sys

import typer
from pydantic import ValidationError

from baton.playbook import PlaybookError
from baton.state import Refused
from starters.cli import dev, playbooks, projects, schedules, store
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
"""


@app.callback(invoke_without_command=True)
def guide(context: typer.Context) -> None:
    """Without a command: a short guide."""
    if context.invoked_subcommand is None:
        print(GUIDE)


app.add_typer(playbooks.app, name="playbook", rich_help_panel="Playbooks")
projects.register(app)
schedules.register(app)
dev.register(app)
store.register(app)


def _quiet_temporal_core() -> None:
    """The SDK core logs warnings (server capabilities and the like) that mean nothing
    to a marketing team; keep errors only."""
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
    Runtime.set_default(
        Runtime(telemetry=TelemetryConfig(logging=quiet)), error_if_already_set=False
    )


def main() -> None:
    code = _run()
    # Leave without interpreter finalization: the Temporal SDK's native threads can
    # abort a finalizing interpreter ("PyGILState_Release"), turning success into a crash.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run() -> int:
    _quiet_temporal_core()
    try:
        app()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(p) for p in problem["loc"])
        return _fail(f"{field}: {problem['msg'].removeprefix('Value error, ')}")
    except (PlaybookError, Refused, ValueError, LookupError, OSError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the last line of defence: no traceback for users
        if os.environ.get("BATON_DEBUG"):
            raise
        return _fail(
            f"unexpected error: {type(error).__name__}: {error} (BATON_DEBUG=1 shows more)", 2
        )
    return 0


def _fail(message: str, code: int = 1) -> int:
    with contextlib.suppress(SystemExit):
        fail(message, code)
    return code
