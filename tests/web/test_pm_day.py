"""A project manager's whole day in the browser, with no terminal: sign in by the emailed
link (read in the demo mailbox), start a blog post from the form, find it on the board
and the calendar, see three people act on it, a rejection's rework on the timeline, move
the launch and see the bars move, cancel it.

The day runs at 1280 px with every page it visits audited (`tests/web/audit.py`: no
sideways scroll, no broken words, axe-core, screenshots at 1280 and 390 px), and again
on a phone (390 px), where each page must fit its window as the manager uses it.
"""

import re
import uuid
from datetime import date

import pytest

from baton.contract import ReviewStep
from starters.client import act
from tests.web.audit import audit_page, sideways_scroll
from tests.web.conftest import eventually

PHONE, DESKTOP = (390, 844), (1280, 900)


def viewport(size: tuple[int, int]) -> dict[str, int]:
    return {"width": size[0], "height": size[1]}


class Day:
    """The browser tab of the manager, at one width; on the desktop each page is
    audited when first visited."""

    def __init__(self, tab, site, size: tuple[int, int], label: str):
        self.tab, self.site, self.size, self.label = tab, site, size, label

    async def visit(self, name: str, path: str) -> None:
        url = self.site.url + path
        if self.size == DESKTOP:
            await audit_page(self.tab, f"day-{name}", url)
            await self.tab.set_viewport_size(viewport(self.size))
        await self.tab.goto(url)
        await self.fits(name)

    @property
    def timeline(self) -> str:
        """The timeline drawing shown at this width (the page has a wide and a narrow one)."""
        return "#timeline-wide" if self.size == DESKTOP else "#timeline-narrow"

    async def fits(self, name: str) -> None:
        problems = await sideways_scroll(self.tab)
        assert not problems, f"{name} at {self.label}: {problems}"


@pytest.fixture
async def demo_mailbox(site):
    """The site as `make run` serves it: the demo mailbox shows everyone's messages."""
    site.settings.demo_mailbox = True
    yield
    site.settings.demo_mailbox = False


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280px", "390px"])
async def test_a_managers_day_in_the_browser(site, browser, demo_mailbox, size):
    context = await browser.new_context(viewport=viewport(size))
    tab = await context.new_page()
    tab.set_default_timeout(20_000)
    day = Day(tab, site, size, f"{size[0]}px")
    try:
        await sign_in_by_link(day)
        wid, name = await start_a_blog_post(day)
        await see_it_on_the_board_and_calendar(day, wid, name)
        await three_people_act_and_one_rejects(day, wid)
        await move_the_launch(day, wid)
        await cancel_it(day, wid)
    finally:
        await context.close()


async def sign_in_by_link(day: Day) -> None:
    tab = day.tab
    await day.visit("sign-in", "/login")
    await tab.fill("#who", "pat@example.com")
    await tab.click("text=Send me the link")
    await tab.wait_for_url(re.compile(r"/login/link"))
    assert "a sign-in link is on its way" in await tab.inner_text("main")
    await day.visit("demo-mailbox", "/demo/mailbox")
    newest = tab.locator("tr", has_text="Pat PM").filter(has_text="sign-in link").first
    if not await newest.locator("details").get_attribute("open"):
        await newest.locator("summary").click()
    link = await newest.locator("a[href*='/login/link/']").first.get_attribute("href")
    await day.visit("sign-in-confirm", link.removeprefix(day.site.url))
    assert "Sign in as Pat PM" in await tab.inner_text("main")
    await tab.locator("main form button[type=submit]").click()
    await tab.wait_for_url(day.site.url + "/")  # the board, signed in
    assert "Pat PM" in await tab.inner_text("header")


async def start_a_blog_post(day: Day) -> tuple[str, str]:
    tab, name = day.tab, f"Day post {uuid.uuid4().hex[:6]}"
    await day.visit("start", "/start")
    await tab.select_option("#playbook", "blog-post")
    await tab.click("button:has-text('Next')")
    await tab.wait_for_url(re.compile(r"/start\?playbook=blog-post"))
    await tab.fill("#name", name)
    await tab.fill("#launch", "+8w")
    for role, person in {"strategist": "sam", "seo": "sam", "writer": "alice"}.items():
        await tab.select_option(f"#role-{role}", person)
    for role, person in {"designer": "dana", "social": "sol", "stakeholder": "stu"}.items():
        await tab.select_option(f"#role-{role}", person)
    await tab.locator("#preview table.plan").wait_for()  # the live preview of the plan
    assert "Generate idea" in await tab.inner_text("#preview")
    await day.fits("start-with-preview")
    await tab.locator("button.primary", has_text="Start").first.click()
    await tab.wait_for_url(re.compile(r"/projects/project-"))
    wid = tab.url.rsplit("/", 1)[1]
    day.site.started.append(day.site.services.client.get_workflow_handle(wid))
    assert f"Started {name}." in await tab.inner_text(".flash")
    return wid, name


async def see_it_on_the_board_and_calendar(day: Day, wid: str, name: str) -> None:
    tab = day.tab
    card = tab.locator(f"[id='card-{wid}']")
    for _ in range(50):  # Temporal's listing shows a new project a moment later
        await tab.goto(day.site.url + "/")
        if await card.count():
            break
    text = await card.inner_text()
    assert name in text and "0 of 8 steps done" in text and "Sam Strategist" in text
    await day.visit("board", "/")
    launch = (await day.site.status(wid)).launch_date
    await day.visit("calendar", f"/calendar?month={launch:%Y-%m}")
    assert name in await tab.inner_text("main")


async def three_people_act_and_one_rejects(day: Day, wid: str) -> None:
    """Sam and Alice complete their steps from My tasks (each in a browser of their
    own), Sam approves the outline and Stu rejects it: the outline's rework shows on the
    manager's timeline as a second round, with Stu's decision."""
    for person, step in (("sam", "idea"), ("sam", "keywords"), ("alice", "outline")):
        await complete_in_my_tasks(day, person, wid, step)
    client = day.site.services.client
    await act(client, wid, ReviewStep(step_id="approve-outline", actor="sam", approve=True))
    rejection = ReviewStep(
        step_id="approve-outline", actor="stu", approve=False, comment="needs a stronger hook"
    )
    await act(client, wid, rejection)
    tab = day.tab
    outline_rounds = tab.locator(f"{day.timeline} g.step[data-step='outline'] rect.run")
    for _ in range(50):  # the earlier round is recorded by the effects a moment later
        await tab.goto(f"{day.site.url}/projects/{wid}")
        if await outline_rounds.count() >= 2:
            break
    revisions = {await r.get_attribute("data-revision") for r in await outline_rounds.all()}
    assert revisions == {"1", "2"}
    assert await tab.locator(f"{day.timeline} g.review.rejected[data-person='stu']").count()
    assert "needs a stronger hook" in await tab.inner_text("main")
    await day.visit("project-rework", f"/projects/{wid}")


async def complete_in_my_tasks(day: Day, person: str, wid: str, step: str) -> None:
    context = await day.tab.context.browser.new_context(viewport=viewport(day.size))
    tab = await context.new_page()
    try:
        await tab.goto(day.site.url + "/login")
        await tab.fill("#token", day.site.tokens[person])
        await tab.press("#token", "Enter")
        await tab.wait_for_url(day.site.url + "/")
        task = tab.locator(f"[id='task-{wid}-{step}']")
        for _ in range(50):  # the task list is made of Temporal's listing too
            await tab.goto(day.site.url + "/tasks")
            if await task.count():
                break
        problems = await sideways_scroll(tab)
        assert not problems, f"{person}'s tasks at {day.label}: {problems}"
        await task.locator("button", has_text="Complete").click()
        await tab.wait_for_url(day.site.url + "/tasks")
        assert await tab.locator(".flash.ok").count()
    finally:
        await context.close()
    await eventually(
        lambda: day.site.status(wid), lambda s: s.step(step).state == "done", attempts=100
    )


async def move_the_launch(day: Day, wid: str) -> None:
    tab = day.tab
    draft = f"{day.timeline} g.step[data-step='draft'] rect.planned"
    await tab.goto(f"{day.site.url}/projects/{wid}")
    before = await tab.locator(draft).first.get_attribute("data-to")
    await tab.fill("#launch", "+10w")
    await tab.locator("form:has(#launch) button", has_text="Preview").click()
    await tab.wait_for_url(re.compile(r"/reschedule\?launch="))
    await day.fits("reschedule-preview")
    if day.size == DESKTOP:
        await day.visit("reschedule-preview", tab.url.removeprefix(day.site.url))
    await tab.locator("form.confirm button[type=submit]").first.click()
    await tab.wait_for_url(f"{day.site.url}/projects/{wid}")
    after = await tab.locator(draft).first.get_attribute("data-to")
    assert date.fromisoformat(after[:10]) > date.fromisoformat(before[:10])  # the bar moved
    status = await day.site.status(wid)
    assert status.step("draft").due.isoformat().startswith(after[:10])


async def cancel_it(day: Day, wid: str) -> None:
    tab = day.tab
    await day.visit("cancel", f"/projects/{wid}/cancel")
    await tab.fill("#reason", "The launch moved to next quarter")
    await tab.locator("button.danger", has_text="Cancel this project").click()
    await tab.wait_for_url(f"{day.site.url}/projects/{wid}")
    assert "cancelled" in await tab.inner_text("h1")
    assert (await day.site.status(wid)).state == "cancelled"
    await day.fits("cancelled-project")
