"""The playbook flow diagram (`starters.web.dashboard.flow_svg`), pure: every step a
node showing who and when, an arrow per dependency, decision branches labelled with
their option, a dashed rework arrow per approval that sends work back, conditions on
the steps they guard, and layers in dependency order, in both drawings (wide and tall),
for every bundled playbook and a small one of our own."""

import re
import xml.etree.ElementTree as ET
from itertools import combinations

import pytest

from baton.playbook import bundled_playbooks, load_playbook, parse_playbook
from starters.web.dashboard.flow_svg import flow_svg, layers, links, tall, wide

SVG = "{http://www.w3.org/2000/svg}"
LAYOUTS = ("wide", "tall")
BUNDLED = sorted(bundled_playbooks())

OWN = """
id: launch-check
name: Launch check
roles: {lead: Team lead, dev: Developer, qa: QA reviewer}
inputs:
  include_video: {description: Make a video, default: false}
steps:
  - {id: brief, name: Write the brief, owner: lead, due: -10d}
  - id: route
    name: Choose the route
    kind: decision
    owner: lead
    options: [fast, careful]
    after: [brief]
    due: -8d
  - {id: build, name: Build it, owner: dev, after: [brief], due: -6d}
  - id: video
    name: Shoot a video
    owner: dev
    after: [build]
    when: {input: include_video}
    due: -4d
  - id: review
    name: Careful review
    kind: approval
    approvers: [qa, lead]
    policy: any
    on_reject: build
    after: [build, video]
    when: {step: route, option: careful}
    due: -2d
  - {id: ship, name: Ship it, owner: dev, after: [review], estimate: 3d}
"""


@pytest.fixture(autouse=True)
def end_started_projects():
    """Pure tests: no site to start (this replaces the package's autouse fixture)."""
    yield


@pytest.fixture(scope="module")
def own():
    return parse_playbook(OWN)


def drawn(playbook, layout: str) -> ET.Element:
    return ET.fromstring(str(flow_svg(playbook, layout)))


def nodes(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-step"): g for g in svg.iter(f"{SVG}g") if g.get("data-step")}


def node_text(node: ET.Element) -> str:
    return " ".join(t.text or "" for t in node.iter(f"{SVG}text"))


def arrows(svg: ET.Element, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, from, to) of each arrow drawn."""
    found = []
    for path in svg.iter(f"{SVG}path"):
        classes = (path.get("class") or "").split()
        if "edge" in classes and (kind is None or kind in classes):
            found.append((classes[1], path.get("data-from"), path.get("data-to")))
    return found


def labels(svg: ET.Element, kind: str) -> dict[tuple[str, str], str]:
    return {
        (t.get("data-from"), t.get("data-to")): t.text
        for t in svg.iter(f"{SVG}text")
        if f"edge-label {kind}" == t.get("class")
    }


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_step_a_node_with_its_name_who_and_due(own, layout):
    svg = drawn(own, layout)
    found = nodes(svg)
    assert set(found) == {s.id for s in own.steps}
    review = node_text(found["review"])
    assert "APPROVAL" in review and "Careful review" in review
    assert "QA reviewer, Team lead" in review and "any one approves" in review
    assert "-2d" in review
    assert "72h after start" in node_text(found["ship"])  # no offset: its estimate
    decision = node_text(found["route"])
    assert "DECISION" in decision and "options: fast · careful" in decision
    assert found["route"].find(f"{SVG}polygon") is not None  # the six-sided box
    assert found["brief"].find(f"{SVG}rect") is not None
    assert found["brief"].get("class") == "node task"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_arrow_per_dependency_and_branches_labelled(own, layout):
    svg = drawn(own, layout)
    expected = {(dep, s.id) for s in own.steps for dep in s.depends_on}
    drawn_arrows = arrows(svg)
    forward = [(a, b) for kind, a, b in drawn_arrows if kind != "rework"]
    assert sorted(forward) == sorted(expected)
    assert ("branch", "route", "review") in drawn_arrows  # the decision a `when` reads
    assert ("after", "build", "review") in drawn_arrows
    assert labels(svg, "branch") == {("route", "review"): "careful"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_dashed_rework_arrow_back_from_the_approval(own, layout):
    svg = drawn(own, layout)
    rework = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "edge rework"]
    assert [(p.get("data-from"), p.get("data-to")) for p in rework] == [("review", "build")]
    assert rework[0].get("stroke-dasharray")
    assert rework[0].get("marker-end") == f"url(#flow-{layout}-rework)"
    assert labels(svg, "rework") == {("review", "build"): "rework"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_conditions_are_shown_on_the_steps_they_guard(own, layout):
    found = nodes(drawn(own, layout))
    assert "if include_video" in node_text(found["video"])
    assert "if 'route' is careful" in node_text(found["review"])
    assert "if " not in node_text(found["build"])


def test_layers_follow_the_longest_path_and_draw_in_order(own):
    assert layers(own) == {"brief": 0, "route": 1, "build": 1, "video": 2, "review": 3, "ship": 4}
    across, down = wide(own).boxes, tall(own).boxes
    for step in own.steps:
        for dep in step.depends_on:
            assert across[dep].right < across[step.id].x  # left to right
            assert down[dep].bottom < down[step.id].y  # top to bottom


def test_accessible_and_without_inline_styles(own):
    for layout in LAYOUTS:
        text = str(flow_svg(own, layout))
        svg = ET.fromstring(text)
        assert svg.get("role") == "img"
        assert "Launch check" in svg.get("aria-label") and "6 steps" in svg.get("aria-label")
        assert svg.find(f"{SVG}title").text == "Flow of the Launch check playbook"
        assert not re.search(r"\sstyle=", text) and "<script" not in text
        markers = {m.get("id") for m in svg.iter(f"{SVG}marker")}
        assert markers == {f"flow-{layout}-{k}" for k in ("after", "branch", "rework")}


def test_names_are_escaped():
    playbook = parse_playbook(OWN.replace("Write the brief", "Write <b>the</b> brief & more"))
    text = str(flow_svg(playbook, "wide"))
    assert "<b>" not in text and "&lt;b&gt;" in text
    ET.fromstring(text)  # still well-formed


@pytest.mark.parametrize("playbook_id", BUNDLED)
def test_bundled_playbooks_draw_whole_and_untangled(playbook_id):
    playbook = load_playbook(bundled_playbooks()[playbook_id])
    expected = {(dep, s.id) for s in playbook.steps for dep in s.depends_on}
    rework = {(s.id, s.on_reject) for s in playbook.steps if s.on_reject}
    for layout in LAYOUTS:
        svg = drawn(playbook, layout)
        assert set(nodes(svg)) == {s.id for s in playbook.steps}
        found = arrows(svg)
        assert sorted((a, b) for k, a, b in found if k != "rework") == sorted(expected)
        assert {(a, b) for k, a, b in found if k == "rework"} == rework
        for step in playbook.steps:
            if step.when and step.when.step:
                branch = labels(svg, "branch")[(step.when.step, step.id)]
                assert branch == step.when.option
    for drawing in (wide(playbook), tall(playbook)):
        steps = [box for box in drawing.boxes.values() if box.step is not None]
        for a, b in combinations(steps, 2):  # no two nodes overlap
            apart = a.right <= b.x or b.right <= a.x or a.bottom <= b.y or b.bottom <= a.y
            assert apart, (playbook_id, a.key, b.key)
        assert all(box.x >= 0 and box.right <= drawing.width for box in steps)
        assert all(box.y >= 0 and box.bottom <= drawing.height for box in steps)


def test_decisions_branch_to_every_step_their_options_switch_on():
    campaign = load_playbook(bundled_playbooks()["social-campaign"])
    branches = {(k.target, k.label) for k in links(campaign) if k.kind == "branch"}
    assert ("audience", "paid") in branches and ("advocates", "organic") in branches
    assert ("optimize", "paid") in branches
    svg = drawn(campaign, "wide")
    assert labels(svg, "branch")[("approach", "advocates")] == "organic"
    assert "if 'approach' is paid" in node_text(nodes(svg)["audience"])
