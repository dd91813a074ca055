"""Signing in to the dashboard with a personal API token (`baton people token PERSON`),
and signing out. The session cookie is made and read in `starters.web.deps`."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from baton.store.people import PeopleRepo
from baton.tokens import hash_token
from starters.web.dashboard.render import form_fields, local_path, page, redirect
from starters.web.deps import (
    SESSION_COOKIE,
    SESSION_DAYS,
    get_services,
    session_value,
    signed_in,
)

router = APIRouter()


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
