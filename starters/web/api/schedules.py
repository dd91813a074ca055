"""Recurring projects as Temporal Schedules: list, create, show, pause, resume, delete."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from activities.postgres import PostgresCatalog
from baton.bounds import SLUG, Text, bounded_text
from baton.recurring import RecurringSpec
from starters import client
from starters.client import ScheduleRow
from starters.web.deps import ServicesDep, current_person

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


@router.post("/schedules", summary="Create a recurring project", status_code=201)
async def create_recurring(body: NewSchedule, services: ServicesDep) -> ScheduleRow:
    """A Temporal Schedule starting one project per occurrence, its launch date the
    occurrence's date plus `lead_days`, with the same assignments each time."""
    today = body.spec.occurrence_date(datetime.now(UTC))
    catalog = PostgresCatalog(services.pool)
    await client.check_start_request(catalog, body.spec.project_for(today), today)
    return await client.create_schedule(
        services.client,
        body.spec,
        task_queue=services.settings.task_queue,
        every=body.every,
        cron=body.cron,
    )


@router.get("/schedules/{schedule_id}", summary="One recurring project")
async def get_recurring(schedule_id: ScheduleRef, services: ServicesDep) -> ScheduleRow:
    return await client.describe_schedule(services.client, schedule_id)


@router.post("/schedules/{schedule_id}/pause", summary="Pause a schedule")
async def pause_recurring(
    schedule_id: ScheduleRef, body: ScheduleNote, services: ServicesDep
) -> ScheduleRow:
    return await client.pause_schedule(services.client, schedule_id, body.note)


@router.post("/schedules/{schedule_id}/resume", summary="Resume a schedule")
async def resume_recurring(
    schedule_id: ScheduleRef, body: ScheduleNote, services: ServicesDep
) -> ScheduleRow:
    return await client.resume_schedule(services.client, schedule_id, body.note)


@router.delete("/schedules/{schedule_id}", summary="Delete a schedule", status_code=204)
async def delete_recurring(schedule_id: ScheduleRef, services: ServicesDep) -> None:
    await client.delete_schedule(services.client, schedule_id)
