"""Learning from history, for every way in (CLI, API, dashboard): the report, the
recalibration (and publishing it), and a project's forecast, each read from the store
(and, for a forecast, the project's status from Temporal) and computed by `baton.insight`."""

from datetime import UTC, date, datetime, time

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from temporalio.client import Client

from activities.forecaster import SAMPLES
from baton.contract import ProjectStatus, StartProject, workflow_id_of
from baton.errors import NotFound
from baton.insight import MIN_SAMPLES  # the default, where the CLI reads it without all this
from baton.insight.forecast import Forecast, ForecastInput, StepOutlook, forecast
from baton.insight.history_csv import parse_history_csv, write_history_csv
from baton.insight.recalibrate import Recalibration, recalibrate, recalibrated_yaml
from baton.insight.report import Report, build_report
from baton.insight.runs import StepRun
from baton.playbook import Playbook, bundled_playbooks, load_playbook
from baton.state import start_project
from baton.store.playbooks import PlaybookRepo
from baton.store.projects import ProjectRepo
from baton.store.step_runs import StepRunRepo, latest_forecasts
from starters.client.projects import status


async def known_playbooks(pool: AsyncConnectionPool) -> dict[str, Playbook]:
    """The playbooks history may name: the latest published version of each, and the
    bundled ones not published yet (a team's spreadsheet may come before its first
    project)."""
    published = await PlaybookRepo(pool).latest()
    bundled = {pid: path for pid, path in bundled_playbooks().items() if pid not in published}
    return {pid: load_playbook(path) for pid, path in bundled.items()} | published


async def playbook_for_history(
    pool: AsyncConnectionPool, playbook_id: str
) -> tuple[Playbook, int | None, str]:
    """A playbook history is read against: its latest published version (the version,
    the YAML as written), else the bundled file (no version yet); else NotFound naming
    the published ones."""
    repo = PlaybookRepo(pool)
    try:
        source, version = await repo.source(playbook_id)
    except NotFound:
        path = bundled_playbooks().get(playbook_id)
        if path is None:
            raise
        return load_playbook(path), None, path.read_text(encoding="utf-8")
    playbook, _ = await repo.get(playbook_id, version)
    return playbook, version, source


async def report_for(
    pool: AsyncConnectionPool, playbook: str | None = None, since: date | None = None
) -> Report:
    """The retrospective over recorded and imported runs (NotFound for an unknown
    playbook, naming the published ones)."""
    report, _ = await report_with_runs(pool, playbook, since)
    return report


async def report_with_runs(
    pool: AsyncConnectionPool, playbook: str | None = None, since: date | None = None
) -> tuple[Report, list[StepRun]]:
    """The report and the runs it was built over (what `starters.charts.report_chart`
    plots alongside it)."""
    if playbook:
        await playbook_for_history(pool, playbook)  # unknown: NotFound with the known ones
    start = datetime.combine(since, time(), UTC) if since else None
    runs = await StepRunRepo(pool).list(playbook, start)
    known = await known_playbooks(pool)
    return build_report(runs, known, playbook=playbook, since=since), runs


async def recalibration_for(
    pool: AsyncConnectionPool,
    playbook_id: str,
    quantile: float = 0.8,
    min_samples: int = MIN_SAMPLES,
) -> Recalibration:
    """Proposed windows and dues for the latest version of a playbook."""
    playbook, version, _ = await playbook_for_history(pool, playbook_id)
    runs = await StepRunRepo(pool).list(playbook_id)
    return recalibrate(playbook, version, runs, quantile=quantile, min_samples=min_samples)


async def publish_recalibration(pool: AsyncConnectionPool, proposal: Recalibration) -> int:
    """Publish the proposal as the playbook's next version (its YAML as written, with
    the new dues); later projects use it, running ones keep theirs. Returns the version."""
    repo = PlaybookRepo(pool)
    if proposal.version is None:  # a bundled playbook not published yet
        _, _, source = await playbook_for_history(pool, proposal.playbook)
    else:
        source, _ = await repo.source(proposal.playbook, proposal.version)
    _, version, _ = await repo.publish(
        recalibrated_yaml(source, proposal), source=f"{proposal.playbook} (recalibrated)"
    )
    return version


async def forecast_for(
    temporal: Client,
    pool: AsyncConnectionPool,
    project: str,
    min_samples: int = MIN_SAMPLES,
    now: datetime | None = None,
) -> Forecast:
    """A project's forecast now, from its status and its playbook's history."""
    current = await status(temporal, workflow_id_of(project))
    return await forecast_of_status(pool, current, min_samples, now)


async def forecast_of_status(
    pool: AsyncConnectionPool,
    current: ProjectStatus,
    min_samples: int = MIN_SAMPLES,
    now: datetime | None = None,
) -> Forecast:
    """The forecast of a project whose status is at hand (a page that shows both asks
    Temporal once)."""
    playbook, _ = await PlaybookRepo(pool).get(current.playbook, current.playbook_version)
    runs = await StepRunRepo(pool).list(current.playbook)
    return forecast(
        ForecastInput.of_status(current),
        playbook,
        runs,
        now or datetime.now(UTC),
        min_samples=min_samples,
    )


class StartForecast(BaseModel):
    """The forecast of a project not started yet, worked out as its start will work it
    out (`activities.forecaster.HistoryForecaster.at_start`): below the playbook's
    `risk_alert`, the start warns its project manager."""

    first: ProjectStatus  # its first state, as the workflow would make it
    forecast: Forecast
    at_risk: bool


UNASSIGNED = "unassigned."  # + a role: nobody's pace is known, so the step's own counts


async def forecast_start(
    pool: AsyncConnectionPool,
    request: StartProject,
    playbook: Playbook,
    now: datetime | None = None,
    min_samples: int = MIN_SAMPLES,
) -> StartForecast:
    """The chance a project starting now with `request` makes its launch (the start
    form's preview). A role nobody is given yet is forecast from the step's history or
    window. `Refused` for a start the workflow would refuse (a launch in the past)."""
    now = now or datetime.now(UTC)
    everyone = {role: UNASSIGNED + role for role in playbook.roles} | request.assignments
    # model_copy: a placeholder id need not be one a person could have.
    whole = request.model_copy(update={"assignments": everyone})
    first = start_project(whole, playbook, {}, now).project.status()
    runs = await StepRunRepo(pool).list(playbook.id)
    found = forecast(ForecastInput.of_status(first), playbook, runs, now, min_samples, SAMPLES)
    return StartForecast(first=first, forecast=found, at_risk=found.p_on_time < playbook.risk_alert)


async def import_history(
    pool: AsyncConnectionPool, text: str, source: str = "<history>"
) -> tuple[int, int]:
    """A history CSV's runs recorded all or nothing: a file with any problem records
    nothing (`HistoryFileError` lists them all). Returns (runs in the file, new ones)."""
    runs = parse_history_csv(text, source, await known_playbooks(pool))
    return len(runs), await StepRunRepo(pool).add(runs, source="import")


async def export_history(pool: AsyncConnectionPool, playbook: str | None = None) -> str:
    """Every recorded and imported run (of one playbook or all) as a history CSV."""
    return write_history_csv(await StepRunRepo(pool).list(playbook))


class UpcomingStep(BaseModel):
    """A step that will come to a person (waiting on the steps before it), with when
    its project's latest stored forecast expects it to start and finish (medians)."""

    workflow_id: str
    project: str  # the project's name
    step_id: str
    step: str  # the step's name
    p50_start: datetime
    p50_finish: datetime
    timezone: str = "UTC"  # the project's, for a view with nobody named


async def upcoming_for(pool: AsyncConnectionPool, person: str) -> list[UpcomingStep]:
    """A person's steps still to come across active projects, soonest first, from the
    forecasts the workflows store with their effects (no simulation per page: a task
    list stays fast however many projects run). A step comes up while it waits on steps
    still to do; an active one is a task, not listed here. A project without a stored
    forecast yet adds nothing."""
    projects = {row.workflow_id: row for row in await ProjectRepo(pool).list("active")}
    stored = await latest_forecasts(pool, list(projects))
    playbooks: dict[tuple[str, int | None], Playbook | None] = {}
    found = []
    for workflow_id, data in stored.items():
        project = projects[workflow_id]
        key = (project.playbook_id, project.playbook_version)
        if key not in playbooks:
            playbooks[key] = await _playbook_or_none(pool, *key)
        playbook = playbooks[key]
        for entry in data.get("steps", []):
            outlook = StepOutlook.model_validate(entry)
            step = playbook.by_id.get(outlook.step) if playbook else None
            # An active step is a task already, not something coming up.
            if step is None or outlook.state != "waiting" or person not in outlook.owners:
                continue
            found.append(
                UpcomingStep(
                    workflow_id=workflow_id,
                    project=project.name,
                    step_id=outlook.step,
                    step=step.name,
                    p50_start=outlook.p50_start,
                    p50_finish=outlook.p50_finish,
                    timezone=project.timezone,
                )
            )
    return sorted(found, key=lambda row: (row.p50_start, row.project, row.step_id))


async def _playbook_or_none(
    pool: AsyncConnectionPool, playbook: str, version: int | None
) -> Playbook | None:
    try:
        found, _ = await PlaybookRepo(pool).get(playbook, version)
    except NotFound:  # a version gone from the store: its steps cannot be told apart
        return None
    return found
