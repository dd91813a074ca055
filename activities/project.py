"""The project's side effects: resolving what it needs once at the start, and carrying
out each transition's effects (one call per transition)."""

from datetime import UTC, datetime

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.catalog import Catalog, check_people
from activities.forecaster import HistoryForecaster
from activities.recorders import EffectsBatch, Recorder
from baton.contract import StartProject
from baton.errors import Invalid, NotFound
from baton.people import Person, named_people
from baton.playbook import Playbook
from baton.state.model import Outlook


class ResolvedProject(BaseModel):
    playbook: Playbook
    version: int | None = None
    people: dict[str, Person]
    outlook: Outlook | None = None  # the forecast at the start (None: no forecaster)


class Applied(BaseModel):
    """What applying a transition's effects answers: how many entries were recorded
    (0 for a retry), and the project's fresh forecast while it runs."""

    recorded: int
    outlook: Outlook | None = None


class ProjectActivities:
    def __init__(
        self, catalog: Catalog, recorder: Recorder, forecaster: HistoryForecaster | None = None
    ):
        self.catalog = catalog
        self.recorder = recorder
        self.forecaster = forecaster

    @activity.defn(name="resolve_project")
    async def resolve_project(
        self, request: StartProject, at: datetime | None = None
    ) -> ResolvedProject:
        """The playbook version and the people, looked up once for the project's life,
        and the forecast of the start (`at`: the project's now; runs from before it sent
        none)."""
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
        outlook = None
        if self.forecaster:  # at the project's clock (a simulation's is shifted)
            now = at or datetime.now(UTC)
            outlook = await self.forecaster.at_start(request, found.playbook, people, now)
        return ResolvedProject(
            playbook=found.playbook, version=found.version, people=people, outlook=outlook
        )

    @activity.defn(name="resolve_people")
    async def resolve_people(self, person_ids: list[str]) -> dict[str, Person]:
        """People who join a running project (a reassignment), with their backups."""
        people = await self.catalog.people(person_ids)
        backups = sorted({p.backup for p in people.values() if p.backup} - set(people))
        return people | await self.catalog.people(backups)

    @activity.defn(name="apply_effects")
    async def apply_effects(self, batch: EffectsBatch) -> Applied | int:
        """Record the transition's entries and step runs and hand its messages to
        delivery (a retry of the same transition records nothing twice), then forecast
        the project. (Runs from before forecasts recorded an `int`: the entries.)"""
        stored = await self.recorder.record(batch)
        outlook = await self.forecaster.outlook(batch) if self.forecaster else None
        return Applied(recorded=len(batch.entries) if stored else 0, outlook=outlook)

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
