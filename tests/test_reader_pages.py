"""Endpoint pages as a reader meets them, in real Chromium against a real `apidocs serve`:
responses by status with their field trees, anchors, the request column at 1024 and 390 px,
the token's origin, the result of a Send; and the writer's loop (a new endpoint answers in Try it
without a restart, a definition error is shown as text)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from conftest import copy_project
from serve_helpers import APIDOCS, GROUP, ROOT, Served, start_serve, stop_serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(GROUP)]

CONFIRM = "orders-supplier/confirm-order-cancelation"
CANCEL = "orders-retailer/cancel-order"
RETAILER_TOKEN = "0987654321"


def open_page(page: Page, base: str, slug: str) -> None:
    page.goto(f"{base}/{slug}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()


def endpoints() -> list[Endpoint]:
    settings = load_settings(ROOT / "mkdocs.yml")
    return load_tree(settings.docs_dir, settings.includes_dir, settings.site).endpoints


def status(page: Page) -> Any:
    return page.locator("[data-apidocs-explorer]").get_by_role("status")


def send(page: Page) -> None:
    page.get_by_role("button", name="Send", exact=True).click()


# --- Responses by status, field trees, anchors ------------------------------------------------------

@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: e.src_uri)
def test_every_endpoint_has_a_tab_per_status_and_a_field_tree(page: Page, served: Served, endpoint: Endpoint) -> None:
    open_page(page, served.url, endpoint.src_uri.removesuffix(".md"))
    statuses = sorted({r.status for r in endpoint.responses}, key=lambda s: (s != endpoint.expected_status, s))
    section = page.locator(".apidocs-main .apidocs-responses")
    labels = section.locator(":scope > .apidocs-tab-labels > label")
    expect(labels).to_have_count(len(statuses))
    assert [text.split()[0] for text in labels.all_text_contents()] == [str(s) for s in statuses]
    first = section.locator(".apidocs-tab-panel").first
    expect(first).to_be_visible()
    expect(first).to_have_attribute("id", f"response-{statuses[0]}")
    success = endpoint.success_response
    if success is not None and isinstance(success.body, dict) and success.body:
        names = first.locator(":scope > .apidocs-fields > .apidocs-field > .apidocs-field-head .apidocs-name")
        assert set(success.body) <= set(names.all_text_contents())  # documented fields first, then the example's
        expect(names.first).to_be_visible()
    # Another status: its tab, by mouse and by keyboard; the request column has its example.
    if len(statuses) > 1:
        labels.nth(1).click()
        expect(section.locator(".apidocs-tab-panel").nth(1)).to_be_visible()
        expect(first).to_be_hidden()
        page.keyboard.press("ArrowLeft")
        expect(first).to_be_visible()
    examples = page.locator(".apidocs-aside .tabbed-set").last.locator(":scope > .tabbed-labels > label")
    assert [text.split()[0] for text in examples.all_text_contents()] == [str(s) for s in statuses]


def test_field_tree_is_nested_and_expandable(page: Page, served: Served) -> None:
    open_page(page, served.url, CANCEL)
    cancelation = page.locator("#response-200-cancelation")
    expect(cancelation.locator(".apidocs-field-type").first).to_have_text("object")
    child = page.locator("#response-200-cancelation\\.resolved_by")
    expect(child).to_be_hidden()
    cancelation.get_by_text("6 child fields", exact=False).click()
    expect(child).to_be_visible()
    expect(child.locator(".apidocs-field-flag")).to_have_text("nullable")


def test_anchors_show_on_hover_and_open_their_tab_after_instant_navigation(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    row = page.locator("tr").filter(has=page.locator("#param-path-order_uuid"))
    link = row.locator(".apidocs-anchor")
    assert float(link.evaluate("a => getComputedStyle(a).opacity")) == 0
    row.hover()
    expect(link).to_have_css("opacity", "1")
    expect(link).to_have_attribute("href", re.compile(r"#param-path-order_uuid$"))
    # Loaded with a response's anchor: its tab is open and in view.
    page.goto(f"{served.url}/{CANCEL}/#response-409")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    expect(page.locator("#response-409")).to_be_visible()
    expect(page.locator("#response-409")).to_contain_text("409 Conflict")
    expect(page.locator("#response-409 .apidocs-response-status")).to_be_in_viewport()
    # After instant navigation, a link to a field inside another tab opens the tab and the field's parents.
    page.locator(".md-nav a[href$='confirm-order-cancelation/']").first.click()
    page.wait_for_url(re.compile(r"confirm-order-cancelation/$"))
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    page.locator("#response-200 .apidocs-response-status .apidocs-anchor").focus()
    page.evaluate("() => { location.hash = '#response-404'; }")
    expect(page.locator("#response-404")).to_be_visible()
    expect(page.locator("#response-200")).to_be_hidden()


# --- The request column --------------------------------------------------------------------------

def test_copy_button_covers_no_code_at_1024(browser: Browser, served: Served) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        open_page(page, served.url, CANCEL)
        block = page.locator(".apidocs-aside .tabbed-set").first.locator(".tabbed-block").first
        code = block.locator("pre > code")
        block.hover()
        button = block.locator(".md-code__button, .md-clipboard").first
        expect(button).to_be_visible()
        assert code.evaluate("c => c.scrollWidth <= c.clientWidth")  # nothing runs off to the right
        first_line = code.evaluate("""c => { const r = document.createRange(); const t = c.firstChild;
            r.selectNodeContents(c); const rects = [...r.getClientRects()];
            const top = Math.min(...rects.map(x => x.top));
            return rects.filter(x => x.top < top + 4).map(x => [x.left, x.right, x.top, x.bottom]); }""")
        box = button.bounding_box()
        assert box is not None
        for left, right, top, bottom in first_line:
            overlaps = left < box["x"] + box["width"] and right > box["x"] and top < box["y"] + box["height"] and bottom > box["y"]
            assert not overlaps, (first_line, box)
        assert "521a91e5-058d-4474-aeee-f0c148594a00" in code.inner_text()
    finally:
        context.close()


def test_narrow_phone_layout(browser: Browser, served: Served) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_page(page, served.url, CONFIRM)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        name = page.locator("code.apidocs-name").first
        assert name.evaluate("n => n.getClientRects().length") == 1  # never `order_uui|d`
        select = page.get_by_label("Server")
        panel = page.locator("[data-apidocs-explorer]")
        select_box, panel_box = select.bounding_box(), panel.bounding_box()
        assert select_box and panel_box and select_box["x"] + select_box["width"] <= panel_box["x"] + panel_box["width"] + 1
        expect(page.locator(".apidocs-explorer-hint")).to_be_hidden()
        # The path breaks only after a slash: every segment stays on one line.
        segments = page.evaluate("""() => { const code = document.querySelector('.apidocs-path');
            const text = code.textContent; const range = document.createRange(); const out = [];
            const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT); const nodes = [];
            for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
            for (const node of nodes) { let at = 0; for (const part of node.data.split('/')) {
              if (part) { range.setStart(node, at); range.setEnd(node, at + part.length);
                const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top))); out.push([part, tops.size]); }
              at += part.length + 1; } }
            return out; }""")
        assert segments and all(lines == 1 for _, lines in segments), segments
        wrap = page.locator(".apidocs-main .md-typeset__scrollwrap").first
        assert "gradient" in wrap.evaluate("w => getComputedStyle(w).backgroundImage")  # the scroll cue
    finally:
        context.close()


def test_send_keeps_the_window_still_and_shows_a_tidy_result(page: Page, served: Served) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    open_page(page, served.url, "orders/get-order-detail")
    before = page.evaluate("() => window.scrollY")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert page.evaluate("() => window.scrollY") == before
    expect(page.locator("[data-action=show-all]")).to_be_hidden()
    body = page.locator(".apidocs-explorer-body code")
    expect(body.locator(".nt").first).to_be_visible()  # keys coloured like the documented examples
    headers = page.locator("details.apidocs-explorer-headers")
    assert headers.evaluate("d => getComputedStyle(d).boxShadow") == "none"
    assert headers.evaluate("d => getComputedStyle(d).borderLeftWidth") == "0px"


def test_a_token_typed_on_one_page_is_named_and_the_page_offers_its_own(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    source = page.locator(".apidocs-explorer-source")
    expect(source).to_contain_text("demo token")
    token = page.get_by_label("Token", exact=True)
    token.fill("")
    token.press_sequentially("2222222222")
    expect(source).to_contain_text("Your token")
    page.locator(".md-nav a[href$='cancel-order/']").first.click()  # instant navigation
    page.wait_for_url(re.compile(r"cancel-order/$"))
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    expect(page.get_by_label("Token", exact=True)).to_have_value("2222222222")
    expect(page.locator(".apidocs-explorer-source")).to_contain_text("Your token")
    offer = page.locator(".apidocs-explorer-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("…4321")
    offer.get_by_role("button", name="Use the example's token").click()
    expect(page.get_by_label("Token", exact=True)).to_have_value(RETAILER_TOKEN)
    expect(offer).to_be_hidden()
    send(page)
    # Accepted as the retailer: 2xx, or 422 when an earlier test on this shared sandbox already
    # asked to cancel the order (never 401 or 409, the answers to a missing or wrong role's token).
    expect(status(page)).to_have_text(re.compile(r"^(2\d\d|422) "))


# --- A static site with a public sandbox -----------------------------------------------------------

@pytest.fixture(scope="module")
def static_with_public_sandbox(tmp_path_factory: pytest.TempPathFactory, sandbox_server: Any) -> Iterator[str]:
    project = copy_project(tmp_path_factory.mktemp("public-sandbox"),
                           lambda options: options.update(public_sandbox=sandbox_server.url))
    site = project / "site"
    subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(site)], check=True,
                   capture_output=True, timeout=120)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_static_site_offers_the_public_sandbox_and_explains_a_failure(page: Page, static_with_public_sandbox: str,
                                                                      sandbox_server: Any) -> None:
    open_page(page, static_with_public_sandbox, "orders/get-order-detail")
    select = page.get_by_label("Server")
    expect(select.locator("option").first).to_contain_text("Public sandbox")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    select.select_option(index=1)  # the production server, unreachable here
    page.route("https://api-dev.cruxconnect.com/**", lambda route: route.abort("connectionrefused"))
    send(page)
    expect(status(page)).to_contain_text("Could not reach https://api-dev.cruxconnect.com")
    detail = page.locator(".apidocs-explorer-detail")
    expect(detail).to_contain_text("pick another server")
    expect(detail).to_contain_text("CORS")


# --- The writer's loop ---------------------------------------------------------------------------

NEW_ENDPOINT = """---
title: /timp/notes/&lt;note_id&gt;/
name: Get Note
position: 9
visibility: public
method: get
description: One note
example:
  params:
    note_id: n-1
responses:
  - status: 200
    body:
      note_id: n-1
      text: hello
---
Returns a note.

### URL Parameters:

note_id
: (string) The note
"""


@pytest.fixture
def writer_project(tmp_path: Path) -> Iterator[tuple[Path, Served]]:
    for name in ("docs", "includes", "snippets"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    served = start_serve(tmp_path)
    yield tmp_path, served
    stop_serve(served)


def wait_for_page(page: Page, url: str, timeout: float = 60.0) -> None:
    """Poll until serve has rebuilt and serves the page (a rebuild takes a moment after the write)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = page.request.get(url)
        if answer.status == 200 and "data-apidocs-explorer" in answer.text():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{url} never came up")


# Saving the definition rebuilds the site under the open page: Material's own background requests
# (live reload, instant navigation prefetch) fail meanwhile and it reports "Network error".
@pytest.mark.page_errors("Network error")
def test_a_new_endpoint_answers_in_try_it_without_a_restart(page: Page, writer_project: tuple[Path, Served]) -> None:
    project, served = writer_project
    (project / "docs" / "orders" / "get-note.md").write_text(NEW_ENDPOINT, encoding="utf-8")
    wait_for_page(page, f"{served.url}/orders/get-note/")
    open_page(page, served.url, "orders/get-note")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    expect(page.locator(".apidocs-explorer-body code")).to_contain_text('"text": "hello"')
    # A change to it answers too: the example's body as edited.
    (project / "docs" / "orders" / "get-note.md").write_text(NEW_ENDPOINT.replace("text: hello", "text: edited"),
                                                             encoding="utf-8")
    deadline = time.monotonic() + 60
    while "edited" not in page.request.get(f"{served.url}/sandbox/timp/notes/n-1/",
                                           headers={"Authorization": "Token 1234567890"}).text():
        assert time.monotonic() < deadline, "the sandbox never learnt the change"
        page.wait_for_timeout(200)


def test_definition_errors_in_serve_are_shown_as_text(page: Page, writer_project: tuple[Path, Served]) -> None:
    project, served = writer_project
    broken = NEW_ENDPOINT.replace("method: get", 'method: "<i>post</i>"')
    (project / "docs" / "orders" / "get-note.md").write_text(broken, encoding="utf-8")
    deadline = time.monotonic() + 60
    while "This definition has errors" not in page.request.get(f"{served.url}/orders/get-note/").text():
        assert time.monotonic() < deadline, "the error page never came up"
        page.wait_for_timeout(200)
    page.goto(f"{served.url}/orders/get-note/")
    failure = page.locator(".admonition.failure")
    expect(failure).to_contain_text("<i>post</i>")
    expect(failure.locator("i")).to_have_count(0)
