"""Bodies sent as they are: text (`text/plain`, `text/csv`) and a file's bytes
(`application/octet-stream`, an image), as upload and ingest endpoints take them. Every
snippet sends the very text or file (run for real through the check), the sandbox reads them by
their media type, and a definition that cannot be sent gets a `file:line` error.

Before, such a body was sent as JSON: a text became a quoted JSON string and a file upload
sent its name."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from apidocs.check.compare import compare_exchanges
from apidocs.check.relay import Exchange
from apidocs.model.multipart import sample_file
from apidocs.model.raw import is_raw
from apidocs.rendering.request import HttpRequest
from bodies_helpers import apidocs, import_openapi, import_spec, write_project
from sandbox_helpers import RunningSandbox, start_sandbox

TOKEN = {"Authorization": "Bearer your-api-token"}

NOTE = """\
---
title: /notes
name: Post a note
position: 1
method: post
example:
  headers:
    Content-Type: text/plain; charset=utf-8
  body: "@home: it's 5 $HOME\\nsecond line, ünïcode \\\\ 'quoted'"
  status: 201
request:
  schema: {type: string, maxLength: 100}
responses:
- status: 201
  body:
    id: n1
- status: 400
  body:
    detail: the body is missing
---

Posts a note as plain text.
"""

PHOTO = """\
---
title: /photos/{name}
name: Upload a photo
position: 2
method: put
example:
  params:
    name: cat
  headers:
    Content-Type: image/png
  body: cat.png
request:
  body_file: true
responses:
- status: 204
---

Uploads the photo's bytes as the body.
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    return write_project(folder, {"note.md": NOTE, "photo.md": PHOTO})


@pytest.fixture(scope="module")
def api(project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


@pytest.mark.parametrize(("content_type", "raw"), [
    ("text/plain", True), ("text/csv; charset=utf-8", True), ("application/octet-stream", True), ("image/png", True),
    ("application/json", False), ("application/vnd.api+json; charset=utf-8", False),
    ("application/x-www-form-urlencoded", False), ("multipart/form-data; boundary=x", False), ("multipart/mixed", False),
    (None, False),
])
def test_what_goes_as_it_is(content_type: str | None, raw: bool) -> None:
    assert is_raw(content_type) is raw


def test_every_snippet_sends_the_text_or_the_file(project: Path) -> None:
    result = apidocs(project, "check", "-j", "2", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed, 0 failed" in result.stdout
    # The documented 400 is reached too: the check sends the request without its body.
    assert "note.md: 400 ok (with no body)" in result.stdout


def test_the_check_compares_the_text_and_the_files_content() -> None:
    headers = [("Content-Type", "text/plain")]
    text = HttpRequest("POST", "http://sandbox", "/notes", headers=headers, body="a\nb 'c'")
    upload = HttpRequest("PUT", "http://sandbox", "/photos/cat", headers=[("Content-Type", "image/png")], body="cat.png",
                         body_file=True)

    def problems(request: HttpRequest, sent: bytes) -> list[str]:
        exchange = Exchange(request.method, request.path, request.headers, sent, status=200)
        return compare_exchanges(request, [exchange], 200)[0]

    assert problems(text, b"a\nb 'c'") == []
    assert problems(text, b'"a\\nb \'c\'"') == ["body: not the documented text"]  # the JSON string of it
    assert problems(text, b"\xff") == ["body: sent text that is not UTF-8"]
    assert problems(upload, sample_file("cat.png")) == []
    assert problems(upload, b"cat.png") == ["body: not the documented file's content"]  # its name, not its bytes


def test_the_sandbox_reads_the_body_by_its_media_type(api: RunningSandbox) -> None:
    def note(data: bytes, content_type: str | None = "text/plain") -> requests.Response:
        headers = {**TOKEN, **({"Content-Type": content_type} if content_type else {})}
        return requests.post(f"{api.url}/notes", data=data, headers=headers, timeout=10)

    assert note("héllo".encode()).status_code == 201
    assert note(b"x" * 101).status_code == 400  # its schema: at most 100 characters
    assert note(b"\xff\xfe").status_code == 400  # not UTF-8 text
    assert note(b'{"a": 1}', "application/json").status_code == 415
    assert note(b"hello", None).status_code == 415
    assert note(b"").status_code == 400  # the example sends a body: it is needed
    photo = requests.put(f"{api.url}/photos/cat", data=b"\x89PNG\r\n\x1a\n\x00\xff", headers={**TOKEN, "Content-Type": "image/png"},
                         timeout=10)
    assert photo.status_code == 204, photo.text


def test_the_pages_show_the_text_and_the_upload(project: Path) -> None:
    result = apidocs(project, "build", "--strict", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    photo = (project / "site" / "photo" / "index.html").read_text(encoding="utf-8")
    assert "--data-binary" in photo and "@cat.png" in photo and "readFileSync" in photo


@pytest.mark.parametrize(("body", "extra", "message", "line"), [
    ("body: {a: 1}", "", "it must be text", 7),
    ("body: ../cat.png", "request:\n  body_file: true\n", "must be a plain file name", 7),
    ("body: '-'", "request:\n  body_file: true\n", "must be a plain file name", 7),  # curl reads `@-` as its input
    ('body: ""', "", "is empty", 7),  # no body at all: the sandbox would want one
    ("body: caf\u00e9", "", "UTF-8", 4),  # the snippets send UTF-8, whatever the header says
])
def test_a_body_that_cannot_be_sent_as_it_is_is_an_error_at_its_line(tmp_path: Path, body: str, extra: str, message: str,
                                                                     line: int) -> None:
    content_type = "text/plain; charset=iso-8859-1" if "caf" in body else "text/plain"
    text = f"---\ntitle: /notes\nmethod: post\nexample:\n  headers:\n    Content-Type: {content_type}\n  {body}\n{extra}---\n"
    write_project(tmp_path, {"note.md": text})
    result = apidocs(tmp_path, "lint", timeout=120)
    assert f"note.md:{line}: E008" in result.stdout, result.stdout
    assert message in result.stdout


RAW_SPEC = {
    "openapi": "3.0.3", "info": {"title": "Ingest", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/blobs": {"put": {
            "operationId": "putBlob", "requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"204": {"description": "stored"}}}},
        "/avatars": {"post": {
            "operationId": "postAvatar", "requestBody": {"required": True, "content": {"image/png": {}}},
            "responses": {"201": {"description": "made"}}}},
        "/rows": {"post": {
            "operationId": "postRows", "requestBody": {"required": True, "content": {
                "text/csv": {"schema": {"type": "string"}, "example": "id,name\n1,Ada\n"}}},
            "responses": {"200": {"description": "read"}}}},
        "/documents": {"post": {
            "operationId": "postDocument", "requestBody": {"required": True, "content": {
                "application/xml": {"schema": {"type": "object", "xml": {"name": "Document"}, "required": ["id"], "properties": {
                    "id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string", "xml": {"name": "tag"}}}}}}}},
            "responses": {"200": {"description": "read"}}}},
        "/settings": {"put": {
            "operationId": "putSettings", "requestBody": {"required": True, "content": {
                "application/x-yaml": {"schema": {"type": "object", "properties": {"depth": {"type": "integer"}}}}}},
            "responses": {"200": {"description": "read"}}}},
        "/anything": {"post": {
            "operationId": "postAnything", "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "read"}}}},
    },
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_spec(tmp_path_factory.mktemp("raw-import"), RAW_SPEC)


def test_the_import_sends_files_as_files_and_text_as_text(imported: Path) -> None:
    def front(name: str) -> dict[str, Any]:
        text = next(imported.glob(f"docs/**/{name}.md")).read_text(encoding="utf-8")
        return yaml.safe_load(text.split("---\n")[1])

    blob, avatar, rows = front("put-blob"), front("post-avatar"), front("post-rows")
    assert blob["example"]["body"] == "upload.bin" and blob["request"]["body_file"] is True
    assert avatar["example"]["body"] == "upload.png" and avatar["request"]["body_file"] is True
    assert avatar["example"]["headers"] == {"Content-Type": "image/png"}
    assert rows["example"]["body"] == "id,name\n1,Ada\n" and "body_file" not in rows.get("request", {})
    assert rows["example"]["headers"] == {"Content-Type": "text/csv"}
    # A document described by an object schema is sent as the text it stands for (OpenAPI's XML defaults).
    document = front("post-document")
    assert document["example"]["headers"] == {"Content-Type": "application/xml"}
    assert document["example"]["body"].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Document>\n  <id>')
    assert "<tag>" in document["example"]["body"]
    assert yaml.safe_load(front("put-settings")["example"]["body"]) == {"depth": 1} or "depth:" in front("put-settings")["example"]["body"]
    # A string any media type may carry goes as text, documented by its range.
    anything = front("post-anything")
    assert anything["example"]["headers"] == {"Content-Type": "text/plain"} and anything["request"]["media_range"] == "*/*"
    report = (imported / "import-report.txt").read_text(encoding="utf-8")
    assert "Everything was carried over." in report


def test_an_xml_document_is_named_by_its_schema_or_the_component_it_refers_to(tmp_path: Path) -> None:
    """OpenAPI names an XML document's root by its schema's `xml.name`, else by the component
    the schema is a `$ref` to (`#/components/schemas/Pet` is `<Pet>`), also through a
    `requestBody` `$ref`; only a schema with neither gets the generic `<request>`."""
    pet = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "example": "Rex"}}}

    def operation(name: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"post": {"operationId": name, "requestBody": body, "responses": {"200": {"description": "read"}}}}

    def xml(schema: dict[str, Any]) -> dict[str, Any]:
        return {"required": True, "content": {"application/xml": {"schema": schema}}}

    project = import_spec(tmp_path, {
        "openapi": "3.1.0", "info": {"title": "Pets", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
        "paths": {"/pets": operation("addPet", xml({"$ref": "#/components/schemas/Pet"})),
                  "/adoptions": operation("adopt", {"$ref": "#/components/requestBodies/Adoption"}),
                  "/tags": operation("addTag", xml({"$ref": "#/components/schemas/Tag"})),
                  "/plain": operation("addPlain", xml(pet))},
        "components": {"schemas": {"Pet": pet, "Tag": {**pet, "xml": {"name": "label"}}},
                       "requestBodies": {"Adoption": xml({"$ref": "#/components/schemas/Pet"})}},
    })

    def root(name: str) -> str:
        text = next(project.glob(f"docs/**/{name}.md")).read_text(encoding="utf-8")
        body: str = yaml.safe_load(text.split("---\n")[1])["example"]["body"]
        return body.splitlines()[1]

    assert root("add-pet") == "<Pet>"
    assert root("adopt") == "<Pet>"
    assert root("add-tag") == "<label>"  # its own `xml.name` comes first
    assert root("add-plain") == "<request>"


def test_an_xml_document_follows_the_xml_object_attributes_wrapping_and_namespaces(tmp_path: Path) -> None:
    """OpenAPI's XML Object: `attribute` members are attributes of their parent, a `wrapped`
    list's items go under one element named for the list, `prefix` and `namespace` qualify a
    name and declare the namespace, and members of `allOf` parts are members too. They were all
    written as plain elements, which an XML API reading the spec's document would refuse."""
    pet = {"type": "object", "xml": {"name": "Pet", "prefix": "p", "namespace": "https://example.com/pet"},
           "required": ["id", "name", "tags", "photos", "owner"], "properties": {
               "id": {"type": "integer", "example": 7, "xml": {"attribute": True}},
               "name": {"type": "string", "example": "Rex"},
               "tags": {"type": "array", "xml": {"wrapped": True}, "example": ["calm", "old"],
                        "items": {"type": "string", "xml": {"name": "tag"}}},
               "photos": {"type": "array", "example": ["a.png"], "items": {"type": "string"}},
               "owner": {"allOf": [{"type": "object", "required": ["ref"],
                                    "properties": {"ref": {"type": "string", "example": "u1", "xml": {"attribute": True}}}}]}}}
    project = import_spec(tmp_path, {
        "openapi": "3.0.3", "info": {"title": "Pets", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
        "paths": {"/pets": {"post": {"operationId": "addPet", "requestBody": {"required": True, "content": {
            "application/xml": {"schema": pet}}}, "responses": {"200": {"description": "read"}}}}}})
    text = next(project.glob("docs/**/add-pet.md")).read_text(encoding="utf-8")
    body: str = yaml.safe_load(text.split("---\n")[1])["example"]["body"]
    document = ElementTree.fromstring(body.encode("utf-8"))
    assert document.tag == "{https://example.com/pet}Pet" and document.attrib == {"id": "7"}
    assert [child.tag for child in document] == ["name", "tags", "photos", "owner"]
    tags = document.find("tags")
    assert tags is not None and [tag.text for tag in tags] == ["calm", "old"]
    assert document.find("photos").text == "a.png"  # type: ignore[union-attr]
    assert document.find("owner").attrib == {"ref": "u1"}  # type: ignore[union-attr]


def test_the_imported_project_builds_and_every_snippet_sends_its_body(imported: Path) -> None:
    for command in (["lint"], ["build", "--strict"], ["check", "-j", "2"]):
        result = apidocs(imported, *command, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "24 passed, 0 failed" in result.stdout


def test_the_export_keeps_the_media_types_and_the_files(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    result = apidocs(imported, "export-openapi", "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    from openapi_spec_validator import validate

    validate(document)
    bodies = {path: next(iter(item.values()))["requestBody"]["content"] for path, item in document["paths"].items()}
    assert list(bodies["/blobs"]) == ["application/octet-stream"] and "example" not in bodies["/blobs"]["application/octet-stream"]
    assert bodies["/avatars"] == {"image/png": {"schema": {}}}  # as the spec said: any bytes; no example
    assert bodies["/rows"]["text/csv"]["example"] == "id,name\n1,Ada\n"
    # Imported again, the files stay files.
    again = tmp_path / "again"
    result = import_openapi(out, again)
    assert result.returncode == 0, result.stderr
    assert "body_file: true" in next(again.glob("docs/**/post-avatar.md")).read_text(encoding="utf-8")


def test_a_written_file_body_exports_as_bytes_of_its_media_type(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    result = apidocs(project, "export-openapi", "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    paths = json.loads(out.read_text(encoding="utf-8"))["paths"]
    assert paths["/photos/{name}"]["put"]["requestBody"]["content"] == {
        "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}
    note = paths["/notes"]["post"]["requestBody"]["content"]["text/plain"]
    assert note["example"].startswith("@home: it's 5 $HOME\nsecond line") and note["schema"]["maxLength"] == 100


def test_an_optional_file_body_without_an_example_builds_and_a_nul_is_an_error(tmp_path: Path) -> None:
    # What import-openapi writes for an optional binary body the spec shows no example of: the
    # snippets send no body (they tried to upload a file named by nothing, and the build failed).
    write_project(tmp_path, {"avatar.md": "---\ntitle: /avatar\nmethod: put\nrequest:\n  media_type: image/png\n  body_file: true\n"
                                          "  required: false\nresponses:\n- status: 204\n---\n"})
    result = apidocs(tmp_path, "build", "--strict", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "docs" / "note.md").write_text(
        '---\ntitle: /notes\nmethod: post\nexample:\n  headers:\n    Content-Type: text/plain\n  body: "a\\0b"\n---\n',
        encoding="utf-8")
    result = apidocs(tmp_path, "lint", timeout=120)
    assert "note.md:7: E008" in result.stdout and "NUL" in result.stdout, result.stdout


def test_a_text_with_carriage_returns_is_shown_without_them() -> None:
    # A page's HTML reads a CR as a line break: a copied snippet would send LF where the API wants
    # CRLF (a CSV). Shell words holding one are written $'…', the other languages escape it.
    from apidocs.rendering.languages import load_languages
    from apidocs.rendering.snippets import render_snippet

    snippets = Path(__file__).resolve().parent.parent / "snippets"
    request = HttpRequest("POST", "https://api.example.com", "/rows", headers=[("Content-Type", "text/csv")],
                          body="id,name\r\n1,'Ada'\r\n")
    shown = {language.name: render_snippet(snippets, language, request) for language in load_languages(snippets)}
    assert not any("\r" in text for text in shown.values()), shown
    assert "--data-raw $'id,name\\r\\n1,\\'Ada\\'\\r\\n'" in shown["curl"]
    assert "--raw=$'id,name\\r\\n1,\\'Ada\\'\\r\\n'" in shown["httpie"]
