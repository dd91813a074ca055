"""A person's calendar feed: `GET /people/{person_id}/calendar.ics`, one event at the
due instant of each step waiting on them. Calendar apps send no cookies, so the feed
also takes the person's own token as `?token=` (signed in, the cookie is enough).

An event's UID is stable per project, step and revision, so a subscribed calendar
updates an event when its due moves and gets a new one when rework starts a revision.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from icalendar import Calendar, Event

from baton.config import Settings
from baton.people import Person
from baton.store.people import PeopleRepo
from baton.tokens import hash_token
from starters import client
from starters.client import TaskRow
from starters.web.deps import get_services, signed_in

router = APIRouter(include_in_schema=False)


def feed_url(settings: Settings, person: Person) -> str:
    return f"{settings.public_url.rstrip('/')}/people/{person.id}/calendar.ics"


def event_uid(workflow_id: str, step_id: str, revision: int) -> str:
    return f"{workflow_id}.{step_id}.r{revision}@baton"


def build_calendar(
    person: Person, tasks: list[TaskRow], public_url: str, now: datetime
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Baton//dashboard//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Baton: {person.display_name}")
    for task in tasks:
        if task.due is None:
            continue
        event = Event()
        event.add("uid", event_uid(task.workflow_id, task.step_id, task.revision))
        event.add("dtstamp", now)
        event.add("dtstart", task.due.astimezone(UTC))
        event.add("dtend", task.due.astimezone(UTC))
        event.add("summary", f"{task.step} — {task.project}")
        event.add("url", f"{public_url.rstrip('/')}/projects/{task.workflow_id}")
        late = " It is overdue." if task.overdue else ""
        revision = f" (revision {task.revision})" if task.revision > 1 else ""
        event.add(
            "description",
            f"{task.kind.capitalize()} step '{task.step_id}'{revision} of {task.project} "
            f"is due.{late}",
        )
        calendar.add_component(event)
    return calendar


@router.get("/people/{person_id}/calendar.ics")
async def calendar_feed(request: Request, person_id: str, token: str = ""):
    services = get_services(request)
    if token:
        person = await PeopleRepo(services.pool).by_token_hash(hash_token(token.strip()))
    else:
        person = await signed_in(request)
    if person is None:
        return PlainTextResponse(
            "Sign in to the dashboard, or add ?token=YOUR-TOKEN (from `baton people token`).",
            status_code=401,
        )
    if person.id != person_id:
        return PlainTextResponse(f"This token or session is not {person_id}'s.", status_code=403)
    tasks = await client.tasks_for(services.client, person.id)
    body = build_calendar(person, tasks, services.settings.public_url, datetime.now(UTC))
    return Response(
        body.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="baton-{person.id}.ics"'},
    )
