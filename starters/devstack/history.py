"""Demo history in the store: past projects of every bundled playbook, generated from
known distributions (`baton.insight.demo`), so reports, recalibration and forecasts have
something to show on a fresh install (`baton demo history`, `make run`).

The same seed gives the same runs (their keys: project, step, revision), so filling again
adds nothing. The people are the directory's when it has any (each role two of them,
picked by the role's place in the playbook, the same every time), else the generator's
made-up names."""

from collections.abc import Callable
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from baton.insight.demo import generate_history
from baton.playbook import Playbook, bundled_playbooks, load_playbook
from baton.store.people import PeopleRepo
from baton.store.step_runs import StepRunRepo

PEOPLE_PER_ROLE = 2
Progress = Callable[[str, int, int], None]  # (playbook id, runs generated, runs new)


async def fill_demo_history(
    pool: AsyncConnectionPool,
    projects: int,
    seed: int,
    now: datetime,
    progress: Progress | None = None,
) -> int:
    """Record `projects` past projects of each bundled playbook, all finished before
    `now`; returns how many step runs were new. `progress` hears of each playbook."""
    people = await PeopleRepo(pool).ids()
    repo = StepRunRepo(pool)
    added = 0
    for playbook_id, path in bundled_playbooks().items():
        playbook = load_playbook(path)
        history = generate_history(
            playbook, projects, seed, end=now, people=people_by_role(playbook, people)
        )
        new = await repo.add(history.runs, source="demo")
        added += new
        if progress:
            progress(playbook_id, len(history.runs), new)
    return added


def people_by_role(playbook: Playbook, people: list[str]) -> dict[str, list[str]] | None:
    """Each role's people among `people` (sorted ids): two of them, shifted by the role's
    place so the roles are spread over the team; None (the generator's names) when
    nobody is known."""
    if not people:
        return None
    count = min(PEOPLE_PER_ROLE, len(people))
    return {
        role: [people[(index + offset) % len(people)] for offset in range(count)]
        for index, role in enumerate(playbook.roles)
    }
