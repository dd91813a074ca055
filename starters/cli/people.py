"""`baton people import|list|token`: the team, who can be assigned work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from starters.cli.common import JsonFlag
from starters.cli.connections import with_store
from starters.cli.output import console, print_json

if TYPE_CHECKING:
    from baton.people_import import ImportedPerson

app = typer.Typer(help="The team: who can be assigned work.", no_args_is_help=True)


@app.command("import")
def import_people(
    file: Annotated[Path, typer.Argument(help="A YAML or CSV file of people.")],
) -> None:
    """Add or update people from a file; a file with any problem changes nothing."""
    from baton.people_import import parse_people_file
    from baton.store.people import PeopleRepo

    async def run(pool) -> list[ImportedPerson]:
        repo = PeopleRepo(pool)  # a manager or backup may be someone already imported
        entries = parse_people_file(file, known=await repo.ids())
        admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}
        await repo.replace_all_or_nothing([e.person for e in entries], admins)
        return entries

    entries = with_store(run)
    console.print(f"Imported {len(entries)} people from {escape(str(file))}.")


@app.command("list")
def list_people(json: JsonFlag = False) -> None:
    """Everyone Baton knows, with how and when to reach them."""
    from baton.store.people import PeopleRepo

    people = with_store(lambda pool: PeopleRepo(pool).list())
    if json:
        print_json([person.model_dump(mode="json") for person in people])
        return
    table = Table("id", "name", "email", "slack", "time zone", "hours", "backup")
    for person in people:
        table.add_row(
            person.id,
            escape(person.name),
            person.email or "",
            person.slack_id or "",
            person.timezone,
            f"{person.working_days} {person.working_hours}",
            person.backup or "",
        )
    console.print(table if people else "Nobody yet: `baton people import team.yaml`.")


@app.command("token")
def make_token(
    person: Annotated[str, typer.Argument(help="Whose token (person id).")],
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Also make them an admin, or not.")
    ] = None,
) -> None:
    """Make a person's API token (replacing their old one); it is shown only this once."""
    from baton.store.people import PeopleRepo
    from baton.tokens import new_token

    token, digest = new_token()

    async def run(pool) -> None:
        repo = PeopleRepo(pool)
        await repo.set_token_hash(person, digest)
        if admin is not None:
            await repo.set_admin(person, admin)

    with_store(run)
    console.print(
        f"API token for {escape(person)} (shown once; Baton stores only its hash):",
        highlight=False,
    )
    print(token)
