"""Where a project's playbook version and people come from, behind one interface:
PostgreSQL in production (`activities.postgres`), a scenario's own in a simulation."""

from typing import Protocol

from pydantic import BaseModel, ValidationError

from baton.people import Person
from baton.playbook import Playbook


class CatalogError(ValueError):
    """The catalog cannot give what was asked for; the message says what to fix."""


class ResolvedPlaybook(BaseModel):
    playbook: Playbook
    version: int | None = None


class Catalog(Protocol):
    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook: ...

    async def people(self, person_ids: list[str]) -> dict[str, Person]: ...


class MemoryCatalog:
    """A catalog holding one playbook and a set of people (a simulation's scenario)."""

    def __init__(self, playbook: Playbook, people: dict[str, Person]):
        self._playbook = playbook
        self._people = people

    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook:
        if playbook_id != self._playbook.id:
            raise CatalogError(
                f"this catalog has playbook '{self._playbook.id}', not '{playbook_id}'"
            )
        return ResolvedPlaybook(playbook=self._playbook, version=version)

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        return {pid: self._people[pid] for pid in person_ids if pid in self._people}


def people_from_mapping(data: object, source: str) -> dict[str, Person]:
    """`{alice: {name: Alice, timezone: ...}, ...}` -> people, with the id and field in
    every error."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: people are a mapping of person id to their details")
    people = {}
    for person_id, fields in data.items():
        try:
            people[str(person_id)] = Person.model_validate({"id": str(person_id), **(fields or {})})
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(p) for p in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            raise CatalogError(
                f"{source}: person '{person_id}', field '{field}': {message}"
            ) from None
        except TypeError:
            raise CatalogError(
                f"{source}: person '{person_id}' needs a mapping of fields"
            ) from None
    return people
