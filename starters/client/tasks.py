"""A person's tasks across projects: the PostgreSQL project index says which of their
steps are active and what is around each (one query), checked against Temporal's
visibility (a count: `index_check`), whatever the number of open projects.

A project the index does not hold since its start (one started before the index
existed) is asked for its status instead, as every project once was, until it ends."""

import asyncio
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from temporalio.client import Client

from baton.contract import ProjectStatus, StepStatus
from baton.errors import Unavailable
from baton.store.project_steps import (
    IndexedStep,
    TaskStep,
    learn_notes,
    tasks_of,
    unindexed_open,
)
from starters.client.index_check import which_open
from starters.client.projects import (
    ProjectNotFound,
    ProjectRow,
    StillStarting,
    list_projects,
    status,
    visibility_query,
)

ASKED_AT_ONCE = 16  # status queries in flight at once, however many projects


class NearbyStep(BaseModel):
    """A step next to a task: one it waited on (`people`: who did it, once it is done;
    else its owners) or one waiting on it (`people`: its owners). Ids, not names."""

    step_id: str
    name: str
    state: str
    people: list[str] = []
    finished_at: datetime | None = None
    note: str | None = None  # the latest note left on it (what the next person needs)
    link: str | None = None  # and the latest link (the draft, the outline)


class TaskRow(BaseModel):
    """One active step waiting on a person, across projects; or, with `problem` set, a
    project of theirs that cannot answer right now (the rest of the list still works)."""

    workflow_id: str
    project: str
    step_id: str = ""
    step: str = ""
    kind: str = ""
    due: datetime | None = None
    overdue: bool = False
    revision: int = 1
    options: list[str] = []  # a decision step's options, for its buttons
    sent_back_by: str | None = None  # a rework: who rejected it, and why
    sent_back_because: str | None = None
    problem: str | None = None
    timezone: str = "UTC"  # the project's, for a view with nobody named
    playbook: str = ""  # the project's playbook and version (its steps' instructions)
    playbook_version: int | None = None
    before: list[NearbyStep] = []  # the steps it waited on
    after: list[NearbyStep] = []  # the steps waiting on it


async def tasks_for(
    client: Client,
    person: str,
    pool: AsyncConnectionPool | None = None,
    now: datetime | None = None,
) -> list[TaskRow]:
    """A person's active steps across projects: overdue first (an active step past its
    due, as of `now`), then by due. Without `pool`, every project is asked."""
    now = now or datetime.now(UTC)
    query = visibility_query(state="active", owner=person)
    if pool is None:
        tasks = await _asked_tasks(client, person, await list_projects(client, query), now)
    else:
        tasks = await _tasks(client, pool, person, query, now)
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(tasks, key=lambda t: (t.problem is None, not t.overdue, t.due or far, t.project))


async def _tasks(
    client: Client, pool: AsyncConnectionPool, person: str, query: str | None, now: datetime
) -> list[TaskRow]:
    """From the index, checked against Temporal (`which_open`); projects started before
    the index held steps may wait on anyone, so while one is open they are listed."""
    unindexed = await unindexed_open(pool)
    steps, near = await tasks_of(pool, person)
    held = {step.workflow_id for step in steps}
    found = await which_open(client, pool, query, held, None if unindexed else {})
    near = await _with_notes(client, pool, [s for s in near if s.workflow_id in found.indexed])
    around: dict[str, list[IndexedStep]] = {}
    for other in near:
        around.setdefault(other.workflow_id, []).append(other)
    tasks = [
        _indexed_task(step, around.get(step.workflow_id, []), now)
        for step in steps
        if step.workflow_id in found.indexed
    ]
    return tasks + await _asked_tasks(client, person, found.asked, now)


# -- from the index


def _indexed_task(step: TaskStep, mine: list[IndexedStep], now: datetime) -> TaskRow:
    """A task from the index; `mine`: the steps of its project next to one of the
    person's."""
    return TaskRow(
        workflow_id=step.workflow_id,
        project=step.project,
        step_id=step.step_id,
        step=step.name,
        kind=step.kind,
        due=step.due,
        overdue=step.overdue(now),
        revision=step.revision,
        options=step.options,
        sent_back_by=step.sent_back_by,
        sent_back_because=step.sent_back_because,
        timezone=step.timezone,
        playbook=step.playbook_id,
        playbook_version=step.playbook_version,
        before=[_indexed_nearby(other) for other in mine if other.step_id in step.after],
        after=[_indexed_nearby(other) for other in mine if step.step_id in other.after],
    )


def _indexed_nearby(step: IndexedStep) -> NearbyStep:
    return NearbyStep(
        step_id=step.step_id,
        name=step.name,
        state=step.state,
        people=step.finished_by,
        finished_at=step.finished_at,
        note=step.note,
        link=step.link,
    )


async def _with_notes(
    client: Client, pool: AsyncConnectionPool, near: list[IndexedStep]
) -> list[IndexedStep]:
    """The steps, with the latest note and link of those completed since the index last
    read them (a link is not in the log): each such project is asked once, and the
    index keeps what it says for every later reader."""
    stale = sorted({step.workflow_id for step in near if not step.notes_known})
    if not stale:
        return near
    gate = asyncio.Semaphore(ASKED_AT_ONCE)

    async def ask(workflow_id: str) -> ProjectStatus | None:
        async with gate:
            try:
                return await status(client, workflow_id)
            except (ProjectNotFound, StillStarting, Unavailable):
                return None  # the note from the log will do for now

    learnt: dict[tuple[str, str], IndexedStep] = {}
    for current in await asyncio.gather(*(ask(workflow_id) for workflow_id in stale)):
        if current is None:
            continue
        steps = [
            _notes_of(step, current)
            for step in near
            if step.workflow_id == current.workflow_id and not step.notes_known
        ]
        fresh = [step for step in steps if step is not None]
        await learn_notes(pool, current.workflow_id, current.transition, fresh)
        learnt |= {(step.workflow_id, step.step_id): step for step in fresh}
    return [learnt.get((step.workflow_id, step.step_id), step) for step in near]


def _notes_of(step: IndexedStep, current: ProjectStatus) -> IndexedStep | None:
    """The indexed step with its latest note and link as the status has them; None when
    the status is of another round than the index's."""
    found = current.find_step(step.step_id)
    if found is None or found.revision != step.revision:
        return None
    note, link = _latest_notes(found)
    return step.model_copy(update={"note": note, "link": link, "notes_known": True})


def _latest_notes(step: StepStatus) -> tuple[str | None, str | None]:
    notes = [n.text for n in step.notes if n.text]
    links = [n.link for n in step.notes if n.link]
    return (notes[-1] if notes else None, links[-1] if links else None)


# -- from the projects themselves


async def _asked_tasks(
    client: Client, person: str, rows: list[ProjectRow], now: datetime
) -> list[TaskRow]:
    """The person's tasks of these projects from their status, one query each (a few at
    a time); a project that cannot answer is a row saying why."""
    gate = asyncio.Semaphore(ASKED_AT_ONCE)
    found = await asyncio.gather(*(_answer(client, row, gate) for row in rows))
    tasks = [TaskRow(workflow_id=row.workflow_id, project=row.name or row.workflow_id,
                     problem=answer) for row, answer in zip(rows, found, strict=True)
             if isinstance(answer, str)]  # fmt: skip
    for current in found:
        if isinstance(current, ProjectStatus):
            tasks += _status_tasks(current, person, now)
    return tasks


def _status_tasks(current: ProjectStatus, person: str, now: datetime) -> list[TaskRow]:
    tasks = []
    for step in current.steps:
        if step.state != "active" or person not in step.waiting_on:
            continue
        rework = current.sent_back(step)
        tasks.append(
            TaskRow(
                workflow_id=current.workflow_id,
                project=current.name,
                step_id=step.id,
                step=step.name,
                kind=step.kind,
                due=step.due,
                overdue=step.overdue or (step.due is not None and step.due <= now),
                revision=step.revision,
                options=step.options,
                sent_back_by=rework.actor if rework else None,
                sent_back_because=rework.detail if rework else None,
                timezone=current.timezone,
                playbook=current.playbook,
                playbook_version=current.playbook_version,
                before=[_nearby(current, s) for s in current.steps if s.id in step.after],
                after=[_nearby(current, s) for s in current.steps if step.id in s.after],
            )
        )
    return tasks


FINISHING = ("completed", "chosen")  # the log entries of who finished a task or decision


def _nearby(current: ProjectStatus, step: StepStatus) -> NearbyStep:
    """A step next to a task, with who did it once it is done (an approval's approvers,
    else the actor of its last completion or choice), else its owners."""
    people = list(step.owners)
    if step.state == "done" and step.kind == "approval":
        people = [review.actor for review in step.approvals if review.approve] or people
    elif step.state == "done":
        done = [e for e in current.log if e.step_id == step.id and e.type in FINISHING]
        people = [done[-1].actor] if done and done[-1].actor else people
    note, link = _latest_notes(step)
    return NearbyStep(
        step_id=step.id,
        name=step.name,
        state=step.state,
        people=people,
        finished_at=step.finished_at,
        note=note,
        link=link,
    )


async def _answer(
    client: Client, row: ProjectRow, gate: asyncio.Semaphore
) -> ProjectStatus | str | None:
    """A listed project's status; None when it ended or is starting since the listing;
    why, when it cannot answer."""
    try:
        async with gate:
            return await status(client, row.workflow_id)
    except (ProjectNotFound, StillStarting):
        return None
    except Unavailable as error:
        return error.message
