"""The bench's floor (bench/bare.py) does the work it stands for: a step per validated
update, a row written per step and per reminder, on Temporal's time-skipping server."""

import uuid
from datetime import timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from baton import contract
from bench import bare
from starters.client import ensure_search_attributes
from starters.simulate import start_time_skipping
from tests import pg
from workers.sandbox import workflow_runner


@pytest.fixture
async def database():
    url = pg.create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(bare.TABLE)
    yield url
    pg.drop_database(url)


def test_the_bare_workflow_uses_batons_search_attributes():
    names = {key.name for key in (bare.PLAYBOOK, bare.STATE, bare.OWNERS)}
    assert names <= set(contract.SEARCH_ATTRIBUTES)


async def test_the_bare_workflow_completes_its_steps_and_reminds(database):
    env = await start_time_skipping()
    await ensure_search_attributes(env.client, env.client.namespace)
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    async with AsyncConnectionPool(database, kwargs={"autocommit": True}) as pool:
        worker = Worker(
            env.client,
            task_queue=queue,
            workflows=[bare.BareProject],
            activities=[bare.BareActivities(pool).record],
            workflow_runner=workflow_runner(),
        )
        async with worker:
            spec = bare.BareSpec(steps=3, tag="smoke", reminders=[60, 120])
            handle = await env.client.start_workflow(
                bare.WORKFLOW_TYPE, spec, id=f"bare-{queue}", task_queue=queue
            )
            with pytest.raises(WorkflowUpdateFailedError):  # not the current step
                await handle.execute_update(bare.UPDATE, bare.step_id(1))
            for index in range(3):
                await env.sleep(timedelta(minutes=3))  # both reminders fire
                assert await handle.execute_update(bare.UPDATE, bare.step_id(index)) == index + 1
            assert await handle.result() == 3
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT kind, count(*) FROM bench_bare_steps GROUP BY kind ORDER BY kind"
            )
            assert await cursor.fetchall() == [("completed", 3), ("reminder", 6)]
    await env.shutdown()
