"""The sandbox as an ASGI app: `create_app()` for `apidocs sandbox` and for `apidocs serve`.

Routes come from the endpoint definitions (the generic mock answers their examples); the
TIMP workflow routes among them get stateful handlers. Paths are taken relative to where the
app is mounted, so `Mount("/sandbox", app=create_app(...))` works as is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..config import Auth, Settings
from ..definitions import load_endpoints
from ..model import Endpoint
from .auth import Authenticator
from .body import ClientGone
from .call import Call
from .errors import ApiError
from .fixtures import Fixtures, load_fixtures
from .mock import mock_handler
from .orders import ROUTES
from .responses import error_response, json_response
from .router import Router, template_key
from .sessions import HEADER, Sessions
from .store import Store

log = logging.getLogger("apidocs.sandbox")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
EXPOSED_HEADERS = ["Allow", "WWW-Authenticate", "Content-Length"]


@dataclass
class SandboxInfo:
    """What a launcher may want to print or use; on `app.state.sandbox`."""

    fixtures: Fixtures
    store: Store
    sessions: Sessions
    router: Router
    endpoint_count: int
    stateful_count: int


class SandboxEndpoint:
    """The one ASGI endpoint behind every path: routing, auth, sessions, dispatch."""

    def __init__(self, router: Router, authenticator: Authenticator, store: Store, sessions: Sessions,
                 body_timeout: float) -> None:
        self.router = router
        self.authenticator = authenticator
        self.store = store
        self.sessions = sessions
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except ApiError as error:
            response = error_response(error)
        except ClientGone:
            return
        except Exception:  # a bug of ours, never the client's: say so, keep serving
            log.exception("sandbox error on %s %s", scope.get("method"), scope.get("path"))
            response = json_response({"detail": "internal sandbox error (a bug in the sandbox, not in your request)"}, 500)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = route_path(request.scope)
        match = self.router.match(path)
        if match is None:
            hint = self.router.suggest(path)
            raise ApiError(404, f"no endpoint at {path}" + (f" (did you mean {hint}?)" if hint else ""))
        method = request.method
        route = match.route_for(method)
        if route is None:
            if method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": match.group.allow})
            raise ApiError(405, f"{method} is not allowed on {path} (allowed: {', '.join(match.group.routes)})",
                           {"Allow": match.group.allow})
        user = self.authenticator.user(request)
        store = self.sessions.store_for(request) or self.store
        call = Call(request, route, match.params(route), user, store, self.body_timeout)
        return await route.handler(call)


def route_path(scope: Scope) -> str:
    """The path below the mount point (`/sandbox/timp/...` mounted at `/sandbox` → `/timp/...`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        path = path[len(root) :]
    return path or "/"


def _build_router(endpoints: Sequence[Endpoint]) -> tuple[Router, int]:
    """Every endpoint mocked, except the workflow routes, which get their stateful handlers."""
    stateful_handlers = {(method, template_key(template)): handler for method, template, handler in ROUTES}
    router = Router()
    stateful = 0
    for endpoint in endpoints:
        handler = stateful_handlers.get((endpoint.method, template_key(endpoint.path)))
        stateful += handler is not None
        router.add(endpoint.method, endpoint.path, handler or mock_handler(endpoint), endpoint)
    return router, stateful


def create_app(source: Settings | Sequence[Endpoint], db_path: str | Path | None = None,
               isolation_secret: str | None = None, *, fixtures_file: Path | None = None, auth: Auth | None = None,
               reset: bool = False, body_timeout: float = 5.0) -> Starlette:
    """The sandbox for a project (`Settings`) or for a list of endpoints.

    `db_path` None keeps the state in memory (a fresh sandbox per app); a file keeps it across
    restarts, and `reset` restores the fixtures in it. With `isolation_secret`, requests
    carrying `X-Apidocs-Sandbox: <secret>:<session>` get a private fresh state per session.
    Raises `ConfigError` for a broken fixture file or database.
    """
    if isinstance(source, Settings):
        endpoints, _findings = load_endpoints(source)  # broken definitions are lint's to report
        fixtures = load_fixtures(fixtures_file or source.fixtures)
        auth = auth or source.auth
        site_tokens = source.known_tokens
    else:
        endpoints = list(source)
        fixtures = load_fixtures(fixtures_file)
        auth = auth or Auth()
        site_tokens = {auth.token, *auth.demo_tokens}
    example_tokens = {e.example.token for e in endpoints if e.example.token}
    router, stateful = _build_router(endpoints)
    store = Store.open(Path(db_path) if db_path is not None else None, fixtures, reset=reset)
    sessions = Sessions(isolation_secret, fixtures)
    endpoint = SandboxEndpoint(router, Authenticator(auth, fixtures.users, site_tokens | example_tokens),
                               store, sessions, body_timeout)
    app = Starlette(middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=ALL_METHODS,
                                           allow_headers=["*"], expose_headers=EXPOSED_HEADERS, max_age=600)])
    # Every path is ours: no Starlette routes (their patterns stop at a newline), one default.
    app.router.default = endpoint
    app.router.redirect_slashes = False
    app.state.sandbox = SandboxInfo(fixtures, store, sessions, router, len(endpoints), stateful)
    return app


__all__ = ["create_app", "HEADER", "SandboxInfo"]
