"""The CLI for team members: `baton login` with a person's token, then every command acts
through the HTTP API as that person; `--as` is refused (the token decides); `baton
logout` goes back to acting directly, as an operator."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import uvicorn

BATON = str(Path(sys.executable).parent / "baton")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_logged_in_cli_acts_through_the_api_as_its_person(baton, tmp_path):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(baton.transport.app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    env = {**os.environ, "BATON_HOME": str(tmp_path / "home"), "BATON_USER": ""}
    env.pop("DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([BATON, *args], env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    async def run(*args: str) -> subprocess.CompletedProcess:
        return await asyncio.to_thread(cli, *args)

    try:
        slug = (await baton.start())["slug"]  # pat's project; sam has 'idea'
        url = f"http://127.0.0.1:{port}"
        signed = await run("login", "--url", url, "--token", baton.tokens["sam"])
        assert signed.returncode == 0, signed.stderr
        assert "Signed in as sam" in signed.stdout
        assert oct((tmp_path / "home" / "login.json").stat().st_mode & 0o777) == "0o600"

        as_pat = await run("complete", slug, "idea", "--as", "pat")
        assert as_pat.returncode == 1
        assert "signed in as sam" in as_pat.stderr and "--as" in as_pat.stderr
        done = await run("complete", slug, "idea", "--note", "through the API")
        assert done.returncode == 0, done.stderr
        assert "completed 'idea' by sam" in done.stdout
        mine = await run("tasks", "--json")
        assert mine.returncode == 0, mine.stderr
        assert '"step_id": "keywords"' in mine.stdout
        not_mine = await run("start", "blog-post", "--name", "Sam's try", "--pm", "pat",
                             "--launch", "2027-02-01", "--assign", "writer=sam")  # fmt: skip
        assert not_mine.returncode == 1
        assert "only the project's manager or an admin" in not_mine.stderr

        out = await run("logout")
        assert out.returncode == 0 and "Signed out" in out.stdout
        direct = await run("complete", slug, "keywords")  # no token, no --as
        assert direct.returncode == 1 and "say who you are with --as" in direct.stderr
    finally:
        server.should_exit = True
        await serving
