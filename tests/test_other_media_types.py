"""An operation that takes its body in several media types (JSON, or the same fields as a form
or multipart parts, as Telegram's, Zoom's and Gitea's do): the example sends one, the others
are documented on the page (`request.other_media_types`), exported with their schemas, and
taken by the sandbox, each read as its media type says and checked against its schema.

Before, every media type but the example's was dropped from the export (a spec and its export
then differed in bodies), and the sandbox answered 415 to a form the API takes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bodies_helpers import apidocs, import_spec, write_project
from sandbox_helpers import RunningSandbox, start_sandbox

AMOUNT = {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer"}}}
SPEC = {
    "openapi": "3.0.3", "info": {"title": "Charges", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
    "paths": {"/charges": {"post": {
        "operationId": "createCharge",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": AMOUNT, "example": {"amount": 5}},
            "application/x-www-form-urlencoded": {"schema": AMOUNT},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "amount": {"type": "integer"}, "receipt": {"type": "string", "format": "binary"}}}},
            "text/plain": {"schema": {"type": "string", "maxLength": 5}},
            # Ranges (ASP.NET writes `application/*+json` beside every JSON body), and a key that is neither.
            "application/*+json": {"schema": {"type": "object", "required": ["amount", "currency"],
                                              "properties": {"amount": {"type": "integer"}, "currency": {"type": "string"}}}},
            "text/*": {"schema": {"type": "string", "maxLength": 3}},
            "charges": {}}},
        "responses": {"200": {"description": "made", "content": {"application/json": {"example": {"id": "ch_1"}}}}}}}},
}


def send(url: str, data: bytes, content_type: str, method: str = "POST") -> int:
    """The status of a request sending `data` as `content_type`."""
    return requests.request(method, url, data=data, headers={"Content-Type": content_type}, timeout=10).status_code


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_spec(tmp_path_factory.mktemp("media"), SPEC)


@pytest.fixture(scope="module")
def charges(project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


def test_the_other_media_types_are_carried_with_their_schemas(project: Path) -> None:
    front = yaml.safe_load(next(project.glob("docs/**/create-charge.md")).read_text(encoding="utf-8").split("---\n")[1])
    others = front["request"]["other_media_types"]
    assert list(others) == ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/*+json", "text/*"]
    assert others["application/x-www-form-urlencoded"] is None  # the same schema as the body's: written once
    assert others["multipart/form-data"]["properties"]["receipt"]["format"] == "binary"
    report = (project / "import-report.txt").read_text(encoding="utf-8")
    assert "media type charges is not carried over (not a media type or range)" in report


def test_the_export_gives_every_media_type_back(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    result = apidocs(project, "export-openapi", "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    from openapi_spec_validator import validate

    validate(document)
    content = document["paths"]["/charges"]["post"]["requestBody"]["content"]
    assert list(content) == ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
                             "application/*+json", "text/*"]
    assert content["application/*+json"]["schema"]["required"] == ["amount", "currency"]
    assert content["text/plain"]["schema"]["maxLength"] == 5
    assert content["application/x-www-form-urlencoded"]["schema"]["required"] == ["amount"]  # the body's, given back


def test_the_sandbox_takes_each_media_type_and_checks_it(charges: RunningSandbox) -> None:
    def post(**kwargs: object) -> int:
        return requests.post(f"{charges.url}/charges", timeout=10, **kwargs).status_code  # type: ignore[arg-type]

    assert post(json={"amount": 5}) == 200
    assert post(data={"amount": "5"}) == 200  # a form
    assert post(data={"amount": "five"}) == 400  # read as its schema says: not an integer
    assert post(files={"amount": (None, "7"), "receipt": ("r.pdf", b"%PDF")}) == 200  # multipart parts
    assert post(data=b"12345", headers={"Content-Type": "text/plain"}) == 200
    assert post(data=b"123456", headers={"Content-Type": "text/plain"}) == 400  # over its maxLength
    assert post(data=b"<a/>", headers={"Content-Type": "application/xml"}) == 415  # not one it takes
    # A media type a range holds is read as what it is and checked by the range's schema.
    assert post(data=b'{"amount": 5, "currency": "eur"}', headers={"Content-Type": "application/merge-patch+json"}) == 200
    assert post(data=b'{"amount": 5}', headers={"Content-Type": "application/merge-patch+json"}) == 400  # no currency
    assert post(data=b"a,b", headers={"Content-Type": "text/csv"}) == 200
    assert post(data=b"a,b,c", headers={"Content-Type": "text/csv"}) == 400  # over text/*'s maxLength
    assert post(data=b"1234", headers={"Content-Type": "text/plain"}) == 200  # its own media type's schema, not the range's
    assert post(data=b"", headers={"Content-Type": "text/plain"}) == 400  # the body is needed, whatever its media type


def test_the_page_says_which_other_media_types_it_takes(project: Path) -> None:
    result = apidocs(project, "build", "--strict", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    page = next((project / "site").glob("**/create-charge/index.html")).read_text(encoding="utf-8")
    assert ("The body may also be sent as <code>application/x-www-form-urlencoded</code>, "
            "<code>multipart/form-data</code>, <code>text/plain</code>, <code>application/*+json</code>, "
            "<code>text/*</code>.") in page


def test_operations_on_one_path_are_told_apart_by_the_media_type_sent(tmp_path: Path) -> None:
    # ContentModerator's `#overload=url` takes JSON and `#overload=stream` an image, on one path:
    # a call without the check's route header went to the first, and an image got 415.
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/match#overload=url": {"post": {"operationId": "byUrl", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "properties": {"url": {"type": "string"}}}}}},
            "responses": {"200": {"description": "matched"}}}},
        "/match#overload=stream": {"post": {"operationId": "byStream", "requestBody": {"required": True, "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"200": {"description": "matched"}}}}}}
    project = import_spec(tmp_path, spec)
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        assert send(f"{sandbox.url}/match", b'{"url": "u"}', "application/json") == 200
        assert send(f"{sandbox.url}/match", b"\x89PNG", "image/png") == 200
        assert send(f"{sandbox.url}/match", b"x", "text/plain") == 415  # neither takes it
    finally:
        sandbox.stop()


def test_a_body_any_media_type_may_carry_is_taken_in_any(tmp_path: Path) -> None:
    """`*/*` beside the example's media type (Kubernetes, Telnyx): exported as it is, and the
    sandbox takes a body of any media type there (it answered 415)."""
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/notes": {"post": {
        "operationId": "addNote", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object"}, "example": {"text": "hi"}}, "*/*": {}}},
        "responses": {"200": {"description": "added"}}}}}}
    project = import_spec(tmp_path, spec)
    assert "*/*" not in (project / "import-report.txt").read_text(encoding="utf-8")
    out = tmp_path / "openapi.json"
    assert apidocs(project, "export-openapi", "-o", str(out), timeout=120).returncode == 0
    assert list(json.loads(out.read_text(encoding="utf-8"))["paths"]["/notes"]["post"]["requestBody"]["content"]) == [
        "application/json", "*/*"]
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        notes = f"{sandbox.url}/notes"
        assert send(notes, b'{"text": "hi"}', "application/json") == 200
        assert send(notes, b"hi", "text/plain") == 200
        assert send(notes, b"\x89PNG", "image/png") == 200
        assert send(notes, b"[1]", "application/json") == 400  # its own media type still checked by its own schema
    finally:
        sandbox.stop()


@pytest.mark.parametrize("key", ["*/json", "application/*json", "text/**", "*"])
def test_a_key_that_is_no_media_type_or_range_is_refused_at_its_line(tmp_path: Path, key: str) -> None:
    definition = ("---\ntitle: /notes/\nname: Add Note\nmethod: post\nexample:\n  body: {text: hi}\n"
                  f"request:\n  other_media_types:\n    '{key}': {{}}\n---\nAdds one.\n")
    project = write_project(tmp_path, {"add-note.md": definition})
    result = apidocs(project, "build", "--strict", timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"add-note.md:9: E015 `request.other_media_types`: {key!r} is not a media type" in result.stderr + result.stdout


RANGES_ONLY: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
    # Kubernetes' evictions: a JSON object keyed by `*/*` only.
    "/evictions": {"post": {"operationId": "evict", "requestBody": {"required": True, "content": {"*/*": {"schema": {
        "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}},
        "responses": {"201": {"description": "evicted"}}}},
    "/avatar": {"put": {"operationId": "putAvatar", "requestBody": {"required": True, "content": {
        "image/*": {"schema": {"type": "string", "format": "binary"}}}}, "responses": {"200": {"description": "stored"}}}},
    "/notes": {"post": {"operationId": "addNote", "requestBody": {"required": True, "content": {
        "text/*": {"schema": {"type": "string", "maxLength": 10}, "example": "hello"}}}, "responses": {"200": {"description": "added"}}}},
    "/blobs": {"post": {"operationId": "addBlob", "requestBody": {"required": True, "content": {
        "*/*": {"schema": {"type": "string", "format": "binary"}}}}, "responses": {"200": {"description": "added"}}}},
}}


def test_a_body_keyed_by_a_range_only_is_sent_as_a_type_it_holds_and_exported_by_the_range(tmp_path: Path) -> None:
    """Before, such a body was documented and exported as JSON (`*/*`, `image/*`: reported), so
    the export differed from the spec, and the sandbox refused an image sent to `image/*`."""
    project = import_spec(tmp_path, RANGES_ONLY)
    assert "Everything was carried over." in (project / "import-report.txt").read_text(encoding="utf-8")
    fronts = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1]) for path in project.glob("docs/**/*.md")
              if path.name != "index.md"}
    assert fronts["evict"]["request"]["media_range"] == "*/*" and "headers" not in fronts["evict"]["example"]  # sent as JSON
    assert fronts["put-avatar"]["example"]["headers"] == {"Content-Type": "image/png"}
    assert fronts["put-avatar"]["request"]["body_file"] is True and fronts["put-avatar"]["request"]["media_range"] == "image/*"
    assert fronts["add-note"]["example"] == {"body": "hello", "headers": {"Content-Type": "text/plain"}, "status": 200}
    assert fronts["add-blob"]["example"]["headers"] == {"Content-Type": "application/octet-stream"}

    out = tmp_path / "openapi.json"
    assert apidocs(project, "export-openapi", "-o", str(out), timeout=120).returncode == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    for path, item in RANGES_ONLY["paths"].items():
        for method, operation in item.items():
            assert list(exported["paths"][path][method]["requestBody"]["content"]) == list(operation["requestBody"]["content"])

    checked = apidocs(project, "check", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        avatar, notes, evictions = f"{sandbox.url}/avatar", f"{sandbox.url}/notes", f"{sandbox.url}/evictions"
        assert send(avatar, b"\xff\xd8\xff", "image/jpeg", "PUT") == 200  # the range holds it
        assert send(avatar, b"{}", "application/json", "PUT") == 415
        assert send(notes, b"a,b", "text/csv") == 200
        assert send(notes, b"far too long a note", "text/markdown") == 400  # the body's schema, for the whole range
        # `*/*`: any media type, read as what it is and checked by the body's schema.
        assert send(evictions, b"name=a", "application/x-www-form-urlencoded") == 201
        assert send(evictions, b"other=a", "application/x-www-form-urlencoded") == 400  # no `name`
    finally:
        sandbox.stop()


def test_a_media_range_must_hold_what_the_example_is_sent_as(tmp_path: Path) -> None:
    definition = ("---\ntitle: /notes/\nname: Add Note\nmethod: post\nexample:\n  body: {text: hi}\n"
                  "request:\n  media_range: text/*\n---\nAdds one.\n")
    project = write_project(tmp_path, {"add-note.md": definition})
    result = apidocs(project, "build", "--strict", timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert ("add-note.md:8: E015 `request.media_range` text/* does not hold the media type the example is sent as "
            "(application/json)") in result.stderr + result.stdout


def test_a_media_type_taken_with_other_parameters_is_given_back_by_the_export(tmp_path: Path) -> None:
    # Loket's versions travel as a parameter: `application/json;version=2019-12-16` beside the
    # example's `…;version=2018-01-01`. Before, the second was dropped without a word.
    terminate = {"type": "object", "properties": {"endDate": {"type": "string"}, "reason": {"type": "string"}}}
    spec = {"openapi": "3.0.3", "info": {"title": "Employments", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
            "paths": {"/terminate": {"patch": {
                "operationId": "terminate",
                "requestBody": {"required": True, "content": {
                    "application/json;version=2018-01-01": {"schema": AMOUNT, "example": {"amount": 5}},
                    "application/json;version=2019-12-16": {"schema": terminate},
                    "text/plain": {"schema": {"type": "string"}},
                    "text/plain; charset=utf-8": {"schema": {"type": "string", "maxLength": 9}}}},
                "responses": {"204": {"description": "done"}}}}}}
    project = import_spec(tmp_path, spec)
    out = tmp_path / "openapi.json"
    result = apidocs(project, "export-openapi", "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    content = json.loads(out.read_text(encoding="utf-8"))["paths"]["/terminate"]["patch"]["requestBody"]["content"]
    assert sorted(content) == sorted(spec["paths"]["/terminate"]["patch"]["requestBody"]["content"])  # type: ignore[index]
    assert content["application/json;version=2019-12-16"]["schema"]["properties"]["reason"] == {"type": "string"}
    assert content["text/plain; charset=utf-8"]["schema"]["maxLength"] == 9
    result = apidocs(project, "build", "--strict", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    page = next((project / "site").glob("**/terminate/index.html")).read_text(encoding="utf-8")
    assert "<code>application/json;version=2019-12-16</code>" in page
