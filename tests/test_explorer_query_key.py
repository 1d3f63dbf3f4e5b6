"""Try it on a site whose API key travels in the query (`auth.query`, OpenAPI's apiKey `in:
query`), in real Chromium: the key is the panel's token field (masked, kept only in the tab unless
the reader ticks Remember), Send puts it first in the URL as every snippet does, and the tabs
follow the edited key byte for byte."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from playwright.sync_api import Page, expect

from bodies_helpers import import_spec
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
)

SPEC = {
    "openapi": "3.0.3", "info": {"title": "Keys", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
    "security": [{"key": []}], "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}}},
    "paths": {"/things": {"get": {"operationId": "things", "tags": ["things"], "parameters": [
        {"name": "limit", "in": "query", "schema": {"type": "integer"}, "example": 5}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"n": 1}}}}}}}},
}
SLUG = "things/things"


@pytest.fixture(scope="module")
def key_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo) -> Path:
    project = import_spec(tmp_path_factory.mktemp("query-key"), SPEC)
    config = project / "mkdocs.yml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    options = next(item["apidocs"] for item in settings["plugins"] if isinstance(item, dict) and "apidocs" in item)
    options["servers"].append({"url": echo.url, "description": "Echo"})
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def served_keys(key_project: Path) -> Iterator[Served]:
    server = start_serve(key_project, "--proxy")
    yield server
    stop_serve(server)


@in_chromium
def test_the_key_goes_in_the_query_and_the_tabs_follow_it(page: Page, served_keys: Served, key_project: Path, echo: Echo) -> None:
    endpoint = endpoint_of(key_project, SLUG)
    page.goto(f"{served_keys.url}/{SLUG}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    key = page.get_by_label("Token (query api_key)", exact=True)
    expect(key).to_have_value("your-api-token")
    expect(key).to_have_attribute("type", "password")
    assert [label.strip() for label in page.locator(".apidocs-explorer-field label").all_inner_texts()].count("limit") == 1
    assert "api_key" not in [label.strip() for label in page.locator(".apidocs-explorer-field label").all_inner_texts()]
    pick_echo(page)
    expect_tabs(page, expected_snippets(key_project, endpoint, echo.url))
    key.fill("reader's key & more")
    changed = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, token="reader's key & more"))
    expect_tabs(page, expected_snippets(key_project, changed, echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    (received,) = [seen for seen in echo.seen[before:] if seen["path"].startswith("/things")]
    assert parse_qsl(urlsplit(received["path"]).query) == [("api_key", "reader's key & more"), ("limit", "5")]
    data = json.loads(page.locator("[data-apidocs-explorer]").get_attribute("data-apidocs-explorer") or "{}")
    assert data["auth"]["query"] == "api_key" and data["auth"]["scheme"] == ""
    # Typed, not remembered: nothing of the key is kept on the device without consent.
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)").count("reader's key") == 0
