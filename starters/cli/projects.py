"""`baton start|projects|status|reschedule|cancel`: starting projects, reading them, and
what only their project manager does."""

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.config import Settings
from baton.contract import CancelProject, Reschedule, StartProject
from baton.errors import validated
from baton.wording import describe_entry, waiting_on, when
from starters.cli.backends import backend
from starters.cli.common import (
    Actor,
    Assign,
    Inputs,
    JsonFlag,
    PlaybookVersion,
    Pm,
    ProjectArg,
    parse_date,
    template_fields,
)
from starters.cli.output import console, print_json
from starters.cli.steps import send

app = typer.Typer()


@app.command(rich_help_panel="Projects")
def start(
    playbook: Annotated[str, typer.Argument(help="Playbook id (see `baton playbook list`).")],
    name: Annotated[str, typer.Option(help="The project's name, e.g. 'Spring launch post'.")],
    pm: Pm,
    assign: Assign = [],  # noqa: B006 - typer reads the default, never mutates it
    launch: Annotated[str | None, typer.Option(help="Launch date YYYY-MM-DD.")] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="Or: a start date YYYY-MM-DD.")
    ] = None,
    timezone: Annotated[str, typer.Option(help="The project's IANA time zone.")] = "UTC",
    slug: Annotated[str | None, typer.Option(help="Short id; derived from the name.")] = None,
    inputs: Inputs = [],  # noqa: B006
    playbook_version: PlaybookVersion = None,
    json: JsonFlag = False,
    actor: Actor = None,
) -> None:
    """Start a project: one durable run of a playbook (recorded as started by you)."""
    fields = template_fields(playbook, name, pm, assign, inputs, playbook_version, timezone, slug)
    launch_date = parse_date(launch, "--launch") if launch else None
    first_day = parse_date(start_date, "--start-date") if start_date else None
    way = backend()
    dates = {"launch_date": launch_date, "start_date": first_day, "started_by": way.who(actor)}
    request = validated(StartProject, fields | dates)
    settings = Settings()
    result = way.start(request)
    if json:
        print_json(
            {
                "workflow_id": result.workflow_id,
                "url": settings.workflow_url(result.workflow_id),
                "status": result.model_dump(mode="json"),
            }
        )
        return
    console.print(f"[green]Started[/] {escape(result.name)} ({result.workflow_id})")
    console.print(waiting_on(result))
    console.print(f"Temporal UI: {settings.workflow_url(result.workflow_id)}")


@app.command("projects", rich_help_panel="Projects")
def list_projects(
    state: Annotated[str | None, typer.Option(help="active, completed or cancelled.")] = None,
    playbook: Annotated[str | None, typer.Option(help="Only projects of this playbook.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only projects waiting on this person.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue projects.")] = False,
    json: JsonFlag = False,
) -> None:
    """List projects and their state (a Temporal visibility query)."""
    rows = backend().projects(state=state, playbook=playbook, owner=owner, overdue=overdue)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("project", "name", "playbook", "state", "waiting on", "next due", "overdue")
    for row in rows:
        table.add_row(
            row.workflow_id,
            escape(row.name or ""),
            row.playbook or "",
            row.state or "",
            ", ".join(row.owners),
            when(row.next_due) if row.next_due else "",
            "yes" if row.overdue else "",
        )
    console.print(table if rows else "No projects yet. Start one with `baton start`.")


@app.command(rich_help_panel="Projects")
def status(project: ProjectArg, json: JsonFlag = False) -> None:
    """One project: every step with its owner, due date and state, and the log."""
    settings = Settings()
    result = backend().status(project)
    url = settings.workflow_url(result.workflow_id)
    if json:
        print_json({**result.model_dump(mode="json"), "temporal_url": url})
        return
    launch = f"{result.launch} {result.launch_date}" if result.launch_date else "no launch date"
    console.print(
        f"[bold]{escape(result.name)}[/] ({result.playbook}) — {result.state}, {launch}, "
        f"PM {result.project_manager}"
    )
    table = Table("step", "name", "state", "who", "due", "rev", "sent")
    for step in result.steps:
        state = step.state + (" OVERDUE" if step.overdue and step.state == "active" else "")
        if step.option:
            state += f" ({step.option})"
        sent = f"{step.reminders_sent}r/{step.follow_ups_sent}f" if step.started_at else ""
        table.add_row(
            step.id,
            escape(step.name),
            state,
            ", ".join(step.owners),
            when(step.due, result.timezone) if step.due else "from its start",
            str(step.revision),
            sent,
        )
    console.print(table)
    console.print(waiting_on(result))
    for entry in result.log[-8:]:
        console.print(f"  {when(entry.at, result.timezone)}  {escape(describe_entry(entry))}")
    console.print(f"Temporal UI: {url}")


@app.command(rich_help_panel="Acting on projects")
def reschedule(
    project: ProjectArg,
    launch: Annotated[str, typer.Option(help="The new launch date YYYY-MM-DD.")],
    actor: Actor = None,
) -> None:
    """Move the launch date; due dates and reminders of unfinished steps move with it."""
    send(project, Reschedule, actor, launch_date=parse_date(launch, "--launch"))


@app.command(rich_help_panel="Acting on projects")
def cancel(
    project: ProjectArg,
    reason: Annotated[str, typer.Option(help="Why the project stops.")],
    actor: Actor = None,
) -> None:
    """Cancel a project (project manager only)."""
    send(project, CancelProject, actor, reason=reason)
