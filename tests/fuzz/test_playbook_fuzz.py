"""The playbook loader on anything: arbitrary text, YAML dumped from random nested
data, and mutations of the bundled playbooks (keys dropped, types swapped, junk keys,
hostile values, deep nesting). Only a `PlaybookError` (an Invalid) may escape, every
problem naming the file; and a playbook the loader accepts can be planned."""

import contextlib
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from baton.errors import Invalid
from baton.plan import plan_playbook
from baton.playbook import BUNDLED_DIR, Playbook, PlaybookError, parse_playbook
from tests.fuzz.strategies import (
    DEEP,
    FUZZ,
    deep_yaml,
    json_like,
    mutated,
    scalars,
    texts,
)

SOURCE = "fuzz/playbook.yaml"
BUNDLED = {
    path.stem: yaml.safe_load(path.read_text()) for path in sorted(BUNDLED_DIR.glob("*.yaml"))
}
KEYS = sorted(
    {
        *Playbook.model_fields,
        *Playbook.model_fields["steps"].annotation.__args__[0].model_fields,  # Step
        "after",
        "repeat",
        "max",
        "input",
        "equals",
        "step",
        "option",
        "default",
    }
)

# Values people get wrong in playbooks, besides anything at all.
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "0h",
            "0d",
            "1y",
            "-2d",
            "+2d",
            "-0d",
            "365d",
            "366d",
            "53w",
            "52w",
            "8761h",
            "99999999999999999999d",
            "-99999999999999999999d",
            "3650d",
            "-3651d",
            "1 d",
            "\u0663d",
            "\uff12d",
            "2D",
            "2d ",
            " 2d",
            "2d\n",
            "25:00",
            "17:00",
            "24:00",
            "7:5",
            "\u0661\u0667:00",
            "17:00:00",
            1020,
            61200,
            "all",
            "any",
            "0",
            "-1",
            "99",
            "US",
            "us",
            "XX",
            "DE",
            "DE-BY",
            "../",
            "",
            " ",
            "task",
            "approval",
            "decision",
            "business",
            "calendar",
            "idea",
            "outline",
            "writer",
            None,
            True,
            False,
            0,
            -1,
            2**31,
            10**30,
            1.5,
            float("nan"),
            float("inf"),
            [],
            {},
            [None],
            {"": None},
        ]
    ),
    scalars,
    json_like(st.sampled_from(KEYS)),
)


def _check(text: str) -> Playbook | None:
    """The loader's answer to `text`: a playbook, or None after checking its error."""
    try:
        playbook = parse_playbook(text, source=SOURCE)
    except PlaybookError as error:
        assert error.problems, f"a PlaybookError without problems: {error!r}"
        for problem in error.problems:
            assert problem.file == SOURCE, f"a problem not naming the file: {problem!r}"
            assert problem.message.strip(), f"an empty problem: {problem!r}"
        assert SOURCE in str(error)
        return None
    # Anything else escaping (including a bare Invalid) fails the test with its traceback.
    return playbook


def _plans(playbook: Playbook) -> None:
    """What the loader accepts is usable: it survives the JSON of Temporal's payloads
    (the worker carries the playbook to the workflow), and it plans without a traceback
    at the edges of the dates and in any zone (an Invalid, say for a due date out of
    range, is fine)."""
    assert Playbook.model_validate_json(playbook.model_dump_json()) == playbook
    for launch, zone in (
        (date(2026, 12, 15), "UTC"),
        (date(2000, 1, 3), "Pacific/Kiritimati"),
        (date(2100, 12, 31), "America/Adak"),
    ):
        with contextlib.suppress(Invalid):
            plan_playbook(playbook, launch, zone)


def _dumped(data: Any) -> str:
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)
    except (ValueError, yaml.YAMLError, RecursionError):
        reject()  # not dumpable by PyYAML: nothing to test
    return text.replace(DEEP, deep_yaml("list", 350))  # past Python's recursion, still quick


@FUZZ
@given(text=st.one_of(texts, st.text(), st.binary().map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text(text: str) -> None:
    _check(text)


yaml_tokens = st.sampled_from(
    [
        "id: ",
        "name: ",
        "steps:\n",
        "  - ",
        "roles:\n",
        "  ",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ", ",
        "\n",
        "&a ",
        "*a ",
        "!!python/object:os.system ",
        "!!binary ",
        "? ",
        "|\n",
        ">\n",
        "'",
        '"',
        "#",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "<<: *a\n",
        "2d",
        "-30d",
        "17:00",
        "~",
    ]
)


@FUZZ
@given(parts=st.lists(st.one_of(yaml_tokens, texts), max_size=40))
def test_yaml_shaped_text(parts: list[str]) -> None:
    _check("".join(parts))


@FUZZ
@given(data=json_like(st.sampled_from(KEYS), leaves=st.one_of(scalars, HOSTILE)))
def test_yaml_of_random_structures(data: Any) -> None:
    playbook = _check(_dumped(data))
    if playbook is not None:
        _plans(playbook)


@settings(FUZZ, max_examples=200)  # YAML is read in pure Python: 40 ms a playbook
@given(data=st.data())
def test_mutated_bundled_playbooks(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(BUNDLED)), label="playbook")
    document = data.draw(mutated(BUNDLED[name], HOSTILE, KEYS), label="document")
    playbook = _check(_dumped(document))
    if playbook is not None:
        _plans(playbook)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_playbooks_load_and_plan(name: str) -> None:
    """The starting points of the mutations are themselves fine."""
    playbook = _check((BUNDLED_DIR / f"{name}.yaml").read_text())
    assert playbook is not None
    _plans(playbook)


BLOG = (BUNDLED_DIR / "blog-post.yaml").read_text()


@pytest.mark.parametrize(
    "text",
    [
        *(deep_yaml(kind, depth) for kind in ("list", "map", "mixed") for depth in (100, 1000)),
        *(f"steps: {deep_yaml('list', depth)}\n" for depth in (500, 1000)),
        "\n".join("  " * i + "- " for i in range(1000)),  # block lists, indented 1000 deep
        "".join("  " * i + f"k{i}:\n" for i in range(1000)) + "  " * 1000 + "x",
        "a: &a [" + ", ".join(["*a"] * 10) + "]",  # a recursive alias
        # an alias bomb: nine levels of ten aliases each
        "a0: &a0 [x]\n"
        + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)),
        "x" * 2_000_000,  # larger than the 1 MB a document may be
        "name: " + "x" * 999_000,
        BLOG + "\n" + BLOG,  # every key twice
        BLOG.replace("due: -30d", "due: -99999999999999999999999999999d"),
        BLOG.replace("estimate: 2d", "estimate: 99999999999999999999d"),
        BLOG.replace("reminders: [48h, 24h]", "reminders: [99999999999999w]"),
        BLOG.replace("max: 3}", "max: 99999999999999999999999}"),
        BLOG.replace('"17:00"', "17:00"),  # YAML 1.1 reads it as 1020
        BLOG.replace('"17:00"', '"99:99"'),
        BLOG.replace("policy: all", "policy: 99999999999999999999"),
        BLOG.replace("calendar: calendar", "calendar: business\nholidays: XX"),
        BLOG.replace("calendar: calendar", "calendar: business\nholidays: 'US '"),
        BLOG.replace("calendar: calendar", "calendar: business\nholidays: [US]"),
        BLOG.replace("after: [idea]", "after: [publish]"),  # a cycle
        BLOG.replace("on_reject: outline", "on_reject: publish"),
        BLOG.replace("id: idea", "id: keywords"),  # a duplicate id
        BLOG.replace("Generate idea", "Generate\x00idea"),
        BLOG.replace("Generate idea", "Generate \u202eidea"),
        BLOG + '\ninputs: {x: {default: "\\ud800"}}\n',  # YAML's escape for a lone surrogate
        BLOG + '\ninputs: {x: {default: "\\x00"}}\n',
        "\ufeff" + BLOG,
        BLOG.replace("\n", "\r\n"),
        BLOG + "\n!!python/object/apply:os.system ['true']\n",
        "--- !!python/object/apply:os.system ['true']\n",
        "steps:\n"
        + "".join(f"  - {{id: s{i}, name: S, owner: w, after: [s{i + 1}]}}\n" for i in range(3000))
        + "roles: {w: W}\nid: x\nname: X\n",
    ],
    ids=lambda text: f"{len(text)}-chars",
)
def test_hostile_playbooks(text: str) -> None:
    playbook = _check(text)
    if playbook is not None:
        _plans(playbook)


DEEP_SCRIPT = """
import sys, time
from baton.errors import Invalid
from baton.playbook import parse_playbook
text = sys.stdin.read()
start = time.monotonic()
try:
    parse_playbook(text, "deep.yaml")
except Invalid as error:
    print(f"{time.monotonic() - start:.1f}s Invalid: {error}")
"""


@pytest.mark.parametrize("kind", ["list", "map"])
def test_deep_nesting_is_refused_quickly(kind: str) -> None:
    """A 40 KB document nested 20,000 deep (well under the 1 MB a document may be) is
    refused within seconds, not after minutes of parsing. Run in a child process, killed
    at the time limit, so a slow parser costs this test five seconds and no more."""
    text = deep_yaml(kind, 20_000)
    try:
        done = subprocess.run(
            [sys.executable, "-c", DEEP_SCRIPT],
            input=text,
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parents[2],
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"parse_playbook took more than 5 s on {kind}s nested 20,000 deep")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Invalid: deep.yaml" in done.stdout, done.stdout
