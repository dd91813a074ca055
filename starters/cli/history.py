"""`baton history import|export`: a team's past projects in and out as a spreadsheet (CSV,
one row per step run; the format is in `baton.insight.history_csv`)."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from starters.cli.common import write_file
from starters.cli.connections import with_store
from starters.cli.output import console, errors

app = typer.Typer(
    help="Past projects in and out as CSV: what reports, recalibration and forecasts learn from.",
    no_args_is_help=True,
)


@app.command("import")
def import_history(
    file: Annotated[Path, typer.Argument(help="A CSV file, one row per step run.")],
) -> None:
    """Add past step runs from a CSV file; a file with any problem changes nothing.

    Columns: project, playbook, step, owner, activated_at, due_at, finished_at, and
    optionally revision and outcome; instants with an offset (2026-03-02T17:00:00+01:00).
    Runs already known are left as they are."""
    from baton.insight.history_csv import read_history_file
    from starters.client import insight

    text = read_history_file(file)
    listed, added = with_store(lambda pool: insight.import_history(pool, text, str(file)))
    console.print(
        f"Imported {added} step runs from {escape(str(file))} ({listed - added} already known).",
        highlight=False,
    )


@app.command("export")
def export_history(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="The CSV file to write; - for stdout.")
    ],
    playbook: Annotated[
        str | None, typer.Option("--playbook", help="Only this playbook's runs.")
    ] = None,
) -> None:
    """Write the recorded and imported step runs as CSV (the format import reads)."""
    from starters.client import insight

    async def run(pool) -> str:
        if playbook:
            await insight.playbook_for_history(pool, playbook)  # unknown: NotFound
        return await insight.export_history(pool, playbook)

    text = with_store(run)
    count = max(text.count("\n") - 1, 0)  # the header is not a run
    if file == "-":
        sys.stdout.write(text)
        errors.print(f"Wrote {count} step runs.", highlight=False)
        return
    write_file(Path(file), text.encode("utf-8"), "FILE")
    console.print(f"Wrote {count} step runs to {escape(file)}.", highlight=False)
