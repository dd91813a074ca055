"""MarketingProject: one project, run durably, thin over the pure core in `baton.state`.

The workflow only waits, for a message or for the single next instant the core names
(one timer, however many steps are active), feeds what arrives to the core, and carries
out each transition's effects with one activity call. Handlers change state
synchronously and queue the effects; the main loop delivers them in order.
"""

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.project import Applied, ProjectActivities
    from activities.recorders import EffectsBatch
    from baton import contract, wording
    from baton import state as core
    from baton.contract import (
        WORKFLOW_TYPE,
        ActionResult,
        CancelProject,
        ChooseOption,
        Command,
        CompleteStep,
        ReassignStep,
        Reschedule,
        ReviewStep,
        RunOptions,
        StartProject,
    )
    from baton.errors import Invalid, M, Refused, validated

# The contract's search attributes as the SDK's typed keys.
PLAYBOOK = SearchAttributeKey.for_keyword(contract.SEARCH_PLAYBOOK)
STATE = SearchAttributeKey.for_keyword(contract.SEARCH_STATE)
OWNERS = SearchAttributeKey.for_keyword_list(contract.SEARCH_OWNERS)
NEXT_DUE = SearchAttributeKey.for_datetime(contract.SEARCH_NEXT_DUE)
OVERDUE = SearchAttributeKey.for_bool(contract.SEARCH_OVERDUE)
SEARCH_ATTRIBUTES = (PLAYBOOK, STATE, OWNERS, NEXT_DUE, OVERDUE)

RESULT_LOG = 10  # log entries a finished run's result keeps
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name=WORKFLOW_TYPE)
class MarketingProject:
    # The start input and the run options arrive as plain data (`Any`) and are validated
    # here: a bad one then fails the start with the reason, where a decoding error inside
    # the SDK would fail the workflow task again and again. The carried state is this
    # workflow's own (continue-as-new).
    @workflow.init
    def __init__(
        self, request: Any, carried: core.Project | None = None, options: Any = None
    ) -> None:
        self.request: StartProject | None = None
        self.options = RunOptions()
        self.project: core.Project | None = carried
        if carried is not None:  # decoded anew: share the process's copy of its playbook
            carried.definition = core.shared_definition(carried.definition)
        self.outbox: list[EffectsBatch] = []
        self.early_signals: list[tuple[type[Command], Any]] = []
        self.published: tuple | None = None
        self.timer: asyncio.Task | None = None  # the one timer, for `timer_at`
        self.timer_at: datetime | None = None
        # The lean history (effects as local activities, one kept timer, no wake-up for
        # a due instant alone, one search-attribute upsert per workflow task): decided
        # once per run, so runs recorded before it replay their own way to the end.
        self.lean = False

    @workflow.run
    async def run(
        self, request: Any, carried: core.Project | None = None, options: Any = None
    ) -> contract.ProjectStatus:
        self.lean = workflow.patched("lean-history")
        self.request = _start_input(StartProject, request, "the start input")
        self.options = _start_input(RunOptions, options or {}, "the run options")
        if self.project is None:
            await self.start()
        else:
            self.publish()
        try:
            await self.live()
        except asyncio.CancelledError:
            await self.cancelled_in_temporal()
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.flush()
        self.publish()
        # Runs from before this ended a cancelled project as "Completed" in Temporal.
        if self.current.state == "cancelled" and workflow.patched("close-cancelled-as-canceled"):
            await self.close_as_cancelled()
        return self.result()

    def result(self) -> contract.ProjectStatus:
        """The run's result: the final status with the latest log entries only (the
        whole log is in PostgreSQL; a lean run's history need not carry it again)."""
        status = self.current.status()
        if not self.lean:
            return status
        return status.model_copy(update={"log": status.log[-RESULT_LOG:]})

    async def live(self) -> None:
        """Until the project ends: deliver effects, wait for a message or the clock."""
        while True:
            await self.flush()
            if self.current.state != "active":
                return
            if self.should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self.flush()
                workflow.continue_as_new(args=[self.request, self.current, self.options])
            await self.wait_for_message_or_clock()

    async def cancelled_in_temporal(self) -> None:
        """A cancellation asked of Temporal itself (the Web UI's button, `temporal workflow
        cancel`) cancels the project as its manager would, so the status, the lists and
        the people it waited on all know; the run then ends as Canceled."""
        if self.project is None or self.current.state != "active":
            return  # still starting, or our own request after a cancel_project
        if not workflow.patched("temporal-cancel-cancels-the-project"):
            return  # runs from before this ended without a word
        reason = "cancelled in Temporal (Request Cancellation)"
        command = CancelProject(actor=self.current.project_manager, reason=reason)
        self.commit(core.apply(self.current, command, self.now()))
        await self.flush()
        self.publish()  # the run ends here: the lists must read it cancelled

    async def close_as_cancelled(self) -> None:
        """End as "Canceled" in Temporal's own status (the UI's status column), not as
        "Completed". Only a cancellation request does that, and a workflow cannot send
        one to itself: an activity asks Temporal, and the request ends the run here."""
        await workflow.execute_activity_method(
            ProjectActivities.request_cancellation,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
            summary="close the cancelled project as Canceled",
        )
        await workflow.wait_condition(lambda: False)  # raises CancelledError on the request

    async def start(self) -> None:
        try:
            resolved = await self.execute(
                ProjectActivities.resolve_project,
                args=[self.request, self.now()],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_RETRY,
                summary=f"look up playbook '{self.request.playbook}' and the people",
            )
        except ActivityError as error:
            # A start that can never work (an unknown playbook or person): the project
            # fails with the lookup's own words, not "activity task failed".
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from None
            raise
        try:
            transition = core.start_project(
                self.request, resolved.playbook, resolved.people, self.now(), resolved.version
            )
        except Refused as refused:
            raise ApplicationError(refused.reason, type="Refused", non_retryable=True) from None
        self.commit(transition)
        if resolved.outlook is not None:  # the start may already be at risk: say so now
            noted = core.note_forecast(self.current, resolved.outlook, self.now())
            if noted is not None:
                self.commit(noted)
        for kind, payload in self.early_signals:
            self.act_on_signal(kind, payload)
        self.early_signals.clear()

    async def wait_for_message_or_clock(self) -> None:
        wake = self.wake_at()
        if wake is not None and wake <= self.now():
            self.commit(core.advance(self.current, self.now()))
            return
        seen = self.current.transition
        if self.lean:
            self.publish()
            # One timer, kept while the instant it waits for stays the next one: a
            # message that changes nothing of it costs no cancelled and re-armed timer.
            timer = self.arm(wake)
            await workflow.wait_condition(
                lambda: self.current.transition != seen or (timer is not None and timer.done())
            )
            return  # a timer that fired: the loop finds its instant reached and advances
        try:
            await workflow.wait_condition(
                lambda: self.current.transition != seen,
                timeout=None if wake is None else wake - self.now(),
                timeout_summary=wording.wake_reason(self.current),
            )
        except TimeoutError:
            self.commit(core.advance(self.current, self.now()))

    def wake_at(self) -> datetime | None:
        """The next instant to wake for: the next alert. Runs from before overdue was
        derived also woke at each due instant (to flip the step overdue)."""
        if self.lean:
            return self.current.next_wake_at
        return core.next_wake(self.current, dues=True)

    def arm(self, wake: datetime | None) -> asyncio.Task | None:
        """The timer for `wake`: the running one if it waits for that instant, else a new
        one (the old one cancelled)."""
        if self.timer is not None and not self.timer.done():
            if self.timer_at == wake:
                return self.timer
            self.timer.cancel()
        self.timer, self.timer_at = None, wake
        if wake is not None:
            self.timer = asyncio.ensure_future(
                workflow.sleep(wake - self.now(), summary=wording.wake_reason(self.current))
            )
        return self.timer

    def should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self.options.history_limit
        return info.is_continue_as_new_suggested() or bool(
            limit and info.get_current_history_length() > limit
        )

    # -- the clock, state and effects

    def now(self) -> datetime:
        """The project's clock, to the second (log instants read as people write them)."""
        offset = timedelta(seconds=self.options.clock_offset_seconds)
        return (workflow.now() + offset).replace(microsecond=0)

    @property
    def current(self) -> core.Project:
        assert self.project is not None
        return self.project

    def commit(self, transition: core.Transition) -> None:
        self.project = transition.project
        if transition.entries:
            self.outbox.append(
                EffectsBatch.of(
                    workflow.info().workflow_id,
                    transition.project,
                    transition.entries,
                    runs=transition.runs,
                    at=self.now(),
                )
            )
        if not self.lean:  # else once per workflow task, before the workflow waits
            self.publish()

    def execute(self, activity, *args, **options):
        """Run one of the project's activities: a local activity in a lean run (run by
        this worker at once, recorded as one marker without its input), where an
        activity costs six events and a round trip through the server."""
        if self.lean:
            return workflow.execute_local_activity_method(activity, *args, **options)
        return workflow.execute_activity_method(activity, *args, **options)

    async def flush(self) -> None:
        """Carry out queued effects in order, one activity call per transition; the
        forecast it answers may warn the project manager (a transition of its own)."""
        while self.outbox:
            batch = self.outbox[0]
            applied = await self.execute(
                ProjectActivities.apply_effects,
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_RETRY,
                summary=wording.batch_summary(batch.entries),
            )
            self.outbox.pop(0)
            # An `int`: recorded by a worker from before forecasts (a replayed history).
            if isinstance(applied, Applied) and applied.outlook is not None:
                noted = core.note_forecast(self.current, applied.outlook, self.now())
                if noted is not None:
                    self.commit(noted)

    def publish(self) -> None:
        """Keep the search attributes and current details true for the Temporal UI."""
        project = self.current
        values = (
            project.playbook,
            project.state,
            project.active_owners,
            project.next_due,
            project.overdue,
        )
        if values != self.published:
            self.published = values
            updates = [
                PLAYBOOK.value_set(project.playbook),
                STATE.value_set(project.state),
                OWNERS.value_set(project.active_owners),
                NEXT_DUE.value_set(project.next_due)
                if project.next_due
                else NEXT_DUE.value_unset(),
                OVERDUE.value_set(project.overdue),
            ]
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(wording.waiting_on(project))

    # -- messages
    #
    # Each action is an update (validated: a rejection leaves no trace in the history) and
    # a signal of the same name (a refusal is recorded in the log). Payloads arrive as
    # plain data and are checked against the contract's models here, so a payload out of
    # bounds gets its reason, never a decoding failure.

    def parsed(self, kind: type[Command], payload: Any) -> Command:
        """The message in the payload; an update with a bad one is rejected with why."""
        try:
            return validated(kind, payload, "the message")
        except Invalid as invalid:
            raise ApplicationError(invalid.message, type="Invalid") from None

    def validate(self, kind: type[Command], payload: Any) -> None:
        command = self.parsed(kind, payload)
        if self.project is None:
            raise ApplicationError(
                "the project is still starting; try again in a moment", type="Refused"
            )
        try:
            core.check(self.project, command, self.now())
        except Refused as refused:
            raise ApplicationError(refused.reason, type="Refused") from None

    def act(self, kind: type[Command], payload: Any) -> ActionResult:
        command = self.as_in_its_run(self.parsed(kind, payload))
        try:
            transition = core.apply(self.current, command, self.now())
        except Refused as refused:  # the project changed while a lookup ran
            raise ApplicationError(refused.reason, type="Refused") from None
        self.commit(transition)
        project = self.current  # read as it is: no status view built for an answer
        return ActionResult(
            # In the actor's own time zone: the answer is theirs to read.
            message=wording.outcome(
                project, transition.entries, project.person(command.actor).timezone
            ),
            state=project.state,
            entries=transition.entries,
        )

    def act_on_signal(self, kind: type[Command], payload: Any) -> None:
        """A signal cannot answer back: a refused one is recorded in the project's log."""
        if self.project is None:
            self.early_signals.append((kind, payload))
            return
        try:
            command = validated(kind, payload, "the message")
        except Invalid as invalid:
            # Runs from before this check dropped such a signal unrecorded.
            if workflow.patched("refuse-invalid-signals"):
                self.commit(core.refuse_unreadable(self.project, kind, invalid.message, self.now()))
            return
        command = self.as_in_its_run(command)
        try:
            transition = core.apply(self.project, command, self.now())
        except Refused as refused:
            transition = core.refuse(self.project, command, refused.reason, self.now())
        self.commit(transition)

    def as_in_its_run(self, command: Command) -> Command:
        """Runs from before a reschedule leaving steps late was refused took it as if
        `allow_late` were set: replayed, they take it so again."""
        if (
            isinstance(command, Reschedule)
            and not (command.compress or command.allow_late)
            and not workflow.patched("refuse-late-reschedule")
        ):
            return command.model_copy(update={"allow_late": True})
        return command

    @workflow.query
    def status(self) -> contract.ProjectStatus | None:
        return self.project.status() if self.project else None

    @workflow.update
    def complete_step(self, payload: Any) -> ActionResult:
        return self.act(CompleteStep, payload)

    @complete_step.validator
    def _validate_complete_step(self, payload: Any) -> None:
        self.validate(CompleteStep, payload)

    @workflow.signal(name="complete_step")
    def complete_step_signal(self, payload: Any) -> None:
        self.act_on_signal(CompleteStep, payload)

    @workflow.update
    def review_step(self, payload: Any) -> ActionResult:
        return self.act(ReviewStep, payload)

    @review_step.validator
    def _validate_review_step(self, payload: Any) -> None:
        self.validate(ReviewStep, payload)

    @workflow.signal(name="review_step")
    def review_step_signal(self, payload: Any) -> None:
        self.act_on_signal(ReviewStep, payload)

    @workflow.update
    def choose_option(self, payload: Any) -> ActionResult:
        return self.act(ChooseOption, payload)

    @choose_option.validator
    def _validate_choose_option(self, payload: Any) -> None:
        self.validate(ChooseOption, payload)

    @workflow.signal(name="choose_option")
    def choose_option_signal(self, payload: Any) -> None:
        self.act_on_signal(ChooseOption, payload)

    @workflow.update
    async def reassign_step(self, payload: Any) -> ActionResult:
        await self.meet(self.parsed(ReassignStep, payload).to)
        return self.act(ReassignStep, payload)

    @reassign_step.validator
    def _validate_reassign_step(self, payload: Any) -> None:
        self.validate(ReassignStep, payload)

    @workflow.signal(name="reassign_step")
    async def reassign_step_signal(self, payload: Any) -> None:
        with contextlib.suppress(Invalid):  # unreadable: refused below, nobody to meet
            await self.meet(validated(ReassignStep, payload).to)
        self.act_on_signal(ReassignStep, payload)

    async def meet(self, person_id: str) -> None:
        """Look up someone joining the project, so their hours and time off count."""
        if self.project is None or person_id in self.project.people:
            return
        if not workflow.patched("look-up-newcomers"):
            return  # runs started before people were looked up on reassignment
        found = await self.execute(
            ProjectActivities.resolve_people,
            [person_id],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
            summary=f"look up {person_id}",
        )
        project = self.current
        self.project = project.model_copy(update={"people": {**project.people, **found}})

    @workflow.update
    def reschedule(self, payload: Any) -> ActionResult:
        return self.act(Reschedule, payload)

    @reschedule.validator
    def _validate_reschedule(self, payload: Any) -> None:
        self.validate(Reschedule, payload)

    @workflow.signal(name="reschedule")
    def reschedule_signal(self, payload: Any) -> None:
        self.act_on_signal(Reschedule, payload)

    @workflow.update
    def cancel_project(self, payload: Any) -> ActionResult:
        return self.act(CancelProject, payload)

    @cancel_project.validator
    def _validate_cancel_project(self, payload: Any) -> None:
        self.validate(CancelProject, payload)

    @workflow.signal(name="cancel_project")
    def cancel_project_signal(self, payload: Any) -> None:
        self.act_on_signal(CancelProject, payload)


def _start_input(kind: type[M], data: Any, what: str) -> M:
    """A start argument as its model; a bad one fails the start with the reason."""
    try:
        return validated(kind, data)
    except Invalid as invalid:
        problem = invalid.problems[0] if invalid.problems else None
        field = (problem.field if problem else None) or "input"
        message = f"{what}'s field '{field}': {problem.message if problem else invalid.message}"
        raise ApplicationError(message, type="Refused", non_retryable=True) from None
