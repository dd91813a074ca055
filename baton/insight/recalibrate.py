"""Recalibration: each step's window proposed from its history (a quantile of its cycle
times, shrunk toward the current window when samples are few), the dues laid out again
backwards from the launch along the dependencies, and the playbook's YAML rewritten with
the new values (comments and every other field kept).

The rules (the README quotes them):
- Samples: a step's runs that ended done in their first round (revision 1), from any
  version of the playbook. A rework round's cycle is not the step's normal time: it
  redoes part of the work after a rejection, so it would pull the estimate down.
- Cycle times count the playbook's own days: business days (weekends and its holidays
  left out) for a business-day playbook, every day otherwise (`stats.working_days_between`).
- Proposed window, shrinkage toward the current one: with n samples whose q-quantile is
  q_hat, the current window w and k = min_samples,
      proposed = (n * q_hat + k * w) / (n + k)
  so k acts as k imaginary samples at the current window: 0 samples keep the current
  window exactly, 3 samples with k = 5 weigh the data 3/8, 60 samples 60/65. Then at
  least MIN_WINDOW_DAYS and rounded to 0.1 day.
- Dues laid out again, in whole days (a window of 8.4 days needs 9):
  - steps due on the launch day (0d) stay put;
  - before the launch, walking back from it: a step is due, at the latest, its earliest
    dependant's due minus that dependant's window (rounded up); a step that nothing
    before the launch waits for keeps its due;
  - after the launch (steps that follow a launch-day step), walking forward: a step is
    due its latest predecessor's due plus its own window (rounded up);
  - a step's current slack (how much earlier than that the playbook puts it now, a
    deliberate buffer) is kept, so a playbook with no history is proposed unchanged;
  - a step without a due offset is laid out like the others for the walk (forward when
    nothing due waits for it), but keeps no due: its new estimate is its window.
  So the order never changes: every step stays due before each of its dependants.
- lead_days: how many days before the launch the earliest due falls (0 if none does).
- The YAML: each changed `due:` is rewritten in place, and a step whose window is its
  estimate (no due, or nothing due before it) gets `estimate:` replaced or inserted in
  whole hours ("84h"); nothing else in the text changes.
"""

import math
from collections.abc import Sequence
from datetime import timedelta

import yaml
from pydantic import BaseModel

from baton.durations import MAX_DURATION, format_duration, parse_duration, parse_offset
from baton.errors import Invalid
from baton.insight import stats
from baton.insight.runs import StepRun
from baton.insight.windows import window_is_estimate, windows
from baton.playbook import Playbook, parse_playbook

MIN_WINDOW_DAYS = 0.5  # below half a day a window says more about the data than the work


class StepProposal(BaseModel):
    step: str
    samples: int
    median_cycle_days: float | None
    quantile_cycle_days: float | None
    current_window_days: float
    proposed_window_days: float
    current_due: str | None  # "-10d"; None for a step without a due offset
    proposed_due: str | None
    proposed_estimate: str | None = None  # "84h", for a step whose window is its estimate


class LeadDays(BaseModel):
    current: float
    proposed: float


class Recalibration(BaseModel):
    playbook: str
    version: int | None
    quantile: float
    min_samples: int
    steps: list[StepProposal]
    lead_days: LeadDays


def recalibrate(
    playbook: Playbook,
    version: int | None,
    runs: Sequence[StepRun],
    quantile: float = 0.8,
    min_samples: int = 5,
) -> Recalibration:
    """Each step's window and due proposed from `runs` (the rules are in the module's
    docstring); `version` is the playbook version the proposal starts from."""
    if not 0 < quantile < 1:
        raise Invalid(f"the quantile is {quantile}; choose one between 0 and 1, like 0.8")
    if min_samples < 0:
        raise Invalid(f"min_samples is {min_samples}; it cannot be negative")
    cycles = first_round_cycles(playbook, runs)
    current = windows(playbook)
    proposed = {
        step: shrunk_window(current[step], cycles[step], quantile, min_samples) for step in current
    }
    current_offsets, proposed_offsets = lay_out(playbook, current, proposed)
    proposals = []
    for step in playbook.steps:
        has_due = step.due is not None
        proposals.append(
            StepProposal(
                step=step.id,
                samples=len(cycles[step.id]),
                median_cycle_days=stats.rounded(stats.median(cycles[step.id])),
                quantile_cycle_days=stats.rounded(stats.quantile(cycles[step.id], quantile)),
                current_window_days=stats.rounded(current[step.id]),
                proposed_window_days=stats.rounded(proposed[step.id]),
                current_due=offset_text(current_offsets[step.id]) if has_due else None,
                proposed_due=offset_text(proposed_offsets[step.id]) if has_due else None,
                proposed_estimate=(
                    _estimate_text(playbook, step.id, current[step.id], proposed[step.id])
                    if window_is_estimate(playbook, step.id)
                    else None
                ),
            )
        )
    due_steps = [step.id for step in playbook.steps if step.due is not None]
    return Recalibration(
        playbook=playbook.id,
        version=version,
        quantile=quantile,
        min_samples=min_samples,
        steps=proposals,
        lead_days=LeadDays(
            current=-min([0, *(current_offsets[s] for s in due_steps)]),
            proposed=-min([0, *(proposed_offsets[s] for s in due_steps)]),
        ),
    )


def first_round_cycles(playbook: Playbook, runs: Sequence[StepRun]) -> dict[str, list[float]]:
    """Each step's samples: the cycle times, in the playbook's own days, of its runs that
    ended done in their first round, from any version of the playbook."""
    calendar = playbook.working_calendar
    cycles: dict[str, list[float]] = {step.id: [] for step in playbook.steps}
    for run in runs:
        if (
            run.playbook == playbook.id
            and run.step in cycles
            and run.outcome == "done"
            and run.revision == 1
        ):
            cycles[run.step].append(
                stats.working_days_between(run.activated_at, run.finished_at, calendar)
            )
    return cycles


def shrunk_window(current: float, cycles: list[float], q: float, min_samples: int) -> float:
    """(n * q_hat + k * current) / (n + k), k = `min_samples`, at least MIN_WINDOW_DAYS,
    to 0.1 day; with no samples, the current window as it is (nothing learned)."""
    q_hat = stats.quantile(cycles, q)
    if q_hat is None:
        return current
    n = len(cycles)
    blended = (n * q_hat + min_samples * current) / (n + min_samples)
    return stats.rounded(max(MIN_WINDOW_DAYS, blended), 1)


def lay_out(
    playbook: Playbook, current: dict[str, float], proposed: dict[str, float]
) -> tuple[dict[str, int], dict[str, int]]:
    """Every step's due offset now and as proposed (virtual ones for steps without a due),
    given each step's current and proposed window: see the module's docstring."""
    order = _dependencies_first(playbook)
    launch = {step.id for step in playbook.steps if step.due == 0}
    forward = {s for s in order if s not in launch and playbook.ancestors(s) & launch}
    grew = True
    while grew:  # a due-less step that only later steps wait for is laid out forward too
        grew = False
        for step in playbook.steps:
            waits_for_it = playbook.dependants(step.id)
            if (
                step.due is None
                and step.id not in forward | launch
                and all(d in forward for d in waits_for_it)
            ):
                forward.add(step.id)
                grew = True
    now: dict[str, int] = {}
    new: dict[str, int] = {}
    for step_id in reversed(order):  # before the launch: from the launch backwards
        if step_id in forward:
            continue
        due = playbook.step(step_id).due
        later = [d for d in playbook.dependants(step_id) if d not in forward]
        if step_id in launch or not later:
            now[step_id] = new[step_id] = due  # type: ignore[assignment]  # never None here
            continue
        room_now = min(now[d] - math.ceil(current[d]) for d in later)
        room_new = min(new[d] - math.ceil(proposed[d]) for d in later)
        slack = 0 if due is None else max(0, room_now - due)
        now[step_id] = room_now if due is None else due
        new[step_id] = room_new - slack
    for step_id in order:  # after the launch: from it forwards
        if step_id not in forward:
            continue
        before = playbook.step(step_id).depends_on
        start_now = max((now[p] for p in before), default=0)
        start_new = max((new[p] for p in before), default=0)
        due = playbook.step(step_id).due
        reach_now = start_now + math.ceil(current[step_id])
        slack = 0 if due is None else max(0, due - reach_now)
        now[step_id] = reach_now if due is None else due
        new[step_id] = start_new + math.ceil(proposed[step_id]) + slack
    return now, new


def _dependencies_first(playbook: Playbook) -> list[str]:
    """The step ids so that each comes after everything it depends on (playbook order
    where free)."""
    placed: list[str] = []
    seen: set[str] = set()

    def place(step_id: str) -> None:
        if step_id in seen:
            return
        seen.add(step_id)
        for before in playbook.step(step_id).depends_on:
            place(before)
        placed.append(step_id)

    for step in playbook.steps:
        place(step.id)
    return placed


def offset_text(days: int) -> str:
    """A due offset as playbooks write it: "-13d", "0d", "+2d" (baton.playbook's form)."""
    return f"{days:+d}d" if days else "0d"


def _estimate_text(playbook: Playbook, step_id: str, current: float, proposed: float) -> str:
    """The estimate to write: the current one when the window is unchanged, else the
    proposed window in whole hours (what `parse_duration` reads), at most a year."""
    if proposed == current:
        return format_duration(playbook.step(step_id).estimate or playbook.default_estimate)
    hours = min(max(round(proposed * 24), 1), int(MAX_DURATION.total_seconds() // 3600))
    return format_duration(timedelta(hours=hours))


def recalibrated_yaml(source: str, proposal: Recalibration) -> str:
    """The playbook's YAML text with each step's proposed due (and, for a step without a
    due offset, its estimate) written in; comments and other fields as they were."""
    playbook = parse_playbook(source)
    if playbook.id != proposal.playbook:
        raise Invalid(
            f"the proposal is for playbook '{proposal.playbook}', the YAML is '{playbook.id}'"
        )
    proposals = {p.step: p for p in proposal.steps}
    edits: list[tuple[int, int, str]] = []  # (start, end, new text) in `source`
    for item in _step_nodes(source):
        pairs = {key.value: (key, value) for key, value in item.value}
        step = playbook.step(pairs["id"][1].value)
        wanted = proposals.get(step.id)
        if wanted is None:
            continue
        due = wanted.proposed_due
        if due is not None and "due" in pairs and parse_offset(due) != step.due:
            value = pairs["due"][1]
            edits.append((value.start_mark.index, value.end_mark.index, due))
        if wanted.proposed_estimate is not None:
            estimate = parse_duration(wanted.proposed_estimate)
            if "estimate" in pairs and estimate != step.estimate:
                value = pairs["estimate"][1]
                edits.append(
                    (value.start_mark.index, value.end_mark.index, wanted.proposed_estimate)
                )
            elif "estimate" not in pairs and estimate != playbook.default_estimate:
                edits.append(_inserted(source, item, f"estimate: {wanted.proposed_estimate}"))
    text = source
    for start, end, new in sorted(edits, reverse=True):  # from the end: indexes stay right
        text = text[:start] + new + text[end:]
    parse_playbook(text, source="<recalibrated playbook>")  # what it writes must load
    return text


def _step_nodes(source: str) -> list[yaml.MappingNode]:
    """The mapping node of each step, whose marks index into `source`."""
    root = yaml.compose(source)
    steps = next(value for key, value in root.value if key.value == "steps")
    return [item for item in steps.value if isinstance(item, yaml.MappingNode)]


def _inserted(source: str, item: yaml.MappingNode, entry: str) -> tuple[int, int, str]:
    """An edit adding `entry` ("key: value") to a step's mapping: before the closing brace
    of a flow mapping, or on a line of its own after the last one-line pair of a block."""
    if item.flow_style:
        end = item.value[-1][1].end_mark.index
        return (end, end, f", {entry}")
    one_line = [
        value
        for _, value in item.value
        if (isinstance(value, yaml.ScalarNode) and value.style not in ("|", ">"))
        or getattr(value, "flow_style", False)
    ]
    newline = "\r\n" if "\r\n" in source else "\n"  # a file written on Windows stays so
    line_end = source.find(newline, one_line[-1].end_mark.index)
    at = len(source) if line_end == -1 else line_end
    indent = " " * item.value[0][0].start_mark.column
    return (at, at, f"{newline}{indent}{entry}")
