"""The portfolio's pure parts (`starters.client.portfolio`): the health rule and its
label, progress over the steps that will run, a card from a real project state, the
board's order and filters; and the launch calendar's month
(`starters.client.launch_calendar`)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from baton.contract import StartProject, StepStatus
from baton.errors import Invalid
from baton.people import Person
from baton.playbook import find_playbook
from baton.state import start_project
from baton.store.projects import ProjectRow as IndexRow
from starters.client.launch_calendar import month_grid, next_month, parse_month, previous_month
from starters.client.portfolio import (
    BoardFilters,
    ProjectCard,
    WaitingStep,
    board_filters,
    card_of_row,
    card_of_status,
    check_known,
    health,
    health_label,
    matches,
    progress,
    relative_day,
    sort_cards,
)
from starters.client.projects import ProjectRow

TODAY = date(2026, 12, 10)
NAMES = {"sam": "Sam Strategist", "alice": "Alice Writer", "pat": "Pat PM"}
TEAM = {"strategist": "sam", "seo": "sam", "writer": "alice", "designer": "dana",
        "social": "sol", "stakeholder": "stu"}  # fmt: skip


@pytest.mark.parametrize(
    ("state", "overdue", "launch", "p", "expected"),
    [
        ("completed", True, date(2026, 1, 1), 0.1, "completed"),  # closed: its end state
        ("cancelled", False, None, None, "cancelled"),
        ("active", True, date(2027, 1, 1), 0.99, "late"),  # an overdue step
        ("active", False, date(2026, 12, 9), 0.99, "late"),  # the launch has passed
        ("active", False, TODAY, 0.99, "on-track"),  # launch day itself is not past
        ("active", False, date(2027, 1, 1), 0.62, "at-risk"),
        ("active", False, date(2027, 1, 1), 0.7, "on-track"),  # at the alert: not below
        ("active", False, date(2027, 1, 1), None, "no-forecast"),
        ("active", False, None, 0.5, "at-risk"),  # no launch date: the forecast decides
    ],
)
def test_health_rule(state, overdue, launch, p, expected):
    assert health(state, overdue, launch, TODAY, p, risk_alert=0.7) == expected


def test_health_labels_round_down_so_a_risk_never_reads_as_the_threshold():
    assert health_label("at-risk", 0.699) == "at risk 69%"
    assert health_label("on-track", 0.91) == "on track 91%"
    assert health_label("on-track", 1.0) == "on track 100%"
    assert health_label("late", 0.2) == "late"
    assert health_label("no-forecast", None) == "no forecast yet"
    assert health_label("terminated", None) == "terminated"


def step(id_: str, state: str, wont_run: str | None = None) -> StepStatus:
    return StepStatus(id=id_, name=id_, kind="task", state=state, owners=["sam"],
                      wont_run=wont_run)  # fmt: skip


def test_progress_counts_done_and_skipped_of_the_steps_that_will_run():
    steps = [
        step("a", "done"),
        step("b", "skipped"),  # skipped by a person: done with
        step("c", "skipped", wont_run="organic chosen"),  # never runs: not counted
        step("d", "active"),
        step("e", "waiting"),
    ]
    assert progress(steps) == (2, 4)
    assert progress([]) == (0, 0)


def started(launch: date, now: datetime):
    request = StartProject(playbook="blog-post", name="Spring post", slug="spring",
                           launch_date=launch, assignments=TEAM, project_manager="pat")  # fmt: skip
    people = {pid: Person(id=pid) for pid in {*TEAM.values(), "pat"}}
    return start_project(request, find_playbook("blog-post"), people, now).project.status()


def test_a_card_from_a_status_names_people_and_judges_health():
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    current = started(date(2026, 12, 20), now)
    card = card_of_status(current, NAMES, 0.7, now, stored_p_on_time=0.55)
    assert (card.steps_done, card.steps_total) == (0, 8)
    assert card.project_manager_name == "Pat PM"
    assert card.playbook_name == "Blog post" and card.launch == "publish date"
    [waiting] = card.waiting
    assert (waiting.name, waiting.names) == ("Generate idea", ["Sam Strategist"])
    assert not waiting.overdue
    assert (card.health, card.health_label) == ("at-risk", "at risk 55%")  # stored forecast
    carried = current.model_copy(update={"p_on_time": 0.93})
    assert card_of_status(carried, NAMES, 0.7, now, 0.55).health_label == "on track 93%"

    after_due = waiting.due + timedelta(minutes=1)  # the workflow's timer not fired yet
    late = card_of_status(current, NAMES, 0.7, after_due)
    assert late.health == "late" and late.overdue and late.waiting[0].overdue


def test_a_closed_card_comes_from_visibility_and_the_index_without_a_status():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    row = ProjectRow(workflow_id="project-old", name="Old post", playbook="blog-post",
                     state="terminated", owners=["sam"], next_due=None, overdue=None,
                     started_at=at)  # fmt: skip
    indexed = IndexRow(workflow_id="project-old", name="Old post", playbook_id="blog-post",
                       playbook_version=1, project_manager="pat", timezone="Europe/Berlin",
                       launch_date=date(2026, 12, 1), state="active", started_at=at,
                       updated_at=at)  # fmt: skip
    closed = card_of_row(row, indexed, NAMES, {"blog-post": find_playbook("blog-post")})
    assert (closed.state, closed.health, closed.health_label) == ("terminated",) * 3
    assert (closed.playbook_name, closed.launch) == ("Blog post", "publish date")
    assert (closed.launch_date, closed.project_manager_name) == (date(2026, 12, 1), "Pat PM")
    assert closed.steps_total is None and closed.waiting == [] and not closed.overdue
    unknown = card_of_row(row, None, NAMES, {})
    assert (unknown.launch_date, unknown.project_manager_name) == (None, None)


def card(name: str, launch: date | None, **fields) -> ProjectCard:
    return ProjectCard(workflow_id=f"project-{name}", name=name, launch_date=launch,
                       state=fields.pop("state", "active"),
                       health=fields.pop("health", "on-track"), **fields)  # fmt: skip


def test_cards_sort_by_launch_soonest_first_and_undated_last():
    cards = [
        card("none", None),
        card("later", date(2027, 3, 1)),
        card("b-soon", date(2026, 12, 24)),
        card("A-soon", date(2026, 12, 24)),
        card("past", date(2026, 11, 1)),
    ]
    assert [c.name for c in sort_cards(cards)] == ["past", "A-soon", "b-soon", "later", "none"]


def test_relative_days():
    assert relative_day(TODAY + timedelta(days=12), TODAY) == "in 12 days"
    assert relative_day(TODAY - timedelta(days=3), TODAY) == "3 days ago"
    assert [relative_day(TODAY + timedelta(days=n), TODAY) for n in (-1, 0, 1)] == [
        "yesterday",
        "today",
        "tomorrow",
    ]


def test_board_filters_read_the_query_and_refuse_what_they_cannot_use():
    assert board_filters({}) == BoardFilters()
    assert not BoardFilters().narrowed
    read = board_filters({"state": "ANY", "overdue": "on", "at_risk": "1", "q": "  Post "})
    assert (read.state, read.overdue, read.at_risk, read.q) == ("any", True, True, "Post")
    assert read.narrowed
    with pytest.raises(Invalid, match="unknown state 'done'; one of: active, any") as bad:
        board_filters({"state": "done"})
    assert bad.value.field == "state"
    with pytest.raises(Invalid, match="overdue is a checkbox"):
        board_filters({"overdue": "maybe"})
    with pytest.raises(Invalid, match="no playbook 'webinar' is published"):
        check_known(BoardFilters(playbook="webinar"), ["blog-post"], ["sam"])
    with pytest.raises(Invalid, match="no person 'zed' in the directory"):
        check_known(BoardFilters(owner="zed"), ["blog-post"], ["sam"])
    check_known(BoardFilters(playbook="blog-post", owner="sam"), ["blog-post"], ["sam"])


def test_each_filter_keeps_only_the_cards_it_names():
    waiting = WaitingStep(step_id="idea", name="Generate idea", people=["sam"],
                          names=["Sam Strategist"], overdue=True)  # fmt: skip
    late = card("Late launch", TODAY, playbook="blog-post", waiting=[waiting], health="late")
    risky = card("Risky Post", TODAY, playbook="webinar", health="at-risk", p_on_time=0.4)
    fine = card("Fine", TODAY, playbook="blog-post")
    done = card("Done post", TODAY, state="completed", health="completed")
    cards = [late, risky, fine, done]

    def kept(**asked) -> list[str]:
        return [c.name for c in cards if matches(c, BoardFilters(**asked))]

    assert kept() == ["Late launch", "Risky Post", "Fine"]  # active by default
    assert kept(state="any") == ["Late launch", "Risky Post", "Fine", "Done post"]
    assert kept(state="completed") == ["Done post"]
    assert kept(playbook="blog-post") == ["Late launch", "Fine"]
    assert kept(owner="sam") == ["Late launch"]
    assert kept(overdue=True) == ["Late launch"]
    assert kept(at_risk=True) == ["Late launch", "Risky Post"]
    assert kept(state="any", q="POST") == ["Risky Post", "Done post"]


def test_months_are_read_as_yyyy_mm():
    assert parse_month("2026-12", TODAY) == date(2026, 12, 1)
    assert parse_month("", TODAY) == date(2026, 12, 1)
    for bad in ("2026-13", "2026-00", "december", "2026-12-01", "0000-01"):
        with pytest.raises(Invalid, match="is not a month; write it as YYYY-MM, like 2026-12"):
            parse_month(bad, TODAY)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert next_month(date(9999, 12, 1)) is None and previous_month(date(1, 1, 1)) is None


def test_month_grid_puts_launches_and_dues_on_their_days():
    due = datetime(2026, 12, 14, 23, 30, tzinfo=UTC)  # the 15th in Berlin
    waiting = WaitingStep(step_id="draft", name="Write final draft", people=["alice"],
                          names=["Alice Writer"], due=due, overdue=False)  # fmt: skip
    cards = [
        card("Winter post", date(2026, 12, 24), waiting=[waiting], health="at-risk"),
        card("Old post", date(2026, 11, 30), state="completed", health="completed"),
    ]
    weeks = month_grid(cards, date(2026, 12, 1), "Europe/Berlin", TODAY)
    days = [day for week in weeks for day in week]
    assert all(len(week) == 7 for week in weeks)
    assert days[0].day == date(2026, 11, 30) and days[0].day.weekday() == 0  # a Monday
    assert not days[0].in_month and days[0].entries == []  # November's launch not here
    by_day = {day.day: day for day in days}
    [launch] = by_day[date(2026, 12, 24)].entries
    assert (launch.kind, launch.project, launch.colour) == ("launch", "Winter post", "at-risk")
    [due_entry] = by_day[date(2026, 12, 15)].entries
    assert (due_entry.kind, due_entry.step) == ("due", "Write final draft")
    assert by_day[TODAY].today and sum(day.today for day in days) == 1
