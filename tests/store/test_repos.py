"""Repositories on a real PostgreSQL: people, playbook versions, projects, events, outbox."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from baton.people import Person, TimeOff
from baton.people_import import PeopleFileError, parse_people_file
from baton.playbook import PlaybookError
from baton.store import (
    EventRepo,
    OutboxMessage,
    OutboxRepo,
    PeopleRepo,
    PlaybookRepo,
    ProjectRepo,
    insert_events,
    insert_messages,
)

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)

PLAYBOOK = """\
id: tiny
name: Tiny playbook
roles: {writer: Writer, editor: Editor}
steps:
  - {id: draft, name: Write the draft, owner: writer, due: -2d}
  - {id: review, name: Review it, kind: approval, approvers: [editor], after: [draft], due: 0d}
"""


# --- people -------------------------------------------------------------------------


ALICE = Person(
    id="alice",
    name="Alice",
    email="alice@example.com",
    timezone="America/New_York",
    working_hours="08:00-16:00",
    manager="pat",
    time_off=[TimeOff(start=date(2026, 12, 1), end=date(2026, 12, 5))],
)
BOB = Person(id="bob", name="Bob", slack_id="U123", backup="alice")


async def test_people_round_trip_and_update(pool):
    people = PeopleRepo(pool)
    assert await people.replace_all_or_nothing([ALICE, BOB]) == 2
    assert await people.get("alice") == ALICE
    assert await people.get_many(["bob", "alice", "nobody"]) == {"alice": ALICE, "bob": BOB}
    assert await people.get("nobody") is None
    assert [p.id for p in await people.list()] == ["alice", "bob"]

    moved = ALICE.model_copy(update={"timezone": "Europe/Berlin", "time_off": []})
    await people.replace_all_or_nothing([moved])
    assert await people.get("alice") == moved
    assert await people.get("bob") == BOB  # people not in the import are kept


async def test_people_import_is_all_or_nothing(pool):
    people = PeopleRepo(pool)
    await people.replace_all_or_nothing([ALICE])
    changed = ALICE.model_copy(update={"name": "Alice Changed"})
    # the second row breaks a constraint inside the transaction: nothing is written
    with pytest.raises(ValueError, match="people listed twice: bob"):
        await people.replace_all_or_nothing([changed, BOB, BOB])
    broken = Person.model_construct(**{**BOB.model_dump(), "name": None})  # NOT NULL column
    with pytest.raises(Exception, match="null value"):
        await people.replace_all_or_nothing([changed, broken])
    assert await people.get("alice") == ALICE
    assert await people.get("bob") is None


async def test_tokens_and_admin_flags_survive_imports(pool):
    people = PeopleRepo(pool)
    await people.replace_all_or_nothing([ALICE, BOB], admins={"alice": True})
    assert await people.is_admin("alice") and not await people.is_admin("bob")
    await people.set_token_hash("bob", "hash-b")
    assert await people.by_token_hash("hash-b") == BOB
    assert await people.by_token_hash("other") is None

    await people.replace_all_or_nothing([ALICE, BOB])  # no admin column: flags stay
    assert await people.is_admin("alice")
    assert await people.by_token_hash("hash-b") == BOB
    await people.set_admin("alice", False)
    await people.set_admin("bob", True)
    assert not await people.is_admin("alice") and await people.is_admin("bob")
    assert not await people.is_admin("nobody")
    with pytest.raises(LookupError, match="no person 'nobody'"):
        await people.set_admin("nobody", True)
    with pytest.raises(ValueError, match="admin flags for people not in the list: carol"):
        await people.replace_all_or_nothing([ALICE], admins={"carol": True})


# --- playbooks ----------------------------------------------------------------------


async def test_publish_versions_only_real_changes(pool):
    playbooks = PlaybookRepo(pool)
    playbook, version, created = await playbooks.publish(PLAYBOOK, "tiny.yaml")
    assert (playbook.id, version, created) == ("tiny", 1, True)

    # comments, whitespace, key order and spelled-out defaults change nothing
    cosmetic = "# our tiny playbook\n" + PLAYBOOK.replace(
        "name: Tiny playbook", "name:   Tiny playbook"
    )
    cosmetic += "calendar: calendar   # the default\n"
    assert (await playbooks.publish(cosmetic, "tiny.yaml"))[1:] == (1, False)

    renamed = PLAYBOOK.replace("Write the draft", "Write the first draft")
    assert (await playbooks.publish(renamed, "tiny.yaml"))[1:] == (2, True)
    assert (await playbooks.publish(PLAYBOOK, "tiny.yaml"))[1:] == (1, False)  # known content

    latest, number = await playbooks.get("tiny")
    assert number == 2 and latest.step("draft").name == "Write the first draft"
    first, number = await playbooks.get("tiny", 1)
    assert number == 1 and first.step("draft").name == "Write the draft"
    assert await playbooks.versions("tiny") == [1, 2]


async def test_invalid_playbooks_are_refused_with_their_source(pool):
    playbooks = PlaybookRepo(pool)
    broken = PLAYBOOK.replace("after: [draft]", "after: [nothing]")
    with pytest.raises(PlaybookError, match=r"my-file\.yaml, step 'review'"):
        await playbooks.publish(broken, "my-file.yaml")
    assert await playbooks.list_latest() == []


async def test_concurrent_publishes_make_one_version_per_content(pool):
    playbooks = PlaybookRepo(pool)
    bodies = [PLAYBOOK, PLAYBOOK.replace("Review it", "Review it well")] * 4
    results = await asyncio.gather(*(playbooks.publish(body, "x") for body in bodies))
    assert sorted({(version, p.step("review").name) for p, version, _ in results}) in (
        [(1, "Review it"), (2, "Review it well")],
        [(1, "Review it well"), (2, "Review it")],
    )
    assert sum(created for _, _, created in results) == 2
    assert await playbooks.versions("tiny") == [1, 2]


async def test_get_unknown_playbook_or_version_says_what_exists(pool):
    playbooks = PlaybookRepo(pool)
    with pytest.raises(LookupError, match=r"no playbook 'tiny' is published \(published: none"):
        await playbooks.get("tiny")
    await playbooks.publish(PLAYBOOK, "x")
    await playbooks.publish(PLAYBOOK.replace("Review it", "Check it"), "x")
    with pytest.raises(LookupError, match="'tiny' has no version 7; its versions are 1, 2"):
        await playbooks.get("tiny", 7)
    with pytest.raises(LookupError, match=r"no playbook 'other' is published \(published: tiny\)"):
        await playbooks.get("other")


async def test_list_latest(pool):
    playbooks = PlaybookRepo(pool)
    await playbooks.publish(PLAYBOOK, "x")
    await playbooks.publish(PLAYBOOK.replace("Tiny playbook", "Tiny, renamed"), "x")
    await playbooks.publish(PLAYBOOK.replace("id: tiny", "id: another"), "x")
    rows = await playbooks.list_latest()
    assert [(r["id"], r["name"], r["version"], r["steps"]) for r in rows] == [
        ("another", "Tiny playbook", 1, 2),
        ("tiny", "Tiny, renamed", 2, 2),
    ]
    assert all(isinstance(r["published_at"], datetime) for r in rows)


# --- projects -----------------------------------------------------------------------


async def test_projects_upsert_get_and_list(pool):
    projects = ProjectRepo(pool)
    await projects.upsert(
        "project-a", "A", "tiny", 1, "pat", "Europe/Berlin", date(2026, 12, 15), "active"
    )
    await projects.upsert("project-b", "B", "tiny", 2, "pat", "UTC", None, "active")
    first = await projects.get("project-a")
    assert (first.name, first.playbook_version, first.launch_date) == ("A", 1, date(2026, 12, 15))

    await projects.upsert(
        "project-a", "A", "tiny", 1, "pat", "Europe/Berlin", date(2026, 12, 22), "cancelled"
    )
    again = await projects.get("project-a")
    assert (again.state, again.launch_date) == ("cancelled", date(2026, 12, 22))
    assert again.started_at == first.started_at and again.updated_at >= first.updated_at
    assert await projects.get("nope") is None
    assert [p.workflow_id for p in await projects.list(state="active")] == ["project-b"]
    assert {p.workflow_id for p in await projects.list()} == {"project-a", "project-b"}


# --- events and outbox ----------------------------------------------------------------


def message(key: str, channel: str = "email", recipient: str = "alice", **extra) -> OutboxMessage:
    return OutboxMessage(
        idempotency_key=key,
        workflow_id="project-a",
        transition=1,
        kind="assigned",
        step_id="draft",
        recipient=recipient,
        channel=channel,
        subject=f"subject {key}",
        body_text="text",
        body_html="<p>html</p>",
        **extra,
    )


ENTRIES = [
    {"at": T0, "type": "activated", "step_id": "draft", "revision": 1, "planned_due": T0},
    {"at": T0, "type": "assigned", "step_id": "draft", "recipient": "alice", "detail": "go"},
]


async def test_events_and_messages_commit_together_and_once(pool):
    async with pool.connection() as conn, conn.transaction():
        assert await insert_events(conn, "project-a", 1, ENTRIES) == 2
        assert await insert_messages(conn, [message("k1"), message("k1-box", "mailbox")]) == 2
    # the same transition recorded again (an activity retry) adds nothing
    async with pool.connection() as conn, conn.transaction():
        assert await insert_events(conn, "project-a", 1, ENTRIES) == 0
        assert await insert_messages(conn, [message("k1"), message("k1-box", "mailbox")]) == 0
    events = await EventRepo(pool).for_project("project-a")
    assert [(e.seq, e.type, e.recipient, e.planned_due) for e in events] == [
        (0, "activated", None, T0),
        (1, "assigned", "alice", None),
    ]
    outbox = OutboxRepo(pool)
    email, box = await outbox.get_by_key("k1"), await outbox.get_by_key("k1-box")
    assert (email.status, email.sent_at) == ("pending", None)
    assert box.status == "sent" and box.sent_at is not None
    assert await outbox.get_by_key("missing") is None


async def test_a_failed_transaction_records_neither(pool):
    with pytest.raises(RuntimeError):
        async with pool.connection() as conn, conn.transaction():
            await insert_events(conn, "project-a", 1, ENTRIES)
            await insert_messages(conn, [message("k1")])
            raise RuntimeError("the activity failed after writing")
    assert await EventRepo(pool).for_project("project-a") == []
    assert await OutboxRepo(pool).get_by_key("k1") is None


async def test_events_need_at_and_type(pool):
    async with pool.connection() as conn:
        with pytest.raises(ValueError, match="event 1 of project-a transition 3 has no type"):
            await insert_events(conn, "project-a", 3, [ENTRIES[0], {"at": T0}])


async def test_claim_sends_each_due_row_once(pool):
    async with pool.connection() as conn:
        await insert_messages(
            conn, [message(f"k{i}") for i in range(6)] + [message("box", "mailbox")]
        )
        await conn.execute(
            "UPDATE outbox SET next_attempt_at = %s WHERE idempotency_key = 'k5'",
            (T0 + timedelta(hours=1),),
        )
        await conn.execute("UPDATE outbox SET next_attempt_at = %s", (T0,))
        await conn.execute(
            "UPDATE outbox SET next_attempt_at = %s WHERE idempotency_key = 'k5'",
            (T0 + timedelta(hours=1),),
        )
    outbox = OutboxRepo(pool)
    # two senders at once: together they take the five due rows, none twice
    claims = await asyncio.gather(outbox.claim_due(3, T0), outbox.claim_due(3, T0))
    taken = [row.idempotency_key for claim in claims for row in claim]
    assert sorted(taken) == ["k0", "k1", "k2", "k3", "k4"]
    assert all(row.status == "sending" and row.attempts == 1 for c in claims for row in c)
    assert await outbox.claim_due(10, T0) == []  # k5 is not due, the mailbox is not sent
    later = await outbox.claim_due(10, T0 + timedelta(hours=1))
    assert [row.idempotency_key for row in later] == ["k5"]


async def test_mark_sent_retry_failed_and_release(pool):
    async with pool.connection() as conn:
        await insert_messages(conn, [message(k) for k in ("sent", "retry", "failed", "stuck")])
        await conn.execute("UPDATE outbox SET next_attempt_at = %s", (T0,))
    outbox = OutboxRepo(pool)
    rows = {row.idempotency_key: row for row in await outbox.claim_due(10, T0)}
    assert await outbox.mark_sent(rows["sent"].id, "provider-1")
    assert await outbox.mark_retry(rows["retry"].id, "429 slow down", T0 + timedelta(minutes=5))
    assert await outbox.mark_failed(rows["failed"].id, "no such address")

    sent = await outbox.get_by_key("sent")
    assert (sent.status, sent.provider_id, sent.attempts) == ("sent", "provider-1", 1)
    retry = await outbox.get_by_key("retry")
    assert (retry.status, retry.last_error) == ("pending", "429 slow down")
    assert retry.next_attempt_at == T0 + timedelta(minutes=5)
    failed = await outbox.get_by_key("failed")
    assert (failed.status, failed.last_error) == ("failed", "no such address")

    # "stuck" was claimed by a sender that died: released after the lease, sent again
    assert await outbox.release_stuck(T0) == 0  # claimed at T0, not older than T0
    assert await outbox.release_stuck(T0 + timedelta(minutes=10)) == 1
    again = await outbox.claim_due(10, T0 + timedelta(minutes=10))
    assert [(r.idempotency_key, r.attempts) for r in again] == [("stuck", 2), ("retry", 2)]
    # a late retry or failure from the dead sender cannot undo a delivery
    assert not await outbox.mark_retry(sent.id, "late", T0)
    assert not await outbox.mark_failed(sent.id, "late")
    assert (await outbox.get_by_key("sent")).status == "sent"


async def test_mailbox_read_and_unread(pool):
    async with pool.connection() as conn:
        await insert_messages(
            conn,
            [
                message("m1", "mailbox"),
                message("m2", "mailbox"),
                message("m3", "mailbox", recipient="bob"),
                message("e1", "email"),
            ],
        )
    outbox = OutboxRepo(pool)
    mine = await outbox.mailbox("alice")
    assert [row.idempotency_key for row in mine] == ["m2", "m1"]  # newest first
    assert await outbox.mark_read("alice", [mine[1].id]) == 1
    assert [row.idempotency_key for row in await outbox.mailbox("alice", unread_only=True)] == [
        "m2"
    ]
    bobs = await outbox.mailbox("bob")
    assert await outbox.mark_read("alice", [bobs[0].id]) == 0  # not alice's to read
    assert await outbox.mark_read("alice") == 1
    assert await outbox.mailbox("alice", unread_only=True) == []
    assert [row.read_at for row in await outbox.mailbox("bob", unread_only=True)] == [None]


async def test_a_people_file_is_imported_whole_or_not_at_all(pool, tmp_path):
    people = PeopleRepo(pool)
    good = tmp_path / "people.csv"
    good.write_text("id,name,timezone,is_admin\nalice,Alice,Europe/Berlin,yes\nbob,Bob,,\n")
    entries = parse_people_file(good)
    admins = {e.person.id: e.is_admin for e in entries if e.is_admin is not None}
    await people.replace_all_or_nothing([e.person for e in entries], admins=admins)
    assert [(p.id, p.timezone) for p in await people.list()] == [
        ("alice", "Europe/Berlin"),
        ("bob", "UTC"),
    ]
    assert await people.is_admin("alice") and not await people.is_admin("bob")

    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,timezone\nalice,Alice Renamed,UTC\ncarol,Carol,Nowhere/Land\n")
    with pytest.raises(PeopleFileError, match="line 3 \\(id 'carol'\\), field 'timezone'"):
        parse_people_file(bad)
    assert (await people.get("alice")).name == "Alice"  # the good row was not imported
    assert await people.get("carol") is None
