"""The floor Baton is measured against: a bare workflow doing the same shape of work as a
project of N plain task steps, and nothing else.

Per step it waits for one validated update (the validator checks the step id), then runs
one activity that writes a row to PostgreSQL. A timer is armed per step, as a reminder
would be: cancelled when the update arrives (and armed again for the next step), or, with
`reminders`, fired at those offsets from the step's start, each firing running the
activity once (a reminder "sent"). Search attributes are upserted once, at the start.
The update's handler moves to the next step at once and queues the write, which the main
loop carries out: the next step can be acted on before the write is done, as in Baton."""

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from psycopg_pool import AsyncConnectionPool

WORKFLOW_TYPE = "BenchBareProject"
UPDATE = "complete"
# Baton's own search attributes (baton.contract's names, registered on the server), named
# here so that the bare worker imports nothing of Baton.
PLAYBOOK = SearchAttributeKey.for_keyword("BatonPlaybook")
STATE = SearchAttributeKey.for_keyword("BatonState")
OWNERS = SearchAttributeKey.for_keyword_list("BatonOwners")
STEP_TIMER = timedelta(days=30)  # the per-step timer when no reminder is due first
TABLE = """CREATE TABLE IF NOT EXISTS bench_bare_steps (
    id bigserial PRIMARY KEY,
    workflow_id text NOT NULL,
    step_id text NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
)"""
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@dataclass
class BareSpec:
    steps: int
    tag: str = "bare"  # the BatonPlaybook attribute: a run's workflows are counted by it
    owner: str = "person-0"
    reminders: list[float] = field(default_factory=list)  # seconds after a step starts


@dataclass
class StepRow:
    workflow_id: str
    step_id: str
    kind: str  # completed | reminder


@dataclass
class BareStatus:
    step: int
    steps: int


def step_id(index: int) -> str:
    return f"s{index}"


class BareActivities:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    @activity.defn(name="bench_record_step")
    async def record(self, row: StepRow) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO bench_bare_steps (workflow_id, step_id, kind) VALUES (%s, %s, %s)",
                (row.workflow_id, row.step_id, row.kind),
            )


@workflow.defn(name=WORKFLOW_TYPE)
class BareProject:
    @workflow.init
    def __init__(self, spec: BareSpec) -> None:
        self.spec = spec
        self.step = 0
        self.started = workflow.now()  # when the current step started
        self.reminded = 0  # reminders fired for the current step
        self.outbox: list[StepRow] = []

    @workflow.run
    async def run(self, spec: BareSpec) -> int:
        workflow.upsert_search_attributes(
            [
                PLAYBOOK.value_set(spec.tag),
                STATE.value_set("active"),
                OWNERS.value_set([spec.owner]),
            ]
        )
        while True:
            await self.flush()
            if self.step >= spec.steps:
                return self.step
            await self.wait_for_update_or_timer()

    async def wait_for_update_or_timer(self) -> None:
        step = self.step
        reminder = self.next_reminder()
        timeout = STEP_TIMER if reminder is None else reminder
        try:
            await workflow.wait_condition(lambda: self.step != step, timeout=timeout)
        except TimeoutError:
            if reminder is not None:
                self.reminded += 1
                self.queue("reminder")

    def next_reminder(self) -> timedelta | None:
        if self.reminded >= len(self.spec.reminders):
            return None
        due = self.started + timedelta(seconds=self.spec.reminders[self.reminded])
        return max(due - workflow.now(), timedelta(seconds=1))

    def queue(self, kind: str) -> None:
        wid = workflow.info().workflow_id
        self.outbox.append(StepRow(wid, step_id(self.step), kind))

    async def flush(self) -> None:
        while self.outbox:
            await workflow.execute_activity_method(
                BareActivities.record,
                self.outbox[0],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_RETRY,
            )
            self.outbox.pop(0)

    @workflow.update(name=UPDATE)
    def complete(self, step: str) -> int:
        self.queue("completed")
        self.step += 1
        self.started = workflow.now()
        self.reminded = 0
        return self.step

    @complete.validator
    def _check(self, step: str) -> None:
        if self.step >= self.spec.steps or step != step_id(self.step):
            raise ApplicationError(f"step '{step}' is not the current step", type="Refused")

    @workflow.query
    def status(self) -> BareStatus:
        return BareStatus(step=self.step, steps=self.spec.steps)
