"""`baton dev`, `baton db migrate`, `baton simulate`: the whole stack locally, its store,
and previewing playbooks on a time-skipping clock (one process per service:
`starters/cli/running.py`)."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.config import Settings
from baton.errors import Unavailable
from baton.wording import when
from starters.cli.output import console, errors, print_json

app = typer.Typer()
db_app = typer.Typer(help="The PostgreSQL store.", no_args_is_help=True)
app.add_typer(db_app, name="db", rich_help_panel="Running Baton")


@app.command(rich_help_panel="Running Baton")
def dev(
    demo: Annotated[
        bool, typer.Option("--demo", help="Also import a demo team and start a demo project.")
    ] = False,
) -> None:
    """Run the whole stack locally: PostgreSQL, Temporal's dev server with its Web UI,
    the worker, the API and the dashboard (data under .baton/)."""
    from starters.devstack.supervisor import ComponentFailed, run_stack

    settings = Settings()
    try:
        asyncio.run(run_stack(settings, console, with_demo=demo))
    except ComponentFailed as failure:
        raise Unavailable(f"{failure}; the other components were stopped") from None


@app.command(rich_help_panel="Playbooks")
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Preview a project of a playbook on a time-skipping clock: every message and when."""
    from starters.simulate import load_scenario
    from starters.simulate import simulate as run_simulation

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


@db_app.command("migrate")
def migrate_command() -> None:
    """Apply the schema migrations that have not run yet (safe to repeat)."""
    from baton.store.database import database_url, open_pool
    from baton.store.migrate import migrate

    async def run() -> list[str]:
        pool = await open_pool(database_url(Settings()))
        try:
            return await migrate(pool)
        finally:
            await pool.close()

    applied = asyncio.run(run())
    console.print(f"Applied {', '.join(applied)}." if applied else "The schema is up to date.")
