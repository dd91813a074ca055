"""The dashboard's learning from history: the reports page (a playbook's report with its
charts), a playbook's recalibration (admins publish it), a project's forecast panel and
chart, and the steps coming up for the signed-in person. Every number is the
`starters.client.insight` service's, the same the API answers and the CLI prints."""

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from baton.bounds import STEP_ID, is_id
from baton.contract import ProjectStatus
from baton.errors import Invalid, NotFound
from baton.insight.forecast import Forecast
from baton.insight.report import CROWDED_WEEK_DUES
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters import client
from starters.charts import forecast_chart, report_chart
from starters.client import insight
from starters.web.dashboard.render import error_page, local_path, page, redirect, session_form
from starters.web.deps import Services, Viewer, get_services

router = APIRouter(include_in_schema=False)

CHARTS = ("slip", "days")
SVG = "image/svg+xml"


@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request, me: Viewer, playbook: str = "", since: str = ""):
    """The report of one playbook (or all), of runs finished since a date."""
    services = get_services(request)
    chosen, since_date = _playbook_id(playbook), _since(since)
    report = await insight.report_for(services.pool, chosen, since_date)
    return page(
        request,
        "reports.html",
        report=report,
        playbooks=await PlaybookRepo(services.pool).list_latest(),
        playbook=chosen or "",
        since=since_date.isoformat() if since_date else "",
        charts={which: _chart_url(which, chosen, since_date) for which in CHARTS},
        crowded_at=CROWDED_WEEK_DUES,
    )


@router.get("/reports/chart/{which}.svg")
async def report_chart_image(
    request: Request, which: str, me: Viewer, playbook: str = "", since: str = ""
):
    """A chart of the report: `slip` (lateness per step) or `days` (where they went)."""
    if which not in CHARTS:
        raise NotFound(f"no chart '{which}'; the charts are {', '.join(CHARTS)}")
    report, runs = await insight.report_with_runs(
        get_services(request).pool, _playbook_id(playbook), _since(since)
    )
    return _svg(report_chart(report, runs, fmt="svg", which=which))


@router.get("/reports/recalibration", response_class=HTMLResponse)
async def recalibration(
    request: Request,
    me: Viewer,
    playbook: str = "",
    quantile: str = "0.8",
    min_samples: str = str(insight.MIN_SAMPLES),
):
    """What recalibrating a playbook would change: each step's window and due, from
    history; admins can publish it as the next version."""
    services = get_services(request)
    playbook_id = _playbook_id(playbook)
    if playbook_id is None:
        return redirect("/reports", "Pick a playbook to recalibrate.", ok=False)
    proposal = await insight.recalibration_for(
        services.pool, playbook_id, _quantile(quantile), _min_samples(min_samples)
    )
    return page(
        request,
        "recalibration.html",
        r=proposal,
        is_admin=await PeopleRepo(services.pool).is_admin(me.id),
    )


@router.post("/reports/recalibration")
async def publish_recalibration(request: Request, me: Viewer):
    """The Publish button (admins): the proposal shown, as the playbook's next version."""
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    services = get_services(request)
    if not await PeopleRepo(services.pool).is_admin(me.id):
        return error_page(
            request,
            403,
            "Only admins publish playbooks",
            f"{me.id} is not an admin; nothing was published.",
            "Ask an admin to publish the recalibration.",
        )
    playbook_id = _playbook_id(fields.get("playbook", ""))
    if playbook_id is None:
        return redirect("/reports", "That form named no playbook; nothing was published.", False)
    quantile = _quantile(fields.get("quantile", "0.8"))
    min_samples = _min_samples(fields.get("min_samples", str(insight.MIN_SAMPLES)))
    proposal = await insight.recalibration_for(services.pool, playbook_id, quantile, min_samples)
    version = await insight.publish_recalibration(services.pool, proposal)
    view = "/reports/recalibration?" + urlencode(
        {"playbook": playbook_id, "quantile": quantile, "min_samples": min_samples}
    )
    back = local_path(fields.get("back"), view)  # the playbook page's button comes back there
    if version == proposal.version:
        return redirect(back, f"Nothing to publish: version {version} already has these dues.")
    return redirect(
        back,
        f"Published {playbook_id} version {version}: projects started from now on use it; "
        "running ones keep theirs.",
    )


@router.get("/projects/{workflow_id}/forecast.svg")
async def forecast_chart_image(request: Request, workflow_id: str, me: Viewer):
    """The project's forecast as a chart: when it is likely to finish, against the launch."""
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    found = await insight.forecast_of_status(services.pool, current)
    names = {step.id: step.name for step in current.steps}
    return _svg(forecast_chart(found, fmt="svg", names=names))


async def forecast_panel(services: Services, current: ProjectStatus) -> dict | None:
    """What the project page shows of its forecast (None once the project has ended):
    the forecast, whether it is at risk (below the playbook's `risk_alert`), and the
    critical steps by name."""
    if current.state != "active":
        return None
    try:
        found: Forecast = await insight.forecast_of_status(services.pool, current)
        playbook, _ = await PlaybookRepo(services.pool).get(
            current.playbook, current.playbook_version
        )
    except NotFound:  # its playbook version is gone from the store: the page goes on
        return None
    names = {step.id: step.name for step in current.steps}
    return {
        "f": found,
        "at_risk": found.p_on_time < playbook.risk_alert,
        "risk_alert": playbook.risk_alert,
        "critical": [(names.get(c.step, c.step), c.p_critical) for c in found.critical_steps],
        "chart": f"/projects/{current.workflow_id}/forecast.svg",
    }


def _svg(image: bytes) -> Response:
    # Charts change with every recorded run: the browser asks again rather than caching.
    return Response(image, media_type=SVG, headers={"Cache-Control": "no-store"})


def _chart_url(which: str, playbook: str | None, since: date | None) -> str:
    query = {k: v for k, v in (("playbook", playbook), ("since", since)) if v}
    return f"/reports/chart/{which}.svg" + (f"?{urlencode(query)}" if query else "")


def _playbook_id(value: str) -> str | None:
    """The playbook a form or link names (None: all); what could be no playbook's id is
    a 404 naming the published ones, as for an unknown id."""
    value = value.strip()
    if not value:
        return None
    if not is_id(value, STEP_ID):
        raise NotFound("no such playbook; pick one of the published playbooks")
    return value


def _since(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"'{value[:40]}' is not a date; write it like 2026-01-31", field="since"
        ) from None


def _quantile(value: str) -> float:
    try:
        quantile = float(value)
    except ValueError:
        quantile = -1.0
    if not 0 < quantile < 1:
        raise Invalid(f"'{value[:20]}' is not a quantile; write one between 0 and 1, like 0.8")
    return quantile


def _min_samples(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 10_000:
        raise Invalid(f"'{value[:20]}' is not a number of samples; write 1 to 10000, like 5")
    return int(value)
