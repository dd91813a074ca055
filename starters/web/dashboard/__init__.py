"""The dashboard: server-rendered pages over the same workflow messages as the CLI and
the API.

- `pages`     the board, a project's timeline, my tasks with buttons, the mailbox
- `auth`      signing in with a token (failures limited), signing out (POST only)
- `links`     one-click action links from messages, with confirmation
- `calendar`  a person's calendar feed (.ics) under its own revocable key
- `csrf`      the forms' CSRF tokens and the Origin check
- `render`    templates, error pages, flash messages, checked forms, the buttons' commands
"""

from fastapi import APIRouter

from starters.web.dashboard import auth, calendar, links, pages

router = APIRouter(include_in_schema=False)
for part in (pages, auth, links, calendar):
    router.include_router(part.router)
