"""Multipart bodies (`multipart/form-data`, file uploads) of OpenAPI specs: imported as multipart
definitions whose files are files (every snippet run for real by the check uploads them),
exported back as multipart with their files, and what the snippets cannot follow reported.

Before, such a body was documented and sent as JSON, and the export said application/json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from apidocs.model.multipart import is_file_name
from apidocs.openapi.multipart import exported_schema, file_kind, file_name, is_file_schema
from conftest import PYTHON

MULTIPART = "multipart/form-data"
FILE = {"type": "string", "format": "binary"}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "Uploads", "version": "1"},
    "servers": [{"url": "https://api.uploads.example/v1"}],
    "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}},
    "security": [{"key": []}],
    "paths": {
        "/documents": {"post": {
            "operationId": "uploadDocument", "summary": "Upload a document",
            "requestBody": {"required": True, "content": {MULTIPART: {
                "schema": {"type": "object", "required": ["file", "title"], "properties": {
                    "title": {"type": "string"},
                    "file": FILE,  # required
                    "thumbnail": FILE,  # optional
                    "attachments": {"type": "array", "items": FILE},  # several files under one name
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "pages": {"type": "integer", "minimum": 1},
                    # A file inside an object: a part is one of the body's own members.
                    "meta": {"type": "object", "properties": {"source": {"type": "string"}, "avatar": FILE}},
                    "a=b": {"type": "string"}}},  # curl reads a part's name up to its first `=`
                "encoding": {"file": {"contentType": "application/pdf"},
                             "thumbnail": {"contentType": "image/png, image/jpeg"},
                             "pages": {"contentType": "application/json"},
                             "title": {"headers": {"X-Part": {"schema": {"type": "string"}}}},
                             "tags": {"style": "form", "explode": False}}}}},
            "responses": {"201": {"description": "stored", "content": {"application/json": {"example": {"id": "doc_1"}}}}}}},
        "/scans": {"post": {
            "operationId": "uploadScans",
            "requestBody": {"required": True, "content": {MULTIPART: {
                "schema": {"type": "object", "required": ["scan", "x\"y"], "properties": {
                    "scan": FILE,
                    "x\"y": {"type": "string"},  # required, and no client can send it
                    "lines": {"type": "array", "items": {"type": "object", "required": ["copy"], "properties": {
                        "n": {"type": "integer"}, "copy": FILE}}}}}}}},
            "responses": {"200": {"description": "ok"}}}},
        # Telegram's way: a file, or the id of one sent before; a schema of a description alone.
        "/photos": {"post": {
            "operationId": "sendPhoto",
            "requestBody": {"required": True, "content": {MULTIPART: {"schema": {
                "type": "object", "required": ["document", "photo", "sticker"], "properties": {
                    "document": FILE,
                    "photo": {"anyOf": [{"description": "a file to upload"}, {"type": "string"}]},
                    "sticker": {"description": "a file to upload"}}}}}},
            "responses": {"200": {"description": "ok"}}}},
        "/avatars": {"put": {
            "operationId": "putAvatar",
            "requestBody": {"content": {MULTIPART: {"schema": {"type": "object", "properties": {"image": FILE}}}}},
            "responses": {"200": {"description": "ok"}}}},
    },
}

SPEC_31: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "Images", "version": "1"},
    "paths": {"/images": {"post": {
        "operationId": "uploadImage",
        "requestBody": {"required": True, "content": {MULTIPART: {
            "schema": {"type": "object", "required": ["image"], "properties": {
                "image": {"type": "string", "contentMediaType": "image/png"},
                "raw": {"contentMediaType": "application/octet-stream"},
                "encoded": {"type": "string", "contentEncoding": "base64"},
                "doc": {"type": "string", "contentMediaType": "application/json"},  # JSON text, not a file
                "scans": {"type": "array", "items": {"type": "string", "contentMediaType": "image/jpeg"}},
                "caption": {"type": ["string", "null"]}}}}}},
        "responses": {"200": {"description": "ok"}}}}},
}


def apidocs(*arguments: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([PYTHON, "-m", "apidocs", *arguments], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def import_spec(spec: dict[str, Any], folder: Path) -> Path:
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    apidocs("import-openapi", str(folder / "spec.json"), str(folder / "project"))
    return folder / "project"


def front(project: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(next(project.glob(f"docs/**/{name}.md")).read_text(encoding="utf-8").split("---\n")[1])
    return data


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_spec(SPEC, tmp_path_factory.mktemp("multipart"))


@pytest.fixture(scope="module")
def project_31(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_spec(SPEC_31, tmp_path_factory.mktemp("multipart31"))


def report(project: Path) -> str:
    return (project / "import-report.txt").read_text(encoding="utf-8")


def test_a_multipart_body_becomes_a_multipart_definition_whose_files_are_named(project: Path) -> None:
    document = front(project, "upload-document")
    assert document["example"]["headers"]["Content-Type"] == MULTIPART
    body = document["example"]["body"]
    # Each file a plain name from its part's content type (the first of a list), else .bin.
    assert body["file"] == "file.pdf" and body["thumbnail"] == "thumbnail.png" and body["attachments"] == ["attachments.bin"]
    assert document["request"]["files"] == ["file", "thumbnail", "attachments"]
    # A member whose part is JSON keeps its content type: it is sent as its JSON text.
    assert document["request"]["encoding"] == {"pages": {"contentType": "application/json"}, "tags": {"style": "form", "explode": False}}
    # The schema is the spec's: the files stay as it writes them.
    assert document["request"]["schema"]["properties"]["file"] == FILE
    assert "avatar" not in body["meta"] and "a=b" not in body  # left out, and reported
    page = next(project.glob("docs/**/upload-document.md")).read_text(encoding="utf-8")
    assert "file\n: (file) ***Required***" in page and "attachments\n: (array of file)" in page


def test_the_report_says_what_the_snippets_cannot_follow_and_no_longer_json(project: Path) -> None:
    text = report(project)
    assert "documented and sent as JSON" not in text
    lines = [line for line in text.splitlines() if line.startswith("POST /documents: ")]
    assert "POST /documents: multipart field `title`: the headers of its part (X-Part) are not sent" in lines
    assert ("POST /documents: multipart field `pages`: sent as a part holding its JSON text, without a Content-Type of its own"
            " (application/json, the content type of its encoding)") in lines
    assert sum("not as one JSON part each (OpenAPI's default)" in line and "`meta`" in line for line in lines) == 1
    assert any("multipart files inside objects (`meta.avatar`) are left out of the example" in line for line in lines)
    assert any(line.startswith("POST /documents: multipart field `a=b` is left out of the example: ") for line in lines)
    assert not any("`file`" in line or "`thumbnail`" in line for line in lines)  # a file's content type names its file
    # A required file inside an object is sent as text; a required member no client can send
    # is left out, its schema then not carried (the sandbox would refuse the example).
    assert "POST /scans: multipart files inside objects (`lines.copy`) are sent as text fields" in text
    assert "POST /scans: request example does not fit its schema, which is not carried over" in text
    scans = next(project.glob("docs/**/upload-scans.md")).read_text(encoding="utf-8")
    assert 'x"y\n: (string) Required by the API; left out of the example' in scans


def test_a_required_member_whose_example_sends_no_part_gets_another_value(project: Path) -> None:
    # An empty object or list sends no part: the sandbox would find the member missing.
    assert front(project, "send-photo")["example"]["body"] == {"document": "document.bin", "photo": "string", "sticker": "string"}
    assert "POST /photos: multipart field `photo`: its example ({}) would send no part;" in report(project)


def test_an_optional_body_not_sent_keeps_its_media_type_and_files(project: Path) -> None:
    avatar = front(project, "put-avatar")
    assert "body" not in avatar.get("example", {})
    assert avatar["request"]["media_type"] == MULTIPART and avatar["request"]["files"] == ["image"]


def test_openapi_3_1_files_are_read_from_content_media_type_and_encoding(project_31: Path) -> None:
    document = front(project_31, "upload-image")
    assert document["example"]["body"]["image"] == "image.png"
    assert set(document["request"]["files"]) == {"image", "raw", "encoded", "scans"}
    assert document["example"]["body"]["scans"] == ["scans.jpg"]
    assert isinstance(document["example"]["body"]["doc"], str) and "doc" not in document["request"]["files"]


@pytest.mark.parametrize("name", ["project", "project_31"])
def test_the_imported_project_lints_builds_strictly_and_every_snippet_uploads_its_files(name: str,
                                                                                       request: pytest.FixtureRequest) -> None:
    folder: Path = request.getfixturevalue(name)
    config = str(folder / "mkdocs.yml")
    linted = apidocs("-f", config, "lint")
    assert "0 errors, 0 warnings" in linted.stderr, linted.stdout
    apidocs("-f", config, "build", "--strict", "-d", str(folder / "site"))
    html = next((folder / "site").glob("**/upload-*/index.html")).read_text(encoding="utf-8")
    assert "-F" in html or "--form" in html
    # curl, HTTPie, Python and Node, each run for real: the sandbox answers only when each file
    # came as a file and each field as text; the check compares every part's name and content.
    checked = apidocs("-f", config, "check", "-j", "2", timeout=600)
    count = 4 * len(list((folder / "docs").glob("*/*.md")))
    assert f"{count} snippets: {count} passed, 0 failed" in checked.stdout, checked.stdout


def test_the_export_keeps_the_media_type_the_files_and_the_encoding(project: Path, tmp_path: Path) -> None:
    apidocs("-f", str(project / "mkdocs.yml"), "export-openapi", "-o", str(tmp_path / "openapi.json"))
    document = json.loads((tmp_path / "openapi.json").read_text(encoding="utf-8"))
    validate(document)
    content = document["paths"]["/documents"]["post"]["requestBody"]["content"]
    assert list(content) == [MULTIPART]
    schema = content[MULTIPART]["schema"]
    assert schema["properties"]["file"] == FILE and schema["properties"]["attachments"]["items"] == FILE
    assert content[MULTIPART]["encoding"] == {"pages": {"contentType": "application/json"}, "tags": {"style": "form", "explode": False},
                                             "meta": {"style": "deepObject", "explode": True}}
    assert list(document["paths"]["/avatars"]["put"]["requestBody"]["content"]) == [MULTIPART]  # no example, still multipart
    # Imported again: the same files, the same parts (`meta` is now bracketed as the spec says).
    again = tmp_path / "again"
    apidocs("import-openapi", str(tmp_path / "openapi.json"), str(again))
    first, second = front(project, "upload-document"), front(again, "upload-document")
    assert second["example"]["headers"]["Content-Type"] == MULTIPART
    assert second["request"]["files"] == first["request"]["files"] and second["example"]["body"] == first["example"]["body"]
    assert "not as one JSON part each" not in report(again)
    assert front(again, "put-avatar")["request"]["files"] == ["image"]


@pytest.mark.parametrize(("schema", "kind"), [
    (FILE, "file"),
    ({"type": "string", "format": "base64"}, "file"),
    ({"format": "binary"}, "file"),
    ({"type": ["string", "null"], "format": "binary"}, "file"),
    ({"allOf": [FILE], "description": "the scan"}, "file"),
    ({"type": "string", "contentMediaType": "image/png"}, "file"),
    ({"contentMediaType": "application/octet-stream"}, "file"),
    ({"type": "string", "contentEncoding": "base64"}, "file"),
    ({"type": "array", "items": FILE}, "files"),
    ({"type": "array", "items": {"type": "string", "contentMediaType": "image/jpeg"}}, "files"),
    ({"type": "string"}, None),
    ({"type": "string", "format": "byte"}, None),
    ({"type": "string", "contentMediaType": "application/json"}, None),
    ({"type": "integer", "format": "binary"}, None),
    ({"type": "object", "properties": {"f": FILE}}, None),
])
def test_which_schemas_are_files(schema: dict[str, Any], kind: str | None) -> None:
    assert file_kind(schema) == kind
    assert is_file_schema(schema) == (kind == "file")


@pytest.mark.parametrize(("member", "content_type", "number", "expected"), [
    ("file", "application/pdf", None, "file.pdf"),
    ("file", "application/pdf; charset=x", None, "file.pdf"),
    ("scans", "image/*", 2, "scans-2.bin"),
    ("résumé file", None, None, "resume_file.bin"),
    ("...", None, None, "upload.bin"),
    (".env", None, None, "env.bin"),
    ("日本", "text/csv", None, "upload.csv"),
    ("a/../../b", None, None, "a_.._.._b.bin"),
    ("x" * 300, "application/pdf", 12, "x" * 93 + "-12.pdf"),
])
def test_file_names_are_plain_names_the_check_can_create(member: str, content_type: str | None, number: int | None,
                                                         expected: str) -> None:
    name = file_name(member, content_type, {}, number)
    assert name == expected and is_file_name(name)


def test_the_export_marks_the_definitions_files_where_its_schema_does_not() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "array", "items": {"type": "string"}}, "c": FILE, "d": {"type": "string"}}}
    marked = exported_schema(schema, ["a", "b", "c"])
    assert marked["properties"]["a"] == {"type": "string", "contentMediaType": "application/octet-stream"}
    assert marked["properties"]["b"]["items"] == {"type": "string", "contentMediaType": "application/octet-stream"}
    assert marked["properties"]["c"] == FILE and marked["properties"]["d"] == {"type": "string"}
    assert schema["properties"]["a"] == {"type": "string"}  # the definition's own is left as it is


def test_a_multipart_body_without_files_is_sent_as_multipart_by_every_snippet(tmp_path: Path) -> None:
    # Some APIs take multipart bodies of text fields only; a spec's example may also leave every file out.
    spec = {"openapi": "3.0.3", "info": {"title": "Fields", "version": "1"}, "paths": {"/notes": {"post": {
        "operationId": "note", "requestBody": {"required": True, "content": {MULTIPART: {"schema": {
            "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
        "responses": {"200": {"description": "ok"}}}}}}
    project = import_spec(spec, tmp_path)
    checked = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "check", "-j", "2"],
                             capture_output=True, text=True, timeout=300)
    assert "4 snippets: 4 passed, 0 failed" in checked.stdout, checked.stdout


def test_fields_the_schema_names_with_brackets_are_checked_under_those_names(tmp_path: Path) -> None:
    # formapi.io lists a multipart body's fields as `template[document]`, `template[name]`: the
    # sandbox read them back nested (`template` → `name`) and refused every snippet's body (400).
    schema = {"type": "object", "required": ["template[document]", "template[name]"],
              "properties": {"template[document]": {"type": "string", "format": "binary"},
                             "template[name]": {"type": "string", "example": "Test"},
                             "template[size]": {"type": "integer", "example": 3},
                             "other": {"type": "string", "example": "x"}}}
    form = {"type": "object", "required": ["a[b]"], "properties": {"a[b]": {"type": "integer", "example": 5}}}
    project = import_spec({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
        "paths": {"/templates": {"post": {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}},
                                          "responses": {"201": {"description": "made"}}}},
                  "/forms": {"post": {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": form}}},
                                      "responses": {"200": {"description": "ok"}}}}}}, tmp_path)
    checked = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "check", "--lang", "curl", "--lang", "Python"],
                             capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "4 passed, 0 failed" in checked.stdout
