"""Fixtures for tests that need a real `apidocs serve` process (and, for some, real Chromium).

Import the fixtures you use into the test module. Tests using them belong to the xdist group
`apidocs-serve`, so one worker starts the processes and the browser once per run.

- `echo`: a local HTTP server in this process that records requests and answers by path;
  it sends no CORS headers, like most real APIs;
- `serve_project`: a copy of the shipped project whose mkdocs.yml also lists the echo server
  and a server where nothing listens;
- `served` / `served_proxy`: `apidocs serve` on free ports, without and with `--proxy`;
- `browser` and `page`: Debian's Chromium through Playwright, a fresh context per test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
APIDOCS = str(Path(sys.executable).parent / "apidocs")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
GROUP = "apidocs-serve"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Echo:
    """A server standing in for a configured API: it records what reached it."""

    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


def _echo_handler(echo: Echo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            record = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
            echo.seen.append(record)
            if "/slow/" in self.path:
                time.sleep(3)  # longer than the explorer waits once the test fast-forwards its clock
            if "/html/" in self.path:
                payload, kind = HOSTILE.encode(), "text/html"
            elif "/big/" in self.path:
                payload, kind = json.dumps({"rows": ["x" * 100] * 3000}).encode(), "application/json"
            else:
                payload, kind = json.dumps(record).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close, X-Hop")  # hop-by-hop: the proxy must drop these
            self.send_header("X-Hop", "drop me")
            self.send_header("X-Echo", "kept")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def echo() -> Iterator[Echo]:
    port = free_port()
    record = Echo(f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _echo_handler(record))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def dead_server() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture(scope="session")
def serve_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo, dead_server: str) -> Path:
    project = tmp_path_factory.mktemp("serve-project")
    for name in ("docs", "includes", "snippets"):
        shutil.copytree(ROOT / name, project / name)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "apidocs" in plugin:
            servers = plugin["apidocs"].setdefault("servers", [])
            servers += [{"url": echo.url, "description": "Echo"}, {"url": dead_server, "description": "Dead"}]
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return project


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_serve(project: Path, *extra: str, timeout: float = 90.0, env: dict[str, str] | None = None) -> Served:
    port = free_port()
    log = project / f"serve-{port}.log"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen([APIDOCS, "-f", str(project / "mkdocs.yml"), "serve", "--port", str(port), *extra],
                                   cwd=project, stdout=out, stderr=subprocess.STDOUT, env=env)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"apidocs serve exited with {process.returncode}:\n{served.output()}")
        try:
            if requests.get(served.url + "/", timeout=2).status_code == 200:
                return served
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_serve(served)
    raise AssertionError(f"apidocs serve did not come up in {timeout} s:\n{served.output()}")


def stop_serve(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


@pytest.fixture(scope="session")
def served(serve_project: Path) -> Iterator[Served]:
    server = start_serve(serve_project)
    yield server
    stop_serve(server)


@pytest.fixture(scope="session")
def served_proxy(serve_project: Path) -> Iterator[Served]:
    server = start_serve(serve_project, "--proxy")
    yield server
    stop_serve(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    # Material asks Google for its fonts; there is no network here, so answer at once.
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    context.route("https://fonts.gstatic.com/**", lambda route: route.abort())
    tab = context.new_page()
    tab.set_default_timeout(15000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
