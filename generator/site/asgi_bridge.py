"""Call an ASGI app (the sandbox) from a threaded WSGI server (MkDocs' live-reload server).

`apidocs serve` reuses MkDocs' own live-reload server, which speaks WSGI, and mounts the
sandbox, which speaks ASGI, on the same origin. Every request is handed to one private event
loop on its own thread, so the sandbox still runs on a single loop as it does under uvicorn
(its read-check-write steps rely on that). Responses are buffered: sandbox answers are small.
Request bodies are read here within the sandbox's limits (Content-Length or chunked, 413/408/400),
and the headers reach the app as sent (a repeated header stays two, as under uvicorn).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote
from wsgiref.util import is_hop_by_hop

from starlette.types import ASGIApp, Message

from apidocs.sandbox.limits import MAX_BODY
from apidocs.site.request_limits import HEADER_LIST_KEY, BodyRefused, is_chunked, read_body

StartResponse = Callable[..., Any]
TIMEOUT = 60.0


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _request_headers(environ: dict[str, Any], body: bytes) -> list[tuple[bytes, bytes]]:
    """The headers as ASGI wants them; a chunked body, read whole, now has a Content-Length."""
    chunked = is_chunked(environ)
    sent: list[tuple[str, str]] | None = environ.get(HEADER_LIST_KEY)
    if sent is None:  # another WSGI server: from the environ (repeated headers come joined)
        sent = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                sent.append((key[5:].replace("_", "-"), str(value)))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                sent.append((key.replace("_", "-"), str(value)))
    headers = []
    for name, value in sent:
        lower = name.lower()
        if chunked and lower in ("transfer-encoding", "content-length"):
            continue
        headers.append((lower.encode("latin-1"), value.encode("latin-1")))
    if chunked:
        headers.append((b"content-length", str(len(body)).encode()))
    return headers


class AsgiBridge:
    """A WSGI app running `app` below `mount` (e.g. `/sandbox`) on a private event loop."""

    def __init__(self, app: ASGIApp, mount: str) -> None:
        self.app = app
        self.mount = mount.rstrip("/")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="apidocs-sandbox-loop", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = read_body(environ, MAX_BODY)
        except BodyRefused as refused:
            return self._plain(start_response, refused.status, refused.detail)
        # The raw target keeps `%2F` and friends as sent (MkDocs' server only gives a decoded path).
        raw_target = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        raw_path = raw_target.split("?", 1)[0].encode("latin-1")
        server_port = int(environ.get("SERVER_PORT") or 0)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").split("/")[-1],
            "method": environ["REQUEST_METHOD"].upper(),
            "scheme": environ.get("wsgi.url_scheme", "http"),
            "path": unquote(raw_path.decode("latin-1"), errors="replace"),
            "raw_path": raw_path,
            "root_path": self.mount,
            "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
            "headers": _request_headers(environ, body),
            "client": (environ.get("REMOTE_ADDR", ""), int(environ.get("REMOTE_PORT") or 0)),
            "server": (environ.get("SERVER_NAME", ""), server_port),
        }
        future = asyncio.run_coroutine_threadsafe(self._call(scope, body), self.loop)
        try:
            status, headers, content = future.result(timeout=TIMEOUT)
        except TimeoutError:
            future.cancel()
            return self._plain(start_response, 504, "the sandbox did not answer in time")
        start_response(f"{status} {reason(status)}", headers)
        return [content]

    async def _call(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        sent_body = False
        done = asyncio.Event()
        status = 500
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        content = b"".join(chunks)
        # WSGI servers manage the connection themselves and refuse hop-by-hop headers.
        headers = [(k, v) for k, v in headers if not is_hop_by_hop(k) and k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(content))))
        return status, headers, content

    @staticmethod
    def _plain(start_response: StartResponse, status: int, message: str) -> Iterable[bytes]:
        content = json.dumps({"detail": message}).encode()
        start_response(f"{status} {reason(status)}", [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*"),
                                                       ("Content-Length", str(len(content)))])
        return [content]
