"""One error hierarchy, mapped in two places: the CLI (message and exit 1; a bug is an
"internal error" with its traceback in a log file, exit 2) and the web layer (status
code and `{"detail": ...}`; a bug is a 500 with an error id that is also in the log)."""

import pytest
from fastapi.testclient import TestClient

from baton.config import Settings
from baton.errors import Invalid, NotFound, Problem, Refused, Unavailable
from starters import cli
from starters.cli import playbooks as playbook_commands
from starters.web.app import create_app
from starters.web.deps import Services


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BATON_DEBUG", raising=False)
    return tmp_path / "home"


def plan_raising(monkeypatch, error: Exception) -> None:
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(playbook_commands, "plan_playbook", broken)


def test_a_bug_in_a_command_is_an_internal_error_with_its_traceback_logged(
    home, monkeypatch, capsys
):
    plan_raising(monkeypatch, KeyError("steps"))
    code = cli.run(["playbook", "plan", "blog-post", "--launch", "2026-12-15"])
    err = capsys.readouterr().err
    logfile = home / "logs" / "errors.log"
    assert code == 2
    assert "internal error (details in" in err and str(logfile) in err
    assert "Traceback" not in err and "KeyError" not in err  # not shown as the user's mistake
    logged = logfile.read_text()
    assert "Traceback" in logged and "KeyError: 'steps'" in logged
    error_id = err.split("error ")[-1].split(")")[0].strip()
    assert f"error {error_id}" in logged


def test_a_value_error_from_a_library_is_a_bug_not_a_user_mistake(home, monkeypatch, capsys):
    plan_raising(monkeypatch, ValueError("invalid literal for int() with base 10: 'x'"))
    assert cli.run(["playbook", "plan", "blog-post", "--launch", "2026-12-15"]) == 2
    assert "internal error" in capsys.readouterr().err


@pytest.mark.parametrize("kind", [Refused, NotFound, Invalid, Unavailable])
def test_every_baton_error_is_one_clear_line_and_exit_1(home, monkeypatch, capsys, kind):
    plan_raising(monkeypatch, kind("the playbook has no step 'x'; steps are: idea"))
    assert cli.run(["playbook", "plan", "blog-post", "--launch", "2026-12-15"]) == 1
    err = capsys.readouterr().err
    assert "error: the playbook has no step 'x'; steps are: idea" in err
    assert not (home / "logs" / "errors.log").exists()


def test_bad_input_on_the_command_line_names_the_flag(home, capsys):
    assert cli.run(["playbook", "plan", "blog-post", "--launch", "15.12.2026"]) == 1
    assert "--launch '15.12.2026' is not a date" in capsys.readouterr().err


@pytest.fixture
def web(home):
    settings = Settings()
    app = create_app(services=Services(settings, client=None, pool=None))  # type: ignore[arg-type]

    def raising(error: Exception):
        async def route():
            raise error

        return route

    cases = {
        "refused": Refused("only sam (owner) or pat (project manager) may"),
        "missing": NotFound("no playbook 'nope'"),
        "field": Invalid("the launch date 2020-01-01 is in the past", field="launch_date"),
        "file": Invalid(problems=[Problem(file="team.csv", where="line 2", field="timezone",
                                          message="unknown time zone 'Mars/Olympus'")]),
        "down": Unavailable("cannot reach Temporal at localhost:7233"),
        "bug": KeyError("steps"),
    }  # fmt: skip
    for name, error in cases.items():
        app.add_api_route(f"/api/test/{name}", raising(error))
        app.add_api_route(f"/test/{name}", raising(error))
    with TestClient(app, raise_server_exceptions=False) as client:  # runs the lifespan
        yield client


def test_the_api_answers_each_kind_with_its_status_and_a_detail(web):
    assert web.get("/api/test/refused").status_code == 409
    assert web.get("/api/test/refused").json() == {
        "detail": "only sam (owner) or pat (project manager) may"
    }
    assert web.get("/api/test/missing").status_code == 404
    field = web.get("/api/test/field")
    assert field.status_code == 422
    assert field.json()["detail"][0]["loc"] == ["body", "launch_date"]
    assert "in the past" in field.json()["detail"][0]["msg"]
    located = web.get("/api/test/file")
    assert located.status_code == 422
    assert located.json()["problems"][0]["where"] == "line 2"
    assert web.get("/api/test/down").status_code == 503


def test_a_bug_behind_the_api_is_a_500_with_an_error_id_that_is_in_the_log(web, home):
    answer = web.get("/api/test/bug")
    assert answer.status_code == 500
    error_id = answer.json()["error_id"]
    assert error_id in answer.json()["detail"] and "KeyError" not in answer.text
    logged = (home / "logs" / "errors.log").read_text()
    assert f"error {error_id}" in logged and "KeyError: 'steps'" in logged


def test_dashboard_pages_show_the_same_kinds_as_pages(web):
    refused = web.get("/test/refused")
    assert refused.status_code == 409 and "text/html" in refused.headers["content-type"]
    assert "only sam (owner)" in refused.text
    bug = web.get("/test/bug")
    assert bug.status_code == 500 and "internal error" in bug.text and "KeyError" not in bug.text


async def test_postgresql_lost_under_a_running_api_answers_503_saying_so(home):
    import httpx

    from baton.people import Person
    from baton.store.database import open_pool
    from baton.store.people import PeopleRepo
    from baton.tokens import new_token
    from tests import pg

    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    token, digest = new_token()
    await PeopleRepo(pool).replace_all_or_nothing([Person(id="kim")])
    await PeopleRepo(pool).set_token_hash("kim", digest)
    app = create_app(services=Services(Settings(), client=None, pool=pool))  # type: ignore[arg-type]
    app.state.services = Services(Settings(), client=None, pool=pool)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as web:
            assert (await web.get("/api/me", headers=headers)).status_code == 200
            pg.drop_database(url)  # the server is gone for this database, mid-run
            lost = await web.get("/api/me", headers=headers)
            assert lost.status_code == 503, lost.text
            assert "the database is unreachable" in lost.json()["detail"]
    finally:
        await pool.close()
