"""The dashboard: server-rendered pages over the same workflow messages as the CLI and
the API.

- `pages`     the board, a project's timeline, my tasks with buttons, the mailbox
- `reports`   the reports page and its charts, recalibration (admins publish), a
              project's forecast panel and chart
- `start`     the start form (a launch too soon: compress, or start anyway)
- `auth`      signing in with a token (failures limited), signing out (POST only)
- `links`     one-click action links from messages, with confirmation
- `calendar`  a person's calendar feed (.ics) under its own revocable key
- `csrf`      the forms' CSRF tokens and the Origin check
- `render`    templates, error pages, flash messages, checked forms, the buttons' commands
"""

from fastapi import APIRouter

from starters.web.dashboard import auth, calendar, links, pages, reports, start

router = APIRouter(include_in_schema=False)
for part in (pages, reports, start, auth, links, calendar):
    router.include_router(part.router)
