"""uvicorn's httptools protocol with the sandbox's head limits, and one write per response.

Two things uvicorn does not do on its own:

- **limits on the request head** (see `apidocs.sandbox.limits`): httptools keeps a header in
  memory until its line ends, with no bound, and uvicorn waits for a head forever. Here the
  head's lines, count and bytes are counted as they arrive (431 past a limit, answered before
  the app runs) and the head must be complete within `HEAD_TIMEOUT` (408, then close);
- **one write per response**: uvicorn writes a response's head and its body as two
  `transport.write()` calls (two `send()` system calls, two TCP segments), the largest single
  cost for the sandbox's small JSON answers under load. Writes made in one event-loop step are
  joined and sent together at the end of the step.

Both rest on uvicorn's private `httptools_impl.HttpToolsProtocol`. `fast_protocol()` checks that
the class still has what is used here and returns None otherwise; the server then runs on
uvicorn's public h11 path (see `server.py`), with the limits it can enforce there.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from http import HTTPStatus
from typing import Any

from apidocs.sandbox.body import BODY_ARRIVED
from apidocs.sandbox.limits import HEAD_TIMEOUT, MAX_HEAD, MAX_HEADER_LINE, MAX_HEADERS

log = logging.getLogger("apidocs.sandbox")

# What the subclass below overrides or calls on uvicorn's class: if any is gone, it is not used.
REQUIRED_METHODS = ("connection_made", "connection_lost", "data_received", "on_message_begin", "on_url", "on_header",
                    "on_headers_complete", "on_message_complete", "send_400_response")
REQUIRED_PARAMETERS = ["self", "config", "server_state", "app_state"]


def refusal(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 answer `{"detail": ...}` that closes the connection."""
    body = json.dumps({"detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\naccess-control-allow-origin: *\r\nconnection: close\r\n\r\n")
    return head.encode() + body


class HeadRefused(Exception):
    """Raised from a parser callback: the head broke a limit (the parser stops there)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class CoalescingTransport:
    """A transport proxy: `write()`s of one loop step leave as one; all else is delegated."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _unusable_reason(base: Any) -> str | None:
    """Why uvicorn's class is not the one this module was written against, or None."""
    if not isinstance(base, type) or not issubclass(base, asyncio.Protocol):
        return "HttpToolsProtocol is missing or not a protocol class"
    missing = [name for name in REQUIRED_METHODS if not callable(getattr(base, name, None))]
    if missing:
        return f"HttpToolsProtocol has no {', '.join(missing)}"
    try:
        parameters = list(inspect.signature(base.__init__).parameters)[:len(REQUIRED_PARAMETERS)]
    except (TypeError, ValueError):
        return "HttpToolsProtocol's constructor cannot be inspected"
    if parameters != REQUIRED_PARAMETERS:
        return f"HttpToolsProtocol takes ({', '.join(parameters)}), not ({', '.join(REQUIRED_PARAMETERS)})"
    return None


def fast_protocol(head_timeout: float = HEAD_TIMEOUT) -> tuple[type | None, str]:
    """The limited, coalescing httptools protocol, or None and why it cannot be used."""
    try:
        import httptools  # noqa: F401  (uvicorn's class needs it)
        from uvicorn.protocols.http import httptools_impl
    except ImportError as error:
        return None, f"httptools is not usable ({error})"
    base = getattr(httptools_impl, "HttpToolsProtocol", None)
    reason = _unusable_reason(base)
    if reason:
        return None, reason
    return _limited_protocol(base, head_timeout), "httptools"


def _limited_protocol(base: Any, head_timeout: float) -> type:
    # The base methods called on every request, bound once (cheaper than super() each time).
    base_data_received = base.data_received
    base_on_header = base.on_header
    base_on_url = base.on_url

    class LimitedHttpToolsProtocol(base):
        """uvicorn's protocol, counting each request head against the limits as it arrives."""

        def connection_made(self, transport: asyncio.Transport) -> None:
            self._sandbox_loop = getattr(self, "loop", None) or asyncio.get_running_loop()
            self._sandbox_transport = CoalescingTransport(transport, self._sandbox_loop)
            self._refused: HeadRefused | None = None
            self._messages_begun = 0
            self._in_head = True
            self._head_started = False  # a byte of the current head has come
            self._head_size = 0  # request line and complete headers, exactly
            self._head_raw = 0  # bytes of later reads that were all head (the open line included)
            self._header_count = 0
            self._head_since = self._sandbox_loop.time()
            # One timer per connection, not per request (arming one per request cost ~9 µs):
            # it checks the head in progress and re-arms itself.
            self._head_timer: asyncio.TimerHandle | None = self._sandbox_loop.call_later(head_timeout, self._check_head)
            super().connection_made(self._sandbox_transport)

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            begun = self._messages_begun
            base_data_received(self, data)
            # A read in which no request began and whose head is still open is head only: it
            # counts whole, which bounds what httptools holds of a header line not yet ended.
            if self._in_head and begun == self._messages_begun and not self._sandbox_transport.is_closing():
                self._head_raw += len(data)
                if self._head_raw > MAX_HEAD:
                    self._answer_and_close(431, f"the request headers are over {MAX_HEAD // 1024} KiB; send less")

        def on_message_begin(self) -> None:
            self._messages_begun += 1
            self._in_head = True
            self._head_started = True
            self._head_size = self._head_raw = self._header_count = 0
            self._head_since = self._sandbox_loop.time()
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._head_size += len(url)
            if self._head_size > MAX_HEADER_LINE:
                raise self._refuse(414, f"the request target is over {MAX_HEADER_LINE // 1024} KiB")
            base_on_url(self, url)

        def on_header(self, name: bytes, value: bytes) -> None:
            line = len(name) + len(value) + 4
            self._head_size += line
            self._header_count += 1
            if line > MAX_HEADER_LINE:
                raise self._refuse(431, f"a header line is over {MAX_HEADER_LINE // 1024} KiB "
                                       f"({name[:40].decode('latin-1')})")
            if self._header_count > MAX_HEADERS:
                raise self._refuse(431, f"more than {MAX_HEADERS} headers")
            if self._head_size > MAX_HEAD:
                raise self._refuse(431, f"the request headers are over {MAX_HEAD // 1024} KiB; send less")
            base_on_header(self, name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_started = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            # The whole body is in the request's cycle: the app reads it without a timer (most
            # requests come in one read, so this is before the app even starts).
            scope = getattr(self, "scope", None)
            if isinstance(scope, dict):
                scope.setdefault("extensions", {})[BODY_ARRIVED] = True

        def send_400_response(self, msg: str) -> None:
            # uvicorn answers every parser error here, a limit raised from a callback included;
            # the others as JSON too, like every other refusal of the sandbox's.
            if self._refused is None:
                self._answer_and_close(400, "the request is not valid HTTP/1.1 (a control character in a header, "
                                            "a malformed request line or chunk?)")
            else:
                self._answer_and_close(self._refused.status, self._refused.detail)

        def _refuse(self, status: int, detail: str) -> HeadRefused:
            self._refused = HeadRefused(status, detail)
            return self._refused

        def _answer_and_close(self, status: int, detail: str) -> None:
            self._cancel_head_timer()
            transport = self._sandbox_transport
            if not transport.is_closing():
                transport.write(refusal(status, detail))
                transport.close()

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _check_head(self) -> None:
            self._head_timer = None
            if self._sandbox_transport.is_closing():
                return
            waited = self._sandbox_loop.time() - self._head_since
            if not self._in_head or waited < head_timeout:
                remaining = head_timeout - waited if self._in_head else head_timeout
                self._head_timer = self._sandbox_loop.call_later(max(remaining, 0.01), self._check_head)
                return
            if self._head_started:
                self._answer_and_close(408, f"the request headers did not arrive within {head_timeout:g} s")
            elif not self._sandbox_transport.is_closing():
                self._sandbox_transport.close()  # connected, never sent a byte: nobody to answer

    return LimitedHttpToolsProtocol
