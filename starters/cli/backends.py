"""How the CLI reaches Baton, one interface two ways:

- `Direct`: Temporal and PostgreSQL themselves. For operators (trusted, like the
  Temporal Web UI): `--as` (or BATON_USER) says who acts.
- `ViaApi`: the HTTP API with a person's token, after `baton login`. For team members:
  the token decides who acts, so `--as` is refused, and the API's rules apply.

Each command is written once against this interface; `backend()` picks the way."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from baton.config import Settings, private_dir, private_file
from baton.contract import (
    ActionResult,
    CancelProject,
    ChooseOption,
    Command,
    CompleteStep,
    ProjectStatus,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
    workflow_id_of,
)
from baton.errors import BatonError, Invalid, NotFound, Refused, Unavailable
from baton.people import Person, named_by
from baton.recurring import RecurringSpec, schedule_id_for
from baton.store.outbox import InboxMessage, OutboxRepo, OutboxRow
from baton.store.people import PeopleRepo
from baton.store.schedule_actions import ScheduleAction, ScheduleActions
from starters import client
from starters.cli.connections import with_client, with_client_and_store, with_store
from starters.client import ProjectRow, ScheduleRow, TaskRow

if TYPE_CHECKING:  # what only some commands need comes with them
    import httpx

    from activities.postgres import PostgresCatalog
    from starters.client.insight import UpcomingStep

T = TypeVar("T")
OPERATOR = "operator"  # who an unnamed direct change is recorded as


class Direct:
    """Temporal and PostgreSQL themselves (operators)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def who(self, given: str | None) -> str | None:
        """Who acts, where known: an operator says so with --as (or not)."""
        return given

    def actor(self, given: str | None) -> str:
        if not given:
            raise Invalid("say who you are with --as PERSON (or BATON_USER)", field="--as")
        return given

    def viewer_zone(self, given: str | None) -> str | None:
        """The time zone of who is looking (--as or BATON_USER), from the people
        directory (UTC for someone not in it); None when nobody is named."""
        if not given:
            return None
        person = with_store(lambda pool: PeopleRepo(pool).get(given))
        return person.timezone if person else "UTC"

    def start(self, request: StartProject) -> ProjectStatus:
        # Refused before Temporal is contacted, so the reason shows even when it is down.
        with_store(lambda pool: client.check_start_request(_catalog(pool), request))
        queue = self.settings.task_queue
        return with_client(lambda temporal: client.start_and_wait(temporal, request, queue))

    def act(self, project: str, command: Command) -> ActionResult:
        wid = workflow_id_of(project)
        if named_by(command):  # someone joins (a reassignment): known, before Temporal
            with_store(lambda pool: client.check_action_request(_catalog(pool), command))
        return with_client(lambda temporal: client.act(temporal, wid, command))

    def status(self, project: str) -> ProjectStatus:
        return with_client(lambda temporal: client.status(temporal, workflow_id_of(project)))

    def projects(self, **filters: Any) -> list[ProjectRow]:
        query = client.visibility_query(**filters)
        return with_client(lambda temporal: client.list_projects(temporal, query))

    def tasks(self, person: str | None) -> list[TaskRow]:
        who = _whose(person, "tasks")
        return with_client_and_store(lambda temporal, pool: client.tasks_for(temporal, who, pool))

    def upcoming(self, person: str | None) -> list[UpcomingStep]:
        from starters.client.insight import upcoming_for

        who = _whose(person, "tasks")
        return with_store(lambda pool: upcoming_for(pool, who))

    def inbox(self, person: str | None, unread: bool) -> list[OutboxRow]:
        who = _whose(person, "inbox")

        # every column, as `inbox --json` has always shown
        return with_store(lambda pool: OutboxRepo(pool).read(who, unread_only=unread))

    def create_schedule(
        self, spec: RecurringSpec, every: str | None, cron: str | None, actor: str | None
    ) -> ScheduleRow:
        with_store(lambda pool: client.check_schedule_request(_catalog(pool), spec))
        queue, who = self.settings.task_queue, actor or OPERATOR
        row = with_client(
            lambda temporal: client.create_schedule(
                temporal, spec, task_queue=queue, every=every, cron=cron, created_by=who
            )
        )
        self._record(row.schedule_id, "create", who, None)
        return row

    def schedules(self) -> list[ScheduleRow]:
        return with_client(client.list_schedules)

    def change_schedule(
        self, action: ScheduleAction, schedule: str, note: str | None, actor: str | None
    ) -> ScheduleRow | None:
        operation: Callable[..., Awaitable[Any]] = {
            "pause": lambda temporal: client.pause_schedule(temporal, schedule, note),
            "resume": lambda temporal: client.resume_schedule(temporal, schedule, note),
            "trigger": lambda temporal: client.trigger_schedule(temporal, schedule),
            "delete": lambda temporal: client.delete_schedule(temporal, schedule),
        }[action]
        row = with_client(operation)
        self._record(schedule_id_for(schedule), action, actor or OPERATOR, note)
        return row

    def _record(self, schedule_id: str, action: ScheduleAction, actor: str, note) -> None:
        with_store(lambda pool: ScheduleActions(pool).record(schedule_id, action, actor, note))


class Login(BaseModel):
    """What `baton login` keeps: where the API is and the person's token."""

    url: str
    token: str
    person: str


class ViaApi:
    """The HTTP API with a person's token (team members)."""

    def __init__(self, login: Login):
        import httpx

        self.login = login
        self.http = httpx.Client(
            base_url=login.url.rstrip("/") + "/api",
            headers={"Authorization": f"Bearer {login.token}"},
            timeout=60,
        )

    def who(self, given: str | None) -> str:
        return self.actor(given)

    def actor(self, given: str | None) -> str:
        if given and given != self.login.person:
            raise Refused(
                f"you are signed in as {self.login.person} (`baton login`): the token decides "
                "who acts, so --as and BATON_USER are not taken; `baton logout` to act "
                "directly as an operator"
            )
        return self.login.person

    def viewer_zone(self, given: str | None) -> str:
        """The signed-in person's time zone, as the people directory has it."""
        self.actor(given)  # another --as is refused, as for an action
        return Person.model_validate(self.call("GET", "/me")["person"]).timezone

    def start(self, request: StartProject) -> ProjectStatus:
        body = request.model_dump(mode="json", exclude_none=True)
        return ProjectStatus.model_validate(self.call("POST", "/projects", json=body))

    def act(self, project: str, command: Command) -> ActionResult:
        path, body = _route(command)
        return ActionResult.model_validate(
            self.call("POST", f"/projects/{workflow_id_of(project)}{path}", json=body)
        )

    def status(self, project: str) -> ProjectStatus:
        return ProjectStatus.model_validate(
            self.call("GET", f"/projects/{workflow_id_of(project)}")
        )

    def projects(self, **filters: Any) -> list[ProjectRow]:
        query = {k: v for k, v in filters.items() if v not in (None, False)}
        return [ProjectRow.model_validate(r) for r in self.call("GET", "/projects", params=query)]

    def tasks(self, person: str | None) -> list[TaskRow]:
        path = "/me/tasks" if person in (None, self.login.person) else f"/people/{person}/tasks"
        return [TaskRow.model_validate(row) for row in self.call("GET", path)]

    def upcoming(self, person: str | None) -> list[UpcomingStep]:
        from starters.client.insight import UpcomingStep

        path = f"/people/{person or self.login.person}/upcoming"
        return [UpcomingStep.model_validate(row) for row in self.call("GET", path)]

    def inbox(self, person: str | None, unread: bool) -> list[InboxMessage]:
        if person not in (None, self.login.person):
            raise Refused(
                f"signed in as {self.login.person}, you read your own mailbox: `baton inbox`"
            )
        rows = self.call("GET", "/me/inbox", params={"unread": unread})
        return [InboxMessage.model_validate(row) for row in rows]

    def create_schedule(
        self, spec: RecurringSpec, every: str | None, cron: str | None, actor: str | None
    ) -> ScheduleRow:
        self.actor(actor)
        body = {"spec": spec.model_dump(mode="json"), "every": every, "cron": cron}
        return ScheduleRow.model_validate(self.call("POST", "/schedules", json=body))

    def schedules(self) -> list[ScheduleRow]:
        return [ScheduleRow.model_validate(row) for row in self.call("GET", "/schedules")]

    def change_schedule(
        self, action: ScheduleAction, schedule: str, note: str | None, actor: str | None
    ) -> ScheduleRow | None:
        self.actor(actor)
        path = f"/schedules/{schedule_id_for(schedule)}"
        if action == "delete":
            self.call("DELETE", path)
            return None
        body = {"note": note} if action in ("pause", "resume") else None
        return ScheduleRow.model_validate(self.call("POST", f"{path}/{action}", json=body))

    def call(self, method: str, path: str, **options: Any) -> Any:
        import httpx

        try:
            response = self.http.request(method, path, **options)
        except httpx.HTTPError as error:
            raise Unavailable(
                f"cannot reach the Baton API at {self.login.url} ({error}); is it running? "
                "(`baton login` again to change the address)"
            ) from None
        if response.is_success:
            return response.json() if response.content else None
        raise _error(response)


def _catalog(pool) -> PostgresCatalog:
    """The store's playbooks and people, for the checks before an action is sent."""
    from activities.postgres import PostgresCatalog

    return PostgresCatalog(pool)


def _whose(person: str | None, command: str) -> str:
    if not person:
        raise Invalid(f"say whose: `baton {command} PERSON` (or `baton login` to mean yours)")
    return person


def _route(command: Command) -> tuple[str, dict]:
    """Where the API takes an action, and its body (the actor is the token's person)."""
    body = command.model_dump(mode="json", exclude={"action", "actor", "step_id"})
    if isinstance(command, CompleteStep | ReviewStep | ChooseOption | ReassignStep):
        verb = {CompleteStep: "complete", ReviewStep: "review", ChooseOption: "choose",
                ReassignStep: "reassign"}[type(command)]  # fmt: skip
        return f"/steps/{command.step_id}/{verb}", body
    if isinstance(command, Reschedule):
        return "/reschedule", body
    assert isinstance(command, CancelProject)
    return "/cancel", body


def _error(response: httpx.Response) -> BatonError:
    """The API's answer as the error kind it stands for."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):  # FastAPI's located problems
        detail = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', [])[1:])}: {item.get('msg')}"
            for item in detail
        )
    message = str(detail or response.reason_phrase)
    code = response.status_code
    if code == 401:
        return Refused(f"{message} (`baton login` with a new token)")
    if code == 404:
        return NotFound(message)
    if code == 422:
        return Invalid(message)
    if code in (502, 503, 504):
        return Unavailable(message)
    return Refused(message)  # 403, 409: a rule said no


def login_file(settings: Settings) -> Path:
    return settings.home / "login.json"


def save_login(settings: Settings, login: Login) -> Path:
    """Keep the login readable by its owner only."""
    path = login_file(settings)
    private_dir(path.parent)
    with private_file(path) as file:
        json.dump(login.model_dump(), file)
    return path


def backend(settings: Settings | None = None) -> Direct | ViaApi:
    """Through the API when `baton login` was run, else directly."""
    settings = settings or Settings()
    path = login_file(settings)
    if path.exists():
        try:
            return ViaApi(Login.model_validate_json(path.read_text()))
        except ValueError:
            raise Invalid(
                f"{path} is not a login Baton can read; run `baton login` again"
            ) from None
    return Direct(settings)
