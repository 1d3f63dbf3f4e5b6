"""One request as the handlers see it: who asks, on which state, with which parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope

from apidocs.model.endpoint import NO_BODY
from apidocs.sandbox.body import body_arrived, parse_form, parse_json, parse_multipart, parse_raw, read_body
from apidocs.sandbox.router import Route
from apidocs.sandbox.store import SessionState
from apidocs.sandbox.timp.fixtures import Fixtures, User

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class Call:
    method: str
    headers: dict[str, str]  # by lower-case name
    receive: Receive
    route: Route
    params: dict[str, str]
    user: User
    store: SessionState  # the state of the session the request acts on
    body_timeout: float
    query_string: bytes = b""  # as received, for handlers that check query parameters
    scope: Scope | None = None  # the request's, for what the server says of its body (`body_arrived`)

    @property
    def fixtures(self) -> Fixtures:
        return self.store.fixtures

    @property
    def param(self) -> str:
        """The (only) path parameter, whatever the definition names it."""
        return next(iter(self.params.values()))

    async def json(self) -> Any:
        """The JSON body, or NO_BODY (always for methods that carry none, unless the endpoint
        documents one: some APIs take a body on GET, as Elasticsearch does)."""
        if not self._may_have_body():
            return NO_BODY
        raw = await self._body()
        return parse_json(raw, self.headers.get("content-type"))

    async def form(self) -> Any:
        """The form body read back into an object (text at its leaves: `model/forms.py`), or
        NO_BODY; for an endpoint that documents a form. A body that is not a form is a 415."""
        if not self._may_have_body():
            return NO_BODY
        raw = await self._body()
        return parse_form(raw, self.headers.get("content-type"))

    async def multipart(self) -> tuple[Any, set[str]]:
        """A multipart body read back into an object, and the fields that came as files (`body.py`)."""
        if not self._may_have_body():
            return NO_BODY, set()
        raw = await self._body()
        return parse_multipart(raw, self.headers.get("content-type"))

    async def raw(self, documented: str, text: bool) -> Any:
        """A body sent as it is, of the `documented` media type: text, or bytes (`body.py`)."""
        if not self._may_have_body():
            return NO_BODY
        raw = await self._body()
        return parse_raw(raw, self.headers.get("content-type"), documented, text)

    async def _body(self) -> bytes:
        arrived = self.scope is not None and body_arrived(self.scope)
        return await read_body(self.headers, self.receive, idle_timeout=self.body_timeout, arrived=arrived)

    def _may_have_body(self) -> bool:
        return self.method in BODY_METHODS or (self.route.endpoint is not None and self.route.endpoint.example.has_body)
