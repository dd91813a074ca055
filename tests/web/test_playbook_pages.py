"""The playbook pages over plain HTTP (and Chromium at a desktop's and a phone's width):
the list of published playbooks, a playbook's page with its flow diagram, the plan for
a launch date typed as on the command line, its versions and YAML, its recalibration
(only admins see Publish, which comes back to the page), and the 404 of an unknown
playbook or version."""

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from baton.plan import plan_playbook
from baton.store.playbooks import PlaybookRepo
from baton.wording import when
from tests.web.audit import audit_page
from tests.web.conftest import csrf_of
from tests.web.test_flow_svg import OWN


@pytest.fixture
async def own(site):
    """A fresh playbook of our own, published twice: version 2 moves the brief earlier."""
    playbook_id = f"flow-{uuid.uuid4().hex[:6]}"
    # The flow tests' own playbook, under an id of this test's.
    first = OWN.replace("launch-check\nname: Launch check", f"{playbook_id}\nname: Flow check")
    repo = PlaybookRepo(site.services.pool)
    assert (await repo.publish(first))[1:] == (1, True)
    second = first.replace("owner: lead, due: -10d", "owner: lead, due: -12d")
    assert (await repo.publish(second))[1:] == (2, True)
    return playbook_id


def card(html: str, playbook_id: str) -> str:
    found = re.search(rf'<li class="card" id="playbook-{playbook_id}">.*?</li>', html, re.S)
    assert found, f"no card of {playbook_id}"
    return unescape(found.group(0))


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">.*?</section>', html, re.S)
    assert found, f"no section {heading_id}"
    return unescape(found.group(0))


async def test_the_list_shows_every_published_playbook(site):
    async with site.http("sam") as sam:
        page = await sam.get("/playbooks")
        assert page.status_code == 200, page.text
        blog = card(page.text, "blog-post")
        assert '<a href="/playbooks/blog-post">Blog post</a>' in blog
        assert "blog-post · version" in blog
        assert "<dt>Steps</dt><dd>8</dd>" in blog
        assert "first step due 30 days before the publish date" in blog
        assert "Content strategist, SEO strategist, Blog writer" in blog
        assert 'href="/start?playbook=blog-post"' in blog
        campaign = card(page.text, "social-campaign")
        assert "Social media campaign" in campaign and "<dd>17</dd>" in campaign
        assert "first step due 21 days before the campaign start" in campaign
    async with site.http() as anonymous:
        assert (await anonymous.get("/playbooks")).status_code == 303


async def test_a_playbook_page_draws_its_flow(site):
    async with site.http("sam") as sam:
        page = await sam.get("/playbooks/social-campaign")
        assert page.status_code == 200, page.text
        html = page.text
        assert "<h1>Social media campaign" in html
        flow = section(html, "flow-heading")
        # 17 steps in 9 layers: wider than the page, so drawn top to bottom only.
        assert "flow-wide" not in flow
        for layout in ("tall",):
            svg = re.search(rf'<svg [^>]*class="flow flow-{layout}".*?</svg>', flow, re.S)
            assert svg, f"no {layout} drawing"
            drawing = svg.group(0)
            assert 'role="img"' in drawing and "<title>Flow of the Social media" in drawing
            assert drawing.count('<g class="node ') == 17
            assert 'class="edge branch" data-from="approach" data-to="audience"' in drawing
            assert 'class="edge rework" data-from="approve-posts" data-to="copy"' in drawing
            assert "if 'approach' is organic" in drawing
        assert not re.search(r"\sstyle=", html)
        steps = re.search(r'<ol class="sr-only".*?</ol>', flow, re.S).group(0)
        assert steps.count("<li>") == 17
        assert (
            "Approve posts and creative: approval by Marketing manager, Campaign strategist"
            in steps
        )
        assert "a rejection sends the work back to Write post copy and captions" in steps
        assert 'href="/start?playbook=social-campaign"' in html
        assert "Start a project from this playbook" in html
        source = re.search(r'<details class="source">.*?</details>', html, re.S).group(0)
        assert "id: social-campaign" in source and "# Paid branch" in unescape(source)


async def test_the_plan_for_a_launch_date_shows_the_dues(site):
    launch = (datetime.now(UTC) + timedelta(weeks=8)).date()
    playbook, _ = await PlaybookRepo(site.services.pool).get("blog-post")
    expected = plan_playbook(playbook, launch, "UTC")
    async with site.http("sam") as sam:
        page = await sam.get("/playbooks/blog-post", params={"launch": "+8w"})
        assert page.status_code == 200, page.text
        plan = section(page.text, "plan")
        assert 'name="launch" value="+8w"' in plan
        assert '<label for="launch">Publish date' in plan
        for step in expected.steps:
            row = re.search(rf'<tr id="plan-{step.id}".*?</tr>', plan, re.S).group(0)
            assert step.name in row and when(step.due, "UTC") in row
        assert f"The plan of Blog post for {launch}" in plan

        default = await sam.get("/playbooks/blog-post")
        six_weeks = (datetime.now(UTC) + timedelta(weeks=6)).date()
        assert 'value="+6w"' in default.text
        assert f"The plan of Blog post for {six_weeks}" in default.text


async def test_a_bad_launch_date_is_said_in_the_page(site):
    async with site.http("sam") as sam:
        page = await sam.get("/playbooks/blog-post", params={"launch": "soon"})
        assert page.status_code == 422
        plan = section(page.text, "plan")
        assert "the launch date 'soon' is not a date; write it as YYYY-MM-DD" in plan
        assert 'name="launch" value="soon"' in plan and '<table class="plan">' not in plan
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="flow' in page.text  # the rest
        far = await sam.get("/playbooks/social-campaign", params={"launch": "9999-12-31"})
        assert far.status_code == 422 and "too far away" in unescape(far.text)


async def test_versions_and_their_yaml(site, own):
    path = f"/playbooks/{own}"
    async with site.http("sam") as sam:
        latest = await sam.get(path)
        assert latest.status_code == 200, latest.text
        versions = section(latest.text, "versions")
        assert f'<a href="{path}?version=2" aria-current="page"><strong>version 2' in versions
        assert f'<a href="{path}?version=1">version 1</a>' in versions
        assert "due: -12d" in versions  # the YAML shown is version 2's
        assert "<h1>Flow check" in latest.text and "version 2</span></h1>" in latest.text
        assert "First step due 12 days before the launch date" in latest.text

        first = await sam.get(path, params={"version": "1", "launch": "+8w"})
        assert first.status_code == 200
        assert "version 1</span></h1>" in first.text
        assert "This is version 1. New projects start from version 2" in first.text
        assert f'<a href="{path}?version=1" aria-current="page">' in first.text
        assert "due: -10d" in section(first.text, "versions")
        assert '<input type="hidden" name="version" value="1">' in first.text  # the plan's form

        recalibration = section(latest.text, "recalibration")
        assert "No history yet" in recalibration  # nothing of it has run

        for query in ({"version": "9"}, {"version": "two"}, {"version": "9" * 30}):
            missing = await sam.get(path, params=query)
            assert missing.status_code == 404
            assert "its versions are 1, 2" in unescape(missing.text)
            assert "<h1>No such playbook</h1>" in missing.text
        unknown = await sam.get("/playbooks/no-such-book")
        assert unknown.status_code == 404
        assert "no playbook 'no-such-book' is published" in unescape(unknown.text)
        assert '<a href="/playbooks/blog-post">Blog post</a>' in unknown.text  # the published
        odd = await sam.get("/playbooks/NOT%20AN%20ID")
        assert odd.status_code == 404 and "Social media campaign" in odd.text


async def test_only_admins_see_publish_and_it_comes_back(site, retro, pat_is_admin):
    path = f"/playbooks/{retro}"
    async with site.http("sam") as sam:
        page = await sam.get(path)
        recalibration = section(page.text, "recalibration")
        assert "Proposed due" in recalibration and "No history yet" not in recalibration
        assert "Publish as the next version" not in recalibration
        assert "An admin can publish this" in recalibration

    async with site.http("pat") as pat:
        page = await pat.get(path)
        recalibration = section(page.text, "recalibration")
        assert "Publish as the next version" in recalibration
        assert f'<input type="hidden" name="back" value="{path}">' in recalibration
        published = await pat.post(
            "/reports/recalibration",
            data={"playbook": retro, "quantile": "0.8", "min_samples": "5", "back": path,
                  "csrf": csrf_of(page.text)},
        )  # fmt: skip
        assert published.status_code == 303 and published.headers["location"] == path
        after = await pat.get(path)
        assert f"Published {retro} version 2" in after.text
        assert "version 2</span></h1>" in after.text
        elsewhere = await pat.post(
            "/reports/recalibration",
            data={"playbook": retro, "back": "https://evil.example/", "csrf": csrf_of(page.text)},
        )
        assert elsewhere.headers["location"].startswith("/reports/recalibration?")


async def sign_in(tab, site, person: str) -> None:
    await tab.goto(site.url + "/login")
    await tab.fill("#token", site.tokens[person])
    await tab.click("form:has(#token) button[type=submit]")
    await tab.wait_for_url(site.url + "/")


@pytest.mark.parametrize("width", [1280, 390])
async def test_the_pages_fit_a_desktop_and_a_phone(site, browser, retro, width):
    """Chromium: the drawing for the width is the one shown, and nothing scrolls the
    page sideways (the wide drawing scrolls in its own frame), the error answers
    included. Screenshots go to $BATON_SHOTS when set (to look at them)."""
    context = await browser.new_context(viewport={"width": width, "height": 900})
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    try:
        await sign_in(tab, site, "pat")
        # A flow wider than the page is drawn top to bottom at every width.
        await tab.goto(f"{site.url}/playbooks/social-campaign")
        assert await tab.locator("svg.flow-tall").is_visible()
        assert not await tab.locator("svg.flow-wide").count()
        # One that fits: left to right on a desktop, top to bottom on a phone.
        await tab.goto(f"{site.url}/playbooks/{retro}")
        shown = "wide" if width > 760 else "tall"
        hidden = "tall" if shown == "wide" else "wide"
        assert await tab.locator(f"svg.flow-{shown}").is_visible()
        assert not await tab.locator(f"svg.flow-{hidden}").is_visible()
        pages = {
            "campaign": "/playbooks/social-campaign",
            "bad-date": "/playbooks/blog-post?launch=soon",
            "missing": "/playbooks/no-such-book",
            "history": f"/playbooks/{retro}",
        }
        for name, path in pages.items():
            await tab.goto(site.url + path)
            overflow = await tab.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            if os.environ.get("BATON_SHOTS"):
                shots = Path(os.environ["BATON_SHOTS"])
                shots.mkdir(parents=True, exist_ok=True)
                await tab.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                await tab.screenshot(path=str(shots / f"{name}-{width}-top.png"))
                parts = {
                    "flow": "div.flow-frame:visible",
                    "plan": "section[aria-labelledby=plan]",
                    "recalibration": "section[aria-labelledby=recalibration]",
                }
                for part, where in parts.items() if name != "missing" else ():
                    shot = shots / f"{name}-{width}-{part}.png"
                    await tab.locator(where).screenshot(path=str(shot))
    finally:
        await context.close()


@pytest.mark.parametrize(
    "name,path",
    [
        ("playbooks", "/playbooks"),
        ("playbook-blog-post", "/playbooks/blog-post?launch=%2B8w"),
        ("playbook-social-campaign", "/playbooks/social-campaign"),
        ("playbook-own", "own"),
    ],
)
async def test_the_pages_pass_the_audit(site, browser, own, name, path):
    """The audit of tests/web/audit.py at 1280 and 390 px (screenshots saved)."""
    context = await browser.new_context()
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    try:
        await sign_in(tab, site, "pat")
        address = f"/playbooks/{own}?version=1" if path == "own" else path
        await audit_page(tab, name, site.url + address)
    finally:
        await context.close()
