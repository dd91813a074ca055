"""Reminders, follow-ups and escalations: planned for a step when it becomes active (or
its deadline moves), shifted into each recipient's working hours, and collapsed so one
person gets one alert per instant."""

from datetime import datetime

from baton.contract import Alert, AlertKind, StepStatus
from baton.durations import format_duration
from baton.schedule import follow_up_instants, reminder_instants
from baton.state.model import Project

RANK = {"reminder": 0, "follow_up": 1, "escalated": 2}  # the more urgent kind wins


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
    return collapse(planned)


def collapse(alerts: list[Alert]) -> list[Alert]:
    """Alerts for the same person landing on the same instant go out once: the most
    urgent kind wins, then the latest rule (the 24h reminder over the 48h one)."""
    best: dict[tuple[str, datetime], Alert] = {}
    for alert in alerts:
        key = (alert.recipient, alert.at)
        kept = best.get(key)
        if kept is None or (RANK[alert.kind], alert.nominal) > (RANK[kept.kind], kept.nominal):
            best[key] = alert
    return sorted(best.values(), key=lambda a: (a.at, RANK[a.kind], a.recipient))
