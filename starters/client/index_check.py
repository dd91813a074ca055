"""Which open projects to read from the project index, and which to ask for their status.

The index holds every project's steps as its latest transition left them, but only
Temporal knows of a project that ended outside Baton (terminated in the Web UI, failed)
or of one the index has not seen (not recorded yet, or another database's). So the
index is checked against Temporal's visibility with two counts, which the server gives
in milliseconds where listing 2,000 open projects takes it most of a second: how many
match, and how many of the index's do; both equal to the index's number means the same
projects. Only when they differ are the projects listed; those the index still has open
and Temporal has not are looked at one by one, and the index is told how each ended."""

import asyncio
import re
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from baton.store.projects import ProjectRepo
from starters.client.projects import (
    QUERY_TIMEOUT,
    ProjectRow,
    count_projects,
    list_projects,
)

LOOKED_AT_ONCE = 16
ENDED = {
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


@dataclass
class OpenProjects:
    indexed: set[str]  # read these from the index
    asked: list[ProjectRow]  # ask these for their status


async def which_open(
    client: Client,
    pool: AsyncConnectionPool,
    query: str | None,
    indexed: set[str],
    unindexed: dict[str, str] | None,
) -> OpenProjects:
    """The open projects matching the visibility `query`: `indexed` are those the index
    holds since their start that match it, `unindexed` (id: name) those it holds only
    since later that match it (None when which of those match is unknown)."""
    if unindexed is not None and await _same(client, query, indexed | unindexed.keys()):
        return OpenProjects(indexed, [_row(wid, name) for wid, name in unindexed.items()])
    rows = await list_projects(client, query)
    listed = {row.workflow_id for row in rows}
    ended = await _ended(client, [wid for wid in indexed if wid not in listed])
    if ended:
        await ProjectRepo(pool).mark_ended(ended)
    kept = indexed - ended.keys()
    return OpenProjects(kept, [row for row in rows if row.workflow_id not in kept])


QUOTABLE = re.compile(r"[A-Za-z0-9._:@-]+")  # ids that go into a query as they are


async def _same(client: Client, query: str | None, expected: set[str]) -> bool:
    """Whether the projects matching `query` are exactly `expected`: as many match as
    there are, and as many of them."""
    if not expected:
        return await count_projects(client, query) == 0
    if query is None or not all(QUOTABLE.fullmatch(wid) for wid in expected):
        return False
    listed = ", ".join(f"'{wid}'" for wid in sorted(expected))
    matching, among = await asyncio.gather(
        count_projects(client, query),
        count_projects(client, f"({query}) AND WorkflowId IN ({listed})"),
    )
    return matching == among == len(expected)


async def _ended(client: Client, workflow_ids: list[str]) -> dict[str, str]:
    """How each of these projects ended, as Temporal says (`gone`: it has no such
    workflow any more); those still running (visibility is a moment behind) are left
    out."""
    gate = asyncio.Semaphore(LOOKED_AT_ONCE)

    async def look(workflow_id: str) -> str | None:
        async with gate:
            try:
                described = await client.get_workflow_handle(workflow_id).describe(
                    rpc_timeout=QUERY_TIMEOUT
                )
            except RPCError as error:
                return "gone" if error.status == RPCStatusCode.NOT_FOUND else None
        return ENDED.get(described.status) if described.status else None

    found = await asyncio.gather(*(look(workflow_id) for workflow_id in workflow_ids))
    return {wid: state for wid, state in zip(workflow_ids, found, strict=True) if state}


def _row(workflow_id: str, name: str) -> ProjectRow:
    return ProjectRow(workflow_id=workflow_id, name=name, playbook=None, state="active",
                      owners=[], next_due=None, overdue=None, started_at=None)  # fmt: skip
