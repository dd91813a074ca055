"""The project's side effects: resolving what it needs once at the start, and carrying
out each transition's effects (one call per transition)."""

import asyncio

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.catalog import Catalog, CatalogError
from activities.recorders import EffectsBatch, Recorder
from baton.commands import StartProject
from baton.people import Person
from baton.playbook import Playbook, PlaybookError


class ResolvedProject(BaseModel):
    playbook: Playbook
    version: int | None = None
    people: dict[str, Person]


class ProjectActivities:
    def __init__(self, catalog: Catalog, recorder: Recorder):
        self.catalog = catalog
        self.recorder = recorder

    @activity.defn(name="resolve_project")
    async def resolve_project(self, request: StartProject) -> ResolvedProject:
        """The playbook version and the people, looked up once for the project's life."""
        try:
            found = self.catalog.playbook(request.playbook, request.playbook_version)
        except (CatalogError, PlaybookError) as error:
            # Retrying cannot fix a missing or broken playbook: fail the start clearly.
            raise ApplicationError(
                str(error), type="PlaybookNotFound", non_retryable=True
            ) from None
        ids = sorted({*request.assignments.values(), request.project_manager})
        people = self.catalog.people(ids)
        backups = sorted({p.backup for p in people.values() if p.backup} - set(people))
        people |= self.catalog.people(backups)
        return ResolvedProject(playbook=found.playbook, version=found.version, people=people)

    @activity.defn(name="apply_effects")
    async def apply_effects(self, batch: EffectsBatch) -> int:
        """Record the transition's entries and hand its messages to delivery; a retry
        of the same transition records nothing twice. Returns the entries recorded."""
        stored = await asyncio.to_thread(self.recorder.record, batch)
        return len(batch.entries) if stored else 0

    @property
    def all(self) -> list:
        return [self.resolve_project, self.apply_effects]
