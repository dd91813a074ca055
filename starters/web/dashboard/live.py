"""Pages that stay alive: `GET /live` answers a stamp of "something changed" for the
signed-in person; `static/live.js` polls it while the tab is visible and, when it moves,
fetches the page again and swaps its `<main>` in place (no reload)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from baton.store.changes import change_stamp
from starters.web.deps import Viewer, get_services

router = APIRouter(include_in_schema=False)


@router.get("/live")
async def live(request: Request, me: Viewer) -> JSONResponse:
    stamp = await change_stamp(get_services(request).pool, me.id)
    return JSONResponse({"stamp": stamp}, headers={"Cache-Control": "no-store"})
