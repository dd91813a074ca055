"""Pages that stay alive: a project page shows a step done elsewhere (here through the
client, as the CLI would) without being reloaded; `/live` is the stamp it watches."""

from baton.contract import CompleteStep
from starters.client import act
from tests.web.conftest import eventually

POLL_MS = 500  # data-live-every: a tenth of the 5 s people get


async def sign_in(page, site, person: str, then: str) -> None:
    await page.goto(site.url + then)
    await page.fill("#token", site.tokens[person])
    await page.press("#token", "Enter")  # the token form (the page has a link form too)
    await page.wait_for_url(site.url + then)


async def watching(page) -> None:
    """Mark this very document (a reload would lose the mark), poll fast, and wait for
    the first stamp: changes from now on are noticed."""
    await page.evaluate(
        f"() => {{ window.__notReloaded = true; document.body.dataset.liveEvery = '{POLL_MS}'; }}"
    )
    await page.wait_for_function("() => document.body.dataset.liveStamp")


async def test_a_project_page_shows_a_step_done_elsewhere_without_a_reload(site, page):
    project = await site.start()
    wid = project.workflow_id
    url = f"{site.url}/projects/{wid}"
    await sign_in(page, site, "pat", f"/projects/{wid}")
    assert await page.locator("body").get_attribute("data-live") == "on"
    idea = page.locator("#step-idea")
    assert "active" in await idea.inner_text()
    await watching(page)

    await act(site.services.client, wid, CompleteStep(step_id="idea", actor="sam", note="AI"))

    await page.wait_for_function(
        "() => document.querySelector('#step-idea .badge').textContent.trim() === 'done'"
    )
    assert "active" in await page.locator("#step-keywords").inner_text()
    assert "completed" in await page.locator("ul.log").inner_text()
    assert page.url == url
    assert await page.evaluate("() => window.__notReloaded") is True
    status = page.locator("#live-status")
    assert await status.get_attribute("aria-live") == "polite"
    await page.wait_for_function(
        "() => document.getElementById('live-status').textContent === 'Updated'"
    )


async def test_an_update_waits_while_the_person_is_typing(site, page):
    project = await site.start()
    wid = project.workflow_id
    await sign_in(page, site, "sam", f"/projects/{wid}")  # sam has the idea's buttons
    await watching(page)
    note = page.locator("#step-idea input[name=note]")
    await note.fill("half a thought")

    stamp = await page.evaluate("() => document.body.dataset.liveStamp")
    await act(site.services.client, wid, CompleteStep(step_id="idea", actor="sam"))  # the CLI
    await page.wait_for_function(f"() => document.body.dataset.liveStamp !== '{stamp}'")
    await page.wait_for_timeout(3 * POLL_MS)
    assert await note.input_value() == "half a thought"  # not swapped under the cursor
    assert "active" in await page.locator("#step-idea").inner_text()

    await note.fill("")  # back as it was, and the cursor elsewhere: the update comes
    await page.locator("h1").click()
    await page.wait_for_function(
        "() => document.querySelector('#step-idea .badge').textContent.trim() === 'done'"
    )
    assert await page.evaluate("() => window.__notReloaded") is True


async def test_signed_out_pages_and_form_answers_are_not_live(site, page):
    await page.goto(site.url + "/login")
    assert await page.locator("body").get_attribute("data-live") == "off"
    await page.fill("#token", "not a token")
    await page.press("#token", "Enter")
    await page.locator(".flash.bad").wait_for()  # the form again, saying why
    assert await page.locator("body").get_attribute("data-live") == "off"


async def test_the_stamp_moves_with_a_transition_and_wants_a_session(site):
    project = await site.start()
    async with site.http("pat") as pat:
        before = await pat.get("/live")
        assert before.status_code == 200
        assert before.headers["cache-control"] == "no-store"
        stamp = before.json()["stamp"]
        assert (await pat.get("/live")).json() == {"stamp": stamp}  # nothing happened

        await act(
            site.services.client, project.workflow_id, CompleteStep(step_id="idea", actor="sam")
        )

        async def current():
            return (await pat.get("/live")).json()["stamp"]

        await eventually(current, lambda now: now != stamp)

    async with site.http() as nobody:
        refused = await nobody.get("/live")
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login")
