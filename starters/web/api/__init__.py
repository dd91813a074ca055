"""The HTTP API (/api, OpenAPI at /docs): every CLI operation, as JSON, one router per
resource, each behind the bearer-token dependency.

A bearer token per person (`baton people token PERSON`) decides who acts: no endpoint
takes an actor from the request, so nobody can act as someone else, and every action
reaches the same validated workflow update the CLI sends. Admins also manage people and
playbooks. Errors are JSON with a `detail` a person can read (`starters.web.errors`):
401 no or an unknown token, 403 not an admin, 404 unknown, 409 refused, 422 unusable
input naming the field, 503 Temporal or PostgreSQL unreachable.
"""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from starters.web.api import actions, me, people, playbooks, projects, reports, schedules


class Problem(BaseModel):
    """One problem of a request: where (`loc`) and what (`msg`)."""

    loc: list[str | int] = []
    msg: str
    type: str | None = None


class ErrorAnswer(BaseModel):
    """Every error's body: `detail` says what is wrong in words (or, for input, lists
    each problem with where it is); a file's problems come in `problems`; a bug's answer
    carries the `error_id` under which it is logged."""

    detail: str | list[Problem]
    problems: list[dict[str, Any]] | None = None
    error_id: str | None = None


def _answer(description: str) -> dict:
    return {"model": ErrorAnswer, "description": description}


ERRORS = {
    400: _answer("A body that cannot be read at all (not JSON, not UTF-8)"),
    401: _answer("No token, or one that is not valid"),
    403: _answer("The token's person may not do this (an admin or the project manager may)"),
    404: _answer("No such project, step, person, playbook or schedule"),
    409: _answer("Refused: a rule says no, and says who may"),
    422: _answer("Input Baton cannot use, naming the field, or a file's problems"),
    500: _answer("A bug: logged under the error id in the answer"),
    503: _answer("Temporal or PostgreSQL cannot be reached, or the project is starting"),
}
router = APIRouter(prefix="/api", responses=ERRORS)
for resource in (playbooks, people, me, projects, actions, schedules, reports):
    router.include_router(resource.router)
