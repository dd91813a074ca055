"""Playbooks: the models of the YAML format, loading, and validation.

A playbook is a reusable definition of a kind of project (DESIGN.md section 4). Loading
refuses a broken playbook with every problem found, each naming the file, the step and
the field, so a marketing manager can fix the YAML without reading code.
"""

import re
from datetime import time, timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import holidays
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from baton.bounds import InputValue, Key, Name, PlaybookId, StepId, Text
from baton.durations import format_duration, parse_duration, parse_offset
from baton.errors import Invalid, problem_message
from baton.schedule import Calendar
from baton.yamldoc import read_yaml

BUNDLED_DIR = Path(str(resources.files("playbooks")))  # shipped as package data
MAX_STEPS = 100  # keeps a project's state well inside Temporal's payload limits


def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 17:00 as 1020
        raise Invalid('write the time of day in quotes, like "17:00"')
    match = re.match(r"^(\d{1,2}):(\d{2})$", str(value).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Invalid(f'{value!r} is not a time of day; write it like "17:00"')
    return time(int(match.group(1)), int(match.group(2)))


Duration = Annotated[
    timedelta,
    BeforeValidator(lambda v: v if isinstance(v, timedelta) else parse_duration(v)),
    PlainSerializer(format_duration, return_type=str),
]
DueOffset = Annotated[
    int,
    BeforeValidator(parse_offset),
    PlainSerializer(lambda days: f"{days:+d}d" if days else "0d", return_type=str),
]
ClockTime = Annotated[
    time, BeforeValidator(_clock), PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """Overdue follow-ups: the first `after` the due instant, then every `repeat`, at most
    `max`; from the second on, the project manager is told too."""

    after: Duration = timedelta(hours=4)
    repeat: Duration = timedelta(hours=24)
    max: int = Field(default=3, ge=0, le=50)


class Condition(_Strict):
    """`{input: include_video}` (optionally `equals: value`) or `{step: D, option: O}`."""

    input: Key | None = None
    equals: InputValue = None
    step: StepId | None = None
    option: Name | None = None


class InputSpec(_Strict):
    description: Text = ""
    default: InputValue = None


def _policy(value: Any) -> Any:
    if value in ("all", "any") or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise Invalid(f"{value!r} is not a policy; use all, any or a number of approvals (2)")


class Step(_Strict):
    id: StepId
    name: Name
    kind: Literal["task", "approval", "decision"] = "task"
    owner: Key | None = None
    approvers: list[Key] = Field(default=[], max_length=20)
    policy: Annotated[Literal["all", "any"] | int, BeforeValidator(_policy)] = "all"
    on_reject: StepId | None = None
    options: list[Name] = Field(default=[], max_length=20)
    after: list[StepId] = Field(default=[], max_length=MAX_STEPS)
    due: DueOffset | None = None
    estimate: Duration | None = None
    when: Condition | None = None
    instructions: Text = ""

    @field_validator("after", "approvers", "options", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def roles(self) -> list[str]:
        """The roles whose people act on this step."""
        return list(self.approvers) if self.kind == "approval" else [self.owner or ""]

    @property
    def depends_on(self) -> list[str]:
        """Steps that must be finished first: `after`, plus the decision a `when` reads."""
        extra = [self.when.step] if self.when and self.when.step else []
        return [*self.after, *(s for s in extra if s not in self.after)]

    def required_approvals(self, approvers: int) -> int:
        if self.policy == "all":
            return approvers
        if self.policy == "any":
            return min(1, approvers)
        return min(int(self.policy), approvers)


class Playbook(_Strict):
    id: PlaybookId
    name: Name
    description: Text = ""
    launch: Name = "launch date"
    due_time: ClockTime = time(17, 0)
    calendar: Literal["calendar", "business"] = "calendar"
    holidays: str | None = None
    reminders: list[Duration] = Field(
        default=[timedelta(hours=48), timedelta(hours=24)], max_length=10
    )
    escalation: Escalation = Escalation()
    default_estimate: Duration = timedelta(days=2)
    # Warn the project manager when the chance of finishing on time falls below this.
    risk_alert: float = Field(default=0.7, ge=0, le=1)
    inputs: dict[Key, InputSpec] = Field(default={}, max_length=50)
    roles: dict[Key, Name] = Field(min_length=1, max_length=50)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @cached_property
    def by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}

    def step(self, step_id: str) -> Step:
        return self.by_id[step_id]

    @property
    def working_calendar(self) -> Calendar:
        """The days its offsets count: every day, or business days (less its holidays)."""
        return Calendar(business=self.calendar == "business", holidays=self.holidays)

    def dependants(self, step_id: str) -> list[str]:
        return [s.id for s in self.steps if step_id in s.depends_on]

    def ancestors(self, step_id: str) -> set[str]:
        """Every step that must finish before `step_id` can start, directly or not."""
        seen: set[str] = set()
        todo = list(self.step(step_id).depends_on)
        while todo:
            current = todo.pop()
            if current not in seen and current in self.by_id:
                seen.add(current)
                todo.extend(self.step(current).depends_on)
        return seen

    def rework_span(self, approval_id: str, start: str) -> list[str]:
        """The steps a rejection re-runs from `start`: it and every step between it and
        the approval, the approval included, in playbook order."""
        between = {s for s in self.ancestors(approval_id) if start in self.ancestors(s)}
        span = {start, approval_id, *between}
        return [s.id for s in self.steps if s.id in span]


class Problem(BaseModel):
    """One thing wrong with a playbook, pinned to where it is."""

    file: str
    step: str | None = None
    field: str | None = None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.step:
            where.append(f"step '{self.step}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class PlaybookError(Invalid):
    """A playbook that cannot be used, with every problem found and where it is."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems=problems)


def load_playbook(path: str | Path) -> Playbook:
    """Read and validate one playbook file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlaybookError(
            [Problem(file=str(path), message=f"cannot read: {error.strerror}")]
        ) from None
    except UnicodeDecodeError as error:
        raise PlaybookError(
            [
                Problem(
                    file=str(path),
                    message=f"cannot read: not UTF-8 text (byte {error.start}); save it as UTF-8",
                )
            ]
        ) from None
    return parse_playbook(text, source=str(path))


def parse_playbook(text: str, source: str = "<playbook>") -> Playbook:
    try:
        data = read_yaml(text)
    except Invalid as error:
        raise PlaybookError([Problem(file=source, message=error.message)]) from None
    return playbook_from_data(data, source)


def playbook_from_data(data: Any, source: str = "<playbook>") -> Playbook:
    if not isinstance(data, dict):
        raise PlaybookError([Problem(file=source, message="a playbook is a YAML mapping")])
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as error:
        raise PlaybookError(_pydantic_problems(error, data, source)) from None
    problems = _check(playbook, source)
    if problems:
        raise PlaybookError(problems)
    return playbook


def bundled_playbooks(directory: Path = BUNDLED_DIR) -> dict[str, Path]:
    """The bundled playbook files by id (the file name is the id)."""
    return {path.stem: path for path in sorted(directory.glob("*.yaml"))}


def _pydantic_problems(error: ValidationError, data: dict, source: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        step = None
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            raw_steps = data.get("steps") or []
            raw = raw_steps[loc[1]] if loc[1] < len(raw_steps) else None
            step = (
                str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else f"#{loc[1] + 1}"
            )
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or None
        message = problem_message(item)
        problems.append(Problem(file=source, step=step, field=field, message=message))
    return problems


def _check(playbook: Playbook, source: str) -> list[Problem]:
    """Cross-field rules pydantic cannot see: references, cycles, approvals, decisions."""
    problems: list[Problem] = []

    def problem(step: str | None, field: str | None, message: str) -> None:
        problems.append(Problem(file=source, step=step, field=field, message=message))

    ids = [s.id for s in playbook.steps]
    for step_id in sorted({i for i in ids if ids.count(i) > 1}):
        problem(step_id, "id", f"duplicate step id '{step_id}'; every step needs its own id")
    known = set(ids)
    roles = sorted(playbook.roles)
    if playbook.holidays:
        try:
            holidays.country_holidays(playbook.holidays)
        except NotImplementedError:
            problem(
                None, "holidays", f"unknown country code '{playbook.holidays}'; use one like US"
            )

    def unknown_step(ref: str) -> str:
        return f"unknown step '{ref}'; known steps: {', '.join(ids)}"

    def check_role(step: Step, field: str, role: str) -> None:
        if role not in playbook.roles:
            problem(step.id, field, f"unknown role '{role}'; roles are: {', '.join(roles)}")

    for step in playbook.steps:
        for ref in step.after:
            if ref not in known:
                problem(step.id, "after", unknown_step(ref))
        if step.kind == "approval":
            if step.owner:
                problem(step.id, "owner", "an approval step has approvers, not an owner")
            if not step.approvers:
                problem(step.id, "approvers", "an approval step needs at least one approver role")
            for role in step.approvers:
                check_role(step, "approvers", role)
            if isinstance(step.policy, int) and not 1 <= step.policy <= len(step.approvers):
                problem(
                    step.id,
                    "policy",
                    f"a quorum of {step.policy} needs between 1 and {len(step.approvers)} "
                    f"approvals (the step has {len(step.approvers)} approvers)",
                )
            if step.on_reject and step.on_reject not in known:
                problem(step.id, "on_reject", unknown_step(step.on_reject))
        else:
            if not step.owner:
                problem(step.id, "owner", f"a {step.kind} step needs an owner role")
            else:
                check_role(step, "owner", step.owner)
            for field in ("approvers", "on_reject"):
                if getattr(step, field):
                    problem(step.id, field, f"only approval steps take {field}")
            if step.policy != "all":
                problem(step.id, "policy", "only approval steps take a policy")
        if step.kind == "decision":
            if not step.options:
                problem(step.id, "options", "a decision step needs at least one option")
            if len(set(step.options)) != len(step.options):
                problem(step.id, "options", "options must be different from each other")
        elif step.options:
            problem(step.id, "options", "only decision steps take options")
        if step.when:
            _check_condition(playbook, step, known, problem)

    if not problems:
        cycle = _find_cycle(playbook)
        if cycle:
            problem(
                cycle[0], "after", f"steps wait for each other in a cycle: {' -> '.join(cycle)}"
            )
    if not problems:
        for step in playbook.steps:
            if step.on_reject and step.on_reject not in playbook.ancestors(step.id):
                problem(
                    step.id,
                    "on_reject",
                    f"'{step.on_reject}' does not come before this approval; rework can only "
                    "go back to a step the approval waits for",
                )
    return problems


def _check_condition(playbook: Playbook, step: Step, known: set[str], problem) -> None:
    when = step.when
    assert when is not None
    if (when.input is None) == (when.step is None):
        problem(step.id, "when", "write either {input: NAME} or {step: DECISION, option: OPTION}")
        return
    if when.input is not None:
        if when.option is not None:
            problem(step.id, "when.option", "an input condition takes `equals`, not `option`")
        if playbook.inputs and when.input not in playbook.inputs:
            declared = ", ".join(sorted(playbook.inputs))
            problem(step.id, "when.input", f"unknown input '{when.input}'; inputs are: {declared}")
        return
    if when.step not in known:
        problem(step.id, "when.step", f"unknown step '{when.step}'")
        return
    decision = playbook.step(when.step)
    if decision.kind != "decision":
        problem(step.id, "when.step", f"'{when.step}' is not a decision step")
    elif when.option is None:
        problem(step.id, "when.option", f"name one of the options of '{when.step}'")
    elif when.option not in decision.options:
        offered = ", ".join(decision.options)
        problem(
            step.id,
            "when.option",
            f"'{when.step}' offers no option '{when.option}'; its options are: {offered}",
        )
    if when.equals is not None:
        problem(step.id, "when.equals", "a decision condition takes `option`, not `equals`")


def _find_cycle(playbook: Playbook) -> list[str] | None:
    """The first cycle among the steps' dependencies, as a closed path, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(step_id: str) -> list[str] | None:
        state[step_id] = 1
        path.append(step_id)
        for dep in playbook.step(step_id).depends_on:
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[step_id] = 2
        return None

    for step in playbook.steps:
        if step.id not in state:
            found = visit(step.id)
            if found:
                return list(reversed(found))
    return None


def playbook_file(id_or_path: str, directory: Path = BUNDLED_DIR) -> Path:
    """A playbook file by its path, or by the id of a bundled playbook."""
    path = Path(id_or_path)
    if path.suffix in (".yaml", ".yml") or _exists(path):
        return path
    bundled = bundled_playbooks(directory)
    if id_or_path not in bundled:
        known = ", ".join(bundled) or "none"
        raise PlaybookError(
            [
                Problem(
                    file=id_or_path,
                    message=f"no such playbook file or bundled playbook; bundled ones: {known}",
                )
            ]
        )
    return bundled[id_or_path]


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for a file, or with a NUL in it
        return False


def find_playbook(id_or_path: str, directory: Path = BUNDLED_DIR) -> Playbook:
    """A playbook by file path, or by the id of a bundled playbook."""
    return load_playbook(playbook_file(id_or_path, directory))
