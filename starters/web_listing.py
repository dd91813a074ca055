"""A person's tasks as the dashboard and the calendar feed show them: the rows of
`starters.projects.tasks_for` (Temporal's visibility, then each project's status), with
the options of decision steps, which their buttons need."""

import asyncio

from temporalio.client import Client

from baton.state import ProjectStatus, Refused
from starters.projects import NotFound, TaskRow, status, tasks_for


class Task(TaskRow):
    options: list[str] = []


async def tasks(client: Client, person: str) -> list[Task]:
    """The person's active steps across projects, overdue first, then by due."""
    rows = await tasks_for(client, person)
    decisions = sorted({row.workflow_id for row in rows if row.kind == "decision"})
    found = await asyncio.gather(*(_status(client, workflow_id) for workflow_id in decisions))
    options = {
        (current.workflow_id, step.id): step.options
        for current in found
        if current is not None
        for step in current.steps
    }
    return [
        Task(**row.model_dump(), options=options.get((row.workflow_id, row.step_id), []))
        for row in rows
    ]


async def _status(client: Client, workflow_id: str) -> ProjectStatus | None:
    try:
        return await status(client, workflow_id)
    except (NotFound, Refused):
        return None  # closed or starting since the listing: no options to offer
