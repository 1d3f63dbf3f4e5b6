"""The documented answers besides the success one: reach each with a probe, compare its example.

A definition documents its error answers (401, 404, 409, 422…) by status, with example bodies.
Against a fresh sandbox the check derives requests from the example that provoke them, each in
a private sandbox session of its own, and compares the first answer with a documented status to
that status's example, by the same rules as the success example:

- the example without its auth header, and with a token nobody has → 401;
- the example with each of the site's demo tokens → e.g. 403 or 409 (another role);
- the example with unknown path values (`UNKNOWN_UUID` for a UUID, else `unknown`) → 404;
- the example sent twice, the second answer → e.g. 422 once the first changed the state;
- the example with an empty JSON object as body (a form: no fields) → 400 when fields are required;
- a JSON array as body, where the endpoint takes a JSON body → 400.

A documented status none of these reaches is "not reached", not a failure: some answers need a
state only a longer scenario sets up.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from apidocs.check.compare import response_problems
from apidocs.config.settings import Auth
from apidocs.model.endpoint import NO_BODY, Endpoint, ExampleResponse
from apidocs.model.forms import form_text, is_form
from apidocs.model.headers import CHECK_SESSION_HEADER as SANDBOX_SESSION_HEADER
from apidocs.model.multipart import is_multipart, multipart_parts, sample_file
from apidocs.model.paths import ROUTE_HEADER, route_header_value
from apidocs.model.raw import is_raw
from apidocs.rendering.quoting import json_text
from apidocs.rendering.request import HttpRequest, build_request

PASS, FAIL, NOT_REACHED = "pass", "fail", "not reached"
_LABELS = {PASS: "ok", FAIL: "FAIL", NOT_REACHED: "not reached"}
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
UNKNOWN_TOKEN = "apidocs-check-unknown-token"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass
class Probe:
    name: str
    request: HttpRequest
    repeat: bool = False  # judge the second of two identical requests


@dataclass
class StatusResult:
    endpoint: Endpoint
    status: int
    outcome: str  # PASS | FAIL | NOT_REACHED
    probe: str = ""
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0  # seconds: the probe that judged it, or every probe tried when none reached it


def unknown_value(value: str) -> str:
    return UNKNOWN_UUID if _UUID.fullmatch(value) else "unknown"


def probes(endpoint: Endpoint, auth: Auth, base_url: str) -> list[Probe]:
    """The requests that may reach the documented error answers, in the order they are tried."""
    example = build_request(endpoint, auth, base_url)
    found: list[Probe] = []
    if auth.header or auth.query:
        bare = build_request(endpoint, auth, base_url)
        if auth.query:
            bare.query = [(name, value) for name, value in bare.query if name != auth.query]
        else:
            bare.headers = [(name, value) for name, value in bare.headers if name.lower() != auth.header.lower()]
        found.append(Probe(f"without the {auth.query} query parameter" if auth.query else "without the auth header", bare))
        found.append(Probe("with an unknown token", build_request(endpoint, auth, base_url, token=UNKNOWN_TOKEN)))
        for token in [auth.token, *auth.demo_tokens]:
            if token != (endpoint.example.token or auth.token):
                found.append(Probe(f"with the token {token}", build_request(endpoint, auth, base_url, token=token)))
    if endpoint.path_parameters:
        unknown = {name: unknown_value(value) for name, value in endpoint.example.path_params.items()}
        found.append(Probe("with unknown path values", build_request(endpoint, auth, base_url, path_params=unknown)))
    found.append(Probe("sent twice", example, repeat=True))
    if endpoint.example.has_body and isinstance(endpoint.example.body, dict) and endpoint.example.body:
        empty = build_request(endpoint, auth, base_url)
        empty.body = {}
        found.append(Probe("with no form fields" if example.is_form or example.is_multipart else "with an empty JSON object as body",
                           empty))
    if is_raw(endpoint.request_content_type):
        if endpoint.example.has_body and endpoint.request_required is not False:
            bare_body = build_request(endpoint, auth, base_url)
            bare_body.body = NO_BODY
            found.append(Probe("with no body", bare_body))
        return found  # text, or a file's bytes: no other JSON to send
    if is_form(endpoint.request_content_type) or is_multipart(endpoint.request_content_type):
        return found  # a form is always fields: no array to send
    if endpoint.example.has_body or endpoint.request_schema is not None or endpoint.group_of_kind("request") is not None:
        listed = build_request(endpoint, auth, base_url)
        listed.body = []
        if listed.header("Content-Type") is None:
            listed.headers.append(("Content-Type", "application/json"))
        found.append(Probe("with a JSON array as body", listed))
    return found


Send = Callable[[HttpRequest, str, str], requests.Response]  # (request, session, the operation's path template)


def sandbox_sender(secret: str, timeout: float = 30.0) -> Send:
    """Sends a probe in the private sandbox session `session` (fresh fixtures on first use)."""
    http = requests.Session()

    def send(request: HttpRequest, session: str, route: str) -> requests.Response:
        headers = dict(request.headers)
        headers[SANDBOX_SESSION_HEADER] = f"{secret}:{session}"
        headers[ROUTE_HEADER] = route_header_value(route)  # among paths that differ only in placeholder names
        data: bytes | None = None
        files: list[tuple[str, tuple[str | None, bytes]]] | None = None
        if request.is_multipart:
            # All parts through `files=` (a text part without a file name): with `data=` alone,
            # `requests` would send a URL-encoded form. It writes the Content-Type with its boundary.
            files = [(part.name, (part.value, sample_file(part.value)) if part.is_file else (None, part.value.encode()))
                     for part in multipart_parts(request.body, request.files, request.form_lists)]
        elif request.body_file and isinstance(request.body, str):
            data = sample_file(request.body)
        elif request.is_raw and isinstance(request.body, str):
            data = request.body.encode("utf-8")
        elif request.has_body:
            data = (form_text(request.body, request.form_lists) if request.is_form else json_text(request.body)).encode("utf-8")
        return http.request(request.method, request.url, headers=headers, data=data, files=files, timeout=timeout,
                            allow_redirects=False)

    return send


def _judge(documented: list[ExampleResponse], answer: requests.Response) -> list[str]:
    with_body = [response for response in documented if response.has_body]
    if not with_body:
        return []
    attempts = [response_problems(response.body, answer.text) for response in with_body]
    best = min(attempts, key=len)
    return [] if not best else [f"{answer.status_code} answered, unlike the documented example: {problem}" for problem in best]


def check_statuses(endpoint: Endpoint, auth: Auth, base_url: str, send: Send) -> list[StatusResult]:
    """One result per documented status other than the expected one."""
    wanted: dict[int, list[ExampleResponse]] = {}
    for response in endpoint.responses:
        if response.status is not None and response.status != endpoint.expected_status:
            wanted.setdefault(response.status, []).append(response)
    if not wanted or not endpoint.is_example_complete:
        return []
    results: dict[int, StatusResult] = {}
    started = time.perf_counter()
    for probe in probes(endpoint, auth, base_url):
        session = secrets.token_hex(8)
        probe_started = time.perf_counter()
        try:
            answer = send(probe.request, session, endpoint.path)
            if probe.repeat:
                answer = send(probe.request, session, endpoint.path)
        except requests.RequestException as error:
            return [StatusResult(endpoint, status, FAIL, probe.name, [f"the sandbox did not answer: {error}"],
                                 time.perf_counter() - probe_started) for status in wanted]
        status = answer.status_code
        earlier = results.get(status)
        if status not in wanted or (earlier is not None and earlier.outcome == PASS):
            continue
        # Several probes may reach one status (404: a stranger's token, an unknown id): the
        # documented example has to match one of them.
        problems = _judge(wanted[status], answer)
        if earlier is None or not problems:
            results[status] = StatusResult(endpoint, status, FAIL if problems else PASS, probe.name, problems,
                                           time.perf_counter() - probe_started)
    probing = time.perf_counter() - started
    return [results.get(status) or StatusResult(endpoint, status, NOT_REACHED, elapsed=probing) for status in sorted(wanted)]


def render_statuses(results: list[StatusResult], where: Callable[[Endpoint], str]) -> str:
    """One line per endpoint: each documented status, ok / FAIL / not reached, and how."""
    by_endpoint: dict[str, list[StatusResult]] = {}
    for result in results:
        by_endpoint.setdefault(where(result.endpoint), []).append(result)
    lines = []
    for name, items in by_endpoint.items():
        cells = [f"{r.status} {_LABELS[r.outcome]}" + (f" ({r.probe})" if r.probe else "") for r in items]
        lines.append(f"{name}: " + ", ".join(cells))
        for result in items:
            lines += [f"  - {problem}" for problem in result.problems]
    return "\n".join(lines)
