"""`baton inbox PERSON`: every message a person was sent (the mailbox keeps them all,
whatever else delivered them)."""

from typing import Annotated

import typer
from rich.markup import escape

from baton.wording import when
from starters.cli.backends import backend
from starters.cli.common import JsonFlag
from starters.cli.output import console, print_json

app = typer.Typer()


@app.command(rich_help_panel="People")
def inbox(
    person: Annotated[
        str | None, typer.Argument(help="Whose messages (person id); yours after `baton login`.")
    ] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only messages not yet read.")] = False,
    json: JsonFlag = False,
) -> None:
    """A person's Baton messages (every message is kept here, whatever else sends it)."""
    rows = backend().inbox(person, unread)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        console.print(f"No {'unread ' if unread else ''}messages for {escape(person or 'you')}.")
        return
    for row in rows:
        fresh = "" if row.read_at else "[bold]new[/] "
        console.print(f"{fresh}{when(row.created_at)}  [bold]{escape(row.subject)}[/]")
        console.print(escape(row.body_text).strip() + "\n", highlight=False)
