"""Helpers for tests that need a real `apidocs serve` process (and, for some, real Chromium).

The fixtures built on these live in `fixtures_serve.py` (a plugin listed in conftest.py), so test
modules import only names from here. Tests using them belong to the xdist group `apidocs-serve`,
so one worker starts the processes and the browser once per run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from apidocs.rendering.languages import load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet

ROOT = Path(__file__).resolve().parent.parent
APIDOCS = str(Path(sys.executable).parent / "apidocs")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
GROUP = "apidocs-serve"
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@dataclass
class Echo:
    """A server standing in for a configured API: it records what reached it."""

    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


def echo_handler(echo: Echo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            # `body` as UTF-8 text; `hex` the bytes as they came (a file's, which text cannot hold).
            record = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                      "body": raw.decode("utf-8", "replace"), "hex": raw.hex()}
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


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


BANNER = re.compile(rb"^apidocs: docs on (http://\S+?)/? ", re.MULTILINE)


def start_serve(project: Path, *extra: str, timeout: float = 90.0, env: dict[str, str] | None = None) -> Served:
    """`apidocs serve --port 0`: the system picks a free port, the banner tells which; wait until it answers."""
    log = project / f"serve-{uuid.uuid4().hex}.log"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen([APIDOCS, "-f", str(project / "mkdocs.yml"), "serve", "--port", "0", *extra],
                                   cwd=project, stdout=out, stderr=subprocess.STDOUT, env=env)
    served = Served("", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"apidocs serve exited with {process.returncode}:\n{served.output()}")
        if not served.url:
            banner = BANNER.search(log.read_bytes())
            served.url = banner.group(1).decode() if banner else ""
        if served.url:
            try:
                if requests.get(served.url + "/", timeout=2).status_code == 200:
                    return served
            except requests.RequestException:
                pass
        time.sleep(0.2)  # polling for the server to come up, bounded by the deadline
    stop_serve(served)
    raise AssertionError(f"apidocs serve did not come up in {timeout} s:\n{served.output()}")


def stop_serve(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


def endpoint_of(project: Path, slug: str) -> Endpoint:
    """The definition `docs/<slug>.md` of a project, as the build reads it."""
    settings = load_settings(project / "mkdocs.yml")
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    document = tree.documents[f"{slug}.md"]
    assert isinstance(document, Endpoint)
    return document


def expected_snippets(project: Path, endpoint: Endpoint, base_url: str) -> list[str]:
    """What the server renders for this request, tab by tab, as the page shows it."""
    settings = load_settings(project / "mkdocs.yml")
    request = build_request(endpoint, settings.auth, base_url)
    return [render_snippet(settings.snippets_dir, language, request).rstrip() for language in load_languages(settings.snippets_dir)]


def status(page: Page) -> Any:
    """The explorer panel's status line."""
    return page.locator("[data-apidocs-explorer]").get_by_role("status")


def send(page: Page) -> None:
    page.get_by_role("button", name="Send", exact=True).click()


def tab_texts(page: Page) -> list[str]:
    codes = page.locator(".apidocs-aside .tabbed-set").first.locator(":scope > .tabbed-content > .tabbed-block pre > code")
    return [text.rstrip() for text in codes.all_text_contents()]


def expect_tabs(page: Page, expected: list[str], timeout: float = 10.0) -> None:
    """The snippet tabs come to read `expected`: the explorer re-renders after an input event, so poll."""
    deadline = time.monotonic() + timeout
    while (texts := tab_texts(page)) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert texts == expected


def in_chromium(test: Any) -> Any:
    """The marks of a test driving Chromium against `apidocs serve` (in a module whose other
    tests need neither)."""
    return pytest.mark.browser(pytest.mark.xdist_group(GROUP)(test))


def pick_echo(page: Page) -> None:
    """The Echo server among the panel's (through the proxy of `apidocs serve --proxy`)."""
    server = page.get_by_label("Server", exact=True)
    labels = server.locator("option").all_text_contents()
    server.select_option(index=next(index for index, label in enumerate(labels) if label.startswith("Echo — ")))


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core (npm, tests/package.json) finds on the page."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `cd tests && npm ci` (make test does)")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    # Colours are measured as a reader sees them once finite transitions end: caught mid-fade,
    # search results' highlights read 4.39:1 where their own colour gives over 4.5:1.
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter(animation => animation.effect && animation.effect.getTiming().iterations !== Infinity)
        .map(animation => animation.finished.catch(() => null)))""")
    result = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').slice(0, 300))})))""")
    return [v for v in result if v["impact"] in ("serious", "critical")]
