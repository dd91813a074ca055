"""Every dashboard page through the audit of `tests/web/audit.py`, at 1280 and 390 px:
no sideways scroll, no label broken inside a word, no serious or critical axe-core
violation, no browser error; screenshots in test-output/screenshots/.

A page is one line of PAGES: a name (the screenshots' name), its path or an async
builder making what it shows (a started project, a task) and answering the path, and who
looks at it (None: signed out).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from baton.contract import CompleteStep
from starters.client import act
from tests.web.audit import audit_page
from tests.web.conftest import Site

Builder = Callable[[Site], Awaitable[str]]


@dataclass(frozen=True)
class Audited:
    name: str
    path: str | Builder
    person: str | None = "pat"

    async def address(self, site: Site) -> str:
        return self.path if isinstance(self.path, str) else await self.path(site)


async def board_with_a_project(site: Site) -> str:
    await site.start("An audited post")
    return "/"


async def project_under_way(site: Site) -> str:
    """A project with a step done (a note, a log) and the next one active."""
    project = await site.start("An audited post")
    await act(
        site.services.client,
        project.workflow_id,
        CompleteStep(step_id="idea", actor="sam", note="https://example.com/brief"),
    )
    return f"/projects/{project.workflow_id}"


async def tasks_with_a_task(site: Site) -> str:
    await site.start("An audited post")  # sam has its first step
    return "/tasks"


async def inbox_with_a_message(site: Site) -> str:
    await site.start("An audited post")  # sam is told about their first step
    return "/inbox"


async def confirmation_of_a_link(site: Site) -> str:
    project = await site.start("An audited post")
    return site.link("sam", project.workflow_id, "idea", "complete")


PAGES = [
    Audited("sign-in", "/login", person=None),
    Audited("board", board_with_a_project),
    Audited("project", project_under_way),
    Audited("tasks", tasks_with_a_task, person="sam"),
    Audited("inbox", inbox_with_a_message, person="sam"),
    Audited("reports", "/reports"),
    Audited("recalibration", "/reports/recalibration?playbook=blog-post"),
    Audited("start", "/start"),
    Audited("start-blog-post", "/start?playbook=blog-post"),
    Audited("act-confirm", confirmation_of_a_link, person="sam"),
    Audited("act-confirm-signed-out", confirmation_of_a_link, person=None),
    Audited("logout", "/logout"),
    Audited("error", "/projects/no-such-project"),
    Audited("calendar", "/calendar"),
    Audited("playbooks", "/playbooks"),
    Audited("playbook", "/playbooks/blog-post"),
    Audited("people", "/people"),
]


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, dict]:
    """Each person's cookies once signed in (storage_state), shared by the session."""
    return {}


async def context_for(browser, site: Site, person: str | None, states: dict[str, dict]):
    """A browser context signed in as `person` through the sign-in form (or nobody)."""
    if person is None or person in states:
        return await browser.new_context(storage_state=states.get(person))
    context = await browser.new_context()
    tab = await context.new_page()
    await tab.goto(site.url + "/login")
    await tab.fill("#token", site.tokens[person])
    await tab.press("#token", "Enter")  # the token form (the page has a link form too)
    await tab.wait_for_url(site.url + "/")
    states[person] = await context.storage_state()
    await tab.close()
    return context


@pytest.mark.parametrize("audited", PAGES, ids=lambda audited: audited.name)
async def test_the_page_passes_the_audit(site, browser, signed_in_states, audited):
    path = await audited.address(site)
    context = await context_for(browser, site, audited.person, signed_in_states)
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        await audit_page(page, audited.name, site.url + path)
    finally:
        await context.close()


# A page doing each thing the audit is there to catch.
BROKEN = """<!DOCTYPE html><html lang="en"><head><title>Broken</title><style>
.wide{width:900px} .narrow{width:40px;overflow-wrap:anywhere} .faint{color:#ccc}
</style></head><body><main><h1>Broken</h1>
<div class="wide" id="too-wide">wider than a phone</div>
<button class="narrow">Complete</button>
<p class="faint">hard to read</p>
</main></body></html>"""


async def test_the_audit_names_what_is_wrong(browser):
    context = await browser.new_context()
    try:
        page = await context.new_page()
        with pytest.raises(AssertionError) as failed:
            await audit_page(page, "audit-self-test", "data:text/html," + quote(BROKEN))
    finally:
        await context.close()
    report = str(failed.value)
    assert "at 390px: scrolls sideways" in report and "<div#too-wide.wide>" in report
    assert "at 1280px: scrolls sideways" not in report
    assert '"Complete" is broken' in report
    assert "axe serious color-contrast" in report and "1 element: p)" in report
