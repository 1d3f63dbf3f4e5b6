"""The "Try it" explorer sends a body of another media type as it is, in real Chromium.

An endpoint whose example Content-Type is neither JSON nor a form nor multipart (`text/plain`,
`text/csv`, `image/png`; model/raw.py) keeps its body editor as the text itself, not JSON: Send
posts the text's UTF-8 bytes with the documented Content-Type, and the snippet tabs follow the
edited text as the Python templates render it. With `request.body_file` a file input stands for
the editor: Send posts the chosen file's bytes, or a placeholder named as in the example (the
check's sample file), and the snippets name the file. What reached a server is read, byte for
byte, from the echo server behind `apidocs serve --proxy`.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from apidocs.config.loading import load_settings
from apidocs.explorer.panel import explorer_data, render_panel
from apidocs.explorer.slots import fill, render_parts, slot_values
from apidocs.model.endpoint import Endpoint
from apidocs.model.multipart import sample_file
from apidocs.rendering.languages import load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet
from conftest import copy_project
from serve_helpers import (
    Echo,
    Served,
    axe_violations,
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

NOTE_SLUG, NOTE_PATH = "raw/post-note", "/timp/notes/"
NOTE_TYPE = "text/plain; charset=utf-8"
NOTE = "Buy milk\nand bread"
ROWS_SLUG, ROWS_PATH = "raw/import-rows", "/timp/rows/"
ROWS = "id,name\r\n1,Ann\r\n"  # CSV's own line breaks (RFC 4180)
# A text every snippet language must quote: a quote of each kind, shell expansions, a backslash,
# non-ASCII, line breaks (one last).
EDITED = "it's \"quoted\" $HOME $(id) `id` \\ naïve 日本 😀\nsecond line\n"
HOSTILE = "</textarea><script>alert(1)</script>&amp;"
# No path parameter: axe finds the signature's placeholder (`.apidocs-param`) short of contrast, on every such page.
PHOTO_SLUG, PHOTO_PATH = "raw/upload-photo", "/timp/photos/cat"
PHOTO = f"""---
title: {PHOTO_PATH}
name: Upload Photo
position: '9.7'
visibility: public
method: put
description: Upload a photo
request: {{body_file: true}}
example:
  headers: {{Content-Type: image/png}}
  body: cat.png
  status: 204
responses:
  - status: 204
---
Uploads the photo's bytes as the body.
"""
# A file a reader chooses: bytes no text holds (PNG's signature, a NUL, an invalid UTF-8 byte).
PNG: FilePayload = {"name": "cat.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n\x00\xff\xfe end"}
ODD: FilePayload = {"name": "My Cat (1).png", "mimeType": "image/png", "buffer": b"\x89PNG odd"}  # a name the snippets cannot write


def definition(path: str, name: str, position: str, content_type: str, body: str, schema: dict[str, Any]) -> str:
    """A POST sending `body` as it is; JSON strings are YAML's double-quoted ones (escapes included)."""
    return (f"---\ntitle: {path}\nname: {name}\nposition: '{position}'\nvisibility: public\nmethod: post\n"
            f"description: {name}\nrequest: {{schema: {json.dumps(schema)}}}\n"
            f"example:\n  headers: {{Content-Type: '{content_type}'}}\n  body: {json.dumps(body)}\n  status: 201\n"
            f"responses:\n  - status: 201\n    body: {{id: n1}}\n---\n{name}.\n")


@pytest.fixture(scope="module")
def raw_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo) -> Path:
    def add_echo(options: dict[str, Any]) -> None:
        options.setdefault("servers", []).append({"url": echo.url, "description": "Echo"})

    project = copy_project(tmp_path_factory.mktemp("raw-project"), add_echo)
    folder = project / "docs" / "raw"
    folder.mkdir()
    (folder / "post-note.md").write_text(
        definition(NOTE_PATH, "Post Note", "9.5", NOTE_TYPE, NOTE, {"type": "string", "maxLength": 200}), encoding="utf-8")
    (folder / "import-rows.md").write_text(
        definition(ROWS_PATH, "Import Rows", "9.6", "text/csv", ROWS, {"type": "string"}), encoding="utf-8")
    (folder / "upload-photo.md").write_text(PHOTO, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def served_raw(raw_project: Path) -> Iterator[Served]:
    server = start_serve(raw_project, "--proxy")
    yield server
    stop_serve(server)


def open_page(page: Page, served: Served, slug: str) -> None:
    page.goto(f"{served.url}/{slug}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()


def with_body(endpoint: Endpoint, body: Any) -> Endpoint:
    return dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, body=body))


def received(echo: Echo, since: int, path: str) -> tuple[str, bytes]:
    """The Content-Type and the body's bytes of the one request that reached `path` since `since`."""
    seen = [record for record in echo.seen[since:] if record["path"] == path]
    assert len(seen) == 1, seen
    headers = {name.lower(): value for name, value in seen[0]["headers"].items()}
    return headers.get("content-type", ""), bytes.fromhex(seen[0]["hex"])


def test_the_panel_edits_a_text_body_as_it_is(raw_project: Path) -> None:
    settings = load_settings(raw_project / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    endpoint = endpoint_of(raw_project, NOTE_SLUG)
    data = explorer_data(endpoint, settings, languages)
    assert (data["raw"], data["crlf"], data["form"], data["multipart"]) == (True, False, False, False)
    assert json.loads(data["body"]) == NOTE  # the slot's value: the text itself
    assert {"name": "Content-Type", "value": NOTE_TYPE, "auth": False} in data["headers"]
    assert all(snippet["parts"] for snippet in data["snippets"])  # every tab follows the reader's text
    panel = render_panel(endpoint, settings, languages)
    assert '>Buy milk&#10;and bread</textarea>' in panel  # no JSON quotes, one line of markup
    assert (f"Sent as it is ({NOTE_TYPE}): write the text itself, not JSON; it goes as its UTF-8 bytes."
            in html.unescape(panel))
    rows = explorer_data(endpoint_of(raw_project, ROWS_SLUG), settings, languages)
    assert rows["crlf"] is True and json.loads(rows["body"]) == ROWS
    rows_panel = render_panel(endpoint_of(raw_project, ROWS_SLUG), settings, languages)
    assert ">id,name&#13;&#10;1,Ann&#13;&#10;</textarea>" in rows_panel
    assert "its line breaks as CRLF, as in the example." in rows_panel
    json_data = explorer_data(endpoint_of(raw_project, "orders-retailer/cancel-order"), settings, languages)
    assert json_data["raw"] is False  # JSON stays JSON


@pytest.mark.parametrize("text", [HOSTILE, "\nled by a line break", "\r\nled by CRLF", "a\rb"], ids=repr)
def test_the_text_is_escaped_and_kept_whole(raw_project: Path, text: str) -> None:
    settings = load_settings(raw_project / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    endpoint = with_body(endpoint_of(raw_project, NOTE_SLUG), text)
    panel = render_panel(endpoint, settings, languages)
    assert "<script" not in panel and "\n" not in panel.rstrip("\n") and "\r" not in panel
    content = re.search(r'<textarea id="apidocs-x-body"[^>]*>(.*?)</textarea>', panel)
    assert content
    # What the browser's text box holds: the parser drops one line feed opening it (hence one more).
    shown = html.unescape(content.group(1))
    assert (shown[1:] if shown.startswith("\n") else shown) == text


@pytest.mark.parametrize("text", [NOTE, EDITED, ROWS, "", " ", "'", "a\\nb", "\r\x1f\x7f\u2028\u202e", "{\"json\": 1}"],
                         ids=repr)
def test_the_snippets_fill_back_for_any_text(raw_project: Path, text: str) -> None:
    """The slots (the parts the browser fills) give every template's snippet for any text."""
    settings = load_settings(raw_project / "mkdocs.yml")
    example = build_request(endpoint_of(raw_project, NOTE_SLUG), settings.auth, settings.default_server)
    request = dataclasses.replace(example, body=text)
    assert request.is_raw and not request.body_file
    for language in load_languages(settings.snippets_dir):
        parts = render_parts(settings.snippets_dir, language, example)
        assert parts is not None, language.name
        assert fill(parts, slot_values(request)) == render_snippet(settings.snippets_dir, language, request)


@in_chromium
def test_send_posts_the_text_to_the_sandbox(page: Page, served_raw: Served) -> None:
    open_page(page, served_raw, NOTE_SLUG)  # the sandbox is the default server
    body = page.get_by_label("Body", exact=True)
    assert body.input_value() == NOTE
    expect(body).to_have_accessible_description(re.compile(rf"^Sent as it is \({re.escape(NOTE_TYPE)}\): write the text itself"))
    with page.expect_request(lambda request: request.url.endswith(f"/sandbox{NOTE_PATH}")) as caught:
        send(page)
    assert caught.value.headers.get("content-type") == NOTE_TYPE
    assert caught.value.post_data_buffer == NOTE.encode()
    expect(status(page)).to_have_text(re.compile(r"^201 Created"))  # the sandbox takes the text as documented
    page.get_by_label("Content-Type", exact=True).fill("application/json")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^415 "))  # and only with its media type


@in_chromium
def test_the_edited_text_arrives_byte_exact_and_the_snippets_follow(page: Page, served_raw: Served, raw_project: Path,
                                                                    echo: Echo) -> None:
    endpoint = endpoint_of(raw_project, NOTE_SLUG)
    open_page(page, served_raw, NOTE_SLUG)
    pick_echo(page)
    expect_tabs(page, expected_snippets(raw_project, endpoint, echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, NOTE_PATH) == (NOTE_TYPE, NOTE.encode())
    page.get_by_label("Body", exact=True).fill(EDITED)
    expect_tabs(page, expected_snippets(raw_project, with_body(endpoint, EDITED), echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, NOTE_PATH) == (NOTE_TYPE, EDITED.encode())
    page.get_by_label("Body", exact=True).fill("")  # a text may be empty
    expect_tabs(page, expected_snippets(raw_project, with_body(endpoint, ""), echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, NOTE_PATH) == (NOTE_TYPE, b"")


@in_chromium
def test_a_csv_body_keeps_its_crlf_line_breaks(page: Page, served_raw: Served, raw_project: Path, echo: Echo) -> None:
    endpoint = endpoint_of(raw_project, ROWS_SLUG)
    open_page(page, served_raw, ROWS_SLUG)
    body = page.get_by_label("Body", exact=True)
    assert body.input_value() == ROWS.replace("\r\n", "\n")  # a text box holds LF only
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^201 Created"))
    pick_echo(page)
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, ROWS_PATH) == ("text/csv", ROWS.encode())
    body.fill("id,name\n2,Bob\n")
    edited = "id,name\r\n2,Bob\r\n"
    expect_tabs(page, expected_snippets(raw_project, with_body(endpoint, edited), echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, ROWS_PATH) == ("text/csv", edited.encode())


@in_chromium
def test_a_text_utf8_cannot_carry_is_not_sent(page: Page, served_raw: Served, echo: Echo) -> None:
    open_page(page, served_raw, NOTE_SLUG)
    pick_echo(page)
    before = len(echo.seen)
    body = page.get_by_label("Body", exact=True)
    body.evaluate("box => { box.value = 'half \\ud800 a pair'; box.dispatchEvent(new Event('input', {bubbles: true})); }")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".apidocs-explorer-body-error")).to_have_text(
        "Body cannot be sent as UTF-8 text: it holds a lone surrogate.")
    send(page)
    expect(status(page)).to_have_text("Not sent: the body is not UTF-8 text.")
    assert [record for record in echo.seen[before:] if record["path"] == NOTE_PATH] == []
    body.fill("whole again")
    expect(body).to_have_attribute("aria-invalid", "false")


@in_chromium
def test_the_text_body_panel_has_no_serious_accessibility_violation(page: Page, served_raw: Served) -> None:
    open_page(page, served_raw, NOTE_SLUG)
    assert axe_violations(page) == []
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^201 Created"))
    assert axe_violations(page) == []


def test_the_panel_has_a_labelled_file_input_for_a_body_that_is_a_file(raw_project: Path) -> None:
    settings = load_settings(raw_project / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    endpoint = endpoint_of(raw_project, PHOTO_SLUG)
    data = explorer_data(endpoint, settings, languages)
    assert data["body_file"] == {"name": "cat.png", "placeholder": sample_file("cat.png").decode()}
    assert (data["raw"], json.loads(data["body"])) == (False, "cat.png")  # the slot's value: the file's name
    assert {"name": "Content-Type", "value": "image/png", "auth": False} in data["headers"]
    assert all(snippet["parts"] for snippet in data["snippets"])
    panel = render_panel(endpoint, settings, languages)
    assert "<textarea" not in panel
    assert ('<label for="apidocs-x-body-file">Body file</label><small class="apidocs-explorer-body-hint" id="apidocs-x-body-hint">'
            "Sent as it is (image/png): the bytes of the file chosen here (a file not chosen is sent as a small placeholder"
            " named as in the example).</small><input id=\"apidocs-x-body-file\" data-field=\"body-file\" type=\"file\""
            ' aria-describedby="apidocs-x-body-hint apidocs-x-body-file-hint">') in panel
    assert explorer_data(endpoint_of(raw_project, NOTE_SLUG), settings, languages)["body_file"] is None
    # The media type is the writer's text, never markup.
    hostile = 'image/png; x="<img src=x onerror=alert(1)>"'
    headers = [(name, hostile if name.lower() == "content-type" else value) for name, value in endpoint.example.headers]
    odd = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, headers=headers))
    markup = render_panel(odd, settings, languages)
    assert "<img" not in markup and f"Sent as it is ({html.escape(hostile)})" in markup


@pytest.mark.parametrize("name", ["cat.png", "My_Cat__1_.png", "_-", "x" * 100], ids=repr)
def test_the_snippets_fill_back_for_any_file_name(raw_project: Path, name: str) -> None:
    settings = load_settings(raw_project / "mkdocs.yml")
    example = build_request(endpoint_of(raw_project, PHOTO_SLUG), settings.auth, settings.default_server)
    request = dataclasses.replace(example, body=name)
    assert request.body_file
    for language in load_languages(settings.snippets_dir):
        parts = render_parts(settings.snippets_dir, language, example)
        assert parts is not None, language.name
        assert fill(parts, slot_values(request)) == render_snippet(settings.snippets_dir, language, request)


@in_chromium
def test_send_uploads_a_placeholder_the_sandbox_accepts(page: Page, served_raw: Served) -> None:
    open_page(page, served_raw, PHOTO_SLUG)  # the sandbox is the default server
    upload = page.get_by_label("Body file", exact=True)
    expect(upload).to_have_attribute("type", "file")
    expect(upload).to_have_accessible_description(re.compile(
        r"^Sent as it is \(image/png\): the bytes of the file chosen here .* None chosen: Send uploads a small placeholder "
        r"named cat\.png\.$"))
    with page.expect_request(lambda request: request.url.endswith(f"/sandbox{PHOTO_PATH}")) as caught:
        send(page)
    assert caught.value.method == "PUT" and caught.value.headers.get("content-type") == "image/png"
    assert caught.value.post_data_buffer == sample_file("cat.png")
    expect(status(page)).to_have_text(re.compile(r"^204 No Content"))  # the documented status


@in_chromium
def test_a_chosen_files_bytes_arrive_and_the_snippets_name_it(page: Page, served_raw: Served, raw_project: Path,
                                                               echo: Echo) -> None:
    endpoint = endpoint_of(raw_project, PHOTO_SLUG)
    open_page(page, served_raw, PHOTO_SLUG)
    pick_echo(page)
    expect_tabs(page, expected_snippets(raw_project, endpoint, echo.url))
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, PHOTO_PATH) == ("image/png", sample_file("cat.png"))
    upload = page.get_by_label("Body file", exact=True)
    upload.set_input_files(PNG)
    expect(page.locator("#apidocs-x-body-file-hint")).to_be_hidden()  # nothing to say: sent as chosen
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, PHOTO_PATH) == ("image/png", PNG["buffer"])
    upload.set_input_files(ODD)
    expect_tabs(page, expected_snippets(raw_project, with_body(endpoint, "My_Cat__1_.png"), echo.url))
    expect(page.locator("#apidocs-x-body-file-hint")).to_have_text(
        'The snippets name it My_Cat__1_.png: their file names are letters, digits, ".", "_" and "-".')
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received(echo, before, PHOTO_PATH) == ("image/png", ODD["buffer"])
    send_to_sandbox = page.get_by_label("Server", exact=True)
    send_to_sandbox.select_option(index=0)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^204 No Content"))  # a chosen file too
    upload.set_input_files([])
    expect_tabs(page, expected_snippets(raw_project, endpoint, served_raw.url + "/sandbox"))


@in_chromium
def test_the_body_file_panel_has_no_serious_accessibility_violation(page: Page, served_raw: Served) -> None:
    open_page(page, served_raw, PHOTO_SLUG)
    assert axe_violations(page) == []
    page.get_by_label("Body file", exact=True).set_input_files(ODD)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^204 No Content"))
    assert axe_violations(page) == []
