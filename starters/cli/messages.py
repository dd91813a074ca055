"""`baton inbox PERSON`: every message a person was sent (the mailbox keeps them all,
whatever else delivered them)."""

from typing import Annotated

import typer
from rich.markup import escape

from baton.store.outbox import OutboxRepo
from baton.wording import when
from starters.cli.common import JsonFlag, with_store
from starters.cli.output import console, print_json

app = typer.Typer()


@app.command(rich_help_panel="People")
def inbox(
    person: Annotated[str, typer.Argument(help="Whose messages (person id).")],
    unread: Annotated[bool, typer.Option("--unread", help="Only messages not yet read.")] = False,
    json: JsonFlag = False,
) -> None:
    """A person's Baton messages (every message is kept here, whatever else sends it)."""

    async def run(pool):
        repo = OutboxRepo(pool)
        rows = await repo.mailbox(person, unread_only=unread)
        await repo.mark_read(person, [row.id for row in rows])
        return rows

    rows = with_store(run)
    if json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        console.print(f"No {'unread ' if unread else ''}messages for {escape(person)}.")
        return
    for row in rows:
        fresh = "" if row.read_at else "[bold]new[/] "
        console.print(f"{fresh}{when(row.created_at)}  [bold]{escape(row.subject)}[/]")
        console.print(escape(row.body_text).strip() + "\n", highlight=False)
