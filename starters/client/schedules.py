"""Recurring projects (a weekly newsletter) as Temporal Schedules: create, list, pause,
resume, trigger, delete. Each schedule starts a `RecurringProject` workflow at every
occurrence, which starts that occurrence's project."""

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.service import RPCError, RPCStatusCode

from baton.errors import Invalid, NotFound, Refused, Unavailable
from baton.recurring import Cadence, RecurringSpec, parse_cron, parse_every, schedule_id_for
from workflows.recurring import WORKFLOW_TYPE as RECURRING_TYPE
from workflows.recurring import RecurringProject

# An occurrence missed while Temporal was down still runs within this window; later ones
# are dropped rather than starting projects whose launch date may already have passed.
CATCHUP_WINDOW = timedelta(days=1)


class ScheduleRow(BaseModel):
    schedule_id: str
    name: str | None
    playbook: str | None
    cadence: str | None  # "weekly on Tue at 09:00"
    timezone: str | None
    lead_days: int | None
    project_manager: str | None  # who, beside admins, may change the schedule
    created_by: str | None
    next_runs: list[datetime]
    paused: bool
    note: str | None
    recent_runs: list[str]  # workflow ids of the latest occurrences' RecurringProject runs


def cadence_of(every: str | None = None, cron: str | None = None) -> Cadence:
    """Exactly one of `every` ("weekly on Tue at 09:00") or `cron` ("0 9 * * 2")."""
    if (every is None) == (cron is None):
        raise Invalid(
            "say when the project recurs with one of --every (like 'weekly on Tue') or "
            "--cron (like '0 9 * * 2')"
        )
    return parse_every(every) if every is not None else parse_cron(cron or "")


async def create_schedule(
    client: Client,
    spec: RecurringSpec,
    *,
    task_queue: str,
    every: str | None = None,
    cron: str | None = None,
    schedule_id: str | None = None,
    created_by: str | None = None,
) -> ScheduleRow:
    """Create the schedule `schedule-<slug>`; an existing one is a `Refused`."""
    cadence = cadence_of(every, cron)
    schedule_id = schedule_id_for(schedule_id) if schedule_id else spec.schedule_id
    action = ScheduleActionStartWorkflow(
        RecurringProject.run,
        spec,
        id=f"recurring-{spec.project_slug}",  # the server appends each occurrence's time
        task_queue=task_queue,
        static_summary=f"Starts the next '{spec.name}' project ({spec.playbook})",
    )
    schedule = Schedule(
        action=action,
        spec=ScheduleSpec(cron_expressions=[cadence.cron], time_zone_name=spec.timezone),
        # ALLOW_ALL: an occurrence waiting for a worker must not make the next one skip.
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=CATCHUP_WINDOW
        ),
    )
    memo = {
        "name": spec.name,
        "playbook": spec.playbook,
        "cadence": cadence.text,
        "timezone": spec.timezone,
        "lead_days": spec.lead_days,
        "project_manager": spec.project_manager,
        "created_by": created_by,
    }
    try:
        await client.create_schedule(schedule_id, schedule, memo=memo)
    except ScheduleAlreadyRunningError:
        raise Refused(
            f"a schedule with id '{schedule_id}' already exists; delete it first "
            f"(`baton schedule delete {schedule_id}`) or give this one another --slug"
        ) from None
    except RPCError as error:
        raise _translate_schedule(error, schedule_id) from None
    return await describe_schedule(client, schedule_id)


async def describe_schedule(client: Client, schedule_id: str) -> ScheduleRow:
    schedule_id = schedule_id_for(schedule_id)
    try:
        description = await client.get_schedule_handle(schedule_id).describe()
    except RPCError as error:
        raise _translate_schedule(error, schedule_id) from None
    return await _row(description)


async def list_schedules(client: Client) -> list[ScheduleRow]:
    """Every recurring project's schedule, by id (current state, not the eventually
    consistent listing's)."""
    ids = []
    async for listed in await client.list_schedules():
        if listed.schedule and getattr(listed.schedule.action, "workflow", "") == RECURRING_TYPE:
            ids.append(listed.id)
    rows = []
    for schedule_id in sorted(ids):
        try:
            rows.append(await describe_schedule(client, schedule_id))
        except NotFound:
            continue  # deleted since the listing
    return rows


async def pause_schedule(client: Client, schedule_id: str, note: str | None = None) -> ScheduleRow:
    handle = _handle(client, schedule_id)
    await _call(handle, handle.pause(note=note or "paused"))
    return await describe_schedule(client, handle.id)


async def resume_schedule(client: Client, schedule_id: str, note: str | None = None) -> ScheduleRow:
    handle = _handle(client, schedule_id)
    await _call(handle, handle.unpause(note=note or "resumed"))
    return await describe_schedule(client, handle.id)


async def trigger_schedule(client: Client, schedule_id: str) -> None:
    """Run one occurrence now (today's date, in the schedule's time zone)."""
    handle = _handle(client, schedule_id)
    await _call(handle, handle.trigger())


async def delete_schedule(client: Client, schedule_id: str) -> None:
    """Delete the schedule; projects it started run on."""
    handle = _handle(client, schedule_id)
    await _call(handle, handle.delete())


def _handle(client: Client, schedule_id: str) -> ScheduleHandle:
    return client.get_schedule_handle(schedule_id_for(schedule_id))


async def _call(handle: ScheduleHandle, request) -> None:
    try:
        await request
    except RPCError as error:
        raise _translate_schedule(error, handle.id) from None


async def _row(description: ScheduleDescription) -> ScheduleRow:
    memo = await description.memo()
    state = description.schedule.state
    return ScheduleRow(
        schedule_id=description.id,
        name=memo.get("name"),
        playbook=memo.get("playbook"),
        cadence=memo.get("cadence"),
        timezone=memo.get("timezone"),
        lead_days=memo.get("lead_days"),
        project_manager=memo.get("project_manager"),
        created_by=memo.get("created_by"),
        next_runs=list(description.info.next_action_times),
        paused=state.paused,
        note=state.note,
        recent_runs=[
            getattr(result.action, "workflow_id", "") for result in description.info.recent_actions
        ],
    )


def _translate_schedule(error: RPCError, schedule_id: str) -> Exception:
    if error.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"no schedule '{schedule_id}'; `baton schedule list` lists them")
    if error.status == RPCStatusCode.INVALID_ARGUMENT:
        return Invalid(f"Temporal refused schedule '{schedule_id}': {error.message}")
    return Unavailable(f"Temporal refused the request: {error.message}")
