"""`baton start|status|projects|complete|review|choose|reassign|reschedule|cancel`:
thin clients of the MarketingProject workflow's messages."""

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from activities.postgres import PostgresCatalog
from baton.commands import (
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
    workflow_id_for,
)
from baton.config import Settings
from baton.schedule import zone
from baton.state import ProjectStatus
from baton.wording import describe_entry, waiting_on, when
from starters import projects
from starters.cli.output import console, fail, print_json
from workers.main import connect, open_store

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
Project = Annotated[str, typer.Argument(help="The project's slug or workflow id.")]
StepId = Annotated[str, typer.Argument(help="The step's id (see `baton status`).")]
Actor = Annotated[
    str,
    typer.Option("--as", envvar="BATON_USER", help="Who you are (person id; or set BATON_USER)."),
]


def workflow_id(project: str) -> str:
    return project if project.startswith("project-") else workflow_id_for(project)


def parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{flag} {value!r} is not a date; write it as YYYY-MM-DD, like 2026-12-15")


def parse_pairs(values: list[str], flag: str) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            fail(f"{flag} {value!r}: write it as key=value, like {flag} writer=alice")
        pairs[key.strip()] = yaml.safe_load(raw) if flag == "--input" else raw.strip()
    return pairs


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Projects")(start)
    app.command(rich_help_panel="Projects")(tasks)
    app.command(name="projects", rich_help_panel="Projects")(list_projects)
    app.command(rich_help_panel="Projects")(status)
    for command in (complete, review, choose, reassign, reschedule, cancel):
        app.command(rich_help_panel="Acting on projects")(command)


def start(
    playbook: Annotated[str, typer.Argument(help="Playbook id (see `baton playbook list`).")],
    name: Annotated[str, typer.Option(help="The project's name, e.g. 'Spring launch post'.")],
    pm: Annotated[str, typer.Option("--pm", help="The project manager (person id).")],
    assign: Annotated[list[str], typer.Option("--assign", help="role=person, once per role.")] = [],  # noqa: B006 - typer reads the default, never mutates it
    launch: Annotated[str | None, typer.Option(help="Launch date YYYY-MM-DD.")] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="Or: a start date YYYY-MM-DD.")
    ] = None,
    timezone: Annotated[str, typer.Option(help="The project's IANA time zone.")] = "UTC",
    slug: Annotated[str | None, typer.Option(help="Short id; derived from the name.")] = None,
    inputs: Annotated[list[str], typer.Option("--input", help="key=value playbook input.")] = [],  # noqa: B006
    playbook_version: Annotated[int | None, typer.Option(help="Pin a playbook version.")] = None,
    json: JsonFlag = False,
) -> None:
    """Start a project: one durable run of a playbook."""
    request = StartProject(
        playbook=playbook,
        playbook_version=playbook_version,
        name=name,
        slug=slug,
        launch_date=parse_date(launch, "--launch") if launch else None,
        start_date=parse_date(start_date, "--start-date") if start_date else None,
        timezone=timezone,
        assignments=parse_pairs(assign, "--assign"),
        project_manager=pm,
        inputs=parse_pairs(inputs, "--input"),
    )
    settings = Settings()
    today = datetime.now(UTC).astimezone(zone(timezone)).date()

    async def run() -> ProjectStatus:
        pool = await open_store(settings)
        try:
            await projects.check_start_request(PostgresCatalog(pool), request, today)
        finally:
            await pool.close()
        client = await connect(settings)
        return await projects.start_and_wait(client, request, settings.task_queue)

    result = asyncio.run(run())
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


def list_projects(
    state: Annotated[str | None, typer.Option(help="active, completed or cancelled.")] = None,
    playbook: Annotated[str | None, typer.Option(help="Only projects of this playbook.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only projects waiting on this person.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue projects.")] = False,
    json: JsonFlag = False,
) -> None:
    """List projects and their state (a Temporal visibility query)."""
    settings = Settings()

    async def run():
        query = projects.visibility_query(state, playbook, owner, overdue)
        return await projects.list_projects(await connect(settings), query)

    rows = asyncio.run(run())
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


def status(project: Project, json: JsonFlag = False) -> None:
    """One project: every step with its owner, due date and state, and the log."""
    settings = Settings()

    async def run() -> ProjectStatus:
        return await projects.status(await connect(settings), workflow_id(project))

    result = asyncio.run(run())
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


def _send(project: str, command: Command) -> None:
    settings = Settings()

    async def run():
        return await projects.act(await connect(settings), workflow_id(project), command)

    result = asyncio.run(run())
    console.print(escape(result.message), highlight=False)


def complete(
    project: Project,
    step: StepId,
    actor: Actor,
    note: Annotated[str | None, typer.Option(help="A note for the log.")] = None,
    link: Annotated[str | None, typer.Option(help="A link to the work.")] = None,
) -> None:
    """Mark a task done; the next steps' owners are told at once."""
    _send(project, CompleteStep(step_id=step, actor=actor, note=note, link=link))


def review(
    project: Project,
    step: StepId,
    actor: Actor,
    approve: Annotated[
        bool, typer.Option("--approve/--reject", help="Approve, or reject and send back.")
    ],
    comment: Annotated[str | None, typer.Option(help="Why (sent with a rejection).")] = None,
) -> None:
    """Approve or reject an approval step."""
    _send(project, ReviewStep(step_id=step, actor=actor, approve=approve, comment=comment))


def choose(
    project: Project,
    step: StepId,
    option: Annotated[str, typer.Argument(help="One of the decision's options.")],
    actor: Actor,
) -> None:
    """Pick an option of a decision step; branches not chosen are skipped."""
    _send(project, ChooseOption(step_id=step, actor=actor, option=option))


def reassign(
    project: Project,
    step: StepId,
    to: Annotated[str, typer.Option(help="Who takes the step over (person id).")],
    actor: Actor,
) -> None:
    """Hand a step to someone else."""
    _send(project, ReassignStep(step_id=step, actor=actor, to=to))


def reschedule(
    project: Project,
    launch: Annotated[str, typer.Option(help="The new launch date YYYY-MM-DD.")],
    actor: Actor,
) -> None:
    """Move the launch date; due dates and reminders of unfinished steps move with it."""
    _send(project, Reschedule(actor=actor, launch_date=parse_date(launch, "--launch")))


def cancel(
    project: Project,
    reason: Annotated[str, typer.Option(help="Why the project stops.")],
    actor: Actor,
) -> None:
    """Cancel a project (project manager only)."""
    _send(project, CancelProject(actor=actor, reason=reason))


def tasks(
    person: Annotated[str, typer.Argument(help="Whose work (person id).")],
    json: JsonFlag = False,
) -> None:
    """A person's active steps across projects: overdue first, then by due."""
    settings = Settings()

    async def run():
        return await projects.tasks_for(await connect(settings), person)

    rows = asyncio.run(run())
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        console.print(f"Nothing waits on {escape(person)}.")
        return
    table = Table("project", "step", "name", "kind", "due", "")
    for row in rows:
        table.add_row(
            row.workflow_id.removeprefix("project-"),
            row.step_id,
            escape(row.step),
            row.kind,
            when(row.due) if row.due else "",
            "[red]OVERDUE[/]" if row.overdue else "",
        )
    console.print(table)
