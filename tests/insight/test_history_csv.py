"""The history spreadsheet: what a good file becomes, every kind of mistake named with its
line and field (all of them at once), and export reading back to the same runs."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from baton.insight.history_csv import (
    COLUMNS,
    HistoryFileError,
    load_history_file,
    parse_history_csv,
    write_history_csv,
)
from baton.insight.runs import StepRun
from baton.playbook import find_playbook

PLAYBOOKS = {name: find_playbook(name) for name in ("blog-post", "newsletter")}
HEADER = "project,playbook,step,owner,activated_at,due_at,finished_at"
GOOD = "\n".join(
    [
        f"{HEADER},revision,outcome",
        "Spring post,blog-post,idea,sam,"
        "2026-03-01T09:00:00+01:00,2026-03-02T17:00:00+01:00,2026-03-02T12:00:00+01:00,,",
        "Spring post,blog-post,approve-outline,sam; stu,"
        "2026-03-10T09:00:00Z,2026-03-12T17:00:00Z,2026-03-13T17:00:00Z,1,done",
        "Spring post,blog-post,approve-outline,sam;stu,"
        "2026-03-13T17:00:00Z,2026-03-15T17:00:00Z,2026-03-14T10:00:00Z,2,",
        "Spring post,blog-post,images,dana,"
        "2026-03-20T09:00:00Z,2026-03-22T17:00:00Z,2026-03-20T09:00:00Z,,Skipped",
    ]
)


def parse(text: str) -> list[StepRun]:
    return parse_history_csv(text, "history.csv", PLAYBOOKS)


def problems(text: str) -> list[str]:
    with pytest.raises(HistoryFileError) as raised:
        parse(text)
    return [str(problem) for problem in raised.value.problems]


def row(**fields: str) -> str:
    """A good blog-post row with some fields changed."""
    values = {
        "project": "P",
        "playbook": "blog-post",
        "step": "draft",
        "owner": "alice",
        "activated_at": "2026-03-01T09:00:00+00:00",
        "due_at": "2026-03-03T17:00:00+00:00",
        "finished_at": "2026-03-04T17:00:00+00:00",
    } | fields
    return ",".join(values[column] for column in HEADER.split(","))


def test_a_good_file_becomes_its_runs():
    runs = parse(GOOD)
    assert [(r.step, r.revision, r.kind, r.owners, r.outcome) for r in runs] == [
        ("idea", 1, "task", ["sam"], "done"),
        ("approve-outline", 1, "approval", ["sam", "stu"], "done"),
        ("approve-outline", 2, "approval", ["sam", "stu"], "done"),
        ("images", 1, "task", ["dana"], "skipped"),
    ]
    idea = runs[0]
    assert (idea.project, idea.playbook, idea.playbook_version) == (
        "Spring post",
        "blog-post",
        None,
    )
    # Instants keep their meaning and come out in UTC.
    assert idea.activated_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert idea.activated_at.utcoffset() == timedelta(0)
    assert idea.lateness_days == pytest.approx(-5 / 24)
    assert runs[1].lateness_days == pytest.approx(1.0)
    assert runs[1].cycle_days == pytest.approx(3 + 8 / 24)


def test_columns_in_any_order_with_a_bom_and_blank_lines():
    text = (
        "\ufeffFinished_At,owner,step,playbook,project,due_at,activated_at\n"
        "\n"
        "2026-03-04T17:00:00Z,alice,draft,blog-post,P,2026-03-03T17:00:00Z,2026-03-01T09:00:00Z\n"
    )
    [run] = parse(text)
    assert (run.step, run.owners, run.revision, run.outcome) == ("draft", ["alice"], 1, "done")
    assert run.finished_at == datetime(2026, 3, 4, 17, tzinfo=UTC)


def test_an_empty_file_and_a_header_alone_are_refused_clearly():
    assert problems("") == [
        "history.csv: is empty; the first line names the columns: " + ", ".join(COLUMNS)
    ]
    assert problems(HEADER + "\n\n") == [
        "history.csv: has no rows after the header; add one row per step run"
    ]


def test_unknown_and_missing_columns_are_named():
    found = problems("project,playbook,stepp,owner,activated_at,due_at,finished_at,notes\n")
    assert found == [
        "history.csv, line 1: unknown column 'stepp'; did you mean 'step'? columns are "
        + ", ".join(COLUMNS),
        "history.csv, line 1: unknown column 'notes'; columns are " + ", ".join(COLUMNS),
        "history.csv, line 1: add a 'step' column (required: project, playbook, step, owner, "
        "activated_at, due_at, finished_at)",
    ]


def test_a_naive_instant_says_to_add_an_offset():
    [message] = problems(f"{HEADER}\n{row(due_at='2026-03-03T17:00:00')}\n")
    assert message == (
        "history.csv, line 2, field 'due_at': '2026-03-03T17:00:00' has no offset, so the "
        "instant is unclear; add one, like +00:00 or Z for UTC (2026-03-02T17:00:00+01:00)"
    )


def test_every_problem_of_every_row_is_listed_with_its_line_and_field():
    text = "\n".join(
        [
            HEADER + ",revision,outcome",
            row() + ",1,done",
            row(activated_at="yesterday", owner="") + ",0,finished",
            row(project="", finished_at="2026-02-28T09:00:00Z") + ",,",
            row(owner="alice;bob smith") + ",2,",
            row(due_at="1999-12-31T17:00:00Z") + ",3,",
        ]
    )
    assert problems(text) == [
        "history.csv, line 3, field 'owner': is empty; every row needs it",
        "history.csv, line 3, field 'activated_at': 'yesterday' is not an ISO 8601 instant; "
        "write it like 2026-03-02T17:00:00+01:00",
        "history.csv, line 3, field 'revision': '0' is not a revision; write 1, 2, ... "
        "(1 for the first run)",
        "history.csv, line 3, field 'outcome': 'finished' is not an outcome; use done, "
        "skipped, cancelled",
        "history.csv, line 4, field 'project': is empty; every row needs it",
        "history.csv, line 4, field 'finished_at': 2026-02-28T09:00:00Z is before "
        "activated_at 2026-03-01T09:00:00+00:00; a step finishes after it starts",
        "history.csv, line 5, field 'owner': 'bob smith' is not a person id; use the ids of "
        "`baton people list` (letters, digits and . _ @ -), several separated by ;",
        "history.csv, line 6, field 'due_at': '1999-12-31T17:00:00Z' is outside the dates "
        "Baton plans for (2000-01-01 to 2100-12-31)",
    ]


def test_an_unknown_playbook_or_step_is_named_with_a_suggestion():
    text = "\n".join(
        [
            HEADER,
            row(playbook="blgo-post"),
            row(playbook="webinar", step="rehearse"),
            row(step="drfat"),
            row(step="translate"),
        ]
    )
    steps = "idea, keywords, outline, approve-outline, draft, images, promote, publish"
    assert problems(text) == [
        "history.csv, line 2, field 'playbook': unknown playbook 'blgo-post'; did you mean "
        "'blog-post'?",
        "history.csv, line 3, field 'playbook': unknown playbook 'webinar'; known "
        "playbooks: blog-post, newsletter",
        f"history.csv, line 4, field 'step': step 'drfat' is not in playbook 'blog-post'; did "
        f"you mean 'draft'? its steps: {steps}",
        f"history.csv, line 5, field 'step': step 'translate' is not in playbook 'blog-post'; "
        f"its steps: {steps}",
    ]


def test_no_playbook_published_says_how_to_publish():
    with pytest.raises(HistoryFileError) as raised:
        parse_history_csv(f"{HEADER}\n{row()}\n", "h.csv", {})
    assert str(raised.value) == (
        "h.csv, line 2, field 'playbook': unknown playbook 'blog-post'; no playbook is "
        "published yet; publish it with `baton playbook publish ID`"
    )


def test_the_same_run_twice_names_both_lines():
    text = "\n".join([HEADER + ",revision", row() + ",", row() + ",2", row() + ",1"])
    assert problems(text) == [
        "history.csv, line 4: project 'P', step 'draft', revision 1 is also on line 2; a step "
        "run is listed once (a rework round is the next revision)"
    ]


def test_a_row_with_too_many_cells_and_a_quoted_comma():
    text = "\n".join([HEADER, row(project='"Posts, spring"'), row(project="Posts, autumn")])
    assert problems(text) == [
        "history.csv, line 3: has 8 cells but the header names 7 columns; quote cells that "
        "contain a comma"
    ]


def test_a_quoted_cell_over_several_lines_counts_lines_right():
    text = "\n".join([HEADER, row(project='"two\nlines"'), row(owner="")])
    assert problems(text) == [
        "history.csv, line 2, field 'project': must be on one line",
        "history.csv, line 4, field 'owner': is empty; every row needs it",
    ]


def test_a_file_wrong_on_every_row_shows_the_first_problems_and_counts_the_rest():
    text = "\n".join([HEADER] + [row(step="nope")] * 40)
    with pytest.raises(HistoryFileError) as raised:
        parse(text)
    assert len(raised.value.problems) == 40
    lines = str(raised.value).splitlines()
    assert len(lines) == 31
    assert lines[-1] == "... and 10 more problems"


def test_export_writes_every_column_and_reads_back_to_the_same_runs():
    runs = parse(GOOD)
    text = write_history_csv(runs)
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1] == (
        "Spring post,blog-post,idea,sam,2026-03-01T08:00:00+00:00,2026-03-02T16:00:00+00:00,"
        "2026-03-02T11:00:00+00:00,1,done"
    )
    assert lines[2].split(",")[3] == "sam;stu"
    assert parse(text) == runs


def test_export_round_trips_other_offsets_and_quoted_names():
    berlin = timezone(timedelta(hours=1))
    run = StepRun(
        project='Launch, "big" one',
        playbook="newsletter",
        step=PLAYBOOKS["newsletter"].steps[0].id,
        kind=PLAYBOOKS["newsletter"].steps[0].kind,
        owners=["a.b@c"],
        revision=3,
        activated_at=datetime(2026, 5, 1, 9, 30, 15, 250000, tzinfo=berlin),
        due_at=datetime(2026, 5, 2, 17, tzinfo=berlin),
        finished_at=datetime(2026, 5, 3, 8, tzinfo=berlin),
        outcome="cancelled",
    )
    [back] = parse(write_history_csv([run]))
    assert back == run
    assert back.activated_at.tzinfo == UTC


def test_a_file_that_cannot_be_read(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(HistoryFileError) as raised:
        load_history_file(missing, PLAYBOOKS)
    assert str(raised.value) == f"{missing}: cannot read: No such file or directory"
    latin = tmp_path / "latin.csv"
    cafe = row(project="Caf\u00e9")
    latin.write_bytes(f"{HEADER}\n{cafe}\n".encode("latin-1"))
    with pytest.raises(HistoryFileError) as raised:
        load_history_file(latin, PLAYBOOKS)
    assert "not UTF-8 text" in str(raised.value)
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    assert load_history_file(good, PLAYBOOKS) == parse(GOOD)
