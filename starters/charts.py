"""Charts of what history says, as SVG or PNG bytes, for `baton report --plot` and the
dashboard (the same functions):

    report_chart(report, runs, fmt="svg", which="both") -> bytes
        `runs`: the step runs the report was built over (`report_with_runs` in
        `starters.client.insight` gives both); the slip chart plots each run's lateness,
        which the report keeps only as medians. `which`: "slip" (how late each step
        finished, a box per step with every run as a dot), "days" (where the days went,
        stacked bars per step) or "both" (one above the other).
    forecast_chart(forecast, fmt="svg") -> bytes
        each step still to do as a bar from its median start to its median finish, the
        deadline and the 80% finish as vertical lines.

Made to be read on a phone: 5 inches wide (an SVG's viewBox scales it to any width,
390 px keeps 9 pt text readable), the Okabe-Ito colour-blind-safe palette, words on
every axis. matplotlib's Agg backend, its object API (no pyplot state, so requests may
draw at once), no network; the same input gives the same bytes. matplotlib is imported
on the first chart, not with this module: every `baton` command would pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from baton.errors import Invalid

if TYPE_CHECKING:  # what is drawn; numpy and matplotlib come with the first chart
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from baton.insight.forecast import Forecast
    from baton.insight.report import Report
    from baton.insight.runs import StepRun

FORMATS = ("svg", "png")
CHARTS = ("both", "slip", "days")
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
)  # fmt: skip
GREY = "#595959"
WIDTH = 5.0  # inches
ROW = 0.34  # inches per step
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: smaller, selectable, read by screen readers
    "svg.hashsalt": "baton",  # stable ids: the same chart is the same bytes
}
DAYS_PARTS = (  # (field of DaysWent, label, colour)
    ("working_days", "working", BLUE),
    ("waiting_days", "waiting to start", ORANGE),
    ("approval_queue_days", "in approval queue", SKY),
    ("rework_days", "rework", VERMILLION),
)


def report_chart(
    report: Report, runs: Sequence[StepRun], fmt: str = "svg", which: str = "both"
) -> bytes:
    """The report as a chart (see the module docstring)."""
    _check(fmt, which)
    steps = [(stats.playbook, stats.step) for stats in report.steps]
    panels = ["slip", "days"] if which == "both" else [which]
    rows = max(len(steps), 1)
    heights = [rows * ROW + 1.1 for _ in panels]
    with _style():
        figure = _figure(sum(heights) + 0.3)
        axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "slip":
                _slip(ax, steps, runs)
            else:
                _days(ax, report)
        return _save(figure, fmt)


def forecast_chart(
    forecast: Forecast, fmt: str = "svg", names: Mapping[str, str] | None = None
) -> bytes:
    """The forecast as a chart: each step still to do from its median start to its median
    finish, the deadline, and the instant the project finishes by in 80% of the runs.
    Steps are labelled by `names` (step id -> name) where given, else by id."""
    _check(fmt, "both")
    steps = forecast.steps
    critical = {c.step for c in forecast.critical_steps}
    lines = [(forecast.p80_finish, GREY, "--", "80% finish by")]
    if forecast.deadline is not None:
        lines.append((forecast.deadline, ORANGE, "-", "deadline"))
    with _style():
        figure = _figure(max(len(steps), 1) * ROW + 1.6)
        from matplotlib import dates as mdates

        ax = figure.subplots()
        ax.set_title(f"On time: {forecast.p_on_time:.0%} likely")
        if not steps:
            _nothing(ax, "Nothing left to do")
            return _save(figure, fmt)
        starts = [mdates.date2num(step.p50_start) for step in steps]
        finishes = [mdates.date2num(step.p50_finish) for step in steps]
        for y, (step, start, finish) in enumerate(zip(steps, starts, finishes, strict=True)):
            colour = VERMILLION if step.step in critical else BLUE
            ax.barh(y, max(finish - start, 0.05), left=start, height=0.6, color=colour)
        labels = [(names or {}).get(step.step, step.step) for step in steps]
        ax.set_yticks(range(len(steps)), labels)
        ax.invert_yaxis()  # first step on top, as in a plan
        marks = [mdates.date2num(instant) for instant, *_ in lines]
        for x, (_, colour, style, _) in zip(marks, lines, strict=True):
            ax.axvline(x, color=colour, linestyle=style, linewidth=1.5)
        low, high = min(starts), max(finishes + marks)
        pad = max((high - low) * 0.04, 0.5)  # the lines stay clear of the edges
        ax.set_xlim(low - pad, high + pad)
        tz = forecast.p50_finish.tzinfo
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5, tz=tz))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d", tz=tz))
        ax.set_xlabel(f"date ({_zone_name(forecast.p50_finish)})")
        legend = [("critical step (often sets the finish)", VERMILLION, "bar")] if critical else []
        legend += [("step (median start to median finish)", BLUE, "bar")]
        _legend(figure, legend + [(label, colour, style) for _, colour, style, label in lines])
        return _save(figure, fmt)


def _check(fmt: str, which: str) -> None:
    if fmt not in FORMATS:
        raise Invalid(f"cannot draw a chart as '{fmt}'; use svg or png", field="format")
    if which not in CHARTS:
        raise Invalid(f"no chart '{which}'; use {', '.join(CHARTS)}", field="which")


def _slip(ax: Axes, steps: list[tuple[str | None, str]], runs: Sequence[StepRun]) -> None:
    """How late each step finished: a box of the middle half per step, every run a dot."""
    ax.set_title("How late each step finished")
    late: dict[tuple[str | None, str], list[float]] = {key: [] for key in steps}
    for run in runs:
        key = (run.playbook, run.step)
        if run.outcome == "done" and key in late:
            late[key].append(run.lateness_days)
    shown = [key for key in steps if late[key]]
    if not shown:
        _nothing(ax, "No finished steps yet")
        return
    values = [late[key] for key in shown]
    low, high = min(map(min, values)), max(map(max, values))
    ax.axvspan(min(low, 0) - 1, 0, color=GREEN, alpha=0.08, linewidth=0)
    ax.axvline(0, color=GREEN, linewidth=1)
    ax.boxplot(
        values,
        orientation="horizontal",
        positions=range(len(shown)),
        widths=0.6,
        showfliers=False,  # the dots show every run, outliers included
        patch_artist=True,
        boxprops={"facecolor": SKY, "alpha": 0.5, "edgecolor": BLUE},
        medianprops={"color": BLUE, "linewidth": 2},
        whiskerprops={"color": BLUE},
        capprops={"color": BLUE},
    )
    for y, points in enumerate(values):
        # A fixed spread (not random): the same report draws the same chart.
        offsets = [((i * 0.618) % 1 - 0.5) * 0.4 for i in range(len(points))]
        ax.scatter(points, [y + o for o in offsets], s=9, color=GREY, alpha=0.6, linewidths=0)
    ax.set_yticks(range(len(shown)), _labels(shown))
    ax.invert_yaxis()
    ax.set_xlim(min(low, 0) - 0.5, max(high, 0) + 0.5)
    ax.set_xlabel("days late (negative: early; green: on time)")


def _days(ax: Axes, report: Report) -> None:
    """Where the days went: per step, working, waiting, in an approval queue, rework."""
    ax.set_title("Where the days went")
    went = report.where_the_days_went
    if not went:
        _nothing(ax, "No finished steps yet")
        return
    left = [0.0] * len(went)
    for field, label, colour in DAYS_PARTS:
        widths = [max(getattr(row, field), 0.0) for row in went]
        ax.barh(range(len(went)), widths, left=left, height=0.6, color=colour, label=label)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(range(len(went)), _labels([(row.playbook, row.step) for row in went]))
    ax.invert_yaxis()
    ax.set_xlabel("days per project (mean)")
    _legend(ax.figure, [(label, colour, "bar") for _, label, colour in DAYS_PARTS])


def _legend(figure: Figure, entries: list[tuple[str, str, str]]) -> None:
    """A legend under the chart (never over the data), two entries a line."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color=colour, label=label)
        if style == "bar"
        else Line2D([], [], color=colour, linestyle=style, label=label)
        for label, colour, style in entries
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=8)


def _labels(keys: list[tuple[str | None, str]]) -> list[str]:
    """Step ids, with their playbook when the chart shows several playbooks."""
    several = len({playbook for playbook, _ in keys}) > 1
    return [f"{playbook}: {step}" if several else step for playbook, step in keys]


def _nothing(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_axis_off()


def _zone_name(instant: datetime) -> str:
    tz = instant.tzinfo
    return getattr(tz, "key", None) or (tz.tzname(instant) if tz else None) or "UTC"


def _style():
    """Baton's chart style for what is drawn inside the `with`."""
    import matplotlib

    matplotlib.use("Agg")  # never a window: charts are files and web responses
    return matplotlib.rc_context(STYLE)


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), layout="constrained")


def _save(figure: Figure, fmt: str) -> bytes:
    out = io.BytesIO()
    # No creation date in the file: the same chart is the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(out, format=fmt, dpi=150, metadata=metadata)
    return out.getvalue()
