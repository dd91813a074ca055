"""The demo `make run` sets up: a small team with API tokens, and one blog post."""

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from baton import wording
from baton.contract import ProjectStatus, StartProject
from baton.errors import BatonError
from baton.people import Person
from baton.state import closed_reason
from baton.store.people import PeopleRepo
from baton.tokens import hash_token, new_token
from baton.wording import action_command
from starters import client

TEAM = [
    Person(id="pat", name="Pat Park", email="pat@example.com", timezone="UTC"),
    Person(id="sam", name="Sam Silva", email="sam@example.com", timezone="Europe/Berlin"),
    Person(
        id="alice",
        name="Alice Adams",
        email="alice@example.com",
        timezone="America/New_York",
        working_hours="08:00-16:00",
    ),
    Person(id="dana", name="Dana Diaz", email="dana@example.com", timezone="Europe/Lisbon"),
    Person(id="sol", name="Sol Santos", email="sol@example.com", timezone="America/Sao_Paulo"),
    Person(id="stu", name="Stu Stone", email="stu@example.com", timezone="UTC"),
]
ADMINS = {"pat"}
PROJECT_SLUG = "demo-spring-launch-post"


def demo_request(today) -> StartProject:
    return StartProject(
        playbook="blog-post",
        name="Demo: Spring launch post",
        slug=PROJECT_SLUG,
        launch_date=today + timedelta(days=35),
        timezone="Europe/Berlin",
        assignments={
            "strategist": "sam",
            "seo": "sam",
            "writer": "alice",
            "designer": "dana",
            "social": "sol",
            "stakeholder": "stu",
        },
        project_manager="pat",
    )


async def ensure_team(pool: AsyncConnectionPool, home: Path) -> dict[str, str]:
    """Import the demo team and give each person an API token, kept (readable by the
    owner only) in the Baton home so a second `make run` prints the same tokens."""
    repo = PeopleRepo(pool)
    await repo.replace_all_or_nothing(TEAM, {p.id: p.id in ADMINS for p in TEAM})
    path = home / "demo-tokens.json"
    tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for person in TEAM:
        token = tokens.get(person.id)
        if token is None or await repo.by_token_hash(hash_token(token)) is None:
            token, digest = new_token()
            await repo.set_token_hash(person.id, digest)
            tokens[person.id] = token
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(tokens, file, indent=2)
    return tokens


class DemoProject(BaseModel):
    workflow_id: str
    started: bool  # now, by this run (else kept from an earlier one)
    status: ProjectStatus | None = None  # None: it cannot answer (`problem` says why)
    problem: str | None = None


async def ensure_project(temporal: Client, task_queue: str) -> DemoProject:
    """Start the demo project unless it was started before, and read where it is."""
    request = demo_request(datetime.now(UTC).date())
    try:
        await temporal.get_workflow_handle(request.workflow_id).describe()
        started = False
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        await client.start_and_wait(temporal, request, task_queue)
        await _until_listed(temporal, request.workflow_id)
        started = True
    try:
        current = await client.status(temporal, request.workflow_id)
    except BatonError as error:  # e.g. terminated by hand in the Temporal UI
        return DemoProject(workflow_id=request.workflow_id, started=started, problem=str(error))
    return DemoProject(workflow_id=request.workflow_id, started=started, status=current)


# A start anyone can copy on any day (relative launch date), for a project of their own.
START_EXAMPLE = (
    "baton start blog-post --name 'My first post' --launch +5w --pm pat \\\n"
    "    --assign strategist=sam --assign seo=sam --assign writer=alice \\\n"
    "    --assign designer=dana --assign social=sol --assign stakeholder=stu"
)
_VERBS = {"task": "complete", "approval": "approve", "decision": "choose"}


def where_it_is(demo: DemoProject) -> str:
    """The demo project's real state, in a line."""
    if demo.status is None:
        return f"cannot answer: {demo.problem}"
    return closed_reason(demo.status) or wording.waiting_on(demo.status)


def next_commands(demo: DemoProject, tokens: dict[str, str], api: str) -> list[str]:
    """Commands that work for the demo project as it is now: act on its first active
    step as the person it waits on; once it has ended, look back and start your own."""
    status_line = f"baton status {PROJECT_SLUG}"
    current = demo.status
    active = [s for s in current.steps if s.state == "active"] if current else []
    if current is None or current.state != "active" or not active:
        return [status_line, START_EXAMPLE, "baton status my-first-post"]
    step = active[0]
    person = (step.waiting_on or step.owners)[0]
    option = step.options[0] if step.options else "OPTION"
    commands = [
        status_line,
        f"baton tasks {person}",
        action_command(_VERBS[step.kind], current.workflow_id, step.id, person, option),
    ]
    if person in tokens:
        commands.append(f"curl -H 'Authorization: Bearer {tokens[person]}' {api}/api/me/tasks")
    commands.append(f"baton inbox {person}")
    return commands


async def _until_listed(temporal: Client, workflow_id: str, timeout: float = 15) -> None:
    """Wait until Temporal's listings show the project (they lag each change a moment),
    so the `baton tasks` the guide suggests finds it at once."""
    query = f"WorkflowId = '{workflow_id}' AND {client.visibility_query(state='active')}"
    deadline = asyncio.get_running_loop().time() + timeout
    while not await client.list_projects(temporal, query):
        if asyncio.get_running_loop().time() > deadline:
            return  # the guide still helps; the listing catches up on its own
        await asyncio.sleep(0.2)
