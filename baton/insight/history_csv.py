"""The history spreadsheet: a team's past projects as CSV, one row per step run, for
`baton history import|export` (and the API). Import is all or nothing: every problem is
collected with its file, row (the CSV line number) and field, like the people import.

Columns, in any order: project, playbook, step, owner, activated_at, due_at,
finished_at (required), revision (default 1) and outcome (done, skipped or cancelled;
default done). Instants are ISO 8601 with an offset (`2026-03-02T17:00:00+01:00`, or
`Z` for UTC); `owner` lists several people separated by `;` (an approval's approvers).
A step's kind comes from the playbook. Export writes every column, instants in UTC with
their offset, and reads back to the same runs (an import knows no playbook version and
no reviews: those stay empty).
"""

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from baton.bounds import EARLIEST, INT_MAX, LATEST, NAME_MAX, PERSON_ID, clean_text
from baton.errors import Invalid, Problem, csv_rows
from baton.insight.runs import OUTCOMES, StepRun
from baton.people import closest
from baton.playbook import Playbook

REQUIRED = ("project", "playbook", "step", "owner", "activated_at", "due_at", "finished_at")
OPTIONAL = ("revision", "outcome")
COLUMNS = (*REQUIRED, *OPTIONAL)
INSTANTS = ("activated_at", "due_at", "finished_at")
SHOWN_PROBLEMS = 30  # a file wrong on every row: the message shows this many, `problems` all
_EXAMPLE = "2026-03-02T17:00:00+01:00"


class HistoryFileError(Invalid):
    """A history file that cannot be imported, with every problem and where it is."""

    def __init__(self, problems: list[Problem]):
        shown = [str(problem) for problem in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            shown.append(f"... and {len(problems) - SHOWN_PROBLEMS} more problems")
        super().__init__("\n".join(shown), problems=problems)


def load_history_file(path: str | Path, playbooks: dict[str, Playbook]) -> list[StepRun]:
    """Read and validate a history CSV file (see the module docstring)."""
    return parse_history_csv(read_history_file(path), str(path), playbooks)


def read_history_file(path: str | Path) -> str:
    """A history file's text (a spreadsheet's byte-order mark dropped), or why not."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        message = f"cannot read: {error.strerror}"
        raise HistoryFileError([Problem(file=str(path), message=message)]) from None
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start}); save it as UTF-8 CSV"
        raise HistoryFileError([Problem(file=str(path), message=message)]) from None


def parse_history_csv(text: str, source: str, playbooks: dict[str, Playbook]) -> list[StepRun]:
    """The step runs a history CSV lists; `playbooks` (id -> the published version) says
    which playbooks and steps exist and each step's kind. Raises HistoryFileError with
    every problem found."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    columns = _header(reader, source)
    problems: list[Problem] = []
    runs: list[StepRun] = []
    first_line: dict[tuple[str, str, int], int] = {}
    line = reader.line_num
    for cells in csv_rows(reader, source, HistoryFileError):
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(source, start, problems)
        if len(cells) > len(columns):
            row.problem(
                None,
                f"has {len(cells)} cells but the header names {len(columns)} columns; "
                "quote cells that contain a comma",
            )
            continue
        fields = {column: cell.strip() for column, cell in zip(columns, cells, strict=False)}
        run = _run(fields, row, playbooks)
        if run is None:
            continue
        if run.key in first_line:
            project, step, revision = run.key
            row.problem(
                None,
                f"project '{project}', step '{step}', revision {revision} is also on line "
                f"{first_line[run.key]}; a step run is listed once (a rework round is the "
                "next revision)",
            )
            continue
        first_line[run.key] = start
        runs.append(run)
    if not runs and not problems:
        problems.append(
            Problem(file=source, message="has no rows after the header; add one row per step run")
        )
    if problems:
        raise HistoryFileError(problems)
    return runs


def write_history_csv(runs: Iterable[StepRun]) -> str:
    """The runs as a history CSV (every column, instants in UTC with their offset, owners
    joined by `;`), which `parse_history_csv` reads back to the same runs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for run in runs:
        writer.writerow(
            [
                run.project,
                run.playbook,
                run.step,
                ";".join(run.owners),
                *(getattr(run, name).astimezone(UTC).isoformat() for name in INSTANTS),
                run.revision,
                run.outcome,
            ]
        )
    return out.getvalue()


class _Row:
    """Where one CSV row's problems go: the file, the row's first line, and the field."""

    def __init__(self, source: str, line: int, problems: list[Problem]):
        self.source, self.line, self.problems = source, line, problems
        self.ok = True

    def problem(self, field: str | None, message: str) -> None:
        self.ok = False
        where = f"line {self.line}"
        self.problems.append(Problem(file=self.source, where=where, field=field, message=message))


def _header(reader, source: str) -> list[str]:
    """The columns the first line names, refused with every problem at once."""
    header = next(csv_rows(reader, source, HistoryFileError), None)
    if not header or not any(cell.strip() for cell in header):
        message = f"is empty; the first line names the columns: {', '.join(COLUMNS)}"
        raise HistoryFileError([Problem(file=source, message=message)])
    columns = [cell.strip().lower() for cell in header]
    problems = []
    for index, column in enumerate(columns):
        if column not in COLUMNS:
            known = closest(column, COLUMNS)
            hint = f"did you mean '{known}'? " if known else ""
            message = f"unknown column '{column}'; {hint}columns are {', '.join(COLUMNS)}"
            problems.append(Problem(file=source, where="line 1", message=message))
        elif column in columns[:index]:
            message = f"the column '{column}' is named twice; keep one"
            problems.append(Problem(file=source, where="line 1", message=message))
    for column in REQUIRED:
        if column not in columns:
            message = f"add a '{column}' column (required: {', '.join(REQUIRED)})"
            problems.append(Problem(file=source, where="line 1", message=message))
    if problems:
        raise HistoryFileError(problems)
    return columns


def _run(fields: dict[str, str], row: _Row, playbooks: dict[str, Playbook]) -> StepRun | None:
    """One row as a step run, or None after reporting everything wrong with it."""
    for column in REQUIRED:
        if not fields.get(column):
            row.problem(column, "is empty; every row needs it")
    project = _project(fields.get("project", ""), row)
    step = _step(fields.get("playbook", ""), fields.get("step", ""), row, playbooks)
    owners = _owners(fields.get("owner", ""), row)
    instants = {name: _instant(fields.get(name, ""), name, row) for name in INSTANTS}
    revision = _revision(fields.get("revision", ""), row)
    outcome = (fields.get("outcome") or "done").lower()
    if outcome not in OUTCOMES:
        row.problem(
            "outcome", f"'{fields['outcome']}' is not an outcome; use {', '.join(OUTCOMES)}"
        )
    activated, finished = instants["activated_at"], instants["finished_at"]
    if activated and finished and finished < activated:
        row.problem(
            "finished_at",
            f"{fields['finished_at']} is before activated_at {fields['activated_at']}; "
            "a step finishes after it starts",
        )
    if not row.ok:
        return None
    return StepRun(
        project=project,
        playbook=fields["playbook"],
        step=fields["step"],
        kind=step.kind,
        owners=owners,
        revision=revision,
        activated_at=activated,
        due_at=instants["due_at"],
        finished_at=finished,
        outcome=outcome,
    )


def _project(value: str, row: _Row) -> str:
    if len(value) > NAME_MAX:
        row.problem("project", f"is longer than {NAME_MAX} characters; shorten the name")
        return value
    if "\n" in value or "\t" in value:
        row.problem("project", "must be on one line")
        return value
    try:
        return clean_text(value)
    except ValueError as error:
        row.problem("project", str(error))
        return value


def _step(playbook_id: str, step_id: str, row: _Row, playbooks: dict[str, Playbook]):
    """The playbook's step the row names, or None after saying what is known instead."""
    if not playbook_id:
        return None
    playbook = playbooks.get(playbook_id)
    if playbook is None:
        close = closest(playbook_id, playbooks)
        if close:
            hint = f"did you mean '{close}'?"
        elif playbooks:
            hint = f"known playbooks: {', '.join(sorted(playbooks))}"
        else:
            hint = "no playbook is published yet; publish it with `baton playbook publish ID`"
        row.problem("playbook", f"unknown playbook '{playbook_id}'; {hint}")
        return None
    if not step_id:
        return None
    if step_id not in playbook.by_id:
        close = closest(step_id, playbook.by_id)
        hint = f"did you mean '{close}'? " if close else ""
        steps = ", ".join(playbook.by_id)
        row.problem(
            "step", f"step '{step_id}' is not in playbook '{playbook_id}'; {hint}its steps: {steps}"
        )
        return None
    return playbook.step(step_id)


def _owners(value: str, row: _Row) -> list[str]:
    owners = [part.strip() for part in value.split(";") if part.strip()]
    for owner in owners:
        if len(owner) > 64 or not re.fullmatch(PERSON_ID, owner):
            row.problem(
                "owner",
                f"{owner[:64]!r} is not a person id; use the ids of `baton people list` "
                "(letters, digits and . _ @ -), several separated by ;",
            )
    if value and not owners:
        row.problem("owner", "names nobody; write a person id (several separated by ;)")
    return owners


def _instant(value: str, field: str, row: _Row) -> datetime | None:
    """An ISO 8601 instant with its offset, in UTC; None after reporting a problem."""
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        row.problem(field, f"'{value[:40]}' is not an ISO 8601 instant; write it like {_EXAMPLE}")
        return None
    if instant.tzinfo is None:
        row.problem(
            field,
            f"'{value}' has no offset, so the instant is unclear; add one, like +00:00 or Z "
            f"for UTC ({_EXAMPLE})",
        )
        return None
    if not EARLIEST.year <= instant.year <= LATEST.year:
        row.problem(
            field, f"'{value}' is outside the dates Baton plans for ({EARLIEST} to {LATEST})"
        )
        return None
    return instant.astimezone(UTC)


def _revision(value: str, row: _Row) -> int:
    if not value:
        return 1
    if not re.fullmatch(r"[0-9]{1,10}", value) or not 1 <= int(value) <= INT_MAX:
        row.problem(
            "revision", f"'{value[:20]}' is not a revision; write 1, 2, ... (1 for the first run)"
        )
        return 1
    return int(value)
