"""The README's walk-through, run as printed on whatever day the tests run.

Convention: every ```console block of README.md is part of the walk-through. In it, a
line starting with `$ ` is a command (continued on the next lines while it ends with a
backslash); every other line is sample output and is not checked. The test starts
`baton dev --demo` in a fresh Baton home (what a fresh clone has: no .baton), then runs
each command in order from the repository folder, in a shell with .venv/bin on PATH as
the README says, and expects each to exit 0 without a traceback or an internal error.
Other tests check what the commands do; this one checks the README can be followed.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from baton.store.database import stop_embedded

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
README = ROOT / "README.md"
_CONSOLE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


def walk_through(text: str) -> list[str]:
    """The commands of the README's ```console blocks, in order, continuations joined."""
    commands: list[str] = []
    for block in _CONSOLE.findall(text):
        continued = False
        for line in block.splitlines():
            if continued:
                commands[-1] += "\n" + line
            elif line.startswith("$ "):
                commands.append(line[2:])
            else:
                continue
            continued = line.rstrip().endswith("\\")
    return commands


def test_the_walk_through_is_found():
    commands = walk_through(README.read_text())
    assert len(commands) >= 15
    assert all(command.startswith("baton ") for command in commands), commands
    first = {c.split()[1] for c in commands}
    for noun in ("people", "playbook", "start", "status", "complete", "review", "choose",
                 "reassign", "reschedule", "cancel", "simulate", "schedule"):  # fmt: skip
        assert noun in first, f"the walk-through shows no `baton {noun}`"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dev_demo():
    """`baton dev --demo` in a fresh Baton home, on free ports; the environment a second
    terminal in the project folder has (same home, same Temporal)."""
    # Not under pytest's tmp_path: run as root, PostgreSQL runs as its own user, and
    # pytest keeps its temporary root private to root.
    base = Path(tempfile.mkdtemp(prefix="baton-readme-"))
    os.chmod(base, 0o755)
    home = base / ".baton"
    ports = {name: free_port() for name in ("temporal", "ui", "api")}
    hidden = ("DATABASE_URL", "BATON_USER", "BATON_TOKEN", "BATON_HOME", "TEMPORAL_ADDRESS")
    env = {
        **{k: v for k, v in os.environ.items() if k not in hidden},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "BATON_HOME": str(home),
        "BATON_TEMPORAL_PORT": str(ports["temporal"]),
        "BATON_TEMPORAL_UI_PORT": str(ports["ui"]),
        "BATON_API_PORT": str(ports["api"]),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}",
        "TEMPORAL_UI_URL": f"http://localhost:{ports['ui']}",
        "COLUMNS": "160",
    }
    out = base / "dev.out"
    process = subprocess.Popen(
        [str(BIN / "baton"), "dev", "--demo"], cwd=ROOT, env=env, stdout=out.open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in out.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"baton dev --demo did not come up:\n{out.read_text()}")
            time.sleep(0.3)
        yield env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        stop_embedded(home / "pg")
        shutil.rmtree(base, ignore_errors=True)


def test_the_readme_walk_through_runs_in_order(dev_demo):
    for command in walk_through(README.read_text()):
        result = subprocess.run(
            ["bash", "-c", command], cwd=ROOT, env=dev_demo, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        output = result.stdout + result.stderr
        shown = f"$ {command}\n{output}"
        assert result.returncode == 0, f"exit {result.returncode}:\n{shown}"
        assert "Traceback" not in output, shown
        assert "internal error" not in output, shown
