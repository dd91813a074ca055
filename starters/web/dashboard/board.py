"""The projects board: every project at a glance, filtered and sorted."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters import client
from starters.web.dashboard.render import page
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

STATES = ("active", "completed", "cancelled", "failed", "terminated")


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, me: Viewer, playbook: str = "", owner: str = ""):
    services = get_services(request)
    query = client.visibility_query(playbook=playbook.strip() or None, owner=owner.strip() or None)
    rows = await client.list_projects(services.client, query)
    sections = {state: [] for state in STATES}
    for row in rows:
        sections.setdefault(row.state or "unknown", []).append(row)
    playbooks = [p["id"] for p in await PlaybookRepo(services.pool).list_latest()]
    people = [p.id for p in await PeopleRepo(services.pool).list()]
    return page(
        request,
        "board.html",
        sections={state: found for state, found in sections.items() if found},
        count=len(rows),
        playbook=playbook,
        owner=owner,
        playbooks=sorted({*playbooks, *(r.playbook for r in rows if r.playbook)}),
        people=people,
        workflow_url=services.settings.workflow_url,
    )
