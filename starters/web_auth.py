"""Signing in to the dashboard with a personal API token (`baton people token PERSON`).

The session cookie holds the token's hash (never the token) and an HMAC of it under the
link secret, so it cannot be forged from the stored hashes, and it stops working the
moment the person's token is replaced or revoked. It is HttpOnly and SameSite=Lax: other
sites can neither read it nor make a browser POST a dashboard form with it.
"""

import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from baton.people import Person
from baton.store.people import PeopleRepo
from baton.tokens import hash_token
from starters.web import get_services
from starters.web_common import form_fields, local_path, page, redirect

SESSION_COOKIE = "baton_session"
SESSION_DAYS = 30
_VERSION = b"baton-session-v1."

router = APIRouter()


def _mac(secret: bytes, token_hash: str) -> str:
    return hmac.new(secret, _VERSION + token_hash.encode(), hashlib.sha256).hexdigest()


def session_value(secret: bytes, token_hash: str) -> str:
    return f"{token_hash}.{_mac(secret, token_hash)}"


def session_token_hash(secret: bytes, value: str | None) -> str | None:
    """The token hash a genuine cookie carries, else None."""
    token_hash, _, mac = (value or "").partition(".")
    if not token_hash or not hmac.compare_digest(_mac(secret, token_hash), mac):
        return None
    return token_hash


async def signed_in(request: Request) -> Person | None:
    """The person whose session cookie came with the request (also kept on
    `request.state.person` for the page frame), or None."""
    services = get_services(request)
    token_hash = session_token_hash(services.settings.secret(), request.cookies.get(SESSION_COOKIE))
    try:
        person = await PeopleRepo(services.pool).by_token_hash(token_hash) if token_hash else None
    except psycopg.OperationalError as error:
        raise HTTPException(503, f"the database is unreachable: {error}") from None
    request.state.person = person
    return person


async def require_person(request: Request) -> Person:
    """A dependency: the signed-in person, or a redirect to the sign-in page (and back)."""
    person = await signed_in(request)
    if person is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/login?next={quote(back, safe='')}"})
    return person


Me = Annotated[Person, Depends(require_person)]


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request, next: str = "/"):
    await signed_in(request)
    return page(request, "login.html", next=local_path(next), problem=None)


@router.post("/login", include_in_schema=False)
async def login(request: Request):
    fields = await form_fields(request)
    target = local_path(fields.get("next"))
    token = (fields.get("token") or "").strip()
    services = get_services(request)
    person = await PeopleRepo(services.pool).by_token_hash(hash_token(token)) if token else None
    if person is None:
        request.state.person = None
        problem = (
            "That token is not valid. Paste the token `baton people token YOUR-ID` printed "
            "(a new one replaces the old)."
            if token
            else "Paste your personal token first."
        )
        return page(request, "login.html", 401, next=target, problem=problem)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_value(services.settings.secret(), hash_token(token)),
        max_age=SESSION_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/logout", include_in_schema=False)
async def logout():
    response = redirect("/login", "You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
