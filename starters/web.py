"""The web process: one FastAPI app serving the HTTP API (/api, OpenAPI at /docs), the
dashboard and the one-click action links, over the same Temporal client and store."""

from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client

from baton.config import Settings
from workers.main import connect, open_store


@dataclass
class Services:
    """What every request handler needs; built once per process."""

    settings: Settings
    client: Client
    pool: AsyncConnectionPool


def get_services(request: Request) -> Services:
    return request.app.state.services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; `services` given (tests) or built at start-up from `settings`."""
    from starters import api, dashboard  # the routers import this module

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if services is not None:
            app.state.services = services
            yield
            return
        config = settings or Settings()
        client = await connect(config)
        pool = await open_store(config)
        app.state.services = Services(config, client, pool)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Baton",
        description="Run your team's repeatable marketing projects: playbooks, projects, "
        "steps, approvals. Authenticate with `Authorization: Bearer <token>` "
        "(`baton people token PERSON` makes one); the token decides who acts.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(api.router)
    app.include_router(dashboard.router)
    return app
