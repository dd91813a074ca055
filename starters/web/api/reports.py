"""Learning from history: the report, a playbook's recalibration (admins publish it), a
project's forecast, the steps coming up for a person, and the history as a spreadsheet
(export; admins import). Each answer is the `starters.client.insight` service's, the
same the CLI prints and the dashboard shows."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from baton.bounds import ID_MAX, PERSON_ID, STEP_ID, PlanDate
from baton.errors import NotFound
from baton.insight.forecast import Forecast
from baton.insight.recalibrate import Recalibration
from baton.insight.report import Report
from baton.store.people import PeopleRepo
from starters.client import insight
from starters.client.insight import UpcomingStep
from starters.web.api.playbooks import PlaybookRef, Published
from starters.web.api.projects import ProjectRef, workflow_id
from starters.web.deps import Admin, ServicesDep, Text, current_person, text_body_openapi

router = APIRouter(tags=["history"], dependencies=[Depends(current_person)])

PlaybookFilter = Annotated[
    str | None,
    Query(max_length=ID_MAX, pattern=STEP_ID, description="Only this playbook's runs."),
]
Quantile = Annotated[
    float,
    Query(gt=0, lt=1, description="The quantile of past cycle times a window should cover."),
]
MinSamples = Annotated[
    int,
    Query(
        ge=1,
        le=10_000,
        description="Fewer runs than this (of a step, or of a person) are blended with the "
        "playbook's window rather than trusted alone.",
    ),
]
PersonRef = Annotated[
    str, Path(max_length=ID_MAX, pattern=PERSON_ID, description="The person's id.")
]


class Imported(BaseModel):
    runs: int  # the rows of the file
    added: int  # the runs that were new (the rest were imported before)


@router.get("/reports", summary="The report: how steps, people and roles did")
async def report(
    services: ServicesDep,
    playbook: PlaybookFilter = None,
    since: Annotated[
        PlanDate | None, Query(description="Only runs finished on or after, YYYY-MM-DD.")
    ] = None,
) -> Report:
    """On-time rates and lateness per step, person and role; where the days went
    (working, waiting, approval queue, rework); the bottlenecks; the crowded weeks.
    Over live and imported runs, of one playbook or all."""
    return await insight.report_for(services.pool, playbook, since)


@router.get("/playbooks/{playbook_id}/recalibration", summary="Proposed windows and dues")
async def recalibration(
    playbook_id: PlaybookRef,
    services: ServicesDep,
    quantile: Quantile = 0.8,
    min_samples: MinSamples = insight.MIN_SAMPLES,
) -> Recalibration:
    """Each step's window proposed from its history, and the dues laid out again
    backwards from the launch: what publishing it would change. Nothing is changed."""
    return await insight.recalibration_for(services.pool, playbook_id, quantile, min_samples)


@router.post(
    "/playbooks/{playbook_id}/recalibration",
    summary="Publish the recalibration (admin)",
    status_code=201,
    responses={200: {"description": "Unchanged: the proposal is the latest version already"}},
)
async def publish_recalibration(
    playbook_id: PlaybookRef,
    admin: Admin,
    services: ServicesDep,
    response: Response,
    quantile: Quantile = 0.8,
    min_samples: MinSamples = insight.MIN_SAMPLES,
) -> Published:
    """The proposal (as GET shows it) published as the playbook's next version: later
    projects use it, running ones keep theirs (201). When it changes nothing, the
    latest version stays (200)."""
    proposal = await insight.recalibration_for(services.pool, playbook_id, quantile, min_samples)
    version = await insight.publish_recalibration(services.pool, proposal)
    created = version != proposal.version
    if not created:
        response.status_code = 200
    return Published(id=playbook_id, version=version, created=created)


@router.get("/projects/{project}/forecast", summary="A project's forecast")
async def project_forecast(
    project: ProjectRef, services: ServicesDep, min_samples: MinSamples = insight.MIN_SAMPLES
) -> Forecast:
    """The chance of finishing by the launch, the median and 80% finish, the steps most
    often on the critical path, and what each step's estimate is based on: a Monte
    Carlo over the steps still to do, from the playbook's history."""
    return await insight.forecast_for(
        services.client, services.pool, workflow_id(project), min_samples
    )


@router.get("/people/{person_id}/upcoming", summary="A person's steps coming up")
async def upcoming(person_id: PersonRef, services: ServicesDep) -> list[UpcomingStep]:
    """Steps that will come to someone across active projects (waiting on earlier
    steps), soonest first, with their projected start from the latest forecasts."""
    if await PeopleRepo(services.pool).get(person_id) is None:
        raise NotFound(f"no person '{person_id}'; GET /api/people lists the team")
    return await insight.upcoming_for(services.pool, person_id)


@router.get(
    "/history.csv",
    summary="Export the history (CSV)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "One row per step run",
        }
    },
)
async def export_history(services: ServicesDep, playbook: PlaybookFilter = None) -> Response:
    """Every recorded and imported step run, in the format POST /api/history takes."""
    text = await insight.export_history(services.pool, playbook)
    name = f"baton-history-{playbook or 'all'}-{date.today().isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/history",
    summary="Import past projects (admin; CSV body)",
    openapi_extra=text_body_openapi("text/csv", "text/plain"),
)
async def import_history(
    body: Text,
    admin: Admin,
    services: ServicesDep,
    file: Annotated[str, Query(description="The name problems are reported under.")] = "<body>",
) -> Imported:
    """A team's past step runs, all or nothing: a file with any problem imports nothing
    and is a 422 listing each problem with its line and column. Rows imported before
    are recognised (project, step, revision) and not added twice."""
    runs, added = await insight.import_history(services.pool, body, file)
    return Imported(runs=runs, added=added)
