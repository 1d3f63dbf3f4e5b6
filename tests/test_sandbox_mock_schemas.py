"""The generic mock keeps to the schemas of an imported spec: valid requests get the documented
example, invalid ones 400/422 with the reasons, in the documented error shape when there is one.
A real sandbox process over HTTP, serving a project imported from a multi-file spec."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from apidocs.sandbox.responses import header_text
from bodies_helpers import import_spec
from conftest import PYTHON, copy_project
from sandbox_helpers import RunningSandbox, start_sandbox

SPEC = Path(__file__).resolve().parent / "fixtures" / "openapi" / "library" / "openapi.yaml"
KEY = {"X-Library-Key": "your-api-token"}
BOOK = {"title": "The Dispossessed", "format": {"kind": "paper", "pages": 387}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("library") / "project"
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(SPEC), str(dest)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return dest


@pytest.fixture(scope="module")
def library(project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


def call(sandbox: RunningSandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**KEY, **kwargs.pop("headers", {})}
    return requests.request(method, sandbox.url + path, headers=headers, timeout=10, **kwargs)


def test_a_valid_request_gets_the_documented_example(library: RunningSandbox) -> None:
    answer = call(library, "POST", "/books", json=BOOK)
    assert answer.status_code == 201
    assert answer.json()["format"] == {"kind": "paper", "pages": 1}  # the documented example, as imported


@pytest.mark.parametrize(("body", "reason"), [
    ({"title": 5, "format": {"kind": "paper", "pages": 3}}, "body.title: 5 is not of type 'string'"),
    ({"title": "x"}, "'format' is a required property"),
    ({"title": "", "format": {"kind": "paper", "pages": 3}}, "body.title"),
    ({"title": "x", "format": {"kind": "paper", "pages": 0}}, "body.format"),
    ([], "is not of type 'object'"),
])
def test_a_body_outside_the_schema_is_refused_with_the_reason(library: RunningSandbox, body: object, reason: str) -> None:
    answer = call(library, "POST", "/books", json=body)
    assert answer.status_code == 422  # the status createBook documents for an invalid book
    assert reason in answer.json()["detail"]


def test_a_body_that_is_not_json_gets_the_status_documented_for_invalid_input(library: RunningSandbox) -> None:
    # createBook documents 422, not 400, for what it refuses: a body that is not JSON is one more such case.
    answer = call(library, "POST", "/books", data="{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert "the body is not valid JSON" in answer.json()["detail"]
    assert call(library, "POST", "/books", data="{}", headers={"Content-Type": "text/csv"}).status_code == 415  # not a value refused


def test_parameters_keep_to_their_documented_types(library: RunningSandbox) -> None:
    assert call(library, "GET", "/books", params={"limit": "20"}).status_code == 200
    missing = call(library, "GET", "/books")
    assert missing.status_code == 400
    assert missing.headers["X-Apidocs-Reason"] == "query parameter `limit` is required"
    wrong = call(library, "GET", "/books", params={"limit": "many"})
    assert wrong.status_code == 400 and "`limit` must be of type integer" in wrong.headers["X-Apidocs-Reason"]
    # listBooks documents its 400 body: the mock answers in that shape, the reason in a header
    assert wrong.json() == {"title": "limit must be between 1 and 50"}
    assert call(library, "GET", "/books/3fa85f64-5717-4562-b3fc-2c963f66afa6").status_code == 200
    not_uuid = call(library, "GET", "/books/not-a-uuid")
    assert not_uuid.status_code == 400 and "must be a uuid" in not_uuid.json()["detail"]
    assert call(library, "GET", "/shelves/abc/tree").status_code == 400
    assert call(library, "GET", "/shelves/7/tree").status_code == 200


def test_the_imported_project_passes_the_check_with_validation_on(project: Path) -> None:
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "check", "-j", "2", "--lang", "curl"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed, 0 failed" in result.stdout


# --- patterns are ECMA-262 (what real specs write), matched within a time limit -----------------

PATTERNS_SPEC = {
    "openapi": "3.1.0", "info": {"title": "patterns", "version": "1"},
    "paths": {"/people": {"post": {
        "operationId": "addPerson",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[\p{L}\p{Zs}'-]+$", "example": "Zoë Ünal"},
                "code": {"type": "string", "pattern": "^(a|aa)+$", "example": "aaa"},
            }}}}},
        "responses": {"201": {"description": "added", "content": {"application/json": {"example": {"added": True}}}},
                      "422": {"description": "invalid"}},
    }},
    "/people.csv": {"get": {
        "operationId": "listPeople",
        "responses": {"200": {"description": "every person", "content": {"text/csv": {
            "schema": {"type": "string"}, "example": "name,code\nAna,aa\n"}}}}}},
    "/tags": {"post": {
        "operationId": "addTags",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": {"type": "string"}, "example": {"color": "blue"}}}}},
        "responses": {"201": {"description": "added", "content": {"application/json": {"example": {"added": True}}}},
                      "422": {"description": "invalid", "content": {"application/json": {"example": {"error": "invalid tags"}}}}},
    }}},
}


@pytest.fixture(scope="module")
def people_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("patterns")
    spec = folder / "spec.json"
    spec.write_text(json.dumps(PATTERNS_SPEC), encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(folder / "project")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "schema" not in (folder / "project" / "import-report.txt").read_text(encoding="utf-8")  # carried over whole
    return folder / "project"


@pytest.fixture(scope="module")
def people(people_project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(people_project.parent / "state.sqlite3", config=people_project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


def test_unicode_classes_in_patterns_are_read_as_ecma_262(people: RunningSandbox) -> None:
    assert requests.post(people.url + "/people", json={"name": "Zoë Ünal-O'Brien"}, timeout=10).status_code == 201
    refused = requests.post(people.url + "/people", json={"name": "R2D2"}, timeout=10)
    assert refused.status_code == 422
    assert "body.name: 'R2D2' does not match" in refused.json()["detail"]


def test_a_pattern_that_backtracks_is_cut_off_not_left_to_hold_the_worker(people: RunningSandbox) -> None:
    started = time.monotonic()
    refused = requests.post(people.url + "/people", json={"name": "Ana", "code": "a" * 5000 + "b"}, timeout=10)
    assert time.monotonic() - started < 2
    assert refused.status_code == 422
    assert "takes too long to match '^(a|aa)+$'" in refused.json()["detail"]
    assert requests.post(people.url + "/people", json={"name": "Ana", "code": "aaaa"}, timeout=10).status_code == 201


def test_a_reason_quoting_control_characters_goes_out_escaped(people: RunningSandbox) -> None:
    # The reason names the member at fault, and a JSON member's name may hold any character:
    # sent raw in the header, it made uvicorn drop the connection without an answer.
    refused = requests.post(people.url + "/tags", json={"a\bb\u00eb": 5}, timeout=10)
    assert refused.status_code == 422
    assert refused.json() == {"error": "invalid tags"}  # the documented body; the reason in a header
    assert refused.headers["X-Apidocs-Reason"].endswith(": body.a\\x08b\\xeb: 5 is not of type 'string'")


def test_a_text_example_is_answered_as_the_text_the_document_describes(people: RunningSandbox, people_project: Path) -> None:
    answer = requests.get(people.url + "/people.csv", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"  # as exported; it was JSON, a quoted string
    assert answer.text == "name,code\nAna,aa\n"
    exported = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(people_project / "mkdocs.yml"), "export-openapi"],
                              capture_output=True, text=True, timeout=120)
    assert list(json.loads(exported.stdout)["paths"]["/people.csv"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    checked = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(people_project / "mkdocs.yml"), "check", "-j", "2",
                              "list-people.md"], capture_output=True, text=True, timeout=300, cwd=people_project / "docs" / "endpoints")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "4 passed, 0 failed" in checked.stdout  # every language prints the text as documented


def test_text_and_json_examples_of_one_status_are_each_documented_as_sent(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "docs" / "orders" / "health.md").write_text("""---
title: /timp/health/
name: Health
position: 5.9
method: get
responses:
- status: 200
  body: "ok"
- status: 200
  body: {"ok": true}
---
Says whether the service is up.
""", encoding="utf-8")
    (project / "docs" / "orders" / "quiet.md").write_text("""---
title: /timp/quiet/
name: Quiet
position: 5.91
method: get
responses:
- status: 200
  body: ""
---
Answers an empty text.
""", encoding="utf-8")
    exported = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "export-openapi"],
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    paths = json.loads(exported.stdout)["paths"]
    health = paths["/timp/health/"]["get"]["responses"]["200"]["content"]
    assert health == {"text/plain": {"schema": {"type": "string"}, "example": "ok"},
                      "application/json": {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
                                           "example": {"ok": True}}}
    assert list(paths["/timp/quiet/"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        answered = sandbox.client().request("GET", "/timp/health/")
        assert (answered.status_code, answered.headers["Content-Type"], answered.text) == (200, "text/plain; charset=utf-8", "ok")
        empty = sandbox.client().request("GET", "/timp/quiet/")  # an empty text is still text: it had no Content-Type
        assert (empty.status_code, empty.headers.get("Content-Type"), empty.text) == (200, "text/plain; charset=utf-8", "")
    finally:
        sandbox.stop()


def test_a_reason_header_is_one_line_of_printable_ascii() -> None:
    # Characters Python counts as white space but a header does not (U+2028, U+00A0, \x1c) are
    # escaped, not turned into spaces: the reason names the member as it is.
    assert header_text("a\u2028b \x1c\u00a0c\n\td") == b"a\\u2028b \\x1c\\xa0c d"
    assert header_text("a" * 999 + " b") == b"a" * 999  # cut at the limit, never ending in a space (h11 refuses one)


def test_the_mock_checks_parameters_against_their_imported_schemas(tmp_path: Path) -> None:
    # The definition kept only each parameter's type: a pattern, bounds, an enum and a required
    # header were lost, from the export too, and the mock answered 200 to anything.
    spec = tmp_path / "params.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "Params", "version": "1"}, "paths": {"/things/{thing_id}": {"get": {
        "parameters": [
            {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z]{3}$"}, "example": "abc"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}, "example": 10},
            {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["fast", "slow"]}},
            {"name": "X-Req", "in": "header", "required": True, "schema": {"type": "string", "minLength": 2}, "example": "hello"},
            {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string", "maxLength": 3}}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}}}), encoding="utf-8")
    dest = tmp_path / "out"
    imported = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(dest)], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    exported = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(dest / "mkdocs.yml"), "export-openapi"], capture_output=True,
                              text=True, timeout=120)
    schemas = {p["name"]: p["schema"] for p in json.loads(exported.stdout)["paths"]["/things/{thing_id}"]["get"]["parameters"]}
    assert schemas["thing_id"] == {"type": "string", "pattern": "^[a-z]{3}$"}
    assert schemas["limit"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert schemas["mode"] == {"type": "string", "enum": ["fast", "slow"]} and schemas["X-Req"] == {"type": "string", "minLength": 2}
    assert schemas["tags"] == {"type": "array", "items": {"type": "string", "maxLength": 3}}  # sent as tags=a&tags=b
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=dest / "mkdocs.yml")
    try:
        def status(path: str, **headers: str) -> int:
            return requests.get(f"{sandbox.url}{path}", headers=headers, timeout=10).status_code

        assert status("/things/abc?limit=10", **{"X-Req": "hello"}) == 200  # the documented example
        assert status("/things/abc?limit=1&mode=slow&tags=a&tags=bc", **{"X-Req": "hi"}) == 200
        for refused in ("/things/TOOLONG?limit=10", "/things/abc?limit=500", "/things/abc?mode=zzz"):
            assert status(refused, **{"X-Req": "hello"}) == 400, refused
        assert status("/things/abc?limit=10&tags=abcd", **{"X-Req": "hello"}) == 400  # an item over maxLength
        assert status("/things/abc?limit=10") == 400  # the required header is missing
        assert status("/things/abc?limit=10", **{"X-Req": "h"}) == 400
    finally:
        sandbox.stop()


def test_an_optional_body_may_be_left_out(tmp_path: Path) -> None:
    # The example sends a body, the operation takes none too: a request without one was refused.
    spec = tmp_path / "optional.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "Optional", "version": "1"}, "paths": {"/notes": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string"}}}, "example": {"text": "hi"}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}}}), encoding="utf-8")
    dest = tmp_path / "out"
    assert subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(dest)], capture_output=True, timeout=120).returncode == 0
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=dest / "mkdocs.yml")
    try:
        assert requests.post(f"{sandbox.url}/notes", timeout=10).status_code == 200
        assert requests.post(f"{sandbox.url}/notes", json={"text": "hi"}, timeout=10).status_code == 200
        assert requests.post(f"{sandbox.url}/notes", json={"text": 3}, timeout=10).status_code == 400
    finally:
        sandbox.stop()


def test_the_auth_header_is_not_checked_as_a_parameter(tmp_path: Path) -> None:
    # A spec that declares its API-key header as a parameter too, with a pattern the demo token
    # does not match: every request was refused, Try it included.
    spec = tmp_path / "keyed.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "Keyed", "version": "1"},
                                "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
                                "security": [{"key": []}], "paths": {"/a": {"get": {
        "parameters": [{"name": "X-API-Key", "in": "header", "required": True, "schema": {"type": "string", "pattern": "^[a-f0-9]{32}$"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}}}), encoding="utf-8")
    dest = tmp_path / "out"
    assert subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(dest)], capture_output=True, timeout=120).returncode == 0
    lint = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(dest / "mkdocs.yml"), "lint"], capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    token = yaml.safe_load((dest / "mkdocs.yml").read_text(encoding="utf-8").split("\n", 2)[2])["plugins"][1]["apidocs"]["auth"]["token"]
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=dest / "mkdocs.yml")
    try:
        answer = requests.get(f"{sandbox.url}/a", headers={"X-API-Key": token}, timeout=10)
        assert answer.status_code == 200, answer.text
    finally:
        sandbox.stop()


def test_a_header_the_readers_client_sets_itself_is_not_checked_unless_the_example_sends_it(tmp_path: Path) -> None:
    # Conjur documents `Accept-Encoding: base64` (optional): Python's requests and HTTPie send
    # their own `gzip, deflate`, which the mock refused (every Python and HTTPie snippet got 400).
    dest = import_spec(tmp_path, {"openapi": "3.0.3", "info": {"title": "Encoded", "version": "1"}, "paths": {
        "/token": {"get": {"parameters": [
            {"name": "Accept-Encoding", "in": "header", "schema": {"type": "string", "enum": ["base64"]}},
            {"name": "User-Agent", "in": "header", "schema": {"type": "string", "pattern": "^sdk/"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}},
        "/sent": {"get": {"parameters": [
            {"name": "Accept-Encoding", "in": "header", "schema": {"type": "string", "enum": ["base64"]}, "example": "base64"}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}}})
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=dest / "mkdocs.yml")
    try:
        assert requests.get(f"{sandbox.url}/token", timeout=10).status_code == 200
        assert requests.get(f"{sandbox.url}/sent", headers={"Accept-Encoding": "base64"}, timeout=10).status_code == 200
        assert requests.get(f"{sandbox.url}/sent", headers={"Accept-Encoding": "zip"}, timeout=10).status_code == 400
    finally:
        sandbox.stop()
    checked = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(dest / "mkdocs.yml"), "check", "-j", "2"], capture_output=True,
                             text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
