"""Where a project's playbook version and people come from, behind one interface:
PostgreSQL in production (`activities.postgres`), a scenario's own in a simulation."""

from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel, ValidationError

from baton.errors import Invalid, NotFound, Problem, invalid
from baton.people import Person, check_known
from baton.playbook import Playbook


class ResolvedPlaybook(BaseModel):
    playbook: Playbook
    version: int | None = None


class Catalog(Protocol):
    """`playbook` raises NotFound (naming the field at fault: playbook or
    playbook_version); `people` leaves unknown ids out; `person_ids` is everyone known."""

    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook: ...

    async def people(self, person_ids: list[str]) -> dict[str, Person]: ...

    async def person_ids(self) -> list[str]: ...


async def check_people(catalog: Catalog, named: Mapping[str, str]) -> None:
    """Refuse a person who is not in the catalog: `Invalid` naming each field at fault
    (`unknown person 'samm' for role 'strategist'; did you mean 'sam'?`). `named` maps
    fields to person ids (`baton.people.named_people`). Every way in checks before it
    sends; the workflow's start checks again (a start straight from the Temporal UI)."""
    wanted = sorted(set(named.values()))
    if not wanted or len(await catalog.people(wanted)) == len(wanted):
        return
    check_known(named, await catalog.person_ids())


class MemoryCatalog:
    """A catalog holding one playbook and a set of people (a simulation's scenario)."""

    def __init__(self, playbook: Playbook, people: dict[str, Person]):
        self._playbook = playbook
        self._people = people

    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook:
        if playbook_id != self._playbook.id:
            raise NotFound(
                f"this catalog has playbook '{self._playbook.id}', not '{playbook_id}'",
                field="playbook",
            )
        return ResolvedPlaybook(playbook=self._playbook, version=version)

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        return {pid: self._people[pid] for pid in person_ids if pid in self._people}

    async def person_ids(self) -> list[str]:
        return sorted(self._people)


def people_from_mapping(data: object, source: str) -> dict[str, Person]:
    """`{alice: {name: Alice, timezone: ...}, ...}` -> people, with the id and field in
    every error."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid(f"{source}: people are a mapping of person id to their details")
    people = {}
    for person_id, fields in data.items():
        try:
            people[str(person_id)] = Person.model_validate({"id": str(person_id), **(fields or {})})
        except ValidationError as error:
            raise invalid(error, f"{source}: person '{person_id}'") from None
        except TypeError:
            where = f"person '{person_id}'"
            problem = Problem(file=source, where=where, message="needs a mapping of fields")
            raise Invalid(problems=[problem]) from None
    return people
