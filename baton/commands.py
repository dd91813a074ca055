"""The contract's messages (DESIGN.md section 3): the start input and every action.

Every way in (CLI, API, dashboard, Temporal UI, simulate) sends exactly these payloads."""

import re
import unicodedata
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from baton.schedule import TimeZoneName

_SLUG = r"^[a-z0-9][a-z0-9-]*$"


def slugify(name: str) -> str:
    """ "Spring launch: post #1" -> "spring-launch-post-1"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")


def workflow_id_for(slug: str) -> str:
    return f"project-{slug}"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectTemplate(_Message):
    """Who runs which playbook, and how: what a start input and a recurring project's
    spec have in common."""

    playbook: str = Field(min_length=1)
    playbook_version: int | None = Field(default=None, ge=1)
    name: str = Field(min_length=1)
    slug: str | None = Field(default=None, pattern=_SLUG)
    timezone: TimeZoneName = "UTC"
    assignments: dict[str, str] = {}
    project_manager: str = Field(min_length=1)
    inputs: dict[str, Any] = {}

    @property
    def project_slug(self) -> str:
        return self.slug or slugify(self.name) or "project"


class StartProject(ProjectTemplate):
    """The contract's start input (DESIGN.md section 3)."""

    launch_date: date | None = None
    start_date: date | None = None

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.project_slug)


class CompleteStep(_Message):
    action: Literal["complete_step"] = "complete_step"
    step_id: str
    actor: str = Field(min_length=1)
    note: str | None = None
    link: str | None = None


class ReviewStep(_Message):
    action: Literal["review_step"] = "review_step"
    step_id: str
    actor: str = Field(min_length=1)
    approve: bool
    comment: str | None = None


class ChooseOption(_Message):
    action: Literal["choose_option"] = "choose_option"
    step_id: str
    actor: str = Field(min_length=1)
    option: str


class ReassignStep(_Message):
    action: Literal["reassign_step"] = "reassign_step"
    step_id: str
    actor: str = Field(min_length=1)
    to: str = Field(min_length=1)


class Reschedule(_Message):
    action: Literal["reschedule"] = "reschedule"
    actor: str = Field(min_length=1)
    launch_date: date


class CancelProject(_Message):
    action: Literal["cancel_project"] = "cancel_project"
    actor: str = Field(min_length=1)
    reason: str = Field(min_length=1)


Command = CompleteStep | ReviewStep | ChooseOption | ReassignStep | Reschedule | CancelProject
COMMANDS: dict[str, type[Command]] = {
    cls.model_fields["action"].default: cls
    for cls in (CompleteStep, ReviewStep, ChooseOption, ReassignStep, Reschedule, CancelProject)
}
