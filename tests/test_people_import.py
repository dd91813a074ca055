"""People files: YAML and CSV read whole, or refused whole with every problem located."""

from datetime import date

import pytest

from baton.people import TimeOff
from baton.people_import import PeopleFileError, parse_people_file

GOOD_CSV = """\
id,name,email,slack_id,timezone,working_hours,working_days,manager,backup,time_off,is_admin
alice,Alice,alice@example.com,U1,America/New_York,08:00-16:00,mon-thu,pat,bob,2026-12-01..2026-12-05;2027-01-02,yes
bob,"Bob, Jr.",bob@example.com,,,,,,,,
pat,Pat,pat@example.com,,Europe/Berlin,,,,,,false
"""

GOOD_YAML_MAPPING = """\
alice:
  name: Alice
  email: alice@example.com
  timezone: America/New_York
  working_hours: "08:00-16:00"
  time_off: [{start: 2026-12-01, end: 2026-12-05}]
  is_admin: true
bob: {name: Bob, slack_id: 12345}
pat:
"""

GOOD_YAML_LIST = """\
- {id: alice, name: Alice, time_off: "2026-12-01..2026-12-05"}
- {id: bob, manager: alice}
"""


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path) -> list[str]:
    with pytest.raises(PeopleFileError) as caught:
        parse_people_file(path)
    return [str(problem) for problem in caught.value.problems]


def test_good_csv(tmp_path):
    entries = parse_people_file(write(tmp_path, "people.csv", GOOD_CSV))
    by_id = {entry.person.id: entry for entry in entries}
    assert list(by_id) == ["alice", "bob", "pat"]
    alice = by_id["alice"].person
    assert (alice.timezone, alice.working_hours, alice.working_days) == (
        "America/New_York",
        "08:00-16:00",
        "mon-thu",
    )
    assert (alice.manager, alice.backup, alice.slack_id) == ("pat", "bob", "U1")
    assert alice.time_off == [
        TimeOff(start=date(2026, 12, 1), end=date(2026, 12, 5)),
        TimeOff(start=date(2027, 1, 2), end=date(2027, 1, 2)),
    ]
    bob = by_id["bob"].person
    assert (bob.name, bob.timezone, bob.slack_id, bob.working_hours) == (
        "Bob, Jr.",
        "UTC",
        None,
        "09:00-17:00",
    )
    # an empty is_admin cell, like a missing column, leaves the flag as it is
    assert [by_id[i].is_admin for i in ("alice", "bob", "pat")] == [True, None, False]


def test_csv_without_admin_column_leaves_flags_unsaid(tmp_path):
    path = write(tmp_path, "people.csv", "id,name\nalice,Alice\n")
    [entry] = parse_people_file(path)
    assert (entry.person.name, entry.is_admin) == ("Alice", None)


def test_good_yaml_mapping_and_list(tmp_path):
    entries = parse_people_file(write(tmp_path, "people.yaml", GOOD_YAML_MAPPING))
    by_id = {entry.person.id: entry for entry in entries}
    assert list(by_id) == ["alice", "bob", "pat"]
    assert by_id["alice"].is_admin is True and by_id["bob"].is_admin is None
    assert by_id["alice"].person.time_off == [
        TimeOff(start=date(2026, 12, 1), end=date(2026, 12, 5))
    ]
    assert by_id["bob"].person.slack_id == "12345"
    assert by_id["pat"].person.name == ""

    listed = parse_people_file(write(tmp_path, "people.yml", GOOD_YAML_LIST))
    assert [(e.person.id, e.person.manager) for e in listed] == [("alice", None), ("bob", "alice")]
    assert listed[0].person.is_away_on(date(2026, 12, 3))


def test_bad_csv_names_every_line_and_field(tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "id,name,timezone,working_hours,manager,time_off,is_admin\n"
        "alice,Alice,Mars/Olympus,,,,\n"
        "bob,Bob,,9-5,,2026-12-05..2026-12-01,\n"
        "carol,Carol,,,carol,next week,maybe\n"
        "alice,Alice again,,,,,\n"
        "bad id,,,,,,\n",
    )
    found = problems(path)
    assert found == [
        f"{path}, line 2 (id 'alice'), field 'timezone': unknown time zone 'Mars/Olympus'; "
        "use an IANA name like Europe/Berlin",
        f"{path}, line 3 (id 'bob'), field 'working_hours': '9-5' is not working hours; "
        "write them like 09:00-17:00",
        f"{path}, line 3 (id 'bob'), field 'time_off.0': time off ends (2026-12-01) "
        "before it starts (2026-12-05)",
        f"{path}, line 4 (id 'carol'), field 'manager': carol cannot be their own manager; "
        "name someone else",
        f"{path}, line 4 (id 'carol'), field 'is_admin': 'maybe' is not yes or no; "
        "write true or false",
        f"{path}, line 4 (id 'carol'), field 'time_off': 'next week' is not a date range; "
        "write 2026-12-01..2026-12-05 or a single day 2026-12-01, several separated by ;",
        f"{path}, line 5 (id 'alice'), field 'id': 'alice' is already used by line 2 "
        "(id 'alice'); use another",
        f"{path}, line 6 (id 'bad id'), field 'id': 'bad id' is not a valid id; use letters, "
        "digits and . _ @ -, starting with a letter or digit",
    ]


def test_own_manager_or_backup_is_refused(tmp_path):
    path = write(tmp_path, "people.csv", "id,manager,backup\nalice,alice,alice\nbob,alice,\n")
    assert problems(path) == [
        f"{path}, line 2 (id 'alice'), field 'manager': alice cannot be their own manager; "
        "name someone else",
        f"{path}, line 2 (id 'alice'), field 'backup': alice cannot be their own backup; "
        "name someone else",
    ]


def test_bad_csv_header_and_rows(tmp_path):
    path = write(tmp_path, "people.csv", "name,e-mail\nAlice,a@example.com\n")
    found = problems(path)
    assert found[0].startswith(f"{path}, line 1: unknown column 'e-mail'; columns are id, name,")
    assert found[1] == f"{path}, line 1: add an 'id' column"

    path = write(tmp_path, "short.csv", "id,name\nalice,Alice,extra\n,Nobody\n")
    assert problems(path) == [
        f"{path}, line 2: has 3 cells but the header names 2 columns; quote cells that "
        "contain a comma",
        f"{path}, line 3, field 'id': every person needs an id",
    ]
    assert problems(write(tmp_path, "empty.csv", "id,name\n")) == [
        f"{tmp_path / 'empty.csv'}: lists nobody; add at least one person"
    ]


def test_bad_yaml_names_entries_and_fields(tmp_path):
    path = write(
        tmp_path,
        "people.yaml",
        "alice: {name: Alice, phone: '123'}\n"
        "bob: {id: robert}\n"
        "carol: [not, a, mapping]\n"
        "dan: {working_days: weekdays}\n",
    )
    found = problems(path)
    assert found[0].startswith(f"{path}, person 'bob', field 'id': says 'robert' under the key")
    assert found[1].startswith(f"{path}, person 'alice', field 'phone': unknown field; fields")
    assert found[2] == (
        f"{path}, person 'carol': write this person as a mapping of fields (id, name, email, ...)"
    )
    assert found[3] == (
        f"{path}, person 'dan', field 'working_days': 'weekdays' is not a list of days; "
        "write them like mon-fri or mon,wed"
    )

    listed = write(tmp_path, "list.yaml", "- {id: alice}\n- {name: No id}\n- {id: alice}\n")
    assert problems(listed) == [
        f"{listed}, entry #2, field 'id': every person needs an id",
        f"{listed}, entry #3 (id 'alice'), field 'id': 'alice' is already used by entry #1 "
        "(id 'alice'); use another",
    ]


def test_unreadable_files_are_refused(tmp_path):
    assert problems(write(tmp_path, "people.txt", "id\nalice\n")) == [
        f"{tmp_path / 'people.txt'}: name the file .yaml, .yml or .csv"
    ]
    assert problems(tmp_path / "missing.yaml") == [
        f"{tmp_path / 'missing.yaml'}: cannot read: No such file or directory"
    ]
    broken = write(tmp_path, "broken.yaml", "alice: {name: [unclosed\n")
    assert problems(broken)[0].startswith(f"{broken}: not valid YAML at line 2")
    scalar = write(tmp_path, "scalar.yaml", "just text\n")
    assert problems(scalar) == [
        f"{scalar}: write a list of people (each with an id) or a mapping id: fields"
    ]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name\nzoe,Zo\xe9\n".encode("latin-1"))
    assert problems(latin) == [f"{latin}: not UTF-8 text (byte 14); save it as UTF-8"]
