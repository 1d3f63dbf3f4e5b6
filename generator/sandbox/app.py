"""The sandbox as an ASGI app: `create_app()` for `apidocs sandbox` and for `apidocs serve`.

Routes come from the endpoint definitions (the generic mock answers their examples); the
TIMP workflow routes among them get stateful handlers. Paths are taken relative to where the
app is mounted, so `Mount("/sandbox", app=create_app(...))` works as is.

The app is a `Starlette` (so `app.state` and mounting behave as usual) whose whole stack is
one lean ASGI callable: routing, CORS, auth and errors are done here, without per-request
middleware layers, because the sandbox is benchmarked against Prism.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from apidocs.config.settings import Auth, Settings
from apidocs.definitions.loader import load_endpoints
from apidocs.model.endpoint import Endpoint
from apidocs.sandbox.auth import Authenticator
from apidocs.sandbox.body import ClientGone
from apidocs.sandbox.call import Call
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.limits import SINGLE_HEADERS
from apidocs.sandbox.mock import documented_error, documented_errors, mock_handler, parameters_fit, suffix_pairs
from apidocs.sandbox.responses import Answer, error_answer, json_answer, send_answer
from apidocs.sandbox.router import Accepts, Handler, Router, template_key
from apidocs.sandbox.sessions import DEFAULT_CAPACITY, DEFAULT_IDLE, HEADER, READER_HEADER, RESET_PATH, SESSION_ID, Sessions
from apidocs.sandbox.store import Backend, SqliteBackend
from apidocs.sandbox.timp.fixtures import Fixtures, load_fixtures
from apidocs.sandbox.timp.orders import ROUTES

log = logging.getLogger("apidocs.sandbox")
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSED_HEADERS = "Allow, WWW-Authenticate, Content-Length, X-Apidocs-Reason, Sandbox-Session"
_READER_KEY = READER_HEADER.lower()
_READER_HEADER_BYTES = _READER_KEY.encode()
_CORS_ANSWER = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSED_HEADERS.encode())]


@dataclass
class SandboxInfo:
    """What a launcher may want to print or use; on `app.state.sandbox`."""

    fixtures: Fixtures
    store: Backend
    sessions: Sessions
    router: Router
    endpoint_count: int
    stateful_count: int
    # What routing each endpoint took, by the definition's identity: `refresh_routes` reuses it
    # for the definitions `apidocs serve` read before and kept (unchanged files).
    mocks: dict[int, MockRoute] = field(default_factory=dict)


@dataclass
class MockRoute:
    """An endpoint's mock as the router takes it; holds the definition, so its id stays its own."""

    endpoint: Endpoint
    handler: Handler
    error_bodies: dict[int, tuple[bytes, bytes]]
    accepts: Accepts | None
    constrained: bool

    @classmethod
    def of(cls, endpoint: Endpoint, auth_header: str = "") -> MockRoute:
        return cls(endpoint, mock_handler(endpoint, auth_header), documented_errors(endpoint),
                   parameters_fit(endpoint, auth_header), bool(suffix_pairs(endpoint)))


def route_path(scope: Scope) -> str:
    """The path below the mount point (`/sandbox/timp/...` mounted at `/sandbox` → `/timp/...`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        path = path[len(root) :]
    return path or "/"


def _names_one_session(raw_headers: list[tuple[bytes, bytes]], named: str) -> bool:
    """Whether a 400 was served by the session `named`: not when it is about the id itself
    (malformed, or the header sent twice), else as any answer (a body refused, say)."""
    return SESSION_ID.fullmatch(named) is not None and sum(name.lower() == _READER_HEADER_BYTES for name, _ in raw_headers) == 1


def _preflight(headers: dict[str, str]) -> Answer:
    """CORS preflight: any origin may send any method with the headers it asks for
    (`Access-Control-Allow-Origin` is added to every answer to a request with an Origin)."""
    requested = headers.get("access-control-request-headers", "authorization, content-type")
    return Answer(200, b"", [
        (b"access-control-allow-methods", ALL_METHODS.encode()),
        (b"access-control-allow-headers", requested.encode("latin-1")),
        (b"access-control-max-age", b"600"),
    ], None)


class SandboxEndpoint:
    """The one ASGI callable behind every path: routing, CORS, auth, sessions, dispatch."""

    def __init__(self, router: Router, authenticator: Authenticator, sessions: Sessions, body_timeout: float,
                 cors_origins: Sequence[str] | None = None, base_paths: Sequence[str] = ()) -> None:
        self.router = router
        # The paths of the site's relative servers (`/api/v1`): the docs show the sandbox's
        # operations below them, the check at its root; both are served.
        self.base_paths = tuple(base_paths)
        self.cors_origins = frozenset(origin.rstrip("/") for origin in cors_origins) if cors_origins else None
        self.authenticator = authenticator
        self.sessions = sessions
        self.body_timeout = body_timeout
        self.single_headers = SINGLE_HEADERS | {authenticator.header.lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._other(scope, receive, send)
            return
        raw_headers = scope["headers"]
        # White space around a field value is not part of it (RFC 9110): curl sends it as typed.
        headers = {name.decode("latin-1"): value.decode("latin-1").strip(" \t") for name, value in raw_headers}
        method: str = scope["method"]
        try:
            if len(headers) != len(raw_headers):  # some header came twice: fine, unless it must be single
                self._refuse_repeated(raw_headers)
            if method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers:
                answer = _preflight(headers)
            else:
                answer = await self.handle(scope, receive, method, headers)
        except ApiError as error:
            answer = error_answer(error)
        except ClientGone:
            return
        except Exception:  # a bug of ours, never the client's: say so, keep serving
            log.exception("sandbox error on %s %s", method, scope.get("path"))
            answer = json_answer({"detail": "internal sandbox error (a bug in the sandbox, not in your request)"}, 500)
        origin = headers.get("origin")
        extra = [] if origin is None else _CORS_ANSWER if self.cors_origins is None else self._cors_for(origin)
        named = headers.get(_READER_KEY)
        # Says which session served, on every answer but a 400 about the id itself.
        if named is not None and (answer.status != 400 or _names_one_session(raw_headers, named)):
            extra = [*extra, (_READER_HEADER_BYTES, named.encode("latin-1"))]
        await send_answer(send, answer, extra, method == "HEAD")

    async def handle(self, scope: Scope, receive: Receive, method: str, headers: dict[str, str]) -> Answer:
        path = route_path(scope)
        match = self.router.match(path, method)
        if match is None and self.base_paths:
            below = next((path[len(base):] for base in self.base_paths if path.startswith(base + "/")), None)
            found_below = self.router.match(below, method) if below is not None else None
            if found_below is not None and below is not None:
                path, match = below, found_below
        if match is None and path == RESET_PATH:
            return await self._reset(method, headers)
        if match is None:
            hint = self.router.suggest(path)
            raise ApiError(404, f"no endpoint at {path}" + (f" (did you mean {hint}?)" if hint else ""))
        route = match.route_for(method)
        if route is None:
            if method == "OPTIONS":
                return Answer(204, b"", [(b"allow", match.group.allow.encode())], None)
            raise ApiError(405, f"{method} is not allowed on {path} (allowed: {', '.join(match.group.routes)})",
                           {"Allow": match.group.allow})
        query_string = scope.get("query_string", b"")
        route, params = match.choose(route, headers, query_string)
        try:
            user = self.authenticator.user(headers, query_string)
            store = await self.sessions.state_for(headers)
            call = Call(method, headers, receive, route, params, user, store, self.body_timeout, query_string, scope)
            return await route.handler(call)
        except ApiError as error:
            documented = route.error_bodies.get(error.status)
            if documented is None:
                raise
            return documented_error(error, documented)

    def _cors_for(self, origin: str) -> list[tuple[bytes, bytes]]:
        """Only the configured site origins may read answers in a browser (no header: blocked)."""
        if self.cors_origins is None or origin not in self.cors_origins:
            return [(b"vary", b"Origin")]
        return [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin"), _CORS_ANSWER[1]]

    async def _reset(self, method: str, headers: dict[str, str]) -> Answer:
        if method != "POST":
            raise ApiError(405, f"{method} is not allowed on {RESET_PATH} (allowed: POST)", {"Allow": "POST, OPTIONS"})
        await self.sessions.reset(headers)
        shown = headers.get(_READER_KEY) or "(the check's private session)"
        return json_answer({"session": shown, "detail": "the session is back to the fixtures"})

    def _refuse_repeated(self, raw_headers: list[tuple[bytes, bytes]]) -> None:
        seen: set[str] = set()
        for raw_name, _value in raw_headers:
            name = raw_name.decode("latin-1").lower()
            if name in seen and name in self.single_headers:
                raise ApiError(400, f"the {name} header is sent more than once: send it once")
            seen.add(name)

    @staticmethod
    async def _other(scope: Scope, receive: Receive, send: Send) -> None:
        """Lifespan (when run as the top app): nothing to start or stop. No websockets."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})


class SandboxApp(Starlette):
    """A Starlette app whose stack is the sandbox endpoint alone."""

    def __init__(self, endpoint: SandboxEndpoint) -> None:
        super().__init__()
        self.endpoint = endpoint

    def build_middleware_stack(self) -> ASGIApp:
        return self.endpoint


def _build_router(endpoints: Sequence[Endpoint], workflow: bool = True, known: dict[int, MockRoute] | None = None,
                  auth_header: str = "") -> tuple[Router, int, dict[int, MockRoute]]:
    """Every endpoint mocked, except the workflow routes, which get their stateful handlers;
    the mocks made, by the definition's identity (those in `known` are reused)."""
    stateful_handlers = {(method, template_key(template)): handler for method, template, handler in ROUTES} if workflow else {}
    known = known or {}
    router = Router()
    mocks: dict[int, MockRoute] = {}
    stateful = 0
    for endpoint in endpoints:
        repeated = endpoint.template.repeated_names
        if repeated:
            # The loader refuses such a path; a list of endpoints built elsewhere might not have.
            log.warning("%s: %s %s repeats %s: not served", endpoint.source, endpoint.method, endpoint.path, ", ".join(repeated))
            continue
        try:
            handler = stateful_handlers.get((endpoint.method, template_key(endpoint.path)))
            if handler is not None:
                router.add(endpoint.method, endpoint.path, handler, endpoint)
            else:
                mock = known.get(id(endpoint))
                if mock is None or mock.endpoint is not endpoint:
                    mock = MockRoute.of(endpoint, auth_header)
                mocks[id(endpoint)] = mock
                router.add(endpoint.method, endpoint.path, mock.handler, endpoint, mock.error_bodies, mock.accepts,
                           mock.constrained)
        except Exception as error:  # one definition must never take the whole sandbox down
            log.warning("%s: %s %s not served: %s", endpoint.source, endpoint.method, endpoint.path, error)
            continue
        stateful += handler is not None
    return router, stateful, mocks


def create_app(source: Settings | Sequence[Endpoint], db_path: str | Path | None = None,
               isolation_secret: str | None = None, *, fixtures_file: Path | None = None, auth: Auth | None = None,
               reset: bool = False, body_timeout: float = 5.0, database: str | None = None,
               session_idle: float = DEFAULT_IDLE, max_sessions: int = DEFAULT_CAPACITY,
               cors_origins: Sequence[str] | None = None) -> SandboxApp:
    """The sandbox for a project (`Settings`) or for a list of endpoints.

    `db_path` None keeps the state in memory (a fresh sandbox per app); a file keeps it across
    restarts, and `reset` restores the fixtures in it. `database` (`postgresql://…`) keeps it in
    PostgreSQL instead, for several workers. `cors_origins` limits which site origins a
    browser lets read the answers (default: any). Requests with `Sandbox-Session: <id>` act on that
    reader's own copy of the fixtures (idle `session_idle` seconds: back to the fixtures; at
    most `max_sessions`, least recently used dropped first). With `isolation_secret`, requests
    carrying `X-Apidocs-Sandbox: <secret>:<session>` get a private session too (the check's).
    Raises `ConfigError` for a broken fixture file or database.
    """
    if isinstance(source, Settings):
        endpoints, _findings = load_endpoints(source)  # broken definitions are lint's to report
        fixtures = load_fixtures(fixtures_file or source.fixtures)
        auth = auth or source.auth
        site_tokens = source.known_tokens
        workflow = source.sandbox_workflow
    else:
        endpoints = list(source)
        fixtures = load_fixtures(fixtures_file)
        auth = auth or Auth()
        site_tokens = {auth.token, *auth.demo_tokens}
        workflow = True
    example_tokens = {e.example.token for e in endpoints if e.example.token}
    router, stateful, mocks = _build_router(endpoints, workflow, auth_header=auth.header)
    store: Backend
    if database is not None:
        from apidocs.sandbox.postgres import PostgresBackend  # psycopg only when asked for

        store = PostgresBackend.open(database, fixtures, reset=reset)
    else:
        store = SqliteBackend.open(Path(db_path) if db_path is not None else None, fixtures, reset=reset)
    sessions = Sessions(isolation_secret, store, idle=session_idle, capacity=max_sessions)
    authenticator = Authenticator(auth, fixtures.users, site_tokens | example_tokens)
    base_paths = [server.base_path for server in source.servers if server.base_path] if isinstance(source, Settings) else []
    app = SandboxApp(SandboxEndpoint(router, authenticator, sessions, body_timeout, cors_origins, base_paths))
    app.state.sandbox = SandboxInfo(fixtures, store, sessions, router, len(endpoints), stateful, mocks)
    return app


def refresh_routes(app: SandboxApp, settings: Settings, endpoints: Sequence[Endpoint] | None = None) -> int:
    """Route the project's definitions as they are now (`apidocs serve` calls it on each rebuild):
    a new or changed endpoint answers at once, without a restart; the data (orders, sessions)
    stays as the reader left it. `endpoints`: the definitions the build just read (default:
    read them again). Returns the number of endpoints."""
    if endpoints is None:
        endpoints, _findings = load_endpoints(settings)  # broken definitions are lint's to report
    info: SandboxInfo = app.state.sandbox
    router, stateful, info.mocks = _build_router(endpoints, settings.sandbox_workflow, info.mocks, settings.auth.header)
    example_tokens = {e.example.token for e in endpoints if e.example.token}
    authenticator = Authenticator(settings.auth, info.fixtures.users, settings.known_tokens | example_tokens)
    # Two assignments a request in flight never sees half-done: it holds the old router.
    app.endpoint.authenticator = authenticator
    app.endpoint.router = router
    app.endpoint.base_paths = tuple(server.base_path for server in settings.servers if server.base_path)
    info.router, info.endpoint_count, info.stateful_count = router, len(endpoints), stateful
    return len(endpoints)


__all__ = ["HEADER", "READER_HEADER", "SandboxApp", "SandboxInfo", "create_app", "refresh_routes"]
