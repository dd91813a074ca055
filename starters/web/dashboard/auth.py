"""Signing in to the dashboard with a personal API token (`baton people token PERSON`),
and signing out (POST only, so no link or prefetch signs anyone out). Sessions are made
and read in `starters.web.deps`.

The sign-in form has no session to bind its CSRF token to, so it binds it to a random
cookie of its own (a double-submit cookie); the Origin check covers it as every POST.
Failed sign-ins are limited per client address (kept in PostgreSQL, shared by every
web process), so tokens cannot be guessed at speed.
"""

import math
import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from baton.store.people import PeopleRepo
from baton.store.sessions import SignInFailures
from baton.tokens import hash_token
from starters.web.dashboard import csrf
from starters.web.dashboard.render import (
    error_page,
    form_fields,
    local_path,
    page,
    redirect,
    session_form,
)
from starters.web.deps import end_session, get_services, is_https, signed_in, start_session

router = APIRouter()

FAILURE_LIMIT = 5
FAILURE_MINUTES = 10


def _sign_in_page(
    request: Request, next: str, problem: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The sign-in form, its token bound to the visitor's sign-in cookie (made here
    when missing)."""
    cookie = request.cookies.get(csrf.SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    form_token = csrf.token(get_services(request).settings.secret(), csrf.for_sign_in(cookie))
    response = page(
        request, "login.html", status_code, next=next, problem=problem, form_token=form_token
    )
    response.set_cookie(
        csrf.SIGN_IN_COOKIE,
        cookie,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )
    return response


def _too_many(request: Request, wait: timedelta) -> HTMLResponse:
    minutes = max(math.ceil(wait.total_seconds() / 60), 1)
    response = error_page(
        request,
        429,
        "Too many failed sign-ins",
        f"There were {FAILURE_LIMIT} failed sign-ins from your address in the last "
        f"{FAILURE_MINUTES} minutes. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}.",
        "Lost your token? Ask whoever runs Baton for a new one: baton people token YOUR-ID.",
    )
    response.headers["Retry-After"] = str(max(math.ceil(wait.total_seconds()), 1))
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request, next: str = "/"):
    await signed_in(request)
    return _sign_in_page(request, local_path(next))


@router.post("/login", include_in_schema=False)
async def login(request: Request):
    fields = await form_fields(request)
    target = local_path(fields.get("next"))
    secret = get_services(request).settings.secret()
    cookie = request.cookies.get(csrf.SIGN_IN_COOKIE)
    bound_to = csrf.for_sign_in(cookie) if cookie else None
    if not csrf.valid(secret, bound_to, fields.get(csrf.FIELD)):
        problem = "That sign-in form had expired. Paste your token again."
        return _sign_in_page(request, target, problem, 403)
    token = (fields.get("token") or "").strip()
    if not token:
        return _sign_in_page(request, target, "Paste your personal token first.", 401)
    services = get_services(request)
    client = request.client.host if request.client else "unknown"
    failures = SignInFailures(services.pool, FAILURE_LIMIT, timedelta(minutes=FAILURE_MINUTES))
    if wait := await failures.wait(client):  # checked before the token: no guess counts
        return _too_many(request, wait)
    token_hash = hash_token(token)
    person = await PeopleRepo(services.pool).by_token_hash(token_hash)
    if person is None:
        # A success clears nothing: one valid token must not buy more guesses at others.
        await failures.record(client)
        problem = (
            "That token is not valid. Paste the token `baton people token YOUR-ID` printed "
            "(a new one replaces the old)."
        )
        return _sign_in_page(request, target, problem, 401)
    response = RedirectResponse(target, status_code=303)
    await start_session(request, response, person, token_hash)
    return response


@router.get("/logout", response_class=HTMLResponse, include_in_schema=False)
async def logout_page(request: Request):
    """A page with the sign-out button: opening an address signs nobody out."""
    if await signed_in(request) is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "logout.html")


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    if await signed_in(request) is not None:  # a session over already needs no token
        fields = await session_form(request)
        if isinstance(fields, HTMLResponse):
            return fields
    response = redirect("/login", "You are signed out.")
    await end_session(request, response)
    return response
