"""What every answer of the web app carries, and what it refuses: the security headers
(no framing, no MIME sniffing, no Referer to other sites since one-click link tokens are
in URLs, a Content-Security-Policy allowing only this site's own scripts and styles),
and unsafe requests whose Origin (or Referer) names another site."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starters.web.dashboard import csrf
from starters.web.dashboard.render import error_page
from starters.web.errors import is_api

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# ReDoc injects its styles and runs its search in a worker made from a blob: URL.
CSP_REDOC = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def install(app: FastAPI) -> None:
    app.add_middleware(SameOrigin)
    app.add_middleware(SecurityHeaders)
    _secure_bug_answers(app)


def security_headers(path: str) -> dict[str, str]:
    """The headers every answer carries; /redoc alone gets ReDoc's looser policy."""
    return {**HEADERS, "Content-Security-Policy": CSP_REDOC if path == "/redoc" else CSP}


class SecurityHeaders:
    """Adds `security_headers` to every response (an ASGI middleware, so streamed and
    static responses get them too)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(security_headers(scope["path"]))
            await send(message)

        await self.app(scope, receive, send_secured)


def _secure_bug_answers(app: FastAPI) -> None:
    """A bug's 500 is answered by Starlette's outermost layer, outside every middleware:
    its handler adds the headers itself."""
    answer_bug = app.exception_handlers[Exception]

    async def secured(request: Request, error: Exception):
        response = await answer_bug(request, error)
        response.headers.update(security_headers(request.url.path))
        return response

    app.add_exception_handler(Exception, secured)


class SameOrigin:
    """Refuses (403) an unsafe request (POST, DELETE...) whose Origin, or lacking one its
    Referer, is neither this host nor the public URL: another site's page cannot make a
    visitor's browser change anything here. Requests with neither header (the CLI, API
    clients) pass; the dashboard's forms also carry CSRF tokens."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        claimed = request.headers.get("origin") or request.headers.get("referer")
        own = [str(request.base_url), request.app.state.services.settings.public_url]
        if not csrf.cross_site(claimed, own):
            await self.app(scope, receive, send)
            return
        message = "This request came from another site's page; Baton only accepts its own."
        if is_api(request):
            refusal = JSONResponse({"detail": message}, status_code=403)
        else:
            refusal = error_page(
                request, 403, "Refused: sent from another site", message, "Open Baton itself."
            )
        await refusal(scope, receive, send)
