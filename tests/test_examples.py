"""The files in examples/ work as the README uses them, through the real `baton`
commands: the team imports into a fresh database, the scenario simulates with every
action accepted, and the custom playbook validates (with an approval, a decision and
conditional steps in it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from baton.playbook import find_playbook, load_playbook
from tests import pg

BATON = str(Path(sys.executable).parent / "baton")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def baton(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [BATON, *args], cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.returncode == 0, output
    return result


def team() -> dict:
    return yaml.safe_load((EXAMPLES / "team.yaml").read_text())


def scenario() -> dict:
    return yaml.safe_load((EXAMPLES / "scenario.yaml").read_text())


def test_the_team_imports_into_a_fresh_database():
    env = {**os.environ, "DATABASE_URL": pg.create_database()}  # no schema yet
    imported = baton("people", "import", "examples/team.yaml", env=env)
    assert "Imported 7 people from examples/team.yaml." in imported.stdout
    people = json.loads(baton("people", "list", "--json", env=env).stdout)
    assert sorted(p["id"] for p in people) == sorted(team())
    assert 5 <= len(people) <= 7
    zones = {p["timezone"] for p in people}
    assert len(zones) == len(people)  # everyone in a time zone of their own
    alice = next(p for p in people if p["id"] == "alice")
    assert (alice["working_hours"], alice["backup"]) == ("08:00-16:00", "bob")


def test_the_team_covers_every_role_of_the_blog_post():
    assignments = scenario()["assignments"]
    assert set(assignments) == set(find_playbook("blog-post").roles)
    assert set(assignments.values()) | {scenario()["project_manager"]} <= set(team())
    for person, fields in scenario()["people"].items():  # the scenario's people are the team's
        assert fields["timezone"] == team()[person]["timezone"], person


def test_the_scenario_runs_with_every_action_accepted():
    result = baton("simulate", "examples/scenario.yaml", "--json")
    document = json.loads(result.stdout)
    assert document["state"] == "completed"
    timeline = document["timeline"]
    assert [e for e in timeline if e["type"] == "refused"] == []
    acted = [e for e in timeline if e["type"] in ("completed", "approved", "rejected", "chosen")]
    assert len(acted) == len(scenario()["actions"])
    states = {step["id"]: step["state"] for step in document["status"]["steps"]}
    assert set(states.values()) == {"done"}
    kinds = {e["type"] for e in timeline}
    assert {"reminder", "follow_up", "escalated", "rework", "summary"} <= kinds


def test_the_custom_playbook_validates_with_an_approval_a_decision_and_conditions():
    result = baton("playbook", "validate", "examples/case-study.yaml")
    assert "✓ examples/case-study.yaml: case-study" in result.stdout
    playbook = load_playbook(EXAMPLES / "case-study.yaml")
    kinds = {step.kind for step in playbook.steps}
    assert kinds == {"task", "approval", "decision"}
    conditions = [step.when for step in playbook.steps if step.when]
    assert any(c.step for c in conditions) and any(c.input for c in conditions)
    assert any(step.on_reject for step in playbook.steps)
