"""People must exist: every person a project names (its assignments, its manager, a
reassignment's newcomer) is a known person, at every way in. The CLI in direct mode
refuses before Temporal is contacted (here it is not even running); `baton simulate`
knows everyone its scenario names; a people file's emails are addresses and its
managers and backups name somebody. Real PostgreSQL, the real `baton` command."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from baton.errors import Invalid
from baton.people import check_known, named_by, named_people, unknown_people
from baton.people_import import PeopleFileError, parse_people_file
from baton.playbook import BUNDLED_DIR
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from starters.simulate import ScenarioError, scenario_from_data
from tests import pg

BATON = str(Path(sys.executable).parent / "baton")
TEAM_YAML = """\
pat: {name: Pat, email: pat@example.com}
sam: {name: Sam, email: sam@example.com, backup: alice}
alice: {name: Alice, email: alice@example.com, manager: pat}
dana: {name: Dana}
sol: {name: Sol}
stu: {name: Stu}
"""
ROLES = {"strategist": "sam", "seo": "sam", "writer": "alice", "designer": "dana",
         "social": "sol", "stakeholder": "stu"}  # fmt: skip
LAUNCH = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
TYPO = "unknown person 'samm' for role 'strategist'; did you mean 'sam'?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assign(**changes: str) -> list[str]:
    return [arg for role, who in (ROLES | changes).items() for arg in ("--assign", f"{role}={who}")]


# -- the rule


def test_the_rule_names_each_unknown_person_with_its_field_and_the_closest_known_id():
    known = ["alice", "pat", "sam"]
    named = {"assignments.strategist": "samm", "assignments.writer": "alice",
             "project_manager": "patt", "to": "zoe"}  # fmt: skip
    problems = unknown_people(named, known)
    assert [(p.field, p.message) for p in problems] == [
        ("assignments.strategist", TYPO),
        ("project_manager", "unknown person 'patt' for project manager; did you mean 'pat'?"),
        (
            "to",
            "unknown person 'zoe' to reassign to; add them to the people file and import it "
            "(`baton people import FILE`)",
        ),
    ]
    with pytest.raises(Invalid) as caught:
        check_known({"assignments.strategist": "samm"}, known)
    assert (caught.value.message, caught.value.field) == (TYPO, "assignments.strategist")
    check_known({"project_manager": "pat"}, known)  # known: nothing to say


def test_what_a_start_and_an_action_name():
    from baton.contract import CompleteStep, ReassignStep, StartProject

    start = StartProject(playbook="blog-post", name="x", assignments={"writer": "alice"},
                         project_manager="pat")  # fmt: skip
    assert named_people(start) == {"assignments.writer": "alice", "project_manager": "pat"}
    assert named_by(ReassignStep(step_id="idea", actor="pat", to="bob")) == {"to": "bob"}
    assert named_by(CompleteStep(step_id="idea", actor="pat")) == {}


# -- the CLI, directly on PostgreSQL (Temporal is not running: the refusal comes first)


@pytest.fixture
async def direct(tmp_path):
    """A directory of the team with the blog post published; `run(*args)` is `baton`
    in direct mode on it, with Temporal's address pointing at nothing."""
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    await PlaybookRepo(pool).publish((BUNDLED_DIR / "blog-post.yaml").read_text())
    await pool.close()
    env = {**os.environ, "DATABASE_URL": url, "BATON_HOME": str(tmp_path / "home"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "COLUMNS": "200"}  # fmt: skip
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_YAML)

    async def run(*args: str) -> subprocess.CompletedProcess:
        result = await asyncio.to_thread(
            subprocess.run, [BATON, *args], env=env, capture_output=True, text=True
        )
        assert "Traceback" not in result.stdout + result.stderr
        return result

    imported = await run("people", "import", str(team))
    assert imported.returncode == 0, imported.stderr
    yield run, url
    pg.drop_database(url)


async def test_cli_start_with_an_unknown_person_exits_1_saying_who_was_meant(direct):
    run, _ = direct
    start = ["start", "blog-post", "--name", "Typo post", "--launch", LAUNCH]
    typo = await run(*start, "--pm", "pat", *assign(strategist="samm"))
    assert typo.returncode == 1
    assert typo.stderr.strip() == f"error: {TYPO}"

    pm = await run(*start, "--pm", "nobody-at-all", *assign())
    assert pm.returncode == 1
    assert "unknown person 'nobody-at-all' for project manager; add them to the people file" in (
        pm.stderr
    )
    # Everyone known: the check passes and the start goes on to Temporal (not running).
    known = await run(*start, "--pm", "pat", *assign())
    assert known.returncode == 1 and "unknown person" not in known.stderr
    assert "Temporal" in known.stderr


async def test_cli_reassign_to_nobody_is_refused(direct):
    run, _ = direct
    refused = await run("reassign", "some-post", "idea", "--to", "nobody", "--as", "pat")
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: unknown person 'nobody' to reassign to;")
    typo = await run("reassign", "some-post", "idea", "--to", "alise", "--as", "pat")
    assert typo.stderr.strip() == (
        "error: unknown person 'alise' to reassign to; did you mean 'alice'?"
    )


async def test_cli_schedule_create_with_an_unknown_person_is_refused(direct):
    run, _ = direct
    refused = await run("schedule", "create", "--playbook", "blog-post", "--name", "Weekly",
                        "--pm", "pat", "--every", "weekly on Tue", "--lead", "30d",
                        *assign(strategist="samm"))  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: {TYPO}"


# -- people files


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, known=()) -> list[str]:
    with pytest.raises(PeopleFileError) as caught:
        parse_people_file(path, known)
    return [str(problem) for problem in caught.value.problems]


def test_a_people_file_refuses_a_malformed_email(tmp_path):
    path = write(tmp_path, "team.csv", "id,email\nalice,alice@example.com\nbob,bob at example\n"
                 "carl,carl@\n")  # fmt: skip
    assert problems(path) == [
        f"{path}, line 3 (id 'bob'), field 'email': 'bob at example' is not an email address; "
        "write it like alice@example.com",
        f"{path}, line 4 (id 'carl'), field 'email': 'carl@' is not an email address; "
        "write it like alice@example.com",
    ]


def test_a_manager_or_backup_must_name_somebody(tmp_path):
    path = write(tmp_path, "team.yaml", "alice: {backup: bobb, manager: zed}\nbob: {}\n")
    assert problems(path) == [
        f"{path}, person 'alice', field 'manager': names nobody: 'zed' is neither in this "
        "file nor in the directory; add them to the file",
        f"{path}, person 'alice', field 'backup': names nobody: 'bobb' is neither in this "
        "file nor in the directory; did you mean 'bob'?",
    ]
    # Someone already in the directory counts.
    [alice, _] = parse_people_file(path, known=["zed", "bobb"])
    assert (alice.person.manager, alice.person.backup) == ("zed", "bobb")


async def test_cli_people_import_refuses_the_whole_file_and_imports_nothing(direct, tmp_path):
    run, url = direct
    bad = write(tmp_path, "more.yaml", "kim: {email: kim.example.com}\nlee: {backup: kimm}\n")
    refused = await run("people", "import", str(bad))
    assert refused.returncode == 1
    assert f"{bad}, person 'kim', field 'email': 'kim.example.com' is not an email" in (
        refused.stderr
    )
    assert f"{bad}, person 'lee', field 'backup': names nobody: 'kimm'" in refused.stderr
    # A backup already in the directory is somebody.
    good = write(tmp_path, "good.yaml", "kim: {email: kim@example.com, backup: sam}\n")
    assert (await run("people", "import", str(good))).returncode == 0
    pool = await open_pool(url)
    try:
        ids = await PeopleRepo(pool).ids()
    finally:
        await pool.close()
    assert ids == ["alice", "dana", "kim", "pat", "sam", "sol", "stu"]  # no lee


# -- baton simulate: everyone the scenario names is known


def scenario(**changes) -> dict:
    return {
        "playbook": "blog-post",
        "name": "Simulated post",
        "launch_date": "2026-12-15",
        "start_at": "2026-11-10T09:00:00Z",
        "until": "2026-11-20T00:00:00Z",
        "assignments": ROLES,
        "project_manager": "pat",
        "people": {"olga": {"timezone": "Asia/Tokyo", "backup": "otto"}},
        **changes,
    }


def reassign(to: str, at: str = "2026-11-11T10:00:00Z") -> dict:
    return {"at": at, "action": "reassign_step", "step_id": "idea", "actor": "pat", "to": to}


def test_simulate_refuses_a_reassignment_to_someone_the_scenario_does_not_name():
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(scenario(actions=[reassign("olga"), reassign("samm")]), "s.yaml")
    assert caught.value.message == (
        "s.yaml: action 2: unknown person 'samm' to reassign to; did you mean 'sam'?"
    )
    with pytest.raises(ScenarioError, match="add them to the scenario's `people`"):
        scenario_from_data(scenario(actions=[reassign("zebulon")]), "s.yaml")


def test_simulate_knows_the_people_assignments_manager_backups_and_actors():
    complete = {"at": "2026-11-12T10:00:00Z", "action": "complete_step", "step_id": "idea",
                "actor": "carol"}  # fmt: skip
    for to in ("olga", "otto", "alice", "pat", "carol"):
        loaded = scenario_from_data(scenario(actions=[reassign(to), complete]), "s.yaml")
        assert to in loaded.people
    assert loaded.people["olga"].timezone == "Asia/Tokyo"  # details kept
    assert loaded.people["sam"].timezone == "UTC"  # named only: the defaults


def test_baton_simulate_runs_a_reassignment_to_a_named_person_and_refuses_a_typo(tmp_path):
    path = tmp_path / "handover.yaml"
    path.write_text(json.dumps(scenario(actions=[reassign("olga")])))
    ran = subprocess.run([BATON, "simulate", str(path), "--json"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    moved = [e for e in json.loads(ran.stdout)["timeline"] if e["type"] == "reassigned"]
    assert moved[0]["detail"] == "sam -> olga"

    path.write_text(json.dumps(scenario(actions=[reassign("olgaa")])))
    typo = subprocess.run([BATON, "simulate", str(path)], capture_output=True, text=True)
    assert typo.returncode == 1
    assert f"{path}: action 1: unknown person 'olgaa' to reassign to; did you mean 'olga'?" in (
        typo.stderr
    )
    assert "Traceback" not in typo.stderr
