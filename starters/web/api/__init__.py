"""The HTTP API (/api, OpenAPI at /docs): every CLI operation, as JSON, one router per
resource, each behind the bearer-token dependency.

A bearer token per person (`baton people token PERSON`) decides who acts: no endpoint
takes an actor from the request, so nobody can act as someone else, and every action
reaches the same validated workflow update the CLI sends. Admins also manage people and
playbooks. Errors are JSON with a `detail` a person can read (`starters.web.errors`):
401 no or an unknown token, 403 not an admin, 404 unknown, 409 refused, 422 unusable
input naming the field, 503 Temporal or PostgreSQL unreachable.
"""

from fastapi import APIRouter

from starters.web.api import actions, me, people, playbooks, projects, schedules

router = APIRouter(prefix="/api")
for resource in (playbooks, people, me, projects, actions, schedules):
    router.include_router(resource.router)
