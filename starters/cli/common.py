"""What the CLI's commands share: running work with Temporal and/or the store opened
(and closed) once, the options several commands take, and reading typed values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from baton.errors import Invalid
from baton.schedule import parse_day, zone

if TYPE_CHECKING:  # each command imports what it uses when it runs (`baton --help` waits on none)
    from starters.cli.backends import Direct, ViaApi

T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ProjectArg = Annotated[str, typer.Argument(help="The project's slug or workflow id.")]
StepArg = Annotated[str, typer.Argument(help="The step's id (see `baton status`).")]
# The options of a project template: `start` and `schedule create` both take them.
Pm = Annotated[str, typer.Option("--pm", help="The project manager (person id).")]
Assign = Annotated[list[str], typer.Option("--assign", help="role=person, once per role.")]
Inputs = Annotated[list[str], typer.Option("--input", help="key=value playbook input.")]
PlaybookVersion = Annotated[int | None, typer.Option(help="Pin a playbook version.")]
Actor = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="BATON_USER",
        help="Who you are (person id, or BATON_USER), when you act directly as an operator; "
        "after `baton login` your token says who you are.",
    ),
]
Viewer = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="BATON_USER",
        help="Who is looking (person id, or BATON_USER): times are shown in their time "
        "zone; after `baton login`, in yours.",
    ),
]


def backend() -> Direct | ViaApi:
    """How the running command reaches Baton (`starters.cli.backends`: the store, the
    Temporal client and the HTTP client come with it, for the commands that use them)."""
    from starters.cli import backends

    return backends.backend()


def write_file(path: Path, data: bytes, field: str) -> None:
    """Write what a command produced; a path that cannot be written is the person's to fix."""
    try:
        path.write_bytes(data)
    except OSError as error:
        raise Invalid(
            f"{field} {str(path)!r}: cannot write: {error.strerror}", field=field
        ) from None


def template_fields(
    playbook: str,
    name: str,
    pm: str,
    assign: list[str],
    inputs: list[str],
    playbook_version: int | None,
    timezone: str,
    slug: str | None,
) -> dict[str, Any]:
    """The fields of a project template (a start input, a recurring spec) as typed."""
    return {
        "playbook": playbook,
        "playbook_version": playbook_version,
        "name": name,
        "slug": slug,
        "timezone": timezone,
        "assignments": parse_pairs(assign, "--assign"),
        "project_manager": pm,
        "inputs": parse_pairs(inputs, "--input"),
    }


Compress = Annotated[
    bool,
    typer.Option(
        "--compress",
        help="When steps would already be late: spread their due dates between now and the "
        "launch, in the same order (the project manager is told).",
    ),
]
AllowLate = Annotated[
    bool,
    typer.Option("--allow-late", help="When steps would already be late: go on anyway."),
]


def is_iso_date(value: str) -> bool:
    """Whether `value` is a calendar date as it is (not counted from today)."""
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def parse_date(value: str, flag: str, timezone: str = "UTC") -> date:
    """A date typed on the command line: YYYY-MM-DD, `today`, or counted from today
    (`+45d`, `+6w`, `+10bd`), today being the date in `timezone` (the project's)."""
    today = datetime.now(UTC).astimezone(zone(timezone)).date()
    try:
        return parse_day(value, today, flag)
    except Invalid as error:
        raise Invalid(error.message, field=flag) from None


def parse_pairs(values: list[str], flag: str) -> dict[str, Any]:
    """`--assign writer=alice` (or `--input include_video=true`, read as YAML) pairs."""
    pairs: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            raise Invalid(f"{flag} {value!r}: write it as key=value, like {flag} writer=alice")
        pairs[key.strip()] = _input_value(raw, value) if flag == "--input" else raw.strip()
    return pairs


def _input_value(raw: str, written: str) -> Any:
    """A playbook input's value as YAML reads it: true, 3, a text."""
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        raise Invalid(f"--input {written!r}: the value is not readable; quote it") from None
