"""The web process: one FastAPI app serving the HTTP API (/api, OpenAPI at /docs), the
dashboard and the one-click action links, over the same Temporal client and store."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from baton.config import Settings
from baton.store.database import open_store
from starters import client as temporal
from starters.web import errors
from starters.web.api import router as api_router
from starters.web.dashboard import router as dashboard_router
from starters.web.deps import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The app; `services` given (tests, `baton dev`) or built at start-up from `settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if services is not None:
            app.state.services = services
            yield
            return
        config = settings or Settings()
        connected = await temporal.connect(config)
        pool = await open_store(config)
        app.state.services = Services(config, connected, pool)
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
    errors.install(app)
    app.include_router(api_router)
    app.include_router(dashboard_router)
    return app
