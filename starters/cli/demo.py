"""`baton demo history`: past projects of every bundled playbook in the store, so the
reports, recalibration and forecasts have something to show before a team's own history
is imported."""

from datetime import UTC, datetime
from typing import Annotated

import typer

from baton.errors import Invalid
from starters.cli.connections import with_store
from starters.cli.output import console

app = typer.Typer(help="Demo data to try Baton with.", no_args_is_help=True)
MAX_PROJECTS = 500  # per playbook: plenty for any chart, quick to generate


@app.command("history")
def history(
    projects: Annotated[
        int, typer.Option("--projects", help="Past projects per bundled playbook.")
    ] = 12,
    seed: Annotated[int, typer.Option("--seed", help="The same seed, the same history.")] = 1,
) -> None:
    """Record generated past projects of every bundled playbook.

    Publishes the bundled playbooks first. Safe to repeat: the same seed adds nothing the
    second time. The people are the directory's (`baton people import`), else made-up
    names."""
    from starters.devstack.history import fill_demo_history
    from starters.devstack.supervisor import publish_bundled

    if not 1 <= projects <= MAX_PROJECTS:
        raise Invalid(
            f"--projects {projects}: give 1 to {MAX_PROJECTS} projects per playbook",
            field="--projects",
        )
    generated = 0

    def show(playbook: str, runs: int, new: int) -> None:
        nonlocal generated
        generated += runs
        console.print(
            f"[green]✓[/] {playbook}: {projects} projects, {runs} step runs ({new} new)",
            highlight=False,
        )

    async def run(pool) -> int:
        await publish_bundled(pool)  # an unchanged playbook keeps its version
        with console.status("Generating past projects…"):
            return await fill_demo_history(pool, projects, seed, datetime.now(UTC), show)

    added = with_store(run)
    console.print(
        f"Demo history: {added} new step runs ({generated - added} already there). "
        "See it with `baton report`.",
        highlight=False,
    )
