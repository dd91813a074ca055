"""Playbook loading and validation: every refusal names the file, the step and the field,
and says what is wrong; the bundled playbooks load; the graph helpers answer correctly."""

from datetime import time, timedelta
from pathlib import Path

import pytest

from baton.durations import DurationError, format_duration, parse_duration, parse_offset
from baton.playbook import (
    BUNDLED_DIR,
    PlaybookError,
    Problem,
    bundled_playbooks,
    find_playbook,
    load_playbook,
    parse_playbook,
    playbook_from_data,
)

HEADER = """\
id: sample
name: Sample playbook
roles:
  writer: Writer
  editor: Editor
  boss: Boss
"""

GOOD_STEPS = """\
steps:
  - {id: draft, name: Write the draft, owner: writer, due: -5d}
  - id: review
    name: Review the draft
    kind: approval
    approvers: [editor, boss]
    on_reject: draft
    after: [draft]
    due: -2d
  - {id: publish, name: Publish, owner: writer, after: [review], due: 0d}
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(header + body, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    problems = caught.value.problems
    assert problems, "a PlaybookError must carry at least one problem"
    return problems


def only_problem(path: Path, step: str | None, field: str | None) -> Problem:
    """The single problem at (step, field); each names the file it is in."""
    problems = problems_of(path)
    for problem in problems:
        assert problem.file == str(path)
    matching = [p for p in problems if p.step == step and p.field == field]
    assert matching, f"no problem at step={step!r} field={field!r}: {problems}"
    problem = matching[0]
    # The rendered form a person reads carries the same three coordinates.
    text = str(problem)
    assert text.startswith(str(path))
    if step:
        assert f"step '{step}'" in text
    if field:
        assert f"field '{field}'" in text
    return problem


def test_a_good_playbook_loads(tmp_path):
    playbook = load_playbook(write(tmp_path, GOOD_STEPS))
    assert [s.id for s in playbook.steps] == ["draft", "review", "publish"]
    assert playbook.due_time == time(17, 0)
    assert playbook.step("review").approvers == ["editor", "boss"]


# ---- one test per validation error ---------------------------------------------------


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "colour: blue\n" + GOOD_STEPS)
    problem = only_problem(path, None, "colour")
    assert "unknown key 'colour'" in problem.message


def test_unknown_key_in_a_step(tmp_path):
    path = write(
        tmp_path,
        "steps:\n  - {id: draft, name: Write, owner: writer, deu: -5d}\n",
    )
    problem = only_problem(path, "draft", "deu")
    assert "unknown key 'deu'" in problem.message


def test_duplicate_step_ids(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: draft, name: Write again, owner: writer}\n",
    )
    problem = only_problem(path, "draft", "id")
    assert "duplicate step id 'draft'" in problem.message


def test_cycle_names_the_path(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: a, name: A, owner: writer, after: [c]}\n"
        "  - {id: b, name: B, owner: writer, after: [a]}\n"
        "  - {id: c, name: C, owner: writer, after: [b]}\n",
    )
    problem = only_problem(path, "a", "after")
    assert "cycle" in problem.message
    assert "a -> b -> c -> a" in problem.message


def test_self_dependency_is_a_cycle(tmp_path):
    path = write(tmp_path, "steps:\n  - {id: a, name: A, owner: writer, after: [a]}\n")
    problem = only_problem(path, "a", "after")
    assert "a -> a" in problem.message


def test_cycle_through_a_condition(tmp_path):
    """`when: {step: X}` is a dependency too, so it can close a cycle."""
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: pick, name: Pick, kind: decision, owner: editor, options: [x], after: [use]}\n"
        "  - {id: use, name: Use, owner: writer, when: {step: pick, option: x}}\n",
    )
    problems = problems_of(path)
    cycles = [p for p in problems if "cycle" in p.message]
    assert len(cycles) == 1
    assert cycles[0].field == "after"
    assert cycles[0].step in ("pick", "use")
    assert "pick" in cycles[0].message and "use" in cycles[0].message


def test_unknown_after(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: publish, name: Publish, owner: writer, after: [drafts]}\n",
    )
    problem = only_problem(path, "publish", "after")
    assert "unknown step 'drafts'" in problem.message
    assert "draft" in problem.message.split("known steps:")[1]


def test_unknown_on_reject(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - id: review\n"
        "    name: Review\n"
        "    kind: approval\n"
        "    approvers: [editor]\n"
        "    on_reject: drafting\n"
        "    after: [draft]\n",
    )
    problem = only_problem(path, "review", "on_reject")
    assert "unknown step 'drafting'" in problem.message


def test_unknown_owner_role(tmp_path):
    path = write(tmp_path, "steps:\n  - {id: draft, name: Write, owner: author}\n")
    problem = only_problem(path, "draft", "owner")
    assert "unknown role 'author'" in problem.message
    assert "writer" in problem.message  # says which roles exist


def test_unknown_approvers_role(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: review, name: Review, kind: approval, approvers: [editor, legal],"
        " after: [draft]}\n",
    )
    problem = only_problem(path, "review", "approvers")
    assert "unknown role 'legal'" in problem.message


def test_unknown_when_step(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: video, name: Video, owner: writer, when: {step: format, option: video}}\n",
    )
    problem = only_problem(path, "video", "when.step")
    assert "unknown step 'format'" in problem.message


def test_unknown_when_option(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: format, name: Format, kind: decision, owner: editor, options: [text, video]}\n"
        "  - {id: video, name: Video, owner: writer, when: {step: format, option: audio}}\n",
    )
    problem = only_problem(path, "video", "when.option")
    assert "no option 'audio'" in problem.message
    assert "text, video" in problem.message


def test_when_step_that_is_not_a_decision(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: video, name: Video, owner: writer, when: {step: draft, option: x}}\n",
    )
    problem = only_problem(path, "video", "when.step")
    assert "'draft' is not a decision step" in problem.message


def test_undeclared_when_input_when_inputs_are_declared(tmp_path):
    path = write(
        tmp_path,
        "inputs:\n"
        "  include_video: {description: Make a video, default: false}\n"
        "steps:\n"
        "  - {id: video, name: Video, owner: writer, when: {input: include_vidoe}}\n",
    )
    problem = only_problem(path, "video", "when.input")
    assert "unknown input 'include_vidoe'" in problem.message
    assert "include_video" in problem.message


def test_when_input_is_free_when_no_inputs_are_declared(tmp_path):
    playbook = load_playbook(
        write(
            tmp_path, "steps:\n  - {id: video, name: V, owner: writer, when: {input: anything}}\n"
        )
    )
    assert playbook.step("video").when.input == "anything"


def one_step(extra: str) -> str:
    return "steps:\n  - {id: draft, name: W, owner: writer, " + extra + "}\n"


@pytest.mark.parametrize(
    ("body", "step", "field", "value"),
    [
        pytest.param(
            "reminders: [48h, soon]\n" + GOOD_STEPS, None, "reminders.1", "soon", id="word"
        ),
        pytest.param("reminders: [0h]\n" + GOOD_STEPS, None, "reminders.0", "0h", id="zero"),
        pytest.param(
            "escalation: {after: 4x}\n" + GOOD_STEPS, None, "escalation.after", "4x", id="unit"
        ),
        pytest.param(
            "escalation: {repeat: 24}\n" + GOOD_STEPS, None, "escalation.repeat", 24, id="no-unit"
        ),
        pytest.param(one_step("estimate: 2 days"), "draft", "estimate", "2 days", id="estimate"),
        pytest.param(one_step("estimate: -2d"), "draft", "estimate", "-2d", id="negative"),
    ],
)
def test_bad_duration(tmp_path, body, step, field, value):
    problem = only_problem(write(tmp_path, body), step, field)
    assert f"{value!r} is not a duration" in problem.message


@pytest.mark.parametrize("due", ["-3", "-3h", "minus 3d", "-3.5d"])
def test_bad_due_offset(tmp_path, due):
    path = write(tmp_path, one_step(f"due: {due}"))
    problem = only_problem(path, "draft", "due")
    assert "is not a due offset" in problem.message


def test_unquoted_due_time(tmp_path):
    """YAML 1.1 reads 17:00 as the number 1020; the message says to quote it."""
    path = write(tmp_path, "due_time: 17:00\n" + GOOD_STEPS)
    problem = only_problem(path, None, "due_time")
    assert "quotes" in problem.message


def test_bad_due_time(tmp_path):
    path = write(tmp_path, 'due_time: "25:00"\n' + GOOD_STEPS)
    problem = only_problem(path, None, "due_time")
    assert "is not a time of day" in problem.message


def test_approval_without_approvers(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: review, name: Review, kind: approval, after: [draft]}\n",
    )
    problem = only_problem(path, "review", "approvers")
    assert "at least one approver" in problem.message


def test_decision_without_options(tmp_path):
    path = write(tmp_path, "steps:\n  - {id: format, name: F, kind: decision, owner: editor}\n")
    problem = only_problem(path, "format", "options")
    assert "at least one option" in problem.message


def test_quorum_larger_than_the_approvers(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: review, name: Review, kind: approval, approvers: [editor, boss], policy: 3,"
        " after: [draft]}\n",
    )
    problem = only_problem(path, "review", "policy")
    assert "quorum of 3" in problem.message
    assert "2 approvers" in problem.message


def test_on_reject_must_come_before_the_approval(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: review, name: Review, kind: approval, approvers: [editor], on_reject: publish,"
        " after: [draft]}\n"
        "  - {id: publish, name: Publish, owner: writer, after: [review]}\n",
    )
    problem = only_problem(path, "review", "on_reject")
    assert "'publish' does not come before this approval" in problem.message


def test_invalid_yaml_gives_the_line(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"  # line 7
        "  - id: draft\n"  # line 8
        "    name: Write\n"  # line 9
        "   owner: writer\n",  # line 10: bad indentation
    )
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].file == str(path)
    assert "not valid YAML" in problems[0].message
    assert "line 10" in problems[0].message


def test_unknown_holidays_country(tmp_path):
    path = write(tmp_path, "calendar: business\nholidays: XX\n" + GOOD_STEPS)
    problem = only_problem(path, None, "holidays")
    assert "unknown country code 'XX'" in problem.message


def test_unreadable_file_missing(tmp_path):
    path = tmp_path / "missing.yaml"
    problems = problems_of(path)
    assert problems[0].file == str(path)
    assert "cannot read" in problems[0].message
    assert "No such file" in problems[0].message


def test_unreadable_file_is_a_directory(tmp_path):
    path = tmp_path / "folder.yaml"
    path.mkdir()
    problems = problems_of(path)
    assert problems[0].file == str(path)
    assert "cannot read" in problems[0].message


def test_unreadable_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes((HEADER + "description: Caf\xe9\n" + GOOD_STEPS).encode("latin-1"))
    problems = problems_of(path)
    assert problems[0].file == str(path)
    assert "cannot read" in problems[0].message
    assert "UTF-8" in problems[0].message


def test_not_a_mapping(tmp_path):
    path = write(tmp_path, "", header="- just\n- a list\n")
    problems = problems_of(path)
    assert problems[0].file == str(path)
    assert "mapping" in problems[0].message


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "steps:\n"
        "  - {id: draft, name: Write, owner: author}\n"
        "  - {id: publish, name: Publish, owner: writer, after: [drafts]}\n"
        "  - {id: format, name: Format, kind: decision, owner: editor}\n",
    )
    found = {(p.step, p.field) for p in problems_of(path)}
    assert {("draft", "owner"), ("publish", "after"), ("format", "options")} <= found
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    assert len(str(caught.value).splitlines()) == len(caught.value.problems)


# ---- the bundled playbooks -----------------------------------------------------------

BUNDLED = sorted(BUNDLED_DIR.glob("*.yaml"))


def test_there_are_bundled_playbooks():
    assert len(BUNDLED) >= 3
    assert list(bundled_playbooks()) == [p.stem for p in BUNDLED]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_playbook_loads(path):
    playbook = load_playbook(path)
    assert playbook.id == path.stem  # the file name is the id
    assert any(step.kind == "approval" for step in playbook.steps)
    for step in playbook.steps:
        assert step.due is not None or step.estimate or playbook.default_estimate


def test_bundled_playbooks_branch():
    branching = [
        path.stem
        for path in BUNDLED
        if any(
            step.kind == "decision" or step.when is not None for step in load_playbook(path).steps
        )
    ]
    assert len(branching) >= 2, branching


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_playbook_survives_a_round_trip(path):
    """Dumped to JSON (as it crosses the Temporal boundary) and read back, a playbook is
    the same: durations, offsets and times serialise in the playbook notation."""
    playbook = load_playbook(path)
    again = playbook_from_data(playbook.model_dump(mode="json"), source=str(path))
    assert again == playbook


# ---- find_playbook -------------------------------------------------------------------


def test_find_playbook_by_id():
    playbook = find_playbook("blog-post")
    assert playbook.id == "blog-post"
    assert playbook.name == "Blog post"


def test_find_playbook_by_path(tmp_path):
    assert find_playbook(str(BUNDLED_DIR / "newsletter.yaml")).id == "newsletter"
    path = write(tmp_path, GOOD_STEPS)
    assert find_playbook(str(path)).id == "sample"


def test_find_playbook_unknown_id():
    with pytest.raises(PlaybookError) as caught:
        find_playbook("blog-psot")
    message = str(caught.value)
    assert "blog-psot" in message
    assert "no such playbook" in message
    assert "blog-post" in message  # lists the bundled ones


def test_find_playbook_missing_file(tmp_path):
    with pytest.raises(PlaybookError) as caught:
        find_playbook(str(tmp_path / "nope.yaml"))
    assert "cannot read" in str(caught.value)


# ---- graph helpers -------------------------------------------------------------------


def test_ancestors():
    blog = find_playbook("blog-post")
    assert blog.ancestors("idea") == set()
    assert blog.ancestors("outline") == {"idea", "keywords"}
    assert blog.ancestors("publish") == {
        "idea",
        "keywords",
        "outline",
        "approve-outline",
        "draft",
        "images",
        "promote",
    }


def test_depends_on_includes_the_decision_a_condition_reads(tmp_path):
    playbook = load_playbook(
        write(
            tmp_path,
            "steps:\n"
            "  - {id: brief, name: Brief, owner: writer}\n"
            "  - {id: format, name: F, kind: decision, owner: editor, options: [a, b],"
            " after: [brief]}\n"
            "  - {id: a-work, name: A, owner: writer, after: [brief],"
            " when: {step: format, option: a}}\n"
            "  - {id: b-work, name: B, owner: writer, after: [format],"
            " when: {step: format, option: b}}\n",
        )
    )
    assert playbook.step("a-work").depends_on == ["brief", "format"]
    assert playbook.step("b-work").depends_on == ["format"]  # not listed twice
    assert playbook.ancestors("a-work") == {"brief", "format"}
    assert sorted(playbook.dependants("format")) == ["a-work", "b-work"]
    webinar = find_playbook("webinar")
    assert "format" in webinar.step("venue").depends_on


def test_rework_span_blog_post():
    blog = find_playbook("blog-post")
    assert blog.rework_span("approve-outline", "outline") == ["outline", "approve-outline"]


def test_rework_span_leaves_out_parallel_branches():
    newsletter = find_playbook("newsletter")
    # `sponsor` feeds `build` but does not come after `write`: it is not redone.
    assert newsletter.rework_span("approve", "write") == ["write", "build", "test", "approve"]


# ---- durations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [
        ("30m", timedelta(minutes=30), "30m"),
        ("90m", timedelta(minutes=90), "90m"),
        ("4h", timedelta(hours=4), "4h"),
        ("48h", timedelta(hours=48), "48h"),
        ("2d", timedelta(days=2), "48h"),
        ("3d", timedelta(days=3), "72h"),
        ("4d", timedelta(days=4), "4d"),
        ("1w", timedelta(weeks=1), "7d"),
    ],
)
def test_duration_parse_and_format(text, value, shown):
    assert parse_duration(text) == value
    assert format_duration(value) == shown
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["", "h", "4", "0h", "-4h", "4x", "1.5h", "four hours"])
def test_bad_durations(text):
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "days"), [("-30d", -30), ("0d", 0), ("+2d", 2), ("5d", 5)])
def test_offsets(text, days):
    assert parse_offset(text) == days


@pytest.mark.parametrize("text", ["-30", "-30h", "d", "1w", -3])
def test_bad_offsets(text):
    with pytest.raises(DurationError, match="is not a due offset"):
        parse_offset(text)


def test_inline_text_source_is_named():
    with pytest.raises(PlaybookError) as caught:
        parse_playbook("id: x\nname: X\nroles: {a: A}\nsteps: []\n", source="inline.yaml")
    assert all(p.file == "inline.yaml" for p in caught.value.problems)
    assert any(p.field == "steps" for p in caught.value.problems)
