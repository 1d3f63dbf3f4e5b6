"""The sandbox's request limits (`apidocs.sandbox.limits`) on `apidocs serve`'s threaded WSGI server.

The standard library's server reads a request head with no time limit and lines of up to 64 KiB
(6.4 MB in all), and reads a body with no time limit and never chunked. Here:

- `HeadReader` stands in for the connection's input while the head is read: lines, total and
  time bounded as under `apidocs sandbox` (the server answers 414/431/408);
- `read_body` reads a body by Content-Length or chunked, bounded in size (413) and in time (408),
  for the sandbox mount and the proxy.
"""

from __future__ import annotations

import http.client
import socket
import time
from typing import Any, BinaryIO

from apidocs.sandbox.limits import BODY_DEADLINE, BODY_IDLE_TIMEOUT, HEAD_TIMEOUT, MAX_HEAD, MAX_HEADER_LINE

CONNECTION_KEY = "apidocs.connection"  # environ: the client socket, for the body's timeouts
HEADER_LIST_KEY = "apidocs.header_list"  # environ: the headers as sent, repeated ones included


class HeadReader:
    """`readline()` for the request line and headers, within `MAX_HEADER_LINE` per line,
    `MAX_HEAD` in all and `HEAD_TIMEOUT` seconds from the first call; LineTooLong or
    TimeoutError past them (the standard library's request handler answers LineTooLong 431)."""

    def __init__(self, stream: Any, connection: socket.socket, timeout: float = HEAD_TIMEOUT) -> None:
        self.stream = stream
        self.connection = connection
        self.deadline = time.monotonic() + timeout
        self.total = 0
        self.received = False

    def readline(self, limit: int = -1) -> bytes:
        line = bytearray()
        while len(line) <= MAX_HEADER_LINE:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("request head")
            self.connection.settimeout(left)
            available = self.stream.peek(1)  # at most one read from the socket
            if not available:
                break
            self.received = True
            end = available.find(b"\n")
            want = len(available) if end < 0 else end + 1
            line += self.stream.read(min(want, MAX_HEADER_LINE + 1 - len(line)))
            if line.endswith(b"\n"):
                break
        self.total += len(line)
        if len(line) > MAX_HEADER_LINE:
            raise http.client.LineTooLong(f"a header line is over {MAX_HEADER_LINE // 1024} KiB")
        if self.total > MAX_HEAD:
            raise http.client.LineTooLong(f"the request headers are over {MAX_HEAD // 1024} KiB")
        return bytes(line)


class BodyRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, f"the request body is over {limit // 1024} KiB ({limit} bytes); send less")


class _BodyStream:
    """Reads of the request body, each bounded by the idle timeout and all by the deadline."""

    def __init__(self, environ: dict[str, Any], idle_timeout: float, deadline: float) -> None:
        self.stream: BinaryIO = environ["wsgi.input"]
        self.connection: socket.socket | None = environ.get(CONNECTION_KEY)
        self.idle_timeout = idle_timeout
        self.deadline_seconds = deadline
        self.give_up = time.monotonic() + deadline
        self.size = 0

    def read(self, count: int) -> bytes:
        """Up to `count` bytes (fewer when fewer are there), b"" at the end of the stream."""
        left = self.give_up - time.monotonic()
        if left <= 0:
            raise BodyRefused(408, f"the request body did not all arrive within {self.deadline_seconds:g} s "
                                   f"({self.size} bytes came)")
        if self.connection is not None:
            self.connection.settimeout(min(self.idle_timeout, left))
        try:
            reader = getattr(self.stream, "read1", self.stream.read)
            data: bytes = reader(count)
        except (TimeoutError, OSError):
            if time.monotonic() >= self.give_up:
                raise BodyRefused(408, f"the request body did not all arrive within {self.deadline_seconds:g} s "
                                       f"({self.size} bytes came)") from None
            raise BodyRefused(408, f"the request body stopped arriving ({self.size} bytes came, then nothing "
                                   f"for {self.idle_timeout:g} s)") from None
        self.size += len(data)
        return data

    def exactly(self, count: int) -> bytes:
        parts = []
        while count > 0:
            data = self.read(count)
            if not data:
                raise BodyRefused(400, f"the request body ended early ({self.size} bytes came)")
            parts.append(data)
            count -= len(data)
        return b"".join(parts)

    def line(self, limit: int = 1024) -> bytes:
        """A chunked-encoding line (size or trailer), CRLF removed."""
        line = b""
        while not line.endswith(b"\n"):
            if len(line) > limit:
                raise BodyRefused(400, "a chunk-size line of the request body is too long")
            line += self.exactly(1)
        return line.rstrip(b"\r\n")


def is_chunked(environ: dict[str, Any]) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def read_body(environ: dict[str, Any], limit: int, idle_timeout: float = BODY_IDLE_TIMEOUT,
              deadline: float = BODY_DEADLINE) -> bytes:
    """The whole request body, by Content-Length or chunked; BodyRefused past the limits."""
    stream = _BodyStream(environ, idle_timeout, deadline)
    if is_chunked(environ):
        return _read_chunked(stream, limit)
    raw_length = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not raw_length.isdigit():
        raise BodyRefused(400, f"Content-Length {raw_length!r} is not a number of bytes")
    length = int(raw_length)
    if length > limit:
        raise too_large(limit)
    return stream.exactly(length) if length else b""


def _read_chunked(stream: _BodyStream, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        size_field = stream.line().split(b";", 1)[0].strip()
        if not size_field or size_field.strip(b"0123456789abcdefABCDEF"):
            raise BodyRefused(400, f"a chunk size of the request body is not a hex number: {size_field[:20]!r}")
        chunk_size = int(size_field, 16)
        if chunk_size == 0:
            break
        size += chunk_size
        if size > limit:
            raise too_large(limit)
        parts.append(stream.exactly(chunk_size))
        if stream.exactly(2) != b"\r\n":
            raise BodyRefused(400, "a chunk of the request body is longer than its size says")
    trailers = 0
    while stream.line():  # trailers: read and dropped, bounded like headers
        trailers += 1
        if trailers > 100:
            raise BodyRefused(431, "more than 100 trailer lines")
    return b"".join(parts)
