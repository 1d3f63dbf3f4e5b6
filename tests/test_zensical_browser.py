"""The Zensical-built site in real Chromium: `apidocs serve --engine zensical` renders the tree,
Zensical builds it, and the same process serves it with a fresh sandbox on the same origin.

The probes are those of the MkDocs site: the snippet tabs with the expected request, Send → 200 on
the seed endpoint, the language tab kept across pages, search finding an endpoint; and a change
to a definition reaches the served page (live reload of the rendered tree).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from apidocs.rendering.languages import load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet
from serve_helpers import GROUP, ROOT, Served, start_serve, stop_serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(GROUP),
              pytest.mark.skipif(subprocess.run([sys.executable, "-c", "import zensical"], capture_output=True).returncode != 0,
                                 reason="zensical is not installed (pip install -e .[test])")]

CONFIRM = "orders-supplier/confirm-order-cancelation"
REJECT = "orders-supplier/reject-order-cancelation"
DETAIL = "orders/get-order-detail"


@pytest.fixture(scope="module")
def zensical_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("zensical-project")
    for name in ("docs", "includes", "snippets"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


@pytest.fixture(scope="module")
def zensical_served(zensical_project: Path) -> Iterator[Served]:
    server = start_serve(zensical_project, "--engine", "zensical")
    yield server
    stop_serve(server)


def expected_snippets(project: Path, slug: str, base_url: str) -> list[str]:
    settings = load_settings(project / "mkdocs.yml")
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    endpoint = tree.documents[f"{slug}.md"]
    assert isinstance(endpoint, Endpoint)
    request = build_request(endpoint, settings.auth, base_url)
    return [render_snippet(settings.snippets_dir, language, request).rstrip() for language in load_languages(settings.snippets_dir)]


def open_page(page: Page, base: str, slug: str) -> None:
    page.goto(f"{base}/{slug}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()


def snippet_tabs(page: Page) -> Locator:
    return page.locator(".apidocs-aside .tabbed-set").first


def test_snippet_tabs_show_the_expected_request(page: Page, zensical_served: Served, zensical_project: Path) -> None:
    open_page(page, zensical_served.url, CONFIRM)
    tabs = snippet_tabs(page)
    labels = [label.strip() for label in tabs.locator(":scope > .tabbed-labels > label").all_text_contents()]
    languages = [language.label for language in load_languages(load_settings(zensical_project / "mkdocs.yml").snippets_dir)]
    assert labels == languages and len(labels) >= 4
    expected = expected_snippets(zensical_project, CONFIRM, f"{zensical_served.url}/sandbox")
    deadline = time.monotonic() + 10
    codes: list[str] = []
    while time.monotonic() < deadline:  # the explorer re-renders the tabs for the sandbox once it starts
        codes = [text.rstrip() for text in tabs.locator(":scope > .tabbed-content > .tabbed-block pre > code").all_text_contents()]
        if codes == expected:
            break
        page.wait_for_timeout(50)
    assert codes == expected
    assert "PATCH" in codes[0] and "/sandbox/timp/orders/cancel/" in codes[0]


def test_send_confirms_the_seed_order(page: Page, zensical_served: Served) -> None:
    open_page(page, zensical_served.url, CONFIRM)
    page.get_by_role("button", name="Send", exact=True).click()
    status = page.locator("[data-apidocs-explorer]").get_by_role("status")
    expect(status).to_have_text(re.compile(r"^200 OK"))
    expect(page.locator(".apidocs-explorer-body code")).to_contain_text('"status": "confirmed"')


def test_language_tab_is_kept_across_pages(page: Page, zensical_served: Served) -> None:
    open_page(page, zensical_served.url, CONFIRM)
    snippet_tabs(page).locator(":scope > .tabbed-labels > label", has_text="Python").click()
    page.get_by_role("link", name="Reject Order Cancelation").first.click()
    page.wait_for_url(f"**/{REJECT}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    tabs = snippet_tabs(page)
    checked = tabs.locator(":scope > input:checked")
    expect(checked).to_have_count(1)
    label = tabs.locator(f':scope > .tabbed-labels > label[for="{checked.get_attribute("id")}"]')
    expect(label).to_have_text("Python")
    expect(tabs.locator(":scope > .tabbed-content > .tabbed-block").nth(2)).to_be_visible()


def test_search_finds_an_endpoint(page: Page, zensical_served: Served) -> None:
    page.goto(f"{zensical_served.url}/")
    page.locator(".md-search__button").first.click()
    page.get_by_role("combobox", name="Search").press_sequentially("Confirm Order Cancelation", delay=20)
    first = page.get_by_role("option").first
    expect(first).to_have_attribute("href", re.compile(rf"/{CONFIRM}/(\?h=[^#]*)?$"))
    first.click()
    page.wait_for_url(re.compile(rf"/{CONFIRM}/"))
    expect(page.locator("h1")).to_contain_text("Confirm Order Cancelation")


def test_a_changed_definition_reaches_the_served_page(zensical_served: Served, zensical_project: Path) -> None:
    definition = zensical_project / "docs" / f"{DETAIL}.md"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("Get the Details for a specified Order", "Details, rendered again"), encoding="utf-8")
    deadline = time.monotonic() + 60
    body = ""
    while time.monotonic() < deadline:
        body = requests.get(f"{zensical_served.url}/{DETAIL}/", timeout=5).text
        if "Details, rendered again" in body:
            break
        time.sleep(0.2)  # polling the rebuild, bounded by the deadline
    assert "Details, rendered again" in body
    assert re.search(r"rebuilt with zensical \(\d+ of \d+ pages rendered again\)", zensical_served.output())
