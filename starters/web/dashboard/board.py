"""The projects board and the launch calendar: every project at a glance (a card each,
soonest launch first, filtered and searched), and a month of launches and dues."""

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.errors import Invalid
from baton.schedule import zone
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters import client
from starters.client.launch_calendar import month_grid, next_month, parse_month, previous_month
from starters.client.portfolio import (
    BoardFilters,
    board_filters,
    check_known,
    matches,
    relative_day,
)
from starters.web.dashboard.render import page
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

FILTERS = tuple(BoardFilters.model_fields)
STATE_CHOICES = {"active": "active", "any": "any state", "completed": "completed",
                 "cancelled": "cancelled"}  # fmt: skip


def today_for(timezone: str) -> date:
    """Today where the viewer is."""
    return datetime.now(UTC).astimezone(zone(timezone)).date()


@router.get("/", response_class=HTMLResponse)
async def board(request: Request, me: Viewer):
    services = get_services(request)
    asked = {name: request.query_params.get(name, "") for name in FILTERS}
    published = await PlaybookRepo(services.pool).list_latest()
    people = sorted(await PeopleRepo(services.pool).list(), key=lambda p: p.display_name.lower())
    today = today_for(me.timezone)
    shown = {
        "asked": asked,
        "states": STATE_CHOICES,
        "playbooks": {row["id"]: row["name"] for row in published},
        "people": people,
        "relative": lambda day: relative_day(day, today),
    }
    try:
        filters = board_filters(asked)
        cards = await client.portfolio(services.client, services.pool, filters.state)
        playbooks = shown["playbooks"] | {c.playbook: c.playbook_name for c in cards if c.playbook}
        check_known(filters, playbooks, [person.id for person in people])
    except Invalid as problem:
        return page(request, "board.html", 422, cards=[], narrowed=True,
                    problem=problem.message, **shown)  # fmt: skip
    return page(
        request,
        "board.html",
        cards=[card for card in cards if matches(card, filters)],
        narrowed=filters.narrowed,
        problem=None,
        **(shown | {"playbooks": dict(sorted(playbooks.items()))}),
    )


@router.get("/calendar", response_class=HTMLResponse)
async def launch_calendar(request: Request, me: Viewer, month: str = ""):
    services = get_services(request)
    today = today_for(me.timezone)
    this_month = today.replace(day=1)
    try:
        first = parse_month(month, today)
    except Invalid as problem:
        return page(request, "launch_calendar.html", 422, problem=problem.message,
                    first=None, this_month=this_month)  # fmt: skip
    cards = await client.portfolio(services.client, services.pool, "any")
    weeks = month_grid(cards, first, me.timezone, today)
    days = [day for week in weeks for day in week if day.entries]
    return page(
        request,
        "launch_calendar.html",
        problem=None,
        this_month=this_month,
        first=first,
        previous=previous_month(first),
        following=next_month(first),
        weeks=weeks,
        launches=sum(e.kind == "launch" for day in days for e in day.entries),
        dues=sum(e.kind == "due" for day in days for e in day.entries),
        any_projects=bool(cards),
    )
