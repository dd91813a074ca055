"""`baton schedule create|list|pause|resume|trigger|delete`: recurring projects (a weekly
newsletter) as Temporal Schedules."""

import re
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.errors import Invalid, validated
from baton.recurring import RecurringSpec, schedule_id_for
from baton.wording import when
from starters.cli.common import (
    Actor,
    Assign,
    Inputs,
    JsonFlag,
    PlaybookVersion,
    Pm,
    backend,
    template_fields,
)
from starters.cli.output import console, print_json

app = typer.Typer(
    help="Recurring projects (a weekly newsletter): each occurrence starts a project.",
    no_args_is_help=True,
)
ScheduleId = Annotated[
    str, typer.Argument(help="The schedule's id or slug (see `baton schedule list`).")
]
Note = Annotated[str | None, typer.Option(help="Why; shown in `baton schedule list`.")]


def parse_lead(value: str) -> int:
    """ "10d" or "10" -> 10 days; "2w" (or "+2w") -> 14."""
    match = re.fullmatch(r"\+?(\d+)\s*([dw]?)", value.strip().lower())
    if not match:
        raise Invalid(
            f"--lead {value!r}: write whole days before the launch, like --lead 10d (or 2w)"
        )
    return int(match[1]) * (7 if match[2] == "w" else 1)


@app.command()
def create(
    playbook: Annotated[str, typer.Option(help="Playbook id (see `baton playbook list`).")],
    name: Annotated[str, typer.Option(help="Name; each project adds its launch date.")],
    pm: Pm,
    every: Annotated[
        str | None,
        typer.Option(help="'daily', 'weekly on Tue', 'monthly on 1'; optionally 'at 09:00'."),
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help="Or a 5-field cron expression, like '0 9 * * 2'.")
    ] = None,
    lead: Annotated[
        str,
        typer.Option(
            help="Days from an occurrence to its project's launch date (10d, 2w); at least "
            "the playbook's span, so no project starts late."
        ),
    ] = "0d",
    assign: Assign = [],  # noqa: B006 - typer reads the default, never mutates it
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cadence.")] = "UTC",
    slug: Annotated[
        str | None, typer.Option(help="Short id; derived from the name. Projects add a date.")
    ] = None,
    inputs: Inputs = [],  # noqa: B006
    playbook_version: PlaybookVersion = None,
    json: JsonFlag = False,
    actor: Actor = None,
) -> None:
    """Start a project of a playbook at every occurrence (a Temporal Schedule)."""
    fields = template_fields(playbook, name, pm, assign, inputs, playbook_version, timezone, slug)
    spec = validated(RecurringSpec, fields | {"lead_days": parse_lead(lead)})
    from starters.client.schedules import cadence_of

    cadence_of(every, cron)  # a bad cadence is refused before any connection
    row = backend().create_schedule(spec, every, cron, actor)
    if json:
        print_json(row)
        return
    console.print(
        f"[green]Scheduled[/] {escape(spec.name)} ({row.schedule_id}): {row.cadence}, "
        f"{spec.timezone}; each project launches {spec.lead_days} day(s) after its occurrence"
    )
    if row.next_runs:
        console.print(f"Next: {when(row.next_runs[0], spec.timezone)}")


@app.command(name="list")
def list_schedules(json: JsonFlag = False) -> None:
    """Every recurring project: its cadence, next runs and whether it is paused."""
    rows = backend().schedules()
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        console.print("No schedules yet. Create one with `baton schedule create`.")
        return
    table = Table("schedule", "name", "playbook", "cadence", "next run", "state", "note")
    for row in rows:
        table.add_row(
            row.schedule_id,
            escape(row.name or ""),
            row.playbook or "",
            f"{row.cadence or ''} ({row.timezone})",
            when(row.next_runs[0], row.timezone or "UTC") if row.next_runs else "",
            "[yellow]paused[/]" if row.paused else "active",
            escape(row.note or ""),
        )
    console.print(table)


@app.command()
def pause(schedule: ScheduleId, note: Note = None, actor: Actor = None) -> None:
    """Stop starting projects until `baton schedule resume`."""
    row = backend().change_schedule("pause", schedule, note, actor)
    assert row is not None
    console.print(f"Paused {row.schedule_id}: {escape(row.note or '')}")


@app.command()
def resume(schedule: ScheduleId, note: Note = None, actor: Actor = None) -> None:
    """Start projects again at the next occurrence (missed ones are not made up)."""
    row = backend().change_schedule("resume", schedule, note, actor)
    assert row is not None
    next_run = f"; next: {when(row.next_runs[0], row.timezone or 'UTC')}" if row.next_runs else ""
    console.print(f"Resumed {row.schedule_id}{next_run}")


@app.command()
def trigger(schedule: ScheduleId, actor: Actor = None) -> None:
    """Run one occurrence now: starts today's project (if it does not exist yet)."""
    backend().change_schedule("trigger", schedule, None, actor)
    console.print(f"Triggered {schedule_id_for(schedule)}; `baton projects` shows it")


@app.command()
def delete(schedule: ScheduleId, actor: Actor = None) -> None:
    """Delete a schedule; the projects it started run on."""
    backend().change_schedule("delete", schedule, None, actor)
    console.print(f"Deleted {schedule_id_for(schedule)}; the projects it started run on")
