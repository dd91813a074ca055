"""Workflow tests run on Temporal's time-skipping test server (one per test module),
with the real workflow and activities."""

import contextlib
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from activities.catalog import MemoryCatalog
from activities.recorders import MemoryRecorder
from baton.contract import StartProject
from baton.people import Person
from baton.playbook import find_playbook
from starters.client import ensure_search_attributes
from starters.simulate import SimulationResult, scenario_from_data, simulate, start_time_skipping
from workers.main import build_worker

BLOG_TEAM = {
    "strategist": "sam",
    "seo": "sam",
    "writer": "alice",
    "designer": "dana",
    "social": "sol",
    "stakeholder": "stu",
}

# The directory a test worker knows by default (a start naming anyone else fails).
TEAM_DIRECTORY = {
    p: Person(id=p)
    for p in ("pat", "sam", "alice", "dana", "sol", "stu", "bob", "eve", "walt", "pia", "em", "max")
}


@pytest.fixture(scope="module")
async def env():
    """A time-skipping server per test module: its clock only moves forward, and the
    modules that simulate whole projects move it months ahead; tests elsewhere name
    launch dates in 2027 and must find the clock before them."""
    environment = await start_time_skipping()
    await ensure_search_attributes(environment.client, environment.client.namespace)
    yield environment
    await environment.shutdown()


@pytest.fixture
async def own_env():
    """A test server of the test's own: after a continue-as-new the time-skipping server
    stops skipping time for good (seen with temporal-test-server 1.40), so such a test
    must not share its server."""
    environment = await start_time_skipping()
    await ensure_search_attributes(environment.client, environment.client.namespace)
    yield environment
    await environment.shutdown()


STARTED: list = []  # workflow handles tests started directly; ended after each test


@pytest.fixture(autouse=True)
async def end_started_projects(env):
    """Workflows left running with no worker would hold the shared test server's clock
    (it skips time only when nothing is waiting for a worker), so end them."""
    yield
    while STARTED:
        handle = STARTED.pop()
        with contextlib.suppress(Exception):
            # the latest run: a project may have continued as new
            await env.client.get_workflow_handle(handle.id).terminate(reason="test finished")


@pytest.fixture
def run_scenario(env):
    """Simulate a scenario given as a dict (the scenario file's format)."""

    async def run(**scenario) -> SimulationResult:
        return await simulate(scenario_from_data(scenario, "<test scenario>"), env=env)

    return run


@asynccontextmanager
async def project_worker(env, playbook_id: str = "blog-post", people=None, queue=None, **options):
    """A worker on its own task queue (or `queue`); yields (task_queue, recorder)."""
    queue = queue or f"test-{uuid.uuid4()}"
    recorder = MemoryRecorder()
    catalog = MemoryCatalog(find_playbook(playbook_id), people or TEAM_DIRECTORY)
    async with build_worker(env.client, queue, catalog, recorder, **options):
        yield queue, recorder


def blog_request(name: str | None = None, launch: str = "2027-06-15") -> StartProject:
    return StartProject(
        playbook="blog-post",
        name=name or f"Post {uuid.uuid4().hex[:8]}",
        launch_date=datetime.fromisoformat(launch).date(),
        assignments=BLOG_TEAM,
        project_manager="pat",
    )


def entries(result: SimulationResult, type_: str, **match) -> list:
    return [
        e
        for e in result.timeline
        if e.type == type_ and all(getattr(e, k) == v for k, v in match.items())
    ]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
