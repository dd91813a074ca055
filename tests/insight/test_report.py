"""The retrospective on a small history written out by hand: three projects of a
three-step playbook (and one older project for the `since` filter), every expected
number worked out in the comments from the times below.

The playbook `article`: write (task, writer, due -5d, estimate 3d: its window is 3 days)
-> review (approval by editor and seo, due -3d: window 2) -> publish (task, writer,
due 0d: window 3). `archive` is a step only the history knows. Times are UTC; ISO week
W10 is 2026-03-02..08, W11 03-09..15, W12 03-16..22.

                         activated    due          finished     late   cycle
p1 write r1   wen        03-05 17:00  03-08 17:00  03-09 05:00   0.5    3.5
p1 review r1  ed,sam     03-09 05:00  03-10 17:00  03-10 17:00   0      1.5
   decisions: ed approves 03-10 05:00 (-0.5), sam rejects 03-10 17:00 (0)
p1 write r2   wen        03-10 17:00  03-08 17:00  03-11 17:00   3.0    1.0
p1 review r2  ed,sam     03-11 17:00  03-10 17:00  03-12 05:00   1.5    0.5
   decisions: ed 03-11 23:00 (1.25), sam 03-12 05:00 (1.5)
p1 publish    wen        03-12 05:00  03-13 17:00  03-13 17:00   0      1.5
p1 archive    wen        skipped                   03-13 17:00
p2 write      wen        03-09 17:00  03-11 17:00  03-11 05:00  -0.5    1.5
p2 review     ed,sam,lee 03-11 05:00  03-13 17:00  03-14 17:00   1.0    3.5
   decisions: ed 03-12 17:00 (-1.0), sam 03-14 17:00 (1.0); lee decided nothing
p2 publish    wen        03-14 17:00  03-16 17:00  03-21 17:00   5.0    7.0
p2 archive    wen        03-17 17:00  03-18 17:00  03-18 05:00  -0.5    0.5
p3 write      wen,kai    03-12 17:00  03-15 17:00  03-17 05:00   1.5    4.5
p3 review     ed,sam     03-17 05:00  03-17 17:00  03-17 09:00  -1/3    1/6
   decisions: ed 03-17 09:00 (-1/3), sam 03-17 05:00 (-0.5)
p3 publish    wen        cancelled    03-20 17:00  (activated 03-17 09:00, ended 03-18 09:00)
p3 archive    wen        03-20 17:00  03-22 17:00  03-21 17:00  -1.0    1.0
p0 write      wen        02-05 17:00  02-08 17:00  02-10 17:00   2.0    5.0  (before `since`)
"""

from datetime import UTC, date, datetime

from baton.insight.report import CROWDED_WEEK_DUES, build_report
from baton.insight.runs import Decision, StepRun
from baton.playbook import find_playbook, parse_playbook

ARTICLE = parse_playbook(
    """
id: article
name: Article
roles: {writer: Writer, editor: Editor, seo: SEO}
steps:
  - {id: write, name: Write, owner: writer, due: -5d, estimate: 3d}
  - id: review
    name: Review
    kind: approval
    approvers: [editor, seo]
    on_reject: write
    after: [write]
    due: -3d
  - {id: publish, name: Publish, owner: writer, after: [review], due: 0d}
"""
)
PLAYBOOKS = {"article": ARTICLE}
SINCE = date(2026, 3, 1)


def at(when: str) -> datetime:
    """ "03-08 17:00" in 2026, UTC."""
    return datetime.strptime(f"2026-{when}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def run(project, step, owners, activated, due, finished, **fields) -> StepRun:
    kind = "approval" if step == "review" else "task"
    return StepRun(
        project=project,
        playbook=fields.pop("playbook", "article"),
        step=step,
        kind=fields.pop("kind", kind),
        owners=owners.split(","),
        activated_at=at(activated),
        due_at=at(due),
        finished_at=at(finished),
        **fields,
    )


def decided(person: str, when: str, approve: bool = True) -> Decision:
    return Decision(person=person, approve=approve, at=at(when))


HISTORY = [
    run("p0", "write", "wen", "02-05 17:00", "02-08 17:00", "02-10 17:00"),
    run("p1", "write", "wen", "03-05 17:00", "03-08 17:00", "03-09 05:00"),
    run(
        "p1",
        "review",
        "ed,sam",
        "03-09 05:00",
        "03-10 17:00",
        "03-10 17:00",
        reviews=[decided("ed", "03-10 05:00"), decided("sam", "03-10 17:00", approve=False)],
    ),
    run("p1", "write", "wen", "03-10 17:00", "03-08 17:00", "03-11 17:00", revision=2),
    run(
        "p1",
        "review",
        "ed,sam",
        "03-11 17:00",
        "03-10 17:00",
        "03-12 05:00",
        revision=2,
        reviews=[decided("ed", "03-11 23:00"), decided("sam", "03-12 05:00")],
    ),
    run("p1", "publish", "wen", "03-12 05:00", "03-13 17:00", "03-13 17:00"),
    run("p1", "archive", "wen", "03-13 17:00", "03-15 17:00", "03-13 17:00", outcome="skipped"),
    run("p2", "write", "wen", "03-09 17:00", "03-11 17:00", "03-11 05:00"),
    run(
        "p2",
        "review",
        "ed,sam,lee",
        "03-11 05:00",
        "03-13 17:00",
        "03-14 17:00",
        reviews=[decided("sam", "03-14 17:00"), decided("ed", "03-12 17:00")],
    ),
    run("p2", "publish", "wen", "03-14 17:00", "03-16 17:00", "03-21 17:00"),
    run("p2", "archive", "wen", "03-17 17:00", "03-18 17:00", "03-18 05:00"),
    run("p3", "write", "wen,kai", "03-12 17:00", "03-15 17:00", "03-17 05:00"),
    run(
        "p3",
        "review",
        "ed,sam",
        "03-17 05:00",
        "03-17 17:00",
        "03-17 09:00",
        reviews=[decided("ed", "03-17 09:00"), decided("sam", "03-17 05:00")],
    ),
    run("p3", "publish", "wen", "03-17 09:00", "03-20 17:00", "03-18 09:00", outcome="cancelled"),
    run("p3", "archive", "wen", "03-20 17:00", "03-22 17:00", "03-21 17:00"),
]


def report(**options):
    return build_report(HISTORY, PLAYBOOKS, **{"playbook": "article", "since": SINCE} | options)


def test_the_header_counts_the_projects_of_the_runs_counted():
    shown = report()
    assert (shown.playbook, shown.since, shown.projects) == ("article", SINCE, 3)


def test_steps_in_playbook_order_then_history_only_steps():
    # alphabetical would be archive, publish, review, write
    assert [s.step for s in report().steps] == ["write", "review", "publish", "archive"]


def test_step_statistics():
    steps = {s.step: s.model_dump(exclude={"step", "playbook"}) for s in report().steps}
    # write, done: late 0.5, 3.0, -0.5, 1.5 -> sorted -0.5 0.5 1.5 3.0: median 1.0,
    # p80 at position 2.4: 1.5 + 0.4 * 1.5 = 2.1; on time 1 of 4; cycles 1.0 1.5 3.5 4.5:
    # median 2.5; one rework round (p1 r2)
    assert steps["write"] == {
        "samples": 4,
        "on_time_rate": 0.25,
        "median_late_days": 1.0,
        "p80_late_days": 2.1,
        "median_cycle_days": 2.5,
        "rework_rounds": 1,
    }
    # review: late -1/3 0 1.0 1.5: median 0.5, p80 1.0 + 0.4 * 0.5 = 1.2; 0 is on time,
    # so 2 of 4; cycles 1/6 0.5 1.5 3.5: median 1.0; one rework round
    assert steps["review"] == {
        "samples": 4,
        "on_time_rate": 0.5,
        "median_late_days": 0.5,
        "p80_late_days": 1.2,
        "median_cycle_days": 1.0,
        "rework_rounds": 1,
    }
    # publish: the cancelled run is no sample; late 0 and 5.0: median 2.5, p80 4.0;
    # cycles 1.5 and 7.0: median 4.25
    assert steps["publish"] == {
        "samples": 2,
        "on_time_rate": 0.5,
        "median_late_days": 2.5,
        "p80_late_days": 4.0,
        "median_cycle_days": 4.25,
        "rework_rounds": 0,
    }
    # archive: the skipped run is no sample; late -0.5 and -1.0: p80 -1.0 + 0.8 * 0.5
    assert steps["archive"] == {
        "samples": 2,
        "on_time_rate": 1.0,
        "median_late_days": -0.75,
        "p80_late_days": -0.6,
        "median_cycle_days": 0.75,
        "rework_rounds": 0,
    }


def test_people_count_each_reviewers_own_decision_on_approvals():
    people = {p.person: p.model_dump(exclude={"person"}) for p in report().people}
    # lee was asked on p2's review but decided nothing: no sample. Reviewers are measured
    # by their decision, not by when the approval closed: ed -0.5, 1.25, -1.0, -1/3.
    assert list(people) == ["ed", "kai", "sam", "wen"]
    assert people["ed"] == {"samples": 4, "on_time_rate": 0.75, "median_late_days": -0.42}
    # sam: 0, 1.5, 1.0, -0.5 (deciding exactly at the due is on time)
    assert people["sam"] == {"samples": 4, "on_time_rate": 0.5, "median_late_days": 0.5}
    # a co-owner gets the run's lateness
    assert people["kai"] == {"samples": 1, "on_time_rate": 0.0, "median_late_days": 1.5}
    # wen: write 0.5 3.0 -0.5 1.5, publish 0 5.0, archive -0.5 -1.0 -> median (0 + 0.5) / 2
    assert people["wen"] == {"samples": 8, "on_time_rate": 0.5, "median_late_days": 0.25}


def test_roles_come_from_the_playbook():
    roles = {r.role: r.model_dump(exclude={"role"}) for r in report().roles}
    # writer: write's and publish's runs once each (p3's two owners are one sample):
    # -0.5 0 0.5 1.5 3.0 5.0; every approver role gets the review run's lateness;
    # archive is in no playbook, so in no role
    assert list(roles) == ["editor", "seo", "writer"]
    assert roles["writer"] == {"samples": 6, "on_time_rate": 0.33, "median_late_days": 1.0}
    assert roles["editor"] == roles["seo"]
    assert roles["editor"] == {"samples": 4, "on_time_rate": 0.5, "median_late_days": 0.5}


def test_where_the_days_went():
    went = {
        w.step: w.model_dump(exclude={"step", "playbook"}) for w in report().where_the_days_went
    }
    assert list(went) == ["write", "review", "publish", "archive"]
    # write, per project: working 3.5 / 1.5 / 4.5, rework 1.0 / 0 / 0; planned start
    # due - 3 days: p2 started 1.0 day after 03-08 17:00, the others on time
    assert went["write"] == {
        "working_days": 3.17,
        "waiting_days": 0.33,
        "approval_queue_days": 0.0,
        "rework_days": 0.33,
    }
    # review: queue 1.5 / 3.5 / 1/6; rework 0.5 / 0 / 0; planned start due - 2 days:
    # p1 0.5 late (03-08 17:00 -> 03-09 05:00), p2 early, p3 1.5 late
    assert went["review"] == {
        "working_days": 0.0,
        "waiting_days": 0.67,
        "approval_queue_days": 1.72,
        "rework_days": 0.17,
    }
    # publish: the cancelled run spent its day too: 1.5 / 7.0 / 1.0; planned start
    # due - 3 days: p1 1.5 late, p2 1.0, p3 early
    assert went["publish"] == {
        "working_days": 3.17,
        "waiting_days": 0.83,
        "approval_queue_days": 0.0,
        "rework_days": 0.0,
    }
    # archive: p1 skipped it, so the mean is over p2 and p3; no plan, so no waiting
    assert went["archive"]["working_days"] == 0.75
    assert went["archive"]["waiting_days"] == 0.0


def test_bottlenecks_rank_late_days_with_ties_in_playbook_order():
    # write 0.5 + 3.0 + 1.5 = 5.0, publish 5.0 (a tie: write comes first in the
    # playbook), review 1.5 + 1.0 = 2.5; archive was never late: left out
    assert [(b.step, b.late_days_total) for b in report().bottlenecks] == [
        ("write", 5.0),
        ("publish", 5.0),
        ("review", 2.5),
    ]


def test_crowded_weeks():
    assert CROWDED_WEEK_DUES == 3
    # wen W12: p2 publish, p2 archive, p3 publish (cancelled, still due), p3 archive = 4;
    # W11: p1 publish, p2 write, p3 write = 3 (p1's skipped archive is nobody's work);
    # ed and sam W11: p1 review r1 and r2, p2 review = 3; wen W10 has 2, lee and kai 1
    assert [(c.person, c.week, c.dues) for c in report().crowded_weeks] == [
        ("wen", "2026-W12", 4),
        ("ed", "2026-W11", 3),
        ("sam", "2026-W11", 3),
        ("wen", "2026-W11", 3),
    ]


def test_since_counts_runs_finished_from_that_utc_day_on():
    everything = report(since=None)
    assert everything.projects == 4
    assert everything.steps[0].samples == 5  # p0's write counts too
    # from 03-13: p1 publish (03-13 17:00) counts, p1's second review (03-12) does not
    later = report(since=date(2026, 3, 13))
    assert later.projects == 3
    assert {s.step: s.samples for s in later.steps} == {
        "write": 1,
        "review": 2,
        "publish": 2,
        "archive": 2,
    }
    midnight = run("p9", "write", "wen", "03-12 17:00", "03-13 17:00", "03-13 00:00")
    assert build_report([midnight], PLAYBOOKS, since=date(2026, 3, 13)).projects == 1
    assert build_report([midnight], PLAYBOOKS, since=date(2026, 3, 14)).projects == 0


def test_a_playbook_step_without_runs_is_listed_with_no_statistics():
    shown = build_report([], PLAYBOOKS, playbook="article")
    assert shown.projects == 0
    assert [(s.step, s.samples, s.on_time_rate, s.median_cycle_days) for s in shown.steps] == [
        ("write", 0, None, None),
        ("review", 0, None, None),
        ("publish", 0, None, None),
    ]
    assert shown.people == shown.roles == shown.where_the_days_went == []
    assert shown.bottlenecks == shown.crowded_weeks == []


def test_several_playbooks_by_id_then_their_own_order():
    blog = find_playbook("blog-post")
    draft = run(
        "b1", "draft", "wen", "03-01 09:00", "03-03 17:00", "03-04 17:00", playbook="blog-post"
    )
    both = build_report([draft, *HISTORY], {"blog-post": blog, "article": ARTICLE})
    keys = [(s.playbook, s.step) for s in both.steps]
    assert keys == [
        *(("article", s) for s in ["write", "review", "publish", "archive"]),
        *(("blog-post", s.id) for s in blog.steps),
    ]
    assert both.projects == 5
    only_blog = build_report([draft, *HISTORY], {"blog-post": blog}, playbook="blog-post")
    assert only_blog.projects == 1
    assert [(s.step, s.samples) for s in only_blog.steps if s.samples] == [("draft", 1)]


def test_waiting_counts_a_business_window_back_over_the_weekend():
    weekly = parse_playbook(
        """
id: weekly
name: Weekly
calendar: business
roles: {writer: Writer}
steps:
  - {id: outline, name: Outline, owner: writer, due: -3d}
  - {id: write, name: Write, owner: writer, after: [outline], due: -1d}
"""
    )
    # write's window is 2 business days: due Monday 03-16 17:00 -> planned start
    # Thursday 03-12 17:00; started Friday 03-13 17:00: 1.0 calendar day waiting
    late_start = run(
        "w1", "write", "wen", "03-13 17:00", "03-16 17:00", "03-16 12:00", playbook="weekly"
    )
    shown = build_report([late_start], {"weekly": weekly})
    assert shown.where_the_days_went[0].waiting_days == 1.0


def test_the_report_is_the_json_contract():
    data = report().model_dump(mode="json")
    assert list(data) == [
        "playbook",
        "since",
        "projects",
        "steps",
        "people",
        "roles",
        "where_the_days_went",
        "bottlenecks",
        "crowded_weeks",
    ]
    assert data["since"] == "2026-03-01"
    assert data["steps"][0]["step"] == "write"
