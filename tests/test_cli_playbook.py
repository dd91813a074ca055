"""`baton playbook ...` as a person or a script runs it: the real console script, in a
subprocess, reading its exit code, stdout and stderr."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from baton.playbook import BUNDLED_DIR
from tests import pg


def _baton() -> str:
    beside = Path(sys.executable).parent / "baton"
    if beside.exists():
        return str(beside)
    found = shutil.which("baton")
    assert found, "the `baton` console script is not installed (pip install -e .)"
    return found


BATON = _baton()
BLOG_POST_IDS = [
    "idea",
    "keywords",
    "outline",
    "approve-outline",
    "draft",
    "images",
    "promote",
    "publish",
]
BLOG_POST_DUES = [
    date(2026, 11, 15),
    date(2026, 11, 20),
    date(2026, 11, 25),
    date(2026, 11, 30),
    date(2026, 12, 5),
    date(2026, 12, 10),
    date(2026, 12, 11),
    date(2026, 12, 15),
]


def baton(
    *args: str, columns: int | None = None, extra_env: dict | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "BATON_DEBUG")}
    env |= extra_env or {}
    env["NO_COLOR"] = "1"
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [BATON, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def assert_clean_failure(result: subprocess.CompletedProcess) -> str:
    """Exit 1 with a message, and nothing a person would read as a crash."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "unexpected error" not in output
    assert "error:" in result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def blog_plan() -> dict:
    result = baton("playbook", "plan", "blog-post", "--launch", "2026-12-15", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plan_json_document(blog_plan):
    assert set(blog_plan) == {"playbook", "name", "launch_date", "timezone", "steps"}
    assert blog_plan["playbook"] == "blog-post"
    assert blog_plan["name"] == "Blog post"
    assert blog_plan["launch_date"] == "2026-12-15"
    assert blog_plan["timezone"] == "UTC"
    steps = blog_plan["steps"]
    assert [s["id"] for s in steps] == BLOG_POST_IDS
    for step in steps:
        assert set(step) == {"id", "name", "kind", "owners", "after", "due", "past", "weekend"}
    by_id = {s["id"]: s for s in steps}
    assert by_id["idea"] == {
        "id": "idea",
        "name": "Generate idea",
        "kind": "task",
        "owners": ["strategist"],
        "after": [],
        "due": by_id["idea"]["due"],
        "past": by_id["idea"]["past"],
        "weekend": True,  # Sun 2026-11-15
    }
    assert by_id["approve-outline"]["kind"] == "approval"
    assert by_id["approve-outline"]["owners"] == ["seo", "stakeholder"]
    assert by_id["approve-outline"]["after"] == ["outline"]
    assert by_id["publish"]["after"] == ["promote"]


def test_plan_json_dues_are_at_five_pm_utc(blog_plan):
    dues = [step["due"] for step in blog_plan["steps"]]
    for text in dues:
        assert text.endswith(("Z", "+00:00")), text
    assert [datetime.fromisoformat(text) for text in dues] == [
        datetime(d.year, d.month, d.day, 17, 0, tzinfo=UTC) for d in BLOG_POST_DUES
    ]


def test_plan_json_in_another_time_zone():
    result = baton(
        "playbook",
        "plan",
        "blog-post",
        "--launch",
        "2026-12-15",
        "--timezone",
        "Europe/Berlin",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["timezone"] == "Europe/Berlin"
    dues = [datetime.fromisoformat(step["due"]) for step in plan["steps"]]
    for step in plan["steps"]:
        assert step["due"].endswith("+01:00"), step["due"]
    assert [(d.date(), d.hour, d.minute) for d in dues] == [(d, 17, 0) for d in BLOG_POST_DUES]
    assert all(d.utcoffset() == timedelta(hours=1) for d in dues)


def test_plan_table_lists_every_step():
    result = baton("playbook", "plan", "blog-post", "--launch", "2026-12-15", columns=120)
    assert result.returncode == 0, result.stderr
    for step_id in BLOG_POST_IDS:
        assert step_id in result.stdout, step_id
    assert "2026-11-15" in result.stdout
    assert "2026-12-15" in result.stdout
    assert "17:00" in result.stdout


def test_plan_unknown_playbook():
    message = assert_clean_failure(baton("playbook", "plan", "blog-psot", "--launch", "2026-12-15"))
    assert "blog-psot" in message
    assert "blog-post" in message  # names the bundled playbooks


@pytest.mark.parametrize("launch", ["2026-13-01", "next tuesday", "15/12/2026"])
def test_plan_bad_date(launch):
    message = assert_clean_failure(baton("playbook", "plan", "blog-post", "--launch", launch))
    assert "--launch" in message
    assert "YYYY-MM-DD" in message


def test_plan_bad_time_zone():
    message = assert_clean_failure(
        baton("playbook", "plan", "blog-post", "--launch", "2026-12-15", "--timezone", "Mars/Base")
    )
    assert "unknown time zone 'Mars/Base'" in message


def test_validate_good_files():
    files = [str(BUNDLED_DIR / "blog-post.yaml"), str(BUNDLED_DIR / "webinar.yaml")]
    result = baton("playbook", "validate", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "blog-post" in result.stdout
    assert "webinar" in result.stdout


def test_validate_broken_file(tmp_path):
    good = BUNDLED_DIR / "newsletter.yaml"
    broken = tmp_path / "a-playbook-with-a-rather-long-file-name-so-lines-get-long.yaml"
    broken.write_text(
        "id: broken\n"
        "name: Broken\n"
        "roles: {writer: Writer}\n"
        "steps:\n"
        "  - {id: draft, name: Write, owner: writer}\n"
        "  - {id: publish, name: Publish, owner: writer, after: [drafts]}\n",
        encoding="utf-8",
    )
    result = baton("playbook", "validate", str(good), str(broken))
    stderr = assert_clean_failure(result)
    # One line a person (or grep) can read: file, step, field and what is wrong.
    lines = [line for line in stderr.splitlines() if str(broken) in line]
    assert lines, stderr
    assert "step 'publish'" in lines[0]
    assert "field 'after'" in lines[0]
    assert "unknown step 'drafts'" in lines[0]
    assert "1 of 2" in stderr
    assert "newsletter" in result.stdout  # the good file is still checked


def test_validate_missing_file(tmp_path):
    missing = tmp_path / "missing.yaml"
    stderr = assert_clean_failure(baton("playbook", "validate", str(missing)))
    assert str(missing) in stderr
    assert "cannot read" in stderr


@pytest.fixture(scope="module")
def store():
    """A fresh database of the test PostgreSQL, for the commands that read the store."""
    return {"DATABASE_URL": pg.create_database()}


def test_publish_then_list_shows_every_bundled_playbook(store):
    files = [str(p) for p in sorted(BUNDLED_DIR.glob("*.yaml"))]
    published = baton("playbook", "publish", *files, extra_env=store)
    assert published.returncode == 0, published.stderr
    assert "blog-post published as version 1" in published.stdout
    again = baton("playbook", "publish", str(BUNDLED_DIR / "blog-post.yaml"), extra_env=store)
    assert "blog-post unchanged, still version 1" in again.stdout
    result = baton("playbook", "list", "--json", extra_env=store)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted(row["id"] for row in rows) == sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))
    blog = next(row for row in rows if row["id"] == "blog-post")
    assert (blog["name"], blog["version"], blog["steps"]) == ("Blog post", 1, 8)


def test_publishing_a_changed_playbook_makes_a_new_version(store, tmp_path):
    changed = tmp_path / "blog-post.yaml"
    changed.write_text((BUNDLED_DIR / "blog-post.yaml").read_text().replace("-30d", "-31d"))
    baton("playbook", "publish", str(BUNDLED_DIR / "blog-post.yaml"), extra_env=store)
    result = baton("playbook", "publish", str(changed), extra_env=store)
    assert "blog-post published as version 2" in result.stdout
    first = json.loads(
        baton("playbook", "show", "blog-post", "--version", "1", "--json", extra_env=store).stdout
    )
    latest = json.loads(baton("playbook", "show", "blog-post", "--json", extra_env=store).stdout)
    assert (first["version"], first["steps"][0]["due"]) == (1, "-30d")
    assert (latest["version"], latest["steps"][0]["due"]) == (2, "-31d")
    missing = baton("playbook", "show", "blog-post", "--version", "9", extra_env=store)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_show_json_of_a_file():
    result = baton("playbook", "show", str(BUNDLED_DIR / "blog-post.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    playbook = json.loads(result.stdout)
    assert playbook["id"] == "blog-post"
    assert playbook["due_time"] == "17:00"
    assert playbook["reminders"] == ["48h", "24h"]
    assert [s["id"] for s in playbook["steps"]] == BLOG_POST_IDS
    approval = playbook["steps"][3]
    assert approval["approvers"] == ["seo", "stakeholder"]
    assert approval["on_reject"] == "outline"
    assert approval["due"] == "-15d"


def test_no_arguments_shows_help():
    result = baton()
    output = result.stdout + result.stderr
    assert "Usage" in output
    assert "playbook" in output
    assert "Traceback" not in output
