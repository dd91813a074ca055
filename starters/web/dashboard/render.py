"""What every dashboard page shares: the autoescaped templates, error pages, flash
messages, form parsing with its CSRF check, and the commands the buttons send."""

import base64
import binascii
import json
import re
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from baton.contract import ChooseOption, Command, CompleteStep, ReviewStep
from baton.errors import Invalid, validated
from baton.wording import describe_entry, when
from starters.web.dashboard import csrf
from starters.web.deps import get_services

FLASH_COOKIE = "baton_flash"
MAX_FORM_BYTES = 64 * 1024


def human_duration(value: timedelta) -> str:
    """ "2d 4h", "3h 10m", "45m": the two largest units, for late-by and overdue-by."""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2]) or "under a minute"


_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Plain text, escaped, with its http(s) addresses made links (for message bodies)."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        parts += [escape(text[last : match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@cache
def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("starters.web", "templates"),
        autoescape=True,  # every page: names, notes and comments show as text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = human_duration
    env.filters["entry"] = describe_entry
    env.filters["linkify"] = linkify
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return env


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a page for the signed-in person (if any), showing and clearing a flash.
    `csrf` is the token of the person's forms (the frame's sign-out button among them)."""
    flash = read_flash(request)
    me = getattr(request.state, "person", None)
    context.setdefault("tz", me.timezone if me else "UTC")  # a page may show another's
    context.setdefault("here", request.url.path)  # the nav marks the page it is on
    context.setdefault("csrf", session_form_token(request))
    context.setdefault("live", request.method == "GET")  # live.js fetches the page again
    html = templates().get_template(name).render(me=me, flash=flash, **context)
    response = HTMLResponse(html, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def error_page(
    request: Request, status_code: int, title: str, message: str, hint: str | None = None
) -> HTMLResponse:
    return page(
        request,
        "error.html",
        status_code,
        title=title,
        message=message,
        hint=hint,
        code=status_code,
    )


def redirect(url: str, flash: str | None = None, ok: bool = True) -> RedirectResponse:
    """A 303 to `url`, carrying a one-time message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        data = json.dumps({"ok": ok, "text": flash[:2000]}).encode()
        value = base64.urlsafe_b64encode(data).decode().rstrip("=")
        response.set_cookie(FLASH_COOKIE, value, path="/", httponly=True, samesite="lax")
    return response


def read_flash(request: Request) -> dict | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return {"ok": bool(data["ok"]), "text": str(data["text"])}
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None  # a mangled cookie: no message rather than an error


async def form_fields(request: Request) -> dict[str, str]:
    """An url-encoded form's fields (the first value of each); oversized bodies are
    cut, so a form post can never take the process down."""
    body = await request.body()
    text = body[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(text).items()}


def session_binding(request: Request) -> str | None:
    """What the signed-in person's forms are bound to (None: nobody is signed in)."""
    session_id = getattr(request.state, "session_id", None)
    return csrf.for_session(session_id) if session_id else None


def session_form_token(request: Request) -> str:
    """The CSRF token of the signed-in person's forms ("" when nobody is)."""
    bound_to = session_binding(request)
    return csrf.token(get_services(request).settings.secret(), bound_to) if bound_to else ""


async def checked_form(request: Request, bound_to: str | None) -> dict[str, str] | HTMLResponse:
    """The form's fields when its CSRF token is the one made for `bound_to`; else the
    403 page (nothing was done)."""
    fields = await form_fields(request)
    if csrf.valid(get_services(request).settings.secret(), bound_to, fields.get(csrf.FIELD)):
        return fields
    return form_refused(request)


def form_refused(request: Request) -> HTMLResponse:
    """The 403 page of a form whose CSRF token is not the one made for it."""
    return error_page(
        request,
        403,
        "This form cannot be accepted",
        "Nothing was changed: the form did not come from this page of Baton, or it is from "
        "an earlier session.",
        "Go back, reload the page and try again.",
    )


async def session_form(request: Request) -> dict[str, str] | HTMLResponse:
    """A signed-in person's form, checked (`checked_form`) against their session."""
    return await checked_form(request, session_binding(request))


async def session_upload(request: Request, max_files: int = 1) -> FormData | HTMLResponse:
    """A signed-in person's multipart form (a file upload), its CSRF token checked like
    `session_form`'s; a body that is no readable form is a 400 page. The caller limits
    the size (Content-Length, then each file's) and closes the form."""
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except HTTPException as error:  # Starlette's answer to a malformed multipart body
        return error_page(request, 400, "This upload cannot be read", str(error.detail))
    given = form.get(csrf.FIELD)
    secret = get_services(request).settings.secret()
    if isinstance(given, str) and csrf.valid(secret, session_binding(request), given):
        return form
    await form.close()
    return form_refused(request)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this site (never another host), else `default`."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


ACTIONS = ("complete", "approve", "reject", "choose")


def command_for(action: str, step_id: str, actor: str, fields: dict[str, str]) -> Command:
    """The workflow message a button sends; `Invalid` says what is missing."""
    text = (fields.get("note") or fields.get("comment") or "").strip() or None
    if action == "complete":
        return CompleteStep(step_id=step_id, actor=actor, note=text)
    if action in ("approve", "reject"):
        review = {"step_id": step_id, "actor": actor, "approve": action == "approve"}
        return validated(ReviewStep, review | {"comment": text})  # a rejection needs a reason
    if action == "choose":
        option = (fields.get("option") or "").strip()
        if not option:
            raise Invalid("pick one of the options first", field="option")
        return ChooseOption(step_id=step_id, actor=actor, option=option)
    raise Invalid(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}", field="action")


def overdue_by(due: datetime | None, now: datetime) -> str | None:
    if due is None or now <= due:
        return None
    return human_duration(now - due)
