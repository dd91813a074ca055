"""What the web handlers share, as FastAPI dependencies: the process's services, who is
asking (an API bearer token, or a dashboard session cookie), admins, and request bodies
read as text (a YAML or CSV document)."""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client

from baton.config import Settings
from baton.errors import Invalid
from baton.people import Person
from baton.store.people import PeopleRepo
from baton.tokens import hash_token


@dataclass
class Services:
    """What every request handler needs; built once per process."""

    settings: Settings
    client: Client
    pool: AsyncConnectionPool


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
# The cookie holds the token's hash (never the token) and an HMAC of it under the link
# secret, so it cannot be forged from the stored hashes, and it stops working the moment
# the person's token is replaced or revoked. HttpOnly and SameSite=Lax: other sites can
# neither read it nor make a browser POST a dashboard form with it.

SESSION_COOKIE = "baton_session"
SESSION_DAYS = 30
_SESSION_VERSION = b"baton-session-v1."


def _mac(secret: bytes, token_hash: str) -> str:
    return hmac.new(secret, _SESSION_VERSION + token_hash.encode(), hashlib.sha256).hexdigest()


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
    person = await PeopleRepo(services.pool).by_token_hash(token_hash) if token_hash else None
    request.state.person = person
    return person


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
