"""`baton dev`: the whole local stack supervised as one unit — the embedded PostgreSQL,
Temporal's dev server with its Web UI, the worker with the outbox sender, and the API
with the dashboard. Each component is shown coming up; one that fails is named with
its reason and the rest are stopped; Ctrl-C stops everything."""

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from rich.console import Console

from baton.config import Settings, private_dir
from baton.errors import BatonError, Unavailable
from baton.playbook import bundled_playbooks
from baton.store.database import open_store, release_embedded
from baton.store.playbooks import PlaybookRepo
from baton.wording import url_lines
from starters import client
from starters.devstack import demo, temporal_server
from starters.devstack.history import fill_demo_history
from starters.web.deps import Services
from starters.web.server import api_server
from workers.main import serve


class ComponentFailed(Unavailable):
    """One part of the stack did not come up or stopped; the others are stopped too."""

    def __init__(self, component: str, reason: str):
        super().__init__(f"{component} failed: {reason}")


def port_busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def wait_for_port(port: int, alive: Callable[[], bool], timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if not alive():
            return False
        if port_busy(port):
            return True
        await asyncio.sleep(0.2)
    return False


DEMO_PAST_PROJECTS = 12


async def step(console: Console, label: str, work: Awaitable):
    """One component coming up, shown with a spinner, then a tick (or its failure)."""
    with console.status(f"{label}…"):
        try:
            result = await work
        except ComponentFailed:
            raise
        except (BatonError, OSError) as error:  # a bug goes on up as an internal error
            raise ComponentFailed(label, str(error)) from None
    return result


async def run_stack(settings: Settings, console: Console, with_demo: bool) -> None:
    home = settings.home.resolve()
    private_dir(home)
    orphan = temporal_server.stop_orphan(home)
    if orphan:
        console.print(
            f"[yellow]![/] Stopped the Temporal dev server an earlier `baton dev` left running "
            f"(pid {orphan}); its data is kept"
        )
    ports = {
        "Temporal": (settings.dev_port, "BATON_TEMPORAL_PORT"),
        "Temporal Web UI": (settings.dev_ui_port, "BATON_TEMPORAL_UI_PORT"),
        "API": (settings.api_port, "BATON_API_PORT"),
    }
    for name, (port, variable) in ports.items():
        if port_busy(port):
            raise ComponentFailed(
                name, f"port {port} is already in use; stop what uses it or set {variable}"
            )
    settings.temporal_address = f"127.0.0.1:{settings.dev_port}"
    settings.temporal_ui_url = f"http://localhost:{settings.dev_ui_port}"
    settings.demo_mailbox = settings.demo_mailbox or with_demo  # sign in by link, no email
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    pool = await step(console, "Starting PostgreSQL", open_store(settings))
    console.print("[green]✓[/] PostgreSQL ready, schema up to date")
    server = None
    tasks: dict[str, asyncio.Task] = {}
    try:
        count = await step(console, "Publishing the bundled playbooks", publish_bundled(pool))
        console.print(f"[green]✓[/] {count} bundled playbooks published")
        server = await step(console, "Starting the Temporal dev server", _temporal(settings, home))
        console.print(f"[green]✓[/] Temporal dev server on {settings.temporal_address}")
        client = await step(console, "Connecting to Temporal", _connect_when_healthy(settings))
        tasks["worker"] = asyncio.create_task(serve(settings, client, pool, stop))
        api = api_server(Services(settings, client, pool), "127.0.0.1", settings.api_port)
        tasks["API"] = asyncio.create_task(api.serve())
        await step(console, "Starting the API and dashboard", _started(api, tasks["API"]))
        console.print(
            f"[green]✓[/] Worker and outbox sender running; API on port {settings.api_port}"
        )
        tokens: dict[str, str] = {}
        project = None
        if with_demo:
            tokens = await step(console, "Importing the demo team", demo.ensure_team(pool, home))
            # Past projects, so the reports, charts and forecasts have something to show.
            history = fill_demo_history(pool, DEMO_PAST_PROJECTS, 1, datetime.now(UTC))
            added = await step(console, "Filling in past projects (demo history)", history)
            told = f"{added} step runs added" if added else "already there"
            console.print(
                f"[green]✓[/] Demo history: {DEMO_PAST_PROJECTS} past projects per playbook "
                f"({told}); `baton report --playbook blog-post`"
            )
            project = await step(
                console,
                "Starting the demo project",
                demo.ensure_project(client, settings.task_queue),
            )
            kept = "started" if project.started else "kept from the last run"
            console.print(f"[green]✓[/] Demo project {project.workflow_id} {kept}")
            console.print(f"  {demo.where_it_is(project)}", highlight=False, soft_wrap=True)
        _print_guide(console, settings, tokens, project)
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            [stopper, *tasks.values()], return_when=asyncio.FIRST_COMPLETED
        )
        for name, task in tasks.items():
            if task in done and not stop.is_set():
                error = task.exception()
                raise ComponentFailed(name, str(error) if error else "stopped unexpectedly")
        if server.returncode is not None and not stop.is_set():
            raise ComponentFailed("Temporal dev server", f"exited; see {home / 'temporal.log'}")
    finally:
        stop.set()
        users: list[int] | None = None  # who else still uses the embedded PostgreSQL
        with console.status("Stopping…"):
            # In order: no new requests, the worker's work in flight, Temporal, PostgreSQL.
            if "API" in tasks:
                api.should_exit = True
            for name in ("API", "worker"):
                if name in tasks:
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(tasks[name], timeout=20)
            if server is not None:
                await temporal_server.stop(server)
                (home / temporal_server.PID_FILE).unlink(missing_ok=True)
            await pool.close()
            # The embedded PostgreSQL is shared: stopped unless another process uses it.
            if not settings.database_url:
                users = await asyncio.to_thread(release_embedded, home / "pg")
        if users == []:
            console.print("[green]✓[/] stopped PostgreSQL")
        elif users:
            pids = ", ".join(str(pid) for pid in users)
            console.print(
                "[yellow]![/] PostgreSQL left running: another Baton process still uses it "
                f"(pid {pids})",
                highlight=False,
            )
        console.print(f"Stopped. Data kept in {home}.")


async def publish_bundled(pool) -> int:
    repo = PlaybookRepo(pool)
    files = bundled_playbooks()
    for path in files.values():
        await repo.publish(path.read_text(encoding="utf-8"), str(path))
    return len(files)


async def _temporal(settings: Settings, home: Path):
    def alive(server) -> bool:
        return server.returncode is None

    try:
        return await temporal_server.start(
            settings,
            home,
            lambda server: wait_for_port(settings.dev_port, lambda: alive(server), 60),
        )
    except temporal_server.ServerFailed as failure:
        raise ComponentFailed("Temporal dev server", str(failure)) from None


async def _connect_when_healthy(settings: Settings, timeout: float = 60):
    """The dev server opens its port before its frontend is healthy: retry until it is."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await client.connect(settings)
        except Unavailable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _started(api: uvicorn.Server, task: asyncio.Task) -> None:
    for _ in range(300):
        if api.started:
            return
        if task.done():
            error = task.exception() if not task.cancelled() else None
            raise ComponentFailed("API", str(error) if error else "did not start")
        await asyncio.sleep(0.05)
    raise ComponentFailed("API", "did not start within 15 s")


def _print_guide(
    console: Console, settings: Settings, tokens: dict, project: demo.DemoProject | None
) -> None:
    api = f"http://localhost:{settings.api_port}"
    console.print()  # addresses stay on one line, whatever the width: they are copied
    console.print(f"Temporal Web UI:  {settings.temporal_ui_url}", soft_wrap=True)
    console.print(f"API docs:         {api}/docs", soft_wrap=True)
    console.print(f"Dashboard:        {api}/", soft_wrap=True)
    if settings.demo_mailbox:
        console.print(f"Demo mailbox:     {api}/demo/mailbox", soft_wrap=True)
    if project:
        console.print(f"Demo project:     {api}/projects/{project.workflow_id}", soft_wrap=True)
        url = settings.workflow_url(project.workflow_id)
        for part, whole in url_lines(f"  in Temporal:    {url}", console.width):
            console.print(part, soft_wrap=whole, highlight=False)  # a long URL on its own
    if settings.demo_mailbox:
        console.print(
            f"\nSign in to the dashboard as pat (the demo's manager): type pat at {api}/login,"
            " then open the link in the demo mailbox. The others: sam, alice, dana, sol, stu.",
            soft_wrap=True,
        )
    if tokens:
        console.print("\nDemo people's API tokens (for the API, the CLI, or the token sign-in):")
        for person, token in tokens.items():
            console.print(f"  {person:6} {token}")
    commands = demo.next_commands(project, tokens, api) if project else [demo.START_EXAMPLE]
    exports = ["export PATH=$PWD/.venv/bin:$PATH", *_exports(settings)]
    console.print(
        "\nNext, in another terminal:\n" + "".join(f"  {line}\n" for line in exports + commands),
        highlight=False,
        soft_wrap=True,
        end="",
    )
    console.print("\nCtrl-C stops everything.")


def _exports(settings: Settings) -> list[str]:
    """The settings a second terminal needs when `baton dev` runs on other ports."""
    lines = []
    if settings.dev_port != 7233:
        lines.append(f"export TEMPORAL_ADDRESS={settings.temporal_address}")
        lines.append(f"export TEMPORAL_UI_URL={settings.temporal_ui_url}")
    if settings.home != Path(".baton"):
        lines.append(f"export BATON_HOME={settings.home}")
    return lines
