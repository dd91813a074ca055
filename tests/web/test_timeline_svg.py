"""The project timeline's drawing (`starters.web.dashboard.timeline_svg`), pure: a
constructed blog-post status with done, late, reworked, active, waiting and skipped
steps, drawn and read back as XML."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from baton.contract import LogEntry, ProjectStatus, Review, StepStatus
from baton.insight.runs import Decision, StepRun
from starters.web.dashboard.timeline_svg import (
    NARROW,
    WIDE,
    Axis,
    rows_of,
    ticks,
    timeline_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = START + timedelta(days=20)
LAUNCH = datetime(2026, 4, 15, 17, 0, tzinfo=UTC)
NAMES = {"sam": "Sam Strategist", "alice": "Alice Writer", "stu": "Stu Stone", "sol": "Sol"}


def at(days: float, hour: int = 17) -> datetime:
    return (START + timedelta(days=days)).replace(hour=hour)


@pytest.fixture(autouse=True)
def end_started_projects():
    """Pure tests: no site to start (this replaces the package's autouse fixture)."""
    yield


def step(step_id: str, **fields) -> StepStatus:
    fields.setdefault("owners", ["sam"])
    return StepStatus(id=step_id, name=step_id.title(), kind="task", **fields)


def project() -> tuple[ProjectStatus, list[StepRun]]:
    """idea done on time; keywords done late; outline reworked once (round 2 done);
    the approval rejected by Stu in round 1, approved by Sam in round 2 and active;
    draft waiting; promote won't run; publish waiting."""
    steps = [
        step("idea", state="done", due=at(3), started_at=START, finished_at=at(2)),
        step(
            "keywords", after=["idea"], state="done", due=at(6),
            started_at=at(2), finished_at=at(8),
        ),
        step(
            "outline", owners=["alice"], after=["keywords"], state="done", revision=2,
            due=at(10), started_at=at(14), finished_at=at(16),
        ),
        StepStatus(
            id="approve", name="Approve outline", kind="approval", owners=["sam", "stu"],
            after=["outline"], state="active", revision=2, due=at(12), started_at=at(16),
            approvals=[Review(actor="sam", approve=True, at=at(17, 10))],
        ),
        step("draft", owners=["alice"], after=["approve"], due=at(30)),
        step("promote", owners=["sol"], after=["draft"], due=at(38), wont_run="organic chosen"),
        step("publish", owners=["alice"], after=["draft", "promote"], due=at(44)),
    ]  # fmt: skip
    log = [
        LogEntry(
            at=at(13, 11), type="rejected", step_id="approve", actor="stu", revision=1,
            detail="needs a stronger hook",
        ),
        LogEntry(at=at(17, 10), type="approved", step_id="approve", actor="sam", revision=2),
    ]  # fmt: skip
    status = ProjectStatus(
        workflow_id="project-p", slug="p", name="Spring <post>", playbook="blog-post",
        playbook_name="Blog post", launch="publish date", launch_date=date(2026, 4, 15),
        project_manager="pat", started_at=START, steps=steps, log=log,
    )  # fmt: skip
    base = {"project": "project-p", "playbook": "blog-post"}
    runs = [
        StepRun(
            **base, step="outline", owners=["alice"], revision=1, activated_at=at(8),
            due_at=at(10), finished_at=at(11),
        ),
        StepRun(
            **base, step="approve", kind="approval", owners=["sam", "stu"], revision=1,
            activated_at=at(11), due_at=at(12), finished_at=at(13, 11),
            reviews=[Decision(person="stu", approve=False, at=at(13, 11))],
        ),
    ]  # fmt: skip
    return status, runs


def drawn(frame=WIDE) -> ET.Element:
    status, runs = project()
    svg = timeline_svg(status, runs, NOW, NAMES, launch_at=LAUNCH, frame=frame)
    return ET.fromstring(str(svg))  # well-formed XML, or this fails


def group(svg: ET.Element, step_id: str) -> ET.Element:
    found = svg.find(f".//{SVG}g[@data-step='{step_id}']")
    assert found is not None, step_id
    return found


def rects(svg: ET.Element, step_id: str, kind: str) -> list[ET.Element]:
    return [r for r in group(svg, step_id).iter(f"{SVG}rect") if kind in r.get("class", "")]


def x_of(rect: ET.Element) -> tuple[float, float]:
    return float(rect.get("x")), float(rect.get("x")) + float(rect.get("width"))


def test_the_svg_is_an_image_with_a_title_a_description_and_a_summary():
    svg = drawn()
    assert svg.get("role") == "img"
    assert svg.get("viewBox") == f"0 0 {WIDE.width} {svg.get('height')}"
    label = svg.get("aria-label")
    assert label.startswith(
        "Timeline of Spring <post>: 7 steps, 3 done (2 late), 1 active (1 overdue), "
        "2 waiting, 1 won't run, 2 reworked;"
    )
    assert "publish date Wed 15 Apr" in label and "today Sun 22 Mar" in label
    assert svg.find(f"{SVG}title").text == "Timeline of Spring <post>"
    assert "planned start" in svg.find(f"{SVG}desc").text
    assert "style" not in str(timeline_svg(*project(), NOW, NAMES))  # CSP: no inline styles


def test_each_step_has_a_planned_bar_from_the_latest_due_before_it_to_its_own_due():
    svg = drawn()
    idea = rects(svg, "idea", "planned")[0]
    assert idea.get("data-from") == START.isoformat() and idea.get("data-to") == at(3).isoformat()
    keywords = rects(svg, "keywords", "planned")[0]
    assert keywords.get("data-from") == at(3).isoformat()  # idea's due
    assert x_of(keywords)[0] == pytest.approx(x_of(idea)[1], abs=0.2)
    publish = rects(svg, "publish", "planned")[0]
    assert publish.get("data-from") == at(38).isoformat()  # the later of draft and promote
    assert x_of(publish)[0] > x_of(rects(svg, "draft", "planned")[0])[1]


def test_actual_runs_are_drawn_over_the_plan_coloured_by_how_they_went():
    svg = drawn()
    (idea,) = rects(svg, "idea", "run")
    assert "on-time" in idea.get("class")
    assert (idea.get("data-from"), idea.get("data-to")) == (START.isoformat(), at(2).isoformat())
    (keywords,) = rects(svg, "keywords", "run")
    assert "late" in keywords.get("class")
    (approve,) = [r for r in rects(svg, "approve", "run") if r.get("data-revision") == "2"]
    assert "overdue" in approve.get("class")
    assert approve.get("data-to") == NOW.isoformat()  # active: to now
    assert rects(svg, "draft", "run") == []  # waiting: nothing ran yet


def test_a_rework_round_is_a_second_segment_on_the_same_row():
    svg = drawn()
    outline = rects(svg, "outline", "run")
    assert [r.get("data-revision") for r in outline] == ["1", "2"]
    first, second = outline
    assert "reworked" in first.get("class") and "on-time" not in first.get("class")
    assert (
        first.get("data-from") == at(8).isoformat() and first.get("data-to") == at(11).isoformat()
    )
    assert x_of(first)[1] < x_of(second)[0]  # apart, in order
    assert first.get("y") == second.get("y")
    label = "".join(group(svg, "outline").find(f"{SVG}text").itertext())
    assert label == "Outline · Alice Writer · round 2"


def test_each_review_is_a_tick_or_a_cross_titled_with_the_name_and_the_reason():
    svg = drawn()
    reviews = group(svg, "approve").findall(f"{SVG}g")
    titles = [r.find(f"{SVG}title").text for r in reviews]
    assert titles[0].startswith("Stu Stone rejected: needs a stronger hook (round 1,")
    assert titles[1].startswith("Sam Strategist approved (round 2,")
    assert [r.get("class") for r in reviews] == ["review rejected", "review approved"]
    circles = [float(r.find(f"{SVG}circle").get("cx")) for r in reviews]
    assert circles[0] < circles[1]


def test_today_and_launch_lines_are_labelled_where_they_fall():
    svg = drawn()
    today = svg.find(f"{SVG}g[@class='today-line']")
    launch = svg.find(f"{SVG}g[@class='launch-line']")
    assert today.find(f"{SVG}text").text == "today, Sun 22 Mar"
    assert launch.find(f"{SVG}text").text == "publish date, Wed 15 Apr"
    x_today = float(today.find(f"{SVG}line").get("x1"))
    x_launch = float(launch.find(f"{SVG}line").get("x1"))
    draft = x_of(rects(svg, "draft", "planned")[0])
    assert x_today < x_launch
    assert draft[0] < x_launch and draft[1] < x_launch  # draft is due before the launch
    publish_due = x_of(rects(svg, "publish", "planned")[0])[1]
    assert x_launch == pytest.approx(publish_due, abs=0.2)  # due at the launch


def test_dependencies_are_connectors_from_one_due_to_the_next_start():
    svg = drawn()
    paths = svg.findall(f".//{SVG}path[@data-from]")
    pairs = {(p.get("data-from"), p.get("data-to")) for p in paths}
    assert ("idea", "keywords") in pairs and ("promote", "publish") in pairs
    assert ("draft", "publish") in pairs
    assert all(p.get("marker-end") == "url(#timeline-arrow)" for p in paths)
    connector = next(p for p in paths if p.get("data-to") == "keywords")
    x = float(connector.get("d").split(",")[0][1:])
    assert x == pytest.approx(x_of(rects(svg, "keywords", "planned")[0])[0], abs=0.2)
    faint = next(p for p in paths if p.get("data-from") == "promote")
    assert "faint" in faint.get("class")


def test_a_step_that_wont_run_is_drawn_faint():
    svg = drawn()
    assert group(svg, "promote").get("class") == "step faint"
    assert group(svg, "draft").get("class") == "step"
    label = "".join(group(svg, "promote").find(f"{SVG}text").itertext())
    assert "won't run (organic chosen)" in label


def test_date_ticks_are_weeks_for_a_short_span_and_months_for_a_long_one():
    svg = drawn()
    ticks_at = [t.get("data-at") for t in svg.findall(f".//{SVG}line[@class='tick']")]
    assert ticks_at[:3] == ["2026-03-02", "2026-03-09", "2026-03-16"]  # Mondays
    labels = [t.text for t in svg.findall(f".//{SVG}text[@class='tick-label']")]
    assert "9 Mar" in labels
    months = ticks(Axis(START, START + timedelta(days=200), 0, 1000), "UTC")
    assert [label for _, label in months[:3]] == ["Apr 2026", "May", "Jun"]
    assert months[0][0] == datetime(2026, 4, 1, tzinfo=ZoneInfo("UTC"))


def test_a_step_waiting_on_nothing_is_planned_from_the_projects_start():
    status, runs = project()
    rows = {row.step.id: row for row in rows_of(status, runs, NOW)}
    assert (rows["idea"].planned_start, rows["idea"].planned_end) == (START, at(3))
    assert rows["publish"].planned_start == at(38)  # the later of draft and promote
    assert [r.how for r in rows["outline"].rounds] == ["reworked", "late"]


def test_labels_fit_the_narrow_drawing_and_stay_readable():
    svg = drawn(NARROW)
    assert svg.get("width") == str(NARROW.width)
    for text in svg.iter(f"{SVG}text"):
        size = float(text.get("font-size"))
        assert size >= 11  # units; the narrow drawing is shown at about its own width
        x = float(text.get("x"))
        assert 0 <= x <= NARROW.width
    for label in svg.findall(f".//{SVG}text[@class='label']"):
        assert float(label.get("x")) >= NARROW.pad


def test_names_and_comments_are_escaped():
    status, runs = project()
    status.log[0].detail = "<script>x</script> & more"
    svg = str(timeline_svg(status, runs, NOW, NAMES | {"stu": "Stu <b>"}))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "Stu &lt;b&gt;" in svg
