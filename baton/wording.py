"""How Baton words its state for people: outcomes of actions, what a project waits for,
why it will wake next, the command line for an action. Pure text from the core's
models, shared by every way in."""

import re
import shlex
from datetime import datetime
from typing import Any

from baton.contract import LogEntry, ProjectStatus, StepStatus
from baton.durations import format_duration
from baton.playbook import Condition
from baton.schedule import zone


def when(instant: datetime | None, timezone: str = "UTC") -> str:
    """The one way Baton shows an instant to people, in a zone and labelled with it:
    "Sun 2026-11-15 17:00 CET" (the CLI, the dashboard and the messages all use it)."""
    if instant is None:
        return "no fixed date"
    local = instant.astimezone(zone(timezone))
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def input_value(value: Any) -> str:
    """A playbook input's value as people write it: true, 3, 'EU'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def condition(when_: Condition) -> str:
    """A step's `when` as people read it: "if 'channel-choice' is video", "if
    include_video", "if region is 'EU'"."""
    if when_.step:
        return f"if '{when_.step}' is {when_.option}"
    if when_.equals is None:
        return f"if {when_.input}"
    return f"if {when_.input} is {input_value(when_.equals)}"


def sent(step: StepStatus) -> str:
    """The alerts a step has had, in words: "2 reminders, 1 follow-up" ("none")."""
    counts = (
        (step.reminders_sent, "reminder"),
        (step.follow_ups_sent, "follow-up"),
        (step.escalations_sent, "escalation"),
    )
    said = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n]
    return ", ".join(said) or "none"


def step_state(step: StepStatus) -> str:
    """A step's state as status views show it: "won't run (organic chosen)" for a step
    whose condition is decided false, "active, OVERDUE", "done (paid)", "active,
    revision 2"."""
    if step.wont_run:
        return f"won't run ({step.wont_run})"
    text = step.state
    if step.overdue and step.state == "active":
        text += ", OVERDUE"
    if step.option:
        text += f" ({step.option})"
    if step.revision > 1:
        text += f", revision {step.revision}"
    return text


def describe_entry(entry: LogEntry) -> str:
    """One log line: "reminder 'draft' -> alice (24h before)"."""
    text = entry.type.replace("_", " ")
    if entry.step_id:
        text += f" '{entry.step_id}'"
    if entry.recipient:
        text += f" -> {entry.recipient}"
    if entry.actor:
        text += f" by {entry.actor}"
    if entry.detail:
        text += f" ({entry.detail})"
    return text


def outcome(status: ProjectStatus, entries: list[LogEntry], timezone: str | None = None) -> str:
    """What an action did, for the person who took it (times in `timezone`, theirs)."""
    done = [describe_entry(e) for e in entries if e.recipient is None]
    told = sorted({e.recipient for e in entries if e.recipient})
    lines = done or ["nothing changed"]
    if told:
        lines.append(f"told: {', '.join(told)}")
    lines.append(waiting_on(status, timezone))
    return "\n".join(lines)


def waiting_on(status: ProjectStatus, timezone: str | None = None) -> str:
    """The workflow's current details: which steps wait on whom, and until when (in
    `timezone`, the viewer's; the project's by default)."""
    if status.state != "active":
        return f"Project {status.state}."
    active = [s for s in status.steps if s.state == "active"]
    if not active:
        return "Nothing is active."
    tz = timezone or status.timezone
    parts = []
    for step in active:
        people = step.waiting_on
        late = " OVERDUE" if step.overdue else ""
        parts.append(f"'{step.name}' ({', '.join(people)}), due {when(step.due, tz)}{late}")
    return "Waiting on " + "; ".join(parts) + "."


def wake_reason(status: ProjectStatus) -> str:
    """The next timer's summary: "reminder 24h before 'Write final draft' (alice)"."""
    wake = status.next_wake_at
    if wake is None:
        return "nothing scheduled"
    reasons = []
    for step in status.steps:
        if step.state != "active":
            continue
        for alert in step.pending_alerts:
            if alert.at == wake:
                label = {
                    "reminder": f"reminder {alert.detail}",
                    "follow_up": alert.detail,
                    "escalated": f"escalation, {alert.detail} of",
                }[alert.kind]
                reasons.append(f"{label} '{step.name}' ({alert.recipient})")
        if step.due == wake and not step.overdue:
            reasons.append(f"'{step.name}' falls due")
    return "; ".join(reasons) or "wake-up"


def batch_summary(entries: list[LogEntry]) -> str:
    """An activity summary a person can read in the Temporal UI."""
    if not entries:
        return "nothing to record"
    shown = ", ".join(describe_entry(e) for e in entries[:3])
    more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
    return f"record {shown}{more}"


def action_command(
    action: str, workflow_id: str, step_id: str, person: str, option: str = "OPTION"
) -> str:
    """The terminal command doing what a button or a one-click link does (complete,
    approve, reject, choose); for anything else, the project's status."""
    slug = shlex.quote(workflow_id.removeprefix("project-"))
    step, me = shlex.quote(step_id), shlex.quote(person)
    return {
        "complete": f"baton complete {slug} {step} --as {me}",
        "approve": f"baton review {slug} {step} --approve --as {me}",
        "reject": f'baton review {slug} {step} --reject --comment "why" --as {me}',
        "choose": f"baton choose {slug} {step} {option} --as {me}",
    }.get(action, f"baton status {slug}")


def at_risk(status: ProjectStatus, p_on_time: float, finish: datetime, critical: list[str]) -> str:
    """The early warning: "a 42% chance of making the publish date (Tue 2026-12-15);
    projected finish Thu 2026-12-17 15:00 CET; critical: 'Write final draft'"."""
    launch = f" ({status.launch_date:%a %Y-%m-%d})" if status.launch_date else ""
    text = f"a {p_on_time:.0%} chance of making the {status.launch}{launch}"
    text += f"; projected finish {when(finish, status.timezone)}"
    names = {step.id: f"'{step.name}'" for step in status.steps}
    shown = [names[step_id] for step_id in critical[:3] if step_id in names]  # the worst first
    if shown:
        text += f"; critical: {', '.join(shown)}"
    return text


def start_warning(status: ProjectStatus) -> str | None:
    """What a start says when its forecast is already below the playbook's risk_alert
    (the warning the workflow logged, and sent the project manager): never a refusal."""
    warned = next((e for e in status.log if e.type == "at_risk" and not e.recipient), None)
    if warned is None:
        return None
    return f"At risk from the start: {warned.detail} ({status.project_manager} was told)."


def summarize(project: ProjectStatus) -> str:
    """One line for the PM: how many steps finished, how many late, and the worst slip."""
    done = [s for s in project.steps if s.state == "done"]
    late = [s for s in done if s.due and s.finished_at and s.finished_at > s.due]
    skipped = len(project.steps) - len(done)
    text = f"{len(done)} steps done, {len(late)} late"
    if skipped:
        text += f", {skipped} skipped"
    if late:
        worst = max(late, key=lambda s: (s.finished_at or s.due) - (s.due or s.finished_at))
        slip = (worst.finished_at or worst.due) - (worst.due or worst.finished_at)
        text += f"; the largest slip was '{worst.name}', {format_duration(slip)} late"
    return text


URL = re.compile(r"https?://\S+")


def url_lines(line: str, width: int) -> list[tuple[str, bool]]:
    """A line of text as the lines to print in `width` columns, each with whether it
    must stay whole: a URL that does not fit beside its label stands on a line of its
    own, never hard-wrapped, so it copies whole."""
    if not URL.search(line) or len(line) <= width:
        return [(line, bool(URL.search(line)))]
    parts: list[tuple[str, bool]] = []
    rest = line
    while match := URL.search(rest):
        before = rest[: match.start()].rstrip()
        if before.strip():
            parts.append((before, False))
        parts.append((match.group(0), True))
        rest = rest[match.end() :]
    if rest.strip():
        parts.append((rest.strip(), False))
    return parts
