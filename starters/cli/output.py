"""Printing for the CLI: rich for people, plain JSON for scripts, errors to stderr."""

import json
import sys
from typing import Any, NoReturn

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    # The message is text: brackets in it (a pattern like [a-z0-9]) are not markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
