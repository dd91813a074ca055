"""The README's path from a second terminal: `baton dev` brings up the Temporal dev
server and a worker; `baton start`, `complete`, `status`, `projects` drive a blog post;
`baton simulate` previews one. Real processes, real servers, no mocks."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from baton.store.database import stop_embedded
from tests import pg

BATON = str(Path(sys.executable).parent / "baton")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_dev(env: dict, out: Path) -> subprocess.Popen:
    """`baton dev` with its output in `out`, once it says it is up."""
    process = subprocess.Popen(
        [BATON, "dev"], env=env, stdout=out.open("w"), stderr=subprocess.STDOUT, cwd=ROOT
    )
    deadline = time.monotonic() + 90
    while "Ctrl-C stops everything" not in out.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"baton dev did not come up:\n{out.read_text()}")
        time.sleep(0.3)
    return process


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("baton-home")
    port, ui_port, api_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "BATON_HOME": str(home),
        "BATON_TEMPORAL_PORT": str(port),
        "BATON_TEMPORAL_UI_PORT": str(ui_port),
        "BATON_API_PORT": str(api_port),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "TEMPORAL_UI_URL": f"http://localhost:{ui_port}",
        "BATON_TASK_QUEUE": "baton-cli-test",
        "DATABASE_URL": pg.create_database(),
        "COLUMNS": "200",
    }
    process = start_dev(env, home / "dev.out")
    team = home / "team.yaml"  # everyone a project names must be in the directory
    team.write_text("".join(f"{who}: {{name: {who.title()}}}\n" for who in TEAM_IDS))
    imported = baton(env, "people", "import", str(team))
    assert imported.returncode == 0, imported.stderr
    yield env, home, ui_port
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def baton(env, *args, check=True):
    result = subprocess.run([BATON, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in result.stdout + result.stderr
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


TEAM_IDS = ["pat", "sam", "alice", "dana", "sol", "stu"]
TEAM = [
    "--assign", "strategist=sam", "--assign", "seo=sam", "--assign", "writer=alice",
    "--assign", "designer=dana", "--assign", "social=sol", "--assign", "stakeholder=stu",
]  # fmt: skip


def test_dev_prints_the_web_ui_and_drives_a_blog_post(dev_stack):
    env, home, ui_port = dev_stack
    assert f"http://localhost:{ui_port}" in (home / "dev.out").read_text()
    launch = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    started = baton(
        env, "start", "blog-post", "--name", "CLI post", "--launch", launch, "--pm", "pat", *TEAM
    )
    assert "project-cli-post" in started.stdout
    assert "Waiting on 'Generate idea' (sam)" in started.stdout

    refused = baton(env, "complete", "cli-post", "idea", "--as", "alice", check=False)
    assert refused.returncode == 1
    assert (
        "alice may not complete 'idea': only sam (owner) or pat (project manager)" in refused.stderr
    )

    done = baton(env, "complete", "cli-post", "idea", "--as", "sam", "--note", "AI for SMBs")
    assert "completed 'idea' by sam" in done.stdout

    status = json.loads(baton(env, "status", "cli-post", "--json").stdout)
    states = {step["id"]: step["state"] for step in status["steps"]}
    assert states["idea"] == "done" and states["keywords"] == "active"
    assert status["temporal_url"].endswith("/namespaces/default/workflows/project-cli-post")

    for _ in range(40):  # visibility is eventually consistent
        rows = json.loads(baton(env, "projects", "--owner", "sam", "--json").stdout)
        if rows and rows[0]["owners"] == ["sam"]:
            break
        time.sleep(0.25)
    assert [(r["workflow_id"], r["playbook"], r["state"]) for r in rows] == [
        ("project-cli-post", "blog-post", "active")
    ]
    for _ in range(40):  # the worker writes the messages right after the transition
        inbox = json.loads(baton(env, "inbox", "sam", "--json").stdout)
        if any(m["step_id"] == "keywords" for m in inbox):
            break
        time.sleep(0.25)
    keywords = next(m for m in inbox if m["step_id"] == "keywords")
    assert keywords["kind"] == "assigned" and keywords["channel"] == "mailbox"
    assert "baton complete cli-post keywords --as sam" in keywords["body_text"]
    assert baton(env, "inbox", "sam", "--unread").stdout.startswith("No unread messages")
    duplicate = baton(
        env,
        "start",
        "blog-post",
        "--name",
        "CLI post",
        "--launch",
        launch,
        "--pm",
        "pat",
        *TEAM,
        check=False,
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr


def test_unknown_project_is_a_clear_error(dev_stack):
    env, _, _ = dev_stack
    result = baton(env, "status", "no-such-post", check=False)
    assert result.returncode == 1
    assert "no project 'project-no-such-post'" in result.stderr


def test_dev_refuses_a_busy_port(dev_stack):
    env, _, _ = dev_stack
    result = baton(env, "dev", check=False)  # the first one holds the ports
    assert result.returncode == 1
    assert "is already in use" in result.stderr


def test_simulate_prints_the_timeline_as_json(tmp_path):
    scenario = tmp_path / "late.yaml"
    scenario.write_text(
        """
playbook: blog-post
name: Simulated post
launch_date: 2026-12-15
assignments:
  {strategist: sam, seo: sam, writer: alice, designer: dana, social: sol, stakeholder: stu}
project_manager: pat
start_at: 2026-11-10T09:00:00Z
until: 2026-11-30T00:00:00Z
actions:
  - {at: 2026-11-14T10:00:00Z, action: complete_step, step_id: idea, actor: sam}
  - {at: 2026-11-15T10:00:00Z, action: complete_step, step_id: idea, actor: sam}
"""
    )
    result = subprocess.run(
        [BATON, "simulate", str(scenario), "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["state"] == "active"
    assert document["status"]["steps"][0]["state"] == "done"
    first = document["timeline"][0]
    assert first == {
        "at": "2026-11-10T09:00:00Z",
        "type": "assigned",
        "step_id": "idea",
        "recipient": "sam",
        "actor": None,
        "detail": None,
    }
    refused = [e for e in document["timeline"] if e["type"] == "refused"]
    assert [(e["at"], e["actor"]) for e in refused] == [("2026-11-15T10:00:00Z", "sam")]
    assert "already done" in refused[0]["detail"]
    instants = [e["at"] for e in document["timeline"]]
    assert instants == sorted(instants)


def test_simulate_names_the_bad_field(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "playbook: blog-post\nname: x\nproject_manager: pat\nassignments: {}\n"
        "actions:\n  - {at: 2026-11-14T10:00:00Z, action: finish_step}\n"
    )
    result = subprocess.run([BATON, "simulate", str(scenario)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "action 1: unknown action 'finish_step'" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_refuses_a_project_that_cannot_start(tmp_path):
    scenario = tmp_path / "past.yaml"
    scenario.write_text(
        "playbook: blog-post\nname: Past post\nlaunch_date: 2026-01-15\n"
        "start_at: 2026-02-01T09:00:00Z\nproject_manager: pat\n"
        "assignments: {strategist: sam, seo: sam, writer: alice, designer: dana, social: sol,"
        " stakeholder: stu}\n"
    )
    result = subprocess.run([BATON, "simulate", str(scenario)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "the launch date 2026-01-15 is in the past (today is 2026-02-01)" in result.stderr


def test_dev_stops_the_dev_server_an_earlier_killed_one_left_behind(tmp_path):
    """`baton dev` killed outright leaves its Temporal dev server running (its own
    process group); the next `baton dev` of the same home stops it, says so, and comes
    up on the same ports instead of failing on a busy port."""
    port, ui_port, api_port = free_port(), free_port(), free_port()
    env = {**os.environ, "BATON_HOME": str(tmp_path / "home"),
           "BATON_TEMPORAL_PORT": str(port), "BATON_TEMPORAL_UI_PORT": str(ui_port),
           "BATON_API_PORT": str(api_port), "DATABASE_URL": pg.create_database(),
           "COLUMNS": "200"}  # fmt: skip

    first = start_dev(env, tmp_path / "first.out")
    first.kill()  # SIGKILL: no chance to stop its children
    first.wait(timeout=10)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) == 0  # the orphan still serves
    second = start_dev(env, tmp_path / "second.out")
    text = (tmp_path / "second.out").read_text()
    assert "Stopped the Temporal dev server an earlier `baton dev` left running" in text
    second.send_signal(signal.SIGINT)
    assert second.wait(timeout=60) == 0
    for used in (port, ui_port, api_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", used)) != 0, f"port {used} still in use"


def test_a_worker_started_while_temporal_is_down_waits_for_it_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "BATON_HOME": str(tmp_path / "home"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens there
           "DATABASE_URL": pg.create_database(), "COLUMNS": "200"}  # fmt: skip
    out = tmp_path / "worker.out"
    process = subprocess.Popen([BATON, "worker"], env=env, stdout=out.open("w"),
                               stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
    deadline = time.monotonic() + 30
    while "waiting for Temporal" not in out.read_text():
        assert process.poll() is None, out.read_text()  # it waits; it does not exit
        assert time.monotonic() < deadline, out.read_text()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "Worker stopped." in out.read_text() and "Traceback" not in out.read_text()


def test_ctrl_c_stops_the_embedded_postgresql_unless_another_process_uses_it():
    """The embedded PostgreSQL is shared by every Baton process of a home: Ctrl-C on
    `baton dev` leaves it running while another process still uses it, and says so;
    with nobody else on it, Ctrl-C stops it and says so."""
    # Not under pytest's tmp_path: run as root, PostgreSQL runs as its own user, and
    # pytest keeps its temporary root private to root.
    base = Path(tempfile.mkdtemp(prefix="baton-dev-pg-"))
    os.chmod(base, 0o755)
    home = base / "home"
    port, ui_port, api_port = free_port(), free_port(), free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
           "BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(port),
           "BATON_TEMPORAL_UI_PORT": str(ui_port), "BATON_API_PORT": str(api_port),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{port}", "COLUMNS": "200"}  # fmt: skip
    users = home / "pg" / ".handle_pids.json"  # where pgserver counts who uses it

    def up(name: str) -> tuple[subprocess.Popen, Path]:
        return start_dev(env, base / name), base / name

    def postmaster() -> int:
        return int((home / "pg" / "postmaster.pid").read_text().split()[0])

    def running(pid: int) -> bool:  # an ended process not yet reaped is not running
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    other = None
    try:
        first, out = up("first.out")
        server = postmaster()
        # Another process on the same server: Baton's own store code, held open until
        # its stdin closes, then leaving as any Python process does.
        holder = (
            "import sys; from pathlib import Path; from baton.store.database import "
            "embedded_url; embedded_url(Path(sys.argv[1])); print('ready', flush=True); "
            "sys.stdin.read()"
        )
        other = subprocess.Popen([sys.executable, "-c", holder, str(home / "pg")], cwd=ROOT,
                                 env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)  # fmt: skip
        assert other.stdout.readline().strip() == "ready"
        assert other.pid in json.loads(users.read_text())
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 0
        text = out.read_text()
        assert "PostgreSQL left running: another Baton process still uses it" in text
        assert f"pid {other.pid}" in text and "Traceback" not in text
        assert running(server)

        other.stdin.close()
        assert other.wait(timeout=30) == 0
        assert other.pid not in json.loads(users.read_text())  # it took itself out

        second, out = up("second.out")
        assert postmaster() == server  # found running, not started again
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        command = subprocess.Popen([BATON, "people", "list"], env=env, cwd=ROOT, **quiet)
        assert command.wait(timeout=60) == 0
        assert command.pid not in json.loads(users.read_text())  # os._exit, yet taken out
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=60) == 0
        text = out.read_text()
        assert "stopped PostgreSQL" in text and "Traceback" not in text
        assert not running(server)
        assert not (home / "pg" / "postmaster.pid").exists()
    finally:
        if other and other.poll() is None:
            other.kill()
        stop_embedded(home / "pg")
        shutil.rmtree(base, ignore_errors=True)


def test_ctrl_c_stops_a_worker_whose_temporal_went_away(tmp_path):
    """Temporal lost between the worker connecting and its worker starting (it waited
    for PostgreSQL meanwhile): Ctrl-C still stops it at once, cleanly, saying so."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "temporal"), "server", "start-dev", "--headless",
         "--port", str(port), "--ui-port", str(free_port()), "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    database = pg.create_database()
    pg.drop_database(database)  # made again once the worker waits for it
    env = {**os.environ, "BATON_HOME": str(tmp_path / "home"), "DATABASE_URL": database,
           "TEMPORAL_ADDRESS": f"127.0.0.1:{port}", "COLUMNS": "200"}  # fmt: skip
    out = tmp_path / "worker.out"
    worker = subprocess.Popen([BATON, "worker"], env=env, stdout=out.open("w"),
                              stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "waiting for PostgreSQL" not in out.read_text():  # connected to Temporal
            assert worker.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.1)
        server.kill()
        server.wait(timeout=10)
        with psycopg.connect(pg.server_url(), autocommit=True) as conn:
            name = sql.Identifier(conninfo_to_dict(database)["dbname"])
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        time.sleep(3)  # PostgreSQL found; the worker starts against the lost Temporal
        worker.send_signal(signal.SIGINT)
        assert worker.wait(timeout=10) == 0, out.read_text()
        text = out.read_text()
        assert "Worker stopped." in text and "Traceback" not in text, text
        assert f"the worker stopped without Temporal at 127.0.0.1:{port}" in text, text
    finally:
        for process in (worker, server):
            if process.poll() is None:
                process.kill()
