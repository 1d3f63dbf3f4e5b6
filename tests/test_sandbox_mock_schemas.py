"""The generic mock keeps to the schemas of an imported spec: valid requests get the documented
example, invalid ones 400/422 with the reasons, in the documented error shape when there is one.
A real sandbox process over HTTP, serving a project imported from a multi-file spec."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import PYTHON
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
