"""API tests: the real /api router in a FastAPI app, called over httpx's ASGI transport,
driving a real worker (PostgreSQL catalog and recorder) on a real PostgreSQL database.

Temporal is the `temporal` CLI's dev server (in memory, started once for the session),
not the time-skipping test server the workflow tests share: that one does not implement
ListWorkflowExecutions, which the project lists and "my tasks" are made of. Nothing here
waits on a timer, so time skipping is not missed; every date is counted from today.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder, postgres_forecaster
from baton.config import Settings
from baton.people import Person
from baton.playbook import BUNDLED_DIR
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.tokens import new_token
from starters.web.app import create_app
from starters.web.deps import Services
from tests import pg
from workers.main import build_worker

TEAM = ["pat", "sam", "alice", "dana", "sol", "stu", "bob", "eve"]
ADMINS = {"pat"}
BLOG_TEAM = {
    "strategist": "sam",
    "seo": "sam",
    "writer": "alice",
    "designer": "dana",
    "social": "sol",
    "stakeholder": "stu",
}
TODAY = datetime.now(UTC).date()


def days_ahead(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


class Baton:
    """The API as each person of the team calls it (their own token), or anonymously."""

    def __init__(self, app: FastAPI, tokens: dict[str, str], services: Services):
        self.transport = httpx.ASGITransport(app=app)
        self.tokens = tokens
        self.services = services
        self.clients: dict[str | None, httpx.AsyncClient] = {}

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, base_url="http://baton.test", headers=headers
        )

    def __getitem__(self, person: str | None) -> httpx.AsyncClient:
        """`baton["sam"]`: requests carrying Sam's token; `baton[None]`: no token."""
        if person not in self.clients:
            auth = {"Authorization": f"Bearer {self.tokens[person]}"} if person else None
            self.clients[person] = self.client(auth)
        return self.clients[person]

    async def start(self, person: str = "pat", **fields: Any) -> dict:
        """Start a blog post (or what `fields` say) as `person`; its status."""
        request = {
            "playbook": "blog-post",
            "name": f"Post {uuid.uuid4().hex[:8]}",
            "launch_date": days_ahead(60),
            "assignments": BLOG_TEAM,
            "project_manager": "pat",
            **fields,
        }
        response = await self[person].post("/api/projects", json=request)
        assert response.status_code == 201, response.text
        return response.json()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def eventually(fetch: Callable[[], Awaitable[Any]], ready: Callable[[Any], bool]) -> Any:
    """`fetch()` once `ready` holds (visibility and the effects activity lag a moment)."""
    for _ in range(100):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never ready: {value!r}")


@pytest.fixture(scope="session")
async def baton(temporal):
    """One database, worker and app for all API tests; each test starts its own
    projects (unique names) and checks only its own."""
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    people = PeopleRepo(pool)
    await people.replace_all_or_nothing(
        [Person(id=p, name=p.title(), email=f"{p}@example.com") for p in TEAM],
        {p: p in ADMINS for p in TEAM},
    )
    tokens = {}
    for person in TEAM:
        tokens[person], digest = new_token()
        await people.set_token_hash(person, digest)
    for playbook in ("blog-post", "webinar"):
        await PlaybookRepo(pool).publish((BUNDLED_DIR / f"{playbook}.yaml").read_text())
    queue = f"api-{uuid.uuid4()}"
    settings = Settings(
        BATON_TASK_QUEUE=queue,
        TEMPORAL_NAMESPACE="default",
        TEMPORAL_UI_URL="http://temporal.test",
        BATON_SECRET_KEY="an api test secret of enough length",
    )
    signer = LinkSigner(secret=settings.secret(), public_url="http://baton.test")
    recorder = PostgresRecorder(pool, signer, set())
    services = Services(settings, temporal.client, pool)
    app = create_app(services=services)
    app.state.services = services  # the transport runs no lifespan
    client = Baton(app, tokens, services)
    try:
        forecaster = postgres_forecaster(pool)  # as the worker process has it
        async with build_worker(
            temporal.client, queue, PostgresCatalog(pool), recorder, forecaster
        ):
            yield client
    finally:
        await client.close()
        await pool.close()
        pg.drop_database(url)
