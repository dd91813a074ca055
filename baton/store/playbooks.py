"""Published playbook versions: every project runs one fixed version of its playbook.

Publishing stores the YAML body as written. A new version is made only when the
playbook's meaning changes: the content hash is the SHA-256 of the canonical JSON of the
validated model (keys sorted, defaults filled in), so edits to comments, whitespace, key
order or quoting, or spelling out a default, publish nothing new (the body first
published under that meaning is kept).
"""

import hashlib
import json
from functools import lru_cache

import yaml
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from baton.errors import NotFound
from baton.playbook import Playbook, parse_playbook

_LOCK_SPACE = 0x62746E  # two-key advisory locks: (this, hashtext(playbook id))


def content_hash(playbook: Playbook) -> str:
    """The hash of a playbook's meaning (see the module docstring)."""
    canonical = json.dumps(
        playbook.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class PlaybookRepo:
    def __init__(self, pool: AsyncConnectionPool):
        self.pool = pool

    async def publish(self, body: str, source: str = "<playbook>") -> tuple[Playbook, int, bool]:
        """Validate and publish a playbook's YAML; returns (playbook, version, created).
        An unchanged playbook returns its existing version with created False. Raises
        PlaybookError (naming `source`) for an invalid one. Concurrent publishes of the
        same id take turns on a transaction advisory lock."""
        playbook = parse_playbook(body, source=source)
        digest = content_hash(playbook)
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_SPACE, playbook.id)
            )
            cursor = await conn.execute(
                "SELECT version FROM playbook_versions"
                " WHERE playbook_id = %s AND content_hash = %s",
                (playbook.id, digest),
            )
            existing = await cursor.fetchone()
            if existing:
                return playbook, existing[0], False
            cursor = await conn.execute(
                "INSERT INTO playbook_versions (playbook_id, version, content_hash, name, body)"
                " SELECT %(id)s, coalesce(max(version), 0) + 1, %(hash)s, %(name)s, %(body)s"
                " FROM playbook_versions WHERE playbook_id = %(id)s RETURNING version",
                {"id": playbook.id, "hash": digest, "name": playbook.name, "body": body},
            )
            version = (await cursor.fetchone())[0]
        return playbook, version, True

    async def get(self, playbook_id: str, version: int | None = None) -> tuple[Playbook, int]:
        """A published version (the latest when `version` is None) and its number.
        Raises NotFound naming the known ids or versions, and the field at fault."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT version, body FROM playbook_versions WHERE playbook_id = %s"
                " AND (%s::integer IS NULL OR version = %s) ORDER BY version DESC LIMIT 1",
                (playbook_id, version, version),
            )
            row = await cursor.fetchone()
            if row is None:
                message, field = await self._not_found(conn, playbook_id, version)
                raise NotFound(message, field=field)
        found_version, body = row
        return _parsed(body, f"playbook {playbook_id} version {found_version}"), found_version

    async def source(self, playbook_id: str, version: int | None = None) -> tuple[str, int]:
        """A published version's YAML as written (comments kept) and its number."""
        _, found = await self.get(playbook_id, version)
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT body FROM playbook_versions WHERE playbook_id = %s AND version = %s",
                (playbook_id, found),
            )
            return (await cursor.fetchone())[0], found

    async def latest(self) -> dict[str, Playbook]:
        """The latest version of every published playbook, by id."""
        found = {}
        for row in await self.list_latest():
            found[row["id"]], _ = await self.get(row["id"], row["version"])
        return found

    async def versions(self, playbook_id: str) -> list[int]:
        """The published version numbers of a playbook, oldest first."""
        async with self.pool.connection() as conn:
            return await _versions(conn, playbook_id)

    async def list_latest(self) -> list[dict]:
        """The latest version of every published playbook, by id: id, name, version,
        published_at, steps (the number of steps)."""
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "SELECT DISTINCT ON (playbook_id) playbook_id AS id, name, version,"
                " published_at, body FROM playbook_versions ORDER BY playbook_id, version DESC"
            )
            rows = await cursor.fetchall()
        for row in rows:
            row["steps"] = len((yaml.safe_load(row.pop("body")) or {}).get("steps") or [])
        return rows

    async def _not_found(self, conn, playbook_id: str, version: int | None) -> tuple[str, str]:
        """What to say of a missing playbook version, and which field is at fault."""
        versions = await _versions(conn, playbook_id)
        if versions:
            listed = ", ".join(str(v) for v in versions)
            message = (
                f"playbook '{playbook_id}' has no version {version}; its versions are {listed}"
            )
            return message, "playbook_version"
        cursor = await conn.execute(
            "SELECT DISTINCT playbook_id FROM playbook_versions ORDER BY playbook_id"
        )
        known = [row[0] for row in await cursor.fetchall()]
        listed = ", ".join(known) if known else "none yet"
        message = (
            f"no playbook '{playbook_id}' is published (published: {listed}); "
            "publish it with `baton playbook publish FILE`"
        )
        return message, "playbook"


@lru_cache(maxsize=256)
def _parsed(body: str, source: str) -> Playbook:
    """A stored version parsed once per process: parsing the YAML is a fifth of a
    project's start, and a published version never changes. Keyed by the body the
    store holds (and where it came from), so the latest version is still looked up
    every time and a newly published one is seen at once; Playbook is frozen, so
    sharing one is safe."""
    return parse_playbook(body, source=source)


async def _versions(conn, playbook_id: str) -> list[int]:
    cursor = await conn.execute(
        "SELECT version FROM playbook_versions WHERE playbook_id = %s ORDER BY version",
        (playbook_id,),
    )
    return [row[0] for row in await cursor.fetchall()]
