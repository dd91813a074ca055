"""The project's side effects: resolving what it needs once at the start, and carrying
out each transition's effects (one call per transition)."""

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.catalog import Catalog, check_people
from activities.recorders import EffectsBatch, Recorder
from baton.contract import StartProject
from baton.errors import Invalid, NotFound
from baton.people import Person, named_people
from baton.playbook import Playbook


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
            found = await self.catalog.playbook(request.playbook, request.playbook_version)
        except (NotFound, Invalid) as error:
            # Retrying cannot fix a missing or broken playbook: fail the start clearly.
            raise ApplicationError(
                str(error), type="PlaybookNotFound", non_retryable=True
            ) from None
        try:
            await check_people(self.catalog, named_people(request))
        except Invalid as error:
            # Nobody can act for an unknown person: fail the start with who and why.
            raise ApplicationError(str(error), type="UnknownPerson", non_retryable=True) from None
        ids = sorted({*request.assignments.values(), request.project_manager})
        people = await self.resolve_people(ids)
        return ResolvedProject(playbook=found.playbook, version=found.version, people=people)

    @activity.defn(name="resolve_people")
    async def resolve_people(self, person_ids: list[str]) -> dict[str, Person]:
        """People who join a running project (a reassignment), with their backups."""
        people = await self.catalog.people(person_ids)
        backups = sorted({p.backup for p in people.values() if p.backup} - set(people))
        return people | await self.catalog.people(backups)

    @activity.defn(name="apply_effects")
    async def apply_effects(self, batch: EffectsBatch) -> int:
        """Record the transition's entries and hand its messages to delivery; a retry
        of the same transition records nothing twice. Returns the entries recorded."""
        stored = await self.recorder.record(batch)
        return len(batch.entries) if stored else 0

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self) -> None:
        """Ask Temporal to cancel the calling workflow (a cancelled project closes as
        "Canceled"; a workflow cannot ask that of itself)."""
        info = activity.info()
        handle = activity.client().get_workflow_handle(
            info.workflow_id, run_id=info.workflow_run_id
        )
        await handle.cancel()

    @property
    def all(self) -> list:
        return [
            self.resolve_project,
            self.resolve_people,
            self.apply_effects,
            self.request_cancellation,
        ]
