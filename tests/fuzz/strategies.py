"""Hostile input for the fuzzers: JSON-like data of every shape, text with NUL, control
characters, bidi overrides, lone surrogates and great length, numbers past every
bound, dates at the edges of the calendar, and mutations of valid documents."""

import os
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# Every fuzz test: bounded, no deadline, no example database written into the tree, and
# no shrinking (it can take minutes on these inputs; BATON_FUZZ_SHRINK=1 turns it on to
# get a minimal example when chasing a failure).
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    phases=[*_PHASES, Phase.shrink] if os.environ.get("BATON_FUZZ_SHRINK") else _PHASES,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

# The bounds the contract promises (README, DESIGN.md section 3), written down here on
# their own so the fuzzers check the product against them, not against itself.
TEXT_MAX = 10_000
ID_MAX = 64
PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
STEP_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")  # also playbook ids
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # role and input names
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
SANE_DATES = (date(1900, 1, 1), date(2200, 12, 31))
INT_MAX = 2**31 - 1

HOSTILE_CHARS = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\u2028",
    "\u2029",
    "\u200b",
    "\u200e",
    "\u200f",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ud800",
    "\udfff",
    "\n",
    "\t",
    " ",
    "'",
    '"',
    ":",
    "#",
    "-",
    "{",
    "[",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    ",",
    ";",
    ".",
    "\\",
]

hostile_char = st.sampled_from(HOSTILE_CHARS)

texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.one_of(st.characters(), hostile_char), max_size=30),
    st.lists(
        st.one_of(st.sampled_from(["a", "x", "1", "-", "_", "."]), hostile_char), max_size=12
    ).map("".join),
    st.builds(
        lambda unit, count: unit * count,
        st.sampled_from(["a", "é", "ab\n", "\u202e", "\x00", "1", "😀"]),
        st.sampled_from([200, 201, 10_000, 10_001]),
    ),
)

huge_ints = st.sampled_from(
    [
        0,
        -1,
        1,
        2**31 - 1,
        2**31,
        -(2**31) - 1,
        2**53 + 1,
        2**63,
        2**64,
        10**100,
        -(10**100),
        10**4000,
    ]  # the last one long, still short enough for str() (4300 digits)
)
ints = st.one_of(st.integers(), huge_ints)
floats = st.floats(allow_nan=True, allow_infinity=True)

date_texts = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2026-02-29",
            "2026-02-30",
            "2026-12-15",
            "1999-12-31",
            "2101-01-01",
            "2026-13-01",
            "20261215",
            "2026-12-15T00:00:00",
            "-2026-01-01",
            "+12026-01-01",
            "",
        ]
    ),
)
datetime_texts = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(datetime.isoformat),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-11-10T09:00:00Z",
            "2026-11-10T09:00:00+23:59",
            "2026-11-10T25:00:00Z",
            "2026-11-10 09:00",
        ]
    ),
)

scalars = st.one_of(
    st.none(), st.booleans(), ints, floats, texts, date_texts, st.dates(), st.datetimes()
)


def json_like(keys: st.SearchStrategy[str] = texts, leaves=scalars) -> st.SearchStrategy[Any]:
    """Any JSON-like value (YAML adds dates), nested a few levels."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(keys, texts), children, max_size=4),
        ),
        max_leaves=12,
    )


def ids(pattern: re.Pattern) -> st.SearchStrategy[str]:
    """Mostly valid ids of `pattern`, some too long."""
    return st.one_of(
        st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= 80),
        st.builds(lambda n: "a" * n, st.sampled_from([1, 60, 64, 65, 300])),
    )


def is_clean(text: str) -> bool:
    """No control character but newline and tab, no bidi override, no lone surrogate."""
    return not any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t") or c in BIDI for c in text
    )


def strings_in(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string in nested data (dict keys included), with where it is."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found.append((path or "<value>", value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(strings_in(key, f"{path}.<key>"))
            found.extend(strings_in(item, f"{path}.{key}"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(strings_in(item, f"{path}[{index}]"))
    return found


def text_violations(data: Any) -> list[str]:
    """What breaks the free-text bounds anywhere in `data`: too long, or unclean."""
    problems = []
    for where, text in strings_in(data):
        if len(text) > TEXT_MAX:
            problems.append(f"{where}: {len(text)} characters (more than {TEXT_MAX})")
        if not is_clean(text):
            bad = sorted({f"U+{ord(c):04X}" for c in text if not is_clean(c)})
            problems.append(f"{where}: contains {', '.join(bad)}")
    return problems


# ------------------------------------------------------------------- mutating documents


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in nested dicts and lists, the root included."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths(value, (*prefix, index)))
    return found


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


DEEP = "__baton_fuzz_deep__"  # replaced by deeply nested flow YAML once dumped


def deep_yaml(kind: str, depth: int) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "map":
        return "{a: " * depth + "1" + "}" * depth
    return "[" * depth + "{a: " * depth + "}" * depth + "]" * depth


@st.composite
def mutated(draw, document: Any, hostile_values: st.SearchStrategy[Any], keys: list[str]):
    """`document` with one to four random edits: a key dropped, a value's type swapped,
    a junk or real key added, an entry duplicated, a value made deeply nested."""
    import copy

    data = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        places = paths(data)
        path = draw(st.sampled_from(places))
        operation = draw(
            st.sampled_from(["drop", "swap", "hostile", "add_key", "duplicate", "deep"])
        )
        if not path:  # the root: replace the whole document, rarely
            if operation in ("swap", "hostile"):
                data = draw(hostile_values)
            continue
        parent = _get(data, path[:-1])
        last = path[-1]
        if operation == "drop":
            del parent[last]
        elif operation == "swap":
            parent[last] = draw(json_like(st.sampled_from(keys)))
        elif operation == "hostile":
            parent[last] = draw(hostile_values)
        elif operation == "add_key":
            target = _get(data, path)
            if isinstance(target, dict):
                target[draw(st.one_of(st.sampled_from(keys), texts))] = draw(hostile_values)
        elif operation == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif operation == "deep":
            parent[last] = DEEP
    return data
