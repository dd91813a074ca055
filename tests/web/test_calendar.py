"""The calendar feed: one event per step waiting on the person, at its due instant."""

from datetime import UTC, datetime

from icalendar import Calendar

from baton.contract import CompleteStep
from baton.people import Person
from starters.client import TaskRow as Task
from starters.client import act
from starters.web.dashboard.calendar import build_calendar, event_uid
from tests.web.conftest import TEAM, eventually, feed_url_in, form_token


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_feed_has_each_active_step_at_its_due(site):
    project = await site.start("Calendar <post>")
    wid = project.workflow_id
    idea = project.step("idea")
    path = await feed_url(site, "sam")
    async with site.http() as anyone:
        response = await eventually(lambda: anyone.get(path), lambda r: wid.encode() in r.content)
        assert response.headers["content-type"].startswith("text/calendar")
        found = events(response.content)
        event = found[event_uid(wid, "idea", 1)]
        assert str(event["SUMMARY"]) == "Generate idea — Calendar <post>"
        assert event.decoded("DTSTART") == idea.due
        assert event.decoded("DTEND") == idea.due
        assert str(event["URL"]) == f"{site.url}/projects/{wid}"

        await act(site.services.client, wid, CompleteStep(step_id="idea", actor="sam"))
        after = await eventually(
            lambda: anyone.get(path),
            lambda r: event_uid(wid, "keywords", 1).encode() in r.content,
        )
        assert event_uid(wid, "idea", 1) not in events(after.content)


async def test_feed_needs_the_persons_own_key_or_session(site):
    sams = await feed_url(site, "sam")
    async with site.http() as anyone:
        assert (await anyone.get("/people/sam/calendar.ics")).status_code == 401
        bad = await anyone.get("/people/sam/calendar.ics", params={"key": "nope"})
        assert bad.status_code == 401 and "not valid" in bad.text
        oonas_key = (await feed_url(site, "oona")).partition("?")[2]
        other = await anyone.get(f"/people/sam/calendar.ics?{oonas_key}")
        assert other.status_code == 401  # a key opens its own person's feed only
        assert (await anyone.get(sams)).status_code == 200
    async with site.http("sam") as sam:
        own = await sam.get("/people/sam/calendar.ics")
        assert own.status_code == 200
        Calendar.from_ical(own.content)
        assert (await sam.get("/people/alice/calendar.ics")).status_code == 403


async def test_the_api_token_opens_no_feed(site):
    async with site.http() as anyone:
        response = await anyone.get(
            "/people/sam/calendar.ics", params={"token": site.tokens["sam"]}
        )
    assert response.status_code == 401
    assert "Use your calendar feed URL from My tasks" in response.text
    assert b"BEGIN:VCALENDAR" not in response.content


async def test_resetting_the_key_stops_the_old_url(site):
    old = await feed_url(site, "alice")
    async with site.http("alice") as alice:
        reset = await alice.post(
            "/tasks/calendar/reset", data={"csrf": await form_token(alice, "/tasks")}
        )
        assert reset.status_code == 303 and reset.headers["location"] == "/tasks"
        assert "the old one no longer works" in (await alice.get("/tasks")).text
    new = await feed_url(site, "alice")
    assert new != old
    async with site.http() as anyone:
        gone = await anyone.get(old)
        assert gone.status_code == 401 and "reset" in gone.text
        assert (await anyone.get(new)).status_code == 200


async def feed_url(site, person: str) -> str:
    """The feed address My tasks shows the person (path and query)."""
    async with site.http(person) as client:
        tasks = await client.get("/tasks")
    url = feed_url_in(tasks.text)
    assert url.startswith(f"{site.url}/people/{person}/calendar.ics?key=")
    return url.removeprefix(site.url)


def test_calendar_uid_is_stable_per_project_step_and_revision():
    due = datetime(2027, 6, 1, 15, tzinfo=UTC)
    task = Task(
        workflow_id="project-p",
        project="P",
        step_id="draft",
        step="Write final draft",
        kind="task",
        due=due,
        overdue=False,
        revision=2,
    )
    person = Person(id="alice", name=TEAM["alice"])
    now = datetime.now(UTC)
    first = build_calendar(person, [task], "http://b", now).to_ical()
    again = build_calendar(person, [task], "http://b", now).to_ical()
    assert list(events(first)) == list(events(again)) == ["project-p.draft.r2@baton"]
    undated = task.model_copy(update={"due": None})
    assert events(build_calendar(person, [undated], "http://b", now).to_ical()) == {}
