"""The outbox sender: drains pending email and Slack messages to their providers.

At least once towards the provider (a sender that dies mid-send leaves the row
'sending'; it goes back to 'pending' after a while and is sent again, with the same
idempotency key), never twice for a message marked sent. 429, 5xx and timeouts retry
with exponential backoff and jitter, honouring Retry-After; other 4xx are permanent:
recorded with the provider's error and reported to the project manager's mailbox, and
the project goes on."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from baton.config import Settings
from baton.notify.channels import (
    EmailChannel,
    PermanentFailure,
    SlackChannel,
    TemporaryFailure,
    backoff,
)
from baton.notify.render import Link, MessageContext, PersonRef, render
from baton.people import Person
from baton.store.outbox import OutboxMessage, OutboxRepo, OutboxRow, insert_messages
from baton.store.people import PeopleRepo
from baton.store.projects import ProjectRepo

log = logging.getLogger("baton.sender")
MAX_ATTEMPTS = 8
STUCK_AFTER = timedelta(minutes=5)


class OutboxSender:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        email: EmailChannel | None,
        slack: SlackChannel | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ):
        self.pool = pool
        self.outbox = OutboxRepo(pool)
        self.people = PeopleRepo(pool)
        self.projects = ProjectRepo(pool)
        self.email = email
        self.slack = slack
        self.clock = clock
        self.rng = rng or random.Random()

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Drain until `stop` is set; a failing round is logged and tried again."""
        while not stop.is_set():
            try:
                await self.outbox.release_stuck(self.clock() - STUCK_AFTER)
                while await self.drain_once():
                    pass
            except Exception:  # keep the worker alive; the rows wait for the next round
                log.exception("outbox round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def drain_once(self, limit: int = 20) -> int:
        """Send what is due now; returns how many messages were tried."""
        rows = await self.outbox.claim_due(limit, self.clock())
        for row in rows:
            await self.deliver(row)
        return len(rows)

    async def deliver(self, row: OutboxRow) -> None:
        try:
            provider_id = await self._send(row)
        except TemporaryFailure as failure:
            if row.attempts >= MAX_ATTEMPTS:
                await self._give_up(row, f"gave up after {row.attempts} attempts: {failure}")
                return
            delay = backoff(row.attempts, failure.retry_after, self.rng)
            await self.outbox.mark_retry(
                row.id, str(failure), self.clock() + timedelta(seconds=delay)
            )
        except PermanentFailure as failure:
            await self._give_up(row, str(failure))
        else:
            await self.outbox.mark_sent(row.id, provider_id)

    async def _send(self, row: OutboxRow) -> str | None:
        person = await self.people.get(row.recipient)
        if row.channel == "email":
            if self.email is None or person is None or not person.email:
                raise PermanentFailure(f"no email channel or address for {row.recipient}")
            return await asyncio.to_thread(
                self.email.send, person.email, row.subject, row.body_text, row.body_html,
                row.idempotency_key,
            )  # fmt: skip
        if self.slack is None or person is None or not person.slack_id:
            raise PermanentFailure(f"no Slack channel or Slack id for {row.recipient}")
        links = [Link.model_validate(link) for link in row.links]
        return await asyncio.to_thread(
            self.slack.send, person.slack_id, row.subject, row.body_text, links
        )

    async def _give_up(self, row: OutboxRow, error: str) -> None:
        """Record the failure and tell the project manager, in their mailbox."""
        await self.outbox.mark_failed(row.id, error)
        project = await self.projects.get(row.workflow_id)
        pm_id = project.project_manager if project else None
        if pm_id is None:
            log.warning("message %s failed and its project is unknown: %s", row.id, error)
            return
        pm = await self.people.get(pm_id) or Person(id=pm_id)
        failed = await self.people.get(row.recipient)
        rendered = render(
            MessageContext(
                kind="delivery_failure",
                recipient=pm,
                project_name=project.name,
                workflow_id=row.workflow_id,
                playbook_name=project.playbook_id,
                launch_date=project.launch_date,
                project_manager=PersonRef(id=pm.id, name=pm.display_name),
                detail=f"{row.channel} '{row.subject}': {error}",
                failed_recipient=PersonRef(
                    id=row.recipient, name=failed.display_name if failed else row.recipient
                ),
            )
        )
        report = OutboxMessage(
            idempotency_key=f"{row.idempotency_key}/delivery-failure",
            workflow_id=row.workflow_id,
            transition=row.transition,
            kind="delivery_failure",
            step_id=row.step_id,
            recipient=pm.id,
            channel="mailbox",
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
        )
        async with self.pool.connection() as conn:
            await insert_messages(conn, [report])


def build_sender(settings: Settings, pool: AsyncConnectionPool) -> OutboxSender:
    """The sender with the channels the settings configure (the mailbox needs none)."""
    email = slack = None
    if settings.sendgrid_api_key:
        email = EmailChannel(settings.sendgrid_api_key, settings.sendgrid_host, settings.email_from)
    if settings.slack_bot_token:
        slack = SlackChannel(settings.slack_bot_token, settings.slack_api_url)
    return OutboxSender(pool, email, slack)
