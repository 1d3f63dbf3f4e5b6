"""Fixtures for tests of a real `apidocs serve` process and the explorer in real Chromium.

A pytest plugin listed in conftest.py's `pytest_plugins`, so test modules request these by name
and import nothing for them:

- `echo`: a local HTTP server in this process that records requests and answers by path;
  it sends no CORS headers, like most real APIs;
- `dead_server`: the URL of a port that is bound but not listening, so connections are refused
  (held for the session, so no other test can take the port meanwhile);
- `serve_project`: a copy of the shipped project whose mkdocs.yml also lists those two servers;
- `served` / `served_proxy`: `apidocs serve --port 0`, without and with `--proxy`;
- `browser` and `page`: Debian's Chromium through Playwright, a fresh context per test.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import copy_project
from serve_helpers import CHROMIUM, CHROMIUM_ARGS, Echo, Served, echo_handler, start_serve, stop_serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def echo() -> Iterator[Echo]:
    record = Echo("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), echo_handler(record))
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def dead_server() -> Iterator[str]:
    with socket.socket() as bound:  # bound, never listening: Linux refuses every connection to it
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


@pytest.fixture(scope="session")
def serve_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo, dead_server: str) -> Path:
    def add_servers(options: dict[str, Any]) -> None:
        options.setdefault("servers", []).extend([{"url": echo.url, "description": "Echo"},
                                                  {"url": dead_server, "description": "Dead"}])

    return copy_project(tmp_path_factory.mktemp("serve-project"), add_servers)


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
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
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
    # A test may name errors its scenario causes outside apidocs' code (`@pytest.mark.page_errors`).
    marker = request.node.get_closest_marker("page_errors")
    expected = tuple(marker.args) if marker else ()
    unexpected = [error for error in errors if not error.startswith(expected)] if expected else errors
    assert not unexpected, f"JavaScript errors on the page: {unexpected}"
