"""`baton dev`, `baton worker`, `baton simulate`: running Baton and previewing playbooks."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.config import Settings
from baton.wording import when
from starters.cli.output import console, errors, fail, print_json
from starters.simulate import load_scenario
from starters.simulate import simulate as run_simulation
from starters.stack import ComponentFailed, run_stack
from workers.main import run_worker


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Running Baton")(dev)
    app.command(rich_help_panel="Running Baton")(worker)
    app.command(rich_help_panel="Playbooks")(simulate)


def worker() -> None:
    """Run a worker: connects to TEMPORAL_ADDRESS and runs projects until Ctrl-C."""
    settings = Settings()
    console.print(
        f"Worker on task queue '{settings.task_queue}' at {settings.temporal_address} "
        f"(namespace {settings.temporal_namespace}); Ctrl-C stops it."
    )
    asyncio.run(run_worker(settings))
    console.print("Worker stopped.")


def dev(
    demo: Annotated[
        bool, typer.Option("--demo", help="Also import a demo team and start a demo project.")
    ] = False,
) -> None:
    """Run the whole stack locally: PostgreSQL, Temporal's dev server with its Web UI,
    the worker, the API and the dashboard (data under .baton/)."""
    settings = Settings()
    try:
        asyncio.run(run_stack(settings, console, with_demo=demo))
    except ComponentFailed as failure:
        fail(f"{failure}; the other components were stopped")


def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Preview a project of a playbook on a time-skipping clock: every message and when."""
    loaded = load_scenario(scenario)

    def progress(message: str) -> None:
        errors.print(f"[dim]… {escape(message)}[/]", highlight=False)

    result = asyncio.run(run_simulation(loaded, progress))
    if json:
        print_json(result)
        return
    tz = loaded.request.timezone
    table = Table("when", "what", "step", "to", "by", "detail", title=escape(loaded.request.name))
    for entry in result.timeline:
        table.add_row(
            when(entry.at, tz),
            entry.type,
            entry.step_id or "",
            entry.recipient or "",
            entry.actor or "",
            escape(entry.detail or ""),
        )
    console.print(table)
    console.print(f"Project {result.state}.")
