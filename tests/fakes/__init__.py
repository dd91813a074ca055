"""Local stand-ins for SendGrid and Slack, so tests drive the real client libraries over
real HTTP without touching the internet.

Each fake is a small threaded HTTP server on 127.0.0.1 (a free port chosen by the OS),
standard library only. It records every request (method, path, headers, body) and
answers like the provider does: SendGrid `POST /v3/mail/send` -> 202 with an
`X-Message-Id`, and its Email Activity search `GET /v3/messages?query=...&limit=N` over
the messages it accepted (`unique_args['name']="value"` finds `custom_args`; 403 when
`activity=False`, as for an account without the add-on); Slack
`POST /api/chat.postMessage` (JSON or form) -> `{"ok": true, "ts"}` or
`{"ok": false, "error"}`. A test can make the next N requests fail (429 with
`Retry-After`, 500, 400 with an error body, Slack's ok=false) or stall (for timeouts),
make a share of all requests fail at random (`fail_at_random`), and run a hook when a
message is accepted, before the answer leaves (`on_accept`: to kill the sender then).

Use them as context managers (`with FakeSendGrid() as server:`) or through the pytest
fixtures `sendgrid_server` and `slack_server` (import them into a conftest.py).
"""

import json
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

__all__ = [
    "FakeSendGrid",
    "FakeSlack",
    "Recorded",
    "free_port",
    "sendgrid_server",
    "slack_server",
]

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    accepted: bool = False  # the fake took the message (202 / ok=true)
    payload: Any = None  # Slack: the parsed JSON or form fields
    failed_at_random: bool = False  # answered by `fail_at_random`, not by the fake's rules

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass
class _Planned:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0


def _json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    body = b"" if payload is None else json.dumps(payload).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return status, all_headers, body


def free_port() -> int:
    """A loopback port nothing listens on (for "connection refused")."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _FakeProvider:
    """The server, the request log and the plan of failures; subclasses answer."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._planned: deque[_Planned] = deque()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._random: tuple[float, random.Random, tuple[int, ...], float | None] | None = None
        self._random_statuses: list[int] = []
        # Called with each accepted request before its answer is sent.
        self.on_accept: Callable[[Recorded], None] | None = None

    # -- what the test controls

    def _failure_body(self, status: int, error: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def answer(self, request: Recorded) -> Answer:
        raise NotImplementedError

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        retry_after: float | None = None,
        error: str | None = None,
    ) -> None:
        """Answer the next `count` requests with `status` (and `Retry-After` if given)."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self._lock:
            for _ in range(count):
                self._planned.append(_Planned(status, self._failure_body(status, error), headers))

    def fail_at_random(
        self,
        rate: float,
        rng: random.Random,
        statuses: Sequence[int] = (429, 500),
        retry_after: float | None = 1,
    ) -> None:
        """From now on answer a share `rate` of the requests (any path) with one of
        `statuses` picked by `rng`, before looking at them; 0 stops it. The 429s carry
        `Retry-After` when given."""
        with self._lock:
            self._random = (rate, rng, tuple(statuses), retry_after) if rate > 0 else None

    @property
    def random_failures(self) -> Counter[int]:
        """How many requests `fail_at_random` answered, by status."""
        with self._lock:
            return Counter(self._random_statuses)

    def stall_next(self, count: int = 1, seconds: float = 5.0) -> None:
        """Hold the next `count` answers for `seconds` (or until the server stops)."""
        with self._lock:
            for _ in range(count):
                self._planned.append(_Planned(0, None, stall=seconds))

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- serving

    def _dispatch(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            planned = self._planned.popleft() if self._planned else None
            if planned is None and self._random is not None:
                rate, rng, statuses, retry_after = self._random
                if rng.random() < rate:
                    status = rng.choice(statuses)
                    after = (
                        {"Retry-After": f"{retry_after:g}"} if retry_after and status == 429 else {}
                    )
                    planned = _Planned(status, self._failure_body(status, None), after)
                    request.failed_at_random = True
                    self._random_statuses.append(status)
        if planned and planned.stall:
            self._release.wait(planned.stall)
            return self._answer(request)
        if planned:
            return _json_answer(planned.status, planned.body, planned.headers)
        return self._answer(request)

    def _answer(self, request: Recorded) -> Answer:
        answer = self.answer(request)
        if request.accepted and self.on_accept is not None:
            self.on_accept(request)
        return answer

    def start(self) -> Self:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(
                    method=method,
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length),
                )
                status, headers, body = provider._dispatch(request)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test) or died: nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up mid-answer is expected in timeout tests

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeSendGrid(_FakeProvider):
    """SendGrid v3 `POST /v3/mail/send` (checks the key and the message's shape) and the
    Email Activity search `GET /v3/messages` over the messages it accepted."""

    def __init__(self, api_key: str = "test-sendgrid-key", activity: bool = True) -> None:
        super().__init__()
        self.api_key = api_key
        self.activity = activity  # False: the account lacks the Email Activity add-on
        self._sent = 0
        self._activity: list[dict[str, Any]] = []  # the accepted messages, as it lists them

    @property
    def mails(self) -> list[dict[str, Any]]:
        """The JSON bodies of the messages accepted (202), in order."""
        return [r.json for r in self.requests if r.accepted and r.method == "POST"]

    def accepted_keys(self) -> Counter[str]:
        """How many times a message was accepted, by the idempotency key Baton sent in
        its `custom_args` (a key counted twice is a message people got twice)."""
        return Counter(
            (mail.get("custom_args") or {}).get("idempotency_key") for mail in self.mails
        )

    def _failure_body(self, status: int, error: str | None) -> dict[str, Any]:
        default = {429: "too many requests", 500: "internal server error"}.get(
            status, "bad request"
        )
        return {"errors": [{"message": error or default, "field": None, "help": None}]}

    def answer(self, request: Recorded) -> Answer:
        url = urlsplit(request.path)
        route = (request.method, url.path)
        if route not in {("POST", "/v3/mail/send"), ("GET", "/v3/messages")}:
            return _json_answer(404, {"errors": [{"message": f"no such path {request.path}"}]})
        if request.header("Authorization") != f"Bearer {self.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return _json_answer(401, {"errors": [{"message": message, "field": None}]})
        if request.method == "GET":
            return self._search(parse_qs(url.query))
        try:
            mail = request.json
        except ValueError:
            return _json_answer(400, {"errors": [{"message": "Invalid JSON", "field": None}]})
        problems = _mail_problems(mail)
        if problems:
            errors = [{"message": message, "field": name} for name, message in problems]
            return _json_answer(400, {"errors": errors})
        with self._lock:
            self._sent += 1
            message_id = f"fake-sg-{self._sent:04d}"
            for person in mail["personalizations"]:
                for to in person["to"]:
                    self._activity.append(_activity_entry(mail, person, to, message_id))
        request.accepted = True
        return 202, {"X-Message-Id": message_id}, b""

    def _search(self, params: dict[str, list[str]]) -> Answer:
        """`GET /v3/messages?query=...&limit=N`: the newest accepted messages matching every
        clause of the query, at most `limit` (SendGrid requires it, 1 to 1000)."""
        if not self.activity:
            return _json_answer(403, {"errors": [{"field": None, "message": "access forbidden"}]})
        try:
            limit = int(params["limit"][0])
            clauses = _activity_query(params.get("query", [""])[0])
        except (KeyError, ValueError) as error:
            return _json_answer(400, {"errors": [{"field": "query", "message": str(error)}]})
        if not 1 <= limit <= 1000:
            return _json_answer(400, {"errors": [{"field": "limit", "message": "1 to 1000"}]})
        with self._lock:
            found = [
                entry
                for entry in reversed(self._activity)
                if all(_activity_value(entry, name) == value for name, value in clauses)
            ]
        shown = [{k: v for k, v in entry.items() if k != "unique_args"} for entry in found]
        return _json_answer(200, {"messages": shown[:limit]})


_CLAUSE = re.compile(r"""\s*(unique_args\['([^']+)'\]|[a-z_]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*""")


def _activity_query(query: str) -> list[tuple[str, str]]:
    """`name="value" AND unique_args['arg']="value"` as (name, value) pairs; names of
    custom arguments as `unique_args.arg`. Anything else is refused like SendGrid does."""
    clauses = []
    for part in re.split(r"\s+AND\s+", query.strip()) if query.strip() else []:
        match = _CLAUSE.fullmatch(part)
        if not match:
            raise ValueError(f"invalid query near {part!r}")
        name = f"unique_args.{match.group(2)}" if match.group(2) else match.group(1)
        if name not in _ACTIVITY_FIELDS and not name.startswith("unique_args."):
            raise ValueError(f"unknown query field {name!r}")
        clauses.append((name, re.sub(r"\\(.)", r"\1", match.group(3))))
    return clauses


_ACTIVITY_FIELDS = {"msg_id", "from_email", "to_email", "subject", "status"}


def _activity_value(entry: dict[str, Any], name: str) -> Any:
    if name.startswith("unique_args."):
        return entry["unique_args"].get(name.removeprefix("unique_args."))
    return entry.get(name)


def _activity_entry(mail: dict, person: dict, to: dict, message_id: str) -> dict[str, Any]:
    """One message as the Email Activity API lists it (with its custom args, to search)."""
    return {
        "from_email": mail["from"]["email"],
        "msg_id": message_id,
        "subject": person.get("subject") or mail.get("subject"),
        "to_email": to["email"],
        "status": "delivered",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unique_args": {**(mail.get("custom_args") or {}), **(person.get("custom_args") or {})},
    }


def _mail_problems(mail: Any) -> list[tuple[str, str]]:
    """What SendGrid would refuse, the way it words it (roughly)."""
    if not isinstance(mail, dict):
        return [("", "The request body must be a JSON object.")]
    problems = []
    people = mail.get("personalizations") or []
    if not people or not all(p.get("to") for p in people):
        problems.append(("personalizations", "The personalizations field is required."))
    if not (mail.get("from") or {}).get("email"):
        problems.append(("from.email", "The from object must be provided for every email."))
    if not mail.get("subject") and not all(p.get("subject") for p in people):
        problems.append(("subject", "The subject is required."))
    content = mail.get("content") or []
    if not content or not all(c.get("value") for c in content):
        problems.append(("content", "Unless a valid template_id is provided, content is required."))
    elif content[0].get("type") != "text/plain" and any(c["type"] == "text/plain" for c in content):
        problems.append(("content", "text/plain must come first in the content array."))
    return problems


class FakeSlack(_FakeProvider):
    """Slack Web API `POST /api/chat.postMessage`, JSON or form encoded."""

    def __init__(self, token: str = "xoxb-test-token") -> None:
        super().__init__()
        self.token = token
        self._posted = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The payloads of the messages posted (ok=true), in order."""
        return [r.payload for r in self.requests if r.accepted]

    def _failure_body(self, status: int, error: str | None) -> dict[str, Any]:
        default = {429: "ratelimited", 500: "internal_error"}.get(status, "invalid_arguments")
        return {"ok": False, "error": error or default}

    def answer(self, request: Recorded) -> Answer:
        if request.method != "POST":
            return _json_answer(405, {"ok": False, "error": "method_not_supported"})
        if request.path != "/api/chat.postMessage":
            return _json_answer(404, {"ok": False, "error": "unknown_method"})
        auth = request.header("Authorization")
        if not auth:
            return _json_answer(200, {"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return _json_answer(200, {"ok": False, "error": "invalid_auth"})
        kind = (request.header("Content-Type") or "").split(";")[0].strip()
        try:
            payload = request.json if kind == "application/json" else dict(request.form)
            if isinstance(payload.get("blocks"), str):
                payload["blocks"] = json.loads(payload["blocks"])
        except (ValueError, AttributeError):
            return _json_answer(200, {"ok": False, "error": "invalid_json"})
        if not payload.get("channel"):
            return _json_answer(200, {"ok": False, "error": "channel_not_found"})
        if not payload.get("text") and not payload.get("blocks"):
            return _json_answer(200, {"ok": False, "error": "no_text"})
        with self._lock:
            self._posted += 1
            number = self._posted
        request.accepted = True
        request.payload = payload
        ts = f"{int(time.time())}.{number:06d}"
        answer = {"ok": True, "channel": payload["channel"], "ts": ts, "message": payload}
        return _json_answer(200, answer)


@pytest.fixture
def sendgrid_server() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server
