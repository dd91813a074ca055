"""Recurring projects as Temporal Schedules: list, create, show, pause, resume, delete."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from activities.postgres import PostgresCatalog
from baton.bounds import SLUG, Text, bounded_text
from baton.people import Person
from baton.recurring import RecurringSpec
from baton.store.people import PeopleRepo
from baton.store.schedule_actions import ScheduleActions
from starters import client
from starters.client import ScheduleRow
from starters.web.deps import Me, Services, ServicesDep, current_person

ScheduleRef = Annotated[
    str, Path(max_length=80, pattern=SLUG, description="The schedule's id or slug.")
]

router = APIRouter(tags=["schedules"], dependencies=[Depends(current_person)])


class NewSchedule(BaseModel):
    """A recurring project: the project each occurrence starts and when it occurs."""

    model_config = ConfigDict(extra="forbid")
    spec: RecurringSpec
    every: bounded_text(100) | None = Field(default=None, examples=["weekly on Tue at 09:00"])
    cron: bounded_text(100) | None = Field(default=None, examples=["0 9 * * 2"])


class ScheduleNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = None


@router.get("/schedules", summary="List recurring projects")
async def list_recurring(services: ServicesDep) -> list[ScheduleRow]:
    return await client.list_schedules(services.client)


async def may_change(me: Person, project_manager: str | None, services: Services) -> None:
    """Only admins and the schedule's project manager change a schedule."""
    if me.id != project_manager and not await PeopleRepo(services.pool).is_admin(me.id):
        raise HTTPException(
            403,
            detail=f"{me.id} may not change this schedule: only its project manager "
            f"({project_manager or 'not recorded'}) or an admin may",
        )


async def _changeable(schedule_id: str, me: Person, services: Services) -> ScheduleRow:
    row = await client.describe_schedule(services.client, schedule_id)
    await may_change(me, row.project_manager, services)
    return row


@router.post("/schedules", summary="Create a recurring project", status_code=201)
async def create_recurring(body: NewSchedule, me: Me, services: ServicesDep) -> ScheduleRow:
    """A Temporal Schedule starting one project per occurrence, its launch date the
    occurrence's date plus `lead_days`, with the same assignments each time. Its project
    manager or an admin creates it; who did is recorded. A lead too short for the
    playbook (its first step would be due before the occurrence) is a 422 naming the
    shortest that works."""
    await may_change(me, body.spec.project_manager, services)
    await client.check_schedule_request(PostgresCatalog(services.pool), body.spec)
    row = await client.create_schedule(
        services.client,
        body.spec,
        task_queue=services.settings.task_queue,
        every=body.every,
        cron=body.cron,
        created_by=me.id,
    )
    await ScheduleActions(services.pool).record(row.schedule_id, "create", me.id)
    return row


@router.get("/schedules/{schedule_id}", summary="One recurring project")
async def get_recurring(schedule_id: ScheduleRef, services: ServicesDep) -> ScheduleRow:
    return await client.describe_schedule(services.client, schedule_id)


@router.post("/schedules/{schedule_id}/pause", summary="Pause a schedule")
async def pause_recurring(
    schedule_id: ScheduleRef, body: ScheduleNote, me: Me, services: ServicesDep
) -> ScheduleRow:
    """Its project manager or an admin; who did is recorded."""
    row = await _changeable(schedule_id, me, services)
    paused = await client.pause_schedule(services.client, row.schedule_id, body.note)
    await ScheduleActions(services.pool).record(row.schedule_id, "pause", me.id, body.note)
    return paused


@router.post("/schedules/{schedule_id}/resume", summary="Resume a schedule")
async def resume_recurring(
    schedule_id: ScheduleRef, body: ScheduleNote, me: Me, services: ServicesDep
) -> ScheduleRow:
    """Its project manager or an admin; who did is recorded."""
    row = await _changeable(schedule_id, me, services)
    resumed = await client.resume_schedule(services.client, row.schedule_id, body.note)
    await ScheduleActions(services.pool).record(row.schedule_id, "resume", me.id, body.note)
    return resumed


@router.post("/schedules/{schedule_id}/trigger", summary="Run an occurrence now")
async def trigger_recurring(schedule_id: ScheduleRef, me: Me, services: ServicesDep) -> ScheduleRow:
    """Start today's project now (if it does not exist yet). Its project manager or an
    admin; who did is recorded."""
    row = await _changeable(schedule_id, me, services)
    await client.trigger_schedule(services.client, row.schedule_id)
    await ScheduleActions(services.pool).record(row.schedule_id, "trigger", me.id)
    return await client.describe_schedule(services.client, row.schedule_id)


@router.delete("/schedules/{schedule_id}", summary="Delete a schedule", status_code=204)
async def delete_recurring(schedule_id: ScheduleRef, me: Me, services: ServicesDep) -> None:
    """Projects it started run on. Its project manager or an admin; who did is recorded."""
    row = await _changeable(schedule_id, me, services)
    await client.delete_schedule(services.client, row.schedule_id)
    await ScheduleActions(services.pool).record(row.schedule_id, "delete", me.id)
