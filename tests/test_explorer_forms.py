"""The "Try it" explorer sends a form endpoint's body as form fields, in real Chromium.

An endpoint whose example Content-Type is `application/x-www-form-urlencoded` keeps its body
editor in JSON (the object's fields); Send encodes it as `form_text` does (model/forms.py) with
the example's Content-Type. What reached a server is read from the echo server behind
`apidocs serve --proxy`; what the page sent to the sandbox is read from the request itself, so
the test holds whatever the sandbox answers.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from playwright.sync_api import Page, expect

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.explorer.panel import explorer_data, render_panel
from apidocs.model.endpoint import Endpoint
from apidocs.model.forms import form_pieces, form_text
from apidocs.rendering.languages import load_languages
from apidocs.rendering.quoting import FILTERS
from conftest import copy_project
from serve_helpers import (
    Echo,
    Served,
    endpoint_of,
    expect_tabs,
    expected_snippets,
    in_chromium,
    pick_echo,
    send,
    start_serve,
    status,
    stop_serve,
    tab_texts,
)

SLUG = "charges/create-charge"
PATH = "/timp/charges/"
FORM = "application/x-www-form-urlencoded"
BODY = {"amount": 2000, "tags": ["a", "b"], "meta": {"k": "v w"}}
# What the snippets send (model/forms.py); a form reader reads these fields back from it. (The
# brackets stay readable in forms.py's text: `meta[k]=v+w`, which reads as `meta%5Bk%5D=v+w` does.)
ENCODED = form_text(BODY)
FIELDS = [("amount", "2000"), ("tags", "a"), ("tags", "b"), ("meta[k]", "v w")]


def form_definition(path: str, name: str, position: str, description: str, front: str = "") -> str:
    """A POST definition sending BODY as form fields; `front`: more front matter lines."""
    return (f"---\ntitle: {path}\nname: {name}\nposition: {position}\nvisibility: public\nmethod: post\n"
            f"description: {description}\n{front}example:\n  headers: {{Content-Type: {FORM}}}\n  body: {json.dumps(BODY)}\n"
            f"---\n{description}.\n")


DEFINITION = form_definition(PATH, "Create Charge", "9.1", "Create a charge from form fields")
# A second form endpoint whose `tags` travel as indexed names (OpenAPI's deepObject style).
INDEXED_SLUG = "charges/create-subscription"
INDEXED_PATH = "/timp/subscriptions/"
INDEXED_LISTS = {"tags": "index"}
INDEXED_ENCODED = form_text(BODY, INDEXED_LISTS)
INDEXED_FIELDS = [("amount", "2000"), ("tags[0]", "a"), ("tags[1]", "b"), ("meta[k]", "v w")]
INDEXED_DEFINITION = form_definition(INDEXED_PATH, "Create Subscription", "9.2",
                                     "Create a subscription from form fields, its tags indexed",
                                     "request: {encoding: {tags: {style: deepObject}}}\n")


@pytest.fixture(scope="module")
def form_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo) -> Path:
    def add_echo(options: dict[str, Any]) -> None:
        options.setdefault("servers", []).append({"url": echo.url, "description": "Echo"})

    project = copy_project(tmp_path_factory.mktemp("form-project"), add_echo)
    (project / "docs" / "charges").mkdir()
    (project / "docs" / "charges" / "create-charge.md").write_text(DEFINITION, encoding="utf-8")
    (project / "docs" / "charges" / "create-subscription.md").write_text(INDEXED_DEFINITION, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def served_forms(form_project: Path) -> Iterator[Served]:
    server = start_serve(form_project, "--proxy")
    yield server
    stop_serve(server)


def open_form_page(page: Page, served: Served, slug: str = SLUG) -> None:
    page.goto(f"{served.url}/{slug}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()


def curl_form(pieces: list[str]) -> str:
    """How curl's tab sends a form: one `--data-raw` per field (curl joins them with `&`)."""
    return "--data-raw " + str(FILTERS["sh_joined"](pieces, " \\\n  --data-raw "))


def test_the_panel_says_the_body_goes_as_form_fields(form_project: Path) -> None:
    settings = load_settings(form_project / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    form = explorer_data(endpoint_of(form_project, SLUG), settings, languages)
    assert form["form"] is True and json.loads(form["body"]) == BODY  # edited as JSON, sent as fields
    assert form["form_lists"] == {}  # lists repeat their name
    indexed = explorer_data(endpoint_of(form_project, INDEXED_SLUG), settings, languages)
    assert indexed["form_lists"] == INDEXED_LISTS
    panel = render_panel(endpoint_of(form_project, SLUG), settings, languages)
    assert '<small class="apidocs-explorer-body-hint" id="apidocs-x-body-hint">Sent as form fields' in panel
    assert 'aria-describedby="apidocs-x-body-hint apidocs-x-body-error"' in panel
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    json_endpoint = tree.documents["orders-retailer/cancel-order.md"]
    assert isinstance(json_endpoint, Endpoint)
    assert explorer_data(json_endpoint, settings, languages)["form"] is False
    assert "apidocs-explorer-body-hint" not in render_panel(json_endpoint, settings, languages)


@in_chromium
def test_a_form_body_reaches_the_server_as_form_fields(page: Page, served_forms: Served, echo: Echo) -> None:
    open_form_page(page, served_forms)
    body = page.get_by_label("Body", exact=True)
    assert json.loads(body.input_value()) == BODY  # the reader edits the JSON object
    expect(body).to_have_accessible_description(re.compile(f"^Sent as form fields \\({FORM}\\)"))
    pick_echo(page)
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    received = [seen for seen in echo.seen[before:] if seen["path"] == PATH]
    assert len(received) == 1
    headers = {name.lower(): value for name, value in received[0]["headers"].items()}
    assert (received[0]["method"], headers["content-type"], received[0]["body"]) == ("POST", FORM, ENCODED)
    assert parse_qsl(received[0]["body"], keep_blank_values=True) == FIELDS


@in_chromium
def test_a_form_body_goes_to_the_sandbox_as_form_fields(page: Page, served_forms: Served) -> None:
    open_form_page(page, served_forms)  # the sandbox is the default server
    with page.expect_request(lambda request: request.url.endswith(f"/sandbox{PATH}") and request.method == "POST") as caught:
        send(page)
    assert caught.value.post_data == ENCODED
    assert parse_qsl(caught.value.post_data or "", keep_blank_values=True) == FIELDS
    assert caught.value.headers.get("content-type") == FORM
    expect(status(page)).to_have_text(re.compile(r"^\d{3} "))  # an answer, whichever


@in_chromium
def test_the_snippets_follow_the_edited_form(page: Page, served_forms: Served, form_project: Path, echo: Echo) -> None:
    endpoint = endpoint_of(form_project, SLUG)
    open_form_page(page, served_forms)
    pick_echo(page)
    expect_tabs(page, expected_snippets(form_project, endpoint, echo.url))
    edited = {"amount": 1e16, "note": "~!*'()[]&=+ % é 😀", "rows": [{"id": 1}, {"id": 2}], "none": None, "empty": []}
    page.get_by_label("Body", exact=True).fill(json.dumps(edited, ensure_ascii=False, indent=2))
    changed = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, body=edited))
    expect_tabs(page, expected_snippets(form_project, changed, echo.url))
    assert curl_form(form_pieces(edited)) in tab_texts(page)[0]


@in_chromium
def test_a_body_that_is_not_an_object_is_not_sent(page: Page, served_forms: Served, echo: Echo) -> None:
    open_form_page(page, served_forms)
    pick_echo(page)
    before = len(echo.seen)
    body = page.get_by_label("Body", exact=True)
    body.fill('["amount", 2000]')  # valid JSON, but a form is the fields of an object
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".apidocs-explorer-body-error")).to_have_text(
        "Body cannot be sent as form fields: a form body must be a JSON object (its fields), not a list.")
    send(page)
    expect(status(page)).to_have_text("Not sent: the body cannot be sent as form fields.")
    expect(body).to_be_focused()
    body.fill('{"amount": "\\ud800"}')  # a lone surrogate has no UTF-8
    expect(page.locator(".apidocs-explorer-body-error")).to_contain_text("lone surrogate")
    body.fill(json.dumps(BODY))
    expect(body).to_have_attribute("aria-invalid", "false")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert [seen["body"] for seen in echo.seen[before:] if seen["path"] == PATH] == [ENCODED]


@in_chromium
def test_an_indexed_list_reaches_the_server_with_indexed_names(page: Page, served_forms: Served, echo: Echo) -> None:
    open_form_page(page, served_forms, INDEXED_SLUG)
    pick_echo(page)
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    received = [seen for seen in echo.seen[before:] if seen["path"] == INDEXED_PATH]
    assert len(received) == 1
    assert received[0]["body"] == INDEXED_ENCODED == "amount=2000&tags[0]=a&tags[1]=b&meta[k]=v+w"
    assert parse_qsl(received[0]["body"], keep_blank_values=True) == INDEXED_FIELDS


@in_chromium
def test_the_snippets_follow_the_edited_form_with_indexed_lists(page: Page, served_forms: Served, form_project: Path,
                                                                echo: Echo) -> None:
    endpoint = endpoint_of(form_project, INDEXED_SLUG)
    open_form_page(page, served_forms, INDEXED_SLUG)
    pick_echo(page)
    expect_tabs(page, expected_snippets(form_project, endpoint, echo.url))
    assert curl_form(INDEXED_ENCODED.split("&")) in tab_texts(page)[0]
    edited = {"tags": ["x", "y z", 3], "meta": {"k": ["p", "q"]}, "other": ["m", "n"]}
    page.get_by_label("Body", exact=True).fill(json.dumps(edited, indent=2))
    changed = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, body=edited))
    expect_tabs(page, expected_snippets(form_project, changed, echo.url))
    sent = form_text(edited, INDEXED_LISTS)  # `tags` is indexed, as lists below a member are: `other` repeats its name
    assert sent == "tags[0]=x&tags[1]=y+z&tags[2]=3&meta[k][0]=p&meta[k][1]=q&other=m&other=n"
    assert curl_form(sent.split("&")) in tab_texts(page)[0]
    before = len(echo.seen)
    send(page)  # Send writes what the snippets write
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert [seen["body"] for seen in echo.seen[before:] if seen["path"] == INDEXED_PATH] == [sent]
