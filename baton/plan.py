"""A playbook laid out on the calendar for a launch date: what `playbook plan` shows, and
the rules about dates that cannot work (DESIGN.md section 4, timing rules):

- a due instant already past when the project would start or move is *late*: the ways
  in refuse such a launch unless the person says what to do (`late_refusal`);
- `compress_dues` fits late dues between now and the launch, in the same order and
  proportions (start and reschedule use it);
- `shortest_lead` is the least number of days between a recurring project's
  occurrence and its launch that leaves its first step any time at all.

Pure: `now` and `today` are passed in."""

from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel

from baton.contract import LogEntry
from baton.playbook import Playbook
from baton.schedule import DAY, Calendar, WorkingHours, due_instant, local_instant, zone
from baton.wording import when

DEFAULT_WEEK = WorkingHours()  # Monday to Friday: what "weekend" means in a plan


class PlannedStep(BaseModel):
    id: str
    name: str
    kind: str
    owners: list[str]  # role ids
    after: list[str]
    due: datetime | None  # None: forward-scheduled from the step's activation
    past: bool = False  # the due instant has already passed
    weekend: bool = False  # the due falls on a day outside the default working week


class Plan(BaseModel):
    playbook: str
    name: str
    launch_date: date
    timezone: str
    steps: list[PlannedStep]


def plan_playbook(
    playbook: Playbook, launch_date: date, timezone: str = "UTC", now: datetime | None = None
) -> Plan:
    """Every step with its owner roles, what it waits for and its due instant, shown in
    the project's time zone; marked `past` when due by `now` (when given) and `weekend`
    when due on a Saturday or Sunday."""
    dues = offset_dues(playbook, launch_date, timezone)
    steps = [
        planned_step(
            step.id,
            step.name,
            step.kind,
            step.roles,
            step.depends_on,
            dues.get(step.id),
            timezone,
            now,
        )
        for step in playbook.steps
    ]
    return Plan(
        playbook=playbook.id,
        name=playbook.name,
        launch_date=launch_date,
        timezone=timezone,
        steps=steps,
    )


def planned_step(
    step_id: str,
    name: str,
    kind: str,
    owners: list[str],
    after: list[str],
    due: datetime | None,
    timezone: str,
    now: datetime | None = None,
) -> PlannedStep:
    """One step as a plan shows it: its due in `timezone`, marked past (by `now`, when
    given) and on a weekend."""
    local = due.astimezone(zone(timezone)) if due else None
    return PlannedStep(
        id=step_id,
        name=name,
        kind=kind,
        owners=owners,
        after=after,
        due=local,
        past=bool(due and now and due <= now),
        weekend=bool(local and not DEFAULT_WEEK.is_working_day(local.date())),
    )


def offset_dues(
    playbook: Playbook, launch_date: date, timezone: str, step_ids: Iterable[str] | None = None
) -> dict[str, datetime]:
    """The due instant of each step with a fixed offset (of `step_ids`, when given), by
    the launch date: launch plus offset, at the playbook's due time, in playbook order."""
    wanted = None if step_ids is None else set(step_ids)
    calendar = playbook.working_calendar
    return {
        step.id: due_instant(launch_date, step.due, playbook.due_time, timezone, calendar)
        for step in playbook.steps
        if step.due is not None and (wanted is None or step.id in wanted)
    }


def late_dues(dues: dict[str, datetime], now: datetime) -> list[tuple[str, datetime]]:
    """The dues already past at `now` (a step due now is late too), earliest first."""
    return sorted(((s, due) for s, due in dues.items() if due <= now), key=lambda p: p[1])


def launch_due(playbook: Playbook, launch_date: date, timezone: str) -> datetime:
    """The launch itself as an instant: the launch date at the playbook's due time."""
    return local_instant(launch_date, playbook.due_time, timezone)


def late_refusal(late: list[tuple[str, datetime]], timezone: str, verb: str = "start") -> str:
    """Why a launch is refused, and the three ways on: "3 steps would already be late
    (first: 'idea' due Sun 2026-11-15 17:00 CET); choose a later launch, or --compress ..."
    """
    return f"{late_summary(late, timezone)}; {late_choices(verb)}"


def late_summary(late: list[tuple[str, datetime]], timezone: str) -> str:
    """ "3 steps would already be late (first: 'idea' due Sun 2026-11-15 17:00 CET)"."""
    first, due = late[0]
    count = f"{len(late)} steps" if len(late) > 1 else "1 step"
    which = "first: " if len(late) > 1 else ""
    return f"{count} would already be late ({which}'{first}' due {when(due, timezone)})"


def late_choices(verb: str = "start") -> str:
    """The ways on from a late launch, as the command line offers them (a page with
    buttons for them says so in its own words)."""
    return (
        "choose a later launch, or --compress to fit them between now and the launch, or "
        f"--allow-late to {verb} anyway"
    )


def uncompressible(
    playbook: Playbook, launch_date: date, timezone: str, now: datetime
) -> str | None:
    """Why no compression can help (the launch itself is past), or None."""
    launch = launch_due(playbook, launch_date, timezone)
    if launch > now:
        return None
    return (
        f"the launch itself ({when(launch, timezone)}) has already passed, so no step can fit "
        "before it; choose a later launch, or --allow-late to go on with the steps late"
    )


def compress_dues(
    playbook: Playbook, dues: dict[str, datetime], launch_date: date, timezone: str, now: datetime
) -> dict[str, datetime]:
    """`dues` (the unfinished steps' dues by the offset rule) spread between `now` and the
    launch when any is already past; {} when none is (or the launch itself is past).

    The plan from its start (the earliest due less that step's estimate, at least a day:
    the time the first step was meant to have) to the launch is scaled onto now .. launch,
    so the steps keep their order and proportions; each due then moves on to the next
    due time (on a business day where the playbook counts business days), never past
    the launch. Dues after the launch stay as they are."""
    launch = launch_due(playbook, launch_date, timezone)
    before = {step_id: due for step_id, due in dues.items() if due <= launch}
    if launch <= now or not late_dues(before, now):
        return {}
    first = min(before, key=lambda step_id: before[step_id])
    lead = max(playbook.step(first).estimate or playbook.default_estimate, DAY)
    scale = (launch - now) / (launch - before[first] + lead)
    calendar = playbook.working_calendar
    return {
        step_id: min(_next_due_time(launch - (launch - due) * scale, playbook, timezone, calendar),
                     launch)
        for step_id, due in before.items()
    }  # fmt: skip


def _next_due_time(instant: datetime, playbook: Playbook, timezone: str, calendar: Calendar):
    """The first due time at or after `instant`, on a business day for a business
    calendar."""
    day = instant.astimezone(zone(timezone)).date()
    for _ in range(400):
        candidate = local_instant(day, playbook.due_time, timezone)
        if candidate >= instant and (not calendar.business or calendar.is_business_day(day)):
            return candidate
        day += DAY
    return instant  # no business day in a year: keep the instant as it is


COMPRESSED = "plan compressed"  # how a compression's log line and message begin


def is_compression(entry: LogEntry) -> bool:
    """Whether a log entry (or a message) says a plan was compressed."""
    return entry.type == "rescheduled" and (entry.detail or "").startswith(COMPRESSED)


def describe_compression(
    compressed: dict[str, datetime], late: int, launch_date: date, timezone: str
) -> str:
    """The log line and the PM's message when a plan was compressed (`late` of its steps
    would have been due already)."""
    first = min(compressed.values())
    return (
        f"{COMPRESSED}: {late} step{'s' if late != 1 else ''} would have been late, so the "
        f"dues were spread between {when(first, timezone)} and the launch on "
        f"{launch_date:%a %Y-%m-%d}, in the same order"
    )


def shortest_lead(playbook: Playbook, today: date) -> tuple[int, str | None]:
    """The fewest days from a recurring project's occurrence to its launch that leave its
    earliest-due step due on or after the occurrence, for every launch in the coming year
    (business days and holidays make the span of a business-day playbook vary), and that
    step's id (None when no step is due before the launch)."""
    dated = [step for step in playbook.steps if step.due is not None and step.due < 0]
    if not dated:
        return 0, None
    first = min(dated, key=lambda step: step.due or 0)
    offset = first.due or 0
    calendar = playbook.working_calendar
    if not calendar.business:
        return -offset, first.id
    launches = (today + n * DAY for n in range(366))
    return max((d - calendar.add_days(d, offset)).days for d in launches), first.id


def lead_refusal(playbook: Playbook, lead_days: int, today: date) -> str | None:
    """Why a recurring project's lead is too short, naming the shortest that works; or
    None when it is long enough."""
    shortest, first = shortest_lead(playbook, today)
    if lead_days >= shortest:
        return None
    offset = -(playbook.step(first).due or 0) if first else 0
    unit = "business days" if playbook.calendar == "business" else "days"
    return (
        f"a lead of {lead_days} day{'s' if lead_days != 1 else ''} is too short for "
        f"'{playbook.id}': its first step '{first}' is due {offset} {unit} before the launch, "
        f"so every project would start with steps already late; the shortest lead that "
        f"works is {shortest} days (--lead {shortest}d)"
    )
