"""The people table: the team's profiles, API token hashes and admin flags."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from baton.errors import Invalid, NotFound
from baton.people import Person

_FIELDS = tuple(Person.model_fields)  # id, name, email, ... time_off: the table's columns
_COLUMNS = ", ".join(_FIELDS)
_UPSERT = (
    f"INSERT INTO people ({_COLUMNS}, updated_at)"
    f" VALUES ({', '.join(f'%({name})s' for name in _FIELDS)}, now())"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _FIELDS if name != "id")
    + ", updated_at = now()"
)


class PeopleRepo:
    """Profiles are replaced from a people file as a whole; tokens and admin flags are
    kept across imports and changed one person at a time."""

    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def replace_all_or_nothing(
        self, people: Iterable[Person], admins: dict[str, bool] | None = None
    ) -> int:
        """Insert or update every person in one transaction: all are written or none.
        `admins` (person id -> flag) sets admin flags in the same transaction; people
        not in it keep theirs. Returns the number of people written."""
        people = list(people)
        ids = [person.id for person in people]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise Invalid(f"people listed twice: {', '.join(duplicates)}; each id once")
        unknown = sorted(set(admins or {}) - set(ids))
        if unknown:
            raise Invalid(f"admin flags for people not in the list: {', '.join(unknown)}")
        async with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            await cursor.executemany(_UPSERT, [_params(person) for person in people])
            if admins:
                await cursor.executemany(
                    "UPDATE people SET is_admin = %s, updated_at = now() WHERE id = %s",
                    [(flag, person_id) for person_id, flag in admins.items()],
                )
        return len(people)

    async def get(self, person_id: str) -> Person | None:
        return (await self.get_many([person_id])).get(person_id)

    async def get_many(self, ids: Iterable[str]) -> dict[str, Person]:
        """The known people among `ids`, by id (unknown ids are simply absent)."""
        return await self._select("WHERE id = ANY(%s)", (list(ids),))

    async def set_token_hash(self, person_id: str, token_hash: str | None) -> None:
        await self._update(person_id, "token_hash", token_hash)

    async def by_token_hash(self, token_hash: str) -> Person | None:
        found = await self._select("WHERE token_hash = %s", (token_hash,))
        return next(iter(found.values()), None)

    async def by_email(self, email: str) -> list[Person]:
        """The people whose email is `email`, ignoring case."""
        found = await self._select("WHERE lower(email) = lower(%s)", (email,))
        return list(found.values())

    async def set_admin(self, person_id: str, is_admin: bool) -> None:
        await self._update(person_id, "is_admin", is_admin)

    async def is_admin(self, person_id: str) -> bool:
        async with self.pool.connection() as conn:
            cursor = await conn.execute("SELECT is_admin FROM people WHERE id = %s", (person_id,))
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def admin_ids(self) -> set[str]:
        """Who the admins are (a page showing everyone asks once)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute("SELECT id FROM people WHERE is_admin")
            return {row[0] for row in await cursor.fetchall()}

    async def feed_version(self, person_id: str) -> int | None:
        """The version a person's calendar feed key is made from (None: no such person)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT feed_version FROM people WHERE id = %s", (person_id,)
            )
            row = await cursor.fetchone()
        return row[0] if row else None

    async def bump_feed_version(self, person_id: str) -> int:
        """A new feed version, so every feed key made from an older one stops working."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE people SET feed_version = feed_version + 1, updated_at = now()"
                " WHERE id = %s RETURNING feed_version",
                (person_id,),
            )
            row = await cursor.fetchone()
        if row is None:
            raise NotFound(f"no person '{person_id}'; import them with the people file first")
        return row[0]

    async def list(self) -> list[Person]:
        """Everyone, by id."""
        return list((await self._select("", ())).values())

    async def ids(self) -> list[str]:
        """Everyone's id, in order."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute("SELECT id FROM people ORDER BY id")
            return [row[0] for row in await cursor.fetchall()]

    async def _update(self, person_id: str, column: str, value) -> None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                f"UPDATE people SET {column} = %s, updated_at = now() WHERE id = %s",
                (value, person_id),
            )
        if cursor.rowcount == 0:
            raise NotFound(f"no person '{person_id}'; import them with the people file first")

    async def _select(self, where: str, params: tuple) -> dict[str, Person]:
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(f"SELECT {_COLUMNS} FROM people {where} ORDER BY id", params)
            rows = await cursor.fetchall()
        return {row["id"]: Person.model_validate(row) for row in rows}


def _params(person: Person) -> dict:
    values = person.model_dump(mode="json")
    values["time_off"] = Jsonb(values["time_off"])
    return values
