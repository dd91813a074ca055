"""`baton inbox PERSON`: every message a person was sent (the mailbox keeps them all,
whatever else delivered them)."""

from typing import Annotated

import typer
from rich.markup import escape

from baton.wording import when
from starters.cli.common import JsonFlag, Viewer, backend
from starters.cli.output import console, print_json, say

app = typer.Typer()


@app.command(rich_help_panel="People")
def inbox(
    person: Annotated[
        str | None, typer.Argument(help="Whose messages (person id); yours after `baton login`.")
    ] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only messages not yet read.")] = False,
    json: JsonFlag = False,
    actor: Viewer = None,
) -> None:
    """A person's Baton messages (every message is kept here, whatever else sends it).
    Times are in the reader's time zone: --as (or the signed-in person), else the
    mailbox's owner, as in the messages themselves."""
    way = backend()
    rows = way.inbox(person or actor, unread)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        whose = escape(person or actor or "you")
        console.print(f"No {'unread ' if unread else ''}messages for {whose}.")
        return
    tz = way.viewer_zone(actor or person) or "UTC"
    for row in rows:
        fresh = "" if row.read_at else "[bold]new[/] "
        console.print(
            f"{fresh}{when(row.created_at, tz)}  [bold]{escape(row.subject)}[/]", highlight=False
        )
        say(row.body_text.strip())
        console.print()
