"""Reading a YAML document a person wrote (a playbook, a people file, a scenario): safe
loading only, and bounded, so no document can exhaust the process: at most 1 MB, nesting
Python can follow, and few aliases (an alias bomb expands exponentially)."""

from typing import Any

import yaml

from baton.errors import Invalid, printable

MAX_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_NESTING = 100  # brackets inside brackets; PyYAML's scanner slows with the square of it


def read_yaml(text: str) -> Any:
    """The document's data; `Invalid` says what is wrong, and where, in words."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise Invalid(f"is larger than {MAX_BYTES // 1_000_000} MB; split it up")
    if _flow_nesting(text) > MAX_NESTING:
        raise Invalid(f"nests [ ] or {{ }} more than {MAX_NESTING} deep; flatten it")
    try:
        aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text))
        if aliases > MAX_ALIASES:
            raise Invalid(f"uses {aliases} aliases (*name); at most {MAX_ALIASES} are allowed")
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise Invalid(f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise Invalid("is nested too deeply to read; flatten it") from None
    except ValueError as error:  # a number too long to read (over 4,300 digits)
        raise Invalid(f"cannot be read: {printable(str(error))[:200]}") from None


def _flow_nesting(text: str) -> int:
    """How deep [ ] and { } nest outside quotes (a quote ends at its line's end at the
    latest): one pass, however deep."""
    depth = deepest = 0
    quote = None
    for char in text:
        if char == "\n":
            quote = None
        elif quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest
