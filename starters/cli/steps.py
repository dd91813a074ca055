"""`baton complete|review|choose|reassign|tasks`: acting on steps, and what waits on a
person. Each action is the workflow's validated update, the same the API and the
dashboard send."""

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.contract import (
    ChooseOption,
    Command,
    CompleteStep,
    ReassignStep,
    ReviewStep,
    workflow_id_of,
)
from baton.errors import validated
from baton.wording import when
from starters import client
from starters.cli.common import Actor, JsonFlag, ProjectArg, StepArg, with_client
from starters.cli.output import console, print_json

app = typer.Typer()


def send(project: str, command: Command) -> None:
    """Send one action to the project as its validated update; print what it did."""
    result = with_client(lambda temporal: client.act(temporal, workflow_id_of(project), command))
    console.print(escape(result.message), highlight=False)


@app.command(rich_help_panel="Acting on projects")
def complete(
    project: ProjectArg,
    step: StepArg,
    actor: Actor,
    note: Annotated[str | None, typer.Option(help="A note for the log.")] = None,
    link: Annotated[str | None, typer.Option(help="A link to the work.")] = None,
) -> None:
    """Mark a task done; the next steps' owners are told at once."""
    send(project, validated(CompleteStep, dict(step_id=step, actor=actor, note=note, link=link)))


@app.command(rich_help_panel="Acting on projects")
def review(
    project: ProjectArg,
    step: StepArg,
    actor: Actor,
    approve: Annotated[
        bool, typer.Option("--approve/--reject", help="Approve, or reject and send back.")
    ],
    comment: Annotated[str | None, typer.Option(help="Why (sent with a rejection).")] = None,
) -> None:
    """Approve or reject an approval step."""
    send(
        project,
        validated(ReviewStep, dict(step_id=step, actor=actor, approve=approve, comment=comment)),
    )


@app.command(rich_help_panel="Acting on projects")
def choose(
    project: ProjectArg,
    step: StepArg,
    option: Annotated[str, typer.Argument(help="One of the decision's options.")],
    actor: Actor,
) -> None:
    """Pick an option of a decision step; branches not chosen are skipped."""
    send(project, validated(ChooseOption, dict(step_id=step, actor=actor, option=option)))


@app.command(rich_help_panel="Acting on projects")
def reassign(
    project: ProjectArg,
    step: StepArg,
    to: Annotated[str, typer.Option(help="Who takes the step over (person id).")],
    actor: Actor,
) -> None:
    """Hand a step to someone else."""
    send(project, validated(ReassignStep, dict(step_id=step, actor=actor, to=to)))


@app.command(rich_help_panel="Projects")
def tasks(
    person: Annotated[str, typer.Argument(help="Whose work (person id).")],
    json: JsonFlag = False,
) -> None:
    """A person's active steps across projects: overdue first, then by due."""
    rows = with_client(lambda temporal: client.tasks_for(temporal, person))
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        console.print(f"Nothing waits on {escape(person)}.")
        return
    table = Table("project", "step", "name", "kind", "due", "")
    for row in rows:
        project = row.workflow_id.removeprefix("project-")
        if row.problem:  # this project cannot answer; the others are listed as usual
            table.add_row(project, "", f"[red]{escape(row.problem)}[/]", "", "", "")
            continue
        table.add_row(
            project,
            row.step_id,
            escape(row.step),
            row.kind,
            when(row.due) if row.due else "",
            "[red]OVERDUE[/]" if row.overdue else "",
        )
    console.print(table)
