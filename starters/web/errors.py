"""Baton's errors as HTTP answers, in one place: JSON with a `detail` under /api, an error
page on the dashboard. Refused 409, NotFound 404, Invalid 422 (naming the field, or
listing a file's problems with where they are), Unavailable 503. Anything else is a bug:
500 with an error id that is also in the log, and no traceback for the person."""

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from baton.config import Settings
from baton.errors import (
    BatonError,
    Invalid,
    NotFound,
    Refused,
    Unavailable,
    printable,
    report_internal,
)
from baton.store.database import as_unavailable
from starters.client import NotAnswering, ProjectNotFound, StillStarting
from starters.web.dashboard.render import error_page

log = logging.getLogger("baton.web")

STATUS = {Refused: 409, NotFound: 404, Invalid: 422, Unavailable: 503}
_AGAIN = "Try again in a moment; if it persists, check that `baton dev` (or the worker) runs."
PAGES = {  # the most specific kind first: (title, hint)
    StillStarting: ("Still starting", "Refresh the page in a moment."),
    NotAnswering: (
        "This project cannot answer",
        "An operator sees why in the Temporal Web UI; the other projects are not affected.",
    ),
    ProjectNotFound: ("No such project", None),
    NotFound: ("Not found", None),
    Unavailable: ("Baton cannot reach a service it needs", _AGAIN),
    Refused: ("Baton refused", None),
    Invalid: ("That cannot be used", None),
}


def status_of(error: BatonError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


def api_body(error: BatonError) -> dict:
    """The JSON of an error: `{"detail": message}`; a 422 names its field the way
    FastAPI's own validation does, or lists a file's problems with where they are."""
    if not isinstance(error, Invalid):
        return {"detail": error.message}
    if any(getattr(problem, "file", None) for problem in error.problems):
        return {"detail": error.message, "problems": [p.model_dump() for p in error.problems]}
    located = [p for p in error.problems if p.field]
    if not located and error.field:
        located = [error]
    if located:
        return {
            "detail": [
                {"loc": ["body", *str(p.field).split(".")], "msg": p.message, "type": "value_error"}
                for p in located
            ]
        }
    return {"detail": error.message}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


async def baton_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, BatonError)
    code = status_of(error)
    if is_api(request):
        return JSONResponse(_printable(api_body(error)), status_code=code)
    title, hint = next(page for kind, page in PAGES.items() if isinstance(error, kind))
    return error_page(request, code, title, error.message, hint)


async def request_invalid(request: Request, error: Exception) -> Response:
    """FastAPI's own 422 for a request that fails its declared types, without echoing
    the input back (it need not even be text)."""
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": list(item["loc"]), "msg": str(item["msg"]), "type": item["type"]}
        for item in error.errors()
    ]
    return JSONResponse(_printable({"detail": detail}), status_code=422)


def _printable(value: Any) -> Any:
    """A JSON body every encoder takes: half characters written as their escapes."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


async def store_lost(request: Request, error: Exception) -> Response:
    """PostgreSQL lost in the middle of a request: 503, like any Unavailable."""
    return await baton_error(request, as_unavailable(error) or Unavailable(str(error)))


async def internal_error(request: Request, error: Exception) -> Response:
    """A bug: logged with its traceback under an error id that the answer carries."""
    services = getattr(request.app.state, "services", None)
    home = services.settings.home if services else Settings().home
    error_id, logfile = report_internal(error, home / "logs")
    log.error("internal error %s on %s %s (traceback in %s)", error_id, request.method,
              request.url.path, logfile)  # fmt: skip
    message = f"internal error {error_id}; it is logged, please report it with this id"
    if is_api(request):
        return JSONResponse({"detail": message, "error_id": error_id}, status_code=500)
    return error_page(request, 500, "Something went wrong on our side", message)


async def no_page(request: Request, error: Exception) -> Response:
    """No route for the address (404) or the method (405): a page in the dashboard, so a
    mistyped address is never raw JSON there; the API and every other HTTP answer (the
    sign-in redirect among them) as FastAPI gives them."""
    assert isinstance(error, StarletteHTTPException)
    if is_api(request) or error.status_code not in (404, 405):
        return await http_exception_handler(request, error)
    if error.status_code == 405:
        message = f"This address does not take a {request.method}."
        hint = "Go back and use the page's own buttons."
        return error_page(request, 405, "Not here", message, hint)
    return error_page(
        request, 404, "No such page", "There is no page at this address.",
        "Check the address, or start again from the projects.",
    )  # fmt: skip


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, no_page)
    app.add_exception_handler(BatonError, baton_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(psycopg.OperationalError, store_lost)
    app.add_exception_handler(PoolTimeout, store_lost)
    app.add_exception_handler(Exception, internal_error)
