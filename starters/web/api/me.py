"""The person the token belongs to: who they are, their tasks, their mailbox."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from baton.people import Person
from baton.store.outbox import InboxMessage, OutboxRepo
from baton.store.people import PeopleRepo
from starters import client
from starters.client import TaskRow
from starters.web.deps import Me, ServicesDep, current_person

router = APIRouter(tags=["me"], dependencies=[Depends(current_person)])


class Myself(BaseModel):
    person: Person
    is_admin: bool


@router.get("/me", summary="Who this token belongs to")
async def whoami(me: Me, services: ServicesDep) -> Myself:
    return Myself(person=me, is_admin=await PeopleRepo(services.pool).is_admin(me.id))


@router.get("/me/tasks", summary="My active steps")
async def my_tasks(me: Me, services: ServicesDep) -> list[TaskRow]:
    """Steps waiting on me across projects: overdue first, then by due."""
    return await client.tasks_for(services.client, me.id, services.pool)


@router.get("/me/inbox", summary="My messages (marks them read)")
async def my_inbox(
    me: Me,
    services: ServicesDep,
    unread: Annotated[bool, Query(description="Only messages not read before.")] = False,
) -> list[InboxMessage]:
    """Every Baton message sent to me, newest first; the ones returned are marked read."""
    rows = await OutboxRepo(services.pool).read(me.id, unread_only=unread)
    return [InboxMessage.model_validate(row.model_dump()) for row in rows]
