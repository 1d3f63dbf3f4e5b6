"""Attacks on `apidocs serve --proxy`, against a real upstream on 127.0.0.1 (issue 15, item 10).

The configured server has a base path (`<upstream>/api/v1`): the proxy must never reach
anything outside it, keep no cookie, hold no huge answer in memory, and answer only requests
whose Host names this server (DNS rebinding).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import copy_project
from serve_helpers import GROUP, Served, start_serve, stop_serve

pytestmark = pytest.mark.xdist_group(GROUP)

HUGE = 64 * 1024 * 1024  # four times the proxy's cap


@dataclass
class Upstream:
    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [request["path"] for request in self.seen]


def _upstream_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            upstream.seen.append({"path": self.path, "headers": dict(self.headers.items()), "body": body.decode("latin-1")})
            if self.path.startswith("/api/v1/huge-declared"):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(1536 * 1024 * 1024))  # 1.5 GB announced
                self.end_headers()
                self.wfile.write(b"x" * 65536)
                return
            if self.path.startswith("/api/v1/huge"):  # chunked: no size known in advance
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = b"y" * (1024 * 1024)
                try:
                    for _ in range(HUGE // len(piece)):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the proxy hung up past its cap, as it should
                return
            payload = json.dumps(upstream.seen[-1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if self.path.startswith("/api/v1/login"):
                self.send_header("Set-Cookie", "sid=reader-a-session; Path=/")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _upstream_handler(Upstream("")))
    record = Upstream(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _upstream_handler(record)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield record
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory, upstream: Upstream) -> Iterator[Served]:
    project = copy_project(tmp_path_factory.mktemp("proxy-project"), lambda options: options.update(
        servers=[{"url": upstream.url + "/api/v1", "description": "Upstream"}]))
    server = start_serve(project, "--proxy")
    yield server
    stop_serve(server)


def _raw(served: Served, request: bytes) -> bytes:
    """One request over a plain socket (a client library would normalise the target)."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_the_proxy_reaches_the_configured_base_path(proxied: Served, upstream: Upstream) -> None:
    answer = requests.get(proxied.url + "/_apidocs/proxy/orders/?x=1", headers={"X-Apidocs-Server": upstream.url + "/api/v1"},
                          timeout=10)
    assert answer.status_code == 200
    assert answer.json()["path"] == "/api/v1/orders/?x=1"


@pytest.mark.parametrize("target", [
    "/_apidocs/proxy/../secret", "/_apidocs/proxy/../../secret", "/_apidocs/proxy/%2e%2e/secret",
    "/_apidocs/proxy/%2E%2E/%2e%2e/secret", "/_apidocs/proxy/a/..%2f..%2fsecret", "/_apidocs/proxy/.%2e/secret",
    "/_apidocs/proxy/%252e%252e/secret", "/_apidocs/proxy/..%5csecret", "/_apidocs/proxy/a/..\\..\\secret",
    "/_apidocs/proxy/./../secret", "/_apidocs/proxy/a%2f%2e%2e%2f%2e%2e%2fsecret",
])
def test_the_path_cannot_leave_the_base_path(proxied: Served, upstream: Upstream, target: str) -> None:
    before = len(upstream.seen)
    host = proxied.url.removeprefix("http://")
    answer = _raw(proxied, f"GET {target} HTTP/1.1\r\nHost: {host}\r\nX-Apidocs-Server: {upstream.url}/api/v1\r\n"
                           "Connection: close\r\n\r\n".encode())
    assert 400 <= _status(answer) < 500, answer[:300]
    assert all(not path.startswith("/secret") and path.startswith("/api/v1/") for path in upstream.paths()[before:])
    assert len(upstream.seen) == before


def test_no_cookie_is_kept_or_forwarded(proxied: Served, upstream: Upstream) -> None:
    server = {"X-Apidocs-Server": upstream.url + "/api/v1"}
    login = requests.post(proxied.url + "/_apidocs/proxy/login", headers={**server, "Cookie": "docs=reader-a"}, timeout=10)
    assert login.status_code == 200
    assert "set-cookie" not in {name.lower() for name in login.headers}  # the docs origin gets no API cookie
    assert "Cookie" not in login.json()["headers"]  # the reader's cookies stay with the docs origin
    # Another reader, later: nothing of the first one's session rides along.
    other = requests.get(proxied.url + "/_apidocs/proxy/me", headers=server, timeout=10)
    assert other.status_code == 200
    assert "Cookie" not in other.json()["headers"]
    assert "reader-a" not in json.dumps(other.json())


def test_a_huge_answer_is_502_and_never_held_in_memory(proxied: Served, upstream: Upstream) -> None:
    server = {"X-Apidocs-Server": upstream.url + "/api/v1"}
    peak_before = _peak_memory_kib(proxied.process.pid)
    answer = requests.get(proxied.url + "/_apidocs/proxy/huge", headers=server, timeout=60)
    assert answer.status_code == 502
    assert answer.headers["X-Apidocs-Proxy"] == "too large"
    assert "MiB" in answer.json()["detail"]
    announced = requests.get(proxied.url + "/_apidocs/proxy/huge-declared", headers=server, timeout=60)
    assert announced.status_code == 502
    assert announced.headers["X-Apidocs-Proxy"] == "too large"
    grown = _peak_memory_kib(proxied.process.pid) - peak_before
    print(f"peak memory growth for a {HUGE >> 20} MiB answer: {grown} KiB")
    assert grown < 40 * 1024, f"the proxy's peak memory grew by {grown} KiB for a {HUGE >> 20} MiB answer"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "attacker.test:{port}", "127.0.0.1.nip.io:{port}",
                                  "localhost.evil.example", ""])
def test_a_foreign_host_is_refused_on_the_proxy_and_the_sandbox(proxied: Served, upstream: Upstream, host: str) -> None:
    port = proxied.url.rsplit(":", 1)[1]
    host = host.format(port=port)
    before = len(upstream.seen)
    header = f"Host: {host}\r\n" if host else ""
    proxy = _raw(proxied, (f"GET /_apidocs/proxy/orders/ HTTP/1.1\r\n{header}X-Apidocs-Server: {upstream.url}/api/v1\r\n"
                           "Connection: close\r\n\r\n").encode())
    assert _status(proxy) == 403, proxy[:200]
    assert b"x-apidocs-proxy: refused" in proxy.lower()
    assert len(upstream.seen) == before
    sandbox = _raw(proxied, (f"GET /sandbox/timp/orders/ HTTP/1.1\r\n{header}Authorization: Token 1234567890\r\n"
                             "Connection: close\r\n\r\n").encode())
    assert _status(sandbox) == 403, sandbox[:200]
    assert b"is not a name of this server" in sandbox


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "LOCALHOST", "docs.localhost:{port}", "[::1]:{port}"])
def test_local_names_are_accepted(proxied: Served, upstream: Upstream, host: str) -> None:
    host = host.format(port=proxied.url.rsplit(":", 1)[1])
    answer = requests.get(proxied.url + "/_apidocs/proxy/orders/", timeout=10,
                          headers={"Host": host, "X-Apidocs-Server": upstream.url + "/api/v1"})
    assert answer.status_code == 200, answer.text
    sandbox = requests.get(proxied.url + "/sandbox/timp/orders/f7bc1028-844c-44ca-82df-fe76282d2a8b/", timeout=10,
                           headers={"Host": host, "Authorization": "Token 1234567890"})
    assert sandbox.status_code == 200, sandbox.text


def test_a_chunked_request_body_is_forwarded(proxied: Served, upstream: Upstream) -> None:
    answer = requests.post(proxied.url + "/_apidocs/proxy/orders/", data=iter([b'{"a": ', b"1}"]), timeout=10,
                           headers={"X-Apidocs-Server": upstream.url + "/api/v1", "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["body"] == '{"a": 1}'


@pytest.mark.xdist_group(GROUP)
def test_a_relative_server_is_the_serving_sandbox_and_never_a_proxy_target(tmp_path: Path) -> None:
    """A server given as a path (`/api/v1`, what import-openapi writes for a relative server URL):
    under `apidocs serve` the snippets call it on this server's sandbox, which serves the
    operations below it; the proxy forwards to no host for it (it took the port-8000 local
    sandbox as a configured server, another service when one listens there)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Rel\ntheme:\n  name: material\nplugins:\n  - search\n  - apidocs:\n      servers:\n        - url: /api/v1\n"
        "      auth: {header: '', scheme: '', token: x}\n      sandbox_workflow: false\n", encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("# Rel\n", encoding="utf-8")
    (tmp_path / "docs" / "things.md").write_text("---\ntitle: /things\nmethod: get\nname: Things\nresponses:\n"
                                                 "  - {status: 200, body: {n: 1}}\n---\nThe things.\n", encoding="utf-8")
    served = start_serve(tmp_path, "--proxy")
    try:
        page = requests.get(served.url + "/things/", timeout=30).text
        assert page.count(f"{served.url}/sandbox/api/v1/things") >= 4  # each snippet
        assert requests.get(f"{served.url}/sandbox/api/v1/things", timeout=10).json() == {"n": 1}
        for target in ("http://127.0.0.1:8000/sandbox/api/v1", f"{served.url}/api/v1", "/api/v1"):
            answer = requests.get(served.url + "/_apidocs/proxy/things", headers={"X-Apidocs-Server": target}, timeout=10)
            assert answer.status_code == 403, (target, answer.status_code)
    finally:
        stop_serve(served)
