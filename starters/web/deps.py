"""What the web handlers share, as FastAPI dependencies: the process's services, who is
asking (an API bearer token, or a dashboard session cookie), admins, and request bodies
read as text (a YAML or CSV document)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client

from activities.postgres import PostgresCatalog
from baton.config import Settings
from baton.contract import ActionResult, Command
from baton.errors import Invalid
from baton.people import Person
from baton.store.people import PeopleRepo
from baton.store.sessions import SessionsRepo
from baton.tokens import hash_token
from starters import client as temporal


@dataclass
class Services:
    """What every request handler needs; built once per process."""

    settings: Settings
    client: Client
    pool: AsyncConnectionPool

    async def act(self, workflow_id: str, command: Command) -> ActionResult:
        """One action as the API and the dashboard send it: someone unknown it names is
        refused before anything is sent, then the workflow's validated update."""
        await temporal.check_action_request(PostgresCatalog(self.pool), command)
        return await temporal.act(self.client, workflow_id, command)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

# -- the API: a bearer token per person

bearer = HTTPBearer(
    auto_error=False,
    description="A person's API token; an admin makes one with `baton people token PERSON` "
    "or POST /api/people/{person_id}/token.",
)


def _unauthorized(message: str, challenge: str = 'Bearer realm="baton"') -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": challenge})


async def current_person(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Person:
    """The person whose token came with the request: the actor of everything they do."""
    if credentials is None:
        raise _unauthorized(
            "send your API token as `Authorization: Bearer <token>`; an admin makes one "
            "with `baton people token PERSON`"
        )
    person = await PeopleRepo(services.pool).by_token_hash(hash_token(credentials.credentials))
    if person is None:
        raise _unauthorized(
            "this API token is not valid (a newer one may have replaced it); ask an admin "
            "for a new one",
            'Bearer realm="baton", error="invalid_token"',
        )
    return person


Me = Annotated[Person, Depends(current_person)]


async def current_admin(me: Me, services: ServicesDep) -> Person:
    if not await PeopleRepo(services.pool).is_admin(me.id):
        raise HTTPException(
            403, detail=f"{me.id} is not an admin; only admins manage people and playbooks"
        )
    return me


Admin = Annotated[Person, Depends(current_admin)]

# -- the dashboard: a session cookie
#
# The cookie holds a random session id, looked up in PostgreSQL on every dashboard
# request (`baton.store.sessions`): signing out revokes it server-side, and replacing a
# person's token ends the sessions made with the old one. HttpOnly and SameSite=Lax:
# other sites can neither read it nor have a browser send it with a cross-site POST.

SESSION_COOKIE = "baton_session"
SESSION_LIFETIME = timedelta(days=30)


async def signed_in(request: Request) -> Person | None:
    """The person whose valid session cookie came with the request, or None. Kept on
    `request.state` with the session id, for the page frame and its sign-out form."""
    services = get_services(request)
    session_id = request.cookies.get(SESSION_COOKIE) or None
    owner = await SessionsRepo(services.pool).person_id(session_id) if session_id else None
    person = await PeopleRepo(services.pool).get(owner) if owner else None
    request.state.person = person
    request.state.session_id = session_id if person else None
    return person


async def start_session(
    request: Request, response: Response, person: Person, token_hash: str | None = None
) -> None:
    """Sign `person` in on `response`: a new session, valid while `token_hash` (the
    token they signed in with) is still theirs; made by a sign-in link (no token), valid
    until it expires or they sign out."""
    services = get_services(request)
    session_id = await SessionsRepo(services.pool).start(person.id, token_hash, SESSION_LIFETIME)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


async def end_session(request: Request, response: Response) -> None:
    """Sign out: the session is revoked for good, and the cookie dropped."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await SessionsRepo(get_services(request).pool).revoke(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")


def is_https(request: Request) -> bool:
    """Whether cookies must be Secure: served over https, or published as https
    (behind a proxy that ends TLS)."""
    public = get_services(request).settings.public_url
    return request.url.scheme == "https" or public.lower().startswith("https:")


async def require_person(request: Request) -> Person:
    """The signed-in person, or a redirect to the sign-in page (and back)."""
    person = await signed_in(request)
    if person is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/login?next={quote(back, safe='')}"})
    return person


Viewer = Annotated[Person, Depends(require_person)]

# -- request bodies read as text


def text_body_openapi(*media_types: str) -> dict:
    """OpenAPI for a request body read as text (a YAML or CSV document)."""
    schema = {"schema": {"type": "string"}}
    return {"requestBody": {"required": True, "content": dict.fromkeys(media_types, schema)}}


async def text_body(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(f"the body is not UTF-8 text (byte {error.start}); send UTF-8") from None


Text = Annotated[str, Depends(text_body)]
