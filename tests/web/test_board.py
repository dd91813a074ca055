"""The projects board and the launch calendar over HTTP, read as a person reads them: a
card per project (launch, progress, health, whose turn, the PM), soonest launch first;
the filters; the month of launches and dues. Other tests share the Temporal server, so
each test finds its own projects by a unique word in their names."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape

from baton.contract import CompleteStep
from starters.client import act
from starters.client.portfolio import health, health_label
from tests.web.conftest import eventually

_CARD = re.compile(r'<li class="project-card [^"]*" id="card-([^"]+)">(.*?)</dl>', re.S)


def text_of(html: str) -> str:
    """What a person reads: the tags gone (a line break a space), the entities read, the
    spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html.replace("<br>", " "))).split())


def cards_of(html: str) -> dict[str, str]:
    """Each card's text by workflow id, in the board's order."""
    return {wid: text_of(body) for wid, body in _CARD.findall(html)}


def word() -> str:
    return uuid.uuid4().hex[:8]


async def board(client, **params):
    return await client.get("/", params=params)


def launch_of(days: int) -> date:
    return (datetime.now(UTC) + timedelta(days=days)).date()


async def test_a_card_per_project_soonest_launch_first(site):
    tag = word()
    later = await site.start(f"Later {tag}", launch_in_days=90)
    soon = await site.start(f"Soon {tag}", launch_in_days=40)
    middle = await site.start(f"Middle {tag}", launch_in_days=60)
    ids = [soon.workflow_id, middle.workflow_id, later.workflow_id]
    async with site.http("pat") as pat:
        page = await eventually(lambda: board(pat, q=tag), lambda r: len(cards_of(r.text)) == 3)
        assert page.status_code == 200
        assert list(cards_of(page.text)) == ids  # soonest launch first
        card = cards_of(page.text)[middle.workflow_id]
        launch = launch_of(60)
        assert f"Middle {tag}" in card and "Blog post" in card
        assert f"Publish date {launch:%a %Y-%m-%d} (in 60 days)" in card
        assert "Progress 0 of 8 steps done" in card
        assert "Waiting on Generate idea: Sam Strategist" in card
        assert "Project manager Pat PM" in card
        assert f'href="/projects/{middle.workflow_id}"' in page.text
        assert "Temporal UI" not in page.text  # only on the project page

        # The health badge says what the latest forecast says.
        current = await eventually(
            lambda: site.status(middle.workflow_id), lambda s: s.p_on_time is not None
        )
        state = health("active", False, launch, launch_of(0), current.p_on_time, 0.7)
        page = await board(pat, q=tag)
        assert health_label(state, current.p_on_time) in cards_of(page.text)[middle.workflow_id]

        await act(site.services.client, middle.workflow_id,
                  CompleteStep(step_id="idea", actor="sam"))  # fmt: skip
        page = await eventually(
            lambda: board(pat, q=tag),
            lambda r: "1 of 8 steps done" in cards_of(r.text).get(middle.workflow_id, ""),
        )
        card = cards_of(page.text)[middle.workflow_id]
        assert "Waiting on Do keyword research: Sam Strategist" in card
        assert "0 of 8 steps done" in cards_of(page.text)[soon.workflow_id]


async def test_an_overdue_step_makes_a_late_card(site):
    tag = word()
    late = await site.start(f"Rushed {tag}", launch_in_days=10)  # idea was due 20 days ago
    async with site.http("pat") as pat:
        page = await eventually(
            lambda: board(pat, q=tag), lambda r: late.workflow_id in cards_of(r.text)
        )
        card = cards_of(page.text)[late.workflow_id]
        assert card.startswith(f"Rushed {tag} late ")  # the name, then the health badge
        assert "Generate idea: Sam Strategist" in card and "overdue" in card
        assert "(in 10 days)" in card


async def test_the_filters(site):
    tag = word()
    on_time = await site.start(f"Calm {tag}", launch_in_days=60)
    overdue = await site.start(f"Rushed {tag}", launch_in_days=10)
    campaign = await site.start(f"Campaign {tag}", playbook="social-campaign", launch_in_days=70)
    for step_id in ("idea", "keywords"):  # now the outline: Alice's
        await act(site.services.client, on_time.workflow_id,
                  CompleteStep(step_id=step_id, actor="sam"))  # fmt: skip
    mine = {on_time.workflow_id, overdue.workflow_id, campaign.workflow_id}

    async def shown(**params) -> list[str]:
        page = await board(pat, q=params.pop("q", tag), **params)
        assert page.status_code == 200, page.text
        return [wid for wid in cards_of(page.text) if wid in mine]

    async with site.http("pat") as pat:
        await eventually(lambda: shown(), lambda found: len(found) == 3)
        assert await shown(q=f"calm {tag}".upper()) == [on_time.workflow_id]
        assert await eventually(
            lambda: shown(owner="alice"), lambda found: found == [on_time.workflow_id]
        )
        assert await shown(overdue="on") == [overdue.workflow_id]
        assert await shown(at_risk="on") == [overdue.workflow_id]  # late counts as at risk
        assert await shown(playbook="social-campaign") == [campaign.workflow_id]
        assert await shown(state="completed") == []
        assert len(await shown(state="any")) == 3

        page = await board(pat, q=tag, owner="alice", overdue="on")
        assert 'value="alice" selected>Alice Writer</option>' in page.text  # names, not ids
        assert re.search(r'name="overdue" value="on" checked', page.text)
        assert '<a class="button" href="/">Clear</a>' in page.text
        text = text_of(page.text)
        assert "No projects match these filters. Clear them, or start a project." in text
        assert 'href="/start"' in page.text

        for params, message in (
            ({"state": "done"}, "unknown state 'done'; one of: active, any, completed, cancelled"),
            ({"owner": "zed"}, "no person 'zed' in the directory; pick one from the list"),
            ({"playbook": "<b>x"}, "no playbook '<b>x' is published; pick one from the list"),
            ({"overdue": "maybe"}, "overdue is a checkbox: on or off, not 'maybe'"),
        ):
            refused = await board(pat, **params)
            assert refused.status_code == 422, params
            assert message in text_of(refused.text) and "<b>x" not in refused.text
            assert "<h1>Projects</h1>" in refused.text  # the form stays, to pick again


async def test_the_launch_calendar(site):
    tag = word()
    project = await site.start(f"Calendar {tag}", launch_in_days=45)
    rushed = await site.start(f"Rushed {tag}", launch_in_days=10)
    launch = launch_of(45)
    idea_due = project.step("idea").due.date()  # the viewer (Pat) reads UTC
    async with site.http("pat") as pat:
        month = f"{launch:%Y-%m}"
        page = await eventually(
            lambda: pat.get("/calendar", params={"month": month}),
            lambda r: f"Calendar {tag}" in r.text,
        )
        assert page.status_code == 200
        assert f'<h2 id="month">{launch:%B %Y}</h2>' in page.text
        day = day_cell(page.text, launch)
        assert f"Launch: Calendar {tag}" in day
        assert '<th scope="col" abbr="Monday">Mon</th>' in page.text
        assert f'href="/projects/{project.workflow_id}"' in page.text

        due_page = await pat.get("/calendar", params={"month": f"{idea_due:%Y-%m}"})
        assert f"Due: Generate idea (Calendar {tag})" in day_cell(due_page.text, idea_due)

        late_due = rushed.step("idea").due.date()
        late_page = await pat.get("/calendar", params={"month": f"{late_due:%Y-%m}"})
        assert f"Due: Generate idea (Rushed {tag}) overdue" in day_cell(late_page.text, late_due)

        # Moving between months: the links say which month they go to.
        after = (launch.replace(day=28) + timedelta(days=4)).replace(day=1)
        assert f'href="/calendar?month={after:%Y-%m}" rel="next"' in page.text
        following = await pat.get("/calendar", params={"month": f"{after:%Y-%m}"})
        assert f'<h2 id="month">{after:%B %Y}</h2>' in following.text
        assert f'href="/calendar?month={month}" rel="prev"' in following.text

        this_month = await pat.get("/calendar")
        today = datetime.now(UTC).date()
        assert f'<h2 id="month">{today:%B %Y}</h2>' in this_month.text
        assert f'aria-current="date">\n<p class="date"><time datetime="{today}"' in (
            this_month.text
        )

        empty = await pat.get("/calendar", params={"month": "2091-02"})
        assert "Nothing launches or falls due in February 2091." in text_of(empty.text)
        bad = await pat.get("/calendar", params={"month": "2026-13<b>"})
        assert bad.status_code == 422 and "<b>" not in bad.text
        assert "is not a month; write it as YYYY-MM" in text_of(bad.text)
        assert f'href="/calendar?month={today:%Y-%m}"' in bad.text


def day_cell(html: str, day: date) -> str:
    """The text of one day's cell of the month."""
    found = re.search(rf'<time datetime="{day}">(.*?)</td>', html, re.S)
    assert found, f"no cell for {day}"
    return text_of(found.group(1))
