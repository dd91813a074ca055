"""The dashboard as a person uses it: Debian's Chromium, driven by Playwright, clicking
through the real pages served by uvicorn over a real worker."""

import re
from datetime import timedelta

from baton.contract import CompleteStep
from baton.store.outbox import OutboxRepo
from starters.client import act
from tests.web.conftest import UI, eventually


async def sign_in(page, site, person: str, then: str = "/") -> None:
    await page.goto(site.url + then)
    assert "/login" in page.url  # sent to sign in first, and back afterwards
    await page.fill("#token", site.tokens[person])
    await page.click("form:has(#token) button[type=submit]")
    await page.wait_for_url(site.url + then)


async def test_sign_in_board_timeline_and_complete_a_task(site, page):
    project = await site.start("Browser <i>post</i>")
    wid = project.workflow_id
    await sign_in(page, site, "sam")
    for _ in range(50):  # visibility lags the start a moment
        if await page.locator(f"text={project.name}").count():
            break
        await page.reload()
    row = page.locator("li.project-card", has_text=project.name)
    await row.wait_for()
    assert "Blog post" in await row.inner_text()
    assert "Sam Strategist" in await row.inner_text()

    await page.click(f"text={project.name}")
    await page.wait_for_url(f"{site.url}/projects/{wid}")
    assert await page.locator("h1").inner_text() == f"{project.name} active"
    ui_link = page.locator("a.temporal-ui")
    assert await ui_link.get_attribute("href") == f"{UI}/namespaces/default/workflows/{wid}"
    idea = page.locator("#step-idea")
    assert "active" in await idea.inner_text()
    assert "Planned (due)" in await page.locator("table.timeline").inner_text()

    await page.click("text=My tasks")
    await page.wait_for_url(site.url + "/tasks")
    task = page.locator(f"[id='task-{wid}-idea']")
    await task.locator("input[name=note]").fill("AI for small teams")
    await task.locator("button", has_text="Complete").click()
    await page.wait_for_url(site.url + "/tasks")
    flash = page.locator(".flash.ok")
    assert "Sam Strategist completed 'Generate idea'" in await flash.inner_text()
    assert await page.locator(f"[id='task-{wid}-idea']").count() == 0
    assert await page.locator(f"[id='task-{wid}-keywords']").count() == 1  # sam is the seo too

    await page.goto(f"{site.url}/projects/{wid}")
    assert "done" in await page.locator("#step-idea").inner_text()
    assert "on time" in await page.locator("#step-idea").inner_text()
    keywords = await page.locator("#step-keywords").inner_text()
    assert "active" in keywords and "sam" in keywords
    log = await page.locator("ul.log").inner_text()
    assert log.index("Sam Strategist completed 'Generate idea'") < log.index(
        "'Generate idea' assigned to Sam Strategist"
    )


async def test_approve_from_the_link_in_the_message(site, page):
    project = await site.start()
    wid = project.workflow_id
    for step, actor in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(site.services.client, wid, CompleteStep(step_id=step, actor=actor))
    outbox = OutboxRepo(site.services.pool)

    async def review_request():
        mailbox = await outbox.mailbox("stu")
        return [m for m in mailbox if m.workflow_id == wid and "/act/" in m.body_html]

    message = (await eventually(review_request, bool))[0]
    links = re.findall(r'href="(http://127\.0\.0\.1:\d+/act/[\w.-]+)"', message.body_html)
    assert len(links) == 2  # approve, reject
    approve = links[0]

    await page.goto(approve)
    assert "Approve “Approve outline”?" in await page.locator("h1").inner_text()
    assert project.name in await page.content()
    assert (await site.status(wid)).step("approve-outline").approvals == []
    await page.fill("#comment", "looks good")
    await page.click("button:has-text('Approve')")
    assert await page.locator("h1").inner_text() == "Done"
    approvals = (await site.status(wid)).step("approve-outline").approvals
    assert [(a.actor, a.approve, a.comment) for a in approvals] == [("stu", True, "looks good")]

    await page.goto(approve)
    assert await page.locator("h1").inner_text() == "This link was already used"

    tampered = approve[:-4] + ("AAAA" if not approve.endswith("AAAA") else "BBBB")
    await page.goto(tampered)
    assert await page.locator("h1").inner_text() == "This link is not valid"

    expired = site.link("sam", wid, "approve-outline", "approve", timedelta(minutes=-1))
    await page.goto(site.url + expired)
    assert await page.locator("h1").inner_text() == "This link has expired"
    assert "baton review" in await page.locator("code").inner_text()


def watch(page) -> tuple[list[str], list[str]]:
    """(console errors, URLs requested) of a tab, as they happen."""
    errors, requested = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requested.append(r.url))
    return errors, requested


async def test_pages_are_styled_under_the_policy_and_sign_out_is_a_button(site, page):
    errors, requested = watch(page)
    project = await site.start()
    await sign_in(page, site, "sam", "/tasks")
    for path in ("/", f"/projects/{project.workflow_id}", "/inbox", "/tasks"):
        await page.goto(site.url + path)
        top = page.locator("header.top")
        assert await top.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(36, 41, 47)"
    assert errors == []  # no Content-Security-Policy violation, nothing missing
    assert all(url.startswith(site.url) for url in requested)

    await page.goto(site.url + "/logout")  # opening the address signs nobody out
    await page.goto(site.url + "/tasks")
    assert await page.locator("h1").inner_text() == "My tasks"
    await page.click("header button:has-text('Sign out')")
    await page.wait_for_url(site.url + "/login")
    assert "You are signed out." in await page.locator(".flash").inner_text()
    await page.goto(site.url + "/tasks")
    assert "/login" in page.url


async def test_api_docs_work_offline_under_the_policy(site, page):
    errors, requested = watch(page)
    await page.goto(site.url + "/docs")
    operations = page.locator(".opblock")
    await operations.first.wait_for()
    async with site.http() as anyone:
        document = (await anyone.get("/openapi.json")).json()
    assert await operations.count() == sum(len(path) for path in document["paths"].values())
    assert errors == []
    assert all(url.startswith(site.url) for url in requested), requested
