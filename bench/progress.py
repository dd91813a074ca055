"""Progress lines for a long run: what the bench is doing, and since when."""

import sys
import time

from rich.console import Console

# Wide enough for the report's table when the output goes to a file or a pipe.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
_began = time.monotonic()


def say(message: str) -> None:
    elapsed = time.monotonic() - _began
    minutes, seconds = divmod(int(elapsed), 60)
    console.print(f"[dim]{minutes:2d}:{seconds:02d}[/] {message}")
