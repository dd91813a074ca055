"""A playbook's steps as a flow diagram: inline SVG drawn on the server, with no script
and no inline styles (presentation attributes only, so the page's CSP holds).

The graph: a node per step, shaped and coloured by its kind (a task a rectangle, an
approval a rounder box naming its reviewers, a decision a six-sided box listing its
options), an arrow per dependency (`Step.depends_on`: `after`, plus the decision a
`when` reads, labelled with the option that leads there), and a dashed "rework" arrow
from each approval back to the step a rejection sends the work to. Each node shows the
step's name, who acts on it (role titles), its due offset ("-25d") and its condition.

Steps are laid out in layers: a step's layer is the longest path to it from a step
that waits for nothing, so every arrow of a dependency points to a later layer. Two
drawings of that graph:

- `wide`: left to right, a column per layer (for a desktop); an arrow that skips
  columns runs through the gaps between the steps of the columns it crosses;
- `tall`: top to bottom, one step per row (for a phone); an arrow to a step further
  down than the next row runs in a lane left of the steps, rework in lanes on the right.

Pure: a playbook in, SVG text out (`flow_svg`); `layers`, `links`, `who_of` and
`due_of` are what the page's text version of the flow reads too."""

import textwrap
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Literal

from markupsafe import Markup, escape

from baton.durations import format_duration
from baton.playbook import Playbook, Step
from baton.wording import condition

Layout = Literal["wide", "tall"]

FONT = "Helvetica, Arial, sans-serif"
INK, SOFT = "#1f2328", "#424a53"  # text: both >= 7:1 on every node's fill
EDGE = "#57606a"
BRANCH = "#6639ba"  # decision branches and conditions
REWORK = "#a40e26"
KINDS = {  # fill, border, the kind label's colour
    "task": ("#ddf4ff", "#0969da", "#0550ae"),
    "approval": ("#fff8c5", "#9a6700", "#7d4e00"),
    "decision": ("#fbefff", "#8250df", "#6639ba"),
}
KIND_LABEL = {"task": "TASK", "approval": "APPROVAL", "decision": "DECISION"}

# Type sizes, and how wide a character is on average (of the size), to wrap text
# before the browser measures it. Generous, so text stays inside its box.
SIZES = {"kind": 10.5, "name": 13.0, "small": 11.5}
CHAR = {"kind": 0.62, "name": 0.58, "small": 0.54}
LINE = {"kind": 15, "name": 16, "small": 14}
PAD = 8  # inside a node
POINT = 12  # how far a decision's left and right corners stick out

WIDE_NODE_W, WIDE_GAP, WIDE_ROW_GAP, WIDE_MARGIN = 176, 64, 18, 12
PASS_H = 10  # the height an arrow takes up in a column it passes through
TRACK_GAP = 16  # between the rework tracks above the wide drawing
TALL_W, TALL_ROW_GAP, TALL_MARGIN, LANE_W = 360, 28, 6, 11


# -- the graph


@dataclass(frozen=True)
class Link:
    """One arrow: a dependency (`after`), a decision's branch (labelled with its
    option) or an approval's rework (from the approval back to the step redone)."""

    source: str
    target: str
    kind: Literal["after", "branch", "rework"]
    label: str | None = None


def layers(playbook: Playbook) -> dict[str, int]:
    """Each step's layer: 0 for a step that waits for nothing, else one more than the
    latest of the steps it waits for (the longest path from a root)."""

    @cache
    def layer(step_id: str) -> int:
        before = playbook.step(step_id).depends_on
        return 1 + max(layer(dep) for dep in before) if before else 0

    return {step.id: layer(step.id) for step in playbook.steps}


def links(playbook: Playbook) -> list[Link]:
    """Every arrow of the flow: the dependencies in playbook order, then the rework."""
    found = []
    for step in playbook.steps:
        for dep in step.depends_on:
            branch = step.when is not None and step.when.step == dep
            kind = "branch" if branch else "after"
            found.append(Link(dep, step.id, kind, step.when.option if branch else None))
    found += [
        Link(step.id, step.on_reject, "rework", "rework")
        for step in playbook.steps
        if step.kind == "approval" and step.on_reject
    ]
    return found


def who_of(step: Step, playbook: Playbook) -> str:
    """The titles of the roles acting on a step: "SEO strategist, Marketing stakeholder"."""
    return ", ".join(playbook.roles.get(role, role) for role in step.roles)


def policy_of(step: Step) -> str:
    """How many of an approval's reviewers must approve, in words."""
    if step.policy == "all":
        return "all must approve" if len(step.approvers) > 1 else "must approve"
    if step.policy == "any":
        return "any one approves"
    return f"{step.policy} of {len(step.approvers)} approve"


def due_of(step: Step, playbook: Playbook) -> str:
    """When a step is due, from the launch: "-25d", "0d", "+7d"; a step without an
    offset is due its estimate after it starts ("3d after start")."""
    if step.due is not None:
        return f"{step.due:+d}d" if step.due else "0d"
    return f"{format_duration(step.estimate or playbook.default_estimate)} after start"


# -- nodes: what each shows, and its box


@dataclass
class Box:
    """A step's node, or (`step` None) the room an arrow takes in a column it crosses."""

    key: str
    w: float
    h: float
    step: Step | None = None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (style, text)
    x: float = 0.0
    y: float = 0.0

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def side_x(self, y: float, side: Literal["left", "right"]) -> float:
        """Where a horizontal arrow at `y` meets the node's left or right border (a
        decision's corners stick out)."""
        inset = 0.0
        if self.step is not None and self.step.kind == "decision":
            inset = POINT * min(abs(y - self.cy) / (self.h / 2), 1)
        return self.x + inset if side == "left" else self.right - inset


def _wrap(text: str, width: float, style: str, max_lines: int) -> list[str]:
    chars = max(int(width / (SIZES[style] * CHAR[style])), 8)
    wrapped = textwrap.wrap(
        text, chars, max_lines=max_lines, placeholder=" …", break_on_hyphens=False
    )
    return wrapped or [""]


@dataclass
class Drawing:
    """A layout: its size, the boxes placed, each arrow's path and where labels go."""

    width: float
    height: float
    boxes: dict[str, Box]
    paths: list[tuple[Link, str]]  # each arrow and its path's `d`
    labels: list[tuple[Link, float, float, str]]  # the arrow, x, y, text-anchor
    rotated_labels: list[tuple[Link, float, float]] = field(default_factory=list)


def node_box(step: Step, playbook: Playbook, width: float) -> Box:
    """A step's node `width` wide, tall enough for its wrapped lines."""
    inner = width - 2 * PAD - (2 * POINT if step.kind == "decision" else 0)
    lines = [("name", text) for text in _wrap(step.name, inner, "name", 4)]
    lines += [("small", text) for text in _wrap(who_of(step, playbook), inner, "small", 3)]
    if step.kind == "approval":
        lines.append(("small", policy_of(step)))
    if step.kind == "decision":
        options = "options: " + " · ".join(step.options)
        lines += [("options", text) for text in _wrap(options, inner, "small", 2)]
    if step.when:
        lines += [("condition", text) for text in _wrap(condition(step.when), inner, "small", 2)]
    _, baselines = _baselines(lines)
    return Box(step.id, width, baselines[-1] + PAD, step, lines)


def _baselines(lines: list[tuple[str, str]]) -> tuple[float, list[float]]:
    """Where a node's text sits, from its top: the kind line's baseline, then each
    line's."""
    header = PAD + 10
    found, y = [], header + 3
    for style, _ in lines:
        y += LINE[_size(style)]
        found.append(y)
    return header, found


def _size(style: str) -> str:
    return "name" if style == "name" else "small"


# -- the wide drawing: left to right, a column per layer


def wide(playbook: Playbook) -> Drawing:
    """Left to right: a column per layer, ordered to cross few arrows."""
    layer_of = layers(playbook)
    forward = [link for link in links(playbook) if link.kind != "rework"]
    boxes = {s.id: node_box(s, playbook, WIDE_NODE_W) for s in playbook.steps}
    chains = _chains(forward, layer_of, boxes)
    columns = _ordered_columns(playbook, layer_of, chains)
    rework = [link for link in links(playbook) if link.kind == "rework"]
    tracks = _rework_tracks(rework, layer_of)
    used = [t for t in tracks if t is not None]
    top = WIDE_MARGIN + (max(used) + 1) * TRACK_GAP + 16 if used else WIDE_MARGIN
    height = _place_columns(columns, boxes, top)
    paths, labels = [], []
    exits, entries = _ports(chains, boxes)
    for link, chain in chains.items():
        paths.append((link, _wide_path(chain, boxes, exits[link], entries[link])))
        if link.kind == "branch":
            labels.append((link, exits[link][0] + 5, exits[link][1] - 4, "start"))
    for n, link in enumerate(rework):
        d, label_at = _wide_rework(boxes[link.source], boxes[link.target], tracks[n], n)
        paths.append((link, d))
        labels.append((link, *label_at, "middle"))
    width = 2 * WIDE_MARGIN + len(columns) * WIDE_NODE_W + (len(columns) - 1) * WIDE_GAP
    return Drawing(width, height + WIDE_MARGIN, boxes, paths, labels)


def _chains(
    forward: list[Link], layer_of: dict[str, int], boxes: dict[str, Box]
) -> dict[Link, list[str]]:
    """Each arrow's boxes from its source to its target: an arrow that skips layers
    gets a thin box in each column it crosses (added to `boxes`), so that it passes
    between the steps there rather than through them."""
    chains = {}
    for link in forward:
        start, end = layer_of[link.source], layer_of[link.target]
        passes = [f"{link.source}>{link.target}@{n}" for n in range(start + 1, end)]
        for key in passes:
            boxes[key] = Box(key, WIDE_NODE_W, PASS_H)
        chains[link] = [link.source, *passes, link.target]
    return chains


def _rework_tracks(rework: list[Link], layer_of: dict[str, int]) -> list[int | None]:
    """The track above the steps each rework arrow runs along; None for one going back
    to the column just before, which stays in the gap between the two."""
    far = [r for r in rework if layer_of[r.source] - layer_of[r.target] > 1]
    spans = [(layer_of[r.target], layer_of[r.source]) for r in far]
    found = dict(zip(far, _tracks(spans), strict=True))
    return [found.get(r) for r in rework]


def _ordered_columns(
    playbook: Playbook, layer_of: dict[str, int], chains: dict[Link, list[str]]
) -> list[list[str]]:
    """The boxes of each layer, top to bottom: playbook order, then a few sweeps that
    move each box toward the middle of its neighbours in the column before (and after),
    which uncrosses most arrows."""
    columns: list[list[str]] = [[] for _ in range(max(layer_of.values()) + 1)]
    for step in playbook.steps:
        columns[layer_of[step.id]].append(step.id)
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for chain in chains.values():
        for n, key in enumerate(chain[1:-1], start=1):
            columns[layer_of[chain[0]] + n].append(key)
        for a, b in pairwise(chain):
            after.setdefault(a, []).append(b)
            before.setdefault(b, []).append(a)
    for _ in range(3):
        for n in range(1, len(columns)):
            _sort_by_neighbours(columns[n], columns[n - 1], before)
        for n in range(len(columns) - 2, -1, -1):
            _sort_by_neighbours(columns[n], columns[n + 1], after)
    return columns


def _sort_by_neighbours(column: list[str], next_to: list[str], neighbours: dict) -> None:
    place = {key: n for n, key in enumerate(next_to)}
    now = {key: n for n, key in enumerate(column)}

    def centre(key: str) -> float:
        seen = [place[k] for k in neighbours.get(key, []) if k in place]
        return sum(seen) / len(seen) if seen else now[key]

    column.sort(key=lambda key: (centre(key), now[key]))


def _place_columns(columns: list[list[str]], boxes: dict[str, Box], top: float) -> float:
    """x and y of every box: columns side by side, each centred on the tallest; the
    drawing's bottom."""
    heights = [sum(boxes[k].h for k in col) + WIDE_ROW_GAP * (len(col) - 1) for col in columns]
    tallest = max(heights)
    for n, column in enumerate(columns):
        y = top + (tallest - heights[n]) / 2
        for key in column:
            boxes[key].x = WIDE_MARGIN + n * (WIDE_NODE_W + WIDE_GAP)
            boxes[key].y = y
            y += boxes[key].h + WIDE_ROW_GAP
    return top + tallest


def _ports(chains: dict[Link, list[str]], boxes: dict[str, Box]) -> tuple[dict, dict]:
    """Where each arrow leaves its source (right side) and enters its target (left
    side): spread along the side, in the order of where they go or come from."""
    exits: dict[Link, tuple[float, float]] = {}
    entries: dict[Link, tuple[float, float]] = {}
    by_source: dict[str, list[Link]] = {}
    by_target: dict[str, list[Link]] = {}
    for link in chains:
        by_source.setdefault(link.source, []).append(link)
        by_target.setdefault(link.target, []).append(link)
    for source, out in by_source.items():
        out.sort(key=lambda link: boxes[chains[link][1]].cy)
        box = boxes[source]
        for n, link in enumerate(out):
            y = box.y + box.h * (n + 1) / (len(out) + 1)
            exits[link] = (box.side_x(y, "right"), y)
    for target, into in by_target.items():
        into.sort(key=lambda link: boxes[chains[link][-2]].cy)
        box = boxes[target]
        for n, link in enumerate(into):
            y = box.y + box.h * (n + 1) / (len(into) + 1)
            entries[link] = (box.side_x(y, "left"), y)
    return exits, entries


def _wide_path(chain: list[str], boxes: dict[str, Box], start, end) -> str:
    """Curves across the gaps, straight through the columns the arrow crosses."""
    d = [f"M{start[0]:.1f},{start[1]:.1f}"]
    x, y = start
    for key in chain[1:-1]:
        box = boxes[key]
        d.append(_curve(x, y, box.x, box.cy))
        d.append(f"L{box.right:.1f},{box.cy:.1f}")
        x, y = box.right, box.cy
    d.append(_curve(x, y, *end))
    return " ".join(d)


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    bend = (x2 - x1) / 2
    return f"C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def _tracks(spans: list[tuple[int, int]]) -> list[int]:
    """A track (lane) per span, so that spans that overlap never share one."""
    ends: list[int] = []  # the last span's end, per track
    found = [0] * len(spans)
    for n in sorted(range(len(spans)), key=lambda n: spans[n]):
        start, end = spans[n]
        free = next((t for t, last in enumerate(ends) if last < start), None)
        if free is None:
            ends.append(end)
            free = len(ends) - 1
        ends[free] = end
        found[n] = free
    return found


def _wide_rework(approval: Box, redo: Box, track: int | None, n: int) -> tuple[str, tuple]:
    """A rework arrow and where its label goes. From the approval's left side into the
    gap before it; when the step redone is in the column just before, down or up that
    gap into its right side; else up to a track above every step, back along it, and
    down the gap after the step redone."""
    start_y, end_y = approval.bottom - 7, redo.bottom - 7
    end = (redo.side_x(end_y, "right"), end_y)
    if track is None:
        gap_x = redo.right + WIDE_GAP / 2 + (n % 3 - 1) * 6
        points = [(approval.x, start_y), (gap_x, start_y), (gap_x, end_y), end]
        return _rounded(points), (gap_x, (start_y + end_y) / 2 + 4)
    track_y = WIDE_MARGIN + 10 + track * TRACK_GAP
    out_x = approval.x - WIDE_GAP * 0.3 - (n % 3) * 5
    in_x = redo.right + WIDE_GAP * 0.3 + (n % 3) * 5
    points = [
        (approval.x, start_y),
        (out_x, start_y),
        (out_x, track_y),
        (in_x, track_y),
        (in_x, end_y),
        end,
    ]
    return _rounded(points), ((out_x + in_x) / 2, track_y - 4)


def _rounded(points: list[tuple[float, float]], radius: float = 5) -> str:
    """A path along straight segments, its corners rounded."""
    d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False):
        r = min(radius, _length(ax, ay, bx, by) / 2, _length(bx, by, cx, cy) / 2)
        before = _toward(bx, by, ax, ay, r)
        after = _toward(bx, by, cx, cy, r)
        d.append(
            f"L{before[0]:.1f},{before[1]:.1f} Q{bx:.1f},{by:.1f} {after[0]:.1f},{after[1]:.1f}"
        )
    d.append(f"L{points[-1][0]:.1f},{points[-1][1]:.1f}")
    return " ".join(d)


def _length(ax: float, ay: float, bx: float, by: float) -> float:
    return ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5


def _toward(x: float, y: float, tx: float, ty: float, distance: float) -> tuple[float, float]:
    length = _length(x, y, tx, ty) or 1
    return x + (tx - x) * distance / length, y + (ty - y) * distance / length


# -- the tall drawing: top to bottom, one step per row


def tall(playbook: Playbook) -> Drawing:
    """Top to bottom, a step per row by layer; arrows to the next row go straight
    down, longer ones run in lanes on the left, rework in lanes on the right."""
    layer_of = layers(playbook)
    order = sorted(playbook.steps, key=lambda s: layer_of[s.id])  # stable: playbook order
    row = {step.id: n for n, step in enumerate(order)}
    every = links(playbook)
    forward = [link for link in every if link.kind != "rework"]
    longer = [link for link in forward if row[link.target] > row[link.source] + 1]
    sources = sorted({link.source for link in longer}, key=row.get)
    reach = {s: max(row[k.target] for k in longer if k.source == s) for s in sources}
    lane = dict(zip(sources, _tracks([(row[s], reach[s]) for s in sources]), strict=True))
    rework = [link for link in every if link.kind == "rework"]
    rework_lane = _tracks([(row[r.target], row[r.source]) for r in rework])
    left = TALL_MARGIN + (max(lane.values(), default=-1) + 1) * LANE_W + 8
    right = TALL_MARGIN + (max(rework_lane, default=-1) + 1) * LANE_W + (14 if rework else 0)
    width = TALL_W - left - right
    boxes = {step.id: node_box(step, playbook, width) for step in order}
    y = TALL_MARGIN
    for step in order:
        boxes[step.id].x, boxes[step.id].y = left, y
        y += boxes[step.id].h + TALL_ROW_GAP
    drawing = Drawing(TALL_W, y - TALL_ROW_GAP + TALL_MARGIN, boxes, [], [])
    entries = _tall_entries(longer, boxes, row)
    for link in forward:
        if link in entries:
            _tall_lane_arrow(drawing, link, left - 8 - lane[link.source] * LANE_W, entries[link])
        else:
            _tall_down_arrow(drawing, link)
    for n, link in enumerate(rework):
        _tall_rework(drawing, link, left + width + 8 + rework_lane[n] * LANE_W)
    return drawing


def _tall_entries(longer: list[Link], boxes: dict[str, Box], row: dict) -> dict[Link, float]:
    """The y at which each lane arrow enters its target's left side, spread along it."""
    found = {}
    for target in {link.target for link in longer}:
        into = sorted((k for k in longer if k.target == target), key=lambda k: row[k.source])
        box = boxes[target]
        for n, link in enumerate(into):
            found[link] = box.y + box.h * (n + 1) / (len(into) + 1)
    return found


def _tall_down_arrow(drawing: Drawing, link: Link) -> None:
    source, target = drawing.boxes[link.source], drawing.boxes[link.target]
    x = source.cx
    drawing.paths.append((link, f"M{x:.1f},{source.bottom:.1f} L{x:.1f},{target.y:.1f}"))
    if link.kind == "branch":
        drawing.labels.append((link, x + 6, (source.bottom + target.y) / 2 + 4, "start"))


def _tall_lane_arrow(drawing: Drawing, link: Link, lane_x: float, entry_y: float) -> None:
    source, target = drawing.boxes[link.source], drawing.boxes[link.target]
    points = [
        (source.side_x(source.cy, "left"), source.cy),
        (lane_x, source.cy),
        (lane_x, entry_y),
        (target.side_x(entry_y, "left"), entry_y),
    ]
    drawing.paths.append((link, _rounded(points)))
    if link.kind == "branch":
        drawing.labels.append((link, target.x - 4, entry_y - 4, "end"))


def _tall_rework(drawing: Drawing, link: Link, lane_x: float) -> None:
    approval, redo = drawing.boxes[link.source], drawing.boxes[link.target]
    start_y, end_y = approval.cy + 6, redo.cy + 6
    points = [
        (approval.right, start_y),
        (lane_x, start_y),
        (lane_x, end_y),
        (redo.side_x(end_y, "right"), end_y),
    ]
    drawing.paths.append((link, _rounded(points)))
    drawing.rotated_labels.append((link, lane_x + 4, (start_y + end_y) / 2))


# -- SVG


def flow_svg(playbook: Playbook, layout: Layout = "wide") -> Markup:
    """The playbook's flow as an inline <svg> (role img, labelled, titled)."""
    drawing = wide(playbook) if layout == "wide" else tall(playbook)
    prefix = f"flow-{layout}"
    label = (
        f"Flow of the {playbook.name} playbook: {len(playbook.steps)} steps in "
        f"{max(layers(playbook).values()) + 1} stages; the steps are listed as text below"
    )
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="flow flow-{layout}" '
            'viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" role="img" '
            'aria-label="{label}" font-family="{font}">'
        ).format(layout=layout, w=drawing.width, h=drawing.height, label=label, font=FONT),
        Markup("<title>{}</title>").format(f"Flow of the {playbook.name} playbook"),
        _markers(prefix),
        Markup('<g class="edges" fill="none">'),
        *(_edge(link, d, prefix) for link, d in drawing.paths),
        Markup('</g><g class="nodes">'),
        *(_node(box, playbook) for box in drawing.boxes.values() if box.step is not None),
        Markup('</g><g class="edge-labels" font-size="10.5" font-weight="600">'),
        *(_label(link, x, y, anchor) for link, x, y, anchor in drawing.labels),
        *(_rotated_label(link, x, y) for link, x, y in drawing.rotated_labels),
        Markup("</g></svg>"),
    ]
    return Markup("").join(parts)


def _markers(prefix: str) -> Markup:
    """Arrowheads, one per colour (a marker cannot take its path's colour)."""
    heads = [
        Markup(
            '<marker id="{prefix}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        ).format(prefix=prefix, kind=kind, colour=colour)
        for kind, colour in (("after", EDGE), ("branch", BRANCH), ("rework", REWORK))
    ]
    return Markup("<defs>") + Markup("").join(heads) + Markup("</defs>")


def _edge(link: Link, d: str, prefix: str) -> Markup:
    colour = {"after": EDGE, "branch": BRANCH, "rework": REWORK}[link.kind]
    dashes = Markup(' stroke-dasharray="6 4"') if link.kind == "rework" else Markup("")
    return Markup(
        '<path class="edge {kind}" data-from="{source}" data-to="{target}" d="{d}" '
        'stroke="{colour}" stroke-width="1.6"{dashes} marker-end="url(#{prefix}-{kind})"/>'
    ).format(kind=link.kind, source=link.source, target=link.target, d=d, colour=colour,
             dashes=dashes, prefix=prefix)  # fmt: skip


def _label(link: Link, x: float, y: float, anchor: str) -> Markup:
    colour = REWORK if link.kind == "rework" else BRANCH
    return Markup(
        '<text class="edge-label {kind}" data-from="{source}" data-to="{target}" '
        'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}" '
        'stroke="#ffffff" stroke-width="3" paint-order="stroke">{text}</text>'
    ).format(kind=link.kind, source=link.source, target=link.target, x=x, y=y, anchor=anchor,
             colour=colour, text=link.label)  # fmt: skip


def _rotated_label(link: Link, x: float, y: float) -> Markup:
    return Markup(
        '<text class="edge-label {kind}" data-from="{source}" data-to="{target}" '
        'transform="translate({x:.1f},{y:.1f}) rotate(90)" text-anchor="middle" '
        'fill="{colour}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{text}</text>'
    ).format(kind=link.kind, source=link.source, target=link.target, x=x, y=y, colour=REWORK,
             text=link.label)  # fmt: skip


def _node(box: Box, playbook: Playbook) -> Markup:
    step = box.step
    assert step is not None
    fill, border, accent = KINDS[step.kind]
    inset = POINT if step.kind == "decision" else 0
    left, right = box.x + PAD + inset, box.right - PAD - inset
    header, baselines = _baselines(box.lines)
    y = box.y + header
    parts = [
        Markup('<g class="node {kind}" data-step="{id}"><title>{title}</title>').format(
            kind=step.kind, id=step.id, title=f"{step.name} ({step.kind}, {step.id})"
        ),
        _shape(box, fill, border),
        Markup(
            '<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="700" '
            'fill="{colour}" letter-spacing="0.5">{kind}</text>'
        ).format(x=left, y=y, size=SIZES["kind"], colour=accent, kind=KIND_LABEL[step.kind]),
        Markup(
            '<text class="due" x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="700" '
            'text-anchor="end" fill="{colour}">{due}</text>'
        ).format(x=right, y=y, size=SIZES["small"], colour=INK, due=due_of(step, playbook)),
    ]
    for (style, text), baseline in zip(box.lines, baselines, strict=True):
        parts.append(_line(style, text, left, box.y + baseline))
    parts.append(Markup("</g>"))
    return Markup("").join(parts)


def _shape(box: Box, fill: str, border: str) -> Markup:
    kind = box.step.kind if box.step else "task"
    if kind == "decision":
        x, y, r, b, p = box.x, box.y, box.right, box.bottom, POINT
        points = f"{x:.1f},{box.cy:.1f} {x + p:.1f},{y:.1f} {r - p:.1f},{y:.1f} " + (
            f"{r:.1f},{box.cy:.1f} {r - p:.1f},{b:.1f} {x + p:.1f},{b:.1f}"
        )
        return Markup(
            '<polygon points="{points}" fill="{fill}" stroke="{border}" stroke-width="1.5"/>'
        ).format(points=points, fill=fill, border=border)
    return Markup(
        '<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
        'fill="{fill}" stroke="{border}" stroke-width="{sw}"/>'
    ).format(x=box.x, y=box.y, w=box.w, h=box.h, rx=14 if kind == "approval" else 4,
             fill=fill, border=border, sw=2 if kind == "approval" else 1.5)  # fmt: skip


def _line(style: str, text: str, x: float, y: float) -> Markup:
    size = SIZES[_size(style)]
    attributes = {
        "name": Markup(' font-weight="600" fill="{}"').format(INK),
        "small": Markup(' fill="{}"').format(SOFT),
        "options": Markup(' fill="{}" font-weight="600"').format(BRANCH),
        "condition": Markup(' fill="{}" font-style="italic"').format(BRANCH),
    }[style]
    return (
        Markup('<text class="{style}" x="{x:.1f}" y="{y:.1f}" font-size="{size}"{a}>').format(
            style=style, x=x, y=y, size=size, a=attributes
        )
        + escape(text)
        + Markup("</text>")
    )
