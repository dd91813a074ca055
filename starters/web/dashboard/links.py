"""One-click action links from messages: `GET /act/{token}` shows what the link will
do and asks for confirmation (mail scanners that fetch links change nothing);
`POST /act/{token}` does it through the same workflow update as the CLI, acting as the
person the link was made for.

A link works once. Its nonce is claimed in PostgreSQL (`used_links`) in a transaction
around the update and kept only when the workflow took the action. When the workflow
refused it (the step not active yet, say) or the update never reached the workflow
(Temporal unreachable, the project gone) the claim is rolled back: the refusal is
shown and the link can be used again once it can succeed.

The confirmation form carries a CSRF token bound to the link's nonce, so only a POST
from that page (or whoever holds the link anyway) is honoured.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from baton.contract import StepStatus
from baton.errors import Invalid, Refused
from baton.links import ActionClaim, LinkError, verify
from baton.store.people import PeopleRepo
from baton.store.used_links import UsedLink, UsedLinksRepo
from baton.wording import action_command
from starters import client
from starters.web.dashboard import csrf
from starters.web.dashboard.render import ACTIONS, checked_form, command_for, error_page, page
from starters.web.deps import get_services

router = APIRouter(include_in_schema=False)

VERBS = {
    "complete": "mark done",
    "approve": "approve",
    "reject": "reject",
    "choose": "choose an option for",
}
_EPOCH = datetime(1970, 1, 2, tzinfo=UTC)


def cli_line(claim: ActionClaim) -> str:
    """The terminal command doing what the link does (for expired links)."""
    return action_command(claim.action, claim.workflow_id, claim.step_id, claim.person)


def _check(request: Request, token: str) -> ActionClaim | HTMLResponse:
    """The link's claim, or the page saying why it cannot be honoured."""
    secret = get_services(request).settings.secret()
    try:
        claim = verify(secret, token, datetime.now(UTC))
    except LinkError as error:
        if error.problem != "expired":
            return error_page(
                request,
                400,
                "This link is not valid",
                f"Baton cannot honour it: {error}.",
                "Copy the whole link from the message, or use the command line it shows.",
            )
        genuine = verify(secret, token, _EPOCH)  # the signature held: say what it was for
        return page(request, "link_expired.html", 410, claim=genuine, cli=cli_line(genuine))
    if claim.action not in ACTIONS:
        return error_page(request, 400, "This link is not valid", "It asks for no known action.")
    return claim


def _already_used(request: Request, used: UsedLink, tz: str) -> HTMLResponse:
    return page(request, "link_used.html", 409, used=used, tz=tz)


async def _zone_of(request: Request, person_id: str) -> str:
    """The time zone of the person a link is for: its pages speak in it."""
    person = await PeopleRepo(get_services(request).pool).get(person_id)
    return person.timezone if person else "UTC"


@router.get("/act/{token}", response_class=HTMLResponse)
async def confirm(request: Request, token: str):
    claim = _check(request, token)
    if isinstance(claim, HTMLResponse):
        return claim
    used = await UsedLinksRepo(get_services(request).pool).get(claim.nonce)
    if used is not None:
        return _already_used(request, used, await _zone_of(request, claim.person))
    return await _confirmation(request, claim, token)


async def _confirmation(
    request: Request, claim: ActionClaim, token: str, problem: str | None = None
) -> HTMLResponse:
    services = get_services(request)
    current = await client.status(services.client, claim.workflow_id)
    step = current.find_step(claim.step_id)
    if step is None:
        return error_page(
            request, 404, "No such step", f"'{current.name}' has no step '{claim.step_id}' now."
        )
    if outdated := out_of_date(request, claim, step):
        return outdated
    person = await PeopleRepo(services.pool).get(claim.person)
    return page(
        request,
        "act.html",
        400 if problem else 200,
        claim=claim,
        token=token,
        verb=VERBS[claim.action],
        project=current,
        step=step,
        person_name=person.display_name if person else claim.person,
        tz=person.timezone if person else current.timezone,
        problem=problem,
        form_token=csrf.token(services.settings.secret(), csrf.for_link(claim.nonce)),
    )


def out_of_date(request: Request, claim: ActionClaim, step: StepStatus) -> HTMLResponse | None:
    """The page for a link made for an earlier round of its step (a rejection sent the
    work back since): it acts on nothing, and the newer message has a link of its own."""
    if claim.revision is None or claim.revision == step.revision:
        return None
    since, then = _since(step)
    return error_page(
        request,
        409,
        "This link is out of date",
        f"It was for revision {claim.revision} of '{step.name}', which is now at revision "
        f"{step.revision}: {since}.",
        f"{then} Your tasks on the dashboard always show the current state.",
    )


def _since(step: StepStatus) -> tuple[str, str]:
    """What happened to a step since an earlier round's link was sent, and what now."""
    if step.state == "waiting":
        return (
            "the work was sent back for rework and is not re-submitted yet",
            "When it is, a new message brings a live link.",
        )
    if step.state == "active" and step.kind == "approval":
        return (
            "the work was sent back for rework and has been re-submitted since",
            "The newer review request has the live link; use that one.",
        )
    if step.state == "active":
        return (
            "it was sent back for rework since",
            "The rework message has the live link; use that one.",
        )
    return (
        f"the work was sent back for rework since, and this revision is {step.state}",
        "Nothing is left to do with this link.",
    )


@router.post("/act/{token}", response_class=HTMLResponse)
async def perform(request: Request, token: str):
    claim = _check(request, token)
    if isinstance(claim, HTMLResponse):
        return claim
    fields = await checked_form(request, csrf.for_link(claim.nonce))
    if isinstance(fields, HTMLResponse):
        return fields
    try:
        command = command_for(claim.action, claim.step_id, claim.person, fields)
    except Invalid as error:
        return await _confirmation(request, claim, token, problem=str(error))
    services = get_services(request)
    current = await client.status(services.client, claim.workflow_id)
    step = current.find_step(claim.step_id)
    if step is not None and (outdated := out_of_date(request, claim, step)):
        return outdated
    links = UsedLinksRepo(services.pool)
    try:
        async with links.claim(claim) as used:
            if used is None:
                found = await links.get(claim.nonce)
                if found is None:  # cannot happen: a conflict means a committed row
                    return error_page(request, 409, "This link was already used", "Try the CLI.")
                return _already_used(request, found, await _zone_of(request, claim.person))
            # A refusal leaves the block with its exception: the claim is rolled back.
            result = await client.act(services.client, claim.workflow_id, command)
            await used.record(f"done: {result.message.splitlines()[0]}")
    except Refused as refused:
        tz = await _zone_of(request, claim.person)
        return page(request, "act_done.html", 422, claim=claim, ok=False, text=refused.reason,
                    tz=tz)  # fmt: skip
    tz = await _zone_of(request, claim.person)
    return page(request, "act_done.html", claim=claim, ok=True, text=result.message, tz=tz)
