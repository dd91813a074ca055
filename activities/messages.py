"""From a transition's log entries to the messages people receive: one rendered message
per recipient and channel, each with its idempotency key and, for work to do, signed
one-click links."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from activities.recorders import EffectsBatch, StepBrief
from baton.contract import LogEntry
from baton.links import action_url, sign
from baton.notify.render import MessageContext, Neighbour, PersonRef, StepInfo, render
from baton.people import Person
from baton.playbook import Playbook
from baton.store.outbox import OutboxMessage

# A link lives 14 days, or until a week after its step's due when that is later (a step
# assigned a month ahead keeps a working link), at most 90 days.
LINK_LIFETIME = timedelta(days=14)
LINK_AFTER_DUE = timedelta(days=7)
LINK_LONGEST = timedelta(days=90)
_ACTIONS = {"task": "complete", "decision": "choose"}


class LinkSigner(BaseModel):
    secret: bytes
    public_url: str

    def url(self, person: str, workflow_id: str, step: StepInfo, action: str, now: datetime) -> str:
        """A link bound to the step's current round: after a rework it is out of date."""
        after_due = step.due + LINK_AFTER_DUE if step.due else now
        expires = min(max(now + LINK_LIFETIME, after_due), now + LINK_LONGEST)
        token = sign(self.secret, person, workflow_id, step.id, action, expires, step.revision)
        return action_url(self.public_url, token)


def message_key(batch: EffectsBatch, entry: LogEntry, channel: str) -> str:
    """Workflow id + transition + step + recipient + kind (+ channel): the same message
    of a retried transition gets the same key, so it is written and sent once."""
    step = entry.step_id or "-"
    return f"{batch.workflow_id}/{batch.transition}/{step}/{entry.recipient}/{entry.type}/{channel}"


def compose(
    batch: EffectsBatch,
    people: dict[str, Person],
    playbook: Playbook | None,
    signer: LinkSigner,
    channels: set[str],
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Every message of the batch: the mailbox always, email and Slack when configured
    and the recipient has an address there."""
    now = now or datetime.now(UTC)
    steps = {step.id: step for step in batch.steps}
    messages = []
    for entry in batch.entries:
        if entry.recipient is None:
            continue
        person = people.get(entry.recipient) or Person(id=entry.recipient)
        context = _context(batch, entry, person, people, playbook, steps, signer, now)
        rendered = render(context)
        for channel in channels_for(person, channels):
            messages.append(
                OutboxMessage(
                    idempotency_key=message_key(batch, entry, channel),
                    workflow_id=batch.workflow_id,
                    transition=batch.transition,
                    kind=entry.type,
                    step_id=entry.step_id,
                    recipient=entry.recipient,
                    channel=channel,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    links=[link.model_dump() for link in rendered.links],
                )
            )
    return messages


def channels_for(person: Person, configured: set[str]) -> list[str]:
    """Where a message to `person` goes: the mailbox always, email and Slack when
    `configured` and the person has an address there (the sign-in link's too)."""
    channels = ["mailbox"]
    if "email" in configured and person.email:
        channels.append("email")
    if "slack" in configured and person.slack_id:
        channels.append("slack")
    return channels


def _context(
    batch: EffectsBatch,
    entry: LogEntry,
    person: Person,
    people: dict[str, Person],
    playbook: Playbook | None,
    steps: dict[str, StepBrief],
    signer: LinkSigner,
    now: datetime,
) -> MessageContext:
    def ref(person_id: str) -> PersonRef:
        known = people.get(person_id)
        return PersonRef(id=person_id, name=known.display_name if known else person_id)

    step = steps.get(entry.step_id or "")
    definition = playbook.by_id.get(step.id) if playbook and step else None
    info = before = after = None
    urls: dict[str, str] = {}
    if step is not None:
        info = StepInfo(
            id=step.id,
            name=step.name,
            kind=step.kind,
            due=step.due,
            revision=entry.revision or step.revision,
            owners=[ref(o) for o in step.owners],
            options=list(definition.options) if definition else [],
        )
        before = [_neighbour(steps[d], ref) for d in step.after if d in steps]
        after = [_neighbour(s, ref) for s in batch.steps if step.id in s.after]
        wants_action = entry.type in ("assigned", "reminder", "follow_up", "rework")
        if step.kind == "approval" and entry.type in ("review_requested", "reminder", "follow_up"):
            for verdict in ("approve", "reject"):
                urls[f"{verdict}_url"] = signer.url(
                    person.id, batch.workflow_id, info, verdict, now
                )
        elif wants_action and step.kind in _ACTIONS:
            action = _ACTIONS[step.kind]
            urls["action_url"] = signer.url(person.id, batch.workflow_id, info, action, now)
    return MessageContext(
        kind=entry.type,
        recipient=person,
        project_name=batch.project_name,
        workflow_id=batch.workflow_id,
        playbook_name=playbook.name if playbook else batch.playbook,
        launch=batch.launch,
        launch_date=batch.launch_date,
        project_manager=ref(batch.project_manager),
        step=info,
        before=before or [],
        after=after or [],
        detail=entry.detail,
        actor=ref(entry.actor) if entry.actor else None,
        instructions=definition.instructions if definition else "",
        status_url=f"{signer.public_url.rstrip('/')}/projects/{batch.workflow_id}",
        **urls,
    )


def _neighbour(step: StepBrief, ref) -> Neighbour:
    return Neighbour(name=step.name, owners=[ref(o) for o in step.owners], state=step.state)


def effect_failure_report(batch: EffectsBatch, pm: Person, reason: str) -> OutboxMessage:
    """The project manager's mailbox message when a transition's effects were refused."""
    rendered = render(
        MessageContext(
            kind="effect_failed",
            recipient=pm,
            project_name=batch.project_name,
            workflow_id=batch.workflow_id,
            playbook_name=batch.playbook,
            launch=batch.launch,
            launch_date=batch.launch_date,
            project_manager=PersonRef(id=pm.id, name=pm.display_name),
            detail=reason,
        )
    )
    return OutboxMessage(
        idempotency_key=f"{batch.key}/effect-failed",
        workflow_id=batch.workflow_id,
        transition=batch.transition,
        kind="effect_failed",
        recipient=pm.id,
        channel="mailbox",
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
    )
