"""A project's timeline drawn as inline SVG, server-side (no script, no library, no
`style=` attribute: geometry in presentation attributes, colours from classes styled by
project.css). Pure: what it draws comes from its arguments.

One row per step: its label above a grey bar from its planned start (the latest due of
what it waits for, or the project's start) to its due, the actual run drawn over it
(coloured by how it went), earlier rework rounds as extra segments, a ✓ or ✗ for each
reviewer's decision, connectors from a step's due to the start of the steps after it,
date ticks, a "today" line and the launch line. The page's step table is the text
version of the same."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from markupsafe import Markup, escape

from baton.contract import ProjectStatus, StepStatus
from baton.insight.runs import StepRun
from baton.schedule import zone
from baton.wording import when

DAY = timedelta(days=1)
WEEKLY_UP_TO = timedelta(days=120)  # a longer span is ticked by months


@dataclass(frozen=True)
class Frame:
    """The drawing's size in viewBox units and its type sizes (units too: the SVG scales
    to the width it is given, so a narrow frame keeps its text readable on a phone)."""

    width: int
    label: float  # a step's name
    small: float  # ticks, owners, line labels
    pitch: int  # one row: label, then bar
    pad: int = 8
    axis: int = 40  # above the rows: "today" and the date ticks
    bar: int = 14
    run: int = 8
    marker: float = 7


WIDE = Frame(width=1000, label=13, small=11.5, pitch=44)
NARROW = Frame(width=400, label=14, small=12.5, pitch=48)


@dataclass(frozen=True)
class Round:
    """One run of a step: `how` is on-time, late, active, overdue, cancelled, or
    reworked (an earlier round that was sent back)."""

    revision: int
    start: datetime
    end: datetime
    how: str


@dataclass(frozen=True)
class Decision:
    """One reviewer's decision on an approval round."""

    revision: int
    person: str
    approve: bool
    at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class Row:
    """One step as the timeline draws it."""

    step: StepStatus
    planned_start: datetime
    planned_end: datetime | None  # its due; None: due once it starts
    rounds: list[Round]
    decisions: list[Decision]

    @property
    def faint(self) -> bool:
        return bool(self.step.wont_run) or self.step.state in ("skipped", "cancelled")


# ------------------------------------------------------------------ what is drawn


def planned_spans(
    steps: Sequence[StepStatus], dependencies: Mapping[str, Sequence[str]], start: datetime
) -> dict[str, tuple[datetime, datetime | None]]:
    """Each step's planned (start, due): it starts when the latest of what it waits for
    is due (a predecessor without a due passes on its own planned start), or at the
    project's start."""
    by_id = {step.id: step for step in steps}
    spans: dict[str, tuple[datetime, datetime | None]] = {}

    def span(step_id: str, seen: frozenset[str]) -> tuple[datetime, datetime | None]:
        if step_id in spans:
            return spans[step_id]
        ends = [
            _end(span(d, seen | {step_id}))
            for d in dependencies.get(step_id, ())
            if d in by_id and d not in seen
        ]
        begin = max(ends, default=start)
        due = by_id[step_id].due
        spans[step_id] = (min(begin, due) if due else begin, due)
        return spans[step_id]

    for step in steps:
        span(step.id, frozenset())
    return spans


def _end(span: tuple[datetime, datetime | None]) -> datetime:
    return span[1] or span[0]


def rounds_of(step: StepStatus, runs: Sequence[StepRun], now: datetime) -> list[Round]:
    """The step's runs: earlier rounds (from the recorded runs) drawn as reworked, then
    the current one from the status (still running, finished, or cut short)."""
    mine = [run for run in runs if run.step == step.id and run.outcome != "skipped"]
    rounds = [
        Round(run.revision, run.activated_at, run.finished_at, "reworked")
        for run in sorted(mine, key=lambda run: run.revision)
        if run.revision < step.revision
    ]
    current = _current_round(step, mine, now)
    return rounds + ([current] if current else [])


def _current_round(step: StepStatus, runs: Sequence[StepRun], now: datetime) -> Round | None:
    if step.state == "active" and step.started_at:
        overdue = step.due is not None and now > step.due
        return Round(step.revision, step.started_at, now, "overdue" if overdue else "active")
    if step.state == "done" and step.started_at and step.finished_at:
        after_due = step.due is not None and step.finished_at > step.due
        return Round(step.revision, step.started_at, step.finished_at, _done(after_due))
    if step.state == "cancelled":
        # Cut short while active: its run was recorded (a waiting step has none).
        run = next((r for r in runs if r.revision == step.revision), None)
        return Round(run.revision, run.activated_at, run.finished_at, "cancelled") if run else None
    return None


def _done(late: bool) -> str:
    return "late" if late else "on-time"


def decisions_of(
    status: ProjectStatus, step: StepStatus, runs: Sequence[StepRun]
) -> list[Decision]:
    """Every review of an approval, every round: from the log (with the comment), then
    what the recorded runs and the current round add (the log keeps its latest
    entries only)."""
    if step.kind != "approval":
        return []
    found: dict[tuple[int, str], Decision] = {}
    for entry in status.log:
        if (
            entry.step_id == step.id
            and entry.recipient is None
            and entry.type in ("approved", "rejected")
            and entry.actor
        ):
            revision = entry.revision or step.revision
            found[(revision, entry.actor)] = Decision(
                revision, entry.actor, entry.type == "approved", entry.at, entry.detail
            )
    for run in runs:
        for review in run.reviews if run.step == step.id else []:
            decision = Decision(run.revision, review.person, review.approve, review.at)
            found.setdefault((run.revision, review.person), decision)
    for review in step.approvals:
        key = (step.revision, review.actor)
        found.setdefault(
            key, Decision(step.revision, review.actor, review.approve, review.at, review.comment)
        )
    return sorted(found.values(), key=lambda d: (d.at, d.person))


def rows_of(
    status: ProjectStatus,
    runs: Sequence[StepRun],
    now: datetime,
    dependencies: Mapping[str, Sequence[str]] | None = None,
) -> list[Row]:
    """The rows to draw; `dependencies` (step id -> what it waits for) default to the
    playbook's as the status carries them."""
    depends = dependencies if dependencies is not None else {s.id: s.after for s in status.steps}
    spans = planned_spans(status.steps, depends, status.started_at)
    return [
        Row(
            step=step,
            planned_start=spans[step.id][0],
            planned_end=spans[step.id][1],
            rounds=rounds_of(step, runs, now),
            decisions=decisions_of(status, step, runs),
        )
        for step in status.steps
    ]


# ------------------------------------------------------------------ the time axis


@dataclass(frozen=True)
class Axis:
    """Instants to x, between the first and last day shown (whole local days)."""

    start: datetime
    end: datetime
    left: float
    right: float

    def x(self, instant: datetime) -> float:
        share = (instant - self.start) / (self.end - self.start)
        return round(self.left + share * (self.right - self.left), 1)


def axis_for(
    rows: Sequence[Row],
    status: ProjectStatus,
    now: datetime,
    launch_at: datetime | None,
    timezone: str,
    frame: Frame,
) -> Axis:
    """From the project's start (or earliest run) to the latest due, finish, launch or
    (while it runs) now, widened to whole days."""
    instants = [status.started_at]
    for row in rows:
        instants.append(row.planned_start)
        instants += [row.planned_end] if row.planned_end else []
        for each in row.rounds:
            instants += [each.start, each.end]
        instants += [d.at for d in row.decisions]
    instants += [launch_at] if launch_at else []
    instants += [now] if status.state == "active" else []
    tz = zone(timezone)
    first = _midnight(min(instants).astimezone(tz).date(), timezone)
    last = _midnight(max(instants).astimezone(tz).date() + DAY, timezone)
    if last - first < 7 * DAY:
        last = first + 7 * DAY
    return Axis(first, last, frame.pad, frame.width - frame.pad)


def _midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(timezone))


def ticks(axis: Axis, timezone: str) -> list[tuple[datetime, str]]:
    """Date ticks: Mondays ("4 May") over a span of up to four months, else the first
    of each month ("Jun", with the year in January and on the first tick)."""
    tz = zone(timezone)
    first = axis.start.astimezone(tz).date()
    last = axis.end.astimezone(tz).date()
    found = []
    if axis.end - axis.start <= WEEKLY_UP_TO:
        day = first + timedelta(days=(7 - first.weekday()) % 7)
        while day <= last:
            found.append((_midnight(day, timezone), f"{day.day} {day:%b}"))
            day += 7 * DAY
        return found
    day = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    while day <= last:
        label = f"{day:%b %Y}" if day.month == 1 or not found else f"{day:%b}"
        found.append((_midnight(day, timezone), label))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return found


def text_width(text: str, size: float, bold: bool = False) -> float:
    """About how wide `text` is set in the page's sans-serif at `size` (generous, so a
    label never runs off the drawing)."""
    return len(text) * size * _per_char(bold)


def _per_char(bold: bool) -> float:
    # Measured in Chromium with Arial's metrics: 0.48 bold, 0.43 regular for mixed
    # text; a little more here for wider system fonts (San Francisco, Segoe UI).
    return 0.56 if bold else 0.5


def fit(text: str, size: float, room: float, bold: bool = False) -> str:
    """`text`, cut with an ellipsis to fit `room` units."""
    if text_width(text, size, bold) <= room:
        return text
    keep = max(int(room / (size * _per_char(bold))) - 1, 1)
    return text[:keep].rstrip() + "…"


# ------------------------------------------------------------------ drawing


def element(name: str, attributes: Mapping[str, object], *children: str | Markup) -> Markup:
    """One SVG element, its attribute values and text escaped (None leaves one out)."""
    attrs = Markup("").join(
        Markup(' {}="{}"').format(Markup(key), value)
        for key, value in attributes.items()
        if value is not None
    )
    if not children:
        return Markup("<{}{}/>").format(Markup(name), attrs)
    body = Markup("").join(escape(child) for child in children)
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(name), attrs, body)


@dataclass
class Drawing:
    """One timeline being drawn (the pieces are methods, each one kind of mark)."""

    status: ProjectStatus
    rows: list[Row]
    now: datetime
    names: Mapping[str, str]
    launch_at: datetime | None
    timezone: str
    frame: Frame
    ident: str

    @cached_property
    def axis(self) -> Axis:
        return axis_for(self.rows, self.status, self.now, self.launch_at, self.timezone, self.frame)

    @property
    def bottom(self) -> int:
        """Where the rows end."""
        return self.top(len(self.rows))

    def top(self, index: int) -> int:
        return self.frame.axis + index * self.frame.pitch

    def centre(self, index: int) -> float:
        """The middle of a row's bar: below its label."""
        return self.top(index) + self.frame.label + 8 + self.frame.bar / 2

    def name(self, person: str) -> str:
        return self.names.get(person, person)

    def short(self, instant: datetime) -> str:
        local = instant.astimezone(zone(self.timezone))
        return f"{local:%a} {local.day} {local:%b}"

    # -- the whole

    def svg(self) -> Markup:
        f = self.frame
        height = self.bottom + 26  # the launch line's label
        attributes = {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "gantt",
            "id": self.ident,
            "viewBox": f"0 0 {f.width} {height}",
            "width": f.width,
            "height": height,
            "role": "img",
            "aria-label": self.summary(),
            "font-family": "-apple-system, Segoe UI, Helvetica, Arial, sans-serif",
        }
        body = [
            element("title", {}, f"Timeline of {self.status.name}"),
            element("desc", {}, DESCRIPTION),
            self.defs(),
            self.grid(),
            self.connectors(),
            self.lines(),  # under the rows: the labels' halo keeps them readable
            *(self.row(index, row) for index, row in enumerate(self.rows)),
        ]
        return element("svg", attributes, Markup("\n").join(body))

    def summary(self) -> str:
        """What the aria-label says: the steps by state, the launch and today."""
        steps = self.status.steps
        done = [s for s in steps if s.state == "done"]
        late = [s for s in done if s.due and s.finished_at and s.finished_at > s.due]
        active = [s for s in steps if s.state == "active"]
        overdue = [s for s in active if s.due and self.now > s.due]
        waiting = [s for s in steps if s.state == "waiting" and not s.wont_run]
        said = [f"{len(steps)} steps", f"{len(done)} done ({len(late)} late)"]
        said.append(f"{len(active)} active ({len(overdue)} overdue)")
        said.append(f"{len(waiting)} waiting")
        for word, count in (
            ("won't run", sum(1 for s in steps if s.wont_run)),
            ("skipped", sum(1 for s in steps if s.state == "skipped" and not s.wont_run)),
            ("cancelled", sum(1 for s in steps if s.state == "cancelled")),
        ):
            said += [f"{count} {word}"] if count else []
        if reworked := sum(any(r.how == "reworked" for r in row.rounds) for row in self.rows):
            said.append(f"{reworked} reworked")
        text = f"Timeline of {self.status.name}: " + ", ".join(said)
        if self.launch_at:
            text += f"; {self.status.launch} {self.short(self.launch_at)}"
        return text + f"; today {self.short(self.now)}."

    def defs(self) -> Markup:
        arrow = element("path", {"d": "M0,0 L8,4 L0,8 z", "class": "arrowhead"})
        marker = {
            "id": f"{self.ident}-arrow",
            "viewBox": "0 0 8 8",
            "refX": 7,
            "refY": 4,
            "markerWidth": 7,
            "markerHeight": 7,
            "orient": "auto",
        }
        return element("defs", {}, element("marker", marker, arrow))

    def grid(self) -> Markup:
        """A faint line per tick, their labels as far apart as they need."""
        f, axis = self.frame, self.axis
        found = ticks(axis, self.timezone)
        room = max((text_width(label, f.small) for _, label in found), default=0) + 10
        spacing = axis.x(found[1][0]) - axis.x(found[0][0]) if len(found) > 1 else room
        every = max(math.ceil(room / spacing), 1)
        parts = []
        for index, (instant, label) in enumerate(found):
            x = axis.x(instant)
            line = {"class": "tick", "x1": x, "y1": f.axis - 6, "x2": x, "y2": self.bottom}
            parts.append(element("line", line | {"data-at": instant.date().isoformat()}))
            if index % every == 0 and f.pad + room / 2 <= x <= f.width - f.pad - room / 2:
                text = {"class": "tick-label", "x": x, "y": f.axis - 10}
                text |= {"font-size": f.small, "text-anchor": "middle"}
                parts.append(element("text", text, label))
        return element("g", {"class": "grid"}, *parts)

    def connectors(self) -> Markup:
        """From the due of each step to the planned start of each step waiting for it:
        straight down when one starts where the other ends, else along and down."""
        index = {row.step.id: i for i, row in enumerate(self.rows)}
        parts = []
        for i, row in enumerate(self.rows):
            for before in (b for b in row.step.after if b in index):
                j = index[before]
                source = self.rows[j]
                x1 = self.axis.x(source.planned_end or source.planned_start)
                x2 = self.axis.x(row.planned_start)
                y1, y2 = self.centre(j), self.centre(i)
                half = self.frame.bar / 2 if y2 > y1 else -self.frame.bar / 2
                if abs(x2 - x1) < 8:
                    path = f"M{x2},{y1 + half} V{y2 - half}"
                else:
                    path = f"M{x1},{y1} H{round(x1 + 4, 1)} V{y2} H{x2}"
                faint = row.faint or source.faint
                attributes = {
                    "class": "connector faint" if faint else "connector",
                    "d": path,
                    "fill": "none",
                    "marker-end": f"url(#{self.ident}-arrow)",
                    "data-from": before,
                    "data-to": row.step.id,
                }
                parts.append(element("path", attributes))
        return element("g", {"class": "connectors"}, *parts)

    def row(self, index: int, row: Row) -> Markup:
        """A step: its label, planned bar, rounds and review markers."""
        f, axis, step = self.frame, self.axis, row.step
        centre = self.centre(index)
        parts = [self.label(row, self.top(index) + f.label + 2)]
        if row.planned_end:
            x1, x2 = axis.x(row.planned_start), axis.x(row.planned_end)
            bar = {"class": "planned", "x": x1, "y": centre - f.bar / 2}
            bar |= {"width": max(round(x2 - x1, 1), 2), "height": f.bar, "rx": 3}
            bar |= {"data-from": row.planned_start.isoformat()}
            bar |= {"data-to": row.planned_end.isoformat()}
            parts.append(element("rect", bar, element("title", {}, self.planned_title(row))))
        for each in row.rounds:
            x1, x2 = axis.x(each.start), axis.x(each.end)
            bar = {"class": f"run {each.how}", "x": x1, "y": centre - f.run / 2}
            bar |= {"width": max(round(x2 - x1, 1), 3), "height": f.run, "rx": 2}
            bar |= {"data-revision": each.revision, "data-from": each.start.isoformat()}
            bar |= {"data-to": each.end.isoformat()}
            parts.append(element("rect", bar, element("title", {}, self.round_title(step, each))))
        parts += self.markers(row, centre)
        group = {"class": "step faint" if row.faint else "step", "data-step": step.id}
        return element("g", group, *parts)

    def label(self, row: Row, y: float) -> Markup:
        """The step's name above its bar (from where the bar starts, kept inside the
        drawing), then who does it and how it stands, cut to fit."""
        f = self.frame
        room = f.width - 2 * f.pad
        name = fit(row.step.name, f.label, room, bold=True)
        extra = self.about(row.step)
        left = room - text_width(name, f.label, bold=True) - text_width(" · …", f.small)
        rest = fit(" · " + " · ".join(extra), f.small, left) if extra and left > 0 else ""
        wide = text_width(name, f.label, bold=True) + text_width(rest, f.small)
        # Just right of where its bar starts, clear of a connector dropping onto it.
        start = self.axis.x(row.planned_start) + 3 if row.planned_end else f.pad
        x = round(max(f.pad, min(start, f.width - f.pad - wide)), 1)
        return element(
            "text",
            {"class": "label", "x": x, "y": y, "font-size": f.label},
            element("tspan", {"class": "name", "font-weight": 600}, name),
            element("tspan", {"class": "meta", "font-size": f.small}, rest) if rest else "",
        )

    def about(self, step: StepStatus) -> list[str]:
        """What the label says after the step's name: owners, round, choice, state."""
        said = [", ".join(self.name(p) for p in step.owners)] if not step.wont_run else []
        if step.revision > 1:
            said.append(f"round {step.revision}")
        if step.option:
            said.append(f"chose {step.option}")
        if step.wont_run:
            said.append(f"won't run ({step.wont_run})")
        elif step.state in ("skipped", "cancelled"):
            said.append(step.state)
        elif step.due is None:
            said.append("due set when it starts")
        return said

    def markers(self, row: Row, centre: float) -> list[Markup]:
        """A tick or a cross per review at its instant (drawn, not a font's glyph), side
        by side when they would overlap; its title says who decided what, and why."""
        r, parts, last = self.frame.marker, [], -math.inf
        for decision in row.decisions:
            x = max(self.axis.x(decision.at), last + 2 * r + 1)
            last = x
            verdict = "approved" if decision.approve else "rejected"
            title = f"{self.name(decision.person)} {verdict}"
            if decision.comment:
                title += f": {decision.comment}"
            title += f" (round {decision.revision}, {when(decision.at, self.timezone)})"
            group = {"class": f"review {verdict}", "data-person": decision.person}
            group |= {"data-revision": decision.revision, "data-at": decision.at.isoformat()}
            glyph = {"d": _glyph(decision.approve, x, centre, r * 0.45), "fill": "none"}
            glyph |= {"stroke-width": 2, "stroke-linecap": "round"}
            parts.append(
                element(
                    "g",
                    group,
                    element("title", {}, title),
                    element("circle", {"cx": x, "cy": centre, "r": r}),
                    element("path", glyph),
                )
            )
        return parts

    def lines(self) -> Markup:
        """Today (labelled above the ticks) and the launch (labelled below the rows)."""
        f, parts = self.frame, []
        if self.axis.start <= self.now <= self.axis.end:
            text = f"today, {self.short(self.now)}"
            span = (f.axis - 6, self.bottom)
            parts.append(self.line("today", self.now, span, text, 12))
        if self.launch_at and self.axis.start <= self.launch_at <= self.axis.end:
            text = f"{self.status.launch}, {self.short(self.launch_at)}"
            span = (f.axis - 6, self.bottom + 4)
            parts.append(self.line("launch", self.launch_at, span, text, self.bottom + 18))
        return Markup("").join(parts)

    def line(
        self, kind: str, at: datetime, span: tuple[float, float], text: str, text_y: float
    ) -> Markup:
        """A labelled vertical line at `at`, its label kept inside the drawing."""
        f, x = self.frame, self.axis.x(at)
        wide = text_width(text, f.small)
        anchor, text_x = "middle", x
        if x - wide / 2 < f.pad:
            anchor, text_x = "start", f.pad
        elif x + wide / 2 > f.width - f.pad:
            anchor, text_x = "end", f.width - f.pad
        label = {"x": text_x, "y": text_y, "font-size": f.small, "text-anchor": anchor}
        return element(
            "g",
            {"class": f"{kind}-line", "data-at": at.isoformat()},
            element("line", {"x1": x, "y1": span[0], "x2": x, "y2": span[1]}),
            element("text", label, text),
        )

    # -- tooltips

    def planned_title(self, row: Row) -> str:
        start = when(row.planned_start, self.timezone)
        return f"{row.step.name}: planned from {start}, due {when(row.planned_end, self.timezone)}"

    def round_title(self, step: StepStatus, each: Round) -> str:
        tz = self.timezone
        text = f"{step.name}, round {each.revision}: started {when(each.start, tz)}"
        ending = {
            "reworked": "finished {end}, then sent back for rework",
            "on-time": "done {end}, on time",
            "late": "done {end}, after its due",
            "active": "active now",
            "overdue": "active now, past its due",
            "cancelled": "cancelled {end}",
        }[each.how]
        return f"{text}; {ending.format(end=when(each.end, tz))}"


def _glyph(approve: bool, x: float, y: float, k: float) -> str:
    """A tick (approved) or a cross (rejected) of half-size `k` centred on (x, y)."""
    k = round(k, 1)
    if approve:
        return f"M{x - k},{y} L{round(x - k / 3, 1)},{y + k} L{x + k},{y - k}"
    return f"M{x - k},{y - k} L{x + k},{y + k} M{x + k},{y - k} L{x - k},{y + k}"


DESCRIPTION = (
    "Each step has a grey bar from its planned start (when what it waits for is due) to "
    "its due, with the actual run drawn over it: green done on time, orange done late, "
    "blue active, red overdue, purple an earlier round sent back for rework. Arrows join a "
    "step to the steps waiting for it; a tick or a cross marks each reviewer's decision. "
    "The table below lists the same steps."
)


def timeline_svg(
    status: ProjectStatus,
    runs: Sequence[StepRun],
    now: datetime,
    names: Mapping[str, str],
    *,
    launch_at: datetime | None = None,
    dependencies: Mapping[str, Sequence[str]] | None = None,
    timezone: str | None = None,
    frame: Frame = WIDE,
    ident: str = "timeline",
) -> Markup:
    """The project's timeline as an inline SVG element. `runs` are the project's
    recorded step runs (earlier rounds); `names` person id -> name; `launch_at` the
    launch instant; dates in `timezone` (the project's by default)."""
    drawing = Drawing(
        status=status,
        rows=rows_of(status, runs, now, dependencies),
        now=now,
        names=names,
        launch_at=launch_at,
        timezone=timezone or status.timezone,
        frame=frame,
        ident=ident,
    )
    return drawing.svg()
