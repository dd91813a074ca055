"""The portfolio: every project as a card a manager reads at a glance (launch, progress,
health, the steps it waits on and whose), for the projects board, the launch calendar
and any page that looks across projects.

Open projects come from the PostgreSQL project index (facts, progress, the steps they
wait on, the latest forecast), checked against Temporal's visibility by a count
(`index_check`), whatever their number; a project the index does not hold since its
start (started before it indexed steps) is asked for its status instead. Closed ones
come from visibility combined with the index: a project that has ended is not asked.
The rest is pure: the health rule, the order and the board's filters, each testable
alone; the launch calendar's month is `starters.client.launch_calendar`."""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Literal

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from temporalio.client import Client

from baton.contract import ProjectStatus, StepStatus
from baton.errors import Invalid, NotFound
from baton.playbook import Playbook
from baton.schedule import zone
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.store.project_steps import (
    IndexedProject,
    open_projects,
    p_on_time_of,
    unindexed_open,
)
from baton.store.projects import ProjectRepo
from baton.store.projects import ProjectRow as IndexRow
from baton.store.step_runs import latest_forecasts
from starters.client.index_check import which_open
from starters.client.projects import ProjectRow, list_projects, statuses_of, visibility_query

STATES = ("active", "any", "completed", "cancelled")  # what the board's state filter takes
CLOSED = ("completed", "cancelled", "failed", "terminated")
DEFAULT_RISK_ALERT = Playbook.model_fields["risk_alert"].default


class WaitingStep(BaseModel):
    """An active step of a project: whom it waits on (ids and names) and its due."""

    step_id: str
    name: str
    people: list[str]
    names: list[str]
    due: datetime | None = None
    overdue: bool = False


class ProjectCard(BaseModel):
    """One project as the board shows it. `steps_done`/`steps_total` are None for a
    closed project (its status is not asked); `health` is late, at-risk, on-track,
    no-forecast, or the closed project's end state."""

    workflow_id: str
    name: str
    playbook: str | None = None
    playbook_name: str | None = None
    launch: str = "launch date"  # what the launch date means ("publish date")
    launch_date: date | None = None
    timezone: str = "UTC"
    state: str
    project_manager: str | None = None
    project_manager_name: str | None = None
    steps_done: int | None = None
    steps_total: int | None = None
    waiting: list[WaitingStep] = []
    p_on_time: float | None = None
    risk_alert: float | None = None
    health: str

    @property
    def overdue(self) -> bool:
        return any(step.overdue for step in self.waiting)

    @property
    def owners(self) -> set[str]:
        """Everyone an active step waits on."""
        return {person for step in self.waiting for person in step.people}

    @property
    def health_label(self) -> str:
        return health_label(self.health, self.p_on_time)


# -- the pure parts


def health(
    state: str,
    overdue: bool,
    launch_date: date | None,
    today: date,
    p_on_time: float | None,
    risk_alert: float,
) -> str:
    """A project's health: its end state once closed; `late` when an active step is
    overdue or the launch date has passed; `at-risk` when the latest forecast's chance
    of finishing on time is below the playbook's `risk_alert`; else `on-track` (or
    `no-forecast` before the first forecast)."""
    if state != "active":
        return state
    if overdue or (launch_date is not None and launch_date < today):
        return "late"
    if p_on_time is None:
        return "no-forecast"
    return "at-risk" if p_on_time < risk_alert else "on-track"


def percent(p: float) -> str:
    """A chance as a whole percent, rounded down: 0.699 is 69%, never the 70% a
    risk_alert of 0.7 would call on track."""
    return f"{int(p * 100 + 1e-9)}%"


def health_label(value: str, p_on_time: float | None) -> str:
    """What the health badge says: "late", "at risk 62%", "on track 91%", "completed"."""
    if value in ("at-risk", "on-track") and p_on_time is not None:
        return f"{value.replace('-', ' ')} {percent(p_on_time)}"
    return {"no-forecast": "no forecast yet"}.get(value, value.replace("-", " "))


def progress(steps: Iterable[StepStatus]) -> tuple[int, int]:
    """(done, total) of the steps that will run: done or skipped counts as done; a step
    whose condition turned out false (`wont_run`) does not count at all."""
    running = [step for step in steps if not step.wont_run]
    return sum(step.state in ("done", "skipped") for step in running), len(running)


def is_overdue(step: StepStatus, now: datetime) -> bool:
    """An active step past its due (nothing wakes the workflow to mark it: readers
    derive it)."""
    late = step.overdue or (step.due is not None and step.due <= now)
    return step.state == "active" and late


def waiting_steps(
    current: ProjectStatus, names: Mapping[str, str], now: datetime
) -> list[WaitingStep]:
    """The project's active steps, with the names of whom each waits on."""
    return [
        WaitingStep(
            step_id=step.id,
            name=step.name,
            people=step.waiting_on,
            names=[names.get(person, person) for person in step.waiting_on],
            due=step.due,
            overdue=is_overdue(step, now),
        )
        for step in current.steps
        if step.state == "active" and current.state == "active"
    ]


def card_of_status(
    current: ProjectStatus,
    names: Mapping[str, str],
    risk_alert: float,
    now: datetime,
    stored_p_on_time: float | None = None,
) -> ProjectCard:
    """An active project's card from its status (the forecast it carries, else the one
    stored with its effects)."""
    waiting = waiting_steps(current, names, now)
    done, total = progress(current.steps)
    p_on_time = current.p_on_time if current.p_on_time is not None else stored_p_on_time
    today = now.astimezone(zone(current.timezone)).date()
    return ProjectCard(
        workflow_id=current.workflow_id,
        name=current.name,
        playbook=current.playbook,
        playbook_name=current.playbook_name,
        launch=current.launch,
        launch_date=current.launch_date,
        timezone=current.timezone,
        state=current.state,
        project_manager=current.project_manager,
        project_manager_name=names.get(current.project_manager, current.project_manager),
        steps_done=done,
        steps_total=total,
        waiting=waiting,
        p_on_time=p_on_time,
        risk_alert=risk_alert,
        health=health(
            current.state,
            any(step.overdue for step in waiting),
            current.launch_date,
            today,
            p_on_time,
            risk_alert,
        ),
    )


def card_of_index(
    project: IndexedProject,
    names: Mapping[str, str],
    playbook: Playbook | None,
    now: datetime,
) -> ProjectCard:
    """An open project's card from the project index (its playbook version for the
    wording and the risk alert; the defaults when that version is gone)."""
    waiting = [
        WaitingStep(
            step_id=step.step_id,
            name=step.name,
            people=step.waiting_on,
            names=[names.get(person, person) for person in step.waiting_on],
            due=step.due,
            overdue=step.overdue(now),
        )
        for step in project.active
        if project.state == "active"
    ]
    risk_alert = playbook.risk_alert if playbook else DEFAULT_RISK_ALERT
    today = now.astimezone(zone(project.timezone)).date()
    return ProjectCard(
        workflow_id=project.workflow_id,
        name=project.name,
        playbook=project.playbook_id,
        playbook_name=playbook.name if playbook else project.playbook_id,
        launch=playbook.launch if playbook else "launch date",
        launch_date=project.launch_date,
        timezone=project.timezone,
        state=project.state,
        project_manager=project.project_manager,
        project_manager_name=names.get(project.project_manager, project.project_manager),
        steps_done=project.steps_done,
        steps_total=project.steps_total,
        waiting=waiting,
        p_on_time=project.p_on_time,
        risk_alert=risk_alert,
        health=health(
            project.state,
            any(step.overdue for step in waiting),
            project.launch_date,
            today,
            project.p_on_time,
            risk_alert,
        ),
    )


def card_of_row(
    row: ProjectRow,
    indexed: IndexRow | None,
    names: Mapping[str, str],
    playbooks: Mapping[str, Playbook],
) -> ProjectCard:
    """A closed project's card from its visibility row and its index row (if any); its
    playbook's name and launch wording from the latest version."""
    playbook = row.playbook or (indexed.playbook_id if indexed else None)
    definition = playbooks.get(playbook or "")
    manager = indexed.project_manager if indexed else None
    state = row.state or (indexed.state if indexed else "unknown")
    return ProjectCard(
        workflow_id=row.workflow_id,
        name=row.name or (indexed.name if indexed else row.workflow_id),
        playbook=playbook,
        playbook_name=definition.name if definition else playbook,
        launch=definition.launch if definition else "launch date",
        launch_date=indexed.launch_date if indexed else None,
        timezone=row.timezone or (indexed.timezone if indexed else "UTC"),
        state=state,
        project_manager=manager,
        project_manager_name=names.get(manager, manager) if manager else None,
        health=state,
    )


def sort_cards(cards: Iterable[ProjectCard]) -> list[ProjectCard]:
    """Soonest launch first, those without a launch date last; then by name."""
    return sorted(
        cards,
        key=lambda card: (
            card.launch_date is None,
            card.launch_date or date.max,
            card.name.casefold(),
            card.workflow_id,
        ),
    )


def relative_day(day: date, today: date) -> str:
    """ "today", "tomorrow", "in 12 days", "yesterday", "3 days ago"."""
    days = (day - today).days
    if days in (-1, 0, 1):
        return {-1: "yesterday", 0: "today", 1: "tomorrow"}[days]
    return f"in {days} days" if days > 0 else f"{-days} days ago"


# -- the board's filters

FLAG_VALUES = {"": False, "0": False, "off": False, "false": False, "no": False,
               "1": True, "on": True, "true": True, "yes": True}  # fmt: skip
Q_MAX = 200


class BoardFilters(BaseModel):
    state: Literal["active", "any", "completed", "cancelled"] = "active"
    playbook: str = ""
    owner: str = ""  # a person some active step waits on
    overdue: bool = False
    at_risk: bool = False  # at risk or late
    q: str = ""  # part of the name, any case

    @property
    def narrowed(self) -> bool:
        """Whether anything but the defaults is asked for."""
        return self != BoardFilters()


def board_filters(params: Mapping[str, str]) -> BoardFilters:
    """The board's query parameters read, or `Invalid` naming the one that cannot be."""
    state = (params.get("state") or "active").strip().lower()
    if state not in STATES:
        raise Invalid(f"unknown state '{state[:40]}'; one of: {', '.join(STATES)}", field="state")
    flags = {}
    for name in ("overdue", "at_risk"):
        raw = (params.get(name) or "").strip().lower()
        if raw not in FLAG_VALUES:
            raise Invalid(f"{name} is a checkbox: on or off, not '{raw[:40]}'", field=name)
        flags[name] = FLAG_VALUES[raw]
    return BoardFilters(
        state=state,
        playbook=(params.get("playbook") or "").strip(),
        owner=(params.get("owner") or "").strip(),
        q=(params.get("q") or "").strip()[:Q_MAX],
        **flags,
    )


def check_known(filters: BoardFilters, playbooks: Iterable[str], people: Iterable[str]) -> None:
    """`Invalid` when the filters name a playbook or a person Baton does not know."""
    if filters.playbook and filters.playbook not in set(playbooks):
        raise Invalid(
            f"no playbook '{filters.playbook[:60]}' is published; pick one from the list",
            field="playbook",
        )
    if filters.owner and filters.owner not in set(people):
        raise Invalid(
            f"no person '{filters.owner[:60]}' in the directory; pick one from the list",
            field="owner",
        )


def matches(card: ProjectCard, filters: BoardFilters) -> bool:
    return (
        filters.state in ("any", card.state)
        and (not filters.playbook or card.playbook == filters.playbook)
        and (not filters.owner or filters.owner in card.owners)
        and (not filters.overdue or card.overdue)
        and (not filters.at_risk or card.health in ("at-risk", "late"))
        and (not filters.q or filters.q.casefold() in card.name.casefold())
    )


# -- the data


async def portfolio(
    client: Client,
    pool: AsyncConnectionPool,
    state: str = "active",
    now: datetime | None = None,
) -> list[ProjectCard]:
    """Every project in `state` (active, completed, cancelled, or any: failed and
    terminated ones too) as a card, soonest launch first."""
    if state not in STATES:
        raise Invalid(f"unknown state '{state}'; one of: {', '.join(STATES)}", field="state")
    now = now or datetime.now(UTC)
    names = {person.id: person.display_name for person in await PeopleRepo(pool).list()}
    cards: list[ProjectCard] = []
    if state in ("active", "any"):
        cards += await _active_cards(client, pool, names, now)
    if state != "active":
        cards += await _closed_cards(client, pool, state, names, {c.workflow_id for c in cards})
    return sort_cards(card for card in cards if state in ("any", card.state))


async def _active_cards(
    client: Client, pool: AsyncConnectionPool, names: Mapping[str, str], now: datetime
) -> list[ProjectCard]:
    indexed = await open_projects(pool)
    held = {project.workflow_id for project in indexed}
    unindexed = await unindexed_open(pool)
    found = await which_open(client, pool, visibility_query(state="active"), held, unindexed)
    indexed = [project for project in indexed if project.workflow_id in found.indexed]
    statuses = await statuses_of(client, found.asked)
    versions = {(p.playbook_id, p.playbook_version) for p in indexed}
    versions |= {(s.playbook, s.playbook_version) for s in statuses}
    playbooks = await _playbooks(pool, versions)
    cards = [
        card_of_index(p, names, playbooks[(p.playbook_id, p.playbook_version)], now)
        for p in indexed
    ]
    unforecast = [s.workflow_id for s in statuses if s.p_on_time is None]
    stored = await latest_forecasts(pool, unforecast) if unforecast else {}
    for current in statuses:
        playbook = playbooks[(current.playbook, current.playbook_version)]
        alert = playbook.risk_alert if playbook else DEFAULT_RISK_ALERT
        forecast = p_on_time_of(stored.get(current.workflow_id))
        cards.append(card_of_status(current, names, alert, now, forecast))
    return cards


async def _closed_cards(
    client: Client,
    pool: AsyncConnectionPool,
    state: str,
    names: Mapping[str, str],
    seen: set[str],
) -> list[ProjectCard]:
    """Projects that have ended, without asking them: visibility says which, and the
    index what they were."""
    query = visibility_query(state=None if state == "any" else state)
    rows = [row for row in await list_projects(client, query)
            if row.state in CLOSED and row.workflow_id not in seen]  # fmt: skip
    if not rows:
        return []
    index = {row.workflow_id: row for row in await ProjectRepo(pool).list()}
    playbooks = await PlaybookRepo(pool).latest()
    return [card_of_row(row, index.get(row.workflow_id), names, playbooks) for row in rows]


async def _playbooks(
    pool: AsyncConnectionPool, versions: set[tuple[str, int | None]]
) -> dict[tuple[str, int | None], Playbook | None]:
    """Each playbook version (None for one gone from the store): a few, parsed once."""
    repo = PlaybookRepo(pool)
    found: dict[tuple[str, int | None], Playbook | None] = {}
    for playbook_id, version in versions:
        try:
            found[(playbook_id, version)], _ = await repo.get(playbook_id, version)
        except NotFound:
            found[(playbook_id, version)] = None
    return found
