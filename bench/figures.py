"""A figure of the bench: Baton's value in each run next to its floor's (the bare
workflow, or the least work of the same kind) in the same run, their medians and ratio,
and the target it is held to."""

import statistics
from dataclasses import dataclass, field
from typing import Literal

Rule = Literal["ratio<=", "ratio>=", "value<=", "value<"]


@dataclass(frozen=True)
class Target:
    rule: Rule
    limit: float

    def text(self, unit: str) -> str:
        kind, sign = self.rule[:5], self.rule[5:].replace("<=", "≤").replace(">=", "≥")
        if kind == "ratio":
            return f"{sign} {self.limit:g}x"
        return f"{sign} {self.limit:g} {unit}".strip()


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    baton: list[float]  # one value per run
    floor: list[float] = field(default_factory=list)  # the floor's, per run (may be empty)
    floor_label: str = ""  # what the floor is
    target: Target | None = None
    how: str = ""  # how it is measured, one line
    error: str | None = None  # set when the measurement failed: why

    @property
    def value(self) -> float | None:
        return statistics.median(self.baton) if self.baton else None

    @property
    def floor_value(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor_value:
            return None
        return self.value / self.floor_value

    @property
    def met(self) -> bool | None:
        """None when there is no target (or nothing to hold it to)."""
        if self.target is None:
            return None
        measured = self.ratio if self.target.rule.startswith("ratio") else self.value
        if measured is None:
            return False if self.error else None
        limit = self.target.limit
        return {
            "ratio<=": measured <= limit,
            "ratio>=": measured >= limit,
            "value<=": measured <= limit,
            "value<": measured < limit,
        }[self.target.rule]

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "unit": self.unit,
            "baton": self.value,
            "baton_runs": self.baton,
            "floor": self.floor_value,
            "floor_runs": self.floor,
            "floor_is": self.floor_label,
            "ratio": self.ratio,
            "target": self.target.text(self.unit) if self.target else None,
            "met": self.met,
            "how": self.how,
            **({"error": self.error} if self.error else {}),
        }


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
