"""The outbox sender: drains pending email and Slack messages to their providers.

At least once towards the provider, never twice for a message marked sent, and not
twice for a message whose sender died mid-send when the provider can say it has it:
each attempt is recorded (committed) before the provider is called, so a row a dead
sender left 'sending' goes back to 'pending' after STUCK_AFTER still marked in doubt,
and the next sender asks the provider (`find`, by idempotency key) before sending it
again: found, it is marked sent with a note instead; not found or "cannot tell"
(Slack; SendGrid without its Email Activity add-on), it is sent again, with a note.
A sender that is alive but lost the database mid-round keeps what it could not write
and writes it at its next round, rather than leaving the rows to the lease.

429, 5xx and timeouts retry with exponential backoff and jitter, honouring
Retry-After; other 4xx are permanent: recorded with the provider's error and reported
to the project manager's mailbox, and the project goes on."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from psycopg_pool import AsyncConnectionPool

from baton.config import Settings
from baton.notify.channels import (
    EmailChannel,
    Lookup,
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
# A claim's lease: longer than a batch of sends takes, and than a provider takes to show
# an accepted message to `find` (SendGrid's activity feed lags a little).
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
        # Writes a round could not make (row id -> the write), made at the next round.
        self._unsettled: dict[int, Callable[[], Awaitable]] = {}

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
        await self.settle()
        rows = await self.outbox.claim_due(limit, self.clock())
        for row in rows:  # until its outcome is written, a claimed row goes back on failure
            self._unsettled[row.id] = partial(self.outbox.release, row.id, row.attempts)
        for row in rows:
            await self.deliver(row)
        return len(rows)

    async def settle(self) -> None:
        """Write what an earlier round could not (the database went away): the outcomes
        this sender knows, and its claims on rows it never finished given back."""
        for row_id, write in list(self._unsettled.items()):
            await write()
            self._unsettled.pop(row_id, None)

    async def deliver(self, row: OutboxRow) -> None:
        in_doubt = row.attempt_started_at is not None  # an earlier attempt never finished
        sending = False
        try:
            channel, address = await self._target(row)
            note = None
            if in_doubt:
                found = await asyncio.to_thread(channel.find, row.idempotency_key)
                if found.accepted:
                    note = self._note(row, found, "marked sent, not sent again")
                    await self._record(row, self.outbox.mark_sent, row.id, found.provider_id, note)
                    return
                note = self._note(row, found, "sent again")
            if not await self.outbox.start_attempt(row.id, row.attempts, self.clock(), note):
                self._unsettled.pop(row.id, None)  # another sender has the row now
                return
            sending = True
            provider_id = await self._send(channel, address, row)
        except TemporaryFailure as failure:
            # A lookup that failed leaves the earlier attempt in doubt; a send, when no
            # answer came back.
            keep = failure.maybe_accepted if sending else in_doubt
            if row.attempts >= MAX_ATTEMPTS:
                error = f"gave up after {row.attempts} attempts: {failure}"
                await self._record(row, self._give_up, row, error)
                return
            delay = backoff(row.attempts, failure.retry_after, self.rng)
            retry_at = self.clock() + timedelta(seconds=delay)
            await self._record(
                row, self.outbox.mark_retry, row.id, str(failure), retry_at,
                claim=row.attempts, in_doubt=keep,
            )  # fmt: skip
        except PermanentFailure as failure:
            await self._record(row, self._give_up, row, str(failure))
        else:
            await self._record(row, self.outbox.mark_sent, row.id, provider_id)

    async def _record(self, row: OutboxRow, write: Callable[..., Awaitable], *args, **kw) -> None:
        """Write a row's outcome; kept for the next round if the database fails now."""
        self._unsettled[row.id] = partial(write, *args, **kw)
        await self._unsettled[row.id]()
        self._unsettled.pop(row.id, None)

    async def _target(self, row: OutboxRow) -> tuple[EmailChannel | SlackChannel, str]:
        """The channel and the address the row goes to, or PermanentFailure."""
        person = await self.people.get(row.recipient)
        if row.channel == "email":
            if self.email is None or person is None or not person.email:
                raise PermanentFailure(f"no email channel or address for {row.recipient}")
            return self.email, person.email
        if self.slack is None or person is None or not person.slack_id:
            raise PermanentFailure(f"no Slack channel or Slack id for {row.recipient}")
        return self.slack, person.slack_id

    async def _send(
        self, channel: EmailChannel | SlackChannel, address: str, row: OutboxRow
    ) -> str | None:
        if isinstance(channel, EmailChannel):
            return await asyncio.to_thread(
                channel.send, address, row.subject, row.body_text, row.body_html,
                row.idempotency_key,
            )  # fmt: skip
        links = [Link.model_validate(link) for link in row.links]
        return await asyncio.to_thread(channel.send, address, row.subject, row.body_text, links)

    @staticmethod
    def _note(row: OutboxRow, found: Lookup, outcome: str) -> str:
        started = row.attempt_started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"the attempt of {started} was interrupted; {found.detail}: {outcome}"

    async def _give_up(self, row: OutboxRow, error: str) -> None:
        """Record the failure and tell the project manager, in their mailbox."""
        if not await self.outbox.mark_failed(row.id, error, claim=row.attempts):
            current = await self.outbox.get_by_key(row.idempotency_key)
            if current is None or current.status != "failed":
                return  # sent, or taken over by another sender: nothing to report
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
