"""One project's page: its facts, the timeline (inline SVG, `timeline_svg`), the step
table (the timeline's text version, with each person's buttons), the forecast, the log
in words, and, for its manager and admins, the forms that run it (`project_actions`)."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from baton.contract import ProjectStatus, StepStatus
from baton.insight.runs import StepRun
from baton.plan import launch_due
from baton.playbook import Playbook
from baton.readable_log import describe_line, group_log
from baton.schedule import DAY_FORMS
from baton.store.step_runs import StepRunRepo
from starters import client
from starters.web.dashboard import project_actions
from starters.web.dashboard.project_actions import manages, names_of, playbook_of
from starters.web.dashboard.render import human_duration, overdue_by, page
from starters.web.dashboard.reports import forecast_panel
from starters.web.dashboard.timeline_svg import NARROW, WIDE, timeline_svg
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)
router.include_router(project_actions.router)


@router.get("/projects/{workflow_id}", response_class=HTMLResponse)
async def project(request: Request, workflow_id: str, me: Viewer):
    services = get_services(request)
    current = await client.status(services.client, workflow_id)
    now = datetime.now(UTC)
    names = await names_of(services)
    playbook = await playbook_of(services, current)
    runs = await StepRunRepo(services.pool).of_project(current.workflow_id)
    steps = {step.id: step.name for step in current.steps}
    return page(
        request,
        "project.html",
        p=current,
        names=names,
        steps=[timeline_row(current, step, me.id, now) for step in current.steps],
        timelines=timelines(current, playbook, runs, now, names, me.timezone),
        log=[
            {"at": line.at, "text": describe_line(line, names, steps, current.launch)}
            for line in reversed(group_log(current.log))
        ],
        workflow_url=services.settings.workflow_url(current.workflow_id),
        forecast=await forecast_panel(services, current),
        manages=current.state == "active" and await manages(services, me, current),
        people=sorted(names.items(), key=lambda pair: pair[1].lower()),
        date_forms=DAY_FORMS,
    )


def timelines(
    current: ProjectStatus,
    playbook: Playbook | None,
    runs: list[StepRun],
    now: datetime,
    names: dict[str, str],
    timezone: str,
) -> dict[str, Markup]:
    """The timeline drawn twice: wide for a screen, narrow (bigger type for its size)
    for a phone; project.css shows the one that fits."""
    launch_at = None
    if playbook and current.launch_date:
        launch_at = launch_due(playbook, current.launch_date, current.timezone)
    return {
        ident: timeline_svg(
            current,
            runs,
            now,
            names,
            launch_at=launch_at,
            timezone=timezone,
            frame=frame,
            ident=ident,
        )
        for ident, frame in (("timeline-wide", WIDE), ("timeline-narrow", NARROW))
    }


def timeline_row(current: ProjectStatus, step: StepStatus, me: str, now: datetime) -> dict:
    """One step as the table shows it: plan (due) against actual (finished)."""
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
