"""A step run: one run of one step of one project (a rework round is a new run), as
live projects record it and as a team's spreadsheet history imports it.

Definitions used everywhere (README, "Learning from history"):
- lateness = finished_at - due_at, in days (fractional; negative when early); on time
  when lateness <= 0;
- cycle time = finished_at - activated_at, in days.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from baton.contract import LogEntry, StepKind, StepStatus

Outcome = Literal["done", "skipped", "cancelled"]
OUTCOMES: tuple[str, ...] = ("done", "skipped", "cancelled")
DAY = 86400.0


class Decision(BaseModel):
    """One reviewer's decision on an approval run."""

    model_config = ConfigDict(frozen=True)
    person: str
    approve: bool
    at: datetime


class StepRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    project: str  # a live project's workflow id, or the name an imported row gives
    playbook: str
    playbook_version: int | None = None
    step: str
    kind: StepKind = "task"
    owners: list[str] = Field(min_length=1)
    revision: int = Field(default=1, ge=1)
    activated_at: datetime
    due_at: datetime  # the due instant in force when the run finished
    finished_at: datetime
    outcome: Outcome = "done"
    reviews: list[Decision] = []

    @property
    def lateness_days(self) -> float:
        return (self.finished_at - self.due_at).total_seconds() / DAY

    @property
    def cycle_days(self) -> float:
        return (self.finished_at - self.activated_at).total_seconds() / DAY

    @property
    def on_time(self) -> bool:
        return self.lateness_days <= 0

    @property
    def key(self) -> tuple[str, str, int]:
        """What makes a run itself: recording or importing it again adds nothing."""
        return (self.project, self.step, self.revision)


def ended_runs(
    project: str,
    playbook: str,
    playbook_version: int | None,
    before: Sequence[StepStatus],
    after: Sequence[StepStatus],
    entries: Sequence[LogEntry],
    now: datetime,
) -> list[StepRun]:
    """The runs a transition ended, from the steps before and after it: a step finished
    (done, skipped, cancelled), or an approval round a rejection closed (the approval
    starts again one revision up; its round ended `done` with the reviews saying no)."""
    was = {step.id: step for step in before}
    ended = []
    for step in after:
        old = was.get(step.id)
        if old is None or old.finished:
            continue
        run_finished = step.finished and step.revision == old.revision
        round_closed = old.state == "active" and step.revision > old.revision
        if not (run_finished or round_closed):
            continue
        if step.state == "skipped" or (step.state == "cancelled" and old.state == "waiting"):
            if step.state == "cancelled":
                continue  # never started: nothing was spent on it
            activated = now
        else:
            activated = old.started_at or now
        source = step if run_finished else old
        due = source.due or old.due or now
        reviews = [Decision(person=r.actor, approve=r.approve, at=r.at) for r in old.approvals] + [
            Decision(person=e.actor, approve=e.type == "approved", at=e.at)
            for e in entries
            if e.step_id == step.id
            and e.recipient is None
            and e.type in ("approved", "rejected")
            and e.actor
            and e.revision == old.revision
        ]
        ended.append(
            StepRun(
                project=project,
                playbook=playbook,
                playbook_version=playbook_version,
                step=step.id,
                kind=step.kind,
                owners=list(old.owners) or ["nobody"],
                revision=old.revision,
                activated_at=activated,
                due_at=due,
                finished_at=step.finished_at if run_finished and step.finished_at else now,
                outcome=step.state if run_finished else "done",  # type: ignore[arg-type]
                reviews=reviews if step.kind == "approval" else [],
            )
        )
    return ended
