"""A loopback recording relay: the only server a checked snippet talks to.

Each snippet run gets its own base URL, `http://127.0.0.1:PORT/_apidocs/<run>`. The relay strips
that prefix, records the request exactly as it arrived (method, target, headers, body bytes),
forwards it to the real target (the sandbox or `--base-url`), records the response and hands
it back. So the check knows what left each snippet and what came back, whatever the target,
and parallel runs never mix up their requests.

Against the sandbox the relay also adds `X-Apidocs-Sandbox: <secret>:<run>`, which makes the
sandbox serve that run from a private fresh copy of its fixtures, and `X-Apidocs-Route: <path>`,
the operation the run is for (among definitions whose paths differ only in placeholder names).
Against a deployed sandbox (`--base-url`, no secret) it adds `Sandbox-Session: <prefix>-<run>`
instead: a reader's session of the run's own, fresh too.
"""

from __future__ import annotations

import gzip
import http.client
import secrets
import ssl
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from apidocs.model.headers import CHECK_SESSION_HEADER as SANDBOX_SESSION_HEADER
from apidocs.model.headers import READER_SESSION_HEADER
from apidocs.model.paths import ROUTE_HEADER, route_header_value

PREFIX = "/_apidocs/"

# Hop-by-hop headers describe one connection, not the request; they are not forwarded.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
               "host", "content-length", "expect"}
_NO_BODY_STATUSES = {204, 304}


@dataclass
class Exchange:
    """One request a snippet sent and what the target answered."""

    method: str
    target: str  # path and query as on the request line, run prefix removed
    headers: list[tuple[str, str]]
    body: bytes
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    error: str | None = None  # the target could not be reached

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def response_header(self, name: str) -> str | None:
        return next((value for key, value in self.response_headers if key.lower() == name.lower()), None)

    @property
    def response_text(self) -> str:
        """The response body decoded (gzip/deflate undone), for comparison with the docs."""
        data = self.response_body
        encoding = (self.response_header("Content-Encoding") or "").lower()
        try:
            if encoding == "gzip":
                data = gzip.decompress(data)
            elif encoding == "deflate":
                data = zlib.decompress(data)
        except (OSError, zlib.error):
            pass
        return data.decode("utf-8", errors="replace")


class RecordingRelay:
    """Start with `with RecordingRelay(target) as relay:`; `open_run()` → run id → `base_url(run)`."""

    def __init__(self, target_url: str, *, sandbox_secret: str | None = None, reader_sessions: str | None = None,
                 timeout: float = 60.0, host: str = "127.0.0.1") -> None:
        parts = urlsplit(target_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {target_url!r}")
        self.target_url = target_url.rstrip("/")
        self._target = parts
        self._target_host: str = parts.hostname
        self._host = host
        self._sandbox_secret = sandbox_secret
        self._reader_sessions = reader_sessions  # the prefix of each run's `Sandbox-Session`
        self._timeout = timeout
        self._lock = threading.Lock()
        self._runs: dict[str, list[Exchange]] = {}
        self._routes: dict[str, str] = {}  # run → the path template of the operation it is for
        self.strays: list[Exchange] = []  # requests that carried no known run prefix
        self._server = _Server((host, 0), _Handler)
        self._server.relay = self
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> RecordingRelay:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="apidocs-relay", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RecordingRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    # --- runs ----------------------------------------------------------------------------------

    def open_run(self, route: str | None = None) -> str:
        """A new run; `route` is the path template of the operation it checks (for the sandbox)."""
        run = secrets.token_hex(8)
        with self._lock:
            self._runs[run] = []
            if route is not None:
                self._routes[run] = route
        return run

    def base_url(self, run: str) -> str:
        return f"{self.url}{PREFIX}{run}"

    def take(self, run: str) -> list[Exchange]:
        """The exchanges recorded for `run`, in arrival order; the run is closed."""
        with self._lock:
            self._routes.pop(run, None)
            return self._runs.pop(run, [])

    def record(self, run: str | None, exchange: Exchange) -> None:
        with self._lock:
            if run is not None and run in self._runs:
                self._runs[run].append(exchange)
            else:
                self.strays.append(exchange)

    def is_open(self, run: str) -> bool:
        with self._lock:
            return run in self._runs

    # --- forwarding ----------------------------------------------------------------------------

    def forward(self, run: str, exchange: Exchange) -> None:
        """Send `exchange` on to the target and fill in its response (or its error)."""
        target = self._target
        port = target.port or (443 if target.scheme == "https" else 80)
        if target.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._target_host, port, timeout=self._timeout, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._target_host, port, timeout=self._timeout)
        try:
            connection.putrequest(exchange.method, target.path.rstrip("/") + exchange.target,
                                  skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", target.netloc)
            ours = {SANDBOX_SESSION_HEADER.lower(), ROUTE_HEADER.lower()} if self._sandbox_secret else set()
            if self._reader_sessions:
                ours.add(READER_SESSION_HEADER.lower())
            for name, value in exchange.headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() not in ours:
                    connection.putheader(name, value)
            if self._reader_sessions:
                connection.putheader(READER_SESSION_HEADER, f"{self._reader_sessions}-{run}")
            if self._sandbox_secret:
                connection.putheader(SANDBOX_SESSION_HEADER, f"{self._sandbox_secret}:{run}")
                with self._lock:
                    route = self._routes.get(run)
                if route is not None:
                    connection.putheader(ROUTE_HEADER, route_header_value(route))
            if exchange.body or exchange.header_values("Content-Length") or exchange.header_values("Transfer-Encoding"):
                connection.putheader("Content-Length", str(len(exchange.body)))
            connection.endheaders(exchange.body or None)
            response = connection.getresponse()
            exchange.response_body = response.read()
            exchange.status, exchange.reason = response.status, response.reason
            exchange.response_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        except (OSError, http.client.HTTPException) as error:
            exchange.error = f"relay could not reach {self.target_url}: {error}"
        finally:
            connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of parallel snippets must not be refused
    relay: RecordingRelay


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every method (GET, PATCH, PROPFIND, …) is relayed the same way.
        if name.startswith("do_"):
            return self._relay
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the check reports what matters; per-request logging would drown it

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _relay(self) -> None:
        relay = self.server.relay
        exchange = Exchange(self.command, self.path, list(self.headers.items()), self._read_body())
        run, rest = _split_run(self.path)
        if run is None or not relay.is_open(run):
            exchange.status, exchange.error = 404, "no open check run in the path"
            relay.record(None, exchange)
            self._answer(404, "Not Found", [("Content-Type", "text/plain")],
                         b"apidocs check relay: this request does not belong to a running snippet\n")
            return
        exchange.target = rest
        relay.forward(run, exchange)
        relay.record(run, exchange)  # recorded before answering, so the run's exit sees it
        if exchange.error:
            self._answer(502, "Bad Gateway", [("Content-Type", "text/plain")], (exchange.error + "\n").encode())
        else:
            self._answer(exchange.status or 502, exchange.reason, exchange.response_headers, exchange.response_body)

    def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        has_body = self.command != "HEAD" and status not in _NO_BODY_STATUSES and status >= 200
        if has_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if has_body:
            self.wfile.write(body)
        self.wfile.flush()


def _split_run(target: str) -> tuple[str | None, str]:
    """`/_apidocs/<run>/a/b?x=1` → (`<run>`, `/a/b?x=1`)."""
    if not target.startswith(PREFIX):
        return None, target
    rest = target[len(PREFIX):]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    run, remainder = rest[:cut], rest[cut:]
    if not remainder.startswith("/"):
        remainder = "/" + remainder
    return run, remainder
