"""Baton's one error hierarchy. Every error a person can act on is a `BatonError` of one
of four kinds; the CLI and the web layer map the kinds (and nothing else) to what people
see. Any other exception is a bug: reported as an internal error with a log reference.
Each kind is also its natural built-in (Invalid a ValueError, so a pydantic validator
may raise it; NotFound a LookupError; Unavailable a ConnectionError), but only a
BatonError is ever shown to a person as their problem.

| kind        | means                                          | CLI    | HTTP |
|-------------|------------------------------------------------|--------|------|
| Refused     | a rule says no (who may act, a closed project) | exit 1 | 409  |
| NotFound    | no such project, step, person, playbook        | exit 1 | 404  |
| Invalid     | input Baton cannot use; names the field        | exit 1 | 422  |
| Unavailable | Temporal or PostgreSQL cannot be reached       | exit 1 | 503  |
"""

import csv
import sys
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, field_validator

from baton.bounds import readable
from baton.config import private_dir, private_file

M = TypeVar("M", bound=BaseModel)


class BatonError(Exception):
    """An error a person can act on; `str()` is the message they read."""

    def __init__(self, message: str, *, field: str | None = None):
        self.message = printable(message)
        self.field = field  # the input field at fault, where there is one
        super().__init__(message)

    @property
    def reason(self) -> str:
        return self.message


class Refused(BatonError):
    """A rule says no: the action is understood but not allowed now."""


class NotFound(BatonError, LookupError):
    """What was asked for does not exist."""


class Unavailable(BatonError, ConnectionError):
    """A service Baton needs (Temporal, PostgreSQL) cannot be reached or refused to work."""


class Problem(BaseModel):
    """One thing wrong with an input, pinned to where it is: the file (or the request),
    the entry within it (a step, a person, a row), and the field."""

    file: str | None = None
    where: str | None = None
    field: str | None = None
    message: str

    @field_validator("file", "where", "field", "message")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else printable(value)

    def __str__(self) -> str:
        parts = [part for part in (self.file, self.where) if part]
        if self.field:
            parts.append(f"field '{self.field}'")
        return f"{', '.join(parts)}: {self.message}" if parts else self.message


def csv_rows(reader: Any, source: str, error: "type[Invalid]"):
    """A csv reader's rows; a row the csv module cannot read (a cell too long, a stray
    quote) raises `error` naming the file and line, like every other problem of it."""
    try:
        yield from reader
    except csv.Error as cause:
        where = f"line {reader.line_num}"
        raise error([Problem(file=source, where=where, message=str(cause))]) from None


class Invalid(BatonError, ValueError):
    """Input Baton cannot use. `problems` lists every problem found with where it is.

    Also a ValueError, so a pydantic validator may raise it and have it reported as the
    field's problem."""

    def __init__(
        self, message: str | None = None, *, field: str | None = None, problems=None
    ) -> None:
        self.problems: list = list(problems or [])
        if message is None:
            message = "\n".join(str(p) for p in self.problems) or "invalid input"
        if field is None and len(self.problems) == 1:
            field = getattr(self.problems[0], "field", None)
        super().__init__(message, field=field)


def field_problems(error: ValidationError, file: str | None = None) -> list[Problem]:
    """A pydantic ValidationError as located problems, worded for people: the dotted
    field, and 'unknown key' for a key the model does not take or pydantic's message."""
    problems = []
    for item in error.errors():
        # No location: the input as a whole; an empty key: no field to name.
        field = ".".join(str(part) for part in item["loc"]) if item["loc"] else "(top)"
        problems.append(Problem(file=file, field=field or None, message=problem_message(item)))
    return problems


def printable(text: str) -> str:
    """Text any log, page or JSON can carry: half characters (lone surrogates, which a
    JSON escape can make) written as their escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def problem_message(item: Any) -> str:
    """One pydantic error item (`ValidationError.errors()[n]`) worded for people."""
    if item["type"] == "extra_forbidden":
        return f"unknown key '{item['loc'][-1]}'; check the spelling"
    if item["type"] == "string_pattern_mismatch":
        allowed = readable(str(item.get("ctx", {}).get("pattern", "")))
        return f"{_shown(item.get('input'))} is not valid here; use {allowed}"
    return str(item["msg"]).removeprefix("Value error, ")


def _shown(value: Any) -> str:
    """A value as a message quotes it: short, and with control characters escaped."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def invalid(error: ValidationError, where: str | None = None) -> Invalid:
    """The ValidationError of input a person gave, as an `Invalid` whose message names
    where (a file, an action) and the field of the first problem."""
    problems = field_problems(error, where)
    return Invalid(str(problems[0]) if problems else str(error), problems=problems)


def validated(model: type[M], data: Any, where: str | None = None) -> M:
    """`model` built from input a person gave; its problems raise `Invalid`."""
    for key in data if isinstance(data, dict) else ():
        if isinstance(key, str) and printable(key) != key:  # pydantic cannot even name it
            problem = Problem(file=where, field=key, message="is not text (half a character)")
            raise Invalid(str(problem), problems=[problem])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error, where) from None


def report_internal(error: BaseException, log_dir: Path) -> tuple[str, Path]:
    """Write a bug's traceback under an error id to `log_dir/errors.log`; returns
    (error id, log file) for the message the person sees."""
    error_id = uuid.uuid4().hex[:12]
    path = log_dir / "errors.log"
    trace = "".join(traceback.format_exception(error))
    try:
        private_dir(log_dir)
        with private_file(path, "a") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} error {error_id}\n{trace}\n")
    except OSError:  # nowhere to write: the traceback goes to stderr instead
        sys.stderr.write(f"error {error_id}\n{trace}")
        path = Path("<stderr>")
    return error_id, path
