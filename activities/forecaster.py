"""The forecast after each transition, in the same activity call that applies its
effects (no extra activity: the workflow stays deterministic and its history small).

`HistoryForecaster` reads the playbook's step-run history through the functions it is
given: PostgreSQL for the worker, a scenario's CSV for `baton simulate`. A forecast that
cannot be made (a playbook gone, a bug) is logged and skipped: the early warning is best
effort, the effects are not."""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from activities.recorders import EffectsBatch
from baton.contract import StartProject
from baton.errors import BatonError
from baton.insight.forecast import Forecast, ForecastInput, PlannedStep, forecast
from baton.insight.runs import StepRun
from baton.people import Person
from baton.playbook import Playbook
from baton.state import start_project
from baton.state.model import Outlook

log = logging.getLogger("baton.forecast")
SAMPLES = 2000  # per transition: enough for a warning threshold, a few ms

History = Callable[[str], Awaitable[Sequence[StepRun]]]
PlaybookOf = Callable[[str, int | None], Awaitable[Playbook | None]]
Keep = Callable[[EffectsBatch, Forecast], Awaitable[None]]


def forecast_input(batch: EffectsBatch) -> ForecastInput:
    """What the forecast needs of the project, from the batch the workflow sent."""
    return ForecastInput(
        project=batch.workflow_id,
        transition=batch.transition,
        launch_date=batch.launch_date,
        timezone=batch.timezone,
        steps=[PlannedStep.model_validate(step, from_attributes=True) for step in batch.steps],
    )


class HistoryForecaster:
    def __init__(
        self,
        history: History,
        playbook: PlaybookOf,
        keep: Keep | None = None,
        min_samples: int = 5,
    ):
        self.history = history
        self.playbook = playbook
        self.keep = keep
        self.min_samples = min_samples

    async def outlook(self, batch: EffectsBatch) -> Outlook | None:
        """The project's outlook after the batch's transition; None once it has ended."""
        if batch.state != "active" or batch.at is None:
            return None
        try:
            playbook = await self.playbook(batch.playbook, batch.playbook_version)
            if playbook is None:
                return None
            found = await self._forecast(forecast_input(batch), playbook, batch.at)
            if self.keep:
                await self.keep(batch, found)
        except Exception:  # the warning is best effort; never block the effects
            log.exception("no forecast for %s", batch.key)
            return None
        return _outlook(found)

    async def at_start(
        self, request: StartProject, playbook: Playbook, people: dict[str, Person], now: datetime
    ) -> Outlook | None:
        """The outlook of a project about to start (its first state, worked out here as
        the workflow will): the start itself can then warn that the launch is at risk."""
        try:
            first = start_project(request, playbook, people, now).project
        except BatonError:
            return None  # a start the workflow refuses: it says why, not this
        try:
            found = await self._forecast(ForecastInput.of_status(first.status()), playbook, now)
        except Exception:  # best effort, as above
            log.exception("no forecast for the start of %s", request.workflow_id)
            return None
        return _outlook(found)

    async def _forecast(self, target: ForecastInput, playbook: Playbook, now) -> Forecast:
        runs = await self.history(playbook.id)
        return forecast(target, playbook, runs, now, self.min_samples, SAMPLES)


def _outlook(found: Forecast) -> Outlook:
    return Outlook(
        p_on_time=found.p_on_time,
        projected_finish=found.p50_finish,
        critical_steps=[step.step for step in found.critical_steps],
    )


def cached_history(history: History, ttl: float = 5.0) -> History:
    """`history`, each playbook's runs read at most once per `ttl` seconds: a forecast
    follows every transition, and the runs change by a few a day (the store read was
    most of an effects call's time)."""
    kept: dict[str, tuple[float, Sequence[StepRun]]] = {}

    async def of(playbook_id: str) -> Sequence[StepRun]:
        now = time.monotonic()
        if playbook_id not in kept or now - kept[playbook_id][0] > ttl:
            kept[playbook_id] = (now, await history(playbook_id))
        return kept[playbook_id][1]

    return of


def memory_history(runs: Sequence[StepRun]) -> History:
    """A fixed history (a simulation's `history:` file)."""

    async def of(playbook_id: str) -> Sequence[StepRun]:
        return [run for run in runs if run.playbook == playbook_id]

    return of
