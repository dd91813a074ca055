"""The playbook pages: every playbook, and one playbook's flow, plan, versions and
recalibration.

- `/playbooks`: a card per published playbook (latest version): steps, lead, roles.
- `/playbooks/{id}` (`?version=N`, `?launch=DAY`): the flow diagram (`flow_svg`, a
  wide drawing for desktops when it fits the page, else and for phones a tall one, and
  the steps as text), the
  plan for a launch date typed as on the command line (+6w by default, in the
  viewer's zone), the recalibration proposal from history (admins publish it through
  `POST /reports/recalibration`, which comes back here), the versions and the YAML.
  An unknown playbook or version is a 404 listing the published playbooks."""

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from psycopg_pool import AsyncConnectionPool

from baton.bounds import STEP_ID, is_id
from baton.durations import format_duration
from baton.errors import Invalid, NotFound, printable
from baton.plan import Plan, plan_playbook
from baton.playbook import Playbook
from baton.schedule import DAY_FORMS, parse_day, zone
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.wording import condition, input_value
from starters.client import insight
from starters.web.dashboard.flow_svg import due_of, flow_svg, policy_of, who_of, wide
from starters.web.dashboard.render import page
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)

DEFAULT_LAUNCH = "+6w"  # what the plan shows before a date is typed
QUANTILE = 0.8  # the recalibration shown: /reports/recalibration's default
PAGE_WIDTH = 1050  # what a desktop's page holds (baton.css: main is at most 1100px)


@router.get("/playbooks", response_class=HTMLResponse)
async def playbooks(request: Request, me: Viewer):
    """Every published playbook, as a card."""
    cards = await _cards(get_services(request).pool)
    return page(request, "playbooks.html", cards=cards, missing="")


@router.get("/playbooks/{playbook_id}", response_class=HTMLResponse)
async def playbook_page(
    request: Request, playbook_id: str, me: Viewer, version: str = "", launch: str = ""
):
    """One playbook (a version of it): flow, plan for a launch date, recalibration,
    versions and YAML."""
    pool = get_services(request).pool
    repo = PlaybookRepo(pool)
    try:
        playbook, shown = await _find(repo, playbook_id, version.strip())
    except NotFound as missing:
        cards = await _cards(pool)
        return page(request, "playbooks.html", 404, cards=cards, missing=missing.message)
    versions = await repo.versions(playbook.id)
    source, _ = await repo.source(playbook.id, shown)
    typed = launch.strip() or DEFAULT_LAUNCH
    plan, problem = plan_for(playbook, typed, me.timezone)
    proposal = await insight.recalibration_for(pool, playbook.id, QUANTILE)
    fits = wide(playbook).width <= PAGE_WIDTH
    return page(
        request,
        "playbook.html",
        422 if problem else 200,
        playbook=playbook,
        version=shown,
        latest=versions[-1],
        versions=versions,
        pinned=bool(version.strip()),
        source=source,
        lead=lead_of(playbook),
        timing=timing_of(playbook),
        flow={
            "wide": flow_svg(playbook, "wide") if fits else None,
            "tall": flow_svg(playbook, "tall"),
            "fits": fits,
        },
        steps=steps_as_text(playbook),
        launch=typed,
        date_forms=DAY_FORMS,
        plan=plan,
        problem=problem,
        r=proposal,
        has_history=any(step.samples for step in proposal.steps),
        names={step.id: step.name for step in playbook.steps},
        is_admin=await PeopleRepo(pool).is_admin(me.id),
    )


async def _cards(pool: AsyncConnectionPool) -> list[dict]:
    """Each published playbook's latest version, with what its card shows."""
    repo = PlaybookRepo(pool)
    cards = []
    for row in await repo.list_latest():
        playbook, _ = await repo.get(row["id"], row["version"])
        cards.append({"version": row["version"], "playbook": playbook, "lead": lead_of(playbook)})
    return cards


async def _find(repo: PlaybookRepo, playbook_id: str, version: str) -> tuple[Playbook, int]:
    """The playbook version a link names (the latest without one); NotFound says which
    playbooks, or which versions of it, there are."""
    if not is_id(playbook_id, STEP_ID):
        raise NotFound(f"no playbook '{printable(playbook_id[:40])}' is published")
    number = int(version) if re.fullmatch(r"[0-9]{1,9}", version) else None
    if version and number is None:  # not a version number at all
        known = await repo.versions(playbook_id)
        if known:
            listed = ", ".join(str(v) for v in known)
            raise NotFound(
                f"playbook '{playbook_id}' has no version '{printable(version[:20])}'; "
                f"its versions are {listed}"
            )
    return await repo.get(playbook_id, number)


def plan_for(playbook: Playbook, typed: str, timezone: str) -> tuple[Plan | None, str | None]:
    """The plan for a launch date typed as on the command line, counted from today in
    `timezone`; or None and what is wrong with the date."""
    now = datetime.now(UTC)
    try:
        launch_date = parse_day(typed, now.astimezone(zone(timezone)).date(), "the launch date")
        return plan_playbook(playbook, launch_date, timezone, now), None
    except Invalid as error:
        return None, error.message
    except (OverflowError, ValueError):  # a step's due falls outside the calendar
        shown = printable(typed[:40])
        return None, f"the launch date {shown!r} is too far away; choose a date nearer today"


def lead_of(playbook: Playbook) -> str:
    """How long before the launch the first step is due: "30 days before the publish
    date" (business days for a business-day playbook)."""
    offsets = [step.due for step in playbook.steps if step.due is not None and step.due < 0]
    if not offsets:
        return f"no step is due before the {playbook.launch}"
    days = -min(offsets)
    unit = "business day" if playbook.calendar == "business" else "day"
    return f"{days} {unit}{'s' if days != 1 else ''} before the {playbook.launch}"


def timing_of(playbook: Playbook) -> dict:
    """The playbook's reminders, follow-ups and inputs in words (as `baton playbook show`)."""
    escalation = playbook.escalation
    return {
        "reminders": ", ".join(format_duration(r) for r in playbook.reminders) or "none",
        "follow_ups": (
            f"{format_duration(escalation.after)} after a missed due, then every "
            f"{format_duration(escalation.repeat)}, at most {escalation.max}; from the "
            "second on, the project manager is told too"
            if escalation.max
            else "none"
        ),
        "inputs": [
            (key, spec.description, input_value(spec.default))
            for key, spec in playbook.inputs.items()
        ],
    }


def steps_as_text(playbook: Playbook) -> list[dict]:
    """The flow in words, a step at a time (what the diagram shows, for screen readers)."""
    names = {step.id: step.name for step in playbook.steps}
    return [
        {
            "id": step.id,
            "name": step.name,
            "kind": step.kind,
            "who": who_of(step, playbook),
            "policy": policy_of(step) if step.kind == "approval" else None,
            "due": due_of(step, playbook),
            "after": [names[dep] for dep in step.depends_on],
            "options": step.options,
            "condition": condition(step.when) if step.when else None,
            "rework": names.get(step.on_reject or ""),
        }
        for step in playbook.steps
    ]
