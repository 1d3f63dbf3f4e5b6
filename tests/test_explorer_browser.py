"""The "Try it" explorer in real Chromium, against a real `apidocs serve` process.

The assertions go through the accessibility contract users rely on: labels named after the
parameters, a `Send` button, and a `role=status` element starting with the numeric code.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from serve_helpers import APIDOCS, GROUP, HOSTILE, Echo, Served, endpoint_of, expect_tabs, expected_snippets, send, status, tab_texts

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(GROUP)]

CONFIRM = "orders-supplier/confirm-order-cancelation"
REJECT = "orders-supplier/reject-order-cancelation"
CANCEL = "orders-retailer/cancel-order"
DETAIL = "orders/get-order-detail"
SHOW_LIMIT = 200 * 1024


def open_page(page: Page, base: str, slug: str) -> Any:
    page.goto(f"{base}/{slug}/")
    panel = page.locator("[data-apidocs-explorer][data-ready]")
    panel.wait_for()
    return panel


def sandbox_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/sandbox/" in request.url else None)
    return seen


def after_a_fence(page: Page, seen: list[str]) -> list[str]:
    """The sandbox requests seen before a request of our own that the page sends now and that has arrived:
    whatever the explorer had sent earlier is in the list by then, with no fixed wait."""
    with page.expect_request("**/sandbox/__fence__/"):
        page.evaluate("() => fetch('/sandbox/__fence__/').then(() => null, () => null)")
    fence = next(index for index, url in enumerate(seen) if url.endswith("/sandbox/__fence__/"))
    return seen[:fence]


def test_confirm_then_confirm_again(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    body = page.locator(".apidocs-explorer-body code")
    expect(body).to_contain_text('"status": "confirmed"')
    expect(page.locator(".apidocs-explorer-meta")).to_have_text(re.compile(r"^\d+ ms · \d+ B"))
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^422 Unprocessable"))
    expect(body).to_contain_text("already confirmed")


def test_reject_on_its_example(page: Page, served: Served) -> None:
    open_page(page, served.url, REJECT)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))


def test_wrong_token_shows_401(page: Page, served: Served) -> None:
    open_page(page, served.url, DETAIL)
    page.get_by_label("Token", exact=True).fill("not-a-token")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^401 Unauthorized"))
    expect(page.locator(".apidocs-explorer-body code")).to_contain_text("unknown token")


def test_invalid_json_body_sends_nothing(page: Page, served: Served) -> None:
    open_page(page, served.url, CANCEL)
    sent = sandbox_requests(page)
    body = page.get_by_label("Body", exact=True)
    body.fill('{"order_uuid": "521a91e5-058d-4474-aeee-f0c148594a00",}')
    expect(body).to_have_attribute("aria-invalid", "true")
    send(page)
    expect(status(page)).to_have_text("Not sent: the body is not valid JSON.")
    expect(page.locator(".apidocs-explorer-body-error")).to_have_text(
        "Body is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 55.")
    body.press("Control+Enter")
    expect(status(page)).to_have_text(re.compile("^Not sent"))
    expect(body).to_be_focused()
    assert after_a_fence(page, sent) == []


def test_required_parameter_empty_sends_nothing(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    sent = sandbox_requests(page)
    field = page.get_by_label("order_uuid", exact=True)
    field.fill("")
    send(page)
    expect(status(page)).to_have_text("Not sent: order_uuid is required.")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    assert after_a_fence(page, sent) == []


def test_snippets_follow_the_inputs_byte_for_byte(page: Page, served: Served, serve_project: Path) -> None:
    endpoint = endpoint_of(serve_project, CONFIRM)
    open_page(page, served.url, CONFIRM)
    sandbox = f"{served.url}/sandbox"
    expect_tabs(page, expected_snippets(serve_project, endpoint, sandbox))  # the sandbox is the default
    hazard = "it's $(id) `x` \"q\" \\ é 😀 <b>"
    page.get_by_label("order_uuid", exact=True).fill(hazard)
    page.get_by_label("Token", exact=True).fill("to'ken $HOME")
    changed = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, path_params={"order_uuid": hazard},
                                                                        token="to'ken $HOME"))
    expect(page.locator(".apidocs-aside .tabbed-block pre > code").first).to_contain_text(
        "/cancel/it%27s%20%24%28id%29%20%60x%60%20%22q%22%20%5C%20%C3%A9%20%F0%9F%98%80%20%3Cb%3E/confirm/")
    expect_tabs(page, expected_snippets(serve_project, changed, sandbox))
    # The build's highlighting survives the edit.
    assert page.locator(".apidocs-aside .tabbed-block pre > code").first.locator("span.s1").count() > 0


def test_example_snippets_equal_the_server_render_for_each_server(page: Page, served: Served, serve_project: Path,
                                                                    echo: Echo) -> None:
    endpoint = endpoint_of(serve_project, CANCEL)
    open_page(page, served.url, CANCEL)
    for index, base in ((1, "https://api-dev.cruxconnect.com"), (2, echo.url)):  # after the sandbox
        page.get_by_label("Server", exact=True).select_option(index=index)
        expect_tabs(page, expected_snippets(serve_project, endpoint, base))
    body = {"order_uuid": "x'y\"z\\", "n": 12345678901234567890, "f": 1e-7, "g": 1e16, "e": "😀\u2028\n", "nested": [{}, []]}
    text = json.dumps(body, indent=4)
    page.get_by_label("Body", exact=True).fill(text)
    changed = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, body=json.loads(text)))
    expect_tabs(page, expected_snippets(serve_project, changed, echo.url))


def test_response_markup_is_shown_as_text_and_never_runs(page: Page, served: Served, served_proxy: Served) -> None:
    open_page(page, served.url, CONFIRM)
    page.get_by_label("order_uuid", exact=True).fill('<img src=x onerror="window.__pwned=1">')
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^404"))
    expect(page.locator(".apidocs-explorer-body code")).to_contain_text('<img src=x onerror=\\"window.__pwned=1\\">')
    # An HTML answer from a configured server, through the proxy.
    open_page(page, served_proxy.url, CONFIRM)
    page.get_by_label("Server", exact=True).select_option(index=2)  # sandbox, Development, Echo
    expect(page.locator(".apidocs-explorer-via")).to_be_visible()
    page.get_by_label("order_uuid", exact=True).fill("html")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    expect(page.locator(".apidocs-explorer-body code")).to_have_text(HOSTILE)
    expect(page.locator(".apidocs-explorer-meta")).to_contain_text("via the apidocs proxy")
    assert page.locator(".apidocs-explorer img, .apidocs-explorer-result script").count() == 0
    # An image of ours that fails to load the same way: once its onerror ran, a hostile one would have too.
    page.evaluate("() => new Promise(done => { const probe = new Image(); probe.onerror = done; probe.src = 'x'; })")
    assert page.evaluate("window.__pwned") is None


TOKEN_KEY = "apidocs.explorer.token"


def stored(page: Page) -> list[str]:
    """Every value in this origin's sessionStorage and localStorage."""
    return page.evaluate("[sessionStorage, localStorage].flatMap(store => Object.values(store))")


def documented_token(page: Page) -> str:
    return str(page.evaluate("JSON.parse(document.querySelector('[data-apidocs-explorer]').dataset.apidocsExplorer).auth.token"))


def token_field(page: Page) -> Any:
    return page.get_by_label("Token", exact=True)


def test_typed_token_stays_in_memory_across_pages_and_never_in_storage(page: Page, served: Served) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    open_page(page, served.url, CONFIRM)
    token_field(page).clear()
    token_field(page).press_sequentially("5555555555")  # one input event per keystroke
    expect(token_field(page)).to_have_value("5555555555")
    assert not [value for value in stored(page) if "5555" in value]
    page.evaluate("window.__sameDocument = true")
    page.locator(".md-nav").get_by_role("link", name="Reject Order Cancelation").first.click()
    page.wait_for_url(f"**/{REJECT}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # Material's instant navigation, no reload
    expect(token_field(page)).to_have_value("5555555555")
    assert not [value for value in stored(page) if "5555" in value]
    page.reload()
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    expect(token_field(page)).to_have_value(documented_token(page))  # memory only: a reload forgets it
    assert not [url for url in urls if "5555555555" in url]
    assert "5555555555" not in served.output()


def test_remember_keeps_the_token_on_the_device_until_unticked(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    token_field(page).fill("6666666666")
    remember = page.get_by_label("Remember on this device")
    remember.check()
    assert page.evaluate(f"[localStorage.getItem('{TOKEN_KEY}'), sessionStorage.getItem('{TOKEN_KEY}')]") == ["6666666666", None]
    page.reload()
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    expect(token_field(page)).to_have_value("6666666666")
    expect(remember).to_be_checked()
    token_field(page).fill("7777777777")  # while remembered, the stored value follows the field
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") == "7777777777"
    # Another tab of the same origin sees a remembered token; Forget there clears it everywhere.
    other = page.context.new_page()
    open_page(other, served.url, CONFIRM)
    expect(other.get_by_label("Token", exact=True)).to_have_value("7777777777")
    other.close()
    remember.uncheck()
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None
    expect(token_field(page)).to_have_value("7777777777")  # still used in this tab
    page.reload()
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    expect(token_field(page)).to_have_value(documented_token(page))
    expect(remember).not_to_be_checked()
    assert not [value for value in stored(page) if "7777" in value or "6666" in value]


def test_forget_clears_the_remembered_token_in_every_tab(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    token_field(page).fill("5555555555")
    page.get_by_label("Remember on this device").check()
    other = page.context.new_page()
    open_page(other, served.url, CONFIRM)
    expect(other.get_by_label("Token", exact=True)).to_have_value("5555555555")
    other.get_by_role("button", name="Forget token").click()
    expect(other.get_by_label("Token", exact=True)).to_have_value(documented_token(other))
    expect(other.get_by_label("Remember on this device")).not_to_be_checked()
    assert other.evaluate(f"[localStorage.getItem('{TOKEN_KEY}'), sessionStorage.getItem('{TOKEN_KEY}')]") == [None, None]
    # Chromium hands one tab's storage writes to the other tabs asynchronously: wait for it.
    page.wait_for_function(f"localStorage.getItem('{TOKEN_KEY}') === null", timeout=5000)


def test_a_token_left_in_session_storage_by_an_earlier_version_is_removed(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    page.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', '8888888888')")
    page.reload()
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    expect(token_field(page)).to_have_value(documented_token(page))


def test_token_field_is_masked_with_a_show_toggle(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    field = token_field(page)
    expect(field).to_have_attribute("type", "password")
    expect(field).to_have_attribute("autocomplete", "off")
    toggle = page.get_by_role("button", name="Show token")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.press("Enter")  # by keyboard too
    expect(field).to_have_attribute("type", "password")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    field.fill("to'ken")  # the masked field still drives the snippets
    expect(page.locator(".apidocs-aside .tabbed-block pre > code").first).to_contain_text("to'\\''ken")


def test_keyboard_only(page: Page, served: Served) -> None:
    open_page(page, served.url, DETAIL)
    page.get_by_label("Token", exact=True).focus()
    page.keyboard.press("Control+Enter")
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    page.get_by_label("uuid", exact=True).focus()
    page.keyboard.press("Enter")  # a form: Enter in a field sends too
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    # Every control of the panel is reachable with Tab.
    page.get_by_label("Server", exact=True).focus()
    reached = set()
    for _ in range(14):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert {"apidocs-x-token", "Show", "apidocs-x-remember", "Forget token", "apidocs-x-param-0", "Send"} <= reached


def test_blocked_by_cors_says_so_and_how_to_fix_it(page: Page, served: Served) -> None:
    open_page(page, served.url, DETAIL)
    page.get_by_label("Server", exact=True).select_option(index=2)  # sandbox, Development, Echo
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^Blocked by CORS: http://127\.0\.0\.1:\d+ answered"))
    expect(page.locator(".apidocs-explorer-detail")).to_contain_text("apidocs serve --proxy")


def test_unreachable_server_is_a_network_error(page: Page, served: Served, served_proxy: Served) -> None:
    for base in (served.url, served_proxy.url):
        open_page(page, base, DETAIL)
        page.get_by_label("Server", exact=True).select_option(index=3)  # Dead
        send(page)
        expect(status(page)).to_have_text(re.compile(r"^Could not reach http://127\.0\.0\.1:\d+"))


# The fake clock runs Material's own scheduled work at once; its scheduler then reports an action
# it had cancelled ("executing a cancelled action"), which is Material's, not the explorer's.
@pytest.mark.page_errors("executing a cancelled action")
def test_a_server_that_does_not_answer_times_out(page: Page, served_proxy: Served) -> None:
    open_page(page, served_proxy.url, CONFIRM)
    page.get_by_label("Server", exact=True).select_option(index=2)  # Echo, through the proxy
    page.get_by_label("order_uuid", exact=True).fill("slow")
    page.clock.install()
    send(page)
    expect(status(page)).to_have_text("Sending…")
    page.clock.run_for(31_000)  # the explorer gives up after 30 s
    expect(status(page)).to_have_text(re.compile(r"^No answer: http://127\.0\.0\.1:\d+ did not respond within 30 s"))


def test_large_responses_are_truncated_with_show_all(page: Page, served_proxy: Served) -> None:
    open_page(page, served_proxy.url, CONFIRM)
    page.get_by_label("Server", exact=True).select_option(index=2)  # Echo
    page.get_by_label("order_uuid", exact=True).fill("big")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    body = page.locator(".apidocs-explorer-body code")
    assert len(body.text_content() or "") == SHOW_LIMIT
    page.get_by_role("button", name=re.compile(r"^Show all \(\d+\.\d KB\)")).click()
    assert len(body.text_content() or "") > SHOW_LIMIT


def test_proxy_refuses_a_host_not_in_the_config_from_the_page(page: Page, served_proxy: Served) -> None:
    open_page(page, served_proxy.url, CONFIRM)
    answer = page.evaluate("""async () => {
        const r = await fetch('/_apidocs/proxy/timp/', {headers: {'X-Apidocs-Server': 'https://example.org'}});
        return [r.status, r.headers.get('X-Apidocs-Proxy'), (await r.json()).detail];
    }""")
    assert answer[0] == 403 and answer[1] == "refused"
    assert "not a server configured in mkdocs.yml" in answer[2]


def test_dark_palette_keeps_the_panel_readable(page: Page, served: Served) -> None:
    open_page(page, served.url, CONFIRM)
    page.get_by_title("Switch to dark mode").click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    colours = page.get_by_label("order_uuid", exact=True).evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    assert colours[0] != colours[1]
    assert page.locator("[data-apidocs-explorer]").is_visible()


@pytest.fixture(scope="module")
def static_site(serve_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("static-site")
    subprocess.run([APIDOCS, "-f", str(serve_project / "mkdocs.yml"), "build", "-d", str(site)], check=True,
                   capture_output=True, timeout=120)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_static_build_keeps_the_explorer_for_configured_servers(page: Page, static_site: str, serve_project: Path,
                                                                 echo: Echo) -> None:
    open_page(page, static_site, CONFIRM)
    options = page.get_by_label("Server", exact=True).locator("option").all_text_contents()
    assert [option.split(" — ")[0] for option in options] == ["Development", "Echo", "Dead"]
    endpoint = endpoint_of(serve_project, CONFIRM)
    expect_tabs(page, expected_snippets(serve_project, endpoint, "https://api-dev.cruxconnect.com"))
    page.get_by_label("Server", exact=True).select_option(index=1)
    page.get_by_label("order_uuid", exact=True).fill("from-static")
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^Blocked by CORS"))  # the echo server sends no CORS headers
    assert any(seen["path"].startswith("/timp/orders/cancel/from-static/") or seen["method"] == "OPTIONS"
               for seen in echo.seen[before:])


def test_send_names_the_operation_it_is_for_to_the_sandbox(page: Page, served: Served) -> None:
    """Beside the snippet's headers, the page tells the sandbox which operation it is, for
    operations that share a route (`/files/{id}` beside `/files/{name}`)."""
    open_page(page, served.url, DETAIL)  # a read: the answer does not depend on what other tests changed
    with page.expect_request(lambda request: "/sandbox/" in request.url and request.method == "GET") as caught:
        send(page)
    route = caught.value.headers.get("x-apidocs-route", "")
    assert re.fullmatch(r"/timp/orders/\{\w+\}/", route), route
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert "X-Apidocs-Route" not in " ".join(tab_texts(page))  # the snippets stay what a reader sends
