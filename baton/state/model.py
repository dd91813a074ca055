"""What the core works on: the project as the workflow carries it, and one transition.

The state stays small whatever people type: Temporal refuses payloads past 2 MB, and the
whole log and every full text are in PostgreSQL anyway (step events). So the state
keeps the latest log entries, the latest notes per step, and texts shortened; its copy
of the playbook leaves out the texts no decision needs (messages read the instructions
from the catalog)."""

import threading
from collections import OrderedDict
from datetime import datetime

from pydantic import BaseModel

from baton import wording
from baton.contract import LogEntry, ProjectStatus, StepStatus
from baton.insight.runs import StepRun
from baton.people import Person
from baton.playbook import Condition, Playbook


class Project(ProjectStatus):
    """The full state the workflow carries: the status plus what decisions need (the
    playbook version and the people, resolved once at the start)."""

    definition: Playbook
    people: dict[str, Person] = {}
    # Dues a compression set (step id -> instant), used instead of the offset rule until
    # the next reschedule (`baton.plan.compress_dues`); empty for every other project.
    compressed_dues: dict[str, datetime] = {}
    # The PM was warned the project is at risk and it has not recovered since: the next
    # warning waits until the forecast rose above the playbook's risk_alert again.
    risk_warned: bool = False

    def status(self) -> ProjectStatus:
        """The status view, with each conditional step's condition and, once it is
        decided false, why the step won't run (worked out here, at query time: the
        state keeps neither)."""
        hidden = {"definition", "people", "compressed_dues", "risk_warned"}
        view = ProjectStatus.model_validate(self.model_dump(exclude=hidden))
        for step in view.steps:
            definition = self.definition.by_id.get(step.id)
            if definition is None or definition.when is None:
                continue
            step.condition = wording.condition(definition.when)
            if step.state in ("waiting", "skipped"):
                step.wont_run = self.decided_against(definition.when)
        return view

    def decided_against(self, when: Condition) -> str | None:
        """Why a condition is already false ("organic chosen", "include_video is off"),
        or None while it is true or still open (its decision not taken yet)."""
        if when.step:
            decision: StepStatus | None = self.find_step(when.step)
            if decision is None or not decision.finished:
                return None
            if decision.state != "done":
                return f"'{when.step}' {decision.state}"  # skipped, or cancelled
            if decision.option is None or decision.option == when.option:
                return None
            return f"{decision.option} chosen"
        value = self.inputs.get(when.input or "")
        if when.equals is None:
            return None if value else f"{when.input} is off"
        if value == when.equals:
            return None
        shown = "not set" if value is None else wording.input_value(value)
        return f"{when.input} is {shown}"

    def person(self, person_id: str) -> Person:
        return self.people.get(person_id) or Person(id=person_id)


STATE_LOG = 200  # log entries kept in the state
STATE_NOTES = 3  # notes kept per step
STATE_TEXT = 500  # characters of a note, a comment or a log detail kept in the state
REWORK_TEXT = 2_000  # a rejection's comment, sent on with the rework notice


def shortened(text: str | None, limit: int = STATE_TEXT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def keep_small(project: Project) -> None:
    """Trim what the state keeps (in place) to the limits above."""
    project.log = [
        entry if entry.detail == shortened(entry.detail)
        else entry.model_copy(update={"detail": shortened(entry.detail)})
        for entry in project.log[-STATE_LOG:]
    ]  # fmt: skip
    for step in project.steps:
        step.notes = [
            note.model_copy(update={"text": shortened(note.text)}) for note in step.notes
        ][-STATE_NOTES:]
        step.approvals = [
            review.model_copy(update={"comment": shortened(review.comment)})
            for review in step.approvals
        ]
        step.rework_comment = shortened(step.rework_comment, REWORK_TEXT)


SHARED_DEFINITIONS = 64  # playbook versions whose definition projects share, per process
_definitions: OrderedDict[str, Playbook] = OrderedDict()
_definitions_lock = threading.Lock()


def decisions_only(playbook: Playbook) -> Playbook:
    """The playbook without the texts no decision needs (description, instructions):
    one object per version in this process, shared by every project that runs it (a
    worker holds hundreds of projects; nothing changes a definition in place)."""
    data = playbook.model_dump()
    data["description"] = ""
    for step in data["steps"]:
        step["instructions"] = ""
    return shared_definition(Playbook.model_validate(data))


def shared_definition(definition: Playbook) -> Playbook:
    """The process's one copy of an equal definition (a carried state's, decoded anew)."""
    key = definition.model_dump_json()
    with _definitions_lock:  # workflows run in several threads of one worker
        found = _definitions.setdefault(key, definition)
        _definitions.move_to_end(key)
        if len(_definitions) > SHARED_DEFINITIONS:
            _definitions.popitem(last=False)
    return found


class Outlook(BaseModel):
    """What the effects activity answers of a project after a transition: the forecast
    chance of finishing by the launch, the median projected finish, the critical steps."""

    p_on_time: float
    projected_finish: datetime
    critical_steps: list[str] = []


class Transition(BaseModel):
    project: Project
    entries: list[LogEntry]
    runs: list[StepRun] = []  # the step runs it ended, for the history
