"""`baton start|projects|status|reschedule|cancel`: starting projects, reading them, and
what only their project manager does."""

from typing import Annotated, get_args

import typer
from rich import box
from rich.markup import escape
from rich.table import Column, Table

from baton.config import Settings
from baton.contract import (
    CancelProject,
    LogEntry,
    ProjectState,
    ProjectStatus,
    Reschedule,
    StartProject,
)
from baton.errors import Invalid, validated
from baton.plan import is_compression
from baton.schedule import DAY_FORMS
from baton.wording import describe_entry, sent, start_warning, step_state, waiting_on, when
from starters.cli.common import (
    Actor,
    AllowLate,
    Assign,
    Compress,
    Inputs,
    JsonFlag,
    PlaybookVersion,
    Pm,
    ProjectArg,
    Viewer,
    backend,
    is_iso_date,
    parse_date,
    template_fields,
)
from starters.cli.output import console, date_column, print_json, say
from starters.cli.steps import send

app = typer.Typer()
PROJECT_STATES: tuple[str, ...] = get_args(ProjectState)


@app.command(rich_help_panel="Projects")
def start(
    playbook: Annotated[str, typer.Argument(help="Playbook id (see `baton playbook list`).")],
    name: Annotated[str, typer.Option(help="The project's name, e.g. 'Spring launch post'.")],
    pm: Pm,
    assign: Assign = [],  # noqa: B006 - typer reads the default, never mutates it
    launch: Annotated[str | None, typer.Option(help=f"Launch date: {DAY_FORMS}.")] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="Or: a start date, written the same.")
    ] = None,
    timezone: Annotated[str, typer.Option(help="The project's IANA time zone.")] = "UTC",
    slug: Annotated[str | None, typer.Option(help="Short id; derived from the name.")] = None,
    inputs: Inputs = [],  # noqa: B006
    playbook_version: PlaybookVersion = None,
    compress: Compress = False,
    allow_late: AllowLate = False,
    json: JsonFlag = False,
    actor: Actor = None,
) -> None:
    """Start a project: one durable run of a playbook (recorded as started by you). A
    launch that leaves steps due already is refused unless --compress or --allow-late."""
    fields = template_fields(playbook, name, pm, assign, inputs, playbook_version, timezone, slug)
    launch_date = parse_date(launch, "--launch", timezone) if launch else None
    first_day = parse_date(start_date, "--start-date", timezone) if start_date else None
    way = backend()
    dates = {"launch_date": launch_date, "start_date": first_day, "started_by": way.who(actor)}
    dates |= {"compress": compress, "allow_late": allow_late}
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
    for entry in compressions(result):
        console.print(escape(sentence(entry.detail or "")), highlight=False)
    if warning := start_warning(result):
        console.print(f"[yellow]{escape(warning)}[/]", highlight=False)
    console.print(escape(waiting_on(result, way.viewer_zone(actor))), highlight=False)
    say(f"Temporal UI: {settings.workflow_url(result.workflow_id)}")


@app.command("projects", rich_help_panel="Projects")
def list_projects(
    state: Annotated[str | None, typer.Option(help="active, completed or cancelled.")] = None,
    playbook: Annotated[str | None, typer.Option(help="Only projects of this playbook.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only projects waiting on this person.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue projects.")] = False,
    json: JsonFlag = False,
    actor: Viewer = None,
) -> None:
    """List projects and their state (a Temporal visibility query)."""
    if state is not None and state not in PROJECT_STATES:
        raise Invalid(
            f"--state {state!r} is not a project state; use {'|'.join(PROJECT_STATES)}",
            field="--state",
        )
    way = backend()
    rows = way.projects(state=state, playbook=playbook, owner=owner, overdue=overdue)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        filtered = state or playbook or owner or overdue
        console.print(
            "No projects match these filters." if filtered
            else "No projects yet. Start one with `baton start`."
        )  # fmt: skip
        return
    viewer = way.viewer_zone(actor)
    table = Table(
        "project", "name", "playbook", "state", "waiting on", date_column("next due"), "overdue"
    )
    for row in rows:
        table.add_row(
            row.workflow_id,
            escape(row.name or ""),
            row.playbook or "",
            row.state or "",
            ", ".join(row.owners),
            when(row.next_due, viewer or row.timezone or "UTC") if row.next_due else "",
            "yes" if row.overdue else "",
        )
    console.print(table)


@app.command(rich_help_panel="Projects")
def status(project: ProjectArg, json: JsonFlag = False, actor: Viewer = None) -> None:
    """One project: every step with its owner, due date and state, and the log. Times
    are in your time zone (--as, or the signed-in person), else the project's."""
    settings = Settings()
    way = backend()
    result = way.status(project)
    url = settings.workflow_url(result.workflow_id)
    if json:
        print_json({**result.model_dump(mode="json"), "temporal_url": url})
        return
    tz = way.viewer_zone(actor) or result.timezone
    launch = f"{result.launch} {result.launch_date}" if result.launch_date else "no launch date"
    console.print(
        f"[bold]{escape(result.name)}[/] ({result.playbook}) — {result.state}, {launch}, "
        f"PM {result.project_manager}",
        highlight=False,
    )
    ids = max((len(step.id) for step in result.steps), default=4)
    table = Table(
        Column("step", min_width=min(ids, 30)),  # an id is typed back: never cut short
        "state", "who", date_column("due"), "alerts sent",
        box=box.SIMPLE_HEAD, pad_edge=False,
    )  # fmt: skip
    for step in result.steps:
        what = f"[bold]{escape(step.id)}[/]\n{escape(step.name)}"
        if step.condition and not step.wont_run:
            what += f" [dim]({escape(step.condition)})[/]"
        if step.wont_run:  # no owner, no due date: it will not happen
            who, due = "", ""
        else:
            who = ", ".join(step.owners)
            due = when(step.due, tz) if step.due else _undated(step.state)
        alerts = sent(step) if step.started_at else ""
        table.add_row(what, escape(step_state(step)), who, due, alerts)
    console.print(table)
    console.print(
        "[dim]alerts sent: reminders before the due time, follow-ups after it (from the 2nd "
        "on, the PM hears too); revision N: the step's Nth round, after a rejection sent it "
        "back[/]"
    )
    console.print(escape(waiting_on(result, tz)), highlight=False)
    if result.state == "active" and result.p_on_time is not None:
        say(
            f"Forecast: {result.p_on_time:.0%} chance of making the {result.launch}; "
            f"projected finish {when(result.projected_finish, tz)} (`baton forecast "
            f"{result.slug}` for why)"
        )
    for entry in result.log[-8:]:
        say(f"  {when(entry.at, tz)}  {describe_entry(entry)}")
    say(f"Temporal UI: {url}")


def _undated(state: str) -> str:
    """The due column of a step without a due instant."""
    return "from its start" if state == "waiting" else ""


@app.command(rich_help_panel="Acting on projects")
def reschedule(
    project: ProjectArg,
    launch: Annotated[str, typer.Option(help=f"The new launch date: {DAY_FORMS}.")],
    compress: Compress = False,
    allow_late: AllowLate = False,
    actor: Actor = None,
) -> None:
    """Move the launch date; due dates and reminders of unfinished steps move with it. A
    launch that leaves steps due already is refused unless --compress or --allow-late."""
    timezone = "UTC"
    if not is_iso_date(launch):  # "today", "+2w": the project's today
        timezone = backend().status(project).timezone
    launch_date = parse_date(launch, "--launch", timezone)
    flags = {"compress": compress, "allow_late": allow_late}
    send(project, Reschedule, actor, launch_date=launch_date, **flags)


def sentence(text: str) -> str:
    """ "plan compressed: ..." -> "Plan compressed: ...." """
    return text[:1].upper() + text[1:] + "."


def compressions(status: ProjectStatus) -> list[LogEntry]:
    """The log's lines saying the plan was compressed."""
    return [entry for entry in status.log if is_compression(entry) and entry.recipient is None]


@app.command(rich_help_panel="Acting on projects")
def cancel(
    project: ProjectArg,
    reason: Annotated[str, typer.Option(help="Why the project stops.")],
    actor: Actor = None,
) -> None:
    """Cancel a project (project manager only)."""
    send(project, CancelProject, actor, reason=reason)
