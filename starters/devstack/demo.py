"""The demo `make run` sets up: a small team with API tokens, and one blog post."""

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from baton.contract import StartProject
from baton.people import Person
from baton.store.people import PeopleRepo
from baton.tokens import hash_token, new_token
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


async def ensure_project(temporal: Client, task_queue: str) -> tuple[str, bool]:
    """Start the demo project unless it was started before; (workflow id, started now)."""
    request = demo_request(datetime.now(UTC).date())
    try:
        await temporal.get_workflow_handle(request.workflow_id).describe()
        return request.workflow_id, False
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    await client.start_and_wait(temporal, request, task_queue)
    await _until_listed(temporal, request.workflow_id)
    return request.workflow_id, True


async def _until_listed(temporal: Client, workflow_id: str, timeout: float = 15) -> None:
    """Wait until Temporal's listings show the project (they lag each change a moment),
    so the `baton tasks` the guide suggests finds it at once."""
    query = f"WorkflowId = '{workflow_id}' AND {client.visibility_query(state='active')}"
    deadline = asyncio.get_running_loop().time() + timeout
    while not await client.list_projects(temporal, query):
        if asyncio.get_running_loop().time() > deadline:
            return  # the guide still helps; the listing catches up on its own
        await asyncio.sleep(0.2)
