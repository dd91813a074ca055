"""`baton db migrate`, `baton people import|list`, `baton inbox`: what lives in PostgreSQL."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from baton.config import Settings
from baton.people_import import parse_people_file
from baton.store.database import database_url, open_pool
from baton.store.migrate import migrate
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo
from baton.tokens import new_token
from baton.wording import when
from starters.cli.output import console, print_json
from workers.main import open_store

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

db_app = typer.Typer(help="The PostgreSQL store.", no_args_is_help=True)
people_app = typer.Typer(help="The team: who can be assigned work.", no_args_is_help=True)


def with_store(work: Callable[..., Awaitable[T]]) -> T:
    """Open the store (the embedded PostgreSQL unless DATABASE_URL is set), bring its
    schema up to date, and run `work(pool)`."""

    async def run() -> T:
        pool = await open_store(Settings())
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db", rich_help_panel="Running Baton")
    app.add_typer(people_app, name="people", rich_help_panel="People")
    app.command(rich_help_panel="People")(inbox)


@db_app.command("migrate")
def migrate_command() -> None:
    """Apply the schema migrations that have not run yet (safe to repeat)."""

    async def run() -> list[str]:
        pool = await open_pool(database_url(Settings()))
        try:
            return await migrate(pool)
        finally:
            await pool.close()

    applied = asyncio.run(run())
    console.print(f"Applied {', '.join(applied)}." if applied else "The schema is up to date.")


@people_app.command("import")
def import_people(
    file: Annotated[Path, typer.Argument(help="A YAML or CSV file of people.")],
) -> None:
    """Add or update people from a file; a file with any problem changes nothing."""
    entries = parse_people_file(file)
    admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}

    async def run(pool) -> None:
        await PeopleRepo(pool).replace_all_or_nothing([e.person for e in entries], admins)

    with_store(run)
    console.print(f"Imported {len(entries)} people from {escape(str(file))}.")


@people_app.command("list")
def list_people(json: JsonFlag = False) -> None:
    """Everyone Baton knows, with how and when to reach them."""
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


@people_app.command("token")
def make_token(
    person: Annotated[str, typer.Argument(help="Whose token (person id).")],
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Also make them an admin, or not.")
    ] = None,
) -> None:
    """Make a person's API token (replacing their old one); it is shown only this once."""
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
