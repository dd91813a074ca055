"""Storage tests run on a real PostgreSQL (tests/pg.py): a fresh database per test."""

import pytest

from baton.store.database import open_pool
from tests import pg


@pytest.fixture(scope="session")
def pg_url() -> str:
    return pg.server_url()


@pytest.fixture(scope="session")
async def template(pg_url) -> str:
    return await pg.migrated_template()


@pytest.fixture
async def empty_db(pg_url):
    """The URL of a new, empty database."""
    url = pg.create_database()
    yield url
    pg.drop_database(url)


@pytest.fixture
async def pool(template):
    """A pool on a new database with every migration applied."""
    url = pg.create_database(template=template)
    pool = await open_pool(url)
    yield pool
    await pool.close()
    pg.drop_database(url)
