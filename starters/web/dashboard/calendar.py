"""A person's calendar feed: `GET /people/{person_id}/calendar.ics`, one event at the
due instant of each step waiting on them.

Calendar apps send no cookies, so the feed URL carries a key of its own (`?key=`): it
reads this feed and nothing else, and is never the person's API token. The key is an
HMAC (app secret) of the person's id and their `feed_version`, so no key is stored;
resetting it (My tasks) bumps the version and every older URL stops working. Signed
in, the session cookie is enough.

An event's UID is stable per project, step and revision, so a subscribed calendar
updates an event when its due moves and gets a new one when rework starts a revision.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from icalendar import Calendar, Event

from baton.errors import NotFound
from baton.people import Person
from baton.store.people import PeopleRepo
from starters import client
from starters.client import TaskRow
from starters.web.dashboard.render import redirect, session_form
from starters.web.deps import Services, Viewer, get_services, signed_in

router = APIRouter(include_in_schema=False)

_KEY_VERSION = b"baton-feed-v1."


def feed_key(secret: bytes, person_id: str, version: int) -> str:
    mac = hmac.new(secret, _KEY_VERSION + f"{person_id}.{version}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


async def current_key(services: Services, person_id: str) -> str | None:
    """The person's feed key now (None: no such person)."""
    version = await PeopleRepo(services.pool).feed_version(person_id)
    return None if version is None else feed_key(services.settings.secret(), person_id, version)


async def feed_url(services: Services, person_id: str) -> str:
    """The address a calendar app subscribes to, the person's current key included."""
    key = await current_key(services, person_id)
    if key is None:
        raise NotFound(f"no person '{person_id}'")
    base = services.settings.public_url.rstrip("/")
    return f"{base}/people/{quote(person_id, safe='')}/calendar.ics?key={key}"


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


async def _keyed(services: Services, person_id: str, key: str) -> Person | None:
    """The person whose current feed key `key` is, or None."""
    expected = await current_key(services, person_id)
    if expected is None or not hmac.compare_digest(expected.encode(), key.strip().encode()):
        return None
    return await PeopleRepo(services.pool).get(person_id)


@router.get("/people/{person_id}/calendar.ics")
async def calendar_feed(request: Request, person_id: str, key: str = "", token: str = ""):
    services = get_services(request)
    if token:
        return PlainTextResponse(
            "API tokens are not accepted here. Use your calendar feed URL from My tasks "
            "on the Baton dashboard: it has a key of its own.",
            status_code=401,
        )
    person = await _keyed(services, person_id, key) if key else await signed_in(request)
    if person is None and key:
        return PlainTextResponse(
            "This feed key is not valid (it may have been reset). Copy your calendar feed "
            "URL from My tasks on the Baton dashboard.",
            status_code=401,
        )
    if person is None:
        return PlainTextResponse(
            "Sign in to the dashboard, or use your calendar feed URL from My tasks.",
            status_code=401,
        )
    if person.id != person_id:
        return PlainTextResponse(f"This session is not {person_id}'s.", status_code=403)
    tasks = await client.tasks_for(services.client, person.id, services.pool)
    body = build_calendar(person, tasks, services.settings.public_url, datetime.now(UTC))
    return Response(
        body.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="baton-{person.id}.ics"'},
    )


@router.post("/tasks/calendar/reset")
async def reset_feed_key(request: Request, me: Viewer):
    """A new feed key: the old feed URL stops working at once."""
    fields = await session_form(request)
    if isinstance(fields, HTMLResponse):
        return fields
    await PeopleRepo(get_services(request).pool).bump_feed_version(me.id)
    return redirect(
        "/tasks",
        "Your calendar feed has a new address; the old one no longer works. "
        "Subscribe to the new one below.",
    )
