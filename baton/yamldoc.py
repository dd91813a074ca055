"""Reading a YAML document a person wrote (a playbook, a people file, a scenario): safe
loading only, and bounded, so no document can exhaust the process: at most 1 MB, nesting
Python can follow, and few aliases (an alias bomb expands exponentially)."""

from typing import Any

import yaml

from baton.errors import Invalid

MAX_BYTES = 1_000_000
MAX_ALIASES = 100


def read_yaml(text: str) -> Any:
    """The document's data; `Invalid` says what is wrong, and where, in words."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise Invalid(f"is larger than {MAX_BYTES // 1_000_000} MB; split it up")
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
