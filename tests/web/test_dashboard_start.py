"""Starting a project from the dashboard: the launch typed as people type it (+10d), a
launch leaving steps due already refused with the reason and two ways on (compress the
plan, or start anyway), and the start going through once one is chosen. Chromium for
the clicks, httpx for the refusals."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from baton.schedule import zone
from tests.web.conftest import BLOG_TEAM, csrf_of
from tests.web.test_browser import sign_in

BERLIN = "Europe/Berlin"


def form(name: str, launch: str, **extra: str) -> dict[str, str]:
    fields = {
        "playbook": "blog-post",
        "name": name,
        "launch": launch,
        "timezone": BERLIN,
        "project_manager": "pat",
        **{f"role:{role}": person for role, person in BLOG_TEAM.items()},
    }
    return fields | extra


def shown(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_a_late_launch_is_refused_with_two_ways_on_and_compress_starts_it(site, page):
    name = f"Squeezed {uuid.uuid4().hex[:6]}"
    await sign_in(page, site, "pat", "/start")
    await page.select_option("#playbook", "blog-post")
    await page.click("button[type=submit]:has-text('Next')")
    await page.fill("#name", name)
    await page.fill("#launch", "+10d")
    await page.fill("#timezone", BERLIN)
    for role, person in BLOG_TEAM.items():
        await page.select_option(f"[id='role-{role}']", person)
    await page.click("button:has-text('Start')")
    problem = await page.locator(".flash.bad").inner_text()
    assert re.match(
        r"\d steps would already be late \(first: 'idea' due \w{3} \d{4}-\d\d-\d\d 17:00 "
        r"CES?T\); choose a later launch, or one of the two buttons below$",
        problem,
    ), problem
    assert await page.input_value("#name") == name  # what was typed is kept
    assert await page.input_value("#launch") == "+10d"
    assert await page.locator("button:has-text('Start anyway, steps late')").count() == 1

    before = datetime.now(UTC)
    await page.click("button:has-text('Compress the plan and start')")
    await page.wait_for_url(re.compile(r"/projects/project-"))
    wid = page.url.rsplit("/", 1)[1]
    site.started.append(site.services.client.get_workflow_handle(wid))
    flash = await page.locator(".flash.ok").inner_text()
    assert flash.startswith(f"Started {name}. Its plan compressed: ")
    status = await site.status(wid)
    launch = datetime.now(UTC).astimezone(zone(BERLIN)).date() + timedelta(days=10)
    assert status.launch_date == launch
    dues = [step.due for step in status.steps]
    assert all(due is not None and due > before for due in dues)
    assert dues == sorted(dues) and dues[-1].astimezone(zone(BERLIN)).date() == launch


async def test_start_anyway_and_the_form_s_refusals(site):
    async with site.http("pat") as client:
        page_ = await client.get("/start?playbook=blog-post")
        assert page_.status_code == 200
        assert "+45d (days), +6w (weeks), +10bd (business days" in shown(page_.text)
        token = csrf_of(page_.text)

        bad = await client.post("/start", data=form("Bad date", "+6x", csrf=token))
        assert bad.status_code == 422
        assert "the launch date '+6x' is not a date; write it as YYYY-MM-DD" in shown(bad.text)
        assert "Start anyway" not in bad.text  # no late choice for a date that cannot be read

        name = f"Anyway {uuid.uuid4().hex[:6]}"
        late = await client.post("/start", data=form(name, "today", csrf=token))
        assert late.status_code == 422 and "would already be late" in shown(late.text)
        started = await client.post(
            "/start", data=form(name, "today", csrf=token, choice="allow_late")
        )
        assert started.status_code == 303, shown(started.text)
        wid = started.headers["location"].rsplit("/", 1)[1]
        site.started.append(site.services.client.get_workflow_handle(wid))
        status = await site.status(wid)
        assert status.steps[0].overdue and status.started_by == "pat"

        not_mine = form(f"Not mine {uuid.uuid4().hex[:6]}", "+8w", csrf=token)
        refused = await client.post("/start", data=not_mine | {"project_manager": "sam"})
        assert refused.status_code == 422
        assert "only the project's manager or an admin may start one" in shown(refused.text)


@pytest.mark.parametrize("playbook", ["no-such-playbook", "../etc", "x" * 300])
async def test_an_unknown_playbook_is_named(site, playbook):
    async with site.http("pat") as client:
        answer = await client.get("/start", params={"playbook": playbook})
        assert answer.status_code == 422
        assert "Playbook" in answer.text and "<select" in answer.text  # choose again
