"""The published shape of writers/publishing.md, run locally, with the explorer in real Chromium.

The static site (`apidocs build` with `public_sandbox` naming the sandbox) is served by a plain
HTTP server on one port; `apidocs sandbox` runs on another with PostgreSQL, two workers and
`--cors-origin` set to the site's origin. The explorer calls the sandbox across origins, each
reader in their own `Sandbox-Session`; another origin gets no CORS grant.
"""

from __future__ import annotations

import html
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from conftest import copy_project
from postgres_helpers import postgres_bin, postgres_server
from sandbox_helpers import CONFIRM_SEED, SUPPLIER, RunningSandbox, start_sandbox
from serve_helpers import APIDOCS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed (apt-get install postgresql)"),
    pytest.mark.xdist_group("postgres"),
]

CONFIRM = "orders-supplier/confirm-order-cancelation"
SESSION = re.compile(r"^reader-[A-Za-z0-9]{20}$")
SESSION_KEY = "apidocs.explorer.sandbox-session"


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _file_server(folder: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Deployment:
    site: str  # the docs' origin
    foreign_site: str  # the same files on another origin, which the sandbox does not grant
    sandbox: RunningSandbox


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("published")
    site = folder / "site"
    site.mkdir()
    # The site's port first: the sandbox must know the origin it grants before the site names it.
    docs_host, foreign_host = _file_server(site), _file_server(site)
    origin = f"http://127.0.0.1:{docs_host.server_address[1]}"
    try:
        with postgres_server() as postgres:
            sandbox = start_sandbox(None, "--database", postgres.create_database(), "--workers", "2",
                                    "--cors-origin", origin, timeout=60)
            try:
                copy_project(folder, lambda options: options.update(public_sandbox=sandbox.url))
                subprocess.run([APIDOCS, "-f", str(folder / "mkdocs.yml"), "build", "-d", str(site)], check=True,
                               capture_output=True, timeout=180)
                yield Deployment(origin, f"http://127.0.0.1:{foreign_host.server_address[1]}", sandbox)
            finally:
                sandbox.stop()
    finally:
        for server in (docs_host, foreign_host):
            server.shutdown()
            server.server_close()


@pytest.fixture
def readers(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Two readers: two browser contexts, sharing nothing (no storage, no memory)."""
    contexts = [browser.new_context() for _ in range(2)]
    errors: list[str] = []
    for context in contexts:
        context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
        context.route("https://fonts.gstatic.com/**", lambda route: route.abort())
        context.on("page", lambda tab: tab.on("pageerror", lambda error: errors.append(str(error))))
    yield contexts
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_confirm(context: BrowserContext, base: str) -> Page:
    tab = context.new_page()
    tab.set_default_timeout(15000)
    tab.goto(f"{base}/{CONFIRM}/")
    tab.locator("[data-apidocs-explorer][data-ready]").wait_for()
    return tab


def send_and_wait(tab: Page, code: str) -> None:
    from playwright.sync_api import expect

    tab.get_by_role("button", name="Send", exact=True).click()
    expect(tab.locator("[data-apidocs-explorer]").get_by_role("status")).to_have_text(re.compile(f"^{code}"))


def session_of(tab: Page) -> str:
    shown = tab.locator(".apidocs-explorer-session code").text_content() or ""
    assert SESSION.match(shown), shown
    return shown


def curl_tab(tab: Page) -> str:
    return tab.locator(".apidocs-aside .tabbed-set").first.locator(
        ":scope > .tabbed-content > .tabbed-block pre > code").first.text_content() or ""


def test_the_sandbox_is_picked_and_each_reader_has_a_session(readers: list[BrowserContext], deployment: Deployment) -> None:
    tabs = [open_confirm(context, deployment.site) for context in readers]
    options = tabs[0].get_by_label("Server", exact=True).locator("option").all_text_contents()
    assert options[0] == f"Public sandbox — {deployment.sandbox.url}"
    sessions = [session_of(tab) for tab in tabs]
    assert sessions[0] != sessions[1]


def test_two_readers_confirm_the_same_order_across_origins_and_both_get_200(readers: list[BrowserContext],
                                                                              deployment: Deployment) -> None:
    tabs = [open_confirm(context, deployment.site) for context in readers]
    sent: list[dict[str, str]] = []
    for tab in tabs:
        tab.on("request", lambda request: sent.append({"url": request.url, **request.headers})
               if request.method == "PATCH" else None)
    for tab in tabs:
        send_and_wait(tab, "200 OK")
    send_and_wait(tabs[0], "422")  # each reader's own order is confirmed now, in their own session
    assert {entry["url"].split("/timp/")[0] for entry in sent} == {deployment.sandbox.url}  # the other origin
    assert {entry["sandbox-session"] for entry in sent} == {session_of(tab) for tab in tabs}
    # The shared default state was never touched by either reader.
    untouched = requests.get(f"{deployment.sandbox.url}/timp/orders/{CONFIRM_SEED}/",
                             headers={"Authorization": f"Token {SUPPLIER}"}, timeout=10).json()
    assert untouched["cancelation"]["status"] == "requested"


def test_the_snippet_shown_acts_on_the_readers_own_data(readers: list[BrowserContext], deployment: Deployment) -> None:
    tab = open_confirm(readers[0], deployment.site)
    session = session_of(tab)
    snippet = curl_tab(tab)
    assert f"-H 'Sandbox-Session: {session}'" in snippet, snippet
    assert snippet.startswith(f"curl -i -X PATCH '{deployment.sandbox.url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/'")
    # Every tab carries the reader's session, not only curl.
    codes = tab.locator(".apidocs-aside .tabbed-set").first.locator(":scope > .tabbed-content > .tabbed-block pre > code")
    assert all(session in text for text in codes.all_text_contents())
    # The copied curl, run by a real curl: it confirms the order of this reader's session...
    copied = subprocess.run(["sh", "-c", snippet], capture_output=True, text=True, timeout=30)
    assert copied.stdout.startswith("HTTP/1.1 200"), copied.stdout + copied.stderr
    echoed = [line.split(":", 1)[1].strip() for line in copied.stdout.splitlines()
              if line.lower().startswith("sandbox-session:")]
    assert echoed == [session]
    # ...which the reader's page then sees as already confirmed.
    send_and_wait(tab, "422")
    # A server that is not the sandbox gets the page's own snippets, without the session.
    tab.get_by_label("Server", exact=True).select_option(label="Development — https://api-dev.cruxconnect.com")
    tab.wait_for_function("() => !document.querySelector('.apidocs-aside pre > code').textContent.includes('Sandbox-Session')")
    assert curl_tab(tab).startswith("curl -i -X PATCH 'https://api-dev.cruxconnect.com/")
    assert tab.locator(".apidocs-explorer-session").is_hidden()


def test_reset_brings_the_readers_order_back(readers: list[BrowserContext], deployment: Deployment) -> None:
    from playwright.sync_api import expect

    tab = open_confirm(readers[0], deployment.site)
    other = open_confirm(readers[1], deployment.site)
    send_and_wait(tab, "200 OK")
    send_and_wait(other, "200 OK")
    send_and_wait(tab, "422")
    tab.get_by_role("button", name="Reset my sandbox data").click()
    expect(tab.locator("[data-apidocs-explorer]").get_by_role("status")).to_have_text(
        "Your sandbox data is back to the fixtures.")
    assert session_of(tab) in (tab.locator(".apidocs-explorer-detail").text_content() or "")
    expect(tab.locator(".apidocs-explorer-response")).to_be_hidden()  # the 422 before the reset is not shown under it
    send_and_wait(tab, "200 OK")
    send_and_wait(other, "422")  # the other reader's session was not reset


def test_the_session_is_kept_with_the_tab_and_on_the_device_only_with_remember(readers: list[BrowserContext],
                                                                               deployment: Deployment) -> None:
    """The site is built without `site_url` (Material's instant navigation off): every page is
    loaded whole, and the reader's data must still follow them from page to page in the tab."""
    tab = open_confirm(readers[0], deployment.site)
    first = session_of(tab)
    send_and_wait(tab, "200")  # this reader confirms the order
    assert tab.evaluate(f"() => localStorage.getItem({SESSION_KEY!r})") is None
    tab.reload()
    tab.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert session_of(tab) == first
    send_and_wait(tab, "422")  # their own confirm is still there: already confirmed
    tab.goto(f"{deployment.site}/{CONFIRM.replace('confirm', 'reject')}/")
    tab.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert session_of(tab) == first
    other_tab = open_confirm(readers[0], deployment.site)  # without consent, a new tab is a new reader
    second = session_of(other_tab)
    assert second != first
    other_tab.get_by_label("Remember on this device").check()
    assert other_tab.evaluate(f"() => localStorage.getItem({SESSION_KEY!r})") == second
    assert session_of(open_confirm(readers[0], deployment.site)) == second
    other_tab.get_by_label("Remember on this device").uncheck()
    assert other_tab.evaluate(f"() => localStorage.getItem({SESSION_KEY!r})") is None
    assert session_of(open_confirm(readers[0], deployment.site)) not in (first, second)


def test_another_origin_gets_no_cors_grant(readers: list[BrowserContext], deployment: Deployment) -> None:
    from playwright.sync_api import expect

    granted = requests.get(f"{deployment.sandbox.url}/timp/orders/{CONFIRM_SEED}/", timeout=10,
                           headers={"Authorization": f"Token {SUPPLIER}", "Origin": deployment.site})
    assert granted.headers.get("access-control-allow-origin") == deployment.site
    foreign = requests.get(f"{deployment.sandbox.url}/timp/orders/{CONFIRM_SEED}/", timeout=10,
                           headers={"Authorization": f"Token {SUPPLIER}", "Origin": deployment.foreign_site})
    assert "access-control-allow-origin" not in foreign.headers
    # The same page from another origin: the browser withholds the sandbox's answer.
    tab = open_confirm(readers[0], deployment.foreign_site)
    tab.get_by_role("button", name="Send", exact=True).click()
    expect(tab.locator("[data-apidocs-explorer]").get_by_role("status")).to_have_text(re.compile(r"^Blocked by CORS"))
    # The fix that applies to a deployed sandbox, not the docs server's proxy.
    expect(tab.locator(".apidocs-explorer-detail")).to_have_text(
        f"Fix: start that sandbox with `--cors-origin {deployment.foreign_site}` (it allows only the origins it is given).")


def test_static_snippets_in_the_page_stay_without_a_session(deployment: Deployment) -> None:
    page = requests.get(f"{deployment.site}/{CONFIRM}/", timeout=10).text
    outside_the_panel = re.sub(r'<section class="apidocs-explorer".*?</section>', "", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", outside_the_panel))
    assert f"curl -i -X PATCH 'https://api-dev.cruxconnect.com/timp/orders/cancel/{CONFIRM_SEED}/confirm/'" in text
    assert "Sandbox-Session" not in text
