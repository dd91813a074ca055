"""Where a project's playbook version and people come from, behind one interface.

`FileCatalog` reads the bundled (or configured) playbook files and an optional people
file; storage brings a PostgreSQL catalog with the same two methods."""

from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ValidationError

from baton.people import Person
from baton.playbook import BUNDLED_DIR, Playbook, find_playbook


class CatalogError(ValueError):
    """The catalog cannot give what was asked for; the message says what to fix."""


class ResolvedPlaybook(BaseModel):
    playbook: Playbook
    version: int | None = None


class Catalog(Protocol):
    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook: ...

    async def people(self, person_ids: list[str]) -> dict[str, Person]: ...


class FileCatalog:
    """Playbooks from YAML files (one version each: the file as it is now) and people from
    a YAML file mapping person id to fields. Anyone not listed gets the defaults."""

    def __init__(self, playbooks_dir: Path | None = None, people_file: Path | None = None):
        self.playbooks_dir = playbooks_dir or BUNDLED_DIR
        self.people_file = people_file

    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook:
        if version not in (None, 1):
            raise CatalogError(
                f"playbook '{playbook_id}' has only version 1 here (files are not versioned "
                "until playbooks are published to the store)"
            )
        return ResolvedPlaybook(playbook=find_playbook(playbook_id, self.playbooks_dir), version=1)

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        known = load_people_file(self.people_file) if self.people_file else {}
        return {pid: known[pid] for pid in person_ids if pid in known}


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


def load_people_file(path: Path) -> dict[str, Person]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the people file: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    return people_from_mapping(data, str(path))
