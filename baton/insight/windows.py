"""A step's window: the time a playbook gives it, in the playbook's own days (business
days for a business-day playbook). For a step with a due offset, its due minus the
latest due among what it waits for; for a first step (nothing before it with a due), and
for a step without a due offset, its `estimate` (the playbook's `default_estimate`)."""

from baton.playbook import Playbook, Step

DAY_SECONDS = 86400.0


def estimate_days(playbook: Playbook, step: Step) -> float:
    estimate = step.estimate or playbook.default_estimate
    return estimate.total_seconds() / DAY_SECONDS


def window_is_estimate(playbook: Playbook, step_id: str) -> bool:
    """Whether a step's window is its estimate: no due, or nothing before it has one."""
    step = playbook.step(step_id)
    return step.due is None or all(playbook.step(d).due is None for d in step.depends_on)


def window_days(playbook: Playbook, step_id: str) -> float:
    step = playbook.step(step_id)
    if window_is_estimate(playbook, step_id):
        return estimate_days(playbook, step)
    before = [playbook.step(d).due for d in step.depends_on]
    return float(step.due - max(due for due in before if due is not None))  # type: ignore[operator]


def windows(playbook: Playbook) -> dict[str, float]:
    """Every step's window, in playbook order."""
    return {step.id: window_days(playbook, step.id) for step in playbook.steps}
