"""One project's page (`GET /projects/{workflow_id}`) and running the project from it:
the SVG timeline, the log in words, handing a step over, moving the launch after a
preview, cancelling with a reason; refusals shown in the page. Real site (uvicorn, a
worker, PostgreSQL, the Temporal dev server), no mocks. The log's grouping is tested
pure, first."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

from baton.contract import CompleteStep, LogEntry, ReviewStep
from baton.readable_log import describe_line, group_log
from baton.store.people import PeopleRepo
from baton.wording import when
from starters.client import act
from tests.web.conftest import csrf_of, eventually

NAMES = {"pat": "Pat PM", "sam": "Sam Strategist", "alice": "Alice Writer", "dana": "Dana"}
STEPS = {"idea": "Generate idea", "outline": "Create blog post outline"}
T = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def text_of(response) -> str:
    return unescape(response.text)


def flash_of(html: str) -> str:
    found = re.search(r'<p class="flash (?:ok|bad)" role="status">([^<]*)</p>', html)
    assert found, "no flash on the page"
    return unescape(found.group(1))


# ------------------------------------------------------------------ the log, pure


def lines(entries: list[LogEntry], launch: str = "publish date") -> list[str]:
    return [describe_line(line, NAMES, STEPS, launch) for line in group_log(entries)]


def test_a_reschedule_and_its_messages_are_one_line_with_names():
    entries = [
        LogEntry(at=T, type="rescheduled", actor="pat", detail="2026-06-01 -> 2026-06-15"),
        *(
            LogEntry(at=T, type="rescheduled", recipient=p, actor="pat", detail="2026-06-15")
            for p in ("sam", "alice", "dana")
        ),
    ]
    assert lines(entries) == [
        "Pat PM moved the publish date from 2026-06-01 to 2026-06-15; "
        "told Sam Strategist, Alice Writer and Dana"
    ]


def test_a_compressed_reschedule_tells_the_pm_on_its_own_line():
    compressed = "plan compressed: 2 steps would have been late, so the dues were spread"
    entries = [
        LogEntry(at=T, type="rescheduled", actor="pat", detail="2026-06-01 -> 2026-05-10"),
        LogEntry(at=T, type="rescheduled", actor="pat", detail=compressed),
        LogEntry(at=T, type="rescheduled", recipient="pat", actor="pat", detail=compressed),
        LogEntry(at=T, type="rescheduled", recipient="sam", actor="pat", detail="2026-05-10"),
    ]
    assert lines(entries) == [
        "Pat PM moved the publish date from 2026-06-01 to 2026-05-10; told Sam Strategist",
        "Pat PM compressed the plan: 2 steps would have been late, so the dues were spread; "
        "told Pat PM",
    ]


def test_one_message_to_several_people_is_one_line_and_instants_stay_apart():
    later = T + timedelta(hours=1)
    entries = [
        LogEntry(at=T, type="completed", step_id="idea", actor="sam", detail="AI for teams"),
        LogEntry(at=T, type="review_requested", step_id="outline", recipient="sam"),
        LogEntry(at=T, type="review_requested", step_id="outline", recipient="alice"),
        LogEntry(at=later, type="reminder", step_id="outline", recipient="sam", detail="24h"),
        LogEntry(at=later + timedelta(hours=1), type="reminder", step_id="outline",
                 recipient="alice", detail="24h"),
    ]  # fmt: skip
    assert lines(entries) == [
        "Sam Strategist completed 'Generate idea': AI for teams",
        "Review of 'Create blog post outline' requested from Sam Strategist and Alice Writer",
        "Reminder about 'Create blog post outline' sent to Sam Strategist, 24h",
        "Reminder about 'Create blog post outline' sent to Alice Writer, 24h",
    ]


def test_a_cancellation_handover_and_rework_read_as_sentences():
    entries = [
        LogEntry(at=T, type="reassigned", step_id="idea", actor="pat", detail="sam -> dana"),
        LogEntry(at=T, type="reassigned", step_id="idea", recipient="sam", actor="pat",
                 detail="to dana"),
        LogEntry(at=T, type="assigned", step_id="idea", recipient="dana", actor="pat"),
        LogEntry(at=T + timedelta(1), type="rework", step_id="outline", recipient="alice",
                 actor="sam", detail="needs a hook", revision=2),
        LogEntry(at=T + timedelta(2), type="project_cancelled", actor="pat", detail="budget"),
        LogEntry(at=T + timedelta(2), type="cancelled", step_id="idea", recipient="dana",
                 actor="pat", detail="budget"),
        LogEntry(at=T + timedelta(2), type="cancelled", recipient="pat", actor="pat",
                 detail="budget"),
    ]  # fmt: skip
    assert lines(entries) == [
        "Pat PM handed 'Generate idea' over from Sam Strategist to Dana; told Sam Strategist",
        "'Generate idea' assigned to Dana by Pat PM",
        "Sam Strategist sent 'Create blog post outline' back to Alice Writer (round 2): "
        "needs a hook",
        "Pat PM cancelled the project: budget; told Dana and Pat PM",
    ]


# ------------------------------------------------------------------ the page


async def test_the_page_draws_the_timeline_and_reads_the_log_by_name(site):
    project = await site.start()
    wid = project.workflow_id
    await act(site.services.client, wid, CompleteStep(step_id="idea", actor="sam", note="AI"))
    async with site.http("alice") as alice:
        page = await alice.get(f"/projects/{wid}")
    assert page.status_code == 200
    html = page.text
    for ident in ("timeline-wide", "timeline-narrow"):
        svg = re.search(rf'<svg [^>]*id="{ident}"[^>]*>', html)
        assert svg and 'role="img"' in svg.group(0) and "aria-label=" in svg.group(0)
    assert 'data-step="idea"' in html and 'class="run on-time"' in html
    assert 'class="today-line"' in html and 'class="launch-line"' in html
    assert "style=" not in html  # the policy: no inline styles, in the SVG either
    text = text_of(page)
    assert "Sam Strategist completed 'Generate idea': AI" in text
    assert "'Do keyword research' assigned to Sam Strategist" in text
    assert "-> sam" not in text  # people by name, not "assigned 'idea' -> sam"
    assert 'id="step-idea"' in html and "Planned (due)" in html  # the table stays
    operators = html.index("<h2>For operators</h2>")
    assert html.index('class="temporal-ui"') > operators > html.index("<h2>Log")
    assert "Run this project" not in html  # alice neither manages it nor is an admin


async def test_the_pm_moves_the_launch_after_a_preview_and_the_dues_move(site):
    project = await site.start(launch_in_days=60)
    wid = project.workflow_id
    before = {s.id: s.due for s in project.steps}
    launch = project.launch_date + timedelta(days=14)
    async with site.http("pat") as pat:
        page = await pat.get(f"/projects/{wid}")
        assert "Run this project" in page.text and f"/projects/{wid}/reschedule" in page.text
        preview = await pat.get(f"/projects/{wid}/reschedule", params={"launch": "+74d"})
        assert preview.status_code == 200, preview.text
        shown = text_of(preview)
        assert f"What moves, for {launch:%a %Y-%m-%d}" in shown
        assert "Told: Sam Strategist" in shown
        publish = re.search(r'<tr id="after-publish".*?</tr>', preview.text, re.S).group(0)
        new_due = before["publish"] + timedelta(days=14)
        assert when(new_due, "UTC") in publish and f"was {when(before['publish'])}" in publish
        assert (await site.status(wid)).launch_date == project.launch_date  # a preview only

        moved = await pat.post(
            f"/projects/{wid}/reschedule",
            data={"launch": launch.isoformat(), "csrf": csrf_of(preview.text)},
        )
        assert moved.status_code == 303 and moved.headers["location"] == f"/projects/{wid}"
        after_page = await pat.get(f"/projects/{wid}")
        said = flash_of(after_page.text)
        assert said.startswith(
            f"Pat PM moved the publish date from {project.launch_date} to {launch}; told "
        )
    after = await site.status(wid)
    assert after.launch_date == launch
    assert after.step("publish").due == new_due
    assert after.step("idea").due == before["idea"] + timedelta(days=14)


async def test_a_move_that_leaves_steps_late_offers_compress_or_late(site):
    project = await site.start(launch_in_days=60)
    wid = project.workflow_id
    soon = date.today() + timedelta(days=10)
    async with site.http("pat") as pat:
        preview = await pat.get(f"/projects/{wid}/reschedule", params={"launch": "+10d"})
        shown = text_of(preview)
        assert "would already be late" in shown
        assert "Compress the plan and move the publish date" in shown
        assert "Move it anyway, steps late" in shown
        assert 'id="compressed-publish"' in preview.text
        plain = await pat.post(
            f"/projects/{wid}/reschedule",
            data={"launch": soon.isoformat(), "csrf": csrf_of(preview.text)},
        )
        refused = flash_of((await pat.get(plain.headers["location"])).text)
        assert refused.startswith("Baton refused:") and "would already be late" in refused
        assert "--compress" not in refused
        compressed = await pat.post(
            f"/projects/{wid}/reschedule",
            data={"launch": soon.isoformat(), "choice": "compress", "csrf": csrf_of(preview.text)},
        )
        said = flash_of((await pat.get(compressed.headers["location"])).text)
        assert "Pat PM compressed the plan" in said
    after = await site.status(wid)
    now = datetime.now(UTC)
    assert after.launch_date == soon
    assert all(s.due > now for s in after.steps if s.state != "done" and s.due)


async def test_someone_who_does_not_run_the_project_sees_no_forms_and_is_refused(site):
    project = await site.start()
    wid = project.workflow_id
    async with site.http("oona") as oona:
        page = await oona.get(f"/projects/{wid}")
        assert "Run this project" not in page.text and "/reassign" not in page.text
        assert (await oona.get(f"/projects/{wid}/reschedule?launch=%2B70d")).status_code == 403
        assert (await oona.get(f"/projects/{wid}/cancel")).status_code == 403
        csrf = csrf_of(page.text)
        forged = await oona.post(f"/projects/{wid}/cancel", data={"reason": "x", "csrf": csrf})
        assert forged.status_code == 303
        said = flash_of((await oona.get(forged.headers["location"])).text)
        assert said.startswith("Baton refused: oona may not cancel")
        handover = await oona.post(
            f"/projects/{wid}/steps/idea/reassign", data={"to": "oona", "csrf": csrf}
        )
        said = flash_of((await oona.get(handover.headers["location"])).text)
        assert said.startswith("Baton refused: oona may not reassign 'idea'")
        no_token = await oona.post(f"/projects/{wid}/cancel", data={"reason": "x"})
        assert no_token.status_code == 403
    current = await site.status(wid)
    assert current.state == "active" and current.step("idea").owners == ["sam"]


async def test_an_admin_sees_the_forms_and_the_workflow_still_decides(site):
    project = await site.start()
    wid = project.workflow_id
    people = PeopleRepo(site.services.pool)
    await people.set_admin("sol", True)
    try:
        async with site.http("sol") as sol:
            page = await sol.get(f"/projects/{wid}")
            assert "Run this project" in page.text
            moved = await sol.post(
                f"/projects/{wid}/reschedule",
                data={"launch": "+70d", "csrf": csrf_of(page.text)},
            )
            said = flash_of((await sol.get(moved.headers["location"])).text)
            assert said.startswith("Baton refused: sol may not reschedule: only pat")
    finally:
        await people.set_admin("sol", False)


async def test_the_pm_hands_a_step_over_to_someone_known_only(site):
    project = await site.start()
    wid = project.workflow_id
    async with site.http("pat") as pat:
        page = await pat.get(f"/projects/{wid}")
        form = re.search(r'<form class="handover".*?</form>', page.text, re.S).group(0)
        assert f'action="/projects/{wid}/steps/idea/reassign"' in form
        assert '<option value="dana">Dana (dana)</option>' in form
        assert 'value="sam"' not in form  # the owner already
        csrf = csrf_of(page.text)
        unknown = await pat.post(
            f"/projects/{wid}/steps/idea/reassign", data={"to": "zed", "csrf": csrf}
        )
        said = flash_of((await pat.get(unknown.headers["location"])).text)
        assert said.startswith("Nothing was sent: unknown person 'zed'")
        assert (await site.status(wid)).step("idea").owners == ["sam"]

        handed = await pat.post(
            f"/projects/{wid}/steps/idea/reassign", data={"to": "dana", "csrf": csrf}
        )
        assert handed.headers["location"] == f"/projects/{wid}"
        page = await pat.get(f"/projects/{wid}")
        assert flash_of(page.text) == (
            "Pat PM handed 'Generate idea' over from Sam Strategist to Dana; told Sam Strategist."
        )
    assert (await site.status(wid)).step("idea").owners == ["dana"]


async def test_cancelling_needs_a_reason_then_cancels(site):
    project = await site.start()
    wid = project.workflow_id
    async with site.http("pat") as pat:
        confirm = await pat.get(f"/projects/{wid}/cancel")
        assert confirm.status_code == 200
        assert "Cancel this project</button>" in confirm.text and "required" in confirm.text
        assert "Told why:\nSam Strategist, Pat PM." in text_of(confirm)
        csrf = csrf_of(confirm.text)
        empty = await pat.post(f"/projects/{wid}/cancel", data={"reason": "  ", "csrf": csrf})
        assert empty.status_code == 422 and "Nothing was cancelled: say why" in empty.text
        assert (await site.status(wid)).state == "active"

        done = await pat.post(
            f"/projects/{wid}/cancel", data={"reason": "budget cut", "csrf": csrf}
        )
        page = await pat.get(done.headers["location"])
        assert flash_of(page.text).startswith("Pat PM cancelled the project: budget cut; told ")
        assert "Run this project" not in page.text  # nothing left to run
    after = await site.status(wid)
    assert after.state == "cancelled" and after.cancel_reason == "budget cut"


async def test_a_rejected_approval_shows_its_rework_round_on_the_timeline(site):
    project = await site.start()
    wid = project.workflow_id
    for step, person in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(site.services.client, wid, CompleteStep(step_id=step, actor=person))
    review = ReviewStep(
        step_id="approve-outline", actor="stu", approve=False, comment="needs a stronger hook"
    )
    await act(site.services.client, wid, review)
    assert (await site.status(wid)).step("outline").revision == 2

    async with site.http("pat") as pat:
        page = await eventually(
            lambda: pat.get(f"/projects/{wid}"),
            lambda r: 'class="run reworked"' in r.text,  # the round's run is recorded
        )
    html = page.text
    outline = re.search(r'<g class="step" data-step="outline">.*?</g>', html, re.S).group(0)
    assert 'class="run reworked"' in outline and 'data-revision="1"' in outline
    assert 'data-revision="2"' in outline and 'class="run active"' in outline
    approval = re.search(r'<g class="step" data-step="approve-outline">.*?</g>\s*</g>', html, re.S)
    assert approval and 'class="review rejected"' in approval.group(0)
    assert "<title>Stu Stakeholder rejected: needs a stronger hook (round 1," in unescape(html)
    text = text_of(page)
    assert "Stu Stakeholder rejected 'Approve outline': needs a stronger hook" in text
    assert (
        "Stu Stakeholder sent 'Create blog post outline' back to Alice Writer (round 2): "
        "needs a stronger hook" in text
    )
