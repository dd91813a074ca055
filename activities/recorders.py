"""Where a transition's log entries go: recorded once each, keyed by workflow id and
transition number, so a retried activity adds nothing twice.

`activities.postgres.PostgresRecorder` writes them to PostgreSQL; `MemoryRecorder`
keeps them in memory for simulations and tests."""

import threading
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from baton.contract import LogEntry, ProjectStatus
from baton.insight.runs import StepRun
from baton.state.model import Project


class StepBrief(BaseModel):
    """What a message needs to know of a step: its name, owners, due and neighbours."""

    id: str
    name: str
    kind: str
    state: str
    owners: list[str]
    due: datetime | None = None
    revision: int = 1
    after: list[str] = []
    started_at: datetime | None = None
    runs: bool = True  # False: its condition is already decided against (it won't run)


class EffectsBatch(BaseModel):
    """The effects of ONE transition: everything to record and deliver, in one call."""

    workflow_id: str
    transition: int
    project_name: str
    project_manager: str
    timezone: str
    entries: list[LogEntry]
    playbook: str = ""
    playbook_version: int | None = None
    launch: str = "launch date"
    launch_date: date | None = None
    state: str = "active"
    steps: list[StepBrief] = []
    runs: list[StepRun] = []  # the step runs the transition ended (the history)
    at: datetime | None = None  # the transition's instant on the project's clock

    @classmethod
    def of(
        cls,
        workflow_id: str,
        project: ProjectStatus,
        entries: list[LogEntry],
        runs: list[StepRun] | None = None,
        at: datetime | None = None,
    ) -> "EffectsBatch":
        return cls(
            workflow_id=workflow_id,
            transition=project.transition,
            project_name=project.name,
            project_manager=project.project_manager,
            timezone=project.timezone,
            entries=entries,
            playbook=project.playbook,
            playbook_version=project.playbook_version,
            launch=project.launch,
            launch_date=project.launch_date,
            state=project.state,
            steps=[
                StepBrief.model_validate(step, from_attributes=True).model_copy(
                    update={"runs": _will_run(project, step.id)}
                )
                for step in project.steps
            ],
            runs=runs or [],
            at=at,
        )

    def events(self) -> list[dict]:
        """The entries as step events: each with its step's due instant when it happened
        (`planned_due`), what the reports measure slips against."""
        dues = {step.id: step.due for step in self.steps}
        return [
            entry.model_dump() | {"planned_due": dues.get(entry.step_id or "")}
            for entry in self.entries
        ]

    @property
    def key(self) -> str:
        return f"{self.workflow_id}/{self.transition}"


def _will_run(project: ProjectStatus, step_id: str) -> bool:
    """Whether a step may still run: not when its condition is already decided against."""
    if not isinstance(project, Project):
        return True
    definition = project.definition.by_id.get(step_id)
    return not (definition and definition.when and project.decided_against(definition.when))


class Recorder(Protocol):
    async def record(self, batch: EffectsBatch) -> bool:
        """Store the batch; False if it was already stored (a retry)."""
        ...


class MemoryRecorder:
    def __init__(self) -> None:
        self.batches: dict[str, EffectsBatch] = {}
        self._lock = threading.Lock()

    async def record(self, batch: EffectsBatch) -> bool:
        with self._lock:
            if batch.key in self.batches:
                return False
            self.batches[batch.key] = batch
            return True

    def entries(self, workflow_id: str | None = None) -> list[LogEntry]:
        return [
            entry
            for batch in self.batches.values()
            if workflow_id in (None, batch.workflow_id)
            for entry in batch.entries
        ]
