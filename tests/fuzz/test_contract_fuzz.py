"""The contract's messages (StartProject and the six actions) built with
`baton.errors.validated` from anything: a model, or an `Invalid` naming the field. And
every model accepted keeps the bounds: text at most 10,000 characters without control
characters or bidi overrides, ids matching their patterns, dates in a sane window,
numbers in range; and it survives the trip through JSON that every way in and
Temporal's payloads make."""

import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from baton.contract import (
    CancelProject,
    ChooseOption,
    CompleteStep,
    ReassignStep,
    Reschedule,
    ReviewStep,
    StartProject,
)
from baton.errors import Invalid, printable, validated
from tests.fuzz.strategies import (
    FUZZ,
    ID_MAX,
    INT_MAX,
    KEY,
    PERSON_ID,
    SANE_DATES,
    SLUG,
    STEP_ID,
    date_texts,
    ids,
    json_like,
    scalars,
    text_violations,
    texts,
)

person = ids(PERSON_ID)
step = ids(STEP_ID)
key = ids(KEY)
dates = st.one_of(date_texts, st.dates())

# Per model: a valid message, and for each field what to try in its place besides
# anything at all.
MODELS: dict[type[BaseModel], tuple[dict[str, Any], dict[str, st.SearchStrategy]]] = {
    StartProject: (
        {
            "playbook": "blog-post",
            "name": "Spring launch post",
            "launch_date": "2026-12-15",
            "assignments": {"writer": "alice", "stakeholder": "stu"},
            "project_manager": "pat",
        },
        {
            "playbook": step,
            "playbook_version": st.one_of(st.integers(-2, 5), scalars),
            "name": texts,
            "slug": st.one_of(ids(SLUG), texts),
            "launch_date": dates,
            "start_date": dates,
            "timezone": st.one_of(
                st.sampled_from(
                    [
                        "UTC",
                        "Europe/Berlin",
                        "America",
                        "America/",
                        "Etc/GMT+99",
                        "../UTC",
                        "a" * 300,
                        "\ud800",
                        "UTC\x00",
                        "/etc/localtime",
                        "posixrules",
                        "",
                    ]
                ),
                texts,
            ),
            "assignments": st.dictionaries(st.one_of(key, texts), st.one_of(person, texts)),
            "project_manager": st.one_of(person, texts),
            "inputs": st.dictionaries(st.one_of(key, texts), json_like()),
        },
    ),
    CompleteStep: (
        {"step_id": "idea", "actor": "sam", "note": "done", "link": "https://example.com/doc"},
        {
            "action": st.sampled_from(["complete_step", "review_step", ""]),
            "step_id": st.one_of(step, texts),
            "actor": st.one_of(person, texts),
            "note": texts,
            "link": st.one_of(texts, texts.map(lambda t: "https://example.com/" + t)),
        },
    ),
    ReviewStep: (
        {"step_id": "approve-outline", "actor": "stu", "approve": False, "comment": "too long"},
        {
            "step_id": st.one_of(step, texts),
            "actor": st.one_of(person, texts),
            "approve": st.one_of(st.booleans(), st.sampled_from(["yes", "no", "1", 0, 2])),
            "comment": texts,
        },
    ),
    ChooseOption: (
        {"step_id": "format", "actor": "sam", "option": "video"},
        {"step_id": st.one_of(step, texts), "actor": person, "option": texts},
    ),
    ReassignStep: (
        {"step_id": "draft", "actor": "pat", "to": "bob"},
        {"step_id": step, "actor": st.one_of(person, texts), "to": st.one_of(person, texts)},
    ),
    Reschedule: (
        {"actor": "pat", "launch_date": "2026-12-22"},
        {"actor": st.one_of(person, texts), "launch_date": dates},
    ),
    CancelProject: (
        {"actor": "pat", "reason": "budget cut"},
        {"actor": st.one_of(person, texts), "reason": texts},
    ),
}


@st.composite
def message_data(draw, model: type[BaseModel]) -> Any:
    """Anything; or a dict of real and junk keys; or a valid message with fields
    replaced (by their kind of value or by anything), dropped, or junk added."""
    base, fields = MODELS[model]
    names = sorted(model.model_fields)
    kind = draw(st.sampled_from(["anything", "dict", "edited", "edited", "edited"]))
    if kind == "anything":
        return draw(json_like(st.sampled_from(names)))
    if kind == "dict":
        return draw(st.dictionaries(st.one_of(st.sampled_from(names), texts), json_like()))
    data = dict(base)
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        how = draw(st.sampled_from(["field", "field", "anything", "drop"]))
        if how == "drop":
            data.pop(name, None)
        elif how == "field" and name in fields:
            data[name] = draw(fields[name])
        else:
            data[name] = draw(json_like())
    if draw(st.integers(0, 9)) == 0:
        data[draw(texts)] = draw(scalars)
    return data


def _check_invalid(model: type[BaseModel], data: Any, error: Invalid) -> None:
    message = str(error)
    assert message.strip(), f"an empty message for {data!r}"
    if not isinstance(data, dict):
        return
    assert error.problems, f"no located problem: {message!r}"
    field = getattr(error.problems[0], "field", None)
    if field is None and message.startswith("unknown key ''"):
        return  # the empty key: pydantic's location is '' (named, as the key, in words)
    assert field, f"the first problem names no field: {message!r}"
    assert f"field '{field}'" in message, f"the message does not name {field!r}: {message!r}"
    sent_keys = {printable(str(key)) for key in data}  # as a message can show them
    assert field.split(".")[0] in model.model_fields or field in sent_keys, (
        f"{field!r} is neither a field of {model.__name__} nor a key that was sent"
    )


def _bounds_violations(message: BaseModel) -> list[str]:
    dumped = message.model_dump()
    problems = text_violations(dumped)

    def id_of(where: str, value: Any, pattern) -> None:
        if value is None:
            return
        if not isinstance(value, str) or len(value) > ID_MAX or not pattern.fullmatch(value):
            problems.append(f"{where}: {value!r} is not an id matching {pattern.pattern}")

    for name, pattern in (("step_id", STEP_ID), ("actor", PERSON_ID), ("to", PERSON_ID)):
        if name in dumped:
            id_of(name, dumped[name], pattern)
    if isinstance(message, StartProject):
        id_of("playbook", message.playbook, STEP_ID)
        id_of("slug", message.slug, SLUG)
        id_of("project_manager", message.project_manager, PERSON_ID)
        for role, who in message.assignments.items():
            id_of("assignments.<key>", role, KEY)
            id_of(f"assignments.{role}", who, PERSON_ID)
        for name, value in message.inputs.items():
            id_of("inputs.<key>", name, KEY)
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"inputs.{name}: {value} is not a finite number")
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                problems.append(f"inputs.{name}: {value} is out of range")
        if message.playbook_version is not None and not 1 <= message.playbook_version <= INT_MAX:
            problems.append(f"playbook_version: {message.playbook_version} is out of range")
    for name in ("launch_date", "start_date"):
        value = dumped.get(name)
        if isinstance(value, date) and not SANE_DATES[0] <= value <= SANE_DATES[1]:
            problems.append(f"{name}: {value} is outside {SANE_DATES[0]}..{SANE_DATES[1]}")
    return problems


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
@FUZZ
@given(data=st.data())
def test_a_message_or_a_located_invalid(model: type[BaseModel], data: st.DataObject) -> None:
    """Never a traceback; an accepted message keeps every bound, and what a validator
    accepts the API, the CLI and Temporal's payloads can carry: JSON out and back in
    gives the same message."""
    sent = data.draw(message_data(model), label="sent")
    try:
        message = validated(model, sent)
    except Invalid as error:
        _check_invalid(model, sent, error)
        return
    violations = _bounds_violations(message)
    assert not violations, f"{model.__name__} accepted {sent!r}: {violations}"
    assert model.model_validate_json(message.model_dump_json()) == message, "changed by JSON"


START = MODELS[StartProject][0]
HOSTILE_MESSAGES = [
    (StartProject, {**START, "timezone": "America"}),  # a folder of the tz database
    (StartProject, {**START, "timezone": "Europe"}),
    (StartProject, {**START, "timezone": "a" * 300}),  # longer than a file name
    (StartProject, {**START, "timezone": "UTC\x00"}),
    (StartProject, {**START, "timezone": "\ud800"}),  # a lone surrogate, as JSON "\ud800" gives
    (StartProject, {**START, "name": "\ud800"}),
    (StartProject, {**START, "inputs": {"x": "\ud800"}}),
    (StartProject, {**START, "assignments": {"\ud800": "alice"}}),
    (StartProject, {**START, "launch_date": "9999-12-31"}),
    (StartProject, {**START, "playbook_version": 10**100}),
    (CompleteStep, {"step_id": "idea", "actor": "sam", "note": "x" * 10_001}),
    (CompleteStep, {"step_id": "idea", "actor": "sam", "note": "fine\x00"}),
    (CompleteStep, {"step_id": "idea", "actor": "sam", "note": "evil\u202etxt.exe"}),
    (CompleteStep, {"step_id": "idea", "actor": "sam", "\ud800": None}),
    (CompleteStep, {"step_id": "idea", "actor": "sam", "": None}),
    (ReviewStep, {"step_id": "x", "actor": "stu", "approve": "maybe"}),
    (ReassignStep, {"step_id": "draft", "actor": "pat", "to": "bob\u202e"}),
    (Reschedule, {"actor": "pat", "launch_date": "0001-01-01"}),
    (CancelProject, {"actor": "pat", "reason": "\x1b[31mred"}),
]


@pytest.mark.parametrize(
    ("model", "sent"),
    HOSTILE_MESSAGES,
    ids=[f"{m.__name__}-{i}" for i, (m, _) in enumerate(HOSTILE_MESSAGES)],
)
def test_known_hostile_messages(model: type[BaseModel], sent: dict) -> None:
    """The inputs that broke loaders elsewhere, every time: refused with a located
    error (or accepted within the bounds)."""
    try:
        message = validated(model, sent)
    except Invalid as error:
        _check_invalid(model, sent, error)
        return
    assert not _bounds_violations(message)
