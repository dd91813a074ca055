"""Printing for the CLI: rich for people, plain JSON for scripts, errors to stderr."""

import json
import sys
from typing import Any, NoReturn

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Column

from baton.wording import url_lines

console = Console()
errors = Console(stderr=True)


def date_column(header: str) -> Column:
    """A table column of instants: never wrapped inside its cell ("Tue 2026-12-15 17:00 EST")."""
    return Column(header, no_wrap=True)


def say(text: str) -> None:
    """Plain text for people (escaped: never markup), with its URLs never hard-wrapped:
    a line holding one that does not fit the terminal is split so each URL stands on a
    line of its own, printed whole (the terminal may fold it on screen; it copies whole)."""
    for line in text.splitlines() or [""]:
        for part, whole in url_lines(line, console.width):
            console.print(escape(part), highlight=False, soft_wrap=whole)


def fail(message: str, code: int = 1) -> NoReturn:
    # The message is text: brackets in it (a pattern like [a-z0-9]) are not markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
