"""MarketingProject: one project, run durably, thin over the pure core in `baton.state`.

The workflow only waits, for a message or for the single next instant the core names
(one timer, however many steps are active), feeds what arrives to the core, and carries
out each transition's effects with one activity call. Handlers change state
synchronously and queue the effects; the main loop delivers them in order.
"""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.project import ProjectActivities
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
    from baton.errors import Refused, field_problems

# The contract's search attributes as the SDK's typed keys.
PLAYBOOK = SearchAttributeKey.for_keyword(contract.SEARCH_PLAYBOOK)
STATE = SearchAttributeKey.for_keyword(contract.SEARCH_STATE)
OWNERS = SearchAttributeKey.for_keyword_list(contract.SEARCH_OWNERS)
NEXT_DUE = SearchAttributeKey.for_datetime(contract.SEARCH_NEXT_DUE)
OVERDUE = SearchAttributeKey.for_bool(contract.SEARCH_OVERDUE)
SEARCH_ATTRIBUTES = (PLAYBOOK, STATE, OWNERS, NEXT_DUE, OVERDUE)

_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name=WORKFLOW_TYPE)
class MarketingProject:
    @workflow.init
    def __init__(
        self,
        request: StartProject,
        carried: core.Project | None = None,
        options: RunOptions | None = None,
    ) -> None:
        # A start with the contract's input alone (the Temporal UI, another SDK) arrives
        # as a plain mapping: the SDK applies type hints only when every argument is given.
        self.raw_request = request
        self.request = request if isinstance(request, StartProject) else None
        self.options = options or RunOptions()
        self.project: core.Project | None = carried
        self.outbox: list[EffectsBatch] = []
        self.early_signals: list[Command] = []
        self.published: tuple | None = None

    @workflow.run
    async def run(
        self,
        request: StartProject,
        carried: core.Project | None = None,
        options: RunOptions | None = None,
    ) -> contract.ProjectStatus:
        if self.request is None:
            try:
                self.request = StartProject.model_validate(self.raw_request)
            except ValidationError as error:
                problem = field_problems(error)[0]
                message = f"the start input's field '{problem.field or 'input'}': {problem.message}"
                raise ApplicationError(message, type="Refused", non_retryable=True) from None
        if self.project is None:
            await self.start()
        else:
            self.publish()
        while True:
            await self.flush()
            if self.current.state != "active":
                break
            if self.should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self.flush()
                workflow.continue_as_new(args=[self.request, self.current, self.options])
            await self.wait_for_message_or_clock()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.flush()
        return self.current.status()

    async def start(self) -> None:
        resolved = await workflow.execute_activity_method(
            ProjectActivities.resolve_project,
            self.request,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
            summary=f"look up playbook '{self.request.playbook}' and the people",
        )
        try:
            transition = core.start_project(
                self.request, resolved.playbook, resolved.people, self.now(), resolved.version
            )
        except Refused as refused:
            raise ApplicationError(refused.reason, type="Refused", non_retryable=True) from None
        self.commit(transition)
        for command in self.early_signals:
            self.act_on_signal(command)
        self.early_signals.clear()

    async def wait_for_message_or_clock(self) -> None:
        wake = self.current.next_wake_at
        if wake is not None and wake <= self.now():
            self.commit(core.advance(self.current, self.now()))
            return
        seen = self.current.transition
        try:
            await workflow.wait_condition(
                lambda: self.current.transition != seen,
                timeout=None if wake is None else wake - self.now(),
                timeout_summary=wording.wake_reason(self.current),
            )
        except TimeoutError:
            self.commit(core.advance(self.current, self.now()))

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
                EffectsBatch.of(workflow.info().workflow_id, transition.project, transition.entries)
            )
        self.publish()

    async def flush(self) -> None:
        """Carry out queued effects in order, one activity call per transition."""
        while self.outbox:
            batch = self.outbox[0]
            await workflow.execute_activity_method(
                ProjectActivities.apply_effects,
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_RETRY,
                summary=wording.batch_summary(batch.entries),
            )
            self.outbox.pop(0)

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

    def validate(self, command: Command) -> None:
        if self.project is None:
            raise ApplicationError(
                "the project is still starting; try again in a moment", type="Refused"
            )
        try:
            core.check(self.project, command, self.now())
        except Refused as refused:
            raise ApplicationError(refused.reason, type="Refused") from None

    def act(self, command: Command) -> ActionResult:
        try:
            transition = core.apply(self.current, command, self.now())
        except Refused as refused:  # the project changed while a lookup ran
            raise ApplicationError(refused.reason, type="Refused") from None
        self.commit(transition)
        status = self.current.status()
        return ActionResult(
            message=wording.outcome(status, transition.entries),
            state=status.state,
            entries=transition.entries,
        )

    def act_on_signal(self, command: Command) -> None:
        """A signal cannot answer back: a refused one is recorded in the project's log."""
        if self.project is None:
            self.early_signals.append(command)
            return
        try:
            transition = core.apply(self.project, command, self.now())
        except Refused as refused:
            transition = core.refuse(self.project, command, refused.reason, self.now())
        self.commit(transition)

    @workflow.query
    def status(self) -> contract.ProjectStatus | None:
        return self.project.status() if self.project else None

    @workflow.update
    def complete_step(self, command: CompleteStep) -> ActionResult:
        return self.act(command)

    @complete_step.validator
    def _validate_complete_step(self, command: CompleteStep) -> None:
        self.validate(command)

    @workflow.signal(name="complete_step")
    def complete_step_signal(self, command: CompleteStep) -> None:
        self.act_on_signal(command)

    @workflow.update
    def review_step(self, command: ReviewStep) -> ActionResult:
        return self.act(command)

    @review_step.validator
    def _validate_review_step(self, command: ReviewStep) -> None:
        self.validate(command)

    @workflow.signal(name="review_step")
    def review_step_signal(self, command: ReviewStep) -> None:
        self.act_on_signal(command)

    @workflow.update
    def choose_option(self, command: ChooseOption) -> ActionResult:
        return self.act(command)

    @choose_option.validator
    def _validate_choose_option(self, command: ChooseOption) -> None:
        self.validate(command)

    @workflow.signal(name="choose_option")
    def choose_option_signal(self, command: ChooseOption) -> None:
        self.act_on_signal(command)

    @workflow.update
    async def reassign_step(self, command: ReassignStep) -> ActionResult:
        await self.meet(command.to)
        return self.act(command)

    @reassign_step.validator
    def _validate_reassign_step(self, command: ReassignStep) -> None:
        self.validate(command)

    @workflow.signal(name="reassign_step")
    async def reassign_step_signal(self, command: ReassignStep) -> None:
        await self.meet(command.to)
        self.act_on_signal(command)

    async def meet(self, person_id: str) -> None:
        """Look up someone joining the project, so their hours and time off count."""
        if self.project is None or person_id in self.project.people:
            return
        if not workflow.patched("look-up-newcomers"):
            return  # runs started before people were looked up on reassignment
        found = await workflow.execute_activity_method(
            ProjectActivities.resolve_people,
            [person_id],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
            summary=f"look up {person_id}",
        )
        project = self.current
        self.project = project.model_copy(update={"people": {**project.people, **found}})

    @workflow.update
    def reschedule(self, command: Reschedule) -> ActionResult:
        return self.act(command)

    @reschedule.validator
    def _validate_reschedule(self, command: Reschedule) -> None:
        self.validate(command)

    @workflow.signal(name="reschedule")
    def reschedule_signal(self, command: Reschedule) -> None:
        self.act_on_signal(command)

    @workflow.update
    def cancel_project(self, command: CancelProject) -> ActionResult:
        return self.act(command)

    @cancel_project.validator
    def _validate_cancel_project(self, command: CancelProject) -> None:
        self.validate(command)

    @workflow.signal(name="cancel_project")
    def cancel_project_signal(self, command: CancelProject) -> None:
        self.act_on_signal(command)
