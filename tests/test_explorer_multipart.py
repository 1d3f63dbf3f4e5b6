"""The "Try it" explorer sends a multipart endpoint's body as parts, its files as files, in real Chromium.

An endpoint whose example Content-Type is `multipart/form-data` keeps its text fields in the
JSON body editor and gets a labelled file input per member `request.files` names. Send builds
FormData from the parts `multipart_parts` gives (model/multipart.py), the browser writing the
Content-Type with its boundary; a file not chosen goes as a small placeholder named as in the
example (the check's sample file). What reached a server is read from the echo server behind
`apidocs serve --proxy`; the sandbox refuses a file sent as text, so its 200 says the files
came as files.
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
from apidocs.model.endpoint import Endpoint
from apidocs.model.multipart import multipart_parts, read_multipart, sample_file
from apidocs.rendering.languages import load_languages
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
    tab_texts,
)

SLUG = "uploads/upload-document"
PATH = "/timp/documents/"
MULTIPART = "multipart/form-data"
BODY: dict[str, Any] = {"title": "Q3 report", "file": "report.csv", "tags": ["a", "b"],
                        "attachments": ["notes.txt", "logo.png"], "meta": {"k": "v w"}}
FILES = ["file", "attachments"]
FIELDS = {name: value for name, value in BODY.items() if name not in FILES}  # what the body editor holds
ANSWER = {"id": "doc-1", "title": "Q3 report"}
DEFINITION = (f"---\ntitle: {PATH}\nname: Upload Document\nposition: '9.3'\nvisibility: public\nmethod: post\n"
              f"description: Upload a document and its attachments\nrequest: {{files: {json.dumps(FILES)}}}\n"
              f"example:\n  headers: {{Content-Type: {MULTIPART}}}\n  body: {json.dumps(BODY)}\n"
              f"responses:\n  - status: 200\n    body: {json.dumps(ANSWER)}\n---\nUpload a document.\n")
# Files a reader chooses: text, so the echo server (which keeps bodies as UTF-8 text) returns them whole.
REPORT: FilePayload = {"name": "q3.csv", "mimeType": "text/csv", "buffer": "quarter,total\nQ3,1204 €\n".encode()}
NOTES: list[FilePayload] = [{"name": "minutes.txt", "mimeType": "text/plain", "buffer": b"met on Monday\n"},
         {"name": "plan.md", "mimeType": "text/markdown", "buffer": b"# Plan\n"}]
ODD: FilePayload = {"name": "My Report (1).csv", "mimeType": "text/csv", "buffer": b"a,b\n"}  # a name the snippets cannot write


@pytest.fixture(scope="module")
def multipart_project(tmp_path_factory: pytest.TempPathFactory, echo: Echo) -> Path:
    def add_echo(options: dict[str, Any]) -> None:
        options.setdefault("servers", []).append({"url": echo.url, "description": "Echo"})

    project = copy_project(tmp_path_factory.mktemp("multipart-project"), add_echo)
    (project / "docs" / "uploads").mkdir()
    (project / "docs" / "uploads" / "upload-document.md").write_text(DEFINITION, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def served_multipart(multipart_project: Path) -> Iterator[Served]:
    server = start_serve(multipart_project, "--proxy")
    yield server
    stop_serve(server)


def open_upload_page(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/{SLUG}/")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()


def with_body(endpoint: Endpoint, body: dict[str, Any]) -> Endpoint:
    return dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, body=body))


def expected_parts(body: dict[str, Any], contents: dict[str, bytes] | None = None) -> list[tuple[str, str | None, str]]:
    """The parts the snippets send for `body`: name, file name (None for a field) and text; a
    file's content is the chosen file's (`contents`, by name) or the placeholder's."""
    return [(part.name, part.value, (contents or {}).get(part.value, sample_file(part.value)).decode()) if part.is_file
            else (part.name, None, part.value) for part in multipart_parts(body, FILES)]


def received_parts(echo: Echo, since: int) -> list[tuple[str, str | None, str]]:
    """The parts of the one request that reached the echo server's PATH since `since`."""
    received = [seen for seen in echo.seen[since:] if seen["path"] == PATH]
    assert len(received) == 1, received
    content_type = {name.lower(): value for name, value in received[0]["headers"].items()}["content-type"]
    assert content_type.startswith(f"{MULTIPART}; boundary=")  # the browser's, never the definition's bare one
    return [(part.name, part.filename, part.text) for part in read_multipart(received[0]["body"].encode(), content_type)]


def test_the_panel_edits_the_fields_and_has_a_labelled_input_per_file(multipart_project: Path) -> None:
    settings = load_settings(multipart_project / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    endpoint = endpoint_of(multipart_project, SLUG)
    data = explorer_data(endpoint, settings, languages)
    assert data["multipart"] is True and json.loads(data["body"]) == FIELDS
    assert data["uploads"] == [
        {"field": "file", "at": 1, "names": ["report.csv"], "multiple": False, "placeholders": [sample_file("report.csv").decode()]},
        {"field": "attachments", "at": 3, "names": ["notes.txt", "logo.png"], "multiple": True,
         "placeholders": [sample_file("notes.txt").decode(), sample_file("logo.png").decode()]}]
    assert "content-type" not in [header["name"].lower() for header in data["headers"]]  # the browser writes it
    assert all(snippet["parts"] for snippet in data["snippets"])  # every tab follows the reader's values
    panel = render_panel(endpoint, settings, languages)
    assert '<fieldset class="apidocs-explorer-group"><legend>Files</legend>' in panel
    assert ('<label for="apidocs-x-file-0">file</label><input id="apidocs-x-file-0" data-upload="0" type="file"'
            ' aria-describedby="apidocs-x-file-0-hint">') in panel
    assert '<input id="apidocs-x-file-1" data-upload="1" type="file" multiple' in panel  # its example is a list
    assert f"Sent as {MULTIPART}: write its text fields as a JSON object" in panel
    hostile = '<img src=x onerror="alert(1)">'  # a member name is the writer's text, never markup
    odd = dataclasses.replace(with_body(endpoint, {hostile: "a.txt"}), request_files=[hostile])
    markup = render_panel(odd, settings, languages)
    assert "<img" not in markup and f"<label for=\"apidocs-x-file-0\">{html.escape(hostile)}</label>" in markup


@in_chromium
def test_send_uploads_placeholders_that_the_sandbox_accepts(page: Page, served_multipart: Served) -> None:
    open_upload_page(page, served_multipart)  # the sandbox is the default server
    body = page.get_by_label("Body", exact=True)
    assert json.loads(body.input_value()) == FIELDS
    expect(body).to_have_accessible_description(re.compile(f"^Sent as {MULTIPART}: .*placeholder named as in the example"))
    expect(page.get_by_label("file", exact=True)).to_have_accessible_description(
        "None chosen: Send uploads a small placeholder named report.csv.")
    expect(page.get_by_label("attachments", exact=True)).to_have_accessible_description(
        "None chosen: Send uploads a small placeholder named notes.txt, logo.png.")
    with page.expect_request(lambda request: request.url.endswith(f"/sandbox{PATH}") and request.method == "POST") as caught:
        send(page)
    assert (caught.value.headers.get("content-type") or "").startswith(f"{MULTIPART}; boundary=")
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))  # the sandbox refuses a file sent as text (400)
    expect(page.locator(".apidocs-explorer-body code")).to_contain_text('"id": "doc-1"')


@in_chromium
def test_the_placeholders_reach_the_server_as_the_snippets_send_them(page: Page, served_multipart: Served, echo: Echo) -> None:
    open_upload_page(page, served_multipart)
    pick_echo(page)
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received_parts(echo, before) == expected_parts(BODY) == [
        ("title", None, "Q3 report"), ("file", "report.csv", "apidocs sample upload: report.csv\n"), ("tags", None, "a"),
        ("tags", None, "b"), ("attachments", "notes.txt", "apidocs sample upload: notes.txt\n"),
        ("attachments", "logo.png", "apidocs sample upload: logo.png\n"), ("meta[k]", None, "v w")]


@in_chromium
def test_chosen_files_are_uploaded_with_their_content(page: Page, served_multipart: Served, echo: Echo) -> None:
    open_upload_page(page, served_multipart)
    page.get_by_label("file", exact=True).set_input_files(REPORT)
    page.get_by_label("attachments", exact=True).set_input_files(NOTES)
    expect(page.get_by_label("file", exact=True)).to_have_accessible_description("")  # nothing to say: sent as chosen
    send(page)  # to the sandbox first: the chosen files are files too
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    pick_echo(page)
    before = len(echo.seen)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    chosen = {**BODY, "file": "q3.csv", "attachments": ["minutes.txt", "plan.md"]}
    contents = {item["name"]: item["buffer"] for item in [REPORT, *NOTES]}
    assert received_parts(echo, before) == expected_parts(chosen, contents)
    assert ("file", "q3.csv", "quarter,total\nQ3,1204 €\n") in received_parts(echo, before)


@in_chromium
def test_the_snippets_follow_the_edited_fields_and_the_chosen_files(page: Page, served_multipart: Served,
                                                                   multipart_project: Path, echo: Echo) -> None:
    endpoint = endpoint_of(multipart_project, SLUG)
    open_upload_page(page, served_multipart)
    pick_echo(page)
    expect_tabs(page, expected_snippets(multipart_project, endpoint, echo.url))
    edited = {"title": "it's $(id) `x` é 😀", "n": 1e16, "rows": [{"id": 1}], "tags": ["x"], "empty": [], "none": None}
    page.get_by_label("Body", exact=True).fill(json.dumps(edited, ensure_ascii=False, indent=2))
    # Each file member back at its place among the members (second and fourth), the example's names.
    merged = {"title": edited["title"], "file": "report.csv", "n": 1e16, "attachments": ["notes.txt", "logo.png"],
              "rows": [{"id": 1}], "tags": ["x"], "empty": [], "none": None}
    expect_tabs(page, expected_snippets(multipart_project, with_body(endpoint, merged), echo.url))
    page.get_by_label("file", exact=True).set_input_files(ODD)
    page.get_by_label("attachments", exact=True).set_input_files(NOTES[:1])
    chosen = {**merged, "file": "My_Report__1_.csv", "attachments": ["minutes.txt"]}
    expect_tabs(page, expected_snippets(multipart_project, with_body(endpoint, chosen), echo.url))
    assert "  -F 'file=@My_Report__1_.csv' \\\n" in tab_texts(page)[0]
    expect(page.get_by_label("file", exact=True)).to_have_accessible_description(
        'The snippets name it My_Report__1_.csv: their file names are letters, digits, ".", "_" and "-".')
    before = len(echo.seen)
    send(page)  # Send uploads the file as the reader named it
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert ("file", "My Report (1).csv", "a,b\n") in received_parts(echo, before)
    page.get_by_label("file", exact=True).set_input_files([])
    expect_tabs(page, expected_snippets(multipart_project, with_body(endpoint, {**chosen, "file": "report.csv"}), echo.url))


@in_chromium
def test_a_body_that_cannot_be_multipart_fields_is_not_sent(page: Page, served_multipart: Served, echo: Echo) -> None:
    open_upload_page(page, served_multipart)
    pick_echo(page)
    before = len(echo.seen)
    body = page.get_by_label("Body", exact=True)
    error = page.locator(".apidocs-explorer-body-error")
    for text, problem in [('{"title": "x", "file": "x.txt"}', "file is a file: choose it under Files, not in the JSON"),
                          ('["title"]', "a multipart body must be a JSON object (its fields), not a list"),
                          ('{"a=b": 1}', "the field name 'a=b' cannot be a part's name")]:
        body.fill(text)
        expect(body).to_have_attribute("aria-invalid", "true")
        expect(error).to_contain_text(f"Body cannot be sent as multipart fields: {problem}")
        send(page)
        expect(status(page)).to_have_text("Not sent: the body cannot be sent as multipart fields.")
        expect(body).to_be_focused()
    assert [seen for seen in echo.seen[before:] if seen["path"] == PATH] == []
    body.fill(json.dumps(FIELDS))
    expect(body).to_have_attribute("aria-invalid", "false")
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert received_parts(echo, before) == expected_parts(BODY)


@in_chromium
def test_the_file_inputs_are_labelled_and_the_page_has_no_serious_accessibility_violation(page: Page,
                                                                                           served_multipart: Served) -> None:
    open_upload_page(page, served_multipart)
    for name, multiple in [("file", False), ("attachments", True)]:
        upload = page.get_by_label(name, exact=True)
        expect(upload).to_have_attribute("type", "file")
        assert upload.evaluate("input => input.multiple") is multiple
    assert axe_violations(page) == []
    page.get_by_label("file", exact=True).set_input_files(ODD)
    send(page)
    expect(status(page)).to_have_text(re.compile(r"^200 OK"))
    assert axe_violations(page) == []
