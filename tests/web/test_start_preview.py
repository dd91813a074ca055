"""The start form's preview: the plan for the launch typed, the steps it would leave late
with what compressing or starting anyway would do, and the forecast the start would warn
with; a fragment the page's script fetches as the launch changes (Chromium), or the
form re-rendered by its Preview button without scripts. The pickers show people by name."""

import re
from html import unescape

from tests.web.conftest import BLOG_TEAM, csrf_of
from tests.web.test_browser import sign_in

BERLIN = "Europe/Berlin"
BLOG_STEPS = (
    "Generate idea",
    "Do keyword research",
    "Create blog post outline",
    "Approve outline",
    "Write final draft",
    "Create images or infographics",
    "Schedule social media promotions",
    "Publish post and review live version",
)
DUE = r"\w{3} \d{4}-\d\d-\d\d 17:00 CES?T"


def shown(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def preview(client, launch: str, **fields: str):
    params = {"playbook": "blog-post", "launch": launch, "timezone": BERLIN, **fields}
    return await client.get("/start/preview", params=params)


async def test_the_preview_of_a_launch_in_eight_weeks_lists_the_plan_and_forecast(site):
    roles = {f"role:{role}": person for role, person in BLOG_TEAM.items()}
    async with site.http("pat") as pat:
        response = await preview(pat, "+8w", **roles)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and "<h1" not in html  # a fragment, no page frame
    text = shown(html)
    for name in BLOG_STEPS:
        assert re.search(rf"{re.escape(name)} \w+ .*?{DUE}", text), name
    assert len(re.findall(r'<tr id="plan-', html)) == len(BLOG_STEPS)
    # who does it: the person picked for the role, else the role's title
    assert "Stu Stakeholder" in text and "Marketing stakeholder" not in text
    async with site.http("pat") as pat:
        unpicked = shown((await preview(pat, "+8w")).text)
    assert "Marketing stakeholder" in unpicked and "Stu Stakeholder" not in unpicked
    assert "No step would start late: every due is still ahead." in text
    assert "already past" not in text
    assert re.search(r"\d+% chance of making the publish date", text)
    assert re.search(r"projected finish \w{3} \d{4}-\d\d-\d\d \d\d:\d\d", text), text


async def test_a_launch_too_soon_shows_the_late_steps_and_the_ways_on(site):
    async with site.http("pat") as pat:
        response = await preview(pat, "+10d")
    assert response.status_code == 200
    text = shown(response.text)
    assert re.search(rf"\d steps would already be late \(first: 'idea' due {DUE}\)", text), text
    assert "Compress the plan and start : the dues before the publish date are spread" in text
    assert "Start anyway, steps late : the plan stays as below" in text
    assert re.search(r"Or choose a later publish date: from \w{3} \d{4}-\d\d-\d\d", text)
    assert "already past" in text  # the late steps, marked in the plan
    assert "The plan compressed" in text


async def test_a_launch_that_is_no_date_shows_the_date_help(site):
    async with site.http("pat") as pat:
        nonsense = await preview(pat, "next tuesday-ish")
        empty = await preview(pat, "")
        zone = await preview(pat, "+8w", timezone="Mars/Olympus")
    assert nonsense.status_code == 200
    text = shown(nonsense.text)
    assert "The launch date 'next tuesday-ish' is not a date; write it as YYYY-MM-DD" in text
    assert "+6w (weeks)" in text and "would already be late" not in text
    assert "Type the publish date to see the plan." in shown(empty.text)
    assert "Unknown time zone 'Mars/Olympus'; use an IANA name" in shown(zone.text)


async def test_a_launch_in_the_past_offers_no_way_to_start_it(site):
    async with site.http("pat") as pat:
        past = shown((await preview(pat, "2020-01-01")).text)
    assert "The publish date 2020-01-01 is in the past; pick today or a later day." in past
    assert "would already be late" not in past and "Start anyway" not in past


async def test_the_pickers_name_people_and_the_preview_button_starts_nothing(site):
    async with site.http("pat") as pat:
        form = await pat.get("/start?playbook=blog-post")
        assert form.status_code == 200
        assert '<option value="sam">Sam Strategist</option>' in form.text
        assert '<option value="pat" selected>Pat PM</option>' in form.text  # the PM: me
        assert ">sam</option>" not in form.text  # names, never bare ids
        assert '<section id="preview" class="card start-preview" aria-live="polite"' in form.text

        fields = {
            "csrf": csrf_of(form.text),
            "playbook": "blog-post",
            "name": "Only a preview",
            "launch": "+8w",
            "timezone": BERLIN,
            "project_manager": "pat",
            "preview": "1",
        }
        again = await pat.post("/start", data=fields)
    assert again.status_code == 200  # the form again, with the plan: nothing started
    assert 'value="Only a preview"' in again.text
    assert len(re.findall(r'<tr id="plan-', again.text)) == len(BLOG_STEPS)


async def test_typing_a_launch_fills_the_preview_without_a_reload(site, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in(page, site, "pat", "/start")
    await page.goto(site.url + "/start?playbook=blog-post")
    await page.evaluate("window.sameDocument = true")  # gone if the page reloads
    assert await page.locator("button[name=preview]").is_hidden()  # the script previews
    await page.fill("#timezone", BERLIN)
    await page.locator("#launch").press_sequentially("+8w")
    plan = page.locator("#preview table.plan")
    await plan.wait_for()
    assert "Generate idea" in await plan.inner_text()
    assert "chance of making the publish date" in await page.locator("#preview").inner_text()

    await page.fill("#launch", "+10d")
    await page.locator("#preview .preview-late").wait_for()
    assert "would already be late" in await page.locator("#preview").inner_text()
    assert await page.evaluate("window.sameDocument") is True
    assert errors == []
