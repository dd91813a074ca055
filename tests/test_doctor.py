"""`baton doctor` as an operator runs it, on real servers: the session's Temporal dev
server (with and without Baton's search attributes, a worker or none, a project whose
workflow task keeps failing), a real PostgreSQL (migrated or not, an outbox backlog), an
unreachable Temporal; the exit code, the checks' JSON and the lines people read."""

import asyncio
import json
import socket
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from baton.config import Settings
from baton.contract import WORKFLOW_TYPE
from baton.store.database import open_pool
from starters import cli
from starters.client.doctor import LABELS, links_check, providers_check
from tests import pg
from tests.shared_worker import worker_on_shared_server

UI = "http://temporal-ui.test:8233"


@workflow.defn(name=WORKFLOW_TYPE)
class BrokenProject:
    """A project whose code raises: the SDK fails its workflow task, again and again."""

    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("the playbook broke")


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """Only what a test sets: none of the machine's Baton settings, no colours."""
    for field in Settings.model_fields.values():
        monkeypatch.delenv(str(field.validation_alias), raising=False)
    for name in ("FORCE_COLOR", "BATON_DEBUG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("BATON_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # no .env file
    return monkeypatch


@pytest.fixture(scope="module")
async def migrated():
    return await pg.migrated_template()


def use(environment, temporal, queue: str, database: str, **extra: str) -> None:
    """Point the doctor at the session's Temporal and `database`, with SendGrid and Slack
    on local test servers (providers configured, no real mail), and a secret key."""
    settings = {
        "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
        "TEMPORAL_UI_URL": UI,
        "BATON_TASK_QUEUE": queue,
        "DATABASE_URL": database,
        "SENDGRID_API_KEY": "SG.test-key",
        "SENDGRID_HOST": "http://127.0.0.1:9",
        "BATON_SECRET_KEY": "a test secret of enough length!!",
    }
    for name, value in (settings | extra).items():
        environment.setenv(name, value)


async def doctor(capsys, *args: str) -> tuple[int, str]:
    """`baton doctor` run in-process (its own event loop, in a thread); exit code, stdout."""
    code = await asyncio.to_thread(cli.run, ["doctor", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "internal error" not in out.err
    return code, out.out


async def doctor_json(capsys) -> tuple[int, dict[str, dict]]:
    """`baton doctor --json`: a list of {check, status, detail, fix}, every check once,
    in order; as {check: entry}."""
    code, out = await doctor(capsys, "--json")
    checks = json.loads(out)
    assert [entry["check"] for entry in checks] == list(LABELS)
    for entry in checks:
        assert set(entry) == {"check", "status", "detail", "fix"}
        assert entry["status"] in ("ok", "warning", "problem", "skipped")
        assert entry["detail"]
        assert (entry["fix"] is None) == (entry["status"] in ("ok", "skipped")), entry
    assert code == (1 if any(entry["status"] == "problem" for entry in checks) else 0)
    return code, {entry["check"]: entry for entry in checks}


def fresh_queue() -> str:
    return f"doctor-{uuid.uuid4().hex[:8]}"


async def polled(client: Client, queue: str) -> None:
    """Wait until workers poll `queue` for workflow and activity tasks (the first polls
    of a worker just started take a moment to show)."""
    kinds = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
    task_queue = TaskQueue(name=queue)
    for _ in range(150):
        answers = [
            await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace, task_queue=task_queue, task_queue_type=kind
                )
            )
            for kind in kinds
        ]
        if all(answer.pollers for answer in answers):
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"no worker showed up polling {queue}")


async def test_a_healthy_stack_is_all_ok(environment, capsys, temporal, migrated):
    queue = fresh_queue()
    database = pg.create_database(template=migrated)
    use(environment, temporal, queue, database)
    pool = await open_pool(database, max_size=4)
    signer = LinkSigner(secret=b"a test secret of enough length!!", public_url="http://b.test")
    try:
        async with worker_on_shared_server(
            temporal.client, queue, PostgresCatalog(pool), PostgresRecorder(pool, signer, set())
        ):
            await polled(temporal.client, queue)
            code, checks = await doctor_json(capsys)
            assert code == 0
            assert {name: entry["status"] for name, entry in checks.items()} == dict.fromkeys(
                LABELS, "ok"
            )
            assert "1 worker polling" in checks["workers"]["detail"]
            assert checks["stuck_projects"]["detail"] == f"no open projects on '{queue}'"
            assert "no message waiting" in checks["outbox"]["detail"]

            code, out = await doctor(capsys)
            assert code == 0
            assert "✓ Temporal" in out and "✓ Workers" in out
            assert "✗" not in out and "fix:" not in out
            assert out.rstrip().endswith("All good.")
    finally:
        await pool.close()


async def test_no_worker_polling_is_a_problem(environment, capsys, temporal, migrated):
    queue = fresh_queue()
    use(environment, temporal, queue, pg.create_database(template=migrated))
    code, checks = await doctor_json(capsys)
    assert code == 1
    workers = checks["workers"]
    assert workers["status"] == "problem"
    assert f"no worker is polling task queue '{queue}'" in workers["detail"]
    assert "`baton worker`" in workers["fix"]
    assert checks["temporal"]["status"] == checks["postgresql"]["status"] == "ok"

    code, out = await doctor(capsys)
    assert code == 1
    assert "✗ Workers" in out
    assert "fix: start a worker: `baton worker`" in out
    assert "1 problem: see the fixes above." in out


async def test_a_database_not_migrated_says_to_migrate(environment, capsys, temporal):
    database = pg.create_database()  # empty: no migration applied
    use(environment, temporal, fresh_queue(), database)
    code, checks = await doctor_json(capsys)
    assert code == 1
    assert checks["postgresql"]["status"] == "ok"
    migrations = checks["migrations"]
    assert migrations["status"] == "problem"
    assert "0001_initial" in migrations["detail"]
    assert migrations["fix"].startswith("`baton db migrate`")
    assert checks["outbox"]["status"] == "skipped"


async def test_an_outbox_backlog_is_reported_with_its_count_and_age(
    environment, capsys, temporal, migrated
):
    database = pg.create_database(template=migrated)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    rows = [  # (key, channel, status, attempts, error, created)
        ("a", "email", "pending", 3, "SendGrid answered 503", two_hours_ago),
        ("b", "slack", "pending", 0, None, datetime.now(UTC) - timedelta(minutes=30)),
        ("c", "mailbox", "sent", 0, None, two_hours_ago),  # the mailbox never waits
        ("d", "email", "sent", 1, None, two_hours_ago),
    ]
    with psycopg.connect(database, autocommit=True) as conn:
        for key, channel, status, attempts, error, created in rows:
            conn.execute(
                "INSERT INTO outbox (idempotency_key, workflow_id, transition, kind, recipient,"
                " channel, subject, body_text, body_html, status, attempts, last_error,"
                " created_at) VALUES (%s, 'project-x', 1, 'assigned', 'alice', %s, 's', 't',"
                " 'h', %s, %s, %s, %s)",
                (key, channel, status, attempts, error, created),
            )
    use(environment, temporal, fresh_queue(), database)
    _, checks = await doctor_json(capsys)
    outbox = checks["outbox"]
    assert outbox["status"] == "problem"
    assert outbox["detail"].startswith("2 messages waiting, the oldest for 2 h")
    assert "SendGrid answered 503" in outbox["detail"]
    assert "SENDGRID_API_KEY" in outbox["fix"]


async def test_temporal_unreachable_still_checks_postgresql(environment, capsys, migrated):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    environment.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{closed}")
    environment.setenv("DATABASE_URL", pg.create_database(template=migrated))
    code, checks = await doctor_json(capsys)
    assert code == 1
    assert checks["temporal"]["status"] == "problem"
    assert f"cannot reach Temporal at 127.0.0.1:{closed}" in checks["temporal"]["detail"]
    assert "TEMPORAL_ADDRESS" in checks["temporal"]["fix"]
    for name in ("namespace", "search_attributes", "workers", "stuck_projects"):
        assert checks[name]["status"] == "skipped"
    assert [checks[name]["status"] for name in ("postgresql", "migrations", "outbox")] == ["ok"] * 3


async def test_a_stuck_project_is_named_with_its_error(environment, capsys, temporal, migrated):
    queue = fresh_queue()
    use(environment, temporal, queue, pg.create_database(template=migrated))
    workflow_id = f"project-doctor-stuck-{uuid.uuid4().hex[:6]}"
    client = temporal.client
    async with Worker(
        client,
        task_queue=queue,
        workflows=[BrokenProject],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(WORKFLOW_TYPE, id=workflow_id, task_queue=queue)
        try:
            listed = f"WorkflowId = '{workflow_id}' AND ExecutionStatus = 'Running'"
            for _ in range(100):  # its first workflow task failed, and it is listed
                pending = (await handle.describe()).raw_description.pending_workflow_task
                if pending.attempt >= 2 and (await client.count_workflows(listed)).count:
                    break
                await asyncio.sleep(0.1)
            _, checks = await doctor_json(capsys)
        finally:
            await handle.terminate(reason="test done")
    stuck = checks["stuck_projects"]
    assert stuck["status"] == "problem"
    assert workflow_id in stuck["detail"]
    assert "RuntimeError: the playbook broke" in stuck["detail"]
    assert f"{UI}/namespaces/default/workflows/{workflow_id}" in stuck["fix"]
    assert "worker's log" in stuck["fix"]


async def test_a_namespace_missing_or_without_the_search_attributes(
    environment, capsys, temporal, migrated
):
    use(environment, temporal, fresh_queue(), pg.create_database(template=migrated))
    environment.setenv("TEMPORAL_NAMESPACE", "no-such-namespace")
    _, checks = await doctor_json(capsys)
    assert checks["namespace"]["status"] == "problem"
    assert "'no-such-namespace' does not exist" in checks["namespace"]["detail"]
    assert (
        "temporal operator namespace create --namespace no-such-namespace"
        in (checks["namespace"]["fix"])
    )
    assert checks["search_attributes"]["status"] == "skipped"

    bare = f"doctor-bare-{uuid.uuid4().hex[:6]}"  # registered without Baton's attributes
    await temporal.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=bare, workflow_execution_retention_period=timedelta(days=1)
        )
    )
    environment.setenv("TEMPORAL_NAMESPACE", bare)
    _, checks = await doctor_json(capsys)
    attributes = checks["search_attributes"]
    assert attributes["status"] == "problem"
    assert "BatonPlaybook" in attributes["detail"] and "BatonOverdue" in attributes["detail"]
    assert "`baton worker`" in attributes["fix"]
    assert (
        f"search-attribute create --namespace {bare} --name BatonPlaybook --type Keyword"
        in (attributes["fix"])
    )


async def test_settings_it_cannot_read_are_a_problem_not_a_crash(environment, capsys):
    environment.setenv("BATON_API_PORT", "eight thousand")
    code, checks = await doctor_json(capsys)
    assert code == 1
    assert checks["settings"]["status"] == "problem"
    assert "BATON_API_PORT" in checks["settings"]["detail"]
    assert all(checks[name]["status"] == "skipped" for name in list(LABELS)[1:])


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)


def test_mailbox_only_is_said_and_explained():
    check = providers_check(settings())
    assert check.status == "warning"
    assert check.detail.startswith("mailbox only: messages go to each person's mailbox")
    assert "SENDGRID_API_KEY" in check.fix and "SLACK_BOT_TOKEN" in check.fix


def test_real_mail_with_links_to_localhost_is_a_warning():
    real = {"SENDGRID_API_KEY": "SG.key", "BATON_EMAIL_FROM": "Baton <baton@example.com>"}
    assert providers_check(settings(**real)).status == "ok"
    check = links_check(settings(**real, BATON_SECRET_KEY="s" * 32))
    assert check.status == "warning"
    assert "http://localhost:8000" in check.detail
    assert "BATON_PUBLIC_URL" in check.fix
    public = settings(**real, BATON_PUBLIC_URL="https://baton.example.com")
    assert "BATON_SECRET_KEY" in links_check(public).fix  # each machine its own key
    sender = providers_check(settings(SENDGRID_API_KEY="SG.key"))  # from baton@localhost
    assert sender.status == "warning" and "BATON_EMAIL_FROM" in sender.fix
    local = settings(SENDGRID_API_KEY="SG.key", SENDGRID_HOST="http://localhost:3000")
    assert links_check(local).status == "ok"  # a local test server: no one is mailed


def test_a_public_url_that_is_not_one_is_a_problem():
    check = links_check(settings(BATON_PUBLIC_URL="baton.example.com"))
    assert check.status == "problem"
    assert "https://" in check.fix
