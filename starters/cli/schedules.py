"""`baton schedule create|list|pause|resume|trigger|delete`: recurring projects (a weekly
newsletter) as Temporal Schedules."""

import re
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from activities.postgres import PostgresCatalog
from baton.config import Settings
from baton.errors import Invalid, validated
from baton.recurring import RecurringSpec, schedule_id_for
from baton.wording import when
from starters import client
from starters.cli.common import (
    Assign,
    Inputs,
    JsonFlag,
    PlaybookVersion,
    Pm,
    template_fields,
    with_client,
    with_store,
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
    """ "10d" or "10" -> 10 days; "2w" -> 14."""
    match = re.fullmatch(r"(\d+)\s*([dw]?)", value.strip().lower())
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
        str, typer.Option(help="Days from an occurrence to its project's launch date.")
    ] = "0d",
    assign: Assign = [],  # noqa: B006 - typer reads the default, never mutates it
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cadence.")] = "UTC",
    slug: Annotated[
        str | None, typer.Option(help="Short id; derived from the name. Projects add a date.")
    ] = None,
    inputs: Inputs = [],  # noqa: B006
    playbook_version: PlaybookVersion = None,
    json: JsonFlag = False,
) -> None:
    """Start a project of a playbook at every occurrence (a Temporal Schedule)."""
    fields = template_fields(playbook, name, pm, assign, inputs, playbook_version, timezone, slug)
    spec = validated(RecurringSpec, fields | {"lead_days": parse_lead(lead)})
    client.cadence_of(every, cron)  # a bad cadence is refused before any connection
    settings = Settings()
    today = spec.occurrence_date(datetime.now(UTC))

    first = spec.project_for(today)
    # Refused before Temporal is contacted, so the reason shows even when it is down.
    with_store(lambda pool: client.check_start_request(PostgresCatalog(pool), first, today))
    row = with_client(
        lambda temporal: client.create_schedule(
            temporal, spec, task_queue=settings.task_queue, every=every, cron=cron
        )
    )
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
    rows = with_client(client.list_schedules)
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
def pause(schedule: ScheduleId, note: Note = None) -> None:
    """Stop starting projects until `baton schedule resume`."""
    row = _act(client.pause_schedule, schedule, note)
    console.print(f"Paused {row.schedule_id}: {escape(row.note or '')}")


@app.command()
def resume(schedule: ScheduleId, note: Note = None) -> None:
    """Start projects again at the next occurrence (missed ones are not made up)."""
    row = _act(client.resume_schedule, schedule, note)
    next_run = f"; next: {when(row.next_runs[0], row.timezone or 'UTC')}" if row.next_runs else ""
    console.print(f"Resumed {row.schedule_id}{next_run}")


@app.command()
def trigger(schedule: ScheduleId) -> None:
    """Run one occurrence now: starts today's project (if it does not exist yet)."""
    _act(client.trigger_schedule, schedule)
    console.print(f"Triggered {schedule_id_for(schedule)}; `baton projects` shows it")


@app.command()
def delete(schedule: ScheduleId) -> None:
    """Delete a schedule; the projects it started run on."""
    _act(client.delete_schedule, schedule)
    console.print(f"Deleted {schedule_id_for(schedule)}; the projects it started run on")


def _act(operation, *args):
    """One schedule operation of the client layer, with its arguments."""
    return with_client(lambda temporal: operation(temporal, *args))
