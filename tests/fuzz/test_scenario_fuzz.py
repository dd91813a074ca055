"""The scenario loader of `baton simulate` on anything: arbitrary data and mutations
of the README's scenario. Only an Invalid (a ScenarioError, or the PlaybookError of the
playbook it names) may escape, with a message saying where."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.errors import Invalid
from baton.playbook import PlaybookError
from starters.simulate import Scenario, scenario_from_data
from tests.fuzz.strategies import (
    FUZZ,
    datetime_texts,
    json_like,
    mutated,
    scalars,
    texts,
)

SOURCE = "fuzz/scenario.yaml"
README_SCENARIO: dict[str, Any] = {
    "playbook": "blog-post",
    "name": "Spring launch post",
    "launch_date": "2026-12-15",
    "timezone": "Europe/Berlin",
    "people": {
        "alice": {
            "name": "Alice",
            "email": "alice@example.com",
            "timezone": "America/New_York",
            "working_hours": "08:00-16:00",
        }
    },
    "assignments": {
        "strategist": "sam",
        "seo": "sam",
        "writer": "alice",
        "designer": "dana",
        "social": "sol",
        "stakeholder": "stu",
    },
    "project_manager": "pat",
    "start_at": "2026-11-10T09:00:00Z",
    "until": "2026-12-31T00:00:00Z",
    "actions": [
        {
            "at": "2026-11-14T10:00:00Z",
            "action": "complete_step",
            "step_id": "idea",
            "actor": "sam",
        },
        {
            "at": "2026-11-24T10:00:00Z",
            "action": "review_step",
            "step_id": "approve-outline",
            "actor": "sam",
            "approve": False,
            "comment": "too long",
        },
    ],
}
KEYS = sorted(
    {
        *Scenario.model_fields,
        "at",
        "action",
        "step_id",
        "actor",
        "approve",
        "comment",
        "note",
        "link",
        "option",
        "to",
        "reason",
        "name",
        "email",
        "timezone",
        "working_hours",
        "working_days",
        "time_off",
        "backup",
        "manager",
        "start",
        "end",
    }
)
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "complete_step",
            "review_step",
            "choose_option",
            "reassign_step",
            "reschedule",
            "cancel_project",
            "unknown",
            "blog-post",
            "webinar",
            "no-such-playbook",
            "playbooks/blog-post.yaml",
            "../playbooks/blog-post.yaml",
            "/nonexistent.yaml",
            ".",
            "/",
            "/etc/passwd",
            "x.yml",
            "America",
            "Europe",
            "a" * 300,
            "UTC",
            "0001-01-01",
            "9999-12-31",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-11-09T00:00:00Z",
            None,
            True,
            0,
            10**30,
            [],
            {},
            [{}],
            [None],
            {"": None},
            [{"at": None, "action": None}],
            [{"at": "2026-11-14T10:00:00Z", "action": {}}],
            [{"at": "2026-11-14T10:00:00Z", "action": ["complete_step"]}],
        ]
    ),
    datetime_texts,
    scalars,
    json_like(st.sampled_from(KEYS)),
)


def _check(data: Any) -> None:
    try:
        loaded = scenario_from_data(data, SOURCE)
    except Invalid as error:
        message = str(error)
        assert message.strip(), f"an empty message for {data!r}"
        if not isinstance(error, PlaybookError):
            assert SOURCE in message, f"the message does not name the scenario: {message!r}"
        return
    # What is accepted can be simulated: the start and every action go to the workflow
    # as JSON payloads.
    request = loaded.request
    assert type(request).model_validate_json(request.model_dump_json()) == request
    for action in loaded.actions:
        command = action.command
        assert type(command).model_validate_json(command.model_dump_json()) == command


@FUZZ
@given(data=json_like(st.sampled_from(KEYS), leaves=st.one_of(scalars, HOSTILE)))
def test_arbitrary_data(data: Any) -> None:
    _check(data)


@FUZZ
@given(data=st.dictionaries(st.one_of(st.sampled_from(KEYS), texts), HOSTILE))
def test_arbitrary_mappings(data: dict) -> None:
    _check(data)


@settings(FUZZ, max_examples=250)
@given(data=st.data())
def test_mutated_readme_scenario(data: st.DataObject) -> None:
    _check(data.draw(mutated(README_SCENARIO, HOSTILE, KEYS), label="scenario"))


def test_the_readme_scenario_loads() -> None:
    loaded = scenario_from_data(README_SCENARIO, SOURCE)
    assert [action.command.step_id for action in loaded.actions] == ["idea", "approve-outline"]


ACTION = README_SCENARIO["actions"][0]


@pytest.mark.parametrize(
    "change",
    [
        {"start_at": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
        {"until": "9999-12-31T23:59:59-01:00"},  # after 9999 in UTC
        {"start_at": "9999-12-31T23:59:59.999999Z"},
        {"actions": [{**ACTION, "at": "0001-01-01T00:00:00+01:00"}]},
        {"actions": [{**ACTION, "at": "9999-12-31T23:59:59-01:00"}]},
        {"actions": [{**ACTION, "action": {}}]},  # an unhashable action name
        {"actions": [{**ACTION, "action": ["complete_step"]}]},
        {"actions": [None]},
        {"actions": [{"at": "2026-11-14T10:00:00Z"}]},
        {"actions": {"a": 1}},
        {"timezone": "America"},
        {"people": {"alice": {"timezone": "America"}}},
        {"people": {"alice": {"timezone": "a" * 300}}},
        {"people": {"alice": [1, 2]}},
        {"people": {"alice": "Alice"}},
        {"people": {"alice": {1: 2}}},
        {"people": {"alice": {"id": "bob"}}},
        {"people": {"\ud800": {}}},
        {"people": ["alice"]},
        {"playbook": "/"},
        {"playbook": "."},
        {"playbook": "/etc/passwd"},
        {"playbook": "x" * 5000},
        {"playbook": "nope.yaml"},
        {"launch_date": "9999-12-31"},
        {"inputs": {"x": "\ud800"}},
    ],
    ids=lambda change: "-".join(f"{k}={str(v)[:24]!r}" for k, v in change.items()),
)
def test_hostile_scenarios(change: dict) -> None:
    _check({**README_SCENARIO, **change})
