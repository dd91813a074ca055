"""Signing in to the dashboard, and signing out (POST only, so no link or prefetch signs
anyone out). Sessions are made and read in `starters.web.deps`.

Two ways in:
- "Email me a sign-in link": a person types their email or Baton id and gets a link in
  their Baton mailbox, by email and on Slack (those set up); it works once, within 15
  minutes (`baton.sign_in`, `baton.store.sign_in_links`). The answer is the same
  whoever is typed, so nobody can find out who Baton knows. Opening the link shows a
  button; only pressing it (a POST) uses the link up, so mail scanners that fetch
  links sign nobody in.
- A personal API token (`baton people token PERSON`), for API users.

The sign-in forms have no session to bind their CSRF token to, so they bind it to a
random cookie of their own (a double-submit cookie); the link's button is bound to the
link's nonce. The Origin check covers every POST. Failed token sign-ins and link
requests are limited per client address, link requests also per person (kept in
PostgreSQL, shared by every web process).

`/demo/mailbox`, only when `demo_mailbox` is set (`baton dev --demo`), shows everyone's
newest messages, so a local demo can sign in by link without email.
"""

import math
import secrets
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from activities.messages import channels_for
from baton.links import ActionClaim, LinkError
from baton.notify.sign_in import render_sign_in
from baton.people import Person
from baton.sign_in import LIFETIME, link_url, read_link, sign_link
from baton.store.outbox import OutboxMessage, OutboxRepo
from baton.store.people import PeopleRepo
from baton.store.sessions import SignInFailures
from baton.store.sign_in_links import SignInLink, SignInLinksRepo, nonce_hash
from baton.tokens import hash_token
from baton.wording import when
from starters.web.dashboard import csrf
from starters.web.dashboard.render import (
    checked_form,
    error_page,
    form_fields,
    local_path,
    page,
    redirect,
    session_form,
)
from starters.web.deps import end_session, get_services, is_https, signed_in, start_session

router = APIRouter()

FAILURE_LIMIT = 5  # failed token sign-ins per address
LINK_LIMIT = 20  # sign-in link requests per address (an office, or a demo, shares one)
PERSON_LINK_LIMIT = 3  # sign-in links sent to one person
LIMIT_MINUTES = 10
WHO_MAX = 320  # longer than any email or id
DEMO_MAILBOX_SIZE = 50
MINUTES = int(LIFETIME.total_seconds() // 60)  # how long a sign-in link works


def _limit(request: Request, count: int) -> SignInFailures:
    return SignInFailures(get_services(request).pool, count, timedelta(minutes=LIMIT_MINUTES))


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- the pages that carry the sign-in forms


def _with_sign_in_form(
    request: Request, template: str, status_code: int = 200, **context
) -> HTMLResponse:
    """A page with the sign-in forms, their token bound to the visitor's sign-in cookie
    (made here when missing)."""
    cookie = request.cookies.get(csrf.SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    settings = get_services(request).settings
    form_token = csrf.token(settings.secret(), csrf.for_sign_in(cookie))
    context.setdefault("next", "/")
    context.setdefault("who", "")
    response = page(
        request,
        template,
        status_code,
        form_token=form_token,
        demo_mailbox=settings.demo_mailbox,
        minutes=MINUTES,
        **context,
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


def _sign_in_page(
    request: Request, next: str, problem: str | None = None, status_code: int = 200, who: str = ""
) -> HTMLResponse:
    return _with_sign_in_form(
        request, "login.html", status_code, next=next, problem=problem, who=who
    )


async def _sign_in_form(request: Request) -> tuple[dict[str, str], str, HTMLResponse | None]:
    """A sign-in form's fields and where to go after, or the page refusing an expired
    (or forged) form."""
    fields = await form_fields(request)
    target = local_path(fields.get("next"))
    cookie = request.cookies.get(csrf.SIGN_IN_COOKIE)
    bound_to = csrf.for_sign_in(cookie) if cookie else None
    if csrf.valid(get_services(request).settings.secret(), bound_to, fields.get(csrf.FIELD)):
        return fields, target, None
    problem = "That sign-in form had expired. Try again."
    return fields, target, _sign_in_page(request, target, problem, 403)


def _retry_later(
    request: Request, wait: timedelta, title: str, what: str, hint: str
) -> HTMLResponse:
    """The 429 page: what was limited and when to try again."""
    minutes = max(math.ceil(wait.total_seconds() / 60), 1)
    message = (
        f"{what} from your address in the last {LIMIT_MINUTES} minutes. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    response = error_page(request, 429, title, message, hint)
    response.headers["Retry-After"] = str(max(math.ceil(wait.total_seconds()), 1))
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request, next: str = "/"):
    await signed_in(request)
    return _sign_in_page(request, local_path(next))


# -- a personal API token


@router.post("/login", include_in_schema=False)
async def login(request: Request):
    fields, target, refused = await _sign_in_form(request)
    if refused:
        return refused
    token = (fields.get("token") or "").strip()
    if not token:
        return _sign_in_page(request, target, "Paste your personal token first.", 401)
    failures = _limit(request, FAILURE_LIMIT)
    address = _address(request)
    if wait := await failures.wait(address):  # checked before the token: no guess counts
        return _retry_later(
            request,
            wait,
            "Too many failed sign-ins",
            f"There were {FAILURE_LIMIT} failed sign-ins",
            "Lost your token? Sign in with a link instead, or ask whoever runs Baton for a "
            "new token: baton people token YOUR-ID.",
        )
    token_hash = hash_token(token)
    person = await PeopleRepo(get_services(request).pool).by_token_hash(token_hash)
    if person is None:
        # A success clears nothing: one valid token must not buy more guesses at others.
        await failures.record(address)
        problem = (
            "That token is not valid. Paste the token `baton people token YOUR-ID` printed "
            "(a new one replaces the old)."
        )
        return _sign_in_page(request, target, problem, 401)
    response = RedirectResponse(target, status_code=303)
    await start_session(request, response, person, token_hash)
    return response


# -- asking for a sign-in link


@router.post("/login/link", include_in_schema=False)
async def request_link(request: Request):
    fields, target, refused = await _sign_in_form(request)
    if refused:
        return refused
    who = " ".join((fields.get("who") or "").split())
    if not who or len(who) > WHO_MAX:
        problem = "Type your email or Baton id first." if not who else "That is too long."
        return _sign_in_page(request, target, problem, 400)
    if wait := await _limit(request, LINK_LIMIT).take(f"link:address:{_address(request)}"):
        return _retry_later(
            request,
            wait,
            "Too many sign-in link requests",
            f"There were {LINK_LIMIT} requests for sign-in links",
            f"Already asked? The link is in your Baton mailbox, email or Slack, and works "
            f"for {MINUTES} minutes. API users can sign in with their token meanwhile.",
        )
    person = await _person_named(request, who)
    # Over the per-person limit the answer stays the same: it must not tell who exists.
    if person and not await _limit(request, PERSON_LINK_LIMIT).take(f"link:person:{person.id}"):
        await _send_link(request, person, target)
    return _with_sign_in_form(
        request,
        "sign_in_link_sent.html",
        who=who,
        next=target,
        person_limit=PERSON_LINK_LIMIT,
        limit_minutes=LIMIT_MINUTES,
    )


async def _person_named(request: Request, who: str) -> Person | None:
    """The person `who` names: their id, or their email (any case) when only one has it."""
    people = PeopleRepo(get_services(request).pool)
    person = await people.get(who) or await people.get(who.lower())  # ids are lower case
    if person is None and "@" in who:
        found = await people.by_email(who)
        person = found[0] if len(found) == 1 else None
    return person


async def _send_link(request: Request, person: Person, next_path: str) -> None:
    """Make a link for `person` and write its messages, on their channels."""
    settings = get_services(request).settings
    expires_at = datetime.now(UTC) + LIFETIME
    token, claim = sign_link(settings.secret(), person.id, expires_at)
    url = link_url(settings.public_url, token)
    messages = sign_in_messages(person, url, claim, settings.channels)
    await SignInLinksRepo(get_services(request).pool).issue(
        claim.nonce, person.id, next_path, claim.expires_at, messages
    )


def sign_in_messages(
    person: Person, url: str, claim: ActionClaim, configured: set[str]
) -> list[OutboxMessage]:
    """The outbox rows delivering a sign-in link: one per channel of the person's, about
    no project (workflow id "")."""
    rendered = render_sign_in(person, url, claim.expires_at, LIFETIME)
    return [
        OutboxMessage(
            idempotency_key=f"sign-in/{nonce_hash(claim.nonce)}/{channel}",
            workflow_id="",
            transition=0,
            kind="sign_in",
            recipient=person.id,
            channel=channel,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            links=[link.model_dump() for link in rendered.links],
        )
        for channel in channels_for(person, configured)
    ]


# -- using a sign-in link


async def _usable(
    request: Request, token: str
) -> tuple[ActionClaim, Person, SignInLink] | HTMLResponse:
    """The link's claim, person and record while it can sign in; else the page saying
    why not (with a form to ask for a new link)."""
    try:
        claim = read_link(get_services(request).settings.secret(), token)
    except LinkError as error:
        return _link_problem(
            request,
            400,
            "This sign-in link is not valid",
            f"Baton cannot use it: {error}.",
            "Copy the whole link from the message, or ask for a new one below.",
        )
    services = get_services(request)
    person = await PeopleRepo(services.pool).get(claim.person)
    if person is None:
        return _link_problem(
            request,
            410,
            "This sign-in link is for someone no longer in Baton",
            f"It was for '{claim.person}', who is not in Baton's people any more.",
            "Ask whoever runs Baton to add you back.",
        )
    record = await SignInLinksRepo(services.pool).get(claim.nonce)
    tz = person.timezone
    if record is not None and record.used_at is not None:
        return _link_problem(
            request,
            409,
            "This sign-in link was already used",
            f"It signed {person.display_name} in at {when(record.used_at, tz)}; a link works once.",
            "Ask for a new link below.",
            person,
        )
    if datetime.now(UTC) >= claim.expires_at:
        return _link_problem(
            request,
            410,
            "This sign-in link has expired",
            f"It was for {person.display_name} and worked until {when(claim.expires_at, tz)}.",
            f"Ask for a new link below: it works for {MINUTES} minutes.",
            person,
        )
    if record is None:
        return _link_problem(
            request,
            400,
            "Baton has no record of this sign-in link",
            "It was not sent by this Baton, or it is too old.",
            "Ask for a new link below.",
            person,
        )
    return claim, person, record


def _link_problem(
    request: Request,
    status_code: int,
    title: str,
    message: str,
    hint: str,
    person: Person | None = None,
) -> HTMLResponse:
    """Why a link cannot sign in, with the form asking for a new one (for the link's
    person when known)."""
    return _with_sign_in_form(
        request,
        "sign_in_link_problem.html",
        status_code,
        title=title,
        message=message,
        hint=hint,
        who=person.id if person else "",
    )


@router.get("/login/link/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_link(request: Request, token: str):
    """The link's page: who it signs in, and the button that does it."""
    await signed_in(request)
    usable = await _usable(request, token)
    if isinstance(usable, HTMLResponse):
        return usable
    claim, person, _ = usable
    secret = get_services(request).settings.secret()
    return page(
        request,
        "sign_in_link.html",
        token=token,
        person=person,
        until=claim.expires_at,
        tz=person.timezone,
        form_token=csrf.token(secret, csrf.for_link(claim.nonce)),
    )


@router.post("/login/link/{token}", include_in_schema=False)
async def use_link(request: Request, token: str):
    await signed_in(request)
    usable = await _usable(request, token)
    if isinstance(usable, HTMLResponse):
        return usable
    claim, person, _ = usable
    fields = await checked_form(request, csrf.for_link(claim.nonce))
    if isinstance(fields, HTMLResponse):
        return fields
    next_path = await SignInLinksRepo(get_services(request).pool).claim(claim.nonce, person.id)
    if next_path is None:  # used or expired a moment ago: say which
        refused = await _usable(request, token)
        if isinstance(refused, HTMLResponse):
            return refused
        return _link_problem(
            request, 409, "This sign-in link cannot be used", "It was used or expired a "
            "moment ago.", "Ask for a new link below.", person,
        )  # fmt: skip
    response = RedirectResponse(local_path(next_path), status_code=303)
    await start_session(request, response, person)
    return response


# -- the local demo's mailbox


@router.get("/demo/mailbox", response_class=HTMLResponse, include_in_schema=False)
async def demo_mailbox(request: Request):
    """Everyone's newest messages, for a local demo (`baton dev --demo`) only."""
    await signed_in(request)
    services = get_services(request)
    if not services.settings.demo_mailbox:
        return error_page(
            request,
            404,
            "No such page",
            "The demo mailbox is only there in a local demo (`baton dev --demo`, which "
            "`make run` starts).",
            "Your messages are in your inbox once you are signed in.",
        )
    messages = await OutboxRepo(services.pool).newest_mailbox(DEMO_MAILBOX_SIZE)
    people = await PeopleRepo(services.pool).get_many({m.recipient for m in messages})
    opened = next((m.id for m in messages if m.kind == "sign_in"), None)  # the newest link
    return page(request, "demo_mailbox.html", messages=messages, people=people, opened=opened)


# -- signing out


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
