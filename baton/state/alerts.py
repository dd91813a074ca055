"""Reminders, follow-ups and escalations: planned for a step when it becomes active (or
its deadline moves), shifted into each recipient's working hours, and collapsed so one
person gets one alert per instant (a follow-up that stands for earlier ones says so)."""

import re
from datetime import datetime

from baton.contract import Alert, AlertKind, StepStatus
from baton.durations import format_duration
from baton.schedule import WorkingHours, follow_up_instants, reminder_instants, zone
from baton.state.model import Project

RANK = {"reminder": 0, "follow_up": 1, "escalated": 2}  # the more urgent kind wins
FOLLOW_UP = re.compile(r"^follow-up (\d+) of \d+")  # the detail `plan` gives follow-ups


def make(
    project: Project, now: datetime, nominal: datetime, kind: AlertKind, person: str, detail: str
) -> Alert:
    """An alert for `person` at the rule's instant, moved to their next working window.
    Never before now: an alert re-planned for someone else may not go back in time."""
    at = max(project.person(person).hours.next_window(nominal), now)
    return Alert(at=at, nominal=nominal, kind=kind, recipient=person, detail=detail)


def plan(project: Project, step: StepStatus, since: datetime, now: datetime) -> list[Alert]:
    """The step's reminders and follow-ups from `since` (its activation, or a
    reschedule): reminders already past are dropped; follow-ups count from the due
    instant, or from `since` when the step is already late."""
    assert step.due is not None
    playbook = project.definition
    recipients = step.waiting_on
    rules = playbook.escalation
    planned: list[Alert] = []
    for person in recipients:
        for lead, nominal in reminder_instants(step.due, playbook.reminders):
            if nominal >= since:
                detail = f"{format_duration(lead)} before"
                planned.append(make(project, now, nominal, "reminder", person, detail))
    follow_ups = follow_up_instants(step.due, since, rules.after, rules.repeat, rules.max)
    for number, nominal in enumerate(follow_ups, start=1):
        detail = f"follow-up {number} of {rules.max}"
        planned.extend(make(project, now, nominal, "follow_up", p, detail) for p in recipients)
        if number >= 2:
            pm = project.project_manager
            planned.append(make(project, now, nominal, "escalated", pm, detail))
    return collapse(planned, project)


def collapse(alerts: list[Alert], project: Project | None = None) -> list[Alert]:
    """Alerts for the same person landing on the same instant go out once: the most
    urgent kind wins, then the latest rule (the 24h reminder over the 48h one). A
    follow-up that stands for earlier ones says which and why (with `project`, the
    recipients' hours): "follow-up 3 of 3; the first two fell on the weekend ..."."""
    groups: dict[tuple[str, datetime], list[Alert]] = {}
    for alert in alerts:
        groups.setdefault((alert.recipient, alert.at), []).append(alert)
    kept = []
    for group in groups.values():
        best = max(group, key=lambda a: (RANK[a.kind], a.nominal))
        hours = project.person(best.recipient).hours if project else None
        kept.append(_standing_for(best, group, hours))
    return sorted(kept, key=lambda a: (a.at, RANK[a.kind], a.recipient))


def _standing_for(kept: Alert, group: list[Alert], hours: WorkingHours | None) -> Alert:
    """The kept alert, its detail saying which earlier follow-ups it stands for and why
    they did not go out on their own."""
    base = kept.detail.split(";")[0]
    number = _follow_up_number(base)
    if number is None:
        return kept
    earlier = {n: a for a in group if (n := _follow_up_number(a.detail)) and n < number}
    if not earlier:
        return kept if kept.detail == base else kept.model_copy(update={"detail": base})
    reasons = []
    for alert in sorted(earlier.values(), key=lambda a: a.nominal):
        reason = _why_held(alert.nominal, hours) if hours else None
        if reason and reason not in reasons:
            reasons.append(reason)
    which = _ordinals(sorted(earlier))
    verb = "go" if len(earlier) > 1 else "goes"
    held = f" fell {' and '.join(reasons)} and" if reasons else ""
    return kept.model_copy(update={"detail": f"{base}; {which}{held} {verb} out as this one"})


def _follow_up_number(detail: str) -> int | None:
    match = FOLLOW_UP.match(detail)
    return int(match.group(1)) if match else None


def _why_held(nominal: datetime, hours: WorkingHours) -> str | None:
    """Why an alert due at `nominal` waited: when the recipient was not working."""
    local = nominal.astimezone(zone(hours.timezone))
    day = local.date()
    if any(start <= day <= end for start, end in hours.time_off):
        return "during time off"
    if day.weekday() not in hours.days:
        return "on the weekend" if day.weekday() >= 5 else "on a day off"
    if not hours.start <= local.time() <= hours.end:
        return "outside working hours"
    return None  # it was not held back: it came due with the later one


_WORDS = ["", "first", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _ordinals(numbers: list[int]) -> str:
    """[1, 2] -> "the first two"; [1] -> "the first"; [2, 3] -> "the 2nd and 3rd"."""
    if numbers == list(range(1, len(numbers) + 1)) and len(numbers) < len(_WORDS):
        return "the first" + (f" {_WORDS[len(numbers)]}" if len(numbers) > 1 else "")
    named = [f"{n}{_suffix(n)}" for n in numbers]
    return "the " + (", ".join(named[:-1]) + " and " if len(named) > 1 else "") + named[-1]


def _suffix(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
