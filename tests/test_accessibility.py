"""Accessibility measured with axe-core (npm, tests/package.json) injected into Debian's Chromium:
no serious or critical violation on endpoint pages, a guide page and the search results, in
the light and dark palettes, at 1440 and 390 px, before and after a Send."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from serve_helpers import AXE, GROUP, ROOT, Served, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(GROUP)]

ENDPOINT = "orders-retailer/cancel-order"
GUIDE = "cancelation-workflow"
WITH_PLACEHOLDER = "orders/get-order-detail"


def set_palette(page: Page, scheme: str) -> None:
    """Material keeps the chosen palette in localStorage; `slate` is the dark one."""
    page.evaluate("""(scheme) => { document.body.setAttribute('data-md-color-scheme', scheme);
        document.body.setAttribute('data-md-color-primary', 'indigo'); }""", scheme)
    settle(page)


def settle(page: Page) -> None:
    """Material fades colours over .25 s and the header's title when the page moves: measure the
    page, not a frame halfway between two. An animation cancelled meanwhile (a new transition
    replaced it) rejects `finished`: that is done too."""
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))")


def open_at(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    context.route("https://fonts.gstatic.com/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_no_serious_violations(browser: Browser, served: Served, width: int, scheme: str) -> None:
    page = open_at(browser, width)
    try:
        found: dict[str, Any] = {}
        page.goto(f"{served.url}/{ENDPOINT}/")
        page.locator("[data-apidocs-explorer][data-ready]").wait_for()
        set_palette(page, scheme)
        found["endpoint"] = axe_violations(page)
        page.get_by_role("button", name="Send", exact=True).click()
        status = page.locator("[data-apidocs-explorer]").get_by_role("status")
        expect(status).to_have_text(re.compile(r"^\d{3} "))
        settle(page)
        found["endpoint after Send"] = axe_violations(page)
        page.goto(f"{served.url}/{WITH_PLACEHOLDER}/")  # its heading marks the path's placeholder
        set_palette(page, scheme)
        found["endpoint with a path parameter"] = axe_violations(page)
        page.goto(f"{served.url}/{GUIDE}/")
        set_palette(page, scheme)
        found["guide"] = axe_violations(page)
        page.goto(f"{served.url}/")
        set_palette(page, scheme)
        if width < 960:
            page.locator("label[for=__search]").first.click()
        else:
            page.locator(".md-search__input").click()
        page.keyboard.type("cancel")
        expect(page.locator(".md-search-result__item").first).to_be_visible()
        found["search results"] = axe_violations(page)
        assert not any(found.values()), json.dumps(found, indent=1)
    finally:
        page.context.close()


def test_the_response_is_announced_and_every_control_is_reachable_by_keyboard(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/{ENDPOINT}/")
    panel = page.locator("[data-apidocs-explorer][data-ready]")
    panel.wait_for()
    expect(panel.locator("[role=status]")).to_have_count(1)  # a live region, announced when it changes
    reached: set[str] = set()
    page.locator("#apidocs-x-server").focus()
    for _ in range(40):
        reached.add(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))
        page.keyboard.press("Tab")
    assert {"apidocs-x-server", "apidocs-x-token", "apidocs-x-remember", "apidocs-x-body", "Send"} <= reached, reached
    page.locator("#apidocs-x-body").focus()
    page.keyboard.press("Control+Enter")
    expect(panel.get_by_role("status")).to_have_text(re.compile(r"^\d{3} "))
    # Visible focus on the status tabs (radio buttons shown through their labels).
    page.locator("#apidocs-responses-1").focus()
    page.keyboard.press("ArrowRight")
    label = page.locator(".apidocs-tab-labels > label").nth(1)
    assert label.evaluate("l => getComputedStyle(l).outlineStyle") == "solid"


def test_axe_is_installed_from_the_lock_file() -> None:
    lock = json.loads((ROOT / "tests" / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/axe-core"]["version"]
    assert version.startswith("4."), version
    assert Path(AXE).is_file()
