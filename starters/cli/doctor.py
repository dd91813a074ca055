"""`baton doctor`: checks Temporal, PostgreSQL, the providers and the projects, and says
what to fix. Exit 1 when any check finds a problem (warnings alone exit 0)."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from starters.cli.output import console, print_json

if TYPE_CHECKING:
    from starters.client.doctor import Check

app = typer.Typer()

MARKS = {
    "ok": "[green]✓[/]",
    "warning": "[yellow]![/]",
    "problem": "[red]✗[/]",
    "skipped": "[dim]-[/]",
}


@app.command(rich_help_panel="Running Baton")
def doctor(
    json: Annotated[
        bool, typer.Option("--json", help="Print the checks as JSON: check, status, detail, fix.")
    ] = False,
) -> None:
    """Check Baton's setup and say what to fix; exit 1 on a problem.

    Temporal: reachable, the namespace, search attributes, workers polling.
    PostgreSQL: reachable, migrations, the outbox backlog.
    The providers and message links; projects whose workflow task keeps failing."""
    import asyncio

    from starters.client.doctor import diagnose, has_problem  # Temporal, psycopg: only here

    checks = asyncio.run(diagnose())
    if json:
        print_json([check.model_dump(mode="json") for check in checks])
    else:
        _show(checks)
    if has_problem(checks):
        raise typer.Exit(1)


def _show(checks: list["Check"]) -> None:
    from starters.client.doctor import LABELS

    width = max(len(label) for label in LABELS.values())
    indent = " " * (width + 3)
    for check in checks:
        label = LABELS.get(check.check, check.check).ljust(width)
        detail = escape(check.detail)
        if check.status == "skipped":
            detail = f"[dim]{detail}[/]"
        # soft_wrap: a command or URL in a finding is never broken across lines
        console.print(f"{MARKS[check.status]} {label} {detail}", highlight=False, soft_wrap=True)
        if check.fix:
            console.print(
                f"{indent}[bold]fix:[/] {escape(check.fix)}", highlight=False, soft_wrap=True
            )
    counts = {status: sum(c.status == status for c in checks) for status in ("problem", "warning")}
    if counts["problem"]:
        summary = f"[red]{_count(counts['problem'], 'problem')}[/]"
        if counts["warning"]:
            summary += f", {_count(counts['warning'], 'warning')}"
        console.print(f"\n{summary}: see the fixes above.", highlight=False)
    elif counts["warning"]:
        console.print(f"\nNo problem; {_count(counts['warning'], 'warning')}.", highlight=False)
    else:
        console.print("\nAll good.", highlight=False)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"
