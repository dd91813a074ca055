"""The playbooks and people the bench runs projects of, published to the store as any
playbook is: a short chain of plain task steps owned by one person (the bare workflow's
shape), a 30-step one for the history budget, and the bundled blog post."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

import yaml
from psycopg_pool import AsyncConnectionPool

from baton.contract import StartProject
from baton.playbook import bundled_playbooks
from baton.store.playbooks import PlaybookRepo

OWNERS = [f"person-{n}" for n in range(40)]  # open projects are spread over them
PM = "pm"
BLOG_TEAM = {
    "strategist": "sam",
    "seo": "sam",
    "writer": "alice",
    "designer": "dana",
    "social": "sol",
    "stakeholder": "stu",
}
PEOPLE = [PM, *OWNERS, "pat", *sorted(set(BLOG_TEAM.values()))]


@dataclass(frozen=True)
class Chain:
    """A playbook of `steps` task steps owned by one person, one after the other, each
    due `spacing_days` after the one before, the last on the launch date; reminders
    and escalation as the blog post has them."""

    id: str
    steps: int
    spacing_days: int

    def named(self, suffix: str) -> "Chain":
        """The same playbook under an id of its own: the forecast reads every past run of
        a playbook, so a run that must not inherit the history earlier runs left gets
        a fresh one."""
        return replace(self, id=f"{self.id}-{suffix}")

    def yaml(self) -> str:
        return yaml.safe_dump(
            {
                "id": self.id,
                "name": f"Bench: {self.steps} steps",
                "due_time": "17:00",
                "reminders": ["48h", "24h"],
                "escalation": {"after": "4h", "repeat": "24h", "max": 3},
                "roles": {"owner": "Owner"},
                "steps": [
                    {
                        "id": f"s{n}",
                        "name": f"Step {n + 1}",
                        "owner": "owner",
                        **({"after": [f"s{n - 1}"]} if n else {}),
                        "due": f"-{(self.steps - 1 - n) * self.spacing_days}d",
                    }
                    for n in range(self.steps)
                ],
            },
            sort_keys=False,
        )

    async def publish(self, pool: AsyncConnectionPool) -> "Chain":
        await PlaybookRepo(pool).publish(self.yaml(), f"<bench {self.id}>")
        return self

    def request(self, name: str, today: date, owner: str = OWNERS[0]) -> StartProject:
        """A start whose first step is due a week out."""
        span = (self.steps - 1) * self.spacing_days
        return StartProject(
            playbook=self.id,
            name=name,
            launch_date=today + timedelta(days=span + 7),
            assignments={"owner": owner},
            project_manager=PM,
        )


STEPS = Chain("bench-steps", 8, 7)  # the bare workflow's shape
STEP_COUNT = STEPS.steps
THIRTY = Chain("bench-thirty", 30, 3)


def blog_request(name: str, today: date) -> StartProject:
    """A blog post whose first step (30 days before publishing) is due in a week."""
    return StartProject(
        playbook="blog-post",
        name=name,
        launch_date=today + timedelta(days=37),
        assignments=BLOG_TEAM,
        project_manager="pat",
    )


async def publish_all(pool: AsyncConnectionPool) -> None:
    for playbook in (STEPS, THIRTY):
        await playbook.publish(pool)
    blog = bundled_playbooks()["blog-post"]
    await PlaybookRepo(pool).publish(blog.read_text(encoding="utf-8"), str(blog))
