"""The dashboard: server-rendered pages over the same workflow messages as the CLI and
the API.

- `board`     the projects board (cards, filters, search) and the launch calendar
- `project`   one project's page: timeline (SVG), forecast, log; reassign, reschedule,
              cancel
- `pages`     my tasks with buttons and what is coming up, the mailbox
- `playbooks` every playbook; one playbook's flow diagram, plan, versions, recalibration
- `people`    who is on what, load per week, time off; admins import the directory
- `reports`   the reports page and its charts, recalibration (admins publish), a
              project's forecast panel and chart
- `start`     the start form (a launch too soon: compress, or start anyway)
- `auth`      signing in (token, or a link by email), signing out (POST only)
- `links`     one-click action links from messages, with confirmation
- `calendar`  a person's calendar feed (.ics) under its own revocable key
- `live`      the stamp pages poll to stay alive (static/live.js swaps their <main>)
- `csrf`      the forms' CSRF tokens and the Origin check
- `render`    templates, error pages, flash messages, checked forms, the buttons' commands
"""

from fastapi import APIRouter

from starters.web.dashboard import (
    auth,
    board,
    calendar,
    links,
    live,
    pages,
    people,
    playbooks,
    project,
    reports,
    start,
)

router = APIRouter(include_in_schema=False)
for part in (board, project, pages, playbooks, people, reports, start, auth, links, calendar, live):
    router.include_router(part.router)
