"""The people page: everyone in the directory by name, with how and when to reach them
(time zone, working hours and days, manager, backup, time off), the active steps
waiting on them, and their load per week; admins import the directory here, read as
`baton people import FILE` reads it (all or nothing).

The load per week counts, for each of the next `LOAD_WEEKS` ISO weeks (UTC, as the
report's crowded weeks do, with the same `dues_per_week`), a person's dues that week:
the active steps waiting on them, and the steps still to come that they own (waiting on
earlier steps; not ruled out by a condition), each by the due of its project's plan. A
week with `CROWDED_WEEK_DUES` or more is crowded, as in the report."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from baton.contract import ProjectStatus, StepStatus
from baton.errors import Unavailable
from baton.insight.report import CROWDED_WEEK_DUES, dues_per_week, iso_week
from baton.people import Person, TimeOff
from baton.people_import import COLUMNS, PeopleFileError, parse_people_bytes
from baton.schedule import zone
from baton.store.people import PeopleRepo
from starters import client
from starters.web.dashboard.render import error_page, page, redirect, session_upload
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

LOAD_WEEKS = 8
MAX_UPLOAD_BYTES = 1024 * 1024  # a directory of thousands of people fits well within
FORM_OVERHEAD = 16 * 1024  # the multipart framing and the CSRF field around the file
DRAIN_MAX = 32 * 1024 * 1024  # an oversized body read (and dropped) before the answer
SEARCH_MAX = 100
NAMES_IN_FLASH = 20


@dataclass(frozen=True)
class OnStep:
    """A step of a person's, in one project: active (waiting on them) or still to come
    (they own it)."""

    workflow_id: str
    project: str
    step_id: str
    step: str
    due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class Week:
    """One ISO week of a person's load: how many of their steps are due in it."""

    label: str  # "2026-W23"
    monday: date
    dues: int

    @property
    def crowded(self) -> bool:
        return self.dues >= CROWDED_WEEK_DUES


@dataclass(frozen=True)
class Card:
    """What the page shows of one person."""

    person: Person
    admin: bool
    local_now: datetime  # the time where they are
    away: TimeOff | None  # the time off they are on today (their today)
    time_off_ahead: list[TimeOff]
    active: list[OnStep]
    coming: list[OnStep]
    weeks: list[Week]
    earlier: int  # dues before the first week shown (overdue by now)
    later: int  # dues after the last week shown


# ---------------------------------------------------------------- the page


@router.get("/people", response_class=HTMLResponse)
async def people(request: Request, me: Viewer, q: str = ""):
    return await people_page(request, me, q)


async def people_page(
    request: Request,
    me: Person,
    q: str = "",
    status_code: int = 200,
    problems: Iterable[str] = (),
    source: str = "",
) -> HTMLResponse:
    """The page; `problems` (of the file `source`) are an import's, shown at the top."""
    services = get_services(request)
    repo = PeopleRepo(services.pool)
    everyone = await repo.list()
    admins = await repo.admin_ids()
    statuses, unavailable = await _active_projects(request)
    now = datetime.now(UTC)
    q = q.strip()[:SEARCH_MAX]
    shown = sorted(
        (person for person in everyone if _matches(person, q)),
        key=lambda person: (person.display_name.casefold(), person.id),
    )
    active = steps_by_person(statuses, active_people)
    coming = steps_by_person(statuses, coming_people)
    counts = dues_per_week(
        (who, step.due)
        for current in statuses
        for step in current.steps
        if step.due and (who := active_people(step) or coming_people(step))
    )
    window = week_window(now.date())
    cards = [
        _card(person, person.id in admins, now, active, coming, counts, window) for person in shown
    ]
    return page(
        request,
        "people.html",
        status_code,
        cards=cards,
        total=len(everyone),
        by_id={person.id: person for person in everyone},
        q=q,
        is_admin=me.id in admins,
        problems=list(problems),
        source=source,
        unavailable=unavailable,
        crowded_at=CROWDED_WEEK_DUES,
        load_weeks=LOAD_WEEKS,
        max_upload=_size(MAX_UPLOAD_BYTES),
        columns=COLUMNS,
    )


async def _active_projects(request: Request) -> tuple[list[ProjectStatus], str | None]:
    """Every active project's status (one listing for all), or why there are none: the
    directory still shows when Temporal cannot answer."""
    try:
        return await client.active_statuses(get_services(request).client), None
    except Unavailable as error:
        return [], error.message


def _matches(person: Person, q: str) -> bool:
    wanted = q.casefold()
    return not wanted or wanted in person.display_name.casefold() or wanted in person.id.casefold()


def active_people(step: StepStatus) -> list[str]:
    """Who an active step waits on (an approval: the approvers yet to review)."""
    return step.waiting_on if step.state == "active" else []


def coming_people(step: StepStatus) -> list[str]:
    """Who owns a step still to come (one a condition has ruled out is nobody's)."""
    return step.owners if step.state == "waiting" and step.wont_run is None else []


def steps_by_person(
    statuses: Iterable[ProjectStatus], people_of: Callable[[StepStatus], list[str]]
) -> dict[str, list[OnStep]]:
    """Each person's steps among the projects' (those `people_of` names them on),
    overdue first, then by due."""
    found: dict[str, list[OnStep]] = defaultdict(list)
    for current in statuses:
        for step in current.steps:
            for person in dict.fromkeys(people_of(step)):
                found[person].append(
                    OnStep(
                        workflow_id=current.workflow_id,
                        project=current.name,
                        step_id=step.id,
                        step=step.name,
                        due=step.due,
                        overdue=step.overdue,
                    )
                )
    far = datetime.max.replace(tzinfo=UTC)
    for steps in found.values():
        steps.sort(key=lambda s: (not s.overdue, s.due or far, s.project, s.step_id))
    return found


def week_window(today: date) -> list[tuple[str, date]]:
    """The ISO weeks (label, Monday) of the load: this week (UTC) and the next ones."""
    monday = today - timedelta(days=today.weekday())
    mondays = [monday + timedelta(weeks=n) for n in range(LOAD_WEEKS)]
    return [(iso_week(datetime.combine(day, time(12), UTC)), day) for day in mondays]


def _card(
    person: Person,
    admin: bool,
    now: datetime,
    active: dict[str, list[OnStep]],
    coming: dict[str, list[OnStep]],
    counts: dict[tuple[str, str], int],
    window: list[tuple[str, date]],
) -> Card:
    local_now = now.astimezone(zone(person.timezone))
    today = local_now.date()
    mine = {week: n for (who, week), n in counts.items() if who == person.id}
    first, last = window[0][0], window[-1][0]  # "YYYY-Www" labels sort as the weeks do
    return Card(
        person=person,
        admin=admin,
        local_now=local_now,
        away=next((off for off in person.time_off if off.start <= today <= off.end), None),
        time_off_ahead=sorted(
            (off for off in person.time_off if off.start > today), key=lambda off: off.start
        ),
        active=active.get(person.id, []),
        coming=coming.get(person.id, []),
        weeks=[Week(label, monday, mine.get(label, 0)) for label, monday in window],
        earlier=sum(n for week, n in mine.items() if week < first),
        later=sum(n for week, n in mine.items() if week > last),
    )


# ---------------------------------------------------------------- the import (admins)


@router.post("/people/import")
async def import_people(request: Request, me: Viewer):
    """The import form (admins): the same reading as `baton people import FILE`, all or
    nothing; its problems are listed on the page (422), each with its line and field."""
    declared = _declared_size(request)
    if declared is not None and declared > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
        await _drain(request)  # the browser shows the answer only once it has sent it all
        return await _too_big(request, me)
    form = await session_upload(request)
    if isinstance(form, HTMLResponse):
        return form
    try:
        return await _import_from(request, me, form)
    finally:
        await form.close()


async def _import_from(request: Request, me: Person, form: FormData) -> HTMLResponse:
    repo = PeopleRepo(get_services(request).pool)
    if not await repo.is_admin(me.id):
        return error_page(
            request,
            403,
            "Only admins import people",
            f"{me.id} is not an admin; nothing was imported.",
            "Ask an admin to import the people file.",
        )
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await people_page(request, me, status_code=422, problems=["choose a file first"])
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return await _too_big(request, me)
    name = _file_name(upload.filename)
    try:  # a manager or backup may be someone already in the directory
        entries = parse_people_bytes(data, name, await repo.ids())
    except PeopleFileError as error:
        problems = [str(problem) for problem in error.problems]
        return await people_page(request, me, status_code=422, problems=problems, source=name)
    admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}
    await repo.replace_all_or_nothing([e.person for e in entries], admins)
    return redirect("/people", _imported(name, [e.person for e in entries]))


def _imported(name: str, people: list[Person]) -> str:
    """What `baton people import` says, and who they are."""
    names = sorted((person.display_name for person in people), key=str.casefold)
    shown = ", ".join(names[:NAMES_IN_FLASH])
    if len(names) > NAMES_IN_FLASH:
        shown += f" and {len(names) - NAMES_IN_FLASH} more"
    return f"Imported {len(people)} people from {name}: {shown}."


def _file_name(filename: str) -> str:
    """The uploaded file's own name (a browser may send a whole path), as problems name
    it; its suffix says YAML or CSV."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"


def _declared_size(request: Request) -> int | None:
    try:
        return int(request.headers.get("content-length", ""))
    except ValueError:
        return None


async def _drain(request: Request) -> None:
    """Read an oversized body without keeping it (up to DRAIN_MAX; past that the
    connection just ends)."""
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > DRAIN_MAX:
            break


async def _too_big(request: Request, me: Person) -> HTMLResponse:
    limit = _size(MAX_UPLOAD_BYTES)
    problem = f"the file is larger than {limit}; nothing was imported (the limit is {limit})"
    return await people_page(request, me, status_code=413, problems=[problem])


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count // 1024} KB"
