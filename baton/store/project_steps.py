"""The project index's steps: each project's steps as its latest recorded transition
left them, so a person's tasks and the projects board are one query each instead of one
status query per open project.

The recorder writes them with each transition's effects, in the same transaction
(`record_steps`): what the step's brief says as it is, and what only the log entries
say folded in (an approval's reviewers this round, who finished it and when, the
latest note, the rejection that sent it back). The link a completion leaves is not in
the log: a completion marks the step's notes unknown, and the first reader asks the
project once and keeps what it says (`learn_notes`).

"Overdue" is never stored: an active step is overdue once its due has passed, derived
by whoever reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from baton.contract import LogEntry
from baton.store.projects import ProjectFacts

FINISHED = ("done", "skipped", "cancelled")


class StepFacts(BaseModel):
    """What a transition says of one step as it is now (its brief, and its options)."""

    step_id: str
    position: int
    name: str
    kind: str
    state: str
    owners: list[str]
    due: datetime | None = None
    revision: int = 1
    after: list[str] = []
    options: list[str] = []
    runs: bool = True
    started_at: datetime | None = None


class ActiveStep(BaseModel):
    """What the board needs of an active step."""

    workflow_id: str
    step_id: str
    name: str
    kind: str
    state: str
    owners: list[str]
    reviewed: list[str]  # an approval's reviewers this round
    due: datetime | None

    @property
    def waiting_on(self) -> list[str]:
        """Who must act for it to move (as `StepStatus.waiting_on`): the approvers yet
        to review an approval this round, the owners of any other step."""
        if self.kind != "approval":
            return list(self.owners)
        return [person for person in self.owners if person not in self.reviewed]

    def overdue(self, now: datetime) -> bool:
        return self.state == "active" and self.due is not None and self.due <= now


class IndexedStep(ActiveStep):
    """A step as the index holds it."""

    position: int
    revision: int
    after: list[str]
    options: list[str]
    runs: bool
    started_at: datetime | None
    finished_at: datetime | None
    approvers: list[str]
    done_by: str | None
    note: str | None
    link: str | None
    notes_known: bool
    sent_back_by: str | None
    sent_back_because: str | None
    transition: int

    @property
    def finished_by(self) -> list[str]:
        """Who did a finished step (an approval's approvers, else who completed it or
        chose); its owners when the log does not say."""
        if self.state == "done" and self.kind == "approval":
            return list(self.approvers) or list(self.owners)
        if self.state == "done" and self.done_by:
            return [self.done_by]
        return list(self.owners)


class TaskStep(IndexedStep):
    """An active step with its project's facts: a row of someone's tasks."""

    project: str
    timezone: str
    playbook_id: str
    playbook_version: int | None


class IndexedProject(ProjectFacts):
    """An open project as the board needs it: its facts, progress and active steps."""

    steps_done: int
    steps_total: int
    active: list[ActiveStep] = []
    p_on_time: float | None = None  # the latest stored forecast's, when usable


# -- writing


def _fold(step: StepFacts, entries: Sequence[LogEntry]) -> dict:
    """The row a step's facts and this transition's entries about it make, as if it
    were new: `_UPSERT` merges it with what the index held."""
    mine = [e for e in entries if e.step_id == step.step_id]
    this_round = [e for e in mine if e.revision == step.revision]
    done = [e for e in mine if e.type in ("completed", "chosen")]
    notes = [e.detail for e in mine if e.type == "completed" and e.detail]
    rework = [e for e in this_round if e.type == "rework"]
    return step.model_dump() | {
        "reviewed": [e.actor for e in this_round if e.type in ("approved", "rejected")],
        "approvers": [e.actor for e in this_round if e.type == "approved"],
        "done_by": done[-1].actor if done else None,
        "note": notes[-1] if notes else None,
        "notes_known": not any(e.type == "completed" for e in mine),
        "sent_back_by": rework[-1].actor if rework else None,
        "sent_back_because": rework[-1].detail if rework else None,
    }


_WRITTEN = (
    "step_id, position, name, kind, state, owners, due, revision, after, options, runs,"
    " started_at, reviewed, approvers, done_by, note, notes_known, sent_back_by,"
    " sent_back_because"
)
_UPSERT = (
    f"INSERT INTO project_steps (workflow_id, transition, finished_at, {_WRITTEN})"
    " VALUES (%(workflow_id)s, %(transition)s,"
    " CASE WHEN %(state)s = ANY(%(finished)s) THEN %(at)s::timestamptz END, "
    + ", ".join(f"%({name.strip()})s" for name in _WRITTEN.split(","))
    + ") ON CONFLICT (workflow_id, step_id) DO UPDATE SET"
    " position = EXCLUDED.position, name = EXCLUDED.name, kind = EXCLUDED.kind,"
    " state = EXCLUDED.state, owners = EXCLUDED.owners, due = EXCLUDED.due,"
    " revision = EXCLUDED.revision, after = EXCLUDED.after, options = EXCLUDED.options,"
    " runs = EXCLUDED.runs, started_at = EXCLUDED.started_at, transition = EXCLUDED.transition,"
    # finished when it became done, skipped or cancelled; kept through a rework (as the
    # status keeps it) until it runs again
    " finished_at = CASE WHEN EXCLUDED.state = 'active' THEN NULL"
    "  WHEN EXCLUDED.finished_at IS NOT NULL AND (project_steps.state <> EXCLUDED.state"
    "   OR project_steps.revision <> EXCLUDED.revision) THEN EXCLUDED.finished_at"
    "  ELSE project_steps.finished_at END,"
    # a round's reviews add up until a rework starts the next round
    " reviewed = CASE WHEN project_steps.revision = EXCLUDED.revision"
    "  THEN project_steps.reviewed || EXCLUDED.reviewed ELSE EXCLUDED.reviewed END,"
    " approvers = CASE WHEN project_steps.revision = EXCLUDED.revision"
    "  THEN project_steps.approvers || EXCLUDED.approvers ELSE EXCLUDED.approvers END,"
    " done_by = coalesce(EXCLUDED.done_by, project_steps.done_by),"
    " note = coalesce(EXCLUDED.note, project_steps.note),"
    " notes_known = project_steps.notes_known AND EXCLUDED.notes_known,"
    " sent_back_by = CASE WHEN EXCLUDED.sent_back_by IS NOT NULL THEN EXCLUDED.sent_back_by"
    "  WHEN project_steps.revision = EXCLUDED.revision THEN project_steps.sent_back_by END,"
    " sent_back_because = CASE WHEN EXCLUDED.sent_back_by IS NOT NULL"
    "  THEN EXCLUDED.sent_back_because"
    "  WHEN project_steps.revision = EXCLUDED.revision THEN project_steps.sent_back_because END"
    # a transition already written (a retried one) changes nothing
    " WHERE project_steps.transition < EXCLUDED.transition"
)


async def record_steps(
    conn: AsyncConnection,
    workflow_id: str,
    transition: int,
    at: datetime,
    steps: Iterable[StepFacts],
    entries: Sequence[LogEntry],
) -> None:
    """Write the steps one transition left (on an open connection, inside the caller's
    transaction), with what its log `entries` add; `at` is the transition's instant."""
    fixed = {"workflow_id": workflow_id, "transition": transition, "at": at,
             "finished": list(FINISHED)}  # fmt: skip
    rows = [fixed | _fold(step, entries) for step in steps]
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_UPSERT, rows)


async def learn_notes(
    pool: AsyncConnectionPool, workflow_id: str, transition: int, notes: Iterable[IndexedStep]
) -> None:
    """Keep the latest note and link of finished steps as the project said them at
    `transition` (its status); a step written since by a later transition is left for
    the next reader."""
    rows = [
        {"workflow_id": workflow_id, "step_id": step.step_id, "revision": step.revision,
         "note": step.note, "link": step.link, "transition": transition}
        for step in notes
    ]  # fmt: skip
    if not rows:
        return
    async with pool.connection() as conn, conn.cursor() as cursor:
        await cursor.executemany(
            "UPDATE project_steps SET note = %(note)s, link = %(link)s, notes_known = true"
            " WHERE workflow_id = %(workflow_id)s AND step_id = %(step_id)s"
            " AND revision = %(revision)s AND transition <= %(transition)s",
            rows,
        )


# -- reading

_STEP = ", ".join(f"s.{name}" for name in IndexedStep.model_fields)
_PROJECT = "p.name AS project, p.timezone, p.playbook_id, p.playbook_version"


async def unindexed_open(pool: AsyncConnectionPool) -> dict[str, str]:
    """The open projects the index holds only since a transition after their start
    (started before it indexed steps), by id: their names."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT workflow_id, name FROM projects"
            " WHERE state = 'active' AND steps_indexed IS NOT TRUE"
        )
        return dict(await cursor.fetchall())


# The open projects the index holds since their start (of those listed, when a list is given).
_HELD = (
    "p.state = 'active' AND p.steps_indexed"
    " AND (%(ids)s::text[] IS NULL OR p.workflow_id = ANY(%(ids)s))"
)


async def tasks_of(
    pool: AsyncConnectionPool, person: str, workflow_ids: Sequence[str] | None = None
) -> tuple[list[TaskStep], list[IndexedStep]]:
    """The person's active steps in the open projects the index holds since their start
    (of `workflow_ids`, when given), and every step next to one of those (before or
    after it), in playbook order."""
    wanted = {"person": person, "ids": None if workflow_ids is None else list(workflow_ids)}
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=class_row(TaskStep)) as cursor:
            await cursor.execute(
                f"SELECT {_STEP}, {_PROJECT} FROM project_steps s"
                f" JOIN projects p USING (workflow_id) WHERE {_HELD}"
                " AND s.state = 'active' AND %(person)s = ANY(s.owners)"
                " AND NOT (s.kind = 'approval' AND %(person)s = ANY(s.reviewed))"
                " ORDER BY s.workflow_id, s.position",
                wanted,
            )
            tasks = await cursor.fetchall()
        if not tasks:
            return [], []
        async with conn.cursor(row_factory=class_row(IndexedStep)) as cursor:
            await cursor.execute(
                f"SELECT DISTINCT {_STEP} FROM project_steps s"
                " JOIN project_steps t ON t.workflow_id = s.workflow_id"
                " WHERE (t.workflow_id, t.step_id) IN"
                "  (SELECT * FROM unnest(%s::text[], %s::text[]))"
                " AND (t.step_id = ANY(s.after) OR s.step_id = ANY(t.after))"
                " ORDER BY s.workflow_id, s.position",
                ([t.workflow_id for t in tasks], [t.step_id for t in tasks]),
            )
            return tasks, await cursor.fetchall()


async def open_projects(
    pool: AsyncConnectionPool, workflow_ids: Sequence[str] | None = None
) -> list[IndexedProject]:
    """The open projects the index holds since their start (of `workflow_ids`, when
    given), with their progress, active steps and latest stored forecast."""
    wanted = {"ids": None if workflow_ids is None else list(workflow_ids)}
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=class_row(_BoardRow)) as cursor:
            await cursor.execute(
                "SELECT p.workflow_id, p.name, p.playbook_id, p.playbook_version,"
                " p.project_manager, p.timezone, p.launch_date, p.state,"
                " count(*) FILTER (WHERE s.runs AND s.state IN ('done', 'skipped'))"
                "  AS steps_done,"
                " count(*) FILTER (WHERE s.runs) AS steps_total,"
                " (SELECT forecast -> 'p_on_time' FROM forecasts f"
                "  WHERE f.workflow_id = p.workflow_id) AS p_on_time"
                f" FROM projects p JOIN project_steps s USING (workflow_id) WHERE {_HELD}"
                " GROUP BY p.workflow_id",
                wanted,
            )
            projects = {row.workflow_id: row.project() for row in await cursor.fetchall()}
        # Their active steps as rows of their own: a nested document per project costs
        # more to make and read than the rows.
        fields = ", ".join(f"s.{name}" for name in ActiveStep.model_fields)
        async with conn.cursor(row_factory=class_row(ActiveStep)) as cursor:
            await cursor.execute(
                f"SELECT {fields} FROM project_steps s JOIN projects p USING (workflow_id)"
                f" WHERE {_HELD} AND s.state = 'active' ORDER BY s.workflow_id, s.position",
                wanted,
            )
            for step in await cursor.fetchall():
                if step.workflow_id in projects:
                    projects[step.workflow_id].active.append(step)
    return list(projects.values())


class _BoardRow(ProjectFacts):
    steps_done: int
    steps_total: int
    p_on_time: Any = None  # whatever the stored forecast holds

    def project(self) -> IndexedProject:
        return IndexedProject(
            **self.model_dump(exclude={"p_on_time"}), p_on_time=_chance(self.p_on_time)
        )


def p_on_time_of(forecast: dict | None) -> float | None:
    """A stored forecast's chance of finishing on time, when it has a usable one."""
    return _chance((forecast or {}).get("p_on_time"))


def _chance(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    return float(value) if ok else None
