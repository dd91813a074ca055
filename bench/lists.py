"""The lists with many open projects (a Baton worker running): a person's tasks, as
`baton tasks PERSON` gets them (the CLI's backend, in this process, and the command as a
process with `--json`), and the dashboard's board (the portfolio of active projects it
draws). Floors: the least a list of open projects costs, one visibility count of them
(and, for the board, one read of the PostgreSQL project index's open rows); for the
process, Python importing the Temporal client and psycopg."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from baton.config import Settings
from bench.figures import Figure, Target
from bench.progress import say
from bench.stack import BATON, Stack
from bench.workload import OWNERS
from starters.cli.backends import Direct
from starters.client import portfolio

LEAST_CLIENT = [sys.executable, "-c", "import temporalio.client, psycopg"]


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


async def tasks_in_process(person: str) -> tuple[float, int]:
    """(ms, tasks found) of the CLI's own way to a person's tasks."""
    began = time.perf_counter()
    rows = await asyncio.to_thread(Direct(Settings()).tasks, person)
    return ms_since(began), len(rows)


async def tasks_process(stack: Stack, person: str) -> float:
    """ms of `baton tasks PERSON --json`, the whole process."""
    return await timed_process([str(BATON), "tasks", person, "--json"], stack)


async def least_client_process(stack: Stack) -> float:
    return await timed_process(LEAST_CLIENT, stack)


async def timed_process(argv: list[str], stack: Stack) -> float:
    began = time.perf_counter()
    done = await asyncio.to_thread(
        subprocess.run, argv, capture_output=True, text=True, cwd=stack.root, timeout=600
    )
    elapsed = ms_since(began)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{Path(argv[0]).name} {argv[1]} exited {done.returncode}: {said}")
    return elapsed


async def board(stack: Stack) -> tuple[float, int]:
    """(ms, cards) of the board's active projects."""
    began = time.perf_counter()
    cards = await portfolio(stack.client, stack.pool, "active")
    return ms_since(began), len(cards)


async def counted(stack: Stack, query: str) -> float:
    """ms of one visibility count."""
    began = time.perf_counter()
    await stack.client.count_workflows(query)
    return ms_since(began)


async def index_read(stack: Stack) -> float:
    """ms of reading every open project's row of the PostgreSQL project index."""
    began = time.perf_counter()
    async with stack.pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM projects WHERE state = 'active'")
        await cursor.fetchall()
    return ms_since(began)


def active_query(owner: str | None = None) -> str:
    query = "WorkflowType = 'MarketingProject' AND ExecutionStatus = 'Running'"
    return f"{query} AND BatonOwners = '{owner}'" if owner else query


async def phase(stack: Stack, runs: int, open_count: int) -> list[Figure]:
    """`tasks PERSON` and the board with `open_count` projects open (a worker running)."""
    person = OWNERS[0]
    tasks_ms, tasks_floor, process_ms, process_floor, board_ms, board_floor = ([] for _ in range(6))
    found = cards = 0
    for run in range(runs):
        say(f"lists with {open_count} open, run {run + 1}/{runs}: tasks {person}, the board")
        tasks_floor.append(await counted(stack, active_query(person)))
        elapsed, found = await tasks_in_process(person)
        tasks_ms.append(elapsed)
        process_floor.append(await least_client_process(stack))
        process_ms.append(await tasks_process(stack, person))
        board_floor.append(await counted(stack, active_query()) + await index_read(stack))
        elapsed, cards = await board(stack)
        board_ms.append(elapsed)
        say(f"  tasks {tasks_ms[-1]:.0f} ms ({found} tasks), process {process_ms[-1]:.0f} ms, "
            f"board {board_ms[-1]:.0f} ms ({cards} cards)")  # fmt: skip
    return [
        Figure("lists.tasks", f"tasks PERSON, {open_count} open ({found} of theirs)", "ms",
               tasks_ms, tasks_floor, "one visibility count of their open projects",
               Target("value<", 300), how="the CLI's backend (`Direct.tasks`), in-process"),
        Figure("lists.tasks_process", "`baton tasks PERSON --json`, the process", "ms",
               process_ms, process_floor, "python importing temporalio.client and psycopg",
               how="wall time of the command"),
        Figure("lists.board", f"the board, {open_count} open ({cards} cards)", "ms", board_ms,
               board_floor, "one visibility count + one read of the index's open rows",
               Target("value<", 300), how="starters.client.portfolio(active), in-process"),
    ]  # fmt: skip
