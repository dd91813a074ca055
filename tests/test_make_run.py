"""The README's `make run`, end to end, in a temporary copy of the repository: the whole
stack comes up with the demo, one step is driven through the API and one through the
CLI, Ctrl-C stops everything, and a second `make run` resumes with the data kept."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from baton.store.database import stop_embedded

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
IGNORED = shutil.ignore_patterns(".venv", ".baton", ".git", "__pycache__", "*.egg-info", ".*cache")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MakeRun:
    def __init__(self, workdir: Path, env: dict):
        self.workdir, self.env = workdir, env
        self.output = workdir / f"make-run-{time.monotonic_ns()}.out"

    def __enter__(self) -> "MakeRun":
        # The venv is this test run's own (already installed): the stamp says so, so
        # `make run` goes straight to `baton dev --demo` as it does on a second run.
        stamp = self.workdir / "installed.stamp"
        stamp.touch()
        command = ["make", "run", f"VENV={VENV}", f"STAMP={stamp}"]
        with self.output.open("w") as out:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 150
        while "Ctrl-C stops everything" not in self.text:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"make run did not come up:\n{self.text}")
            time.sleep(0.5)
        return self

    @property
    def text(self) -> str:
        return self.output.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture
def workdir():
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as its own user and
    # pytest keeps its temporary root private to root.
    path = Path(tempfile.mkdtemp(prefix="baton-make-run-"))
    shutil.copytree(ROOT, path / "baton", ignore=IGNORED)
    os.chmod(path, 0o755)
    yield path / "baton"
    stop_embedded(path / "baton" / ".baton" / "pg")
    shutil.rmtree(path, ignore_errors=True)


def listed(fetch, timeout: float = 20) -> list:
    """A task list once it shows something: Temporal's listings lag each change a moment."""
    deadline = time.monotonic() + timeout
    while not (rows := fetch()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return rows


def test_make_run_brings_up_the_stack_and_resumes(workdir):
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BATON_HOME")},
        "BATON_TEMPORAL_PORT": str(ports["temporal"]),
        "BATON_TEMPORAL_UI_PORT": str(ports["ui"]),
        "BATON_API_PORT": str(ports["api"]),
        "TEMPORAL_UI_URL": f"http://localhost:{ports['ui']}",
        "COLUMNS": "200",
    }
    api = f"http://127.0.0.1:{ports['api']}"
    with MakeRun(workdir, env) as run:
        text = run.text
        assert f"Temporal Web UI:  http://localhost:{ports['ui']}" in text
        assert f"API docs:         http://localhost:{ports['api']}/docs" in text
        assert "Demo project project-demo-spring-launch-post started" in text
        tokens = dict(re.findall(r"^\s+(\w+)\s+(bt_\S+)$", text, re.MULTILINE))
        assert {"pat", "sam", "alice"} <= set(tokens)
        assert httpx.get(f"http://127.0.0.1:{ports['ui']}/", timeout=10).status_code == 200
        assert httpx.get(f"{api}/docs", timeout=10).status_code == 200
        # A manager signs in by link: the demo mailbox shows it (only in the demo).
        dashboard = f"http://localhost:{ports['api']}"
        assert f"Demo mailbox:     {dashboard}/demo/mailbox" in text
        assert f"Demo project:     {dashboard}/projects/project-demo-spring-launch-post" in text
        assert f"type pat at {dashboard}/login" in text
        assert httpx.get(f"{api}/demo/mailbox", timeout=10).status_code == 200
        assert "demo mailbox" in httpx.get(f"{api}/login", timeout=10).text

        sam = {"Authorization": f"Bearer {tokens['sam']}"}
        tasks = listed(lambda: httpx.get(f"{api}/api/me/tasks", headers=sam, timeout=30).json())
        assert [t["step_id"] for t in tasks] == ["idea"]
        done = httpx.post(
            f"{api}/api/projects/demo-spring-launch-post/steps/idea/complete",
            headers=sam, json={"note": "from the API"}, timeout=30,
        )  # fmt: skip
        assert done.status_code == 200, done.text
        # The one-click links in messages lead to this API's port (not a default one).
        inbox = httpx.get(f"{api}/api/me/inbox", headers=sam, timeout=30).json()
        urls = [u for m in inbox for u in re.findall(r"https?://\S+", m["body_text"])]
        assert urls and all(u.startswith(f"http://localhost:{ports['api']}/") for u in urls)

        cli = subprocess.run(
            [str(VENV / "bin" / "baton"), "complete", "demo-spring-launch-post", "keywords",
             "--as", "sam"],
            cwd=workdir, env={**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}"},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert "completed 'keywords' by sam" in cli.stdout
    assert "Stopped. Data kept in" in run.text
    for port in ports.values():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still in use"

    cli_env = {**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}"}
    with MakeRun(workdir, env) as again:
        # It says where the demo really is, and what works next from there.
        assert "Demo project project-demo-spring-launch-post kept from the last run" in again.text
        assert "Waiting on 'Create blog post outline' (alice)" in again.text
        assert "  baton complete demo-spring-launch-post outline --as alice\n" in again.text
        alice = {"Authorization": f"Bearer {tokens['alice']}"}  # the same tokens again
        tasks = listed(lambda: httpx.get(f"{api}/api/me/tasks", headers=alice, timeout=30).json())
        assert [t["step_id"] for t in tasks] == ["outline"]
        cancel = subprocess.run(
            [str(VENV / "bin" / "baton"), "cancel", "demo-spring-launch-post",
             "--reason", "trying it out", "--as", "pat"],
            cwd=workdir, env=cli_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert cancel.returncode == 0, cancel.stderr

    with MakeRun(workdir, env) as third:
        assert (
            "project 'demo-spring-launch-post' was cancelled by pat on "
            f"{datetime.now(UTC).astimezone(ZoneInfo('Europe/Berlin')):%a %Y-%m-%d} "
            "(trying it out); nothing more can be done"
        ) in third.text
        assert "baton complete" not in third.text  # nothing of it can be done now
        assert "  baton start blog-post --name 'My first post' --launch +5w" in third.text
