"""Dashboard tests: the whole web app (`starters.web.create_app`) served by uvicorn on a
free loopback port, over a real worker (PostgreSQL catalog and recorder, so mailboxes
fill and action links are signed) on a real PostgreSQL database.

Temporal is the `temporal` CLI's dev server (in memory, started once for the session),
not the time-skipping test server the workflow tests share: that one does not implement
ListWorkflowExecutions, which the projects board and "my tasks" are made of. Nothing here
waits on a timer, so time skipping is not missed; dates count from today.

uvicorn runs as a task on the test's own event loop rather than in a thread: the Temporal
client and the psycopg pool belong to that loop. Browser tests drive Debian's Chromium
(/usr/bin/chromium, installed by `make test`) with Playwright's async API.
"""

import asyncio
import contextlib
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio.client import WorkflowHandle

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder, postgres_forecaster
from baton.config import Settings
from baton.contract import ProjectStatus, StartProject
from baton.links import action_url, sign
from baton.people import Person
from baton.playbook import BUNDLED_DIR
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.tokens import new_token
from starters.client import insight, projects
from starters.web.app import create_app
from starters.web.deps import Services
from tests import pg
from tests.api.test_reports import retro_playbook_and_history
from tests.web import audit
from workers.main import build_worker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEAM = {
    "pat": "Pat PM",
    "sam": "Sam Strategist",
    "alice": "Alice Writer",
    "dana": "Dana",
    "sol": "Sol",
    "stu": "Stu Stakeholder",
    "oona": "Oona Outsider",
}
BLOG_TEAM = {
    "strategist": "sam",
    "seo": "sam",
    "writer": "alice",
    "designer": "dana",
    "social": "sol",
    "stakeholder": "stu",
}
CAMPAIGN_TEAM = {
    "strategist": "sam",
    "manager": "pat",
    "social": "sol",
    "content": "alice",
    "designer": "dana",
    "paid": "sol",
    "community": "sol",
    "finance": "stu",
}
UI = "http://temporal-ui.test"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_FEED = re.compile(r'<code class="feed-url">([^<]+)</code>')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    """The running dashboard and what tests need around it."""

    url: str
    settings: Settings
    services: Services
    tokens: dict[str, str]
    started: list[WorkflowHandle] = field(default_factory=list)

    @asynccontextmanager
    async def http(self, person: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the site (redirects not followed), signed in as `person` if given."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            if person:
                response = await sign_in(client, self.tokens[person])
                assert response.status_code == 303, response.text
            yield client

    async def start(
        self, name: str | None = None, playbook: str = "blog-post", launch_in_days: int = 60
    ) -> ProjectStatus:
        """Start a blog post (or a social campaign); its status once the first step is
        handed out."""
        request = StartProject(
            playbook=playbook,
            name=name or f"Post {uuid.uuid4().hex[:8]}",
            slug=f"web-{uuid.uuid4().hex[:10]}",
            launch_date=(datetime.now(UTC) + timedelta(days=launch_in_days)).date(),
            assignments=BLOG_TEAM if playbook == "blog-post" else CAMPAIGN_TEAM,
            project_manager="pat",
        )
        client = self.services.client
        handle = await projects.start_project(client, request, self.settings.task_queue)
        self.started.append(handle)
        return await eventually(
            lambda: _status_or_none(client, handle.id),
            lambda s: s is not None and s.steps[0].state == "active",
        )

    async def status(self, workflow_id: str) -> ProjectStatus:
        return await projects.status(self.services.client, workflow_id)

    def link(
        self,
        person: str,
        workflow_id: str,
        step_id: str,
        action: str,
        expires_in=None,
        revision: int | None = None,
    ) -> str:
        """A one-click link as the worker signs them (path only); for one round of the
        step when `revision` is given."""
        expires_at = datetime.now(UTC) + (expires_in or timedelta(days=14))
        token = sign(
            self.settings.secret(), person, workflow_id, step_id, action, expires_at, revision
        )
        return action_url("", token)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry (the first form's)."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def feed_url_in(html: str) -> str:
    """The calendar feed address My tasks shows."""
    found = _FEED.search(html)
    assert found, "the page shows no feed URL"
    return unescape(found.group(1))


async def form_token(client: httpx.AsyncClient, path: str = "/logout") -> str:
    """The token of the forms on `path` (by default the signed-in person's)."""
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_of(response.text)


async def sign_in(client: httpx.AsyncClient, token: str, **fields: str) -> httpx.Response:
    """Fill in and send the sign-in form, as a browser would (its cookie and token)."""
    csrf = await form_token(client, "/login")
    return await client.post("/login", data={"token": token, "csrf": csrf, **fields})


async def _status_or_none(client, workflow_id: str) -> ProjectStatus | None:
    try:
        return await projects.status(client, workflow_id)
    except projects.StillStarting:
        return None


async def eventually(fetch, ready, attempts: int = 100):
    """`fetch()` once `ready` holds (visibility and the effects activity lag a moment)."""
    value = None
    for _ in range(attempts):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never ready: {value!r}")


class _Server(uvicorn.Server):
    def capture_signals(self):
        return contextlib.nullcontext()  # Ctrl-C stays pytest's


@pytest.fixture(scope="session")
async def site(temporal, tmp_path_factory):
    """One database, worker and web server for the session's web tests; each test starts
    its own projects (unique names) and checks only those."""
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    people = PeopleRepo(pool)
    await people.replace_all_or_nothing(
        [Person(id=pid, name=name, email=f"{pid}@example.com") for pid, name in TEAM.items()]
    )
    tokens = {}
    for person in TEAM:
        tokens[person], digest = new_token()
        await people.set_token_hash(person, digest)
    for playbook in ("blog-post", "social-campaign"):
        await PlaybookRepo(pool).publish((BUNDLED_DIR / f"{playbook}.yaml").read_text())
    port = free_port()
    settings = Settings(
        BATON_TASK_QUEUE=f"web-{uuid.uuid4()}",
        TEMPORAL_UI_URL=UI,
        BATON_PUBLIC_URL=f"http://127.0.0.1:{port}",
        BATON_SECRET_KEY="a web test secret of enough length",
        BATON_HOME=str(tmp_path_factory.mktemp("baton-home")),
    )
    signer = LinkSigner(secret=settings.secret(), public_url=settings.public_url)
    recorder = PostgresRecorder(pool, signer, set())
    services = Services(settings, temporal.client, pool)
    app = create_app(services=services)
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with build_worker(
            temporal.client,
            settings.task_queue,
            PostgresCatalog(pool),
            recorder,
            postgres_forecaster(pool),
        ):
            while not server.started:
                assert not serving.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.02)
            yield Site(settings.public_url, settings, services, tokens)
    finally:
        server.should_exit = True
        await serving
        await pool.close()
        pg.drop_database(url)


@pytest.fixture(autouse=True)
async def end_started_projects(site):
    """Terminate the projects a test started, so none outlives it."""
    yield
    while site.started:
        handle = site.started.pop()
        with contextlib.suppress(Exception):
            await handle.terminate(reason="test finished")


@pytest.fixture
async def page(browser):
    """A fresh browser tab (its own cookies) in Chromium."""
    context = await browser.new_context()
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    await context.close()


@pytest.fixture
async def retro(site):
    """A playbook of its own with three past projects imported (something to report on
    and recalibrate)."""
    playbook_id, yaml, history = retro_playbook_and_history()
    await PlaybookRepo(site.services.pool).publish(yaml)
    assert await insight.import_history(site.services.pool, history) == (9, 9)
    return playbook_id


@pytest.fixture
async def pat_is_admin(site):
    people = PeopleRepo(site.services.pool)
    await people.set_admin("pat", True)
    yield
    await people.set_admin("pat", False)


@pytest.fixture(scope="session")
async def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing; `make test` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    await chromium.close()
    await playwright.stop()


def pytest_terminal_summary(terminalreporter):
    """Where the accessibility audit (tests/web/audit.py) saved its screenshots."""
    for line in audit.summary_lines():
        terminalreporter.write_line(line)
