"""No poison pill: a transition whose effects PostgreSQL refuses for their content (here
a NUL, which no way in accepts any more) is recorded as a failed effect with the reason,
the project manager is told, and the activity returns: the project goes on instead of
retrying the same refusal forever."""

from datetime import UTC, date, datetime

from activities.messages import LinkSigner
from activities.postgres import PostgresRecorder
from activities.recorders import EffectsBatch, StepBrief
from baton.contract import LogEntry
from baton.people import Person
from baton.store.events import EventRepo
from baton.store.failed_effects import failures_of
from baton.store.outbox import OutboxRepo
from baton.store.people import PeopleRepo

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
SIGNER = LinkSigner(secret=b"a test secret of enough length", public_url="http://baton.test")


def batch(transition: int, note: str) -> EffectsBatch:
    return EffectsBatch(
        workflow_id="project-poison",
        transition=transition,
        project_name="Poison",
        project_manager="pat",
        timezone="UTC",
        playbook="blog-post",
        launch_date=date(2026, 12, 15),
        entries=[
            LogEntry(at=NOW, type="completed", step_id="idea", actor="sam", detail=note),
            LogEntry(at=NOW, type="assigned", step_id="keywords", recipient="sam"),
        ],
        steps=[StepBrief(id="idea", name="Idea", kind="task", state="done", owners=["sam"]),
               StepBrief(id="keywords", name="Keywords", kind="task", state="active",
                         owners=["sam"], after=["idea"])],
    )  # fmt: skip


async def test_refused_content_is_kept_as_a_failed_effect_and_the_pm_is_told(pool):
    await PeopleRepo(pool).replace_all_or_nothing([Person(id="pat"), Person(id="sam")])
    recorder = PostgresRecorder(pool, SIGNER, set())

    assert await recorder.record(batch(2, "a\x00b")) is False  # returns: no retry loop
    assert await recorder.record(batch(2, "a\x00b")) is False  # a retry adds nothing
    [failure] = await failures_of(pool, "project-poison")
    assert failure.transition == 2 and "NUL" in failure.reason and failure.entries == 2
    [report] = await OutboxRepo(pool).mailbox("pat")
    assert report.kind == "effect_failed" and "Poison" in report.subject
    assert "NUL" in report.body_text and "The project goes on" in report.body_text
    assert await OutboxRepo(pool).mailbox("sam") == []  # that transition sent nothing

    assert await recorder.record(batch(3, "a clean note")) is True  # the next one is kept
    events = await EventRepo(pool).for_project("project-poison")
    assert [(e.transition, e.type) for e in events] == [(3, "completed"), (3, "assigned")]
