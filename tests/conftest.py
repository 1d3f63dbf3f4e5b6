"""Fixtures shared by the whole suite: the shipped project and throwaway copies of it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Everything the tests read lives in the repository (see tests/fixtures/README.md for licences).
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = FIXTURES / "seeds"
SAMPLE = FIXTURES / "crux-docs-sample"
PYTHON = sys.executable


def copy_project(folder: Path, change_options: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A copy of the shipped project (mkdocs.yml, docs/, includes/, snippets/) in `folder`;
    `change_options` may edit its `apidocs` plugin options first."""
    for name in ("docs", "includes", "snippets"):
        shutil.copytree(ROOT / name, folder / name)
    if change_options is None:
        shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
        return folder
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "apidocs" in plugin:
            change_options(plugin["apidocs"])
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the shipped project (mkdocs.yml, docs/, includes/, snippets/)."""
    return copy_project(tmp_path)


# --- An echo server over real loopback HTTP (used by the check's tests) ---------------------------

def _echo_handler() -> type:
    import json
    from http.server import BaseHTTPRequestHandler

    class Echo(BaseHTTPRequestHandler):
        """Answers every request 200 with a JSON description of exactly what it received."""

        protocol_version = "HTTP/1.1"

        def __getattr__(self, name: str):  # every method, including PATCH and OPTIONS
            if name.startswith("do_"):
                return self._echo
            raise AttributeError(name)

        def log_message(self, *args: object) -> None:
            pass

        def _echo(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = json.dumps({"method": self.command, "target": self.path, "headers": self.headers.items(),
                                "body": body.decode("utf-8", "replace")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply)

    return Echo


@pytest.fixture(scope="session")
def echo_server():
    """Base URL of an HTTP echo server (JSON: method, target, headers, body), for this test session."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory):
    """One `apidocs sandbox` process per test worker, with per-session private state on."""
    from sandbox_helpers import start_sandbox

    server = start_sandbox(tmp_path_factory.mktemp("sandbox") / "state.sqlite3", secret="test-secret")
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """A client of a fresh sandbox (its own session on the shared server): fixtures as shipped."""
    return sandbox_server.session()


# Fixtures of `apidocs serve` and Chromium, registered here so test modules request them by name.
pytest_plugins = ["fixtures_serve"]
