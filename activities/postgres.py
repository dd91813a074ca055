"""The catalog and the recorder on PostgreSQL: playbook versions and people come from the
store; each transition's events and messages are written in ONE transaction."""

import logging

import psycopg
from psycopg_pool import AsyncConnectionPool

from activities.catalog import ResolvedPlaybook
from activities.forecaster import HistoryForecaster, cached_history
from activities.messages import LinkSigner, compose, effect_failure_report
from activities.recorders import EffectsBatch
from baton.errors import NotFound
from baton.insight.forecast import Forecast
from baton.people import Person
from baton.playbook import Playbook
from baton.store.events import insert_events
from baton.store.failed_effects import record_failure
from baton.store.outbox import insert_messages
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.store.project_steps import StepFacts, record_steps
from baton.store.projects import record_project
from baton.store.step_runs import StepRunRepo, insert_runs, save_forecast


class PostgresCatalog:
    def __init__(self, pool: AsyncConnectionPool):
        self.playbooks = PlaybookRepo(pool)
        self.people_repo = PeopleRepo(pool)
        self._pinned: dict[tuple[str, int], Playbook] = {}

    async def playbook(self, playbook_id: str, version: int | None = None) -> ResolvedPlaybook:
        playbook, found = await self.playbooks.get(playbook_id, version)
        return ResolvedPlaybook(playbook=playbook, version=found)

    async def pinned(self, playbook_id: str, version: int | None) -> Playbook | None:
        """A running project's playbook version (None when it is gone from the store),
        kept once read: a published version never changes. The latest (no version) is
        looked up each time, so a newly published one is seen."""
        if version is not None and (playbook_id, version) in self._pinned:
            return self._pinned[(playbook_id, version)]
        try:
            found = await self.playbook(playbook_id, version)
        except NotFound:
            return None
        if version is not None:
            self._pinned[(playbook_id, version)] = found.playbook
        return found.playbook

    async def people(self, person_ids: list[str]) -> dict[str, Person]:
        return await self.people_repo.get_many(person_ids)

    async def person_ids(self) -> list[str]:
        return await self.people_repo.ids()


# PostgreSQL refuses the content itself (a NUL, a value out of range, a broken
# constraint): unlike a lost connection, retrying cannot help.
REFUSED_CONTENT = (psycopg.DataError, psycopg.IntegrityError)
log = logging.getLogger("baton.effects")


class PostgresRecorder:
    """Records a transition: its log entries as step events and its messages in the
    outbox (rendered per recipient and channel), both or neither; a retried transition
    finds its keys taken and adds nothing."""

    def __init__(self, pool: AsyncConnectionPool, signer: LinkSigner, channels: set[str]):
        self.pool = pool
        self.signer = signer
        self.channels = channels
        self.catalog = PostgresCatalog(pool)

    async def record(self, batch: EffectsBatch) -> bool:
        # Everyone a message names (recipients, who acted, the owners around a step), so
        # each reads as their name: one lookup.
        named = {e.recipient for e in batch.entries if e.recipient}
        named |= {e.actor for e in batch.entries if e.actor}
        named |= {owner for step in batch.steps for owner in step.owners}
        people = await self.catalog.people(sorted({*named, batch.project_manager}))
        playbook = await self.catalog.pinned(batch.playbook, batch.playbook_version)
        messages = compose(batch, people, playbook, self.signer, self.channels)
        try:
            async with self.pool.connection() as conn, conn.transaction():
                events = await insert_events(
                    conn, batch.workflow_id, batch.transition, batch.events()
                )
                await insert_messages(conn, messages)
                await insert_runs(conn, batch.runs)
                await _index(conn, batch, playbook)
        except REFUSED_CONTENT as error:
            # Writing the same content again cannot succeed: keep why, tell the project
            # manager, and let the project go on.
            await self._refused(batch, error, people, playbook)
            return False
        return events > 0

    async def _refused(
        self, batch: EffectsBatch, error: Exception, people, playbook: Playbook | None
    ) -> None:
        reason = str(error).replace("\x00", "\\x00").strip() or type(error).__name__
        log.error("the effects of %s refused for their content: %s", batch.key, reason)
        pm = people.get(batch.project_manager) or Person(id=batch.project_manager)
        report = effect_failure_report(batch, pm, reason)
        async with self.pool.connection() as conn, conn.transaction():
            if await record_failure(
                conn, batch.workflow_id, batch.transition, reason, len(batch.entries)
            ):
                await insert_messages(conn, [report])
        try:  # the lists still follow the project, unless its steps are what was refused
            async with self.pool.connection() as conn, conn.transaction():
                await _index(conn, batch, playbook)
        except REFUSED_CONTENT as again:
            log.error("the project index of %s refused: %s", batch.key, again)


async def _index(conn, batch: EffectsBatch, playbook: Playbook | None) -> None:
    """The project index as this transition leaves it: the project's facts and its
    steps (in the playbook's order, with a decision's options)."""
    await record_project(
        conn,
        batch.workflow_id,
        batch.project_name,
        batch.playbook,
        batch.playbook_version,
        batch.project_manager,
        batch.timezone,
        batch.launch_date,
        batch.state,
        steps_at=batch.transition,
    )
    order = {step.id: n for n, step in enumerate(playbook.steps)} if playbook else {}
    steps = [
        StepFacts(
            step_id=step.id,
            position=order.get(step.id, n),
            name=step.name,
            kind=step.kind,
            state=step.state,
            owners=step.owners,
            due=step.due,
            revision=step.revision,
            after=step.after,
            options=list(playbook.by_id[step.id].options)
            if playbook and step.id in playbook.by_id
            else [],
            runs=step.runs,
            started_at=step.started_at,
        )
        for n, step in enumerate(batch.steps)
    ]
    at = batch.at or max(entry.at for entry in batch.entries)
    await record_steps(conn, batch.workflow_id, batch.transition, at, steps, batch.entries)


def postgres_forecaster(pool: AsyncConnectionPool) -> HistoryForecaster:
    """Forecasts from the step runs in PostgreSQL, each kept as the project's latest
    (the task views' projected starts read it)."""
    catalog = PostgresCatalog(pool)

    async def keep(batch: EffectsBatch, forecast: Forecast) -> None:
        async with pool.connection() as conn:
            await save_forecast(
                conn, batch.workflow_id, batch.transition, forecast.model_dump(mode="json")
            )

    return HistoryForecaster(cached_history(StepRunRepo(pool).list), catalog.pinned, keep)
