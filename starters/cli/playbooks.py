"""`baton playbook ...`: validate, list, show and plan playbooks."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.plan import plan_playbook
from baton.playbook import PlaybookError, bundled_playbooks, find_playbook, load_playbook
from starters.cli.output import console, errors, fail, print_json

app = typer.Typer(help="Check, list, show and plan playbooks.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Playbook YAML files.")]) -> None:
    """Check playbook files; every problem is named with its file, step and field."""
    failed = 0
    for path in files:
        try:
            playbook = load_playbook(path)
        except PlaybookError as error:
            failed += 1
            for problem in error.problems:
                errors.print(f"[red]✗[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
            continue
        console.print(
            f"[green]✓[/] {escape(str(path))}: {playbook.id} ({len(playbook.steps)} steps)"
        )
    if failed:
        fail(f"{failed} of {len(files)} playbook file(s) have problems")


@app.command("list")
def list_(json: JsonFlag = False) -> None:
    """The bundled playbooks."""
    rows = []
    for path in bundled_playbooks().values():
        playbook = load_playbook(path)
        rows.append(
            {
                "id": playbook.id,
                "name": playbook.name,
                "launch": playbook.launch,
                "steps": len(playbook.steps),
                "roles": list(playbook.roles),
                "file": str(path),
            }
        )
    if json:
        print_json(rows)
        return
    table = Table("id", "name", "launch means", "steps", "roles")
    for row in rows:
        table.add_row(
            row["id"], row["name"], row["launch"], str(row["steps"]), ", ".join(row["roles"])
        )
    console.print(table)


@app.command()
def show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID_OR_FILE")], json: JsonFlag = False
) -> None:
    """One playbook: roles, timing rules and steps."""
    playbook = find_playbook(playbook_id)
    if json:
        print_json(playbook)
        return
    console.print(
        f"[bold]{escape(playbook.name)}[/] ({playbook.id}) — launch means {playbook.launch}"
    )
    if playbook.description:
        console.print(escape(playbook.description))
    escalation = playbook.escalation
    console.print(
        f"deadlines at {playbook.due_time:%H:%M}, {playbook.calendar} days"
        + (f" ({playbook.holidays} holidays)" if playbook.holidays else "")
        + f"; reminders {', '.join(_d(r) for r in playbook.reminders)} before; follow-ups "
        f"{_d(escalation.after)} after, every {_d(escalation.repeat)}, at most {escalation.max}"
    )
    roles = Table("role", "title")
    for role, title in playbook.roles.items():
        roles.add_row(role, title)
    console.print(roles)
    steps = Table("step", "name", "kind", "who", "after", "due")
    for step in playbook.steps:
        due = (
            f"{step.due:+d}d"
            if step.due is not None
            else f"{_d(step.estimate or playbook.default_estimate)} after start"
        )
        steps.add_row(
            step.id, step.name, step.kind, ", ".join(step.roles), ", ".join(step.depends_on), due
        )
    console.print(steps)


@app.command()
def plan(
    playbook_id: Annotated[str, typer.Argument(metavar="ID_OR_FILE")],
    launch: Annotated[str, typer.Option(help="The launch date, YYYY-MM-DD.")],
    timezone: Annotated[str, typer.Option(help="The project's IANA time zone.")] = "UTC",
    json: JsonFlag = False,
) -> None:
    """Every step of a playbook on the calendar for a launch date."""
    try:
        launch_date = date.fromisoformat(launch)
    except ValueError:
        fail(f"--launch {launch!r} is not a date; write it as YYYY-MM-DD, like 2026-12-15")
    playbook = find_playbook(playbook_id)
    result = plan_playbook(playbook, launch_date, timezone)
    if json:
        print_json(result)
        return
    table = Table(
        "step",
        "name",
        "kind",
        "owner",
        "due",
        "waits for",
        title=f"{escape(playbook.name)}: {playbook.launch} {launch_date:%a %Y-%m-%d} ({timezone})",
    )
    for step in result.steps:
        due = f"{step.due:%a %Y-%m-%d %H:%M}" if step.due else "from its start"
        table.add_row(
            step.id,
            escape(step.name),
            step.kind,
            ", ".join(step.owners),
            due,
            ", ".join(step.after),
        )
    console.print(table)


def _d(value) -> str:
    from baton.durations import format_duration

    return format_duration(value)
