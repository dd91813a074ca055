"""The lists that scale (issue 14): a person's tasks and the projects board, read from
Temporal's visibility and the PostgreSQL project index instead of one status query per
open project, say what asking every project says: the same rows in the same order
(overdue first, then by due), through a reassignment, a completion with a note and a
link, an approval round, a rejection and its rework, a decision and a cancellation. A
project the index does not hold since its start (one started before the index) is still
listed, from its status.

A real worker (PostgreSQL catalog and recorder) on the session's Temporal dev server,
in a namespace of this module's own."""

import asyncio
import importlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from google.protobuf.duration_pb2 import Duration
from psycopg_pool import AsyncConnectionPool
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from baton.contract import (
    CancelProject,
    ChooseOption,
    CompleteStep,
    ReassignStep,
    ReviewStep,
    StartProject,
)
from baton.people import Person
from baton.store.database import open_pool
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo
from baton.store.projects import ProjectRepo
from starters.client import act, ensure_search_attributes, start_and_wait, tasks_for
from starters.client.portfolio import card_of_status, portfolio
from starters.client.projects import list_projects, statuses_of, visibility_query
from starters.client.tasks import TaskRow
from tests import pg
from tests.shared_worker import worker_on_shared_server

# The modules whose asking of projects a test forbids (`portfolio` is also a function).
tasks_module = importlib.import_module("starters.client.tasks")
portfolio_module = importlib.import_module("starters.client.portfolio")
index_check = importlib.import_module("starters.client.index_check")

PLAYBOOK = """
id: scale-post
name: Scale post
launch: publish date
risk_alert: 0.6
roles: {writer: Writer, editor: Editor, boss: Boss}
steps:
  - {id: draft, name: Write the draft, owner: writer, due: -10d}
  - id: review
    name: Review the draft
    kind: approval
    approvers: [editor, boss]
    on_reject: draft
    after: [draft]
    due: -6d
  - {id: pick, name: Pick the channel, kind: decision, owner: editor, options: [blog, letter],
     after: [review], due: -4d}
  - {id: letter, name: Send the letter, owner: writer, after: [pick],
     when: {step: pick, option: letter}, due: -1d}
  - {id: publish, name: Publish, owner: writer, after: [pick], due: 0d}
"""


@dataclass
class Stack:
    client: Client
    pool: AsyncConnectionPool
    queue: str
    tag: str  # this module's people: writer-TAG, editor-TAG, boss-TAG, pm-TAG

    def who(self, role: str) -> str:
        return f"{role}-{self.tag}"

    async def start(self, name: str, launch_in_days: int, **fields) -> str:
        request = StartProject(
            playbook="scale-post",
            name=name,
            slug=f"scale-{uuid.uuid4().hex[:10]}",
            launch_date=date.today() + timedelta(days=launch_in_days),
            assignments={role: self.who(role) for role in ("writer", "editor", "boss")},
            project_manager=self.who("pm"),
            **fields,
        )
        return (await start_and_wait(self.client, request, self.queue)).workflow_id


async def eventually(fetch, ready):
    """`fetch()` once `ready` holds of it (within ten seconds)."""
    for _ in range(200):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never ready: {value!r}")


async def own_namespace(temporal, name: str) -> Client:
    """A client of a namespace of this module's own on the session's dev server, so the
    visibility count the lists check the index with sees only this module's projects."""
    await temporal.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=name, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    client = await Client.connect(
        temporal.client.service_client.config.target_host,
        namespace=name,
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(client, name)
    return client


@pytest.fixture(scope="module")
async def stack(temporal):
    url = pg.create_database(template=await pg.migrated_template())
    pool = await open_pool(url)
    tag = uuid.uuid4().hex[:8]
    people = [Person(id=f"{role}-{tag}", name=f"{role.title()} {tag}")
              for role in ("writer", "editor", "boss", "pm")]  # fmt: skip
    await PeopleRepo(pool).replace_all_or_nothing(people)
    await PlaybookRepo(pool).publish(PLAYBOOK)
    queue = f"lists-{tag}"
    client = await own_namespace(temporal, queue)
    signer = LinkSigner(secret=b"a test secret of enough length!!", public_url="http://b.test")
    recorder = PostgresRecorder(pool, signer, set())
    try:
        async with worker_on_shared_server(client, queue, PostgresCatalog(pool), recorder):
            yield Stack(client, pool, queue, tag)
    finally:
        await pool.close()
        pg.drop_database(url)


async def settled_tasks(stack: Stack, person: str, ready=lambda rows: True) -> list[TaskRow]:
    """The person's tasks from the index, once they are what asking every project says
    (and `ready` holds): visibility and the index each follow a change a moment behind."""
    now = datetime.now(UTC)

    async def both() -> tuple[list[TaskRow], list[TaskRow]]:
        indexed = await tasks_for(stack.client, person, stack.pool, now)
        return indexed, await tasks_for(stack.client, person, None, now)

    indexed, _ = await eventually(both, lambda pair: pair[0] == pair[1] and ready(pair[0]))
    return indexed


def shown(rows: list[TaskRow]) -> list[tuple[str, str]]:
    return [(row.project, row.step_id) for row in rows]


async def test_tasks_and_the_board_follow_every_kind_of_change(stack):
    writer, editor, boss, pm = (stack.who(r) for r in ("writer", "editor", "boss", "pm"))
    first = await stack.start("Alpha", 40)
    second = await stack.start("Beta", 60)
    late = await stack.start("Gamma", 5, allow_late=True)  # its draft was due 5 days ago

    rows = await settled_tasks(stack, writer, lambda r: len(r) == 3)
    assert shown(rows) == [("Gamma", "draft"), ("Alpha", "draft"), ("Beta", "draft")]
    assert [row.overdue for row in rows] == [True, False, False]
    assert rows[1].before == [] and [s.step_id for s in rows[1].after] == ["review"]
    assert rows[1].after[0].people == [editor, boss]
    overdue = await list_projects(stack.client, visibility_query(state="active", overdue=True))
    assert [row.workflow_id for row in overdue] == [late] and overdue[0].overdue

    # A completion with a note and a link: the reviewers see both on what came before.
    note = CompleteStep(step_id="draft", actor=writer, note="Five sections",
                        link="https://docs.example.com/alpha")  # fmt: skip
    await act(stack.client, first, note)
    [review] = await settled_tasks(stack, editor, lambda r: len(r) == 1)
    assert (review.project, review.step_id, review.kind) == ("Alpha", "review", "approval")
    [draft] = review.before
    assert (draft.state, draft.people, draft.note, draft.link) == (
        "done",
        [writer],
        "Five sections",
        "https://docs.example.com/alpha",
    )
    assert draft.finished_at is not None

    # One approver of two: the step waits on the other only.
    await act(stack.client, first, ReviewStep(step_id="review", actor=editor, approve=True))
    assert await settled_tasks(stack, editor, lambda r: r == []) == []
    assert shown(await settled_tasks(stack, boss, lambda r: len(r) == 1)) == [("Alpha", "review")]

    # A rejection sends the draft back to its writer, saying who and why.
    reject = ReviewStep(step_id="review", actor=boss, approve=False, comment="Too long")
    await act(stack.client, first, reject)
    rows = await settled_tasks(stack, writer, lambda r: any(t.revision == 2 for t in r))
    [redo] = [row for row in rows if row.project == "Alpha"]
    assert (redo.step_id, redo.revision, redo.sent_back_by, redo.sent_back_because) == (
        "draft",
        2,
        boss,
        "Too long",
    )
    assert await settled_tasks(stack, boss, lambda r: r == []) == []

    # A reassignment moves a task; a cancellation takes a project's away.
    await act(stack.client, second, ReassignStep(step_id="draft", actor=pm, to=editor))
    await act(stack.client, late, CancelProject(actor=pm, reason="No longer needed"))
    rows = await settled_tasks(stack, writer, lambda r: len(r) == 1)
    assert shown(rows) == [("Alpha", "draft")]
    assert shown(await settled_tasks(stack, editor, lambda r: len(r) == 1)) == [("Beta", "draft")]

    # A second round, approved by both, then a decision with its options.
    await act(stack.client, first, CompleteStep(step_id="draft", actor=writer))
    for approver in (editor, boss):
        await settled_tasks(stack, approver, lambda r: any(t.step_id == "review" for t in r))
        await act(stack.client, first, ReviewStep(step_id="review", actor=approver, approve=True))
    rows = await settled_tasks(stack, editor, lambda r: any(t.step_id == "pick" for t in r))
    [pick] = [row for row in rows if row.step_id == "pick"]
    assert pick.options == ["blog", "letter"]
    assert pick.before[0].people == [editor, boss]  # who approved the second round
    assert [s.step_id for s in pick.after] == ["letter", "publish"]
    await act(stack.client, first, ChooseOption(step_id="pick", actor=editor, option="blog"))
    rows = await settled_tasks(stack, writer, lambda r: any(t.step_id == "publish" for t in r))
    assert shown(rows) == [("Alpha", "publish")]

    # The board: the same cards as from every project's status; the letter that won't
    # run is not counted.
    ours = {first, second, late}
    cards = await board(stack, ours, lambda cards: len(cards) == 2)
    assert [card.name for card in cards] == ["Alpha", "Beta"]
    assert (cards[0].steps_done, cards[0].steps_total) == (3, 4)
    assert cards[0].launch == "publish date" and cards[0].risk_alert == 0.6
    assert [(s.step_id, s.people) for s in cards[1].waiting] == [("draft", [editor])]

    # Asked again, the index answers alone: not one project is queried.
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(tasks_module, "status", never_asked)
        patched.setattr(portfolio_module, "statuses_of", none_asked)
        patched.setattr(index_check, "list_projects", never_listed)  # a count will do
        assert shown(await tasks_for(stack.client, writer, stack.pool)) == [("Alpha", "publish")]
        again = [c for c in await portfolio(stack.client, stack.pool) if c.workflow_id in ours]
        assert again == cards


async def never_asked(client, workflow_id):
    raise AssertionError(f"{workflow_id} was asked for its status")


async def never_listed(client, query):
    raise AssertionError(f"projects were listed ({query}): the count should have done")


async def none_asked(client, rows):
    assert rows == [], "projects were asked for their status"
    return []


async def board(stack: Stack, ours: set[str], ready) -> list:
    """The board's active cards of these projects, once they are what every project's
    status says."""
    now = datetime.now(UTC)

    async def both():
        cards = [c for c in await portfolio(stack.client, stack.pool, "active", now)
                 if c.workflow_id in ours]  # fmt: skip
        rows = await list_projects(stack.client, visibility_query(state="active"))
        statuses = await statuses_of(stack.client, [r for r in rows if r.workflow_id in ours])
        names = {p.id: p.display_name for p in await PeopleRepo(stack.pool).list()}
        asked = {s.workflow_id: card_of_status(s, names, 0.6, now) for s in statuses}
        return cards, asked

    def same(pair) -> bool:
        cards, asked = pair
        # The forecast is compared apart: the status carries it, the board reads the stored one.
        return ready(cards) and all(
            card.model_dump(exclude={"p_on_time", "health"})
            == asked[card.workflow_id].model_dump(exclude={"p_on_time", "health"})
            for card in cards
            if card.workflow_id in asked
        )

    cards, _ = await eventually(both, same)
    return cards


async def test_a_project_the_index_holds_only_partly_is_asked(stack):
    """One started before the index existed: its later steps are written, but it is read
    from its workflow until it ends."""
    writer = stack.who("writer")
    older = await stack.start("Delta", 50)
    await settled_tasks(stack, writer, lambda r: any(t.workflow_id == older for t in r))
    async with stack.pool.connection() as conn:
        await conn.execute(
            "UPDATE projects SET steps_indexed = false WHERE workflow_id = %s", (older,)
        )
        await conn.execute("DELETE FROM project_steps WHERE workflow_id = %s", (older,))
    rows = await settled_tasks(stack, writer, lambda r: any(t.workflow_id == older for t in r))
    [delta] = [row for row in rows if row.workflow_id == older]
    assert (delta.step_id, delta.project) == ("draft", "Delta")
    cards = await portfolio(stack.client, stack.pool, "active")
    [card] = [card for card in cards if card.workflow_id == older]
    assert (card.steps_done, card.steps_total, card.waiting[0].people) == (0, 5, [writer])


async def test_a_project_ended_outside_baton_leaves_the_lists_and_the_index_learns_it(stack):
    """Terminated in the Temporal UI: nothing of it runs to record that, so the lists
    find it out from Temporal, and tell the index."""
    writer = stack.who("writer")
    doomed = await stack.start("Epsilon", 45)
    await settled_tasks(stack, writer, lambda r: any(t.workflow_id == doomed for t in r))
    await stack.client.get_workflow_handle(doomed).terminate(reason="test: ended outside")
    await settled_tasks(stack, writer, lambda r: all(t.workflow_id != doomed for t in r))
    cards = await portfolio(stack.client, stack.pool, "active")
    assert doomed not in {card.workflow_id for card in cards}
    assert (await ProjectRepo(stack.pool).get(doomed)).state == "terminated"
