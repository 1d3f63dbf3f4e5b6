"""Multipart bodies (`multipart/form-data`) with file uploads, as file APIs take them (OpenAI's
and Stripe's `files`, Slack's `files.upload`): every snippet uploads the file and sends the
fields (checked by running each for real), the sandbox reads the parts back and refuses what the
API would, and bad definitions get a `file:line` error.

Before, such a body was documented and sent as JSON: each snippet would have been refused by
the real API, and the check passed anyway."""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from apidocs.check.compare import compare_exchanges
from apidocs.check.relay import Exchange
from apidocs.model.forms import FormError, form_fields
from apidocs.model.multipart import MultipartError, Part, multipart_parts, read_multipart, sample_file, upload_names
from apidocs.rendering.quoting import QuotingError, shell_quote
from apidocs.rendering.request import HttpRequest
from bodies_helpers import apidocs, write_project
from sandbox_helpers import RunningSandbox, start_sandbox

TOKEN = {"Authorization": "Bearer your-api-token"}


UPLOAD = """\
---
title: /files
name: Upload a file
position: 1
method: post
example:
  headers:
    Content-Type: multipart/form-data
  body:
    purpose: "@assistants"
    file: report.csv
    tags: [a, "b c"]
    meta: {k: 1, "x y": true}
request:
  files: [file]
  schema:
    type: object
    required: [file, purpose]
    properties:
      file: {type: string, format: binary}
      purpose: {type: string, minLength: 2}
      tags: {type: array, items: {type: string}}
      meta: {type: object, properties: {k: {type: integer}}}
responses:
- status: 200
  body:
    id: file-1
- status: 400
  body:
    detail: the body does not match the documented schema
---

Uploads a file, with what it is for.
"""

ATTACH = """\
---
title: /messages/{id}/attachments
name: Attach files
position: 2
method: put
example:
  params:
    id: m1
  headers:
    Content-Type: multipart/form-data; charset=utf-8
  body:
    attachments: [one.txt, python]
    note: "line 1\\nline 2 'quoted' $HOME"
request:
  files: [attachments]
responses:
- status: 201
  body:
    attached: 2
---

Attaches several files under one field (`python`: a name the check's own folders once had).
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("multipart")
    return write_project(folder, {"upload.md": UPLOAD, "attach.md": ATTACH})


@pytest.fixture(scope="module")
def files_api(project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


# --- the encoding ----------------------------------------------------------------------------


def test_members_become_parts_files_by_name_the_rest_as_form_fields() -> None:
    body = {"purpose": "x", "file": "a.csv", "more": ["b.txt", "c.txt"], "tags": ["t", "u"], "meta": {"k": [1, None]}}
    assert multipart_parts(body, ["file", "more"]) == [
        Part("purpose", "x"), Part("file", "a.csv", True), Part("more", "b.txt", True), Part("more", "c.txt", True),
        Part("tags", "t"), Part("tags", "u"), Part("meta[k][0]", "1"), Part("meta[k][1]", "")]
    # The text parts are exactly the form's fields (one rule for both bodies).
    assert [(p.name, p.value) for p in multipart_parts(body, []) if not p.is_file] == form_fields(body)
    assert upload_names(body, ["file", "more", "absent"]) == ["a.csv", "b.txt", "c.txt"]


@pytest.mark.parametrize(("body", "files", "message"), [
    ({"file": "../etc/passwd"}, ["file"], "plain file name"),
    ({"file": ".hidden"}, ["file"], "plain file name"),
    ({"file": 3}, ["file"], "plain file name"),
    ({"file": ["a.txt", "b/c.txt"]}, ["file"], "plain file name"),
    ({"a=b": "x"}, [], "cannot be a part's name"),
    ({"meta": {'say "hi"': 1}}, [], "cannot be a part's name"),
    ({"a\\b": 1}, [], "cannot be a part's name"),
    (["a"], [], "must be a JSON object"),
])
def test_what_cannot_be_sent_is_refused_with_the_reason(body: Any, files: list[str], message: str) -> None:
    with pytest.raises(FormError, match=message):
        multipart_parts(body, files)


def _encoded(fields: list[tuple[str, str]], files: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A body as `requests` writes it (the check's and many readers' client)."""
    parts = [(name, (None, text.encode())) for name, text in fields] + [(name, (file, sample_file(file))) for name, file in files]
    prepared = requests.Request("POST", "http://x/", files=parts).prepare()  # `data=` alone would be URL-encoded
    assert isinstance(prepared.body, bytes)
    return prepared.body, prepared.headers["Content-Type"]


NAMES = st.text(st.characters(blacklist_characters='="\\\r\n\x00', blacklist_categories=["Cs"]), min_size=1, max_size=8)
TEXTS = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)


@given(st.lists(st.tuples(NAMES, TEXTS), max_size=6), st.lists(st.tuples(NAMES, st.from_regex(r"[a-z0-9_-]{1,8}\.txt", fullmatch=True)), max_size=3))
def test_parts_read_back_as_sent(fields: list[tuple[str, str]], files: list[tuple[str, str]]) -> None:
    if not fields and not files:
        return  # no parts: `requests` sends no body at all
    body, content_type = _encoded(fields, files)
    parts = read_multipart(body, content_type)
    assert [(p.name, p.text) for p in parts if p.filename is None] == fields
    assert [(p.name, p.filename, p.content) for p in parts if p.filename is not None] == [
        (name, file, sample_file(file)) for name, file in files]


@pytest.mark.parametrize(("raw", "content_type", "message"), [
    (b"a=1", "multipart/form-data", "no boundary"),
    (b"garbage", "multipart/form-data; boundary=zz", "not a multipart body"),
    (b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--zz", "multipart/form-data; boundary=zz", "closing boundary"),
    (b"--zz\r\nContent-Type: text/plain\r\n\r\n1\r\n--zz--\r\n", "multipart/form-data; boundary=zz", "no `Content-Disposition"),
    (b"--zz\r\n" + b"X-A: 1\r\n" * 40 + b"\r\n1\r\n--zz--\r\n", "multipart/form-data; boundary=zz", "not a multipart body"),
])
def test_a_broken_body_is_a_clear_error(raw: bytes, content_type: str, message: str) -> None:
    with pytest.raises(MultipartError, match=message):
        read_multipart(raw, content_type)


def test_the_number_of_parts_is_bounded() -> None:
    body, content_type = _encoded([("a", "1")] * 11, [])
    assert len(read_multipart(body, content_type, max_parts=11)) == 11
    with pytest.raises(MultipartError, match="more than 10 parts"):
        read_multipart(body, content_type, max_parts=10)


# --- snippets, the check, the sandbox ----------------------------------------------------------


def test_every_snippet_uploads_the_files_and_gets_the_documented_answer(project: Path) -> None:
    # curl, HTTPie, Python and Node, each run for real through the check's recording relay: the
    # fields and files they sent are compared with the documented ones, and the sandbox said 200/201.
    result = apidocs(project, "check", "-j", "2", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed, 0 failed" in result.stdout
    # The documented 400 is reached too: the check sends the form without its parts.
    assert "upload.md: 400 ok (with no form fields)" in result.stdout


def test_the_check_compares_fields_and_files_not_bytes() -> None:
    body = {"purpose": "x", "file": "a.csv", "tags": ["t", "u"]}
    request = HttpRequest("POST", "http://sandbox", "/files", body=body, multipart=True, files=["file"])

    def problems(fields: list[tuple[str, str]], files: list[tuple[str, str]], content: bytes | None = None) -> list[str]:
        sent, content_type = _encoded(fields, files)
        if content is not None:
            sent = sent.replace(sample_file("a.csv"), content)
        exchange = Exchange("POST", "/files", [("Content-Type", content_type)], sent, status=200)
        return compare_exchanges(request, [exchange], 200)[0]

    assert problems([("purpose", "x"), ("tags", "t"), ("tags", "u")], [("file", "a.csv")]) == []
    assert problems([("tags", "t"), ("purpose", "x"), ("tags", "u")], [("file", "a.csv")]) == []  # order of names is free
    assert problems([("purpose", "x"), ("tags", "u"), ("tags", "t")], [("file", "a.csv")]) == ["body: not the documented form fields"]
    assert problems([("purpose", "x"), ("tags", "t"), ("tags", "u"), ("file", "a.csv")], []) == ["body: not the documented form fields"]
    assert problems([("purpose", "x"), ("tags", "t"), ("tags", "u")], [("file", "a.csv")], b"other") == [
        "body: not the documented form fields"]
    as_json = Exchange("POST", "/files", [("Content-Type", "application/json")], json.dumps(body).encode(), status=200)
    assert compare_exchanges(request, [as_json], 200)[0] == ["body: sent text that is not a multipart form"]


def test_the_sandbox_reads_parts_by_the_schema_and_refuses_what_the_api_would(files_api: RunningSandbox, tmp_path: Path) -> None:
    def upload(fields: Any, files: Any = None, **headers: str) -> requests.Response:
        return requests.post(f"{files_api.url}/files", data=fields, files=files, headers={**TOKEN, **headers}, timeout=10)

    report = ("report.csv", b"a,b\n1,2\n")
    assert upload({"purpose": "assistants", "meta[k]": "7"}, {"file": report}).status_code == 200
    cases = {
        "`file` must be sent as a file": upload({"purpose": "assistants", "file": "report.csv"}, {"other": report}),
        "'file' is a required property": upload({"purpose": "assistants"}, {"other": report}),
        "body.meta.k": upload({"purpose": "assistants", "meta[k]": "seven"}, {"file": report}),
        "`purpose` must be sent as text": upload({}, {"file": report, "purpose": ("p.txt", b"assistants")}),
    }
    for reason, answer in cases.items():
        assert answer.status_code == 400, reason
        # The documented 400 example is the answer; the reason comes in a header of its own.
        assert reason in answer.headers["X-Apidocs-Reason"]
    as_json = requests.post(f"{files_api.url}/files", json={"purpose": "assistants", "file": "x"}, headers=TOKEN, timeout=10)
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["detail"]
    no_boundary = upload(b"--x\r\n", None, **{"Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400 and "boundary" in no_boundary.headers["X-Apidocs-Reason"]
    # Several files under one field, without a schema: checked against the example's fields.
    attached = requests.put(f"{files_api.url}/messages/m1/attachments", data={"note": "n"},
                            files=[("attachments", ("a.txt", b"1")), ("attachments", ("b.txt", b"2"))], headers=TOKEN, timeout=10)
    assert attached.status_code == 201, attached.text


def test_the_pages_show_upload_snippets(project: Path) -> None:
    result = apidocs(project, "build", "--strict", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (project / "site" / "upload" / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # the code as a reader copies it
    for shown in ("-F 'file=@report.csv'", "--form-string 'purpose=@assistants'", "--multipart", "'file@report.csv'",
                  "'purpose=\\@assistants'", "files=files", 'open("report.csv", "rb")', 'readFileSync("report.csv")',
                  "new FormData()"):
        assert shown in text, shown
    # No client is told to send the Content-Type: each writes its own, with its boundary.
    assert "multipart/form-data" not in text.split("curl -i", 1)[1].split("Response", 1)[0]


@pytest.mark.parametrize(("change", "where", "message"), [
    (("files: [file]", "files: [missing]"), "files: [missing]", "`request.files` names `missing`"),
    (("file: report.csv", "file: ../secret.txt"), "file: ../secret.txt", "must be a plain file name"),
    (("    purpose: \"@assistants\"\n", ""), None, None),
])
def test_bad_file_fields_are_errors_at_their_line(tmp_path: Path, change: tuple[str, str], where: str | None,
                                                  message: str | None) -> None:
    text = UPLOAD.replace(*change)
    write_project(tmp_path, {"upload.md": text})
    result = apidocs(tmp_path, "lint", timeout=120)
    if message is None:  # a field left out is still a valid definition
        assert "E008" not in result.stdout, result.stdout
        return
    assert where is not None
    line = text.splitlines().index(next(line for line in text.splitlines() if where in line)) + 1
    assert f"upload.md:{line}: E008" in result.stdout, result.stdout
    assert message in result.stdout


def test_a_multipart_body_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        ---
        title: /files
        method: post
        example:
          headers:
            Content-Type: multipart/form-data
          body: [report.csv]
        ---
        """)
    write_project(tmp_path, {"upload.md": text})
    result = apidocs(tmp_path, "lint", timeout=120)
    assert "upload.md:7: E008" in result.stdout, result.stdout


def test_an_overlong_boundary_is_a_clear_error() -> None:
    # The parser refuses a boundary over 256 bytes as it is made: the sandbox answered 500.
    with pytest.raises(MultipartError, match="not a multipart body"):
        read_multipart(b"--" + b"a" * 300 + b"\r\n", "multipart/form-data; boundary=" + "a" * 300)


def test_a_dash_is_no_file_name_and_a_nul_no_text() -> None:
    # curl reads `-F f=@-` and `--data-binary @-` from its input: a reader's snippet would hang.
    with pytest.raises(FormError, match="plain file name"):
        multipart_parts({"file": "-"}, ["file"])
    assert upload_names({"file": "-x"}, ["file"]) == []
    # A shell word ends at a NUL: curl and HTTPie would send a cut text.
    with pytest.raises(FormError, match="NUL"):
        multipart_parts({"note": "a\x00b"}, [])
    with pytest.raises(QuotingError, match="NUL"):
        shell_quote("a\x00b")
