"""The API docs with no internet: Chromium opens /docs (Swagger UI) and /redoc (ReDoc)
while every request to anything but this machine is aborted, as on a laptop offline.
Both must render the API from the assets the package serves; nothing may even try the
network (no CDN script, style sheet or web font)."""

import re
from urllib.parse import urlsplit

import pytest

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
async def offline(browser):
    """A tab whose every non-loopback request is aborted; (tab, what it tried)."""
    context = await browser.new_context()
    tried: list[str] = []

    async def only_loopback(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            await route.continue_()
        else:
            tried.append(url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_loopback)
    tab = await context.new_page()
    tab.set_default_timeout(15_000)
    yield tab, tried
    await context.close()


def assets_of(html: str) -> list[str]:
    """Every address a page's markup names (src, href)."""
    return re.findall(r'(?:src|href)="([^"]*)"', html)


async def test_swagger_ui_lists_the_operations_offline(site, offline):
    tab, tried = offline
    failed: list[str] = []
    tab.on("requestfailed", lambda request: failed.append(request.url))
    response = await tab.goto(site.url + "/docs")
    assert response.status == 200
    for address in assets_of(await response.text()):
        assert address.startswith("/"), f"/docs names an outside address: {address}"

    operations = tab.locator(".opblock")
    await operations.first.wait_for()
    text = await tab.locator("#swagger-ui").inner_text()
    assert "Baton" in text
    assert "/api/projects" in text
    assert "Start a project" in text and "List projects" in text
    projects = tab.locator(".opblock", has_text="Start a project")
    assert "POST" in await projects.first.locator(".opblock-summary-method").inner_text()
    assert tried == [] and failed == []


async def test_redoc_renders_the_api_offline(site, offline):
    tab, tried = offline
    response = await tab.goto(site.url + "/redoc")
    assert response.status == 200
    html = await response.text()
    for address in assets_of(html):
        assert address.startswith("/"), f"/redoc names an outside address: {address}"
    assert "fonts.googleapis.com" not in html

    operation = tab.locator("h2", has_text="Start a project")
    await operation.wait_for()  # the spec was fetched, parsed and laid out
    assert (await tab.locator("h1").first.inner_text()).startswith("Baton")
    body = await tab.locator("body").inner_text()
    assert "Authorization: Bearer" in body  # the API's description, rendered
    assert "/api/projects" in body
    menu = await tab.locator("[role=menu], .menu-content").first.inner_text()
    for tag in ("playbooks", "people", "projects", "actions", "schedules"):
        assert tag in menu.lower()
    assert tried == [], f"ReDoc tried the network: {tried}"
