"""The web process: one FastAPI app serving the HTTP API (/api, OpenAPI at /docs), the
dashboard and the one-click action links, over the same Temporal client and store.

Every response carries the security headers, and an unsafe request from another site's
page is refused (`starters.web.security`).

The API docs work offline: Swagger UI (/docs) and ReDoc (/redoc) load their assets from
the installed `fastapi_offline` package, never a CDN. /docs is started by a script file
and keeps the strict policy; ReDoc injects its styles at run time and searches in a
blob: worker, so /redoc alone allows those (still no inline scripts, nothing fetched
from elsewhere: its footer's logo from cdn.redoc.ly stays blocked and hides itself).
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from baton.config import Settings
from baton.store.database import open_store
from starters import client as temporal
from starters.web import errors, security
from starters.web.api import router as api_router
from starters.web.dashboard import router as dashboard_router
from starters.web.dashboard.render import templates
from starters.web.deps import Services

DOCS_ASSETS = "/static-offline-docs"  # where FastAPIOffline serves Swagger UI and ReDoc


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

    app = FastAPIOffline(
        title="Baton",
        description="Run your team's repeatable marketing projects: playbooks, projects, "
        "steps, approvals. Authenticate with `Authorization: Bearer <token>` "
        "(`baton people token PERSON` makes one); the token decides who acts.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # /docs is `swagger_ui` below
        static_url=DOCS_ASSETS,
        favicon_url="/static/favicon.svg",
    )
    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    errors.install(app)
    app.include_router(api_router)
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(packages=[("starters.web", "static")]), name="static")
    security.install(app)
    return app


async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI as FastAPI's own /docs shows it, but started from a script file."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = templates().get_template("api_docs.html")
    return HTMLResponse(
        page.render(
            title=f"{request.app.title} - Swagger UI",
            root=root,
            assets=root + DOCS_ASSETS,
            openapi_url=root + request.app.openapi_url,
        )
    )
