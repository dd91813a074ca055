"""The dashboard's learning from history over plain HTTP: the reports page with its
charts, the recalibration view (only admins publish), a running project's forecast
panel, and "Coming up" on My tasks from a stored forecast."""

import os
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from baton.store.playbooks import PlaybookRepo
from baton.store.projects import ProjectRepo
from baton.store.step_runs import save_forecast
from baton.wording import when
from tests.web.conftest import csrf_of, eventually

_IMG = re.compile(r'<img[^>]* src="([^"]+)"')


def images(html: str) -> list[str]:
    return [unescape(src) for src in _IMG.findall(html)]


async def test_reports_page_shows_the_tables_and_charts(site, retro):
    async with site.http("sam") as sam:
        page = await sam.get("/reports", params={"playbook": retro})
        assert page.status_code == 200, page.text
        html = page.text
        assert f'<option value="{retro}" selected>' in html
        assert "<strong>3</strong> projects" in html
        for heading in ("Steps", "People", "Roles", "Where the days went", "Bottlenecks"):
            assert f"<h2>{heading}</h2>" in html
        draft = re.search(r"<tr><td><strong>draft</strong>.*?</tr>", html, re.S).group(0)
        assert "33%" in draft and "+1.0 d" in draft and "+2.2 d" in draft and "4.0 d" in draft
        assert f'href="/reports/recalibration?playbook={retro}"' in html

        charts = images(html)
        assert charts == [
            f"/reports/chart/slip.svg?playbook={retro}",
            f"/reports/chart/days.svg?playbook={retro}",
        ]
        for chart in charts:
            image = await sam.get(chart)
            assert image.status_code == 200
            assert image.headers["content-type"] == "image/svg+xml"
            assert "<svg" in image.text and "draft" in image.text

        everything = await sam.get("/reports")
        assert everything.status_code == 200 and "all playbooks" in everything.text
        since = await sam.get("/reports", params={"playbook": retro, "since": "2026-02-15"})
        assert "<strong>1</strong> project " in since.text
        assert f"slip.svg?playbook={retro}&amp;since=2026-02-15" in since.text

        assert (await sam.get("/reports/chart/pie.svg")).status_code == 404
        bad = await sam.get("/reports", params={"since": "soon"})
        assert bad.status_code == 422 and "is not a date" in bad.text
        unknown = await sam.get("/reports", params={"playbook": "no-such-book"})
        assert unknown.status_code == 404 and "blog-post" in unknown.text
    async with site.http() as anonymous:
        assert (await anonymous.get("/reports")).status_code == 303
        assert (await anonymous.get("/reports/chart/slip.svg")).status_code == 303


async def test_recalibration_view_and_only_admins_publish(site, retro, pat_is_admin):
    view = f"/reports/recalibration?playbook={retro}&min_samples=1"
    async with site.http("sam") as sam:
        page = await sam.get(view)
        assert page.status_code == 200, page.text
        assert f"Recalibrate {retro}" in page.text and "Proposed due" in page.text
        assert "Publish as the next version" not in page.text  # sam is no admin
        form = {"playbook": retro, "quantile": "0.8", "min_samples": "1"}
        refused = await sam.post(
            "/reports/recalibration", data={**form, "csrf": csrf_of(page.text)}
        )
        assert refused.status_code == 403 and "nothing was published" in refused.text

    async with site.http("pat") as pat:
        page = await pat.get(view)
        assert "Publish as the next version" in page.text
        forged = await pat.post("/reports/recalibration", data=form)  # no CSRF token
        assert forged.status_code == 403
        assert (await PlaybookRepo(site.services.pool).get(retro))[1] == 1

        published = await pat.post(
            "/reports/recalibration", data={**form, "csrf": csrf_of(page.text)}
        )
        assert published.status_code == 303
        after = await pat.get(published.headers["location"])
        assert f"Published {retro} version 2" in after.text
        assert (await PlaybookRepo(site.services.pool).get(retro))[1] == 2


async def test_project_page_shows_the_forecast_panel_and_chart(site):
    project = await site.start()
    async with site.http("pat") as pat:
        page = await pat.get(f"/projects/{project.workflow_id}")
        assert page.status_code == 200
        panel = re.search(r'<section class="card forecast".*?</section>', page.text, re.S)
        assert panel, "no forecast panel"
        text = panel.group(0)
        percent = re.search(r"(\d+)%</strong> chance of making the publish date", text)
        assert percent and 0 <= int(percent.group(1)) <= 100
        verdicts = re.findall(r'class="badge [a-z-]+">([a-z ]+)<', text)
        assert verdicts in (["likely on time"], ["at risk"])
        assert "Likely finish" in text and "Critical steps" in text
        chart = f"/projects/{project.workflow_id}/forecast.svg"
        assert images(text) == [chart]
        image = await pat.get(chart)
        assert image.status_code == 200 and image.headers["content-type"] == "image/svg+xml"
        assert "Write final draft" in image.text and ">draft<" not in image.text  # by name
        assert (await pat.get("/projects/project-nope/forecast.svg")).status_code == 404


async def seed_coming_up(site, workflow_id: str, person: str) -> datetime:
    """Store a forecast of the project in which `person`'s outline is projected to start
    in six days (its transition far ahead, so the live forecaster's never replaces it);
    returns that start."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)

    def outlook(step: str, owners: list[str], starts: datetime) -> dict:
        finish = starts + timedelta(days=2)
        state = "active" if step == "idea" else "waiting"
        return {"step": step, "state": state, "owners": owners, "p50_start": starts.isoformat(),
                "p50_finish": finish.isoformat()}  # fmt: skip

    steps = [
        outlook("idea", ["sam"], start - timedelta(days=6)),
        outlook("keywords", ["sam"], start - timedelta(days=3)),
        outlook("outline", [person], start),
    ]
    # The projects index has the project once its first effects are recorded.
    await eventually(lambda: ProjectRepo(site.services.pool).get(workflow_id), lambda row: row)
    async with site.services.pool.connection() as conn:
        await save_forecast(conn, workflow_id, 1_000_000, {"project": workflow_id, "steps": steps})
    return start


async def test_my_tasks_shows_what_comes_up_from_the_stored_forecast(site):
    project = await site.start()
    wid = project.workflow_id
    start = await seed_coming_up(site, wid, "alice")
    async with site.http("alice") as alice:
        tasks = await alice.get("/tasks")
        assert "<h2>Coming up</h2>" in tasks.text
        row = re.search(rf'<tr id="upcoming-{wid}-outline">.*?</tr>', tasks.text, re.S)
        assert row, "the outline is not coming up"
        assert "Create blog post outline" in row.group(0)
        assert when(start, "UTC") in row.group(0)
        assert project.name in unescape(row.group(0))
    async with site.http("dana") as dana:
        assert f"upcoming-{wid}-" not in (await dana.get("/tasks")).text


@pytest.mark.parametrize("width", [1280, 390])
async def test_history_pages_fit_a_desktop_and_a_phone(site, browser, retro, width):
    """Chromium at a desktop's and a phone's width: nothing scrolls sideways and every
    chart loads. Screenshots go to $BATON_SHOTS when set (to look at them)."""
    project = await site.start()
    await seed_coming_up(site, project.workflow_id, "alice")
    context = await browser.new_context(viewport={"width": width, "height": 900})
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    try:
        await tab.goto(site.url + "/login")
        await tab.fill("#token", site.tokens["alice"])
        await tab.click("form:has(#token) button[type=submit]")
        await tab.wait_for_url(site.url + "/")
        pages = {
            "reports": f"/reports?playbook={retro}",
            "recalibration": f"/reports/recalibration?playbook={retro}",
            "project": f"/projects/{project.workflow_id}",
            "tasks": "/tasks",
        }
        for name, path in pages.items():
            await tab.goto(site.url + path)
            await tab.wait_for_load_state("networkidle")
            overflow = await tab.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            broken = await tab.evaluate(
                "[...document.images].filter(i => !i.complete || !i.naturalWidth).length"
            )
            assert broken == 0, f"{name}: {broken} images did not load"
            if os.environ.get("BATON_SHOTS"):
                shots = Path(os.environ["BATON_SHOTS"])
                shots.mkdir(parents=True, exist_ok=True)
                await tab.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        assert await tab.locator(f"[id='upcoming-{project.workflow_id}-outline']").count() == 1
    finally:
        await context.close()
