"""`baton playbook ...`: validate, list, show and plan playbooks."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.durations import format_duration
from baton.plan import plan_playbook
from baton.playbook import (
    Playbook,
    PlaybookError,
    bundled_playbooks,
    find_playbook,
    load_playbook,
    playbook_file,
)
from baton.schedule import DAY_FORMS
from baton.wording import condition, input_value, when
from starters.cli.common import JsonFlag, parse_date
from starters.cli.connections import with_store
from starters.cli.output import console, errors, fail, print_json

app = typer.Typer(help="Check, list, show and plan playbooks.", no_args_is_help=True)


def _store(pool):
    """The published playbooks (the store is imported by the commands that use it)."""
    from baton.store.playbooks import PlaybookRepo

    return PlaybookRepo(pool)


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


@app.command()
def publish(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE_OR_ID...", help="Playbook files or bundled ids.")
    ],
) -> None:
    """Store playbooks as new versions (only when their content changed). Running
    projects keep the version they started with. A bundled playbook can be named by id."""
    bodies = []
    for name in files:
        path = playbook_file(name)
        load_playbook(path)  # refuse a broken file before anything is stored
        bodies.append((path, path.read_text(encoding="utf-8")))

    async def run(pool):
        repo = _store(pool)
        return [(path, *await repo.publish(body, str(path))) for path, body in bodies]

    for path, playbook, version, created in with_store(run):
        state = "published as" if created else "unchanged, still"
        console.print(f"[green]✓[/] {playbook.id} {state} version {version} ({escape(str(path))})")


@app.command("list")
def list_(json: JsonFlag = False) -> None:
    """The published playbooks (latest version of each), and the bundled ones not
    published yet (version and published_at null)."""
    rows = with_store(lambda pool: _store(pool).list_latest())
    published = {row["id"] for row in rows}
    for playbook_id, path in bundled_playbooks().items():
        if playbook_id not in published:
            playbook = load_playbook(path)
            rows.append({"id": playbook.id, "name": playbook.name, "version": None,
                         "published_at": None, "steps": len(playbook.steps)})  # fmt: skip
    rows.sort(key=lambda row: row["id"])
    if json:
        print_json(rows)
        return
    table = Table("id", "name", "version", "steps", "published")
    for row in rows:
        when_published = row["published_at"]
        table.add_row(
            row["id"], escape(row["name"]), str(row["version"] or "-"), str(row["steps"]),
            when(when_published) if when_published else "bundled, not yet",
        )  # fmt: skip
    console.print(table)
    if len(published) < len(rows):
        console.print("Publish a bundled one to start projects of it: `baton playbook publish ID`.")


@app.command()
def show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID_OR_FILE")],
    version: Annotated[int | None, typer.Option(help="A published version.")] = None,
    json: JsonFlag = False,
) -> None:
    """One playbook (published, or a file): roles, timing rules and steps."""
    if Path(playbook_id).suffix in (".yaml", ".yml") or Path(playbook_id).exists():
        playbook, found = find_playbook(playbook_id), None
    else:
        playbook, found = with_store(lambda pool: _store(pool).get(playbook_id, version))
    if json:
        print_json({**playbook.model_dump(mode="json"), "version": found})
        return
    shown = f", version {found}" if found else ""
    console.print(
        f"[bold]{escape(playbook.name)}[/] ({playbook.id}{shown}) — launch means {playbook.launch}"
    )
    if playbook.description:
        console.print(escape(playbook.description))
    escalation = playbook.escalation
    console.print(
        f"deadlines at {playbook.due_time:%H:%M}, {playbook.calendar} days"
        + (f" ({playbook.holidays} holidays)" if playbook.holidays else "")
        + f"; reminders {', '.join(format_duration(r) for r in playbook.reminders)} before; "
        f"follow-ups {format_duration(escalation.after)} after, every "
        f"{format_duration(escalation.repeat)}, at most {escalation.max}"
    )
    roles = Table("role", "title")
    for role, title in playbook.roles.items():
        roles.add_row(role, title)
    console.print(roles)
    steps = Table("step", "name", "kind", "who", "after", "due", "runs")
    for step in playbook.steps:
        estimate = format_duration(step.estimate or playbook.default_estimate)
        due = f"{step.due:+d}d" if step.due is not None else f"{estimate} after start"
        steps.add_row(
            step.id, escape(step.name), step.kind, ", ".join(step.roles),
            ", ".join(step.depends_on), due, condition(step.when) if step.when else "always",
        )  # fmt: skip
    console.print(steps)
    show_inputs(playbook)


def show_inputs(playbook: Playbook) -> None:
    """The inputs a playbook's conditions read, with their defaults (`--input` sets them)."""
    if not playbook.inputs:
        return
    table = Table("input", "default", "what", title="Inputs (baton start --input NAME=VALUE)")
    for name, spec in playbook.inputs.items():
        table.add_row(name, input_value(spec.default), escape(spec.description))
    console.print(table)


def named(playbook: Playbook, step_id: str, name: str) -> str:
    """A step's name, with its condition when it has one: "Shoot video (if include_video)"."""
    when_ = playbook.step(step_id).when
    return escape(name) + (f" [dim]({escape(condition(when_))})[/]" if when_ else "")


@app.command()
def plan(
    playbook_id: Annotated[str, typer.Argument(metavar="ID_OR_FILE")],
    launch: Annotated[str, typer.Option(help=f"The launch date: {DAY_FORMS}.")],
    timezone: Annotated[str, typer.Option(help="The project's IANA time zone.")] = "UTC",
    json: JsonFlag = False,
) -> None:
    """Every step of a playbook on the calendar for a launch date; dues already past
    and dues on a weekend are marked."""
    launch_date = parse_date(launch, "--launch", timezone)
    playbook = find_playbook(playbook_id)
    result = plan_playbook(playbook, launch_date, timezone, datetime.now(UTC))
    if json:
        print_json(result)
        return
    table = Table(
        "step",
        "name",
        "kind",
        "owner",
        "due",
        "note",
        "waits for",
        title=f"{escape(playbook.name)}: {playbook.launch} {launch_date:%a %Y-%m-%d} ({timezone})",
    )
    for step in result.steps:
        due = when(step.due, timezone) if step.due else "from its start"
        marks = [m for m, on in (("[red]past[/]", step.past), ("weekend", step.weekend)) if on]
        table.add_row(
            step.id,
            named(playbook, step.id, step.name),
            step.kind,
            ", ".join(step.owners),
            due,
            ", ".join(marks),
            ", ".join(step.after),
        )
    console.print(table)
    past = sum(step.past for step in result.steps)
    if past:
        console.print(
            f"{past} step{'s are' if past > 1 else ' is'} due already: choose a later launch, "
            "or start with --compress (or --allow-late)",
            highlight=False,
        )
    show_inputs(playbook)
