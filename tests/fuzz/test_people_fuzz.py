"""The people importers on anything: arbitrary text, YAML of random structures, CSV of
random rows, mutations of a valid team. Only a `PeopleFileError` (an Invalid) may
escape, every problem naming the file; everyone accepted keeps the bounds."""

import csv
import io
from typing import Any

import pytest
import yaml
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from baton.people_import import (
    COLUMNS,
    ImportedPerson,
    PeopleFileError,
    parse_people_csv,
    parse_people_yaml,
)
from tests.fuzz.strategies import (
    DEEP,
    FUZZ,
    ID_MAX,
    PERSON_ID,
    date_texts,
    deep_yaml,
    ids,
    json_like,
    mutated,
    scalars,
    text_violations,
    texts,
)

YAML_SOURCE = "fuzz/team.yaml"
CSV_SOURCE = "fuzz/team.csv"
FIELDS = sorted(COLUMNS)
TEAM = {
    "alice": {
        "name": "Alice",
        "email": "alice@example.com",
        "timezone": "America/New_York",
        "working_hours": "08:00-16:00",
        "working_days": "mon-fri",
        "slack_id": "U123",
        "backup": "bob",
        "manager": "pat",
        "time_off": [{"start": "2026-12-24", "end": "2026-12-31"}],
        "is_admin": False,
    },
    "bob": {"name": "Bob", "email": "bob@example.com"},
    "pat": {"name": "Pat", "is_admin": True},
}
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "America",
            "Europe",
            "a" * 300,
            "UTC\x00",
            "Etc/GMT+14",
            "09:00-17:00",
            "17:00-09:00",
            "24:00-25:00",
            "9-5",
            "09:00-17:00\x00",
            "mon-sun",
            "sun-mon",
            "mon,mon",
            "",
            " ",
            "yes",
            "no",
            "maybe",
            "2026-12-24..2026-12-31",
            "2026-12-31..2026-12-24",
            "0001-01-01..9999-12-31",
            "2026-02-30",
            "2026-12-24..2026-12-25..2026-12-26",
            ";;;",
            "..",
            12345,
            10**30,
            -1,
            True,
            None,
            [],
            {},
            [{"start": "2026-12-24"}],
            [{"start": 1, "end": 2}],
            [{"start": "2026-12-24", "end": "2026-12-31", "x": 1}],
            ["2026-12-24"],
            [None],
        ]
    ),
    date_texts,
    scalars,
    json_like(st.sampled_from(FIELDS)),
)


def _check(problems_of, source: str) -> list[ImportedPerson] | None:
    try:
        people = problems_of()
    except PeopleFileError as error:
        assert error.problems, f"a PeopleFileError without problems: {error!r}"
        for problem in error.problems:
            assert problem.file == source, f"a problem not naming the file: {problem!r}"
            assert problem.message.strip(), f"an empty problem: {problem!r}"
        return None
    for entry in people:
        assert (
            type(entry.person).model_validate_json(entry.person.model_dump_json()) == entry.person
        )
        person = entry.person.model_dump()
        assert not text_violations(person), (person, text_violations(person))
        for field in ("id", "manager", "backup"):
            value = person[field]
            assert value is None or (len(value) <= ID_MAX and PERSON_ID.fullmatch(value)), (
                f"{field} {value!r}"
            )
    return people


def _yaml(text: str):
    return _check(lambda: parse_people_yaml(text, YAML_SOURCE), YAML_SOURCE)


def _csv(text: str):
    return _check(lambda: parse_people_csv(text, CSV_SOURCE), CSV_SOURCE)


def _dumped(data: Any) -> str:
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)
    except (ValueError, yaml.YAMLError, RecursionError):
        reject()
    return text.replace(DEEP, deep_yaml("list", 350))


any_text = st.one_of(texts, st.text(), st.binary().map(lambda b: b.decode("latin-1")))


@FUZZ
@given(text=any_text)
def test_arbitrary_text_as_yaml(text: str) -> None:
    _yaml(text)


@FUZZ
@given(text=any_text)
def test_arbitrary_text_as_csv(text: str) -> None:
    _csv(text)


@FUZZ
@given(data=json_like(st.one_of(st.sampled_from(FIELDS), ids(PERSON_ID)), HOSTILE))
def test_yaml_of_random_structures(data: Any) -> None:
    _yaml(_dumped(data))


@settings(FUZZ, max_examples=200)  # YAML is read in pure Python: 30 ms a team
@given(data=st.data(), shape=st.sampled_from(["mapping", "list"]))
def test_mutated_team_yaml(data: st.DataObject, shape: str) -> None:
    team: Any = TEAM if shape == "mapping" else [{"id": k, **v} for k, v in TEAM.items()]
    document = data.draw(mutated(team, HOSTILE, FIELDS), label="document")
    _yaml(_dumped(document))


cells = st.one_of(
    texts,
    HOSTILE.map(lambda value: value if isinstance(value, str) else str(value)),
    ids(PERSON_ID),
)


@FUZZ
@given(
    header=st.lists(st.one_of(st.sampled_from(FIELDS), texts), min_size=1, max_size=8),
    rows=st.lists(st.lists(cells, max_size=10), max_size=6),
    dialect=st.sampled_from(["excel", "excel-tab", "unix"]),
)
def test_csv_of_random_rows(header: list[str], rows: list[list[str]], dialect: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, dialect=dialect)
    try:
        writer.writerows([header, *rows])
    except csv.Error:
        reject()
    _csv(out.getvalue())


@FUZZ
@given(
    columns=st.permutations(FIELDS).map(lambda c: ["id", *[x for x in c if x != "id"]]),
    keep=st.integers(1, len(FIELDS)),
    rows=st.lists(st.fixed_dictionaries({f: cells for f in FIELDS}), min_size=1, max_size=5),
)
def test_csv_with_real_columns(columns: list[str], keep: int, rows: list[dict]) -> None:
    columns = columns[:keep]
    out = io.StringIO()
    writer = csv.writer(out)
    try:
        writer.writerow(columns)
        writer.writerows([[row[c] for c in columns] for row in rows])
    except csv.Error:
        reject()
    _csv(out.getvalue())


HEADER = ",".join(COLUMNS) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        "id\n" + '"' + "a" * 200_000 + '"\n',  # a cell past the csv module's field limit
        "id,name\nalice," + "x" * 200_000 + "\n",
        "id\nalice\x00\n",
        "id\n\x00\n",
        "\ufeffid\nalice\n",
        "id\r\nalice\r\n",
        'id\n"alice\n',  # an unclosed quote
        "id," * 10_000 + "\n",
        "id,id\nalice,bob\n",
        HEADER + "alice,Alice,,,America,,,,,,\n",  # a time zone folder
        HEADER + "alice,Alice,,," + "a" * 300 + ",,,,,,\n",
        HEADER + "alice,,,,,,,,,0001-01-01..9999-12-31,\n",
        HEADER + "alice,,,,,,,,,2026-12-24..2026-12-24..2026-12-24,\n",
        HEADER + "alice,,,,,,,,,2026-99-99,\n",
        HEADER + "alice,,,,,,,,," + ";".join(["2026-12-24"] * 1000) + ",\n",
        HEADER + "alice,,,,,,,alice,alice,,\n",
        HEADER + "alice,,,,,,,,,,perhaps\n",
        HEADER + "ali\u202ece,,,,,,,,,,\n",
        HEADER + "alice,Al\u202eice,,,,,,,,,\n",
        HEADER + "alice,Al\x1bice,,,,,,,,,\n",
    ],
    ids=lambda text: f"{len(text)}-chars",
)
def test_hostile_csv(text: str) -> None:
    _csv(text)


@pytest.mark.parametrize(
    "text",
    [
        deep_yaml("list", 1000),
        deep_yaml("map", 1000),
        "alice: " + deep_yaml("list", 1000),
        "alice: {timezone: America}",
        "alice: {timezone: " + "a" * 300 + "}",
        "alice: {time_off: 2026-12-24}",
        "alice: {time_off: [2026-12-24, 2026-12-24T10:00:00]}",
        "alice: {time_off: [{start: 0001-01-01, end: 9999-12-31}]}",
        "alice: {time_off: '" + ";".join(["2026-12-24"] * 1000) + "'}",
        "alice: {working_hours: 0900-1700}",
        "alice: {working_hours: 540}",  # YAML 1.1 sexagesimal 9:00
        "alice: {slack_id: 1e400}",
        "alice: {slack_id: " + "9" * 5000 + "}",
        "alice: {name: .nan}",
        "? [a]\n: {}\n",
        "? {a: 1}\n: {}\n",
        "1: {}\n",
        "null: {}\n",
        "true: {}\n",
        "2026-12-24: {}\n",
        "- {id: 1}\n- {id: 1.0}\n",
        "- {id: alice}\n- {id: alice}\n",
        "- alice\n",
        "- {id: [alice]}\n",
        "- {id: {a: 1}}\n",
        "alice: {id: bob}\n",
        "alice: {id: [1]}\n",
        "alice: {is_admin: [true]}\n",
        "alice: {'': 1}\n",
        "a: &a [" + ", ".join(["*a"] * 10) + "]",
    ],
    ids=lambda text: f"{len(text)}-chars",
)
def test_hostile_yaml(text: str) -> None:
    _yaml(text)
