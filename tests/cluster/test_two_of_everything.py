"""docker-compose.yml's topology run as processes (no container engine runs here): one
Temporal dev server, one PostgreSQL, `baton db migrate`, then TWO of each Baton service
(`baton worker --no-sender`, `baton api`, `baton sender`), with SendGrid a local server
speaking its API. Fifty projects are driven through both APIs at once, each call on the
other API than the one before; every project must complete, every email row must end
`sent`, and SendGrid must have taken each notification exactly once, counted by the
idempotency key Baton sends. Then every service passes its container health check and
stops cleanly on SIGTERM."""

import asyncio
import contextlib
import itertools
import socket
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus

from baton.config import Settings
from baton.people import Person
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from starters import client
from tests import pg
from tests.fakes import FakeSendGrid, free_port
from tests.faults.stack import Process, Temporal, baton_process

PROJECTS = 50
PM = "pat"
OWNERS = ["alice", "bob", "cara", "dev"]
APPROVERS = ["stu", "sol"]
# Two steps, one of them an approval: a hand-off and a review per project, dues two
# months away (no reminder falls due while the test runs).
PLAYBOOK = """\
id: cluster-check
name: Cluster check
roles: {owner: Owner, boss: Approver}
steps:
  - {id: write, name: Write it, owner: owner, due: -2d}
  - {id: ok, name: Approve it, kind: approval, approvers: [boss], after: [write], due: -1d}
"""
STOPPED = {"worker": "Worker stopped.", "sender": "Sender stopped.", "api": "API stopped."}


class Phases:
    """How long each part took, for the report (never asserted)."""

    def __init__(self) -> None:
        self.took: dict[str, float] = {}
        self._since = time.monotonic()

    def end(self, name: str) -> None:
        now = time.monotonic()
        self.took[name], self._since = now - self._since, now

    def __str__(self) -> str:
        return ", ".join(f"{name} {took:.0f} s" for name, took in self.took.items())


class Cluster:
    """Everything the test starts, so that all of it is stopped whatever happens."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sendgrid = FakeSendGrid()
        self.temporal = Temporal(root, free_port())
        self.api_ports = [free_port(), free_port()]
        self.task_queue = f"cluster-{uuid.uuid4().hex[:8]}"
        self.database: str | None = None
        self.pool = None
        self.services: dict[str, Process] = {}  # "worker-1" -> its process

    def env(self, **more: str) -> dict[str, str]:
        """What docker-compose.yml gives every Baton service, pointed at this machine."""
        return {
            "TEMPORAL_ADDRESS": self.temporal.address,
            "BATON_TASK_QUEUE": self.task_queue,
            "DATABASE_URL": self.database,
            "BATON_SECRET_KEY": "the cluster test's secret, the same for every process",
            "BATON_PUBLIC_URL": f"http://127.0.0.1:{self.api_ports[0]}",
            "SENDGRID_API_KEY": self.sendgrid.api_key,
            "SENDGRID_HOST": self.sendgrid.url,
            "BATON_HOME": str(self.root / "home"),
            **more,
        }

    async def up(self) -> dict[str, str]:
        """The topology started (`ready` waits for it to answer); the people's API tokens."""
        self.sendgrid.start()
        self.database = await asyncio.to_thread(pg.create_database)  # empty: migrate makes it
        await self.temporal.start()  # with Baton's search attributes, as the one-shot adds
        migrate = baton_process("migrate", ["db", "migrate"], self.root, self.env())
        migrate.start()
        assert await asyncio.to_thread(migrate.proc.wait, 120) == 0, migrate.tail()
        assert "Applied" in migrate.tail(), migrate.tail()
        self.pool = await open_pool(self.database)
        tokens = await add_team(self.pool)
        for n, port in enumerate(self.api_ports, start=1):
            self.start(f"worker-{n}", ["worker", "--no-sender"])
            self.start(f"sender-{n}", ["sender"])
            self.start(f"api-{n}", ["api", "--port", str(port)])
        return tokens

    def start(self, name: str, args: list[str]) -> None:
        self.services[name] = baton_process(name, args, self.root, self.env())
        self.services[name].start()

    def check_alive(self) -> None:
        for name, process in self.services.items():
            assert process.alive, f"{name} exited ({process.returncode}):\n{process.tail()}"

    async def ready(self, temporal: Client, timeout: float = 90) -> None:
        """Until both APIs answer and Temporal lists both workers among the task queue's
        pollers (what an operator checks in the Web UI)."""
        workers = {self.identity(f"worker-{n}") for n in (1, 2)}
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                self.check_alive()
                answering = [await answers(http, port) for port in self.api_ports]
                if all(answering) and workers <= await self.pollers(temporal):
                    return
                assert asyncio.get_running_loop().time() < deadline, "not ready:\n" + self.logs()
                await asyncio.sleep(0.3)

    def identity(self, name: str) -> str:
        """How Temporal names a process's worker: the SDK's pid@host."""
        return f"{self.services[name].proc.pid}@{socket.gethostname()}"

    async def pollers(self, temporal: Client) -> set[str]:
        described = await temporal.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace="default",
                task_queue=TaskQueue(name=self.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return {poller.identity for poller in described.pollers}

    async def closed(self, temporal: Client, workflow_ids: list[str], timeout: float = 30) -> None:
        """Until every project's workflow has closed completed (its last messages are in
        the outbox by then)."""
        deadline = asyncio.get_running_loop().time() + timeout
        open_ = set(workflow_ids)
        while open_:
            for workflow_id in sorted(open_):
                described = await temporal.get_workflow_handle(workflow_id).describe()
                if described.status == WorkflowExecutionStatus.COMPLETED:
                    open_.discard(workflow_id)
            assert asyncio.get_running_loop().time() < deadline, f"still open: {sorted(open_)}"
            await asyncio.sleep(0.3)

    async def emails(self, timeout: float = 60) -> dict[str, str]:
        """The outbox's email rows (idempotency key -> status) once none waits to be sent."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(
                    "SELECT idempotency_key, status FROM outbox WHERE channel = 'email'"
                )
                rows = dict(await cursor.fetchall())
            waiting = [key for key, status in rows.items() if status in ("pending", "sending")]
            if not waiting or asyncio.get_running_loop().time() > deadline:
                return rows
            await asyncio.sleep(0.3)

    async def healthcheck(self, service: str, **env: str) -> tuple[int, str]:
        check = baton_process(f"healthcheck-{service}", ["healthcheck", service], self.root,
                              self.env(**env))  # fmt: skip
        check.start()
        code = await asyncio.to_thread(check.proc.wait, 60)
        return code, check.tail()

    def logs(self) -> str:
        processes = [self.temporal.process, *self.services.values()]
        return "\n".join(f"--- {p.name} log, last lines:\n{p.tail()}" for p in processes)

    async def down(self) -> None:
        for process in [*self.services.values(), self.temporal.process]:
            with contextlib.suppress(Exception):
                await process.stop()
        if self.pool is not None:
            await self.pool.close()
        if self.database is not None:
            await asyncio.to_thread(pg.drop_database, self.database)
        self.sendgrid.stop()


async def add_team(pool) -> dict[str, str]:
    """The team, each with an email address and an API token (the PM an admin)."""
    people = [PM, *OWNERS, *APPROVERS]
    repo = PeopleRepo(pool)
    await repo.replace_all_or_nothing(
        [Person(id=p, name=p.title(), email=f"{p}@example.com") for p in people], {PM: True}
    )
    tokens = {}
    for person in people:
        tokens[person], digest = new_token()
        await repo.set_token_hash(person, digest)
    return tokens


async def answers(http: httpx.AsyncClient, port: int) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return (await http.get(f"http://127.0.0.1:{port}/login")).status_code == 200
    return False


class Apis:
    """Both API processes, as the team calls them: each person with their own token."""

    def __init__(self, ports: list[int], tokens: dict[str, str]) -> None:
        self.http = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports]
        self.tokens = tokens
        self.calls: Counter[int] = Counter()  # by API
        self.busy = 0  # 503 answers, tried again

    async def call(
        self, api: int, person: str, method: str, path: str, ok=(200, 201), **kw
    ) -> httpx.Response:
        """One request, its answer one of `ok`; a 503 (Baton busy: a project still
        starting, say) is tried again, unless it is one of `ok`."""
        headers = {"Authorization": f"Bearer {self.tokens[person]}"}
        for _ in range(100):
            response = await self.http[api].request(method, path, headers=headers, **kw)
            self.calls[api] += 1
            if response.status_code != 503 or 503 in ok:
                break
            self.busy += 1
            await asyncio.sleep(0.2)
        assert response.status_code in ok, f"{method} {path}: {response.text}"
        return response

    async def close(self) -> None:
        for http in self.http:
            await http.aclose()


async def drive(apis: Apis, number: int) -> tuple[str, str]:
    """One project started and taken to its end, every call on the other API than the
    one before; its workflow id and final state."""
    turns = itertools.cycle([number % 2, 1 - number % 2])
    launch = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    request = {
        "playbook": "cluster-check",
        "name": f"Cluster project {number}",
        "launch_date": launch,
        "assignments": {"owner": OWNERS[number % 4], "boss": APPROVERS[number % 2]},
        "project_manager": PM,
        "slug": f"cluster-{number}",
    }
    started = await apis.call(next(turns), PM, "POST", "/api/projects", json=request, ok=(201, 503))
    status = started.json() if started.status_code == 201 else None  # 503: still starting
    while status is None or status["state"] == "active":
        step = status and next((s for s in status["steps"] if s["state"] == "active"), None)
        if step is None:  # still starting, or between two steps: look again
            await asyncio.sleep(0.1)
            looked = await apis.call(next(turns), PM, "GET", f"/api/projects/{request['slug']}")
            status = looked.json()
            continue
        action, body = ("review", {"approve": True}) if step["kind"] == "approval" else (
            "complete", {"note": "done"})  # fmt: skip
        path = f"/api/projects/{status['slug']}/steps/{step['id']}/{action}"
        person = step["owners"][0]  # each step of this playbook has one owner or approver
        acted = await apis.call(next(turns), person, "POST", path, json=body)
        status = acted.json()["status"]
    return status["workflow_id"], status["state"]


async def test_two_of_everything_complete_50_projects_and_send_each_message_once(tmp_path, capsys):
    cluster = Cluster(tmp_path)
    apis = None
    phases = Phases()
    try:
        tokens = await cluster.up()
        temporal = await client.connect(Settings(TEMPORAL_ADDRESS=cluster.temporal.address))
        await cluster.ready(temporal)
        apis = Apis(cluster.api_ports, tokens)
        await apis.call(0, PM, "POST", "/api/playbooks", content=PLAYBOOK)
        phases.end("up")

        driven = await asyncio.wait_for(
            asyncio.gather(*(drive(apis, n) for n in range(PROJECTS))), timeout=120
        )
        states = Counter(state for _, state in driven)
        await cluster.closed(temporal, [workflow_id for workflow_id, _ in driven])
        phases.end("projects")
        emails = await cluster.emails()
        phases.end("outbox drained")
        accepted = cluster.sendgrid.accepted_keys()
        refused = [r for r in cluster.sendgrid.requests if not r.accepted]

        checks = await asyncio.gather(
            cluster.healthcheck("worker"),
            cluster.healthcheck("sender"),
            *(cluster.healthcheck("api", BATON_API_PORT=str(p)) for p in cluster.api_ports),
        )
        # SIGTERM, as `docker-compose stop` sends (then SIGKILL if still there)
        await asyncio.gather(*(p.stop(timeout=30) for p in cluster.services.values()))
        stops = {name: process.returncode for name, process in cluster.services.items()}
        stopped_lines = {
            name: STOPPED[name.split("-")[0]] in process.tail()
            for name, process in cluster.services.items()
        }
        phases.end("health checks and SIGTERM")
    except BaseException:
        with capsys.disabled():
            print("\n" + cluster.logs())
        raise
    finally:
        if apis is not None:
            await apis.close()
        await cluster.down()

    with capsys.disabled():
        print(
            f"\n== cluster as processes: {PROJECTS} projects, states {dict(states)}, "
            f"{len(emails)} emails, SendGrid took {sum(accepted.values())}; calls per API "
            f"{dict(apis.calls)}, 503s tried again {apis.busy}; {phases} =="
        )
    assert states == {"completed": PROJECTS}
    assert apis.calls[0] > PROJECTS and apis.calls[1] > PROJECTS  # both APIs took their share
    statuses = Counter(emails.values())
    assert statuses == {"sent": len(emails)}, statuses
    assert len(emails) >= 2 * PROJECTS  # the owner's and the approver's turn, at least
    doubled = {key: count for key, count in accepted.items() if count != 1}
    assert not doubled, f"emails SendGrid took more than once: {doubled}"
    assert set(accepted) == set(emails), "SendGrid's messages are not the outbox's"
    assert sum(accepted.values()) == len(emails)
    assert not refused, [f"{r.method} {r.path}" for r in refused]
    for code, output in checks:
        assert code == 0, output
    assert stops == dict.fromkeys(cluster.services, 0), stops
    assert all(stopped_lines.values()), stopped_lines
