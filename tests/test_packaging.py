"""Baton installs as a package, not only as this checkout: `pip install .` (not editable)
ships the bundled playbooks, the templates and the migrations as package data, and the
installed `baton playbook list` shows every bundled playbook."""

import json
import subprocess
import sys
from pathlib import Path

from tests import pg

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted(path.stem for path in (ROOT / "playbooks").glob("*.yaml"))


def test_a_plain_install_ships_its_data_and_lists_the_bundled_playbooks(tmp_path):
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--target", str(site), str(ROOT)]  # fmt: skip
    subprocess.run(install, check=True, capture_output=True, cwd=tmp_path)
    assert sorted(path.stem for path in (site / "playbooks").glob("*.yaml")) == BUNDLED
    assert len(BUNDLED) == 7
    assert (site / "baton" / "py.typed").exists()
    assert (site / "baton" / "store" / "migrations" / "0001_initial.sql").exists()
    assert (site / "starters" / "web" / "templates" / "board.html").exists()

    # Run the installed copy from elsewhere: the checkout is not on the path.
    run_installed = (
        "import sys, baton; assert baton.__file__.startswith(sys.argv[1]), baton.__file__; "
        "from starters.cli import main; sys.argv = ['baton', 'playbook', 'list', '--json']; main()"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path),
           "BATON_HOME": str(tmp_path / "home"), "DATABASE_URL": pg.create_database()}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", run_installed, str(site)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == BUNDLED
    blog = next(row for row in rows if row["id"] == "blog-post")
    assert (blog["name"], blog["steps"], blog["version"]) == ("Blog post", 8, None)  # not published
