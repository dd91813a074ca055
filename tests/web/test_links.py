"""One-click action links over plain HTTP: GET confirms and changes nothing, POST acts
once, and every bad link gets its own page (400 not valid, 410 expired, 409 used)."""

import asyncio
from datetime import UTC, datetime, timedelta

from baton.contract import CompleteStep, ReviewStep
from baton.links import verify
from baton.store.used_links import UsedLinksRepo
from starters.client import act
from starters.web.dashboard import csrf
from starters.web.dashboard.render import command_for
from tests.web.conftest import csrf_of, eventually


async def test_get_confirms_without_acting_and_post_acts_once(site):
    project = await site.start("Links <b>bold</b>")
    link = site.link("sam", project.workflow_id, "idea", "complete")
    async with site.http() as anyone:  # no sign-in: the link is the credential
        confirm = await anyone.get(link)
        assert confirm.status_code == 200
        assert "Mark done “Generate idea”?" in confirm.text
        assert "Links &lt;b&gt;bold&lt;/b&gt;" in confirm.text
        assert "Sam Strategist (sam)" in confirm.text
        assert f'action="{link}"' in confirm.text
        assert (await site.status(project.workflow_id)).step("idea").state == "active"

        token = csrf_of(confirm.text)
        done = await anyone.post(link, data={"note": "from the link", "csrf": token})
        assert done.status_code == 200, done.text
        assert "Done" in done.text and "completed &#39;idea&#39; by sam" in done.text
        current = await site.status(project.workflow_id)
        assert current.step("idea").state == "done"
        assert current.step("idea").notes[0].text == "from the link"

        for again in (await anyone.post(link, data={"csrf": token}), await anyone.get(link)):
            assert again.status_code == 409
            assert "This link was already used" in again.text
            assert "done: completed" in again.text
    used = await UsedLinksRepo(site.services.pool).get(_nonce(site, link))
    assert used is not None
    assert (used.person, used.step_id, used.action) == ("sam", "idea", "complete")


async def test_tampered_and_malformed_links_are_not_valid(site):
    project = await site.start()
    link = site.link("sam", project.workflow_id, "idea", "complete")
    claims, signature = link.removeprefix("/act/").split(".")
    forged = "/act/" + claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB") + "." + signature
    async with site.http() as anyone:
        for bad in (forged, link[:-3], "/act/not-a-link", "/act/a.b.c", "/act/%E2%98%83.x"):
            for response in (await anyone.get(bad), await anyone.post(bad)):
                assert response.status_code == 400, bad
                assert "This link is not valid" in response.text
        odd = site.link("sam", project.workflow_id, "idea", "delete")
        assert (await anyone.get(odd)).status_code == 400
    assert (await site.status(project.workflow_id)).step("idea").state == "active"


async def test_expired_link_says_so_and_gives_the_cli_line(site):
    project = await site.start()
    link = site.link("sam", project.workflow_id, "idea", "complete", timedelta(seconds=-5))
    async with site.http() as anyone:
        for response in (await anyone.get(link), await anyone.post(link)):
            assert response.status_code == 410
            assert "This link has expired" in response.text
            slug = project.workflow_id.removeprefix("project-")
            assert f"baton complete {slug} idea --as sam" in response.text
    assert (await site.status(project.workflow_id)).step("idea").state == "active"


async def test_refused_action_shows_the_reason_and_does_not_use_the_link(site):
    project = await site.start()
    link = site.link("oona", project.workflow_id, "idea", "complete")  # oona owns nothing
    async with site.http() as anyone:
        confirm = await anyone.get(link)
        refused = await anyone.post(link, data=_form(confirm))
        assert refused.status_code == 422
        assert "Baton refused this" in refused.text
        assert "oona may not complete &#39;idea&#39;" in refused.text
        again = await anyone.get(link)
        assert again.status_code == 200 and "Mark done “Generate idea”?" in again.text
    assert await UsedLinksRepo(site.services.pool).get(_nonce(site, link)) is None


async def test_a_link_refused_too_early_works_once_the_step_is_active(site):
    project = await site.start()
    wid = project.workflow_id
    link = site.link("sam", wid, "keywords", "complete")  # sam's, but not active yet
    async with site.http() as anyone:
        token = csrf_of((await anyone.get(link)).text)
        refused = await anyone.post(link, data={"csrf": token})
        assert refused.status_code == 422
        assert "Baton refused this" in refused.text
        assert "step &#39;keywords&#39; is not active yet" in refused.text
        assert "this link still works" in refused.text
        again = await anyone.get(link)
        assert again.status_code == 200 and "Mark done “Do keyword research”?" in again.text

        await act(site.services.client, wid, CompleteStep(step_id="idea", actor="sam"))
        done = await anyone.post(link, data={"csrf": token})
        assert done.status_code == 200, done.text
        assert "completed &#39;keywords&#39; by sam" in done.text
    assert (await site.status(wid)).step("keywords").state == "done"


async def test_a_finished_step_offers_no_button(site):
    project = await site.start()
    client = site.services.client
    await act(client, project.workflow_id, CompleteStep(step_id="idea", actor="sam"))
    link = site.link("sam", project.workflow_id, "idea", "complete")
    async with site.http() as anyone:
        page = await anyone.get(link)
        assert page.status_code == 200
        assert "already done: there is nothing left to do" in page.text
        assert "<form" not in page.text


async def test_reject_link_asks_for_a_comment_and_sends_the_work_back(site):
    project = await site.start()
    wid = project.workflow_id
    for step, actor in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(site.services.client, wid, CompleteStep(step_id=step, actor=actor))
    link = site.link("stu", wid, "approve-outline", "reject")
    async with site.http() as anyone:
        confirm = await anyone.get(link)
        assert '<textarea id="comment" name="comment" rows="3" cols="60" required>' in confirm.text
        # Without a reason (a browser's `required` aside) the page asks again, link unused.
        bare = await anyone.post(link, data={"comment": "  ", **_form(confirm)})
        assert bare.status_code == 400
        assert "a rejection needs a reason: say in the comment what to change" in bare.text
        assert (await site.status(wid)).step("outline").state == "done"
        done = await anyone.post(link, data={"comment": "too <long>", **_form(confirm)})
        assert done.status_code == 200, done.text
    current = await eventually(
        lambda: site.status(wid), lambda s: s.step("outline").state == "active"
    )
    assert current.step("outline").revision == 2
    assert current.step("approve-outline").approvals == []  # cleared for the next round


async def test_two_clicks_at_once_act_once(site):
    project = await site.start()
    link = site.link("sam", project.workflow_id, "idea", "complete")
    async with site.http() as one, site.http() as two:
        form = _form(await one.get(link))
        first, second = await asyncio.gather(one.post(link, data=form), two.post(link, data=form))
    assert sorted([first.status_code, second.status_code]) == [200, 409]


async def test_unknown_project_or_step_in_a_genuine_link(site):
    async with site.http() as anyone:
        gone = await anyone.get(site.link("sam", "project-gone", "idea", "complete"))
        assert gone.status_code == 404 and "No such project" in gone.text
        project = await site.start()
        nostep = await anyone.get(site.link("sam", project.workflow_id, "nope", "complete"))
        assert nostep.status_code == 404 and "has no step" in nostep.text
        # a POST that never reached a workflow does not use the link up (no page offers
        # its form: the token is made as the confirmation page would)
        link = site.link("sam", "project-gone", "idea", "complete")
        form = {"csrf": csrf.token(site.settings.secret(), csrf.for_link(_nonce(site, link)))}
        assert (await anyone.post(link, data=form)).status_code == 404
        assert (await anyone.post(link, data=form)).status_code == 404


def test_commands_the_buttons_send():
    assert command_for("complete", "s", "a", {"note": " hi "}).note == "hi"
    review = command_for("reject", "s", "a", {"comment": "no"})
    assert (review.approve, review.comment) == (False, "no")
    assert command_for("approve", "s", "a", {}).approve is True
    assert command_for("choose", "s", "a", {"option": "video"}).option == "video"
    for action, fields in (("choose", {}), ("delete", {})):
        try:
            command_for(action, "s", "a", fields)
        except ValueError:
            continue
        raise AssertionError(f"{action} {fields} accepted")


def _nonce(site, link: str) -> str:
    return verify(site.settings.secret(), link.removeprefix("/act/"), datetime.now(UTC)).nonce


def _form(confirmation) -> dict[str, str]:
    """The confirmation page's form token, to post with."""
    return {"csrf": csrf_of(confirmation.text)}


async def test_decisions_offer_their_options_on_tasks_and_links(site):
    project = await site.start("Campaign", playbook="social-campaign")
    wid = project.workflow_id
    await act(site.services.client, wid, CompleteStep(step_id="brief", actor="sam"))
    link = site.link("pat", wid, "approach", "choose")
    async with site.http() as anyone:
        confirm = await anyone.get(link)
        assert '<option value="paid">' in confirm.text
        assert '<option value="organic">' in confirm.text
        missing = await anyone.post(link, data=_form(confirm))
        assert missing.status_code == 400 and "pick one of the options" in missing.text
        done = await anyone.post(link, data={"option": "organic", **_form(confirm)})
        assert done.status_code == 200, done.text
    assert (await site.status(wid)).step("approach").option == "organic"


async def test_choose_from_my_tasks(site):
    project = await site.start("Campaign", playbook="social-campaign")
    wid = project.workflow_id
    await act(site.services.client, wid, CompleteStep(step_id="brief", actor="sam"))
    async with site.http("pat") as pat:
        tasks = await eventually(lambda: pat.get("/tasks"), lambda r: "approach" in r.text)
        assert '<option value="paid">' in tasks.text
        fields = {"workflow_id": wid, "step_id": "approach", "action": "choose", **_form(tasks)}
        await pat.post("/tasks/act", data={**fields, "option": "paid"})
        flash = (await pat.get("/tasks")).text
        assert "Pat PM chose paid for &#39;Choose paid or organic distribution&#39;" in flash
    assert (await site.status(wid)).step("approach").option == "paid"


async def test_a_link_for_an_earlier_round_is_out_of_date_and_acts_on_nothing(site):
    """The approval's link of round 1, opened after a rejection sent the work back: the
    page says so, and neither a look nor a post changes anything."""
    from baton.links import action_url, sign

    project = await site.start()
    for step, owner in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(
            site.services.client, project.workflow_id, CompleteStep(step_id=step, actor=owner)
        )
    expires = datetime.now(UTC) + timedelta(days=1)
    old = action_url("", sign(site.settings.secret(), "stu", project.workflow_id,
                              "approve-outline", "approve", expires, revision=1))  # fmt: skip
    rejection = ReviewStep(step_id="approve-outline", actor="sam", approve=False, comment="no")
    await act(site.services.client, project.workflow_id, rejection)
    assert (await site.status(project.workflow_id)).step("approve-outline").revision == 2
    async with site.http() as anyone:
        shown = await anyone.get(old)
        assert shown.status_code == 409 and "This link is out of date" in shown.text
        assert "revision 1" in shown.text and "now at revision 2" in shown.text
        assert "is not re-submitted yet" in shown.text
        secret = site.settings.secret()
        nonce = verify(secret, old.removeprefix("/act/"), datetime.now(UTC)).nonce
        posted = await anyone.post(old, data={"csrf": csrf.token(secret, csrf.for_link(nonce))})
        assert posted.status_code == 409
    step = (await site.status(project.workflow_id)).step("approve-outline")
    assert step.approvals == [] and step.state == "waiting"
    # Reworked and re-submitted: the old link still acts on nothing, and says where the
    # live one is.
    await act(
        site.services.client, project.workflow_id, CompleteStep(step_id="outline", actor="alice")
    )
    async with site.http() as anyone:
        shown = await anyone.get(old)
        assert shown.status_code == 409
        assert "sent back for rework and has been re-submitted since" in shown.text
        assert "The newer review request has the live link" in shown.text
    assert (await site.status(project.workflow_id)).step("approve-outline").approvals == []
    # Approved since: the old link has nothing left to do, and says so.
    for approver in ("sam", "stu"):
        review = ReviewStep(step_id="approve-outline", actor=approver, approve=True)
        await act(site.services.client, project.workflow_id, review)
    async with site.http() as anyone:
        shown = await anyone.get(old)
        assert shown.status_code == 409
        assert "this revision is done" in shown.text and "Nothing is left to do" in shown.text


async def test_a_task_link_from_before_a_rework_points_to_the_rework_message(site):
    project = await site.start()
    for step, owner in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(
            site.services.client, project.workflow_id, CompleteStep(step_id=step, actor=owner)
        )
    old = site.link("alice", project.workflow_id, "outline", "complete", revision=1)
    rejection = ReviewStep(step_id="approve-outline", actor="sam", approve=False, comment="no")
    await act(site.services.client, project.workflow_id, rejection)
    async with site.http() as anyone:
        shown = await anyone.get(old)
    assert shown.status_code == 409
    assert "now at revision 2: it was sent back for rework since" in shown.text
    assert "The rework message has the live link" in shown.text


async def test_my_tasks_say_who_sent_a_rework_back_and_why(site):
    project = await site.start()
    for step, owner in (("idea", "sam"), ("keywords", "sam"), ("outline", "alice")):
        await act(
            site.services.client, project.workflow_id, CompleteStep(step_id=step, actor=owner)
        )
    rejection = ReviewStep(
        step_id="approve-outline", actor="sam", approve=False, comment="needs a <hook>"
    )
    await act(site.services.client, project.workflow_id, rejection)
    async with site.http("alice") as alice:
        tasks = await eventually(
            lambda: alice.get("/tasks"), lambda r: "Sent back by Sam Strategist" in r.text
        )
    assert "Sent back by Sam Strategist: “needs a &lt;hook&gt;”" in tasks.text
