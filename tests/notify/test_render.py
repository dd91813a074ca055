"""Rendered messages: every kind says what, by when (the recipient's local time), which
project, who is before and after, how to act; and nothing anyone typed becomes HTML."""

from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from pydantic import ValidationError

from baton.notify.markdown import render_markdown
from baton.notify.render import KINDS, STEP_KINDS, MessageContext, render
from baton.people import Person

DUE_WINTER = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)  # 17:00 EST in New York
DUE_SUMMER = datetime(2026, 7, 1, 21, 0, tzinfo=UTC)  # 17:00 EDT in New York
ACTION = "https://baton.example.com/act/TOKEN-abc.def"
ALICE = Person(id="alice", name="Alice Adams", timezone="America/New_York")


def context(kind: str, **changes) -> MessageContext:
    fields = {
        "kind": kind,
        "recipient": ALICE,
        "project_name": "Spring launch post",
        "workflow_id": "project-spring-launch-post",
        "playbook_name": "Blog post",
        "launch": "publish date",
        "launch_date": date(2026, 12, 15),
        "project_manager": {"id": "pat", "name": "Pat Park"},
        "step": {
            "id": "draft",
            "name": "Write final draft",
            "kind": "task",
            "due": DUE_WINTER,
            "revision": 1,
            "owners": [{"id": "alice", "name": "Alice Adams"}],
        },
        "before": [
            {
                "name": "Approve outline",
                "owners": [{"id": "stu", "name": "Stu Stone"}],
                "state": "done",
                "note": "ship it",
            }
        ],
        "after": [{"name": "Create images", "owners": [{"id": "dana", "name": "Dana Diaz"}]}],
        "detail": "too long",
        "actor": {"id": "stu", "name": "Stu Stone"},
        "instructions": "Write **1500** words.",
        "action_url": ACTION,
        "failed_recipient": {"id": "bob", "name": "Bob Brown"},
    }
    fields.update(changes)
    return MessageContext.model_validate(fields)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_subject_text_and_html(kind):
    rendered = render(context(kind))
    assert rendered.subject.startswith("[Spring launch post] ")
    assert "\n" not in rendered.subject and len(rendered.subject) < 160
    assert rendered.text.startswith("Hi Alice Adams,")
    assert rendered.html.startswith("<!DOCTYPE html>")
    for body in (rendered.text, rendered.html):
        assert "Spring launch post" in body
        assert "Publish date" in body and "Tue 2026-12-15" in body  # project and launch
        assert "Pat Park" in body
        assert "What to do" in body or "WHAT TO DO" in body


@pytest.mark.parametrize("kind", sorted(STEP_KINDS))
def test_due_is_in_the_recipients_time_zone(kind):
    winter = render(context(kind))
    assert "Sat 2026-12-05 17:00 EST" in winter.text
    assert "Sat 2026-12-05 17:00 EST" in winter.html
    assert "22:00" not in winter.text  # never the UTC instant
    summer = render(context(kind, step={"id": "draft", "name": "Write", "due": DUE_SUMMER}))
    assert "Wed 2026-07-01 17:00 EDT" in summer.text
    berlin = render(
        context(kind, recipient=Person(id="alice", name="Alice", timezone="Europe/Berlin"))
    )
    assert "Sat 2026-12-05 23:00 CET" in berlin.text
    assert "Europe/Berlin" in berlin.text


def test_subject_carries_the_local_due_for_work_messages():
    assert render(context("assigned")).subject == (
        "[Spring launch post] Your turn: Write final draft, due Sat 2026-12-05 17:00 EST"
    )
    assert "EST" in render(context("reminder")).subject
    assert "EST" in render(context("follow_up")).subject


def test_no_due_date_is_said_plainly():
    rendered = render(context("assigned", step={"id": "draft", "name": "Write", "due": None}))
    assert "no fixed due date" in rendered.text


@pytest.mark.parametrize("kind", KINDS)
def test_how_to_act_cli_line_and_link(kind):
    rendered = render(context(kind))
    for body in (rendered.text, rendered.html):
        assert "baton " in body
        assert ACTION in body
    assert f'href="{ACTION}"' in rendered.html
    assert any(link.url == ACTION for link in rendered.links)


def test_cli_lines_fit_the_step_kind():
    task = render(context("assigned")).text
    assert "baton complete spring-launch-post draft --as alice" in task
    review = render(
        context(
            "review_requested",
            step={"id": "approve-outline", "name": "Approve outline", "kind": "approval"},
        )
    ).text
    assert "baton review spring-launch-post approve-outline --approve --as alice" in review
    assert "baton review spring-launch-post approve-outline --reject" in review
    decision = render(
        context(
            "assigned",
            step={"id": "format", "name": "Pick", "kind": "decision", "options": ["blog", "video"]},
        )
    ).text
    assert "baton choose spring-launch-post format blog|video --as alice" in decision
    escalation = render(context("escalated", recipient=Person(id="pat", name="Pat"))).text
    assert "baton reassign spring-launch-post draft --to PERSON --as pat" in escalation
    assert "baton status spring-launch-post" in render(context("summary")).text


def test_given_cli_command_is_shown_first():
    rendered = render(context("assigned", cli_command="baton complete spring-post draft --as al"))
    assert "Mark done: baton complete spring-post draft --as al" in rendered.text
    assert "baton complete spring-post draft --as al" in rendered.html


def test_review_request_has_approve_and_reject_buttons():
    rendered = render(
        context(
            "review_requested",
            step={"id": "approve-outline", "name": "Approve outline", "kind": "approval"},
            approve_url="https://b.example/act/yes",
            reject_url="https://b.example/act/no",
            action_url=None,
        )
    )
    assert [(link.label, link.style) for link in rendered.links] == [
        ("Approve", "primary"),
        ("Reject", "danger"),
    ]
    assert 'href="https://b.example/act/yes"' in rendered.html
    assert 'href="https://b.example/act/no"' in rendered.html
    assert "Approve: https://b.example/act/yes" in rendered.text


@pytest.mark.parametrize("kind", sorted(STEP_KINDS))
def test_who_comes_before_and_after(kind):
    rendered = render(context(kind))
    for body in (rendered.text, rendered.html):
        assert "Approve outline" in body and "Stu Stone" in body
        assert "Create images" in body and "Dana Diaz" in body
    assert 'note: "ship it"' in rendered.text


def test_first_and_last_steps_say_so():
    rendered = render(context("assigned", before=[], after=[]))
    assert "this is the first step" in rendered.text
    assert "this is the last step" in rendered.text


def test_kind_specific_details():
    rework = render(context("rework"))
    assert 'Stu Stone sent "Write final draft" back' in rework.text
    assert 'Their reason: "too long"' in rework.text
    assert rework.subject.endswith("sent back by Stu Stone")
    cancelled = render(context("cancelled"))
    assert 'Stu Stone cancelled Spring launch post: "too long"' in cancelled.text
    assert 'WHAT TO DO: stop work on "Write final draft"' in cancelled.text
    assert cancelled.subject == "[Spring launch post] Cancelled: stop work on Write final draft"
    failure = render(context("delivery_failure", detail="SendGrid answered 400: bad address"))
    assert "Bob Brown" in failure.subject
    assert "SendGrid answered 400: bad address" in failure.text
    moved = render(context("rescheduled", step=None, launch_date=date(2026, 12, 22)))
    assert moved.subject == "[Spring launch post] The publish date moved to Tue 2026-12-22"
    summary = render(context("summary", step=None, detail="8 steps done, 1 late"))
    assert "8 steps done, 1 late" in summary.html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", 'https://b.example/"><script>', "https://a b", "ftp://x/y"]
)
def test_button_urls_must_be_web_addresses(url):
    with pytest.raises(ValidationError, match="http"):
        context("assigned", action_url=url)


def test_step_messages_need_a_step():
    with pytest.raises(ValidationError, match="needs the step"):
        context("assigned", step=None)
    with pytest.raises(ValidationError):
        context("nonsense")


def test_instructions_markdown_is_rendered_safely():
    instructions = (
        "Use **bold** and *care* with `x<y`.\n"
        "Second line.\n\n"
        "- one\n"
        "- [docs](https://ex.com/a?b=1&c=2)\n"
        "- [bad](javascript:alert(1))\n\n"
        '<b onclick="x()">raw</b> <script>alert(1)</script>'
    )
    html = render(context("assigned", instructions=instructions)).html
    assert "<strong>bold</strong>" in html and "<em>care</em>" in html
    assert "<code>x&lt;y</code>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://ex.com/a?b=1&amp;c=2" rel="noopener noreferrer">docs</a>' in html
    assert 'href="javascript' not in html
    assert "&lt;b onclick=&#34;x()&#34;&gt;raw&lt;/b&gt;" in html
    assert "<script>" not in html
    assert "Use <strong>bold</strong>" in html and "<br>" in html


def test_markdown_subset_units():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
    assert str(render_markdown("a\n\nb")) == "<p>a</p>\n<p>b</p>"
    assert str(render_markdown("* x\n* y")) == "<ul><li>x</li><li>y</li></ul>"
    assert str(render_markdown("2 * 3 * 4")) == "<p>2 * 3 * 4</p>"
    assert str(render_markdown("`**not bold**`")) == "<p><code>**not bold**</code></p>"
    # A quote cannot end the href early: the URL stops before it and stays text.
    assert str(render_markdown('[x](https://e.com/"onmouseover="y)')) == (
        "<p>[x](https://e.com/&#34;onmouseover=&#34;y)</p>"
    )
    assert str(render_markdown("[x](data:text/html,hi)")) == "<p>[x](data:text/html,hi)</p>"


EVIL = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'"
SAFE_TAGS = {
    "html", "head", "meta", "title", "body", "div", "p", "h1", "h2", "strong", "em",
    "code", "a", "ul", "li", "table", "tr", "td", "br", "blockquote",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def evil_context(kind: str) -> MessageContext:
    evil_person = {"id": "eve", "name": EVIL}
    return context(
        kind,
        recipient=Person(id="eve", name=EVIL, timezone="America/New_York"),
        project_name=EVIL,
        playbook_name=EVIL,
        launch=EVIL,
        project_manager=evil_person,
        step={"id": "draft", "name": EVIL, "due": DUE_WINTER, "owners": [evil_person]},
        before=[{"name": EVIL, "owners": [evil_person], "note": EVIL, "link": EVIL}],
        after=[{"name": EVIL, "owners": [evil_person], "state": EVIL}],
        detail=EVIL,
        actor=evil_person,
        instructions=EVIL + "\n\n- " + EVIL + '\n\n[x](https://e.com/"onerror=alert(3))',
        failed_recipient=evil_person,
        approve_url="https://b.example/act/a?x=1&y=2",
    )


@pytest.mark.parametrize("kind", KINDS)
def test_html_injection_is_escaped_in_every_template(kind):
    rendered = render(evil_context(kind))
    html = rendered.html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    if kind == "review_requested":
        assert 'href="https://b.example/act/a?x=1&amp;y=2"' in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    )
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name == "href":
                assert value and value.startswith(("https://", "http://")), value
    # Text versions are plain text: the characters as typed, for a mail client to show.
    assert EVIL in rendered.text
    assert "\n" not in rendered.subject


def test_markdown_lists_and_paragraphs_mix_within_a_block():
    assert str(render_markdown("Steps:\n- a\n- b\nThen *ship*.")) == (
        "<p>Steps:</p>\n<ul><li>a</li><li>b</li></ul>\n<p>Then <em>ship</em>.</p>"
    )
