"""Approvals, rework, decisions, parallel steps, reassignment and refusals, through
`simulate` with small playbooks written for each test.

Dates (2027): Mon 03-15 is the start; actions mostly fall on Tue 03-16, in working hours
and days before any due instant, so no reminder gets in the way unless a test wants one.
"""

import textwrap
import uuid
from pathlib import Path

import pytest

from baton.contract import slugify
from tests.workflow.conftest import entries, utc

PM = "pat"
START = "2027-03-15T09:00:00Z"


def write_playbook(tmp_path: Path, roles: str, steps: str) -> str:
    """A playbook file with the given roles and steps (YAML flow lines); returns its path."""
    path = tmp_path / f"pb-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            id: custom
            name: Custom
            due_time: "17:00"
            reminders: [48h, 24h]
            escalation: {{after: 4h, repeat: 24h, max: 3}}
            roles: {roles}
            steps:
            """
        )
        + textwrap.indent(textwrap.dedent(steps).strip() + "\n", "  "),
        encoding="utf-8",
    )
    return str(path)


def name() -> str:
    return f"Flow {uuid.uuid4().hex[:8]}"


def at(hhmm: str, day: str = "2027-03-16") -> str:
    return f"{day}T{hhmm}:00Z"


def complete(when: str, step: str, actor: str) -> dict:
    return {"at": when, "action": "complete_step", "step_id": step, "actor": actor}


def review(when: str, step: str, actor: str, approve: bool, comment: str | None = None) -> dict:
    action = {"at": when, "action": "review_step", "step_id": step, "actor": actor}
    # A rejection needs a reason: give one when the test names none.
    comment = comment or (None if approve else "needs work")
    return action | {"approve": approve} | ({"comment": comment} if comment else {})


def choose(when: str, step: str, actor: str, option: str) -> dict:
    return {
        "at": when,
        "action": "choose_option",
        "step_id": step,
        "actor": actor,
        "option": option,
    }


def told(result, type_: str, **match) -> list[tuple]:
    return [(e.at, e.recipient) for e in entries(result, type_, **match)]


def logged(result, type_: str, **match) -> list[tuple]:
    """(at, recipient, revision) from the status log, which carries revisions."""
    return [
        (e.at, e.recipient, e.revision)
        for e in result.status.log
        if e.type == type_ and all(getattr(e, k) == v for k, v in match.items())
    ]


# ------------------------------------------------------------------ approvals

APPROVAL_TEAM = {"writer": "wes", "a": "ann", "b": "ben", "c": "cat"}


def approval_playbook(tmp_path: Path, policy: str) -> str:
    return write_playbook(
        tmp_path,
        "{writer: Writer, a: Reviewer A, b: Reviewer B, c: Reviewer C}",
        f"""
        - {{id: draft, name: Draft, owner: writer, due: -5d}}
        - id: review
          name: Review the draft
          kind: approval
          approvers: [a, b, c]
          policy: {policy}
          on_reject: draft
          after: [draft]
          due: -3d
        - {{id: publish, name: Publish, owner: writer, after: [review], due: 0d}}
        """,
    )


REVIEW_TIMES = [at("11:00"), at("12:00"), at("13:00")]


@pytest.mark.parametrize(
    ("policy", "verdicts", "outcome", "decisive"),
    [
        ("all", [True, True, True], "approved", 2),
        ("all", [True, False, True], "rework", 1),
        ("any", [True, True, True], "approved", 0),
        ("any", [False, False, True], "approved", 2),
        ("any", [False, False, False], "rework", 2),
        ("2", [True, True, True], "approved", 1),
        ("2", [False, True, True], "approved", 2),
        ("2", [True, False, False], "rework", 2),
        ("2", [False, False, True], "rework", 1),
    ],
)
async def test_approval_policies_decide_at_the_right_review(
    run_scenario, tmp_path, policy, verdicts, outcome, decisive
):
    reviewers = ["ann", "ben", "cat"]
    result = await run_scenario(
        playbook=approval_playbook(tmp_path, policy),
        name=name(),
        launch_date="2027-03-31",
        assignments=APPROVAL_TEAM,
        project_manager=PM,
        start_at=START,
        actions=[
            complete(at("10:00"), "draft", "wes"),
            *(
                review(t, "review", who, ok)
                for t, who, ok in zip(REVIEW_TIMES, reviewers, verdicts, strict=True)
            ),
        ],
        until=at("16:00"),
    )
    decided_at = utc(REVIEW_TIMES[decisive])
    step = result.status.step("review")
    # Every approver was asked once, at once, when the draft was done.
    assert told(result, "review_requested") == [(utc(at("10:00")), p) for p in reviewers]
    # The reviews up to the decisive one were taken; the later ones are refused.
    taken = [(e.at, e.actor) for e in result.timeline if e.type in ("approved", "rejected")]
    assert (
        taken == [(utc(t), p) for t, p in zip(REVIEW_TIMES, reviewers, strict=True)][: decisive + 1]
    )
    refused = entries(result, "refused")
    assert [(e.at, e.actor) for e in refused] == [
        (utc(t), p) for t, p in zip(REVIEW_TIMES, reviewers, strict=True)
    ][decisive + 1 :]
    if outcome == "approved":
        assert step.state == "done" and step.finished_at == decided_at
        assert step.revision == 1
        assert told(result, "assigned", step_id="publish") == [(decided_at, "wes")]
        assert entries(result, "rework") == []
        assert all("already done" in e.detail for e in refused)
    else:
        # Rejected: the draft goes back to its owner, one revision up, at that review.
        assert told(result, "rework", step_id="draft") == [(decided_at, "wes")]
        assert result.status.step("draft").state == "active"
        assert result.status.step("draft").revision == 2
        assert step.state == "waiting" and step.revision == 2 and step.approvals == []
        assert entries(result, "assigned", step_id="publish") == []
        assert all("not active yet" in e.detail for e in refused)


@pytest.mark.parametrize("approve", [True, False])
async def test_a_pm_who_is_not_an_approver_decides_with_one_review(run_scenario, tmp_path, approve):
    result = await run_scenario(
        playbook=approval_playbook(tmp_path, "all"),
        name=name(),
        launch_date="2027-03-31",
        assignments=APPROVAL_TEAM,
        project_manager=PM,
        start_at=START,
        actions=[
            complete(at("10:00"), "draft", "wes"),
            review(at("11:00"), "review", "ann", True),
            review(at("12:00"), "review", PM, approve, "my call"),
        ],
        until=at("16:00"),
    )
    step = result.status.step("review")
    if approve:
        assert step.state == "done" and step.finished_at == utc(at("12:00"))
        assert told(result, "assigned", step_id="publish") == [(utc(at("12:00")), "wes")]
    else:
        assert step.state == "waiting" and step.revision == 2
        assert [(e.at, e.recipient, e.detail) for e in entries(result, "rework")] == [
            (utc(at("12:00")), "wes", "my call")
        ]


async def test_rejection_reruns_every_step_between_and_asks_every_approver_again(
    run_scenario, tmp_path
):
    playbook = write_playbook(
        tmp_path,
        "{lead: Lead, writer: Writer, drafter: Drafter, designer: Designer, "
        "editor: Editor, boss: Boss}",
        """
        - {id: brief, name: Brief, owner: lead, due: -20d}
        - {id: outline, name: Outline, owner: writer, after: [brief], due: -18d}
        - {id: assets, name: Assets, owner: designer, after: [brief], due: -10d}
        - {id: draft, name: Draft, owner: drafter, after: [outline], due: -16d}
        - id: approve
          name: Approve the draft
          kind: approval
          approvers: [editor, boss]
          policy: all
          on_reject: outline
          after: [draft]
          due: -15d
        - {id: publish, name: Publish, owner: writer, after: [approve, assets], due: 0d}
        """,
    )
    day2 = "2027-03-17"
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-04-14",
        assignments={
            "lead": "lee",
            "writer": "wes",
            "drafter": "dan",
            "designer": "dee",
            "editor": "ed",
            "boss": "bo",
        },
        project_manager=PM,
        start_at=START,
        actions=[
            complete(at("10:00"), "brief", "lee"),
            complete(at("10:30"), "assets", "dee"),
            complete(at("11:00"), "outline", "wes"),
            complete(at("12:00"), "draft", "dan"),
            review(at("13:00"), "approve", "ed", False, "weak angle"),
            review(at("13:30"), "approve", "bo", True),  # nothing to review now
            complete(at("14:00"), "outline", "wes"),
            complete(at("15:00"), "draft", "dan"),
            review(at("15:30"), "approve", "ed", True),
            review(at("16:00"), "approve", "bo", False, "still weak"),
            complete(at("10:00", day2), "outline", "wes"),
            complete(at("11:00", day2), "draft", "dan"),
            review(at("12:00", day2), "approve", "ed", True),  # earlier approval cleared
            review(at("13:00", day2), "approve", "bo", True),
            complete(at("14:00", day2), "publish", "wes"),
        ],
    )
    assert result.state == "completed"
    revisions = {s.id: s.revision for s in result.status.steps}
    assert revisions == {
        "brief": 1,
        "outline": 3,
        "assets": 1,
        "draft": 3,
        "approve": 3,
        "publish": 1,
    }
    # The outline's owner gets a rework notice with the reviewer's comment each round.
    assert [(e.at, e.recipient, e.detail) for e in entries(result, "rework")] == [
        (utc(at("13:00")), "wes", "weak angle"),
        (utc(at("16:00")), "wes", "still weak"),
    ]
    assert logged(result, "rework") == [
        (utc(at("13:00")), "wes", 2),
        (utc(at("16:00")), "wes", 3),
    ]
    assert logged(result, "assigned", step_id="outline") == [(utc(at("10:00")), "wes", 1)]
    # Every step between runs again: the draft's owner is assigned it in each round.
    assert logged(result, "assigned", step_id="draft") == [
        (utc(at("11:00")), "dan", 1),
        (utc(at("14:00")), "dan", 2),
        (utc(at("10:00", day2)), "dan", 3),
    ]
    # The approval asks both approvers again in every round.
    assert logged(result, "review_requested") == [
        (utc(at("12:00")), "ed", 1),
        (utc(at("12:00")), "bo", 1),
        (utc(at("15:00")), "ed", 2),
        (utc(at("15:00")), "bo", 2),
        (utc(at("11:00", day2)), "ed", 3),
        (utc(at("11:00", day2)), "bo", 3),
    ]
    # Steps outside the rework span ran once.
    assert len(entries(result, "assigned", step_id="assets")) == 1
    assert len(entries(result, "completed", step_id="brief")) == 1
    # bo's review during the rework was refused; ed's approval in round 3 was accepted.
    refused = entries(result, "refused")
    assert [(e.at, e.actor, e.step_id) for e in refused] == [(utc(at("13:30")), "bo", "approve")]
    assert "step 'approve' is not active yet: it waits for 'draft' (dan)" in refused[0].detail
    approvals = result.status.step("approve").approvals
    assert [(r.actor, r.approve, r.at) for r in approvals] == [
        ("ed", True, utc(at("12:00", day2))),
        ("bo", True, utc(at("13:00", day2))),
    ]
    assert told(result, "assigned", step_id="publish") == [(utc(at("13:00", day2)), "wes")]


async def test_rework_after_the_due_is_overdue_at_once_with_follow_ups_from_then(
    run_scenario, tmp_path
):
    playbook = write_playbook(
        tmp_path,
        "{writer: Writer, a: Reviewer A}",
        """
        - {id: draft, name: Draft, owner: writer, due: -2d}
        - id: review
          name: Review the draft
          kind: approval
          approvers: [a]
          on_reject: draft
          after: [draft]
          due: -1d
        - {id: publish, name: Publish, owner: writer, after: [review], due: 0d}
        """,
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-26",  # draft due Wed 03-24 17:00, review Thu 03-25 17:00
        assignments={"writer": "wes", "a": "ann"},
        project_manager=PM,
        start_at=START,
        actions=[
            complete("2027-03-23T10:00:00Z", "draft", "wes"),
            review("2027-03-25T10:00:00Z", "review", "ann", False, "redo"),
        ],
        until="2027-03-26T15:00:00Z",
    )
    draft = result.status.step("draft")
    assert draft.state == "active" and draft.revision == 2 and draft.overdue
    assert draft.started_at == utc("2027-03-25T10:00:00Z")
    assert told(result, "rework") == [(utc("2027-03-25T10:00:00Z"), "wes")]
    # Only the first round's 48h reminder; none once the draft is back, already late.
    assert told(result, "reminder", step_id="draft") == [(utc("2027-03-22T17:00:00Z"), "wes")]
    assert told(result, "reminder", step_id="review") == [
        (utc("2027-03-23T17:00:00Z"), "ann"),
        (utc("2027-03-24T17:00:00Z"), "ann"),
    ]
    # Follow-ups count from the re-activation (Thu 10:00 + 4h), not from the due.
    assert [(e.at, e.recipient, e.detail) for e in entries(result, "follow_up")] == [
        (utc("2027-03-25T14:00:00Z"), "wes", "follow-up 1 of 3"),
        (utc("2027-03-26T14:00:00Z"), "wes", "follow-up 2 of 3"),
    ]
    assert told(result, "escalated") == [(utc("2027-03-26T14:00:00Z"), PM)]


# ------------------------------------------------------------------ decisions


@pytest.mark.parametrize("option", ["video", "blog"])
async def test_a_decision_skips_the_branch_not_chosen(run_scenario, tmp_path, option):
    playbook = write_playbook(
        tmp_path,
        "{lead: Lead, filmer: Filmer, writer: Writer}",
        """
        - id: pick
          name: Pick the channel
          kind: decision
          owner: lead
          options: [video, blog]
          due: -10d
        - {id: film, name: Film, owner: filmer, when: {step: pick, option: video}, due: -6d}
        - {id: edit, name: Edit, owner: filmer, after: [film], due: -5d}
        - {id: write, name: Write, owner: writer, when: {step: pick, option: blog}, due: -5d}
        - {id: ship, name: Ship, owner: lead, after: [edit, write], due: 0d}
        """,
    )
    branch, other = ("film", "write") if option == "video" else ("write", "film")
    owner = {"film": "fay", "write": "wes"}
    actions = [
        choose(at("10:00"), "pick", "lee", "podcast"),
        choose(at("10:30"), "pick", "lee", option),
        complete(at("11:00"), other, owner[other]),  # the skipped branch
        complete(at("12:00"), branch, owner[branch]),
        complete(at("13:00"), "edit", "fay"),
        complete(at("14:00"), "ship", "lee"),
    ]
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-31",
        assignments={"lead": "lee", "filmer": "fay", "writer": "wes"},
        project_manager=PM,
        start_at=START,
        actions=actions,
    )
    assert result.state == "completed"
    states = {s.id: s.state for s in result.status.steps}
    assert states == {
        "pick": "done",
        "film": "done" if option == "video" else "skipped",
        "edit": "done",
        "write": "skipped" if option == "video" else "done",
        "ship": "done",
    }
    assert result.status.step("pick").option == option
    skipped = entries(result, "skipped")
    assert [(e.at, e.step_id, e.detail) for e in skipped] == [
        (utc(at("10:30")), other, f"'pick' chose '{option}', not '{other_option(option)}'")
    ]
    assert told(result, "assigned", step_id=branch) == [(utc(at("10:30")), owner[branch])]
    assert entries(result, "assigned", step_id=other) == []
    # A skipped step counts as done: after the blog choice, edit starts at once.
    edit_started = at("12:00") if option == "video" else at("10:30")
    assert told(result, "assigned", step_id="edit") == [(utc(edit_started), "fay")]
    refused = [(e.at, e.actor, e.step_id, e.detail) for e in entries(result, "refused")]
    assert [r[:3] for r in refused] == [
        (utc(at("10:00")), "lee", "pick"),
        (utc(at("11:00")), owner[other], other),
    ]
    assert "'podcast' is not an option of 'pick'; options are: video, blog" in refused[0][3]
    assert f"step '{other}' is already skipped" in refused[1][3]


def other_option(option: str) -> str:
    return "blog" if option == "video" else "video"


# ------------------------------------------------------------------- parallel


async def test_parallel_steps_run_together_and_the_join_waits_for_both(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        "{lead: Lead, left: Left, right: Right}",
        """
        - {id: kickoff, name: Kickoff, owner: lead, due: -10d}
        - {id: left, name: Left half, owner: left, after: [kickoff], due: -2d}
        - {id: right, name: Right half, owner: right, after: [kickoff], due: -2d}
        - {id: join, name: Put together, owner: lead, after: [left, right], due: 0d}
        """,
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-26",  # left/right due Wed 03-24 17:00, join Fri 03-26 17:00
        assignments={"lead": "lee", "left": "lou", "right": "rita"},
        project_manager=PM,
        start_at=START,
        actions=[
            complete(at("10:00", "2027-03-15"), "kickoff", "lee"),
            complete(at("10:00", "2027-03-24"), "left", "lou"),
            complete(at("11:00", "2027-03-24"), "join", "lee"),
            complete(at("15:00", "2027-03-24"), "right", "rita"),
            complete(at("10:00", "2027-03-26"), "join", "lee"),
        ],
    )
    assert result.state == "completed"
    kicked_off = utc(at("10:00", "2027-03-15"))
    assert told(result, "assigned", step_id="left") == [(kicked_off, "lou")]
    assert told(result, "assigned", step_id="right") == [(kicked_off, "rita")]
    # Both active at once: each owner is reminded at the same instants.
    both = [utc("2027-03-22T17:00:00Z"), utc("2027-03-23T17:00:00Z")]
    assert [e.at for e in entries(result, "reminder", recipient="lou")] == both
    assert [e.at for e in entries(result, "reminder", recipient="rita")] == both
    # The join waits for both: refused after only the left half, started with the right.
    refused = entries(result, "refused")
    assert [(e.at, e.actor, e.step_id) for e in refused] == [
        (utc(at("11:00", "2027-03-24")), "lee", "join")
    ]
    assert "step 'join' is not active yet: it waits for 'right' (rita)" in refused[0].detail
    joined = utc(at("15:00", "2027-03-24"))
    assert told(result, "assigned", step_id="join") == [(joined, "lee")]
    assert result.status.step("join").started_at == joined
    # Its reminders count from then: 48h before Fri 17:00 is Wed 17:00, after 15:00.
    assert told(result, "reminder", step_id="join") == [
        (utc("2027-03-24T17:00:00Z"), "lee"),
        (utc("2027-03-25T17:00:00Z"), "lee"),
    ]


# ----------------------------------------------------------------- reassignment


async def test_reassignment_moves_the_step_and_its_reminders(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        "{writer: Writer, helper: Helper}",
        """
        - {id: write, name: Write, owner: writer, due: 0d}
        - {id: notes, name: Notes, owner: helper, due: 0d}
        """,
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",  # due Wed 17:00: reminders Mon 03-15 and Tue 03-16 17:00
        people={"dave": {"timezone": "Asia/Tokyo"}},
        assignments={"writer": "alice", "helper": "dave"},
        project_manager=PM,
        start_at="2027-03-08T09:00:00Z",
        actions=[
            complete("2027-03-08T10:00:00Z", "notes", "dave"),
            {"at": "2027-03-12T10:00:00Z", "action": "reassign_step", "step_id": "write",
             "actor": PM, "to": "carol"},
            {"at": "2027-03-12T10:30:00Z", "action": "reassign_step", "step_id": "write",
             "actor": PM, "to": "carol"},
            complete("2027-03-12T11:00:00Z", "write", "alice"),
            # After her first reminder, carol hands the step to dave (in Tokyo).
            {"at": "2027-03-15T18:00:00Z", "action": "reassign_step", "step_id": "write",
             "actor": "carol", "to": "dave"},
            complete("2027-03-17T10:00:00Z", "write", "dave"),
        ],
    )  # fmt: skip
    assert result.state == "completed"
    assert result.status.step("write").owners == ["dave"]
    moves = entries(result, "reassigned", recipient=None)
    assert [(e.at, e.actor, e.detail) for e in moves] == [
        (utc("2027-03-12T10:00:00Z"), PM, "alice -> carol"),
        (utc("2027-03-15T18:00:00Z"), "carol", "carol -> dave"),
    ]
    # The old owner is told (only when someone else moved their step away).
    messages = [e for e in entries(result, "reassigned") if e.recipient]
    assert [(e.at, e.recipient, e.detail) for e in messages] == [
        (utc("2027-03-12T10:00:00Z"), "alice", "to carol")
    ]
    assert [(e.at, e.recipient, e.actor) for e in entries(result, "assigned", step_id="write")] == [
        (utc("2027-03-08T09:00:00Z"), "alice", None),
        (utc("2027-03-12T10:00:00Z"), "carol", PM),
        (utc("2027-03-15T18:00:00Z"), "dave", "carol"),
    ]
    # Reminders follow the owner: none to alice; dave's Tue 17:00 UTC (Wed 02:00 JST)
    # waits for his Tokyo morning, Wed 09:00 JST.
    assert [(e.at, e.recipient, e.detail) for e in entries(result, "reminder")] == [
        (utc("2027-03-15T17:00:00Z"), "carol", "48h before"),
        (utc("2027-03-17T00:00:00Z"), "dave", "24h before"),
    ]
    refused = entries(result, "refused")
    assert [(e.at, e.actor) for e in refused] == [
        (utc("2027-03-12T10:30:00Z"), PM),
        (utc("2027-03-12T11:00:00Z"), "alice"),
    ]
    assert "'write' is already assigned to carol" in refused[0].detail
    assert (
        "alice may not complete 'write': only carol (owner) or pat (project manager) may"
        in refused[1].detail
    )


async def test_reminders_of_a_newcomer_follow_their_own_hours(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path, "{writer: Writer}", "- {id: write, name: Write, owner: writer, due: 0d}"
    )
    result = await run_scenario(
        playbook=playbook,
        name=name(),
        launch_date="2027-03-17",
        people={"olga": {"timezone": "Asia/Tokyo"}},
        assignments={"writer": "alice"},
        project_manager=PM,
        start_at="2027-03-08T09:00:00Z",
        actions=[
            {"at": "2027-03-12T10:00:00Z", "action": "reassign_step", "step_id": "write",
             "actor": PM, "to": "olga"},
        ],
        until="2027-03-17T12:00:00Z",
    )  # fmt: skip
    # Mon and Tue 17:00 UTC are 02:00 JST the next day: each waits for 09:00 JST.
    assert [(e.at, e.recipient) for e in entries(result, "reminder")] == [
        (utc("2027-03-16T00:00:00Z"), "olga"),
        (utc("2027-03-17T00:00:00Z"), "olga"),
    ]


# ------------------------------------------------------------------- refusals


async def test_every_refusal_is_logged_with_actor_and_reason(run_scenario, tmp_path):
    playbook = write_playbook(
        tmp_path,
        "{writer: Writer, lead: Lead, editor: Editor, boss: Boss}",
        """
        - {id: write, name: Write, owner: writer, due: -5d}
        - {id: pick, name: Pick, kind: decision, owner: lead, options: [short, long], due: -5d}
        - id: approve
          name: Approve
          kind: approval
          approvers: [editor, boss]
          after: [write]
          due: -3d
        - {id: publish, name: Publish, owner: writer, after: [approve, pick], due: 0d}
        """,
    )
    project = name()
    actions = [
        (complete(at("09:10"), "nope", "wes"), "unknown step 'nope'; steps are: "
         "write, pick, approve, publish"),
        (complete(at("09:20"), "publish", "wes"), "step 'publish' is not active yet: "
         "it waits for 'approve' (ed, bo), 'pick' (lee)"),
        (complete(at("09:30"), "pick", "lee"), "'pick' is a decision step; choose it "
         "instead of completing it"),
        (review(at("09:40"), "write", "ed", True), "'write' is a task step; complete it "
         "instead of reviewing it"),
        (complete(at("09:50"), "write", "eve"), "eve may not complete 'write': only wes "
         "(owner) or pat (project manager) may"),
        (choose(at("10:00"), "pick", "lee", "medium"), "'medium' is not an option of 'pick'; "
         "options are: short, long"),
        (choose(at("10:10"), "pick", "lee", "short"), None),
        (complete(at("10:20"), "write", "wes"), None),
        (complete(at("10:30"), "write", "wes"), "step 'write' is already done"),
        (review(at("10:40"), "approve", "ed", True), None),
        (review(at("10:50"), "approve", "ed", True), "ed has already reviewed 'approve' in "
         "this round (revision 1)"),
        (review(at("11:00"), "approve", "eve", True), "eve may not review 'approve': only ed "
         "or bo (approver) or pat (project manager) may"),
        ({"at": at("11:10"), "action": "reschedule", "actor": PM, "launch_date": "2027-03-01"},
         "the launch date 2027-03-01 is in the past (today is 2027-03-16)"),
        (review(at("11:20"), "approve", "bo", True), None),
        (complete(at("11:30"), "publish", "wes"), None),
        (complete(at("11:40"), "publish", "wes"), f"project '{slugify(project)}' was completed "
         "on Tue 2027-03-16; nothing more can be done"),
        ({"at": at("11:50"), "action": "cancel_project", "actor": PM, "reason": "late"},
         f"project '{slugify(project)}' was completed on Tue 2027-03-16; nothing more can be "
         "done"),
    ]  # fmt: skip
    result = await run_scenario(
        playbook=playbook,
        name=project,
        launch_date="2027-03-31",
        assignments={"writer": "wes", "lead": "lee", "editor": "ed", "boss": "bo"},
        project_manager=PM,
        start_at=START,
        actions=[action for action, _ in actions],
    )
    assert result.state == "completed"
    expected = [
        (utc(action["at"]), action["actor"], action.get("step_id"), reason)
        for action, reason in actions
        if reason is not None
    ]
    refused = [(e.at, e.actor, e.step_id, e.detail) for e in entries(result, "refused")]
    assert refused == expected
    # Refusals change nothing: the accepted actions alone made the project.
    assert entries(result, "chosen", detail="short", actor="lee")
    assert [e.actor for e in entries(result, "approved")] == ["ed", "bo"]
    assert [(e.at, e.recipient) for e in entries(result, "summary")] == [(utc(at("11:30")), PM)]
