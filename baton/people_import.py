"""Reading a people file (YAML or CSV) for import, refusing the whole file at once.

Every problem names the file, the row (CSV line, YAML entry) and the field, and says
what to write; they are all collected so one round of fixes is enough. An email must be
an address; a `manager` or `backup` must be someone in the file or already `known` (in
the directory). `is_admin` is not part of a Person (a profile says nothing about
rights), so each entry comes back as an `ImportedPerson`: the person, and `is_admin` as
the file gives it, or None when the file does not say (an import then leaves that
person's admin flag as it is).

YAML: a list of mappings each with `id`, or a mapping `id: {fields}`.
CSV: a header row naming columns among id, name, email, slack_id, timezone,
working_hours, working_days, manager, backup, time_off, is_admin; `time_off` is written
`2026-12-01..2026-12-05;2027-01-02` (ranges or single days, separated by `;`). Empty
cells take the defaults.
"""

import csv
import io
import re
from collections.abc import Collection
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from baton.errors import Invalid, Problem, csv_rows, problem_message
from baton.people import Person, closest
from baton.yamldoc import read_yaml

COLUMNS = (*Person.model_fields, "is_admin")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
# Something@somewhere.tld, no spaces (email-validator is not a dependency).
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class ImportedPerson(BaseModel):
    model_config = ConfigDict(frozen=True)
    person: Person
    is_admin: bool | None = None


class PeopleFileError(Invalid):
    """A people file that cannot be imported, with every problem and where it is."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems=problems)


def parse_people_file(path: str | Path, known: Collection[str] = ()) -> list[ImportedPerson]:
    """Read and validate a people file; `.yaml`/`.yml` or `.csv` by its name. `known`:
    the ids already in the directory (a manager or backup may name them)."""
    path = Path(path)
    _format_of(str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PeopleFileError(
            [Problem(file=str(path), message=f"cannot read: {error.strerror}")]
        ) from None
    return parse_people_bytes(data, str(path), known)


def parse_people_bytes(
    data: bytes, source: str, known: Collection[str] = ()
) -> list[ImportedPerson]:
    """A people file's content (an upload) read as `parse_people_file` reads the file:
    YAML or CSV by the suffix of `source` (its name), UTF-8."""
    suffix = _format_of(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start}); save it as UTF-8"
        raise PeopleFileError([Problem(file=source, message=message)]) from None
    if suffix == ".csv":
        return parse_people_csv(text, source, known)
    return parse_people_yaml(text, source, known)


def _format_of(source: str) -> str:
    """A people file's suffix (.yaml, .yml or .csv); any other is refused."""
    suffix = PurePath(source).suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise PeopleFileError([Problem(file=source, message="name the file .yaml, .yml or .csv")])
    return suffix


def parse_people_yaml(
    text: str, source: str = "<people.yaml>", known: Collection[str] = ()
) -> list[ImportedPerson]:
    try:
        data = read_yaml(text)
    except Invalid as error:
        raise PeopleFileError([Problem(file=source, message=error.message)]) from None
    entries: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key, fields in data.items():
            where = f"person '{key}'"
            if fields is None:
                fields = {}
            if isinstance(fields, dict):
                if "id" in fields and str(fields["id"]) != str(key):
                    problems.append(
                        Problem(
                            file=source,
                            where=where,
                            field="id",
                            message=f"says '{fields['id']}' under the key '{key}'; "
                            "leave it out or make them equal",
                        )
                    )
                fields = {**fields, "id": key}
            entries.append((where, fields))
    elif isinstance(data, list):
        for index, fields in enumerate(data, start=1):
            name = fields.get("id") if isinstance(fields, dict) else None
            entries.append((f"entry #{index}" + (f" (id '{name}')" if name else ""), fields))
    else:
        raise PeopleFileError(
            [
                Problem(
                    file=source,
                    message="write a list of people (each with an id) or a mapping id: fields",
                )
            ]
        )
    return _finish(entries, source, problems, known)


def parse_people_csv(
    text: str, source: str = "<people.csv>", known: Collection[str] = ()
) -> list[ImportedPerson]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(csv_rows(reader, source, PeopleFileError), None)
    if not header or not any(cell.strip() for cell in header):
        message = f"the first line names the columns: {', '.join(COLUMNS)}"
        raise PeopleFileError([Problem(file=source, message=message)])
    columns = [cell.strip().lower() for cell in header]
    problems = [
        Problem(
            file=source,
            where="line 1",
            message=f"unknown column '{column}'; columns are {', '.join(COLUMNS)}",
        )
        for column in columns
        if column not in COLUMNS
    ]
    if "id" not in columns:
        problems.append(Problem(file=source, where="line 1", message="add an 'id' column"))
    if problems:
        raise PeopleFileError(problems)
    entries: list[tuple[str, Any]] = []
    line = reader.line_num
    for cells in csv_rows(reader, source, PeopleFileError):
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        where = f"line {start}"
        if len(cells) > len(columns):
            problems.append(
                Problem(
                    file=source,
                    where=where,
                    message=f"has {len(cells)} cells but the header names {len(columns)} "
                    "columns; quote cells that contain a comma",
                )
            )
            continue
        cells = [cell.strip() for cell in cells]
        fields = {column: cell for column, cell in zip(columns, cells, strict=False) if cell}
        if fields.get("id"):
            where += f" (id '{fields['id']}')"
        entries.append((where, fields))
    return _finish(entries, source, problems, known)


def _finish(
    entries: list[tuple[str, Any]],
    source: str,
    problems: list[Problem],
    known: Collection[str] = (),
) -> list[ImportedPerson]:
    """Validate every entry, then check across entries; raise with everything found."""
    people: list[ImportedPerson] = []
    placed: list[tuple[str, ImportedPerson]] = []
    first_seen: dict[str, str] = {}
    for where, fields in entries:

        def problem(field: str | None, message: str, where: str = where) -> None:
            problems.append(Problem(file=source, where=where, field=field, message=message))

        if not isinstance(fields, dict):
            problem(None, "write this person as a mapping of fields (id, name, email, ...)")
            continue
        person_id = str(fields.get("id") or "")
        if person_id in first_seen:
            problem("id", f"'{person_id}' is already used by {first_seen[person_id]}; use another")
            continue
        if person_id:
            first_seen[person_id] = where
        for field in ("manager", "backup"):
            if person_id and str(fields.get(field) or "") == person_id:
                problem(field, f"{person_id} cannot be their own {field}; name someone else")
        entry = _entry(fields, problem)
        if entry is not None:
            people.append(entry)
            placed.append((where, entry))
    everyone = {*first_seen, *known}
    for where, entry in placed:
        for field in ("manager", "backup"):
            named = getattr(entry.person, field)
            if named and named != entry.person.id and named not in everyone:
                problems.append(
                    Problem(file=source, where=where, field=field, message=_nobody(named, everyone))
                )
    if not people and not problems:
        problems.append(Problem(file=source, message="lists nobody; add at least one person"))
    if problems:
        raise PeopleFileError(problems)
    return people


def _entry(fields: dict, problem) -> ImportedPerson | None:
    """One person and their admin flag, or None after reporting what is wrong."""
    fields = {str(key): value for key, value in fields.items()}
    ok = True
    for key in fields:
        if key not in COLUMNS:
            problem(key, f"unknown field; fields are {', '.join(COLUMNS)}")
            ok = False
    is_admin, admin_ok = _admin(fields.pop("is_admin", None), problem)
    if "time_off" in fields:
        try:
            fields["time_off"] = _time_off(fields["time_off"])
        except ValueError as error:
            problem("time_off", str(error))
            ok = False
    for key, value in fields.items():  # YAML reads slack_id: 12345 as a number
        if key != "time_off" and isinstance(value, int | float) and not isinstance(value, bool):
            fields[key] = str(value)
    if not ok:
        return None
    email = _email_problem(fields.get("email"))
    try:
        person = Person.model_validate(fields)
    except ValidationError as error:
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or None
            problem(field, _message(item, fields))
        if email and not any(item["loc"][:1] == ("email",) for item in error.errors()):
            problem("email", email)
        return None
    if email:
        problem("email", email)
        return None
    return ImportedPerson(person=person, is_admin=is_admin) if admin_ok else None


def _email_problem(value: Any) -> str | None:
    """What is wrong with an email address, if anything (not text: the model says)."""
    if not isinstance(value, str) or EMAIL.fullmatch(value):
        return None
    return f"{value[:80]!r} is not an email address; write it like alice@example.com"


def _nobody(person_id: str, everyone: Collection[str]) -> str:
    """A manager or backup who is neither in the file nor in the directory."""
    close = closest(person_id, everyone)
    hint = f"did you mean '{close}'?" if close else "add them to the file"
    return f"names nobody: '{person_id}' is neither in this file nor in the directory; {hint}"


def _admin(value: Any, problem) -> tuple[bool | None, bool]:
    """(flag, readable): None when the file leaves it empty."""
    if value is None or isinstance(value, bool):
        return value, True
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE, True
    problem("is_admin", f"'{value}' is not yes or no; write true or false")
    return None, False


def _time_off(value: Any) -> list:
    """`2026-12-01..2026-12-05;2027-01-02` (or a YAML list of {start, end}) as ranges."""
    if isinstance(value, list):
        return [_range(item) if isinstance(item, str | date) else item for item in value]
    if isinstance(value, date):
        return [{"start": value, "end": value}]
    return [_range(part) for part in str(value).split(";") if part.strip()]


def _range(text: str | date) -> dict:
    if isinstance(text, date):
        return {"start": text, "end": text}
    parts = [part.strip() for part in text.split("..")]
    if len(parts) > 2 or not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", part) for part in parts):
        raise ValueError(
            f"'{text.strip()}' is not a date range; write 2026-12-01..2026-12-05 or a single "
            "day 2026-12-01, several separated by ;"
        )
    try:
        start, end = (date.fromisoformat(part) for part in (parts[0], parts[-1]))
    except ValueError as error:
        raise ValueError(f"'{text.strip()}': {error}") from None
    return {"start": start, "end": end}


def _message(item: dict, fields: dict) -> str:
    loc = item["loc"]
    if item["type"] == "string_pattern_mismatch" and loc == ("id",):
        return (
            f"'{fields.get('id')}' is not a valid id; use letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    if loc == ("id",) and item["type"] in ("missing", "string_too_short"):
        return "every person needs an id"
    return problem_message(item)
