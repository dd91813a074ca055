"""The team: list, import (admins), API tokens (admins), a person's tasks."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from baton.bounds import ID_MAX, PERSON_ID
from baton.errors import NotFound
from baton.people import Person
from baton.people_import import parse_people_csv, parse_people_yaml
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from starters import client
from starters.client import TaskRow
from starters.web.deps import Admin, ServicesDep, Text, current_person, text_body_openapi

PersonRef = Annotated[
    str, Path(max_length=ID_MAX, pattern=PERSON_ID, description="The person's id.")
]

router = APIRouter(tags=["people"], dependencies=[Depends(current_person)])


class Imported(BaseModel):
    imported: int
    people: list[str]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admin: bool | None = Field(None, description="Also make them an admin (or not).")


class NewToken(BaseModel):
    person: str
    token: str
    is_admin: bool
    note: str = "shown once: Baton stores only its hash; a new token replaces this one"


@router.get("/people", summary="List the team")
async def list_people(services: ServicesDep) -> list[Person]:
    """Everyone Baton knows, with how and when to reach them."""
    return await PeopleRepo(services.pool).list()


@router.post(
    "/people/import",
    summary="Import people (admin; YAML or CSV body)",
    openapi_extra=text_body_openapi("application/yaml", "text/csv", "text/plain"),
)
async def import_people(
    body: Text,
    admin: Admin,
    services: ServicesDep,
    format: Annotated[Literal["yaml", "csv"], Query(description="The body's format.")] = "yaml",
) -> Imported:
    """Add or update people (the file format of `baton people import`). All or nothing:
    any problem is a 422 listing every problem with its row and field, and changes
    nothing."""
    parse = parse_people_csv if format == "csv" else parse_people_yaml
    repo = PeopleRepo(services.pool)  # a manager or backup may be someone already imported
    entries = parse(body, f"<people.{format}>", await repo.ids())
    admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}
    await repo.replace_all_or_nothing([e.person for e in entries], admins)
    return Imported(imported=len(entries), people=[e.person.id for e in entries])


@router.post("/people/{person_id}/token", summary="Make a person's API token (admin)")
async def make_token(
    person_id: PersonRef, admin: Admin, services: ServicesDep, request: TokenRequest | None = None
) -> NewToken:
    """A new token for the person, replacing any old one; the answer is the only time
    it is shown."""
    repo = PeopleRepo(services.pool)
    token, digest = new_token()
    await repo.set_token_hash(person_id, digest)  # an unknown person: 404
    if request and request.admin is not None:
        await repo.set_admin(person_id, request.admin)
    return NewToken(person=person_id, token=token, is_admin=await repo.is_admin(person_id))


@router.get("/people/{person_id}/tasks", summary="A person's active steps")
async def person_tasks(person_id: PersonRef, services: ServicesDep) -> list[TaskRow]:
    """Steps waiting on someone across projects: overdue first, then by due."""
    if await PeopleRepo(services.pool).get(person_id) is None:
        raise NotFound(f"no person '{person_id}'; GET /api/people lists the team")
    return await client.tasks_for(services.client, person_id, services.pool)
