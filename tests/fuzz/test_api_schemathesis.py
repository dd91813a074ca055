"""Schemathesis against the real app's /openapi.json: every operation called in-process
(the app `tests/api/conftest.py` builds, with its worker, PostgreSQL and Temporal) with
an admin's token, on data that fits the schema and data that does not, every response
checked. No server error, no answer the document does not declare, no body that breaks
its schema. And the document declares the answers each operation can give.

Cases come from schemathesis (`APIOperation.as_strategy`, positive and negative); they
are sent over httpx's ASGI transport on the session's event loop (the one the app's
PostgreSQL pool and Temporal client live on) and judged with `case.validate_response`
and schemathesis' checks. Every distinct failure is collected, then reported at once."""

import contextlib
import json
import re
import time
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup

from starters.web.app import create_app
from tests.api.conftest import days_ahead

BASE = "http://baton.test"
# What the API answers schema-valid data it still cannot use, by its own design (README
# "Errors"): refused 409, unknown 404, unusable 422 (an unknown playbook, a date in the
# past), unavailable 503 (a project still starting).
ACCEPTABLE_FOR_VALID_DATA = ["2xx", "401", "403", "404", "409", "422", "503"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTABLE_FOR_VALID_DATA}}}
)
CHECKS = [
    getattr(schemathesis.checks, name)
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
    )
]
EXAMPLES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 50}  # per operation

# The document the app serves, made without services (only the routes matter), to
# parametrize the tests by operation; the tests fuzz what the running app serves.
DOCUMENT = create_app().openapi()
LABELS = [
    f"{method.upper()} {path}"
    for path, methods in DOCUMENT["paths"].items()
    for method in methods
    if path.startswith("/api")
]


@pytest.fixture(scope="session")
async def schema(api) -> schemathesis.BaseSchema:
    served = (await api[None].get("/openapi.json")).json()
    assert served == DOCUMENT
    return schemathesis.openapi.from_dict(served, config=CONFIG)


def _operation(schema, label: str):
    method, path = label.split(" ", 1)
    return schema[path][method]


def _cases(operation, token: str) -> list:
    """Schemathesis' cases for one operation, positive then negative, each with the
    admin's token (negative data is never a broken token: that is tested apart)."""
    cases: list = []
    for mode, count in EXAMPLES.items():
        strategy = operation.as_strategy(
            generation_mode=mode, headers={"Authorization": f"Bearer {token}"}
        )

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def collect(case) -> None:
            cases.append(case)

        with contextlib.suppress(Unsatisfiable):  # nothing to break without parameters
            collect()
    return cases


def _request(case) -> dict[str, Any]:
    """The case as httpx arguments (schemathesis serializes it the `requests` way)."""
    sent = case.as_transport_kwargs(base_url=BASE)
    request: dict[str, Any] = {
        "method": sent["method"],
        "url": sent["url"],
        "headers": sent.get("headers") or {},
        "params": sent.get("params") or None,
    }
    if sent.get("cookies"):
        cookie = "; ".join(f"{k}={v}" for k, v in sent["cookies"].items())
        request["headers"] = {**request["headers"], "Cookie": cookie}
    if "json" in sent:
        request["json"] = sent["json"]
    elif isinstance(sent.get("data"), bytes | str):
        request["content"] = sent["data"]
    elif sent.get("data") is not None:
        request["data"] = sent["data"]
    if sent.get("files"):
        request["files"] = sent["files"]
    return request


def _takes_any_text(label: str) -> bool:
    method, path = label.split(" ", 1)
    body = DOCUMENT["paths"][path][method.lower()].get("requestBody", {})
    media = body.get("content", {}).values()
    return bool(media) and all(m.get("schema") == {"type": "string"} for m in media)


def _client(api) -> httpx.AsyncClient:
    """A client of the app that gets a 500 as the answer it is (the shared transport
    raises the app's exception instead)."""
    transport = httpx.ASGITransport(app=api.transport.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def _error_log(api) -> str:
    log = api.services.settings.home / "logs" / "errors.log"
    return log.read_text() if log.exists() else ""


def _where(trace: str) -> str:
    """Where a logged traceback arose: its last frame in Baton's code, the frame that
    raised (when elsewhere), and the exception."""
    frames = re.findall(r'File "(/[^"]+)", line (\d+), in (\S+)', trace)
    if not frames:
        return "no traceback logged"
    ours = [f for f in frames if "/work/main/" in f[0] and "/.venv/" not in f[0]]
    shown = [f for f in (ours[-1] if ours else None, frames[-1]) if f]
    places = " -> ".join(
        dict.fromkeys(f"{f[0].split('/work/main/')[-1]}:{f[1]} ({f[2]})" for f in shown)
    )
    return f"{places}: {trace.strip().splitlines()[-1]}"


def _error_id(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error_id", ""))
    except (ValueError, AttributeError):
        return ""


def _trace_of(api, error_id: str) -> str:
    entries = _error_log(api).split("--- ")
    return next((entry for entry in entries if f"error {error_id}" in entry), "")


async def _fuzz(api, schema, label: str) -> tuple[int, dict[tuple, str]]:
    operation = _operation(schema, label)
    client = _client(api)
    failures: dict[tuple, str] = {}
    cases = _cases(operation, api.tokens["pat"])
    checks = CHECKS
    if _takes_any_text(label):
        # Its body is a document read as text: whatever schemathesis makes of a "broken"
        # string, serialized it is text again, so no request can violate the schema.
        checks = [c for c in CHECKS if c.__name__ != "negative_data_rejection"]
    try:
        for case in cases:
            request = _request(case)
            response = await client.request(**request)
            try:
                case.validate_response(response, checks=checks, headers=request["headers"])
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = (type(failure).__name__, failure.title, response.status_code)
                    if key in failures:
                        continue
                    detail = response.text[:400]
                    if response.status_code >= 500:
                        detail += "\n      at " + _where(_trace_of(api, _error_id(response)))
                    sent = {k: v for k, v in request.items() if k != "headers" and v}
                    sent["content-type"] = request["headers"].get("Content-Type")
                    failures[key] = (
                        f"{label} -> {response.status_code}: {failure.title}\n"
                        f"      sent: {str(sent)[:400]}\n      got: {detail}"
                    )
    finally:
        await client.aclose()
    return len(cases), failures


@pytest.mark.parametrize("label", LABELS)
async def test_schemathesis(api, schema, label: str) -> None:
    started = time.monotonic()
    count, failures = await _fuzz(api, schema, label)
    print(f"{label}: {count} cases in {time.monotonic() - started:.1f}s")
    assert not failures, f"{len(failures)} distinct failures:\n" + "\n".join(failures.values())


# ----------------------------------------------------------------- declared answers

# Which answers an operation can give (README "Errors" and each router): every /api
# operation needs a token (401); only admins import people, make tokens and publish, and
# any unsafe request sent from another site's page is refused (403); a path naming a
# thing can miss it (404); what acts on a project or a schedule can be refused (409); any
# input can be unusable (422); what needs Temporal or PostgreSQL can find it unreachable
# (503), which is all of them, the token being looked up in PostgreSQL.
ADMIN_ONLY = {
    "POST /api/people/import",
    "POST /api/people/{person_id}/token",
    "POST /api/playbooks",
}
REFUSABLE = re.compile(
    r"^POST /api/(projects(/\{project\}/(steps/\{step_id\}/\w+|reschedule|cancel))?"
    r"|schedules(/\{schedule_id\}/(pause|resume|trigger))?)$"
)
FINDS = re.compile(r"\{(project|step_id|playbook_id|person_id|schedule_id)\}")


def expected_answers(label: str, operation: dict) -> set[str]:
    codes = {"401", "503"}
    if label in ADMIN_ONLY or not label.startswith("GET "):
        codes.add("403")  # an admin's, or the same-origin rule of unsafe methods
    if FINDS.search(label) or label in {"POST /api/projects", "POST /api/schedules"}:
        codes.add("404")  # by path, or the playbook (version) a start names
    if REFUSABLE.match(label):
        codes.add("409")
    if operation.get("parameters") or operation.get("requestBody"):
        codes.add("422")
    return codes


def _operations(document: dict) -> Iterable[tuple[str, dict]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/api"):
                yield f"{method.upper()} {path}", operation


def test_the_document_declares_every_answer() -> None:
    missing = {}
    for label, operation in _operations(DOCUMENT):
        declared = set(operation.get("responses", {}))
        lacking = expected_answers(label, operation) - declared
        if lacking:
            missing[label] = sorted(lacking)
    assert not missing, "operations lacking answers:\n" + "\n".join(
        f"  {label}: {', '.join(codes)}" for label, codes in missing.items()
    )


# ------------------------------------------------------------------- authentication


@pytest.mark.parametrize("label", LABELS)
async def test_no_or_a_bad_token_is_401(api, schema, label: str) -> None:
    """Every /api operation refuses a request without a token, or with one that is not
    anyone's, with 401 and a Bearer challenge, whatever else the request says."""
    operation = _operation(schema, label)
    case = _cases(operation, "x")[0]
    request = _request(case)
    client = _client(api)
    try:
        for authorization in (None, "Bearer not-a-token", "Basic cGF0OnBhdA==", "Bearer "):
            headers = {k: v for k, v in request["headers"].items() if k.lower() != "authorization"}
            if authorization:
                headers["Authorization"] = authorization
            response = await client.request(**{**request, "headers": headers})
            assert response.status_code == 401, (authorization, response.status_code, response.text)
            assert response.headers.get("www-authenticate", "").startswith("Bearer")
    finally:
        await client.aclose()


# ------------------------------------------------------------ known hostile requests

START = {
    "playbook": "blog-post",
    "name": "Fuzz post",
    "launch_date": days_ahead(60),
    "assignments": {
        "strategist": "sam",
        "seo": "sam",
        "writer": "alice",
        "designer": "dana",
        "social": "sol",
        "stakeholder": "stu",
    },
    "project_manager": "pat",
}


JSON = "application/json"


def _raw(payload: str) -> dict:
    return {"content": payload.encode(), "headers": {"Content-Type": JSON}}


HOSTILE_REQUESTS = [
    ("POST", "/api/projects", {"json": {**START, "timezone": "America"}}),
    ("POST", "/api/projects", {"json": {**START, "timezone": "a" * 300}}),
    # a lone surrogate, as JSON's "\ud800" escape gives one
    (
        "POST",
        "/api/projects",
        _raw('{"playbook": "blog-post", "name": "Fuzz \\ud800", "project_manager": "pat"}'),
    ),
    # accepted (inputs take any text), then carried to Temporal in a payload
    (
        "POST",
        "/api/projects",
        _raw(json.dumps({**START, "name": "Fuzz inputs", "inputs": {"x": "\ud800"}})),
    ),
    ("POST", "/api/projects", _raw('{"\\ud800": 1}')),
    ("POST", "/api/projects", {"json": {**START, "launch_date": "9999-12-31"}}),
    ("POST", "/api/projects", {"json": {**START, "playbook_version": 2**31}}),
    (
        "GET",
        "/api/playbooks/blog-post/plan",
        {"params": {"launch": "2026-12-15", "timezone": "America"}},
    ),
    (
        "GET",
        "/api/playbooks/blog-post/plan",
        {"params": {"launch": "2026-12-15", "timezone": "a" * 300}},
    ),
    ("GET", "/api/playbooks/blog-post/plan", {"params": {"launch": "9999-12-31"}}),
    ("GET", "/api/playbooks/blog-post/plan", {"params": {"launch": "0001-01-01"}}),
    ("GET", "/api/playbooks/blog-post", {"params": {"version": 2**63}}),
    ("GET", "/api/playbooks/blog-post%00", {}),
    ("GET", "/api/people/alice%00/tasks", {}),
    ("GET", "/api/people/" + "a" * 5000 + "/tasks", {}),
    ("GET", "/api/schedules/a%00b", {}),
    ("GET", "/api/schedules/" + "a" * 5000, {}),
    ("POST", "/api/schedules/%E2%80%AE/pause", {"json": {"note": "\x00"}}),
    ("POST", "/api/schedules/%ED%A0%80/pause", {"json": {}}),  # a surrogate, UTF-8 encoded
    ("GET", "/api/projects", {"params": {"owner": "a'b\"c\\"}}),
    ("GET", "/api/projects", {"params": {"playbook": "x' OR '1'='1"}}),
    ("GET", "/api/projects", {"params": {"owner": "\x00"}}),
    ("POST", "/api/playbooks/validate", {"content": b"[" * 3000 + b"]" * 3000}),  # 6 KB
    ("POST", "/api/projects", {"content": b"\xff", "headers": {"Content-Type": JSON}}),
    ("POST", "/api/playbooks/validate", {"content": b"1" * 5000}),
    ("POST", "/api/playbooks/validate", {"content": b"\xff\xfe"}),
    ("POST", "/api/playbooks/validate", {"content": b"id: x", "params": {"file": "\x00"}}),
    ("POST", "/api/people/import", {"content": b"alice: {timezone: America}"}),
    ("POST", "/api/people/import", {"content": b"1" * 5000}),
    ("POST", "/api/people/import", {"content": b'alice: {name: "A\\0"}'}),
    (
        "POST",
        "/api/people/import",
        {"params": {"format": "csv"}, "content": b'id\n"' + b"a" * 200_000 + b'"\n'},
    ),
    ("POST", "/api/people/%00/token", {}),
    # YAML's escape for a lone surrogate, in a key the problem then names
    ("POST", "/api/people/import", {"content": b'"k\\ud800": {}\n'}),
    ("POST", "/api/playbooks/validate", {"content": b'"\\ud800": 1\n'}),
    ("POST", "/api/playbooks/validate", {"content": b'id: x\nroles: {"\\ud800": A}\n'}),
]


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    HOSTILE_REQUESTS,
    ids=[f"{i}-{m} {p[:40]}" for i, (m, p, _) in enumerate(HOSTILE_REQUESTS)],
)
async def test_known_hostile_requests(api, method: str, path: str, extra: dict) -> None:
    """Inputs that broke a loader somewhere: a 4xx naming the problem, never a 500."""
    headers = {"Authorization": f"Bearer {api.tokens['pat']}", **extra.get("headers", {})}
    client = _client(api)
    started = time.monotonic()
    try:
        response = await client.request(method, path, **{**extra, "headers": headers})
    finally:
        await client.aclose()
    elapsed = time.monotonic() - started
    print(method, path[:60], "->", response.status_code, response.text[:300])
    where = ""
    if response.status_code >= 500:
        where = _where(_trace_of(api, _error_id(response)))
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]} at {where}"
    # Handlers parse documents on the event loop: a slow parse stalls every request.
    assert elapsed < 2, f"answered in {elapsed:.1f} s (the whole app waited meanwhile)"
