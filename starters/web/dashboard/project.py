"""One project's page: its facts, timeline, forecast and log."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.contract import ProjectStatus, StepStatus
from baton.wording import waiting_on
from starters import client
from starters.web.dashboard.render import human_duration, overdue_by, page
from starters.web.dashboard.reports import forecast_panel
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)


@router.get("/projects/{workflow_id}", response_class=HTMLResponse)
async def project(request: Request, workflow_id: str, me: Viewer):
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    now = datetime.now(UTC)
    return page(
        request,
        "project.html",
        p=current,
        steps=[timeline_row(current, step, me.id, now) for step in current.steps],
        log=list(reversed(current.log)),
        waiting=waiting_on(current, me.timezone),
        workflow_url=services.settings.workflow_url(current.workflow_id),
        forecast=await forecast_panel(services, current),
    )


def timeline_row(current: ProjectStatus, step: StepStatus, me: str, now: datetime) -> dict:
    """One step as the timeline shows it: plan (due) against actual (finished)."""
    late = None
    if step.finished_at and step.due and step.finished_at > step.due:
        late = human_duration(step.finished_at - step.due)
    waiting_on_me = step.state == "active" and current.state == "active" and me in step.waiting_on
    return {
        "s": step,
        "late_by": late,
        "overdue_by": overdue_by(step.due, now) if step.state == "active" else None,
        "mine": waiting_on_me,
    }
