"""`baton login|logout`: the CLI as a team member, through the HTTP API with your token
(kept readable by you only in the Baton home), or directly as an operator."""

from typing import Annotated

import typer
from rich.markup import escape

from baton.config import Settings
from starters.cli.output import console

app = typer.Typer()


@app.command(rich_help_panel="People")
def login(
    url: Annotated[
        str | None, typer.Option(help="The Baton API's address (BATON_PUBLIC_URL by default).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="BATON_TOKEN", help="Your API token; asked for when not given."),
    ] = None,
) -> None:
    """Act through the HTTP API as yourself: your token decides who acts (--as is then
    refused). An admin makes your token with `baton people token YOU`."""
    from starters.cli.backends import Login, ViaApi, save_login

    settings = Settings()
    address = url or settings.public_url
    token = token or typer.prompt("Your API token", hide_input=True)
    me = ViaApi(Login(url=address, token=token.strip(), person="")).call("GET", "/me")
    person = me["person"]["id"]
    path = save_login(settings, Login(url=address, token=token.strip(), person=person))
    console.print(
        f"Signed in as [bold]{escape(person)}[/] at {escape(address)} (kept in {path}). "
        "Commands now act through the API as you; `baton logout` to stop.",
        highlight=False,
    )


@app.command(rich_help_panel="People")
def logout() -> None:
    """Forget the login: commands act directly again (operators, with --as)."""
    from starters.cli.backends import login_file

    path = login_file(Settings())
    if path.exists():
        path.unlink()
        console.print(f"Signed out (removed {path}).", highlight=False)
    else:
        console.print("Not signed in.")
