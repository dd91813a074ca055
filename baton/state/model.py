"""What the core works on: the project as the workflow carries it, and one transition."""

from pydantic import BaseModel

from baton.contract import LogEntry, ProjectStatus
from baton.people import Person
from baton.playbook import Playbook
from baton.schedule import Calendar


class Project(ProjectStatus):
    """The full state the workflow carries: the status plus what decisions need (the
    playbook version and the people, resolved once at the start)."""

    definition: Playbook
    people: dict[str, Person] = {}

    def status(self) -> ProjectStatus:
        return ProjectStatus.model_validate(self.model_dump(exclude={"definition", "people"}))

    def person(self, person_id: str) -> Person:
        return self.people.get(person_id) or Person(id=person_id)


class Transition(BaseModel):
    project: Project
    entries: list[LogEntry]


def calendar_of(playbook: Playbook) -> Calendar:
    return Calendar(business=playbook.calendar == "business", holidays=playbook.holidays)
