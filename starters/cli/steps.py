"""`baton complete|review|choose|reassign|tasks`: acting on steps, and what waits on a
person. Each action is the workflow's validated update, the same the API and the
dashboard send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.contract import (
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    ReviewStep,
)
from baton.errors import validated
from baton.wording import when
from starters.cli.common import Actor, JsonFlag, ProjectArg, StepArg, Viewer, backend
from starters.cli.output import console, date_column, print_json

if TYPE_CHECKING:
    from starters.client import TaskRow
    from starters.client.insight import UpcomingStep

app = typer.Typer()


def send(project: str, kind: type[Command], actor: str | None, **fields) -> None:
    """Send one action to the project as its validated update; print what it did."""
    way = backend()
    command = validated(kind, {"actor": way.actor(actor), **fields})
    result = way.act(project, command)
    console.print(escape(result.message), highlight=False)


@app.command(rich_help_panel="Acting on projects")
def complete(
    project: ProjectArg,
    step: StepArg,
    note: Annotated[str | None, typer.Option(help="A note for the log.")] = None,
    link: Annotated[str | None, typer.Option(help="A link to the work.")] = None,
    actor: Actor = None,
) -> None:
    """Mark a task done; the next steps' owners are told at once."""
    send(project, CompleteStep, actor, step_id=step, note=note, link=link)


@app.command(rich_help_panel="Acting on projects")
def review(
    project: ProjectArg,
    step: StepArg,
    approve: Annotated[
        bool, typer.Option("--approve/--reject", help="Approve, or reject and send back.")
    ],
    comment: Annotated[str | None, typer.Option(help="Why (sent with a rejection).")] = None,
    actor: Actor = None,
) -> None:
    """Approve or reject an approval step."""
    send(project, ReviewStep, actor, step_id=step, approve=approve, comment=comment)


@app.command(rich_help_panel="Acting on projects")
def choose(
    project: ProjectArg,
    step: StepArg,
    option: Annotated[str, typer.Argument(help="One of the decision's options.")],
    actor: Actor = None,
) -> None:
    """Pick an option of a decision step; branches not chosen are skipped."""
    send(project, ChooseOption, actor, step_id=step, option=option)


@app.command(rich_help_panel="Acting on projects")
def reassign(
    project: ProjectArg,
    step: StepArg,
    to: Annotated[str, typer.Option(help="Who takes the step over (person id).")],
    actor: Actor = None,
) -> None:
    """Hand a step to someone else."""
    send(project, ReassignStep, actor, step_id=step, to=to)


@app.command(rich_help_panel="Projects")
def tasks(
    person: Annotated[
        str | None, typer.Argument(help="Whose work (person id); yours after `baton login`.")
    ] = None,
    json: JsonFlag = False,
    actor: Viewer = None,
) -> None:
    """A person's active steps across projects: overdue first, then by due. Times are in
    your time zone (--as, or the signed-in person), else each project's."""
    way = backend()
    rows = way.tasks(person or actor)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    coming = way.upcoming(person or actor)
    viewer = way.viewer_zone(actor) if rows or coming else None
    if not rows:
        console.print(f"Nothing waits on {escape(person or actor or 'you')}.")
    else:
        console.print(_tasks_table(rows, viewer))
    if coming:
        console.print(_coming_up_table(coming, viewer))


def _tasks_table(rows: list[TaskRow], viewer: str | None) -> Table:
    table = Table("project", "step", "name", "kind", date_column("due"), "")
    for row in rows:
        project = row.workflow_id.removeprefix("project-")
        if row.problem:  # this project cannot answer; the others are listed as usual
            table.add_row(project, "", f"[red]{escape(row.problem)}[/]", "", "", "")
            continue
        name = escape(row.step)
        if row.sent_back_by:  # a rework: who sent it back, and why
            why = f': "{row.sent_back_because}"' if row.sent_back_because else ""
            name += f"\n[dim]sent back by {escape(row.sent_back_by + why)}[/]"
        table.add_row(
            project,
            row.step_id,
            name,
            row.kind,
            when(row.due, viewer or row.timezone) if row.due else "",
            "[red]OVERDUE[/]" if row.overdue else "",
        )
    return table


def _coming_up_table(rows: list[UpcomingStep], viewer: str | None) -> Table:
    """Steps still waiting on others' work, with the latest forecast's median start."""
    table = Table(
        "project", "step", "name", date_column("likely start"), date_column("likely done"),
        title="Coming up",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.workflow_id.removeprefix("project-"),
            row.step_id,
            escape(row.step),
            when(row.p50_start, viewer or row.timezone),
            when(row.p50_finish, viewer or row.timezone),
        )
    return table
