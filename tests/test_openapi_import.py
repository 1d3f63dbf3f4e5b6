"""`apidocs import-openapi`: real specs become projects that build strictly, check green, and export back."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from apidocs.openapi.examples import example_of
from conftest import PYTHON
from sandbox_helpers import start_sandbox

APIDOCS = [PYTHON, "-m", "apidocs"]
SPECS = Path(__file__).resolve().parent / "fixtures" / "openapi"
SAMPLES = [*sorted(SPECS.glob("*.yaml")), SPECS / "library" / "openapi.yaml"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
IGNORED_HEADERS = {"accept", "content-type", "authorization"}  # ignored by the OpenAPI specification itself


def run(*args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def write_spec(path: Path, parts: dict[str, Any]) -> None:
    """A small OpenAPI 3.0 document with one server, `parts` added (paths, security, components),
    as YAML or JSON by the file's suffix."""
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
                **parts}
    text = yaml.safe_dump(document, sort_keys=False) if path.suffix in (".yaml", ".yml") else json.dumps(document)
    path.write_text(text, encoding="utf-8")


def resolved(spec: Path) -> dict[str, Any]:
    """The spec with its $refs resolved, through the importer's own confined reader."""
    from apidocs.openapi.source import MAX_NODES, Budget, open_spec

    document: dict[str, Any] = open_spec(spec).plain((), Budget(nodes=MAX_NODES))
    return document


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) → what a round trip must keep: parameters, request body, status codes."""
    found = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = {(p["in"], p["name"]) for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                          if not (p["in"] == "header" and p["name"].lower() in IGNORED_HEADERS)}
            statuses = {str(code) for code in operation.get("responses", {})}  # `default` and ranges too
            found[(method.upper(), path)] = {"parameters": parameters, "body": "requestBody" in operation, "statuses": statuses}
    return found


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda p: p.parent.name if p.name == "openapi.yaml" else p.stem)
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec: Path = request.param
    dest = tmp_path_factory.mktemp("imported") / "project"
    result = run("import-openapi", str(spec), str(dest))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return spec, dest


def test_import_builds_strictly_with_every_operation_on_a_page(imported: tuple[Path, Path]) -> None:
    spec, dest = imported
    site = dest / "site"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(operations(resolved(spec)))
    pages = [page for page in site.rglob("index.html") if 'class="apidocs-signature"' in page.read_text(encoding="utf-8")]
    assert len(pages) == count
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert all(f'data-apidocs-lang="{lang}"' in text or lang in text for lang in ("curl", "HTTPie", "Python", "Node.js"))


def test_export_of_the_import_keeps_operations_parameters_bodies_and_statuses(imported: tuple[Path, Path]) -> None:
    spec, dest = imported
    result = run("-f", str(dest / "mkdocs.yml"), "export-openapi")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    validate(exported)
    assert operations(exported) == operations(resolved(spec))


def test_the_report_names_what_was_not_carried_over(tmp_path: Path) -> None:
    result = run("import-openapi", str(SPECS / "oai-callback-example.yaml"), str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "p" / "import-report.txt").read_text(encoding="utf-8")
    assert "POST /streams: callbacks are not carried over" in report


def test_multi_file_spec_carries_schemas_examples_and_auth(tmp_path: Path) -> None:
    dest = tmp_path / "library"
    assert run("import-openapi", str(SPECS / "library" / "openapi.yaml"), str(dest)).returncode == 0
    config = load(dest / "mkdocs.yml")
    options = next(p["apidocs"] for p in config["plugins"] if isinstance(p, dict))
    assert options["servers"] == [{"url": "https://eu.library.example.com/v2", "description": "Production"},
                                  {"url": "https://us.library.example.com/v2", "description": "Production (region: us)"}]
    assert options["auth"]["header"] == "X-Library-Key"
    create = (dest / "docs" / "books" / "create-book.md").read_text(encoding="utf-8")
    front = yaml.safe_load(create.split("---\n")[1])
    # the spec's named example is the request; readOnly `id` is no request field, writeOnly `secret_note` no response field
    assert front["example"]["body"]["title"] == "The Dispossessed"
    request_fields, response_fields = create.split("### Request Parameters")[1].split("### Response Parameters")
    assert "\nid\n" not in request_fields and "\nid\n" in response_fields
    assert "secret_note" in request_fields and "secret_note" not in response_fields
    assert "format.pages\n: (integer) ***Required***" in create
    assert "\nisbn\n: (string or null)" in create
    get_book = (dest / "docs" / "books" / "get-book.md").read_text(encoding="utf-8")
    front = yaml.safe_load(get_book.split("---\n")[1])
    assert [r["status"] for r in front["responses"]] == [200, 404]  # path-level parameter carried to each operation
    assert "book_id" in front["example"]["params"]


def test_imported_text_is_data_not_markup_nor_liquid(tmp_path: Path) -> None:
    dest = tmp_path / "library"
    assert run("import-openapi", str(SPECS / "library" / "openapi.yaml"), str(dest)).returncode == 0
    site = tmp_path / "site"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "books" / "create-book" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and 'alert("not run")' not in page  # dropped, and reported
    assert "HTML `<script>` in the description is not shown, nor what it holds" in (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "{{ site.secret }}" in page


def test_formatting_html_in_spec_prose_is_shown_as_formatting(tmp_path: Path) -> None:
    """Stripe's and AWS's descriptions are HTML: readers see paragraphs and code, not tags."""
    spec = tmp_path / "html.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/customers/{id}": {"get": {
            "operationId": "getCustomer",
            "description": "<p>Retrieves a <code>Customer</code> object.</p><p>Returns a List<String> of ids.</p>",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "<p>The customer's <b>id</b>, e.g. `cus_<id>`.</p>"}],
            "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    site = tmp_path / "site"
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site)).returncode == 0
    page = (site / "endpoints" / "get-customer" / "index.html").read_text(encoding="utf-8")
    assert "<p>Retrieves a <code>Customer</code> object.</p>" in page
    assert "&lt;p&gt;" not in page
    # a table cell is literal text: the HTML reduced to its text, the code span as written
    assert "The customer's id, e.g. <code>cus_<id></code>." in html.unescape(page)
    assert "HTML `<string>` in the description is not shown" in (dest / "import-report.txt").read_text(encoding="utf-8")


SCRIPT_LINKS = [
    "[a](javascript:alert(1))", "[b]( JavaScript:alert(2))", "[c](java\tscript:alert(3))", "[d](&#106;avascript:alert(4))",
    "[e](vbscript:msgbox(5))", "![f](javascript:alert(6))", "[g](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(7)>", "[h][ref]\n\n[ref]: javascript:alert(8)", "Para\n{: onclick=\"alert(9)\" }",
]


class _Links(HTMLParser):
    """Every URL attribute and event handler of a page, as a browser reads them (entities decoded once)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            elif name in ("href", "src", "action", "formaction") and value is not None:
                self.urls.append(value)


def imported_and_built(tmp_path: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    """The spec `document` imported into a project, and that project's strict build: (project, site)."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    dest, site = tmp_path / "out", tmp_path / "site"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    return dest, site


def test_the_home_page_shows_the_specs_description_as_written(tmp_path: Path) -> None:
    # The home page is an ordinary page, never read as Liquid: the guard tags endpoint pages
    # need were shown on it as text, and `{% endraw %}` after a paragraph read as its attributes.
    document = {"openapi": "3.1.0", "info": {
        "title": "Odd <script>alert('t')</script> API", "version": "2.4",
        "description": "Use {{ variables }} in templates.\n\n{% if paid %}Paid plans{% endif %} {% endraw %} stay as written.\n\nThe end."},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "OK"}}}}}}
    dest, site = imported_and_built(tmp_path, document)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Use {{ variables }} in templates." in home
    assert "{% if paid %}Paid plans{% endif %} {% endraw %} stay as written." in home
    assert "{% raw %}" not in home and "<p _" not in home and "<p>The end.</p>" in home
    config = yaml.safe_load((dest / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_name"] == "Odd API"  # HTML reduced to its text, not its letters
    assert config["site_description"].startswith("Use {{ variables }} in templates.")


def test_links_in_imported_text_cannot_run_script(tmp_path: Path) -> None:
    text = "\n\n".join([*SCRIPT_LINKS, "[safe](https://example.com/docs) and [relative](#top)"])
    _, site = imported_and_built(tmp_path, {
        "openapi": "3.0.3", "info": {"title": "links", "version": "1", "description": text},
        "paths": {"/x": {"get": {"description": text, "responses": {"200": {"description": text}}}}},
    })
    for page in (site / "index.html", site / "endpoints" / "get-x" / "index.html"):
        links = _Links()
        links.feed(page.read_text(encoding="utf-8"))
        # a scheme as the URL standard reads one (browsers drop control characters and spaces first)
        found = (re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", re.sub(r"[\x00-\x20]", "", url)) for url in links.urls)
        schemes = {scheme.group(1).lower() for scheme in found if scheme}
        assert schemes <= {"http", "https"}, (page, schemes)
        assert links.handlers == [], links.handlers
        assert "https://example.com/docs" in links.urls
        assert ">a</span>" in page.read_text(encoding="utf-8")  # the link's text stays, as text


def test_links_to_files_beside_the_spec_are_shown_as_text_and_reported(tmp_path: Path) -> None:
    """Specs published with their docs link to files there (`../tables.xlsx`): the project has
    none of them, and a strict build refuses a link to a missing file."""
    text = ("The tables are listed [here](../tables.xlsx \"Tables\").\n\n![Authorization flow](../flow.png)\n\n"
            "See [Authentication](../#section/Authentication), [the `Guide`](/guide/start), [the site](https://example.com/docs),"
            " [this page](#top) and `[code](../kept.md)`.")
    dest, site = imported_and_built(tmp_path, {
        "openapi": "3.0.3", "info": {"title": "local", "version": "1", "description": text},
        "paths": {"/employers": {"get": {"operationId": "listEmployers", "description": text,
                                         "responses": {"200": {"description": "ok"}}}}},
    })
    for page in (site / "index.html", site / "endpoints" / "list-employers" / "index.html"):
        links = _Links()
        links.feed(page.read_text(encoding="utf-8"))
        assert not any(url.startswith(("../tables", "../flow", "../#", "/guide")) or "tables.xlsx" in url for url in links.urls)
        assert "https://example.com/docs" in links.urls and "#top" in links.urls
        shown = html.unescape(page.read_text(encoding="utf-8"))
        assert "listed here." in shown and "Authorization flow" in shown and "the <code>Guide</code>" in shown
        assert "<code>[code](../kept.md)</code>" in shown  # code is shown as written
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert ("GET /employers: links in the description to `../tables.xlsx`, `../flow.png`, `../#section/Authentication` …"
            " are shown as their text") in report
    assert "links in the API's description to `../tables.xlsx`" in report


@pytest.mark.parametrize("text", ["[a](" + " " * 200_000 + "x", "[a](" + "\n" * 200_000, "[a](b" + " " * 200_000,
                                  "[a](b 't'" + " " * 200_000])
def test_reading_links_in_spec_prose_takes_linear_time(text: str) -> None:
    """Spec text is untrusted: a run of spaces after `](` once cost time quadratic in its length."""
    import time

    from apidocs.openapi.importer import safe_markdown

    started = time.monotonic()
    safe_markdown(text)
    assert time.monotonic() - started < 2  # about 10 ms; quadratic, 200,000 spaces took minutes


def test_a_templates_tag_gets_pages_although_mkdocs_leaves_docs_templates_out(tmp_path: Path) -> None:
    """MkDocs never builds `docs/templates/`: a `Templates` tag written there built green without its pages."""
    spec = tmp_path / "templates.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/templates": {"get": {"operationId": "listTemplates", "tags": ["Templates"],
                                         "responses": {"200": {"description": "ok"}}}},
                  "/templates-x": {"get": {"operationId": "listOthers", "tags": ["Templates X"],
                                           "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    site = tmp_path / "site"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site / "templates-endpoints" / "list-templates" / "index.html").is_file()
    assert (site / "templates-x" / "list-others" / "index.html").is_file()
    assert "Templates" in (site / "templates-endpoints" / "list-templates" / "index.html").read_text(encoding="utf-8")
    assert "tag `Templates`: its pages are in the folder `templates-endpoints`" in (dest / "import-report.txt").read_text(encoding="utf-8")


def test_json_media_types_with_a_charset_are_json(tmp_path: Path) -> None:
    """Zuora writes `application/json; charset=utf-8`: JSON, not a type to report as sent "as JSON"."""
    spec = tmp_path / "charset.json"
    body = {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}, "example": {"name": "a"}}
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/triggers": {"post": {
            "operationId": "createTrigger",
            "requestBody": {"required": True, "content": {"application/json; charset=utf-8": body}},
            "responses": {"200": {"description": "ok", "content": {"application/json; charset=utf-8": body}}}}},
            "/problems": {"post": {
                "operationId": "createProblem",
                "requestBody": {"required": True, "content": {"application/problem+json; charset=utf-8": body}},
                "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "Everything was carried over." in report, report
    trigger = load_front_matter(dest / "docs" / "endpoints" / "create-trigger.md")
    assert trigger["example"]["body"] == {"name": "a"} and "headers" not in trigger["example"]
    assert trigger["request"]["schema"]["properties"]["name"] == {"type": "string"}
    assert trigger["responses"][0]["body"] == {"name": "a"}
    problem = load_front_matter(dest / "docs" / "endpoints" / "create-problem.md")
    assert problem["example"]["headers"] == {"Content-Type": "application/problem+json; charset=utf-8"}


def test_an_optional_body_without_a_usable_schema_is_kept_as_any_value(tmp_path: Path) -> None:
    """An upload (`schema: {}`), a media type without a schema, and a schema refused: the body
    stays in the definition and the export, as optional and any value (it was dropped)."""
    def body(media: dict[str, Any], required: bool = False) -> dict[str, Any]:
        return {"requestBody": {"required": required, "content": media}, "responses": {"200": {"description": "ok"}}}

    spec = tmp_path / "bodies.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/upload": {"put": body({"application/octet-stream": {"schema": {}}})},
                  "/bare": {"post": body({"application/json": {}})},
                  "/refused": {"post": body({"application/json": {"schema": {"type": "string", "pattern": "("}}})},
                  "/anything": {"post": body({"application/json": {"schema": {}}}, required=True)}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "POST /refused: request body is documented as taking any value" in (dest / "import-report.txt").read_text(encoding="utf-8")
    exported = tmp_path / "export.json"
    assert run("-f", str(dest / "mkdocs.yml"), "export-openapi", "-o", str(exported)).returncode == 0
    document = load(exported)
    validate(document)
    for path, method, required in (("/upload", "put", False), ("/bare", "post", False), ("/refused", "post", False),
                                   ("/anything", "post", True)):
        request = document["paths"][path][method]["requestBody"]
        assert request["required"] is required, path
        assert [media["schema"] for media in request["content"].values()] == [{}], path  # any value, not an object


def test_exported_parameter_examples_are_values_of_their_schemas_types(tmp_path: Path) -> None:
    """A definition keeps what the URL carries (`7`); the export gives the integer 7 again."""
    parameters = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "example": 7},
                  {"name": "ratio", "in": "query", "schema": {"type": "number"}, "example": 0.5},
                  {"name": "flag", "in": "query", "schema": {"type": "boolean"}, "example": True},
                  {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}, "example": [1, 2]},
                  {"name": "X-Count", "in": "header", "schema": {"type": "integer"}, "example": 3},
                  {"name": "code", "in": "query", "schema": {"type": "string"}, "example": "007"}]
    spec = tmp_path / "typed.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/items/{id}": {"get": {"parameters": parameters, "responses": {"200": {"description": "ok"}}}}}}), encoding="utf-8")
    dest, exported = tmp_path / "out", tmp_path / "export.json"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert run("-f", str(dest / "mkdocs.yml"), "export-openapi", "-o", str(exported)).returncode == 0
    examples = {p["name"]: p.get("example") for p in load(exported)["paths"]["/items/{id}"]["get"]["parameters"]}
    assert examples == {"id": 7, "ratio": 0.5, "flag": True, "tags": [1, 2], "X-Count": 3, "code": "007"}


def test_a_json_media_type_whose_parameters_http_cannot_carry_is_sent_without_them(tmp_path: Path) -> None:
    spec = tmp_path / "params.json"
    odd = 'application/vnd.api+json; profile="https://example.com/pro\tfile\u00e9"'
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": {"operationId": "makeThing", "requestBody": {"content": {odd: {"example": {"a": 1}}}},
                                       "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    thing = load_front_matter(dest / "docs" / "endpoints" / "make-thing.md")
    assert thing["example"]["headers"] == {"Content-Type": "application/vnd.api+json"}
    assert "parameters are not sent (HTTP cannot carry them)" in (dest / "import-report.txt").read_text(encoding="utf-8")
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_html_tag_never_closed_in_a_description_is_read_in_linear_time(tmp_path: Path) -> None:
    spec = tmp_path / "angle.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1", "description": "[a](<" + "y" * 200_000},
        "paths": {"/things": {"get": {"operationId": "listThings", "description": "<" + "y" * 200_000,
                                      "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    started = time.monotonic()
    assert run("import-openapi", str(spec), str(tmp_path / "out")).returncode == 0
    assert time.monotonic() - started < 60  # quadratic, this took minutes


def load_front_matter(page: Path) -> dict[str, Any]:
    front: dict[str, Any] = yaml.safe_load(page.read_text(encoding="utf-8").split("---\n")[1])
    return front


def test_imported_project_passes_the_check(tmp_path: Path) -> None:
    dest = tmp_path / "petstore"
    assert run("import-openapi", str(SPECS / "oai-petstore-expanded.yaml"), str(dest)).returncode == 0
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "16 passed, 0 failed" in result.stdout


YAML_12_SPEC = """\
openapi: 3.0.3
info: {title: Yaml, version: "1"}
servers: [{url: https://api.example.com}]
paths:
  /answers:
    get:
      operationId: answers
      parameters:
        - {name: reply, in: query, required: true, schema: {type: string, enum: [yes, no, maybe]}}
        - {name: country, in: query, required: true, schema: {type: string, enum: [no, se, dk]}}
        - {name: on, in: query, required: true, schema: {type: string}, example: off}
        - {name: X Bad Header, in: header, required: true, schema: {type: string}, example: v}
        - {name: Content-Length, in: header, schema: {type: integer}, example: 10}
        - {name: Cookie, in: header, schema: {type: string}, example: session=abc}
        - {name: X-Lang, in: header, required: true, schema: {type: string, enum: [français, english]}, example: français}
        - {name: X-Name, in: header, required: true, schema: {type: string}, example: Zoë}
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  born: {type: string, format: date, example: 2017-07-21}
                  at: {type: string, format: date-time, example: 2024-01-31T12:00:00Z}
                  duration: {type: string, example: 1:20}
"""


def test_yaml_specs_read_as_yaml_1_2_and_header_examples_http_can_carry(tmp_path: Path) -> None:
    """OpenAPI asks for YAML 1.2: `no` is a country code, not false, and a date example is text
    (PyYAML's 1.1 reading made the operation fail on a date). Header examples HTTP cannot carry,
    header names that are not names, and headers each client sets itself are reported, and the
    imported project passes the check."""
    spec = tmp_path / "yaml12.yaml"
    spec.write_text(YAML_12_SPEC, encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = (dest / "docs" / "endpoints" / "answers.md").read_text(encoding="utf-8")
    front = yaml.safe_load(page.split("---")[1])
    assert front["example"]["query"] == {"reply": "yes", "country": "no", "on": "off"}
    assert front["example"]["headers"] == {"X-Lang": "english", "X-Name": "Zoe"}
    assert front["responses"][0]["body"] == {"born": "2017-07-21", "at": "2024-01-31T12:00:00Z", "duration": "1:20"}
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "`X Bad Header` is not an HTTP header name" in report
    assert "Content-Length is documented; the snippets do not send it" in report
    assert "header parameter Cookie is documented; the snippets do not send it" in report
    assert run("-f", str(dest / "mkdocs.yml"), "lint").returncode == 0
    assert "the example 'français' cannot travel in an HTTP header; 'english' is sent instead" in report
    assert "the example 'Zoë' cannot travel in an HTTP header; 'Zoe' is sent instead" in report
    assert run("build", "--strict", "-d", str(dest / "site"), cwd=dest).returncode == 0
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


# --- hostile specs: one clear line, nothing read outside the spec's folder, nothing fetched ------

def refuse(spec: Path, dest: Path, reason: str) -> None:
    result = run("import-openapi", str(spec), str(dest), timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert reason in result.stderr, result.stderr


def spec_with_ref(folder: Path, ref: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": ref}}}}}}}},
    }), encoding="utf-8")
    return spec


def test_refs_outside_the_spec_folder_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("type: object\nexample: {stolen: true}\n", encoding="utf-8")
    spec = spec_with_ref(tmp_path / "api", "../secret.yaml")
    dest = tmp_path / "out"
    result = run("import-openapi", str(spec), str(dest))
    assert result.returncode == 0, result.stderr
    assert "stolen" not in "".join(p.read_text(encoding="utf-8") for p in dest.rglob("*.md"))
    assert "outside the spec's folder" in (dest / "import-report.txt").read_text(encoding="utf-8")


def test_symlinks_out_of_the_spec_folder_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("type: object\nexample: {stolen: true}\n", encoding="utf-8")
    spec = spec_with_ref(tmp_path / "api", "link.yaml")
    os.symlink(tmp_path / "secret.yaml", tmp_path / "api" / "link.yaml")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "stolen" not in "".join(p.read_text(encoding="utf-8") for p in dest.rglob("*.md"))


def test_remote_refs_are_not_fetched(tmp_path: Path, echo_server: str) -> None:
    spec = spec_with_ref(tmp_path / "api", f"{echo_server}/schema.yaml")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "remote references are not fetched" in (dest / "import-report.txt").read_text(encoding="utf-8")


def test_alias_bomb_in_an_operation_is_bounded_and_reported(tmp_path: Path) -> None:
    lines = ["openapi: 3.0.3", "info: {title: t, version: '1'}", "x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x-a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 12)]
    lines += ["paths:", "  /ok: {get: {responses: {'200': {description: ok}}}}",
              "  /bomb: {get: {responses: {'200': {description: ok, content: {application/json: {example: *a11}}}}}}"]
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dest = tmp_path / "out"
    result = run("import-openapi", str(spec), str(dest), timeout=60)
    assert result.returncode == 0, result.stderr
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "/bomb: left out (a part of the spec expands to more than" in report
    assert "1 endpoints" in report


def test_a_flood_of_yaml_aliases_is_refused(tmp_path: Path) -> None:
    lines = ["openapi: 3.0.3", "info: {title: t, version: '1'}", "x-a: &a 1", "x-list: [" + ", ".join(["*a"] * 20_000) + "]", "paths: {}"]
    spec = tmp_path / "aliases.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refuse(spec, tmp_path / "out", "more than 10000 YAML aliases")


@pytest.mark.parametrize(("text", "reason"), [
    ("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", "OpenAPI 3.0 or 3.1 expected, found swagger 2.0"),
    ("openapi: 3.0.3\npaths: [\n", "not valid YAML or JSON"),
    ("- just\n- a list\n", "not an OpenAPI document"),
    ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "not"),
])
def test_unreadable_specs_get_one_clear_line(tmp_path: Path, text: str, reason: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    refuse(spec, tmp_path / "out", reason)


def test_a_non_empty_destination_needs_force(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    refuse(SPECS / "oai-petstore.yaml", dest, "not empty")
    assert (dest / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_odd_operations_are_reported_not_fatal(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {
            "/ok": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/cookie": {"get": {"parameters": [{"name": "session", "in": "cookie", "schema": {"type": "string"}}],
                                "responses": {"2XX": {"description": "fine"}}}},
            "/broken": {"get": {"responses": {"200": {"$ref": "#/nowhere"}}}},
            "relative": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/typed/{id:int}": {"get": {"responses": {"200": {"description": "ok"}}}},
            # converted AWS specs tell operations on one path apart by a `#...` suffix
            "/tags#mode=import&region": {"post": {"responses": {"200": {"description": "ok"}}}},
            "/weird": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"a": {"type": "description"}}}, "example": {"a": 1}}}}}}},
        },
    }), encoding="utf-8")
    dest = tmp_path / "out"
    result = run("import-openapi", str(spec), str(dest))
    assert result.returncode == 0, result.stderr
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "cookie parameter `session`" in report
    # a $ref that cannot be resolved costs only what it stands for: the operation keeps its page
    assert "GET /broken: $ref #/nowhere cannot be resolved; read as any value" in report
    assert "path `relative`" in report
    assert "GET /typed/{id:int}: path parameter `id:int` is documented as `id_int`" in report
    assert "6 endpoints" in report
    assert ("POST", "/tags#mode=import&region") in _summary(dest / "mkdocs.yml")[1]  # `&region` is not `®ion`
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site")).returncode == 0


def dense_spec(folder: Path, schemas: int = 40, operations: int = 30) -> Path:
    """Schemas whose fields link the next three schemas: following every `$ref` grows as 3^depth.

    Real specs are like this (an account has a business, which has an account...); expanded in
    full, one operation of such a spec runs to millions of values.
    """
    components = {
        f"S{n}": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "example": f"s{n}"},
            **{f"link{k}": {"$ref": f"#/components/schemas/S{(n + k) % schemas}"} for k in (1, 2, 3)},
        }} for n in range(schemas)
    }
    paths = {f"/things{n}/{{id}}": {"get": {
        "operationId": f"getThing{n}",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/S{n % schemas}"}}}}},
    }} for n in range(operations)}
    spec = folder / "dense.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "dense", "version": "1"}, "paths": paths,
                                "components": {"schemas": components}}), encoding="utf-8")
    return spec


def test_a_densely_linked_spec_keeps_every_operation_and_reports_the_depth_it_shows(tmp_path: Path) -> None:
    spec = dense_spec(tmp_path)
    dest = tmp_path / "out"
    result = run("import-openapi", str(spec), str(dest), timeout=120)
    assert result.returncode == 0, result.stderr
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "30 endpoints" in report
    assert "GET /things0/{id}: schemas nested" in report and "are read as any value" in report
    page = (dest / "docs" / "endpoints" / "get-thing0.md").read_text(encoding="utf-8")
    body = yaml.safe_load(page.split("---")[1])["responses"][0]["body"]
    # breadth first: every field of the first levels is there, the cut is at the same depth everywhere
    assert body["link1"]["link2"]["id"] == "s3" and body["link3"]["link1"]["id"] == "s4"
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site")).returncode == 0


def test_refs_inside_a_schema_with_an_id_point_into_that_schema(tmp_path: Path) -> None:
    from apidocs.openapi.source import Budget, open_spec

    spec = tmp_path / "scoped.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Scoped"}}}}}}}},
        "components": {"schemas": {
            "Scoped": {"$id": "https://example.com/scoped", "type": "object",
                       "properties": {"inner": {"$ref": "#/$defs/Inner"}, "outer": {"$ref": "#/components/schemas/Outer"}},
                       "$defs": {"Inner": {"type": "integer"}}},
            "Outer": {"type": "string"},
        }},
    }), encoding="utf-8")
    budget = Budget()
    schema = open_spec(spec).plain(("paths", "/x", "get", "responses", "200", "content", "application/json", "schema"), budget)
    assert schema["properties"] == {"inner": {"type": "integer"}, "outer": {"type": "string"}}
    assert budget.unresolved == [] and budget.trimmed_below is None


def test_refs_to_an_anchor_name_the_anchored_schema_and_a_dynamic_ref_is_followed(tmp_path: Path) -> None:
    # `#pos` was read as the empty pointer (the whole `$id` schema, shown as a recursion), and a
    # `$dynamicRef` was left in the copy, whose anchors are dropped: checking the example raised,
    # and the operation was left out.
    schema = {"$id": "https://example.com/root", "type": "object", "required": ["n"],
              "properties": {"n": {"$ref": "#pos"}, "tree": {"$dynamicRef": "#node"}, "far": {"$ref": "#far"}},
              "$defs": {"pos": {"$anchor": "pos", "type": "integer", "minimum": 1},
                        "node": {"$dynamicAnchor": "node", "type": "object", "properties": {"kids": {"type": "array",
                                                                                                      "items": {"$dynamicRef": "#node"}}}}}}
    spec = tmp_path / "anchors.json"
    spec.write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}},
                                  "responses": {"200": {"description": "ok", "content": {"application/json": {
                                      "schema": {"$ref": "#/components/schemas/Named"}}}}}}}},
        "components": {"schemas": {"Named": {"$ref": "#named"}, "Target": {"$anchor": "named", "type": "object", "properties": {"id": {"type": "string"}}}}}}), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "left out" not in report and "#far" in report  # an anchor no schema has costs only itself
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    operation = exported["paths"]["/x"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["n"] == {"type": "integer", "minimum": 1}
    assert body["schema"]["properties"]["tree"]["properties"]["kids"]["type"] == "array"
    assert isinstance(body["example"]["n"], int)
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"] == {"id": {"type": "string"}}


def test_keywords_beside_a_ref_are_kept_over_its_target(tmp_path: Path) -> None:
    """OpenAPI 3.1 (JSON Schema) lets a `$ref` carry keywords of its own: a property's own
    description, a type with null. They show in the tables and the mock's schema, over the
    target's; beside a recursive `$ref` (read as any value) they stay alone."""
    from jsonschema import Draft202012Validator

    spec = tmp_path / "beside.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/orders/{id}": {"get": {
            "operationId": "getOrder",
            "parameters": [{"$ref": "#/components/parameters/Id", "description": "The order's own id"}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "required": ["billing"], "properties": {
                    "billing": {"$ref": "#/components/schemas/Address", "description": "Where the invoice goes"},
                    "shipping": {"$ref": "#/components/schemas/Alias", "description": "Where the parcel goes",
                                 "type": ["object", "null"]},
                    "parent": {"$ref": "#/components/schemas/Node", "description": "The order it splits from"},
                }}}}}}}}},
        "components": {
            "parameters": {"Id": {"name": "id", "in": "path", "required": True, "description": "An id",
                                  "schema": {"type": "string"}}},
            "schemas": {
                "Address": {"type": "object", "description": "A postal address", "required": ["city"],
                            "properties": {"city": {"type": "string", "example": "Oslo"},
                                           "country": {"$ref": "#/components/schemas/Country"}}},
                "Alias": {"$ref": "#/components/schemas/Address", "description": "An address, by another name"},
                "Country": {"type": "string", "example": "NO"},
                "Node": {"type": "object", "properties": {"parent": {"$ref": "#/components/schemas/Node"}}},
            }},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = (dest / "docs" / "endpoints" / "get-order.md").read_text(encoding="utf-8")
    assert "The order's own id" in page and "An id" not in page
    assert "billing\n: (object) ***Required*** Where the invoice goes" in page
    assert "shipping\n: (object or null) Where the parcel goes" in page  # over the target's and the alias'
    assert "billing.country\n: (string)" in page  # the target's own `$ref`s are followed still
    assert "The order it splits from" in page
    assert "A postal address" not in page and "another name" not in page
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "recursive schemas (`#/components/schemas/Node`) are shown down to where they repeat" in report
    response = yaml.safe_load(page.split("---")[1])["responses"][0]
    validator = Draft202012Validator(response["schema"])
    assert validator.is_valid(response["body"])
    assert validator.is_valid({"billing": {"city": "Oslo"}, "shipping": None})
    assert not validator.is_valid({"billing": None})
    assert run("build", "--strict", "-d", str(dest / "site"), cwd=dest).returncode == 0


def test_properties_and_requirements_beside_a_ref_join_the_targets(tmp_path: Path) -> None:
    """JSON Schema applies a `$ref` and the keywords beside it both: an extension of a base
    schema keeps the base's fields and requirements."""
    from apidocs.openapi.source import open_spec

    spec = tmp_path / "extended.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Base", "required": ["extra", "id"], "properties": {"extra": {"type": "boolean"}},
            "allOf": [{"minProperties": 1}], "description": "An extended base"}}}}, "responses": {"201": {"description": "ok"}}}}},
        "components": {"schemas": {"Base": {"type": "object", "required": ["id"], "description": "A base",
                                            "allOf": [{"maxProperties": 5}],
                                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}},
    }), encoding="utf-8")
    schema = open_spec(spec).plain(("paths", "/x", "post", "requestBody", "content", "application/json", "schema"))
    assert schema == {"type": "object", "required": ["id", "extra"], "description": "An extended base",
                      "allOf": [{"maxProperties": 5}, {"minProperties": 1}],
                      "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "extra": {"type": "boolean"}}}


def test_read_only_fields_are_not_asked_of_requests_nor_write_only_ones_answered(tmp_path: Path) -> None:
    """OpenAPI: a `readOnly` property's `required` holds for responses only, a `writeOnly` one's
    for requests only. The request body's own description is shown above its fields."""
    from jsonschema import Draft202012Validator

    spec = tmp_path / "users.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/users": {"post": {
            "operationId": "createUser",
            "requestBody": {"required": True, "description": "The user to create", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/User"}}}},
            "responses": {"201": {"description": "Created", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/User"}}}}}}}},
        "components": {"schemas": {"User": {"type": "object", "required": ["id", "name", "password"], "properties": {
            "id": {"type": "integer", "readOnly": True}, "name": {"type": "string"},
            "password": {"type": "string", "writeOnly": True}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = (dest / "docs" / "endpoints" / "create-user.md").read_text(encoding="utf-8")
    front = yaml.safe_load(page.split("---")[1])
    assert front["example"]["body"] == {"name": "string", "password": "string"}
    assert front["responses"][0]["body"] == {"id": 1, "name": "string"}
    request, answer = Draft202012Validator(front["request"]["schema"]), Draft202012Validator(front["responses"][0]["schema"])
    assert request.is_valid({"name": "a", "password": "b"}) and not request.is_valid({"name": "a"})
    assert answer.is_valid({"id": 1, "name": "a"}) and not answer.is_valid({"name": "a", "password": "b"})
    assert "### Request Parameters\n\nThe user to create\n" in page
    assert "example lacked" not in (dest / "import-report.txt").read_text(encoding="utf-8")
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_made_up_strings_follow_their_patterns_or_are_left_out_when_optional(tmp_path: Path) -> None:
    """A code like `^[A-Z]{3}$` gets a value that matches; an optional field whose pattern no
    made-up value matches is left out of the example, so the request schema is kept."""
    spec = tmp_path / "patterns.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/pay": {"post": {"operationId": "pay", "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "required": ["currency", "amount"], "properties": {
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "amount": {"type": "string", "pattern": "^[0-9]+$"},
                "reference": {"type": "string", "pattern": "^ref_[0-9a-f]{8}$"},
                "code": {"type": "string", "pattern": "^(?=.*[0-9])(?=.*[a-z])[a-z0-9]{8}$"}}}}}},
            "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = yaml.safe_load((dest / "docs" / "endpoints" / "pay.md").read_text(encoding="utf-8").split("---")[1])
    assert front["example"]["body"] == {"currency": "AAA", "amount": "0", "reference": "ref_00000000"}  # as each pattern spells it
    assert front["request"]["schema"]["properties"]["code"]["pattern"] == "^(?=.*[0-9])(?=.*[a-z])[a-z0-9]{8}$"
    assert (dest / "import-report.txt").read_text(encoding="utf-8").endswith("Everything was carried over.\n")


@pytest.mark.parametrize(("schemes", "security", "header", "scheme", "note"), [
    ({"cookieKey": {"type": "apiKey", "in": "cookie", "name": "a b"}, "bearer": {"type": "http", "scheme": "bearer"}},
     [{"cookieKey": []}, {"bearer": []}], "Authorization", "Bearer", None),  # an alternative the snippets can send
    ({"queryKey": {"type": "apiKey", "in": "query", "name": "key"}, "bearer": {"type": "http", "scheme": "bearer"}},
     [{"queryKey": []}, {"bearer": []}], "", "", None),  # the first: an API key in the query is sent too
    ({"token": {"type": "http", "scheme": "Token"}}, [{"token": []}], "Authorization", "Token", None),
    ({"digest": {"type": "http", "scheme": "digest"}}, [{"digest": []}], "Authorization", "Bearer",
     "security scheme `digest` (HTTP digest) is shown as a bearer token"),
])
def test_the_site_sends_a_security_scheme_it_can(tmp_path: Path, schemes: dict[str, Any], security: list[Any], header: str,
                                                  scheme: str, note: str | None) -> None:
    spec = tmp_path / "auth.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "security": security,
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"securitySchemes": schemes},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    config = yaml.load((dest / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)
    auth = next(plugin["apidocs"] for plugin in config["plugins"] if isinstance(plugin, dict) and "apidocs" in plugin)["auth"]
    assert (auth["header"], auth["scheme"]) == (header, scheme)
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert (note in report) if note else report.endswith("Everything was carried over.\n")


@pytest.mark.parametrize("scheme", [{"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                                    {"type": "apiKey", "in": "cookie", "name": "session_key"},
                                    {"type": "apiKey", "in": "query", "name": "api_key"}], ids=["header", "cookie", "query"])
def test_an_api_key_scheme_comes_back_from_the_export_where_the_spec_put_it(tmp_path: Path, scheme: dict[str, Any]) -> None:
    """An API key in a cookie is sent as the Cookie header, and exported as the cookie it is
    (before: an API key in a header named `Cookie`); importing the export gives the same site."""
    spec = tmp_path / "keys.yaml"
    write_spec(spec, {
        "security": [{"key": []}], "components": {"securitySchemes": {"key": scheme}},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
    })
    assert run("import-openapi", str(spec), str(tmp_path / "out")).returncode == 0
    exported = tmp_path / "openapi.json"
    assert run("-f", str(tmp_path / "out" / "mkdocs.yml"), "export-openapi", "-o", str(exported)).returncode == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    validate(document)
    (written,) = document["components"]["securitySchemes"].values()
    assert (written["type"], written["in"], written["name"]) == (scheme["type"], scheme["in"], scheme["name"])
    assert not [p for p in document["paths"]["/x"]["get"].get("parameters", []) if p["name"].lower() == "cookie"]
    assert run("import-openapi", str(exported), str(tmp_path / "again")).returncode == 0
    auth, _ = _summary(tmp_path / "out" / "mkdocs.yml")
    auth_again, _ = _summary(tmp_path / "again" / "mkdocs.yml")
    assert auth_again == auth


def test_an_api_key_in_the_query_is_sent_by_every_snippet_and_checked_by_the_sandbox(tmp_path: Path) -> None:
    """OpenAPI's apiKey `in: query`: the site's auth is that parameter (`auth.query`); each snippet
    and Try it send it, the sandbox answers 401 without it or with an unknown key, and the check
    passes, the documented 401 reached without the key."""
    spec = tmp_path / "keys.yaml"
    write_spec(spec, {
        "security": [{"key": []}], "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}}},
        "paths": {"/things": {"get": {"operationId": "things", "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer"}, "example": 5}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"n": 1}}}},
                          "401": {"description": "no key", "content": {"application/json": {"example": {"detail": "no key"}}}}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "api_key" not in (dest / "import-report.txt").read_text(encoding="utf-8")
    site = tmp_path / "site"
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert built.returncode == 0, built.stdout + built.stderr
    page = (site / "endpoints" / "things" / "index.html").read_text(encoding="utf-8")
    data = json.loads(html.unescape(re.search(r"data-apidocs-explorer='([^']*)'", page).group(1)))  # type: ignore[union-attr]
    assert data["query"][0] == {"name": "api_key", "value": "your-api-token", "required": False, "auth": True}
    assert data["auth"]["query"] == "api_key" and data["auth"]["token"] == "your-api-token"
    assert page.count("api_key=your-api-token") >= 4  # curl, HTTPie, Python, Node
    checked = run("-f", str(dest / "mkdocs.yml"), "check", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "401" in checked.stdout and "not reached" not in checked.stdout.split("401", 1)[1].split("\n", 1)[0]
    sandbox = start_sandbox(tmp_path / "sandbox.db", config=dest / "mkdocs.yml")
    try:
        assert "Demo tokens (?api_key=<token>)" in sandbox.banner
        assert requests.get(f"{sandbox.url}/things?limit=5", timeout=10).status_code == 401
        assert requests.get(f"{sandbox.url}/things?limit=5&api_key=nope", timeout=10).status_code == 401
        assert requests.get(f"{sandbox.url}/things?api_key=your-api-token&limit=5", timeout=10).status_code == 200
    finally:
        sandbox.stop()


def test_parameters_travel_in_the_style_the_spec_gives_them(tmp_path: Path) -> None:
    """OpenAPI `style`/`explode` (RFC 6570): a scalar in a matrix or label path segment keeps its
    prefix, an exploded pipe-delimited array repeats its name, an object header is `key,value`,
    and a parameter given as a media type takes that media type's example. The check passes."""
    spec = tmp_path / "styles.yaml"
    write_spec(spec, {
        "paths": {"/m/{mid}/l/{lid}": {"get": {"operationId": "styles", "parameters": [
            {"name": "mid", "in": "path", "required": True, "style": "matrix", "schema": {"type": "integer"}, "example": 5},
            {"name": "lid", "in": "path", "required": True, "style": "label", "schema": {"type": "integer"}, "example": 6},
            {"name": "pipe", "in": "query", "required": True, "style": "pipeDelimited", "explode": True,
             "schema": {"type": "array", "items": {"type": "string"}}, "example": ["p", "q"]},
            {"name": "X-Obj", "in": "header", "required": True, "schema": {"type": "object"}, "example": {"r": 1, "g": 2}},
            {"name": "next", "in": "query", "allowReserved": True, "schema": {"type": "string"}, "example": "/a?b"},
            {"name": "filter", "in": "query", "required": True, "content": {"application/json": {
                "schema": {"type": "object", "properties": {"color": {"type": "string"}}}, "example": {"color": "red"}}}},
        ], "responses": {"200": {"description": "ok"}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    example = yaml.safe_load((dest / "docs" / "endpoints" / "styles.md").read_text(encoding="utf-8").split("---")[1])["example"]
    assert example["params"] == {"mid": ";mid=5", "lid": ".6"}
    assert example["query"] == {"pipe": ["p", "q"], "next": "/a?b", "filter": '{"color":"red"}'}
    assert "query parameter `next` allows reserved characters unencoded (allowReserved)" in (
        dest / "import-report.txt").read_text(encoding="utf-8")
    assert example["headers"] == {"X-Obj": "r,1,g,2"}
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shapes_told_apart_by_a_discriminator_and_what_the_tables_say_of_a_field(tmp_path: Path) -> None:
    """A `oneOf` with a discriminator over shapes sharing a base: the example names its shape by
    a mapping key and keeps its schema (the discriminator tells the shapes apart, so a value
    matching two of them is not refused); the tables show every type of a field, its constant,
    a deprecated parameter, and that there are other shapes."""
    from jsonschema import Draft202012Validator

    base = {"type": "object", "required": ["petType"], "properties": {"petType": {"type": "string"}}}
    spec = tmp_path / "pets.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/pets": {"post": {
            "operationId": "addPet",
            "parameters": [{"name": "legacy", "in": "query", "deprecated": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "petType", "mapping": {"cat": "#/components/schemas/Cat",
                                                                         "dog": "#/components/schemas/Dog"}}}}}},
            "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {
            "Cat": {"allOf": [base, {"type": "object", "properties": {"lives": {"type": ["integer", "string"]},
                                                                      "kind": {"type": "string", "const": "feline"}}}]},
            "Dog": {"allOf": [base, {"type": "object", "properties": {"packSize": {"type": "integer"}}}]}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = (dest / "docs" / "endpoints" / "add-pet.md").read_text(encoding="utf-8")
    front = yaml.safe_load(page.split("---")[1])
    assert front["example"]["body"]["petType"] == "cat"
    assert Draft202012Validator(front["request"]["schema"]).is_valid(front["example"]["body"])
    assert "lives\n: (integer or string)" in page and "Always `\"feline\"`." in page
    assert "legacy\n: (string) Deprecated." in page
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request body has 2 alternative shapes (oneOf/anyOf); the fields of the first are listed" in report
    assert "does not fit" not in report


def test_response_headers_are_described_and_links_reported(tmp_path: Path) -> None:
    spec = tmp_path / "created.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": {"operationId": "createThing", "responses": {"201": {
            "description": "Created",
            "headers": {"Location": {"required": True, "description": "Where the new thing is", "schema": {"type": "string"}},
                        "X-Rate-Limit": {"schema": {"type": "integer"}, "example": 99}},
            "links": {"GetThing": {"operationId": "getThing"}}}}}},
                  "/things.csv": {"get": {"operationId": "listThings", "responses": {"200": {
                      "description": "Every thing", "content": {"text/csv": {"schema": {"type": "string"},
                                                                             "example": "id,name\n1,a\n"}}}}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    response = yaml.safe_load((dest / "docs" / "endpoints" / "create-thing.md").read_text(encoding="utf-8").split("---")[1])["responses"][0]
    assert response["description"] == ("Created. Headers: `Location` (string, required): Where the new thing is;"
                                       " `X-Rate-Limit` (integer).")
    assert response["headers"] == {"X-Rate-Limit": "99"}
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "201 response links (GetThing) are not carried over" in report
    assert "200 response is text/csv; documented as text/plain" in report
    assert run("build", "--strict", "-d", str(dest / "site"), cwd=dest).returncode == 0


def test_named_examples_a_page_does_not_show_are_reported(tmp_path: Path) -> None:
    spec = tmp_path / "examples.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/pets": {"post": {"operationId": "addPet", "requestBody": {"content": {"application/json": {
            "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
            "examples": {"cat": {"value": {"name": "Tom"}}, "dog": {"value": {"name": "Rex"}},
                         "big": {"externalValue": "https://example.com/big.json"}}}}},
            "responses": {"200": {"description": "ok"}}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = yaml.safe_load((dest / "docs" / "endpoints" / "add-pet.md").read_text(encoding="utf-8").split("---")[1])
    assert front["example"]["body"] == {"name": "Tom"}
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request body: example `cat` is shown; `dog` not" in report
    assert "request body: examples in files of their own (externalValue: `big`) are not fetched" in report


def test_the_home_page_carries_contact_licence_terms_and_external_docs(tmp_path: Path) -> None:
    long_summary = "Creates a thing " + "and says a great deal about it " * 6
    spec = tmp_path / "info.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1", "summary": "Things as a service", "termsOfService": "https://example.com/tos",
                 "contact": {"name": "Support [team]", "email": "help@example.com", "url": "javascript:alert(1)"},
                 "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"}},
        "externalDocs": {"url": "https://example.com/docs", "description": "Full docs"},
        "paths": {"/things": {
            "post": {"operationId": "createThing", "summary": long_summary, "externalDocs": {"url": "https://example.com/op"},
                     "responses": {"200": {"description": "ok"}}},
            "get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}},
                    "externalDocs": {"url": "https://example.com/{{ page.title }}", "description": "Our {% docs <b>"}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    home = (dest / "docs" / "index.md").read_text(encoding="utf-8")
    assert "Things as a service" in home
    assert "- Contact: Support \\[team\\], [help@example.com](mailto:help@example.com)" in home  # no javascript: link
    assert "- Licence: [Apache 2.0](https://spdx.org/licenses/Apache-2.0.html)" in home
    assert "- Terms of service: [https://example.com/tos](https://example.com/tos)" in home
    assert "- See also: [Full docs](https://example.com/docs)" in home
    page = (dest / "docs" / "endpoints" / "create-thing.md").read_text(encoding="utf-8")
    assert " ".join(long_summary.split()) in page and "See also: [https://example.com/op](https://example.com/op)." in page
    listed = (dest / "docs" / "endpoints" / "list-things.md").read_text(encoding="utf-8")
    assert "See also: Our &#123;% docs &lt;b&gt;." in listed  # not a link (braces), and nothing Liquid or HTML reads
    assert run("build", "--strict", "-d", str(dest / "site"), cwd=dest).returncode == 0


def test_server_variables_with_listed_values_give_a_server_each(tmp_path: Path) -> None:
    spec = tmp_path / "servers.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://{region}.api.example.com/{base}", "description": "Regional",
                     "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}, "base": {"default": "v2"}}}],
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    config = yaml.load((dest / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)
    options = next(plugin["apidocs"] for plugin in config["plugins"] if isinstance(plugin, dict) and "apidocs" in plugin)
    assert options["servers"] == [{"url": "https://eu.api.example.com/v2", "description": "Regional"},
                                  {"url": "https://us.api.example.com/v2", "description": "Regional (region: us)"}]


def _servers_imported(folder: Path, servers: list[dict[str, Any]]) -> Path:
    spec = folder / "relative.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": servers,
        "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {
            "description": "ok", "content": {"application/json": {"example": [{"id": 1}]}}}}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = folder / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    return dest


def _options(dest: Path) -> dict[str, Any]:
    config = yaml.load((dest / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)
    found: dict[str, Any] = next(plugin["apidocs"] for plugin in config["plugins"] if isinstance(plugin, dict) and "apidocs" in plugin)
    return found


def test_a_relative_server_keeps_its_base_path_in_the_snippets_the_sandbox_and_the_export(tmp_path: Path) -> None:
    """`servers: [{url: /api/v1}]` is relative to where the document is served: the site keeps the
    path, the snippets call it on the local sandbox (which serves the operations below it, and
    at its root for the check), and the export gives the relative URL back."""
    dest = _servers_imported(tmp_path, [{"url": "/api/v1", "description": "This host"}])
    assert _options(dest)["servers"] == [{"url": "/api/v1", "description": "This host"}]
    assert "server `/api/v1` is relative to where the spec is served: the snippets call it on the site's address" in (
        dest / "import-report.txt").read_text(encoding="utf-8")
    from apidocs.config.loading import load_settings
    from apidocs.definitions.loader import load_tree
    from apidocs.rendering.request import build_request

    settings = load_settings(dest / "mkdocs.yml")
    (endpoint,) = load_tree(settings.docs_dir, settings.includes_dir, settings.site).endpoints
    assert build_request(endpoint, settings.auth, settings.default_server).url == "http://127.0.0.1:8000/sandbox/api/v1/pets"
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0 and "4 passed, 0 failed" in result.stdout, result.stdout + result.stderr
    exported = tmp_path / "openapi.json"
    assert run("-f", str(dest / "mkdocs.yml"), "export-openapi", "-o", str(exported)).returncode == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["servers"] == [{"url": "/api/v1", "description": "This host"}]
    assert "http://127.0.0.1:8000/sandbox/api/v1/pets" in document["paths"]["/pets"]["get"]["x-codeSamples"][0]["source"]
    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=dest / "mkdocs.yml")
    try:
        import requests

        assert requests.get(f"{sandbox.url}/api/v1/pets", timeout=10).json() == [{"id": 1}]
        assert requests.get(f"{sandbox.url}/pets", timeout=10).json() == [{"id": 1}]
    finally:
        sandbox.stop()
    # On a published site, the path is on the site's address (where openapi.json is served).
    text = (dest / "mkdocs.yml").read_text(encoding="utf-8")
    (dest / "mkdocs.yml").write_text(text + "site_url: https://docs.example.com/pets-api/\n", encoding="utf-8")
    assert load_settings(dest / "mkdocs.yml").default_server == "https://docs.example.com/api/v1"


@pytest.mark.parametrize(("written", "taken"), [("v2", "/v2"), ("./v2/", "/v2"), ("../v2", "/v2"), ("/a/../../b", "/b"),
                                                ("../..", "/"), ("", "/")])
def test_a_relative_server_is_a_path_from_the_sites_root_that_never_escapes_it(tmp_path: Path, written: str, taken: str) -> None:
    dest = _servers_imported(tmp_path, [{"url": written}])
    assert _options(dest)["servers"] == [{"url": taken}]
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert f"server `{written}` is relative to where the spec is served; it is taken from the site's root, as `{taken}`" in report


def test_a_relative_server_that_is_no_path_is_left_out_and_reported(tmp_path: Path) -> None:
    dest = _servers_imported(tmp_path, [{"url": "/api?v=1"}, {"url": "/api/v1"}])
    assert _options(dest)["servers"] == [{"url": "/api/v1"}]
    assert "server `/api?v=1` is a relative URL that is no path" in (dest / "import-report.txt").read_text(encoding="utf-8")


def test_a_ref_to_a_ref_inside_the_keywords_beside_a_ref_is_followed(tmp_path: Path) -> None:
    from apidocs.openapi.source import open_spec

    spec = tmp_path / "chain.json"
    spec.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": {
        "Y": {"type": "string", "enum": ["a"]}, "X": {"$ref": "#/components/schemas/Y", "description": "An X"},
        "T": {"type": "array", "description": "t"}, "O": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "A": {"$ref": "#/components/schemas/T", "items": {"$ref": "#/components/schemas/X"}},
        "B": {"$ref": "#/components/schemas/O", "properties": {"b": {"$ref": "#/components/schemas/X"}}},
    }}}), encoding="utf-8")
    opened = open_spec(spec)
    x = {"type": "string", "enum": ["a"], "description": "An X"}
    assert opened.plain(("components", "schemas", "A")) == {"type": "array", "description": "t", "items": x}
    assert opened.plain(("components", "schemas", "B")) == {"type": "object", "properties": {"a": {"type": "integer"}, "b": x}}


def test_a_pattern_that_backtracks_cannot_hold_up_an_import(tmp_path: Path) -> None:
    """Made-up strings are tried against a pattern with validation's time limit."""
    spec = tmp_path / "slow.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"parameters": [{"name": "q", "in": "query", "required": True, "schema": {
            "type": "string", "minLength": 60, "pattern": "(a+)+!"}}], "responses": {"200": {"description": "ok"}}}}},
    }), encoding="utf-8")
    assert run("import-openapi", str(spec), str(tmp_path / "out"), timeout=60).returncode == 0


def test_a_read_only_field_required_in_another_part_of_an_all_of_is_not_asked_for(tmp_path: Path) -> None:
    from apidocs.openapi.examples import directed

    schema = {"allOf": [{"type": "object", "required": ["id", "name"], "properties": {"name": {"type": "string"}}},
                        {"type": "object", "properties": {"id": {"type": "integer", "readOnly": True}}}]}
    assert directed(schema, "request") == {"allOf": [
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}, {"type": "object", "properties": {}}]}
    assert directed(schema, "response") is schema


@pytest.mark.parametrize("value", ["!!int abc", "!!int ''", "!!int +", "!!float ''"])
def test_a_tagged_value_that_is_not_its_tag_is_one_clear_line(tmp_path: Path, value: str) -> None:
    spec = tmp_path / "tagged.yaml"
    spec.write_text('openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /x:\n    get:\n      responses:\n'
                    f'        "200": {{description: ok, content: {{application/json: {{example: {value}}}}}}}\n', encoding="utf-8")
    result = run("import-openapi", str(spec), str(tmp_path / "out"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "tagged.yaml:7: not valid YAML or JSON" in result.stdout + result.stderr


def test_nullable_without_a_type_means_this_or_null(tmp_path: Path) -> None:
    """`anyOf: [{$ref}]` with `nullable: true` (how Stripe writes an optional object) accepts both."""
    from jsonschema import Draft202012Validator

    spec = tmp_path / "nullable.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/customer": {"get": {"operationId": "getCustomer", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "address": {"anyOf": [{"$ref": "#/components/schemas/Address"}], "nullable": True},
                "note": {"allOf": [{"type": "string"}], "nullable": True},
            }}}}}}}}},
        "components": {"schemas": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "does not fit" not in (dest / "import-report.txt").read_text(encoding="utf-8")
    page = (dest / "docs" / "endpoints" / "get-customer.md").read_text(encoding="utf-8")
    response = yaml.safe_load(page.split("---")[1])["responses"][0]
    validator = Draft202012Validator(response["schema"])
    assert validator.is_valid(response["body"])
    assert validator.is_valid({"address": None, "note": None})
    assert validator.is_valid({"address": {"city": "Oslo"}, "note": "x"})
    assert not validator.is_valid({"address": {"town": "Oslo"}, "note": 5})


def test_examples_missing_required_fields_are_completed_and_prose_marks_stay_prose(tmp_path: Path) -> None:
    """Two things GitHub's own spec does: an example without a field its schema requires, and
    "**Required** when using `subject_id`" in an optional parameter's description."""
    spec = tmp_path / "gh.json"
    write_spec(spec, {
        "paths": {"/fields": {"post": {
            "operationId": "createField",
            "parameters": [{"name": "subject_type", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "**Required** when using `subject_id`."}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["name", "options"], "properties": {
                    "name": {"type": "string"},
                    "options": {"type": "array", "items": {"type": "object", "required": ["name", "priority"], "properties": {
                        "name": {"type": "string"}, "priority": {"type": "integer", "minimum": 1}}}}}},
                "example": {"name": "Severity", "options": [{"name": "high"}, {"name": "low"}]}}}},
            "responses": {"201": {"description": "made", "content": {"application/json": {"example": {"id": 1}}}}},
        }, "delete": {  # Asana documents a body on its 204s; HTTP sends none, and the check would fail
            "operationId": "deleteFields",
            "responses": {"204": {"description": "gone", "content": {"application/json": {"example": {"data": {}}}}}},
        }, "head": {  # as Kubernetes documents its HEAD proxies
            "operationId": "headFields",
            "responses": {"200": {"description": "there", "content": {"*/*": {"schema": {"type": "string"}}}}},
        }}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request example lacked required `options.0.priority`, `options.1.priority`; completed from its schema" in report
    assert "does not fit" not in report
    assert "DELETE /fields: 204 response content is not carried over (HTTP sends no body with 204)" in report
    assert "HEAD /fields: 200 response content is not carried over (HTTP sends no body in answer to HEAD)" in report
    summary = _summary(dest / "mkdocs.yml")[1][("POST", "/fields")]
    assert summary["body"] == {"name": "Severity", "options": [{"name": "high", "priority": 1}, {"name": "low", "priority": 1}]}
    page = (dest / "docs" / "endpoints" / "create-field.md").read_text(encoding="utf-8")
    assert "request:\n  schema:" in page  # the schema is carried: the sandbox checks requests against it
    assert ": (string) Required when using `subject_id`." in page  # the writers' required mark is not faked
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("odd", [
    {"servers": True, "security": True},
    {"servers": [{"url": "https://x.example/{v}", "variables": True}]},
    {"paths": {"/a": {"parameters": True, "get": {"parameters": 5, "responses": {"200": {"description": "ok"}}}}}},
], ids=["servers-and-security-not-lists", "variables-not-a-mapping", "parameters-not-lists"])
def test_lists_and_mappings_of_the_wrong_kind_are_not_fatal(tmp_path: Path, odd: dict[str, Any]) -> None:
    spec = tmp_path / "odd.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}, **odd}), encoding="utf-8")
    result = run("import-openapi", str(spec), str(tmp_path / "out"))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "1 endpoints" in (tmp_path / "out" / "import-report.txt").read_text(encoding="utf-8")


def test_copies_of_the_samples_keep_their_licences() -> None:
    assert (SPECS / "LICENSE-OpenAPI-Specification").is_file()
    assert (SPECS / "LICENSE-museum-openapi-example").is_file()
    assert shutil.which("node") or True  # the check test above needs node; the suite installs nothing else


def _summary(config: Path) -> tuple[Any, dict[tuple[str, str], dict[str, Any]]]:
    from apidocs.config.loading import load_settings
    from apidocs.definitions.loader import load_tree

    settings = load_settings(config)
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    endpoints = {}
    for endpoint in tree.endpoints:
        documented = {g.kind: [p.name for p in g.parameters] for g in endpoint.groups if g.kind in ("path", "query", "request")}
        if "request" not in documented and endpoint.request_schema:
            # a body documented by its schema alone is exported as one; imported, its fields are listed
            documented["request"] = list(endpoint.request_schema.get("properties", {}))
        endpoints[(endpoint.method, endpoint.path)] = {
            "name": endpoint.name, "params": endpoint.example.path_params, "query": endpoint.example.query,
            "body": endpoint.example.body if endpoint.example.has_body else None, "token": endpoint.example.token,
            "expected": endpoint.expected_status, "statuses": sorted({r.key for r in endpoint.responses}),
            "bodies": {r.key: r.body for r in endpoint.responses if r.has_body},
            "documented": documented,
        }
    return settings.auth, endpoints


def test_importing_the_export_of_the_timp_docs_recreates_equivalent_definitions(tmp_path: Path) -> None:
    from conftest import ROOT

    document = tmp_path / "openapi.yaml"
    assert run("-f", str(ROOT / "mkdocs.yml"), "export-openapi", "-o", str(document)).returncode == 0
    assert run("import-openapi", str(document), str(tmp_path / "again")).returncode == 0
    auth, original = _summary(ROOT / "mkdocs.yml")
    auth_again, again = _summary(tmp_path / "again" / "mkdocs.yml")
    assert auth_again == auth  # header, scheme, documented token and demo tokens
    assert again == original
    assert (tmp_path / "again" / "import-report.txt").read_text(encoding="utf-8").endswith("Everything was carried over.\n")


def test_parameter_names_with_hyphens_and_dots_survive_import_build_and_check(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/pets/{pet-id}/toys/{toy.id}": {"get": {
            "parameters": [{"name": "pet-id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "rex"},
                           {"name": "toy.id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"squeaks": True}}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site")).returncode == 0
    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    parameters = exported["paths"]["/pets/{pet-id}/toys/{toy.id}"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("pet-id", "path"), ("toy.id", "path")]


def test_paths_differing_only_in_placeholder_names_each_get_a_page_served_and_checked(tmp_path: Path) -> None:
    """OpenAPI calls `/files/{fileId}` and `/files/{fileName}` identical, yet real specs (Google's,
    Xero's, HubSpot's) have them. Each operation gets its page; the sandbox tells them apart by
    their parameters' types, and the check names the operation it runs, even when nothing else
    can (`/v2/{metricName}` beside `/v2/{logName}`)."""
    def answering(body: dict[str, str], parameter: str, kind: str = "string") -> dict[str, Any]:
        return {"parameters": [{"name": parameter, "in": "path", "required": True, "schema": {"type": kind}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"example": body}}}}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {
            "/files/{fileId}": {"get": {"operationId": "fileById", **answering({"found": "by id"}, "fileId", "integer")}},
            "/files/{fileName}": {"get": {"operationId": "fileByName", **answering({"found": "by name"}, "fileName")}},
            "/v2/{metricName}": {"delete": {"operationId": "deleteMetric", **answering({"deleted": "metric"}, "metricName")}},
            "/v2/{logName}": {"delete": {"operationId": "deleteLog", **answering({"deleted": "log"}, "logName")}},
        },
    })
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "GET /files/{fileName}: the same route as GET /files/{fileId} (only the placeholder names differ)" in report
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stdout + built.stderr
    pages = [page for page in (tmp_path / "site").rglob("index.html") if 'class="apidocs-signature"' in page.read_text(encoding="utf-8")]
    assert len(pages) == 4
    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout + result.stderr or "4/4" in result.stdout + result.stderr, result.stdout + result.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    assert {"/files/{fileId}", "/files/{fileName}", "/v2/{metricName}", "/v2/{logName}"} <= set(exported["paths"])

    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(None, config=dest / "mkdocs.yml")
    try:
        client = sandbox.client()
        assert client.request("GET", "/files/12", token=None).json() == {"found": "by id"}
        assert client.request("GET", "/files/report.pdf", token=None).json() == {"found": "by name"}
        # Nothing tells these two apart but the operation the check names; unnamed, one answers.
        for template, answer in (("/v2/{logName}", "log"), ("/v2/{metricName}", "metric")):
            named = client.request("DELETE", "/v2/projects-p-logs-l", token=None, headers={"X-Apidocs-Route": template})
            assert named.json() == {"deleted": answer}
        assert client.request("DELETE", "/v2/projects-p-logs-l", token=None).json() in ({"deleted": "log"}, {"deleted": "metric"})
    finally:
        sandbox.stop()


def test_default_and_status_ranges_are_carried_both_ways_and_answered_by_the_sandbox(tmp_path: Path) -> None:
    """Microsoft Graph documents every operation with `2XX`, `4XX` and `5XX`; one spec in five of
    the OpenAPI directory uses `default`. The pages show them, the export keeps them under their
    own keys, and the sandbox answers with them: `2XX`'s body for success, `4XX`'s for a 400."""
    error = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/users": {"get": {
                "operationId": "listUsers",
                "parameters": [{"name": "top", "in": "query", "required": True, "schema": {"type": "integer"}, "example": 5}],
                "responses": {
                    "2XX": {"description": "the users", "content": {"application/json": {"example": {"value": ["ada"]}}}},
                    "4XX": {"description": "refused", "content": {"application/json": {"schema": error, "example": {"error": "bad"}}}},
                    "5XX": {"description": "failed", "content": {"application/json": {"schema": error, "example": {"error": "oops"}}}},
                }}},
            "/ping": {"get": {"operationId": "ping", "responses": {
                "default": {"description": "pong", "content": {"application/json": {"example": {"pong": True}}}}}}},
            "/moved": {"get": {"operationId": "moved", "responses": {"301": {"description": "elsewhere"}}}},
        },
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "GET /moved: no success response is documented: the examples expect 301, as documented" in report
    assert "2XX" not in report and "default" not in report  # nothing of them is left out

    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stdout + built.stderr
    pages = {page.parent.name: page.read_text(encoding="utf-8") for page in (tmp_path / "site").rglob("index.html")}
    assert all(label in pages["list-users"] for label in ("2XX Success", "4XX Client error", "5XX Server error"))
    assert "Any other status" in pages["ping"]

    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    validate(exported)
    assert list(exported["paths"]["/users"]["get"]["responses"]) == ["2XX", "4XX", "5XX"]
    assert list(exported["paths"]["/ping"]["get"]["responses"]) == ["default"]
    assert list(exported["paths"]["/moved"]["get"]["responses"]) == ["301"]

    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr

    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(None, config=dest / "mkdocs.yml")
    try:
        client = sandbox.client()
        ok = client.request("GET", "/users?top=5", token=None)
        assert (ok.status_code, ok.json()) == (200, {"value": ["ada"]})
        refused = client.request("GET", "/users?top=many", token=None)
        assert (refused.status_code, refused.json()) == (400, {"error": "bad"})
        assert "top" in refused.headers["X-Apidocs-Reason"]
        pong = client.request("GET", "/ping", token=None)
        assert (pong.status_code, pong.json()) == (200, {"pong": True})
        assert client.request("GET", "/moved", token=None, allow_redirects=False).status_code == 301
    finally:
        sandbox.stop()


def test_cookie_parameters_are_documented_and_exported_but_not_sent(tmp_path: Path) -> None:
    """A Cookie header in a page reads as a leaked session (lint E301), so the snippets do not
    send cookie parameters; the page lists them and the export keeps them."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/cart": {"get": {
            "operationId": "getCart",
            "parameters": [{"name": "cart_id", "in": "cookie", "required": True, "schema": {"type": "string"},
                            "description": "The cart the browser holds"}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"items": []}}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "GET /cart: cookie parameter `cart_id` is documented; the snippets do not send it" in \
        (dest / "import-report.txt").read_text(encoding="utf-8")
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site")).returncode == 0
    page = (tmp_path / "site" / "endpoints" / "get-cart" / "index.html").read_text(encoding="utf-8")
    assert "Cookies" in page and "cart_id" in page and "The cart the browser holds" in page
    assert "Cookie:" not in page
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    validate(exported)
    [cookie] = [p for p in exported["paths"]["/cart"]["get"]["parameters"] if p["in"] == "cookie"]
    assert (cookie["name"], cookie["required"], cookie["description"]) == ("cart_id", True, "The cart the browser holds")
    lint = run("-f", str(dest / "mkdocs.yml"), "lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_ecma_patterns_python_cannot_read_keep_the_export_valid_and_come_back_on_import(tmp_path: Path) -> None:
    """AWS writes `\\p{L}` in hundreds of specs: valid ECMA-262, yet the spec validator checks
    patterns with Python's `re`. The export keeps such a pattern as `x-apidocs-pattern`, and the
    import of the export reads it back as the `pattern` the sandbox enforces."""
    spec = tmp_path / "spec.json"
    name_schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[\\p{L}\\p{Z}]+$"},
                                                                        "code": {"type": "string", "pattern": "^[a-z]+$"}}}
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/tags": {"post": {
            "operationId": "tag",
            "requestBody": {"content": {"application/json": {"schema": name_schema, "example": {"name": "Zoë Ämter", "code": "ab"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    exported_text = run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout
    exported = json.loads(exported_text)
    validate(exported)
    properties = exported["paths"]["/tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert properties["name"] == {"type": "string", "x-apidocs-pattern": "^[\\p{L}\\p{Z}]+$"}
    assert properties["code"]["pattern"] == "^[a-z]+$"  # one Python reads stays as it is

    again = tmp_path / "again"
    (tmp_path / "export.json").write_text(exported_text, encoding="utf-8")
    assert run("import-openapi", str(tmp_path / "export.json"), str(again)).returncode == 0
    page = next(path for path in (again / "docs").rglob("*.md") if "method:" in path.read_text(encoding="utf-8")).read_text(encoding="utf-8")
    assert "pattern: ^[\\p{L}\\p{Z}]+$" in page and "x-apidocs-pattern" not in page
    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(None, config=again / "mkdocs.yml")
    try:
        client = sandbox.client()
        assert client.request("POST", "/tags", json={"name": "Zoë Ämter", "code": "ab"}).status_code == 200
        refused = client.request("POST", "/tags", json={"name": "R2-D2", "code": "ab"})
        assert refused.status_code == 400 and "name" in refused.json()["detail"]
    finally:
        sandbox.stop()


def test_a_path_suffix_names_the_operation_and_is_sent_as_query(tmp_path: Path) -> None:
    """Converted AWS specs key operations by `/#Action=Describe`, others by `/search?q={q}`: the
    suffix is no part of the path a client sends. The snippets send `/?Action=Describe`, the
    sandbox picks the operation by its query, and the export keeps the keys."""
    def answering(body: dict[str, str], **extra: Any) -> dict[str, Any]:
        return {**extra, "responses": {"200": {"description": "ok", "content": {"application/json": {"example": body}}}}}
    action = {"name": "Action", "in": "query", "required": True, "schema": {"type": "string", "enum": ["ListThings", "DescribeThing"]}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {
            # AWS's query protocol declares `Action` in the query, as one value of an enum
            "/#Action=ListThings": {"get": {"operationId": "list", **answering({"did": "list"}, parameters=[action])}},
            "/#Action=DescribeThing": {"get": {"operationId": "describe", **answering({"did": "describe"}, parameters=[
                {"name": "Id", "in": "query", "required": True, "schema": {"type": "string"}, "example": "t-1"}, action])}},
            # declared `in: path`, as converters write it: its value still travels in the query
            "/search?q={q}": {"get": {"operationId": "search", **answering(
                {"did": "search"}, parameters=[{"name": "q", "in": "path", "required": True, "schema": {"type": "string"}, "example": "cats"}])}},
            "/{Bucket}": {"post": {"operationId": "put", **answering({"did": "put"}, parameters=[
                {"name": "Bucket", "in": "path", "required": True, "schema": {"type": "string"}, "example": "b"}])}},
            "/{Bucket}?uploads": {"post": {"operationId": "upload", **answering({"did": "upload"}, parameters=[
                {"name": "Bucket", "in": "path", "required": True, "schema": {"type": "string"}, "example": "b"}])}},
            "/items/{item#id}": {"get": {"operationId": "item", **answering({"did": "item"}, parameters=[
                {"name": "item#id", "in": "path", "required": True, "schema": {"type": "integer"}, "example": 42}])}},
            # AWS's JSON protocol: the suffix fixes a header the spec declares
            **{f"/#X-Amz-Target=Svc.{verb}": {"post": {"operationId": f"svc{verb}", **answering({"did": verb}, parameters=[
                {"name": "X-Amz-Target", "in": "header", "required": True, "schema": {"type": "string", "enum": [f"Svc.{verb}"]}}])}}
               for verb in ("Get", "Put")},
            # Azure's `#overload=`: a name only, nothing a client sends
            "/detect": {"post": {"operationId": "detect", **answering({"did": "detect"})}},
            "/detect#overload=stream": {"post": {"operationId": "detectStream", **answering({"did": "detect stream"})}},
            "/日本/{a}": {"get": {"operationId": "japanA", **answering({"did": "a"})}},
            "/日本/{b}": {"get": {"operationId": "japanB", **answering({"did": "b"})}},
        },
    })
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stdout + built.stderr
    exported = json.loads((tmp_path / "site" / "openapi.json").read_text(encoding="utf-8"))
    validate(exported)
    assert set(exported["paths"]) == {"/#Action=ListThings", "/#Action=DescribeThing", "/search?q={q}", "/{Bucket}",
                                      "/{Bucket}?uploads", "/items/{item_id}", "/日本/{a}", "/日本/{b}", "/#X-Amz-Target=Svc.Get",
                                      "/#X-Amz-Target=Svc.Put", "/detect", "/detect#overload=stream"}
    put = exported["paths"]["/#X-Amz-Target=Svc.Put"]["post"]
    assert [(p["in"], p["name"], p.get("example")) for p in put["parameters"]] == [("header", "X-Amz-Target", "Svc.Put")]
    assert "overload" not in json.dumps(exported["paths"]["/detect#overload=stream"]["post"].get("parameters", []))
    # the suffix's placeholder is the spec's one path parameter again, not a query parameter as well
    search = exported["paths"]["/search?q={q}"]["get"]
    assert [(p["in"], p["name"], p.get("example")) for p in search["parameters"]] == [("path", "q", "cats")]
    curl = {key: operation["x-codeSamples"][0]["source"].splitlines()[0]
            for key, item in exported["paths"].items() for operation in item.values()}
    assert curl["/#Action=DescribeThing"] == "curl -i 'https://api.example.com/?Id=t-1&Action=DescribeThing'"
    assert curl["/search?q={q}"] == "curl -i 'https://api.example.com/search?q=cats'"
    assert curl["/{Bucket}?uploads"] == "curl -i -X POST 'https://api.example.com/b?uploads='"
    assert curl["/items/{item_id}"] == "curl -i 'https://api.example.com/items/42'"
    assert curl["/detect#overload=stream"] == "curl -i -X POST 'https://api.example.com/detect'"
    assert "-H 'X-Amz-Target: Svc.Put'" in put["x-codeSamples"][0]["source"]
    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr
    lint = run("-f", str(dest / "mkdocs.yml"), "lint")
    assert "Action" not in lint.stdout and "uploads" not in lint.stdout, lint.stdout  # meant to share their route: no warning

    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(None, config=dest / "mkdocs.yml")
    try:
        client = sandbox.client()
        assert client.request("GET", "/?Action=DescribeThing&Id=t-1", token=None).json() == {"did": "describe"}
        assert client.request("GET", "/?Action=ListThings", token=None).json() == {"did": "list"}
        assert client.request("GET", "/search?q=dogs", token=None).json() == {"did": "search"}
        assert client.request("POST", "/b?uploads", token=None).json() == {"did": "upload"}
        assert client.request("POST", "/b", token=None).json() == {"did": "put"}
        assert client.request("POST", "/", token=None, headers={"X-Amz-Target": "Svc.Put"}).json() == {"did": "Put"}
        assert client.request("POST", "/", token=None, headers={"X-Amz-Target": "Svc.Get"}).json() == {"did": "Get"}
        assert client.request("POST", "/detect", token=None).json() == {"did": "detect"}
    finally:
        sandbox.stop()


def test_a_body_documented_on_get_is_checked_when_sent_and_not_required_of_a_browser(tmp_path: Path) -> None:
    """Some APIs take a body on GET (contribly, Elasticsearch-style search). The snippets send it
    and the sandbox checks it; Try it cannot (a browser sends no body with GET), so its absence
    is no error."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/search": {"get": {
            "operationId": "search",
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}}, "example": {"q": "cats"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"hits": 1}}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr
    from sandbox_helpers import start_sandbox

    sandbox = start_sandbox(None, config=dest / "mkdocs.yml")
    try:
        client = sandbox.client()
        assert client.request("GET", "/search", token=None, json={"q": "dogs"}).json() == {"hits": 1}
        assert client.request("GET", "/search", token=None).json() == {"hits": 1}
        refused = client.request("GET", "/search", token=None, json={"q": 5})
        assert refused.status_code == 400 and "q" in refused.json()["detail"]
    finally:
        sandbox.stop()


def test_operations_documenting_no_final_response_export_just_what_they_document(tmp_path: Path) -> None:
    """OpenAPI 3.1 lets an operation document no response, and a WebSocket upgrade documents
    only `101`. The sandbox answers both with 200 (it switches no protocol), but the export
    documents what the spec does, not that stand-in: no responses, and `101` alone."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/things": {"get": {"operationId": "listThings", "summary": "List things"}},
            "/socket": {"get": {"operationId": "socket", "responses": {"101": {"description": "Switching Protocols"}}}},
        },
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "responses: []" in (dest / "docs" / "endpoints" / "list-things.md").read_text(encoding="utf-8")
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    validate(exported)
    assert "responses" not in exported["paths"]["/things"]["get"]
    assert list(exported["paths"]["/socket"]["get"]["responses"]) == ["101"]
    assert operations(exported) == operations(json.loads(spec.read_text(encoding="utf-8")))
    result = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_definition_without_responses_documents_the_sandboxs_answer(tmp_path: Path) -> None:
    """A writer who lists no responses still gets the answer the examples expect documented (the
    right_code seeds' style); one who lists them gets exactly those."""
    project = tmp_path / "p"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - apidocs\n", encoding="utf-8")
    front = "title: /things/\nname: {name}\nposition: {position}\nmethod: {method}\n"
    (project / "docs" / "plain.md").write_text("---\n" + front.format(name="Plain", position=1, method="get") + "---\n", encoding="utf-8")
    (project / "docs" / "listed.md").write_text(
        "---\n" + front.format(name="Listed", position=2, method="delete")
        + "responses:\n- status: 404\n  body: {error: not found}\n---\n", encoding="utf-8")
    exported = json.loads(run("-f", str(project / "mkdocs.yml"), "export-openapi").stdout)
    validate(exported)
    assert list(exported["paths"]["/things/"]["get"]["responses"]) == ["200"]
    assert list(exported["paths"]["/things/"]["delete"]["responses"]) == ["404"]


# Every format JSON Schema 2020-12 defines (section 7.3), and OpenAPI's own.
FORMATS = ["date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
           "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer", "relative-json-pointer",
           "regex", "byte", "binary", "password", "int32", "int64"]


@pytest.mark.parametrize("kind", FORMATS)
def test_a_made_up_string_is_valid_for_its_format(kind: str) -> None:
    # Judged by the validator Schemathesis uses: a made-up "string" for a `duration` failed it.
    schema = {"type": "string", "format": kind}
    made_up = example_of(schema)
    assert jsonschema_rs.Draft202012Validator(schema, validate_formats=True).is_valid(made_up), made_up


@settings(max_examples=500, deadline=None)
@given(low=st.none() | st.integers(-50, 50), width=st.integers(12, 200), has_high=st.booleans(),
       step=st.none() | st.sampled_from([0.01, 0.25, 0.3, 0.5, 1, 2, 5]), low_open=st.booleans(), high_open=st.booleans(),
       form=st.sampled_from(["3.0", "3.1"]), integer=st.booleans())
def test_a_made_up_number_keeps_to_its_bounds_and_step(low: int | None, width: int, has_high: bool, step: float | None,
                                                       low_open: bool, high_open: bool, form: str, integer: bool) -> None:
    # OpenAPI 3.0 writes an open bound as `minimum` with `exclusiveMinimum: true` (JSON Schema draft 4);
    # 3.1 as `exclusiveMinimum: <number>`. A made-up 1 ignored the first, and a step below the minimum.
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    high = (low if low is not None else 0) + width if has_high else None
    for bound, value, is_open, name in ((low, low, low_open, "Minimum"), (high, high, high_open, "Maximum")):
        if bound is None:
            continue
        if form == "3.0":
            schema[name.lower()] = value
            if is_open:
                schema[f"exclusive{name}"] = True
        else:
            schema[f"exclusive{name}" if is_open else name.lower()] = value
    if step is not None:
        schema["multipleOf"] = step
    made_up = example_of(schema)
    validator = jsonschema.Draft4Validator if form == "3.0" else jsonschema.Draft202012Validator
    assert validator(schema).is_valid(made_up), made_up


@pytest.mark.parametrize("schema", [
    {"type": "array", "uniqueItems": True, "minItems": 2, "items": {"type": "string"}},
    {"type": "array", "uniqueItems": True, "minItems": 4, "items": {"type": "integer", "minimum": 0, "maximum": 3}},
    {"type": "array", "uniqueItems": True, "minItems": 2, "items": {"enum": ["a", "b", "c"]}},
    {"type": "array", "minItems": 5, "items": {"type": "boolean"}},
    {"type": "array", "minItems": 60, "items": {"type": "integer"}},
    {"type": "array", "uniqueItems": True, "minItems": 3, "items": {"type": "string", "format": "date"}},
    {"type": "array", "uniqueItems": True, "minItems": 3, "items": {"type": "string", "maxLength": 1}},
    {"type": "array", "uniqueItems": True, "minItems": 3, "items": {"type": "object", "required": ["id"],
                                                                    "properties": {"id": {"type": "string", "format": "uuid"}}}},
    {"type": "integer", "maximum": 7.5, "multipleOf": 0.07},  # validators: 7 / 0.07 is 100.00000000000001
    {"type": "integer", "maximum": -32.01, "multipleOf": 1.1},
    {"type": "number", "minimum": 1e308},  # 10**308 is below the float 1e308
])
def test_a_made_up_list_or_number_keeps_to_its_schema(schema: dict[str, Any]) -> None:
    made_up = example_of(schema)
    assert jsonschema_rs.Draft202012Validator(schema, validate_formats=True).is_valid(made_up), made_up


def imported_and_exported(tmp_path: Path, paths: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """A one-file OpenAPI 3.0 spec of `paths`, imported; and the paths of the document exported from its pages."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    exported = run("-f", str(dest / "mkdocs.yml"), "export-openapi")
    assert exported.returncode == 0, exported.stderr
    return dest, json.loads(exported.stdout)["paths"]


def test_an_operations_whole_description_reaches_the_export(tmp_path: Path) -> None:
    long = ("Paragraph one, " + "long enough to be cut short in the front matter's one line. " * 4).strip()
    _, paths = imported_and_exported(tmp_path, {
        "/a": {"get": {"operationId": "noSummary", "description": "Said without a summary.", "responses": {"200": {"description": "ok"}}}},
        "/b": {"get": {"operationId": "long", "summary": "Long one", "description": f"{long}\n\nParagraph two.",
                       "responses": {"200": {"description": "ok"}}}}})
    assert paths["/a"]["get"]["description"] == "Said without a summary."
    assert paths["/b"]["get"]["description"] == f"{long}\n\nParagraph two."


def test_operation_ids_are_kept_through_the_pages(tmp_path: Path) -> None:
    # SDK generators name methods after them: the export made its own from the page names.
    dest, paths = imported_and_exported(tmp_path, {
        "/": {"get": {"operationId": "meta/root", "summary": "GitHub API Root", "responses": {"200": {"description": "ok"}}}},
        "/a": {"get": {"operationId": "noSummary", "deprecated": True, "description": "Old.", "responses": {"200": {"description": "ok"}}}},
        "/b": {"get": {"summary": "No id", "responses": {"200": {"description": "ok"}}}},
        "/c": {"get": {"operationId": "noId", "responses": {"200": {"description": "ok"}}}}})
    # /b's own id would be noId, which /c gives: a given id is never taken by a made one.
    assert [paths[path]["get"]["operationId"] for path in ("/", "/a", "/b", "/c")] == ["meta/root", "noSummary", "noId2", "noId"]
    assert paths["/a"]["get"]["description"] == "Old."  # the page's deprecation note is not part of it
    page = next((dest / "docs").rglob("no-summary.md"))
    page.write_text(page.read_text(encoding="utf-8").replace("operation_id: noSummary", "operation_id: no summary"), encoding="utf-8")
    linted = run("-f", str(dest / "mkdocs.yml"), "lint")
    assert linted.returncode == 1 and re.search(r"no-summary\.md:\d+: E\d+ .*operation_id", linted.stdout + linted.stderr), linted.stdout
    page.write_text(page.read_text(encoding="utf-8").replace("operation_id: no summary", 'operation_id: "noSummary\\n"'), encoding="utf-8")
    linted = run("-f", str(dest / "mkdocs.yml"), "lint")  # a line break at the end is not text without spaces either
    assert linted.returncode == 1 and re.search(r"no-summary\.md:\d+: E\d+ .*operation_id", linted.stdout + linted.stderr), linted.stdout



@pytest.mark.parametrize("schema", [{"type": "number", "minimum": 1e300, "multipleOf": 1e-10},
                                    {"type": "number", "minimum": 1, "multipleOf": 1e-310}])
def test_a_number_no_validator_can_accept_is_made_up_without_an_error(schema: dict[str, Any]) -> None:
    assert isinstance(example_of(schema), (int, float))  # it raised, and the import left the operation out


def test_the_exported_description_keeps_code_and_the_writers_notes(tmp_path: Path) -> None:
    described = ('Install it first:\n\n```sh\n# fetch the tool\ncurl https://example.com/tool\n```\n\n'
                 '!!! warning "Careful"\n    This is important.\n\nThen call this endpoint.')
    _, paths = imported_and_exported(tmp_path, {"/a": {"get": {"operationId": "getA", "summary": "A", "deprecated": True,
                                                                "description": described, "responses": {"200": {"description": "ok"}}}}})
    exported = paths["/a"]["get"]["description"]
    assert "# fetch the tool" in exported and "Then call this endpoint." in exported  # a # in code is not a heading
    assert '!!! warning "Careful"' in exported and "Deprecated" not in exported


def test_defaults_their_schema_refuses_are_left_out_of_the_export_which_stays_valid(tmp_path: Path) -> None:
    # Telnyx's spec has `default: null` on fields that are not nullable: copied over, the
    # exported document failed the spec validator (19 errors).
    fields = {"limit": {"type": "integer", "default": None}, "mode": {"type": "string", "enum": ["a", "b"], "default": "c"},
              "size": {"type": "integer", "default": 10}, "note": {"type": "string", "nullable": True, "default": None}}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": fields}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"limit": fields["limit"]}}}}}}}}}}), encoding="utf-8")
    dest, exported = tmp_path / "out", tmp_path / "export.json"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert run("-f", str(dest / "mkdocs.yml"), "export-openapi", "-o", str(exported)).returncode == 0
    document = load(exported)
    validate(document)
    operation = document["paths"]["/a"]["post"]
    sent = operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "default" not in sent["limit"] and "default" not in sent["mode"]
    assert sent["size"]["default"] == 10 and "default" in sent["note"] and sent["note"]["default"] is None
    assert "default" not in operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["limit"]


def test_spec_prose_cannot_add_parameters_or_drop_its_own_lines(tmp_path: Path) -> None:
    # A description is CommonMark: under a heading that names parameters, `term` + `: (type)`
    # lines were read as a parameter the spec does not have (and `check` then failed on it), and
    # a `{: title="Curl" }` line took the code block above it away as a pasted snippet.
    description = ("Intro.\n\n### Query Parameters\n\nevil\n: (string) ***Required*** not a parameter\n\n"
                   "```\ncurl https://example.com/kept\n```\n{: title=\"Curl\" }\n\n  {: .attributes }\n\nThe end.")
    dest, paths = imported_and_exported(tmp_path, {"/a": {"get": {
        "description": description, "parameters": [{"name": "real", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}}}})
    assert [parameter["name"] for parameter in paths["/a"]["get"]["parameters"]] == ["real"]
    (tmp_path / "lead").mkdir()
    _, paths = imported_and_exported(tmp_path / "lead", {"/b": {"get": {
        "description": "key\n: its value\n{: not attributes }", "responses": {"200": {"description": "ok"}}}}})
    assert paths["/b"]["get"]["description"] == "key\n: its value\n{: not attributes }"  # the spec's words, not entities
    site = tmp_path / "site"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    page = html.unescape(re.sub(r"<[^>]+>", "", (site / "endpoints" / "get-a" / "index.html").read_text(encoding="utf-8")))
    assert ": (string) Required not a parameter" in page
    assert "curl https://example.com/kept" in page and '{: title="Curl" }' in page and "{: .attributes }" in page


def test_the_specs_version_reaches_the_export(tmp_path: Path) -> None:
    # The export said 1.0.0 for every imported API.
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "2024-06-20.beta"},
                                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    exported = run("-f", str(dest / "mkdocs.yml"), "export-openapi")
    assert json.loads(exported.stdout)["info"]["version"] == "2024-06-20.beta"


PATTERNS = ["^[A-Z]{2}$", "^(GET|POST)$", "^#[0-9a-fA-F]{6}$", r"^\+[1-9]\d{1,14}$", r"^v[0-9]+\.[0-9]+$", r"^[^,;]+$",
            r"^(\w+)-\1$", r"^[a-z]{3}_[0-9]{4}(-[A-Z])?$", r"(?i)^id-[a-f0-9]{8}$"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_made_up_string_matches_its_pattern(pattern: str) -> None:
    # Tried against a fixed list of texts, 8 of 12 common patterns got none: the example did not
    # fit its schema, and the import then left the whole request schema out.
    value = example_of({"type": "string", "pattern": pattern})
    assert isinstance(value, str) and re.search(pattern, value), value


def test_a_body_whose_fields_have_patterns_keeps_its_schema(tmp_path: Path) -> None:
    properties = {f"f{index}": {"type": "string", "pattern": pattern} for index, pattern in enumerate(PATTERNS)}
    dest, paths = imported_and_exported(tmp_path, {"/a": {"post": {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": list(properties), "properties": properties}}}},
        "responses": {"200": {"description": "ok"}}}}})
    assert "does not fit" not in (dest / "import-report.txt").read_text(encoding="utf-8")
    schema = paths["/a"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["f0"] == {"type": "string", "pattern": "^[A-Z]{2}$"}


def test_an_optional_body_stays_optional_and_a_json_media_type_without_example_is_kept(tmp_path: Path) -> None:
    # The export called every body the example sends required, and an optional
    # application/vnd.api+json body without an example application/json.
    _, paths = imported_and_exported(tmp_path, {
        "/shown": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "string"}, "example": "hello"}}},
                            "responses": {"200": {"description": "ok"}}}},
        "/vendor": {"post": {"requestBody": {"content": {"application/vnd.api+json": {"schema": {
            "type": "object", "properties": {"data": {"type": "object"}}}}}}, "responses": {"200": {"description": "ok"}}}},
        "/needed": {"post": {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "integer"}, "example": 3}}},
                             "responses": {"200": {"description": "ok"}}}}})
    assert paths["/shown"]["post"]["requestBody"]["required"] is False
    assert list(paths["/vendor"]["post"]["requestBody"]["content"]) == ["application/vnd.api+json"]
    assert paths["/needed"]["post"]["requestBody"]["required"] is True


def test_an_optional_body_whose_members_give_examples_is_sent_with_them(tmp_path: Path) -> None:
    # Examples given member by member are the spec's example of the body (Swagger UI and Redoc
    # show it so): the snippets sent no body at all, and the members' examples were lost.
    properties = {"name": {"type": "string", "example": "alice"}, "size": {"type": "integer", "example": 3}}
    _, paths = imported_and_exported(tmp_path, {
        "/members": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": properties}}}},
                              "responses": {"200": {"description": "ok"}}}},
        "/composed": {"post": {"requestBody": {"content": {"application/json": {"schema": {"allOf": [
            {"type": "object", "properties": {"kind": {"type": "string", "examples": ["box"]}}}]}}}},
            "responses": {"200": {"description": "ok"}}}},
        "/bare": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"name": {"type": "string"}}}}}}, "responses": {"200": {"description": "ok"}}}}})
    members = paths["/members"]["post"]["requestBody"]
    assert members["content"]["application/json"]["example"] == {"name": "alice", "size": 3}
    assert members["required"] is False
    assert paths["/composed"]["post"]["requestBody"]["content"]["application/json"]["example"] == {"kind": "box"}
    assert "example" not in paths["/bare"]["post"]["requestBody"]["content"]["application/json"]


@pytest.mark.parametrize("schema", [
    {"type": "object", "minProperties": 1},
    {"type": "object", "minProperties": 2, "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}},
    {"type": "object", "minProperties": 2, "required": ["a"], "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}},
    {"type": "array", "contains": {"type": "integer", "minimum": 5}},
    {"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 5}, "minItems": 2},
])
def test_made_up_objects_and_lists_meet_their_counts(schema: dict[str, Any]) -> None:
    # `{}` for minProperties 1 and `[1]` for a `contains`: the example did not fit, and the
    # import then left the schema out.
    jsonschema.Draft202012Validator(schema).validate(example_of(schema))


def test_a_pattern_cannot_hold_the_import_nor_make_text_that_is_not_text(tmp_path: Path) -> None:
    # Repeats of nothing, nested, ran a thousand times a thousand times: an import that never ended.
    for pattern in (r"(?:(?:(?:){1000}){1000}){10}", r"^((((a?){1000}){1000}){1000})$", r"(?:x{1000}){1000}"):
        started = time.monotonic()
        example_of({"type": "string", "pattern": pattern})
        assert time.monotonic() - started < 2, pattern
    # A lone surrogate spelled by a pattern is not UTF-8: it left the whole operation out.
    _, paths = imported_and_exported(tmp_path, {"/a": {"get": {
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^\\ud800$"}}],
        "responses": {"200": {"description": "ok"}}}}})
    assert "/a" in paths


def test_parameter_names_markdown_would_read_otherwise_keep_their_first_character(tmp_path: Path) -> None:
    # Apache Sling's `:operation`: the page wrote `\:operation` so that Markdown shows it, and
    # the name was read with the backslash (the page, Try it and the export showed `\:operation`
    # beside the example's `:operation`, and the sandbox required the one nobody sends).
    names = [":operation", "#tag", "-x", "\\path"]
    dest, paths = imported_and_exported(tmp_path, {"/nodes": {"post": {
        "operationId": "post",
        "parameters": [{"name": name, "in": "query", "required": True, "schema": {"type": "string"}} for name in names],
        "responses": {"200": {"description": "ok"}}}}})
    assert [p["name"] for p in paths["/nodes"]["post"]["parameters"]] == names
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_query_the_path_key_fixes_is_sent_and_not_listed_as_a_parameter_the_spec_lacks(tmp_path: Path) -> None:
    # Open Build Service keys `/request?view=collection` without declaring `view`: the export
    # listed a query parameter `view` that the spec's operation does not have.
    dest, paths = imported_and_exported(tmp_path, {
        "/request": {"get": {"operationId": "all", "responses": {"200": {"description": "ok"}}}},
        "/request?view=collection": {"get": {"operationId": "collection", "parameters": [
            {"name": "user", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}},
        "/{Bucket}?uploads": {"post": {"operationId": "upload", "parameters": [
            {"name": "Bucket", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "uploads", "in": "query", "required": True, "schema": {"type": "boolean"}}],
            "responses": {"200": {"description": "ok"}}}}})
    collection = paths["/request?view=collection"]["get"]
    assert [(p["in"], p["name"]) for p in collection["parameters"]] == [("query", "user")]
    assert "/request?view=collection'" in collection["x-codeSamples"][0]["source"]
    upload = paths["/{Bucket}?uploads"]["post"]
    assert sorted((p["in"], p["name"]) for p in upload["parameters"]) == [("path", "Bucket"), ("query", "uploads")]
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_how_a_parameter_travels_is_said_with_the_right_article(tmp_path: Path) -> None:
    # The pages read "A array of string, sent as `a,b`" and "A object (style deepObject)".
    dest, paths = imported_and_exported(tmp_path, {"/items": {"get": {"operationId": "items", "parameters": [
        {"name": "tags", "in": "query", "explode": False, "schema": {"type": "array", "items": {"type": "string"}}, "example": ["a", "b"]},
        {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}, "example": {"color": "red"}},
        {"name": "X-Ids", "in": "header", "schema": {"type": "array", "items": {"type": "integer"}}, "example": [3, 4]}],
        "responses": {"200": {"description": "ok"}}}}})
    said = {p["name"]: p["description"] for p in paths["/items"]["get"]["parameters"]}
    assert said == {"tags": "An array of string, sent as `a,b` (style form).",
                    "filter": "An object, sent as `filter[color]=red` (style deepObject).",
                    "X-Ids": "An array of integer, sent as `3,4` (style simple)."}
    assert "An array of string, sent as `a,b`" in (dest / "docs" / "endpoints" / "items.md").read_text(encoding="utf-8")


def test_a_request_body_without_media_types_is_reported(tmp_path: Path) -> None:
    # Just Eat's `requestBody: {content: {}}`: the export had no body, and the report said nothing.
    dest, _ = imported_and_exported(tmp_path, {"/channels/{channel}": {"post": {
        "operationId": "subscribe", "parameters": [{"name": "channel", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"content": {}, "required": False}, "responses": {"204": {"description": "done"}}}}})
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "POST /channels/{channel}: request body describes no media type under `content` and is not carried over" in report


def test_a_server_without_a_scheme_is_taken_as_https(tmp_path: Path) -> None:
    # Specs converted from Swagger 2.0 without `schemes` give `//app.files.com/api/rest/v1`: the
    # server was left out, and every snippet called the local sandbox without the `/api/rest/v1`.
    spec = tmp_path / "servers.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "//app.example.com/api/rest/v1"}],
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}}}}},
    }, sort_keys=False), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    config = yaml.load((dest / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)
    options = next(plugin["apidocs"] for plugin in config["plugins"] if isinstance(plugin, dict) and "apidocs" in plugin)
    assert options["servers"] == [{"url": "https://app.example.com/api/rest/v1"}]
    assert "server `//app.example.com/api/rest/v1` names no scheme; https is assumed" in (
        dest / "import-report.txt").read_text(encoding="utf-8")


def test_a_form_body_whose_example_is_not_an_object_is_reported_as_sent_as_json(tmp_path: Path) -> None:
    # PeerTube's studio task is a form whose schema is a list: it was sent and exported as JSON, unsaid.
    dest, paths = imported_and_exported(tmp_path, {"/tasks": {"post": {"operationId": "tasks", "requestBody": {
        "required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}}},
        "responses": {"204": {"description": "done"}}}}})
    assert list(paths["/tasks"]["post"]["requestBody"]["content"]) == ["application/json"]  # as the snippets send it
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert ("POST /tasks: request body is application/x-www-form-urlencoded, but its example is not an object of fields;"
            " documented and sent as JSON") in report


def test_request_media_types_keep_their_parameters_in_the_export(tmp_path: Path) -> None:
    # Zuora's 158 bodies are `application/json; charset=utf-8`, Open Build Service's
    # `application/xml; charset=utf-8`, Azure Batch's `application/json; odata=minimalmetadata`:
    # openapi.json named them all without their parameters, another media type than the spec's.
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    contents: dict[str, dict[str, Any]] = {
        "/json": {"application/json; charset=utf-8": {"schema": schema}, "text/plain; charset=utf-8": {"schema": {"type": "string"}}},
        "/odata": {"application/json; odata=minimalmetadata": {"schema": schema}},
        "/xml": {"application/xml; charset=utf-8": {"schema": schema}},
        "/vendor": {"application/vnd.api+json; charset=utf-8": {"schema": schema}},
    }
    dest, paths = imported_and_exported(tmp_path, {
        **{path: {"post": {"operationId": path[1:], "requestBody": {"required": True, "content": content},
                           "responses": {"200": {"description": "ok"}}}} for path, content in contents.items()},
        "/optional": {"put": {"operationId": "optional", "requestBody": {"content": contents["/xml"]},
                              "responses": {"200": {"description": "ok"}}}}})
    for path, content in {**contents, "/optional": contents["/xml"]}.items():
        (operation,) = paths[path].values()
        assert list(operation["requestBody"]["content"]) == list(content), path
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_json_example_written_as_its_text_is_the_json_it_holds(tmp_path: Path) -> None:
    # Xero writes `example: '{ "Code": "123456" }'` for JSON bodies: every snippet sent the JSON
    # string `"{ \"Code\": ... }"`, and answers were documented as text/plain without their schema.
    account = {"type": "object", "properties": {"Code": {"type": "string"}, "Name": {"type": "string"}}}
    dest, paths = imported_and_exported(tmp_path, {
        "/Accounts": {"put": {"operationId": "createAccount",
                              "requestBody": {"required": True, "content": {"application/json": {
                                  "schema": account, "example": '{ "Code":"123456", "Name":"Foobar" }'}}},
                              "responses": {"200": {"description": "ok", "content": {"application/json": {
                                  "schema": {"type": "object", "properties": {"Accounts": {"type": "array", "items": account}}},
                                  "example": '{ "Accounts": [{ "Code": "091", "Name": "Savings" }] }'}}}}}},
        "/notes": {"post": {"operationId": "note",
                            "requestBody": {"required": True, "content": {"application/json": {
                                "schema": {"type": "string"}, "example": '{"kept": "as text"}'}}},
                            "responses": {"204": {"description": "done"}}}}})
    create = paths["/Accounts"]["put"]
    assert create["requestBody"]["content"]["application/json"]["example"] == {"Code": "123456", "Name": "Foobar"}
    assert create["responses"]["200"]["content"]["application/json"]["example"] == {"Accounts": [{"Code": "091", "Name": "Savings"}]}
    assert create["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["Accounts"]["type"] == "array"
    assert paths["/notes"]["post"]["requestBody"]["content"]["application/json"]["example"] == '{"kept": "as text"}'
    assert "does not fit" not in (dest / "import-report.txt").read_text(encoding="utf-8")
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_deep_object_query_parameter_is_sent_as_its_members(tmp_path: Path) -> None:
    # PandaScore's 120 `search`, `filter` and `range` parameters (style deepObject): the snippets
    # sent `search={"name":"Contenders"}`, which the API does not read, for `search[name]=Contenders`.
    dest, paths = imported_and_exported(tmp_path, {"/leagues": {"get": {"operationId": "leagues", "parameters": [
        {"name": "search", "in": "query", "required": True, "style": "deepObject", "explode": True,
         "schema": {"type": "object", "properties": {"name": {"type": "string"}}}, "example": {"name": "Contenders"}},
        {"name": "range", "in": "query", "style": "deepObject", "explode": True,
         "schema": {"type": "object"}, "example": {"id": [1, 10], "at": {"from": "2024"}}}],
        "responses": {"200": {"description": "ok"}}}}})
    leagues = paths["/leagues"]["get"]
    assert [(p["name"], p["in"], p.get("style")) for p in leagues["parameters"]] == [
        ("search", "query", "deepObject"), ("range", "query", "deepObject")]
    assert leagues["parameters"][0]["example"] == {"name": "Contenders"}
    assert ("leagues?search%5Bname%5D=Contenders&range%5Bat%5D%5Bfrom%5D=2024&range%5Bid%5D=1%2C10'"
            in leagues["x-codeSamples"][0]["source"])
    result = run("-f", str(dest / "mkdocs.yml"), "check", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_media_type_range_is_not_the_documented_media_type(tmp_path: Path) -> None:
    # Jellyfin lists `application/*+json` first, beside `application/json` and `text/json`: the
    # definition took the range as its media type, which no Content-Type names (E015), and the
    # imported project did not build.
    schema = {"type": ["string", "null"]}
    dest, paths = imported_and_exported(tmp_path, {
        "/pin": {"post": {"operationId": "pin", "requestBody": {"content": {
            "application/*+json": {"schema": schema}, "application/json": {"schema": schema}, "text/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok"}}}},
        "/only": {"post": {"operationId": "only", "requestBody": {"content": {"application/*+json": {"schema": schema}}},
                           "responses": {"200": {"description": "ok"}}}}})
    # Every media type and range the spec names, the body's own (a type a Content-Type names) first.
    assert list(paths["/pin"]["post"]["requestBody"]["content"]) == ["application/json", "application/*+json", "text/json"]
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "POST /pin" not in report
    assert "POST /only: request body is application/*+json; documented as JSON" in report  # a range no one type stands in for
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stdout + built.stderr


def test_a_long_front_matter_is_written_as_json_and_reads_as_its_yaml_would(tmp_path: Path) -> None:
    # Large schemas made PyYAML a third of an import and as much of the build that reads it back.
    properties = {f"field_{index:03d}": {"type": "string", "description": f"Field number {index} of the thing", "example": f"v{index}"}
                  for index in range(150)}
    thing = {"type": "object", "required": ["field_000"], "properties": properties}
    document = {"openapi": "3.1.0", "info": {"title": "Things", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
                "paths": {"/things": {
                    "post": {"operationId": "createThing", "requestBody": {"required": True, "content": {"application/json": {"schema": thing}}},
                             "responses": {"201": {"description": "Made", "content": {"application/json": {"schema": thing}}}}},
                    "get": {"operationId": "listThings", "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                            "responses": {"200": {"description": "Listed"}}}}}}
    dest, site = imported_and_built(tmp_path, document)
    pages = {page.read_text(encoding="utf-8").split("\n", 2)[1]: page for page in (dest / "docs").rglob("*.md") if page.name != "index.md"}
    assert len(pages) == 2 and "title: /things" in pages  # the short one stays YAML
    long = pages["{"]
    head, body = long.read_text(encoding="utf-8").removeprefix("---\n").split("\n---\n", 1)
    front = json.loads(head)
    assert front["request"]["schema"]["properties"]["field_149"]["type"] == "string"
    exported = run("-f", str(dest / "mkdocs.yml"), "export-openapi")
    assert exported.returncode == 0, exported.stderr
    validate(json.loads(exported.stdout))
    assert operations(json.loads(exported.stdout)) == operations(document)
    # The same front matter as YAML builds the same site.
    long.write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body, encoding="utf-8")
    rebuilt = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site-yaml"))
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert pages_of(tmp_path / "site-yaml") == pages_of(site)


def pages_of(site: Path) -> dict[Path, bytes]:
    return {page.relative_to(site): page.read_bytes() for page in site.rglob("*.html")}


def test_an_operations_own_servers_are_where_its_snippets_go(tmp_path: Path) -> None:
    """OpenAPI's path and operation `servers` (Stripe's file uploads, Box's uploads): the
    definition's `servers`, where its snippets and Try it send; the export gives them back."""
    spec = tmp_path / "servers.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "S", "version": "1"}, "servers": [{"url": "https://api.example.com/v1"}],
        "paths": {"/files": {"servers": [{"url": "https://files.example.com/v1", "description": "Uploads"}],
                             "post": {"operationId": "upload", "requestBody": {"content": {"application/json": {"example": {"a": 1}}}},
                                      "responses": {"200": {"description": "ok"}}},
                             "get": {"operationId": "listFiles", "servers": [{"url": "https://eu.example.com"}, {"url": "/relative"}],
                                     "responses": {"200": {"description": "ok"}}}},
                  "/plain": {"get": {"operationId": "plain", "responses": {"200": {"description": "ok"}}}}}}), encoding="utf-8")
    dest, site = tmp_path / "out", tmp_path / "site"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "operation server `/relative` is a relative URL and is left out" in (dest / "import-report.txt").read_text(encoding="utf-8")
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site))
    assert built.returncode == 0, built.stdout + built.stderr
    for slug, url in (("upload", "https://files.example.com/v1/files"), ("list-files", "https://eu.example.com/files"),
                      ("plain", "https://api.example.com/v1/plain")):
        page = (site / "endpoints" / slug / "index.html").read_text(encoding="utf-8")
        assert page.count(url) >= 4, slug  # each snippet
        data = json.loads(html.unescape(re.search(r"data-apidocs-explorer='([^']*)'", page).group(1)))  # type: ignore[union-attr]
        # Its own servers stand for the site's, in Try it as in OpenAPI.
        assert data["exampleBase"] + "/" + url.rsplit("/", 1)[1] == url and [server["url"] for server in data["servers"]] == [data["exampleBase"]]
    exported = run("-f", str(dest / "mkdocs.yml"), "export-openapi")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    validate(document)
    assert document["servers"] == [{"url": "https://api.example.com/v1"}]
    assert document["paths"]["/files"]["post"]["servers"] == [{"url": "https://files.example.com/v1", "description": "Uploads"}]
    assert document["paths"]["/files"]["get"]["servers"] == [{"url": "https://eu.example.com"}]
    assert "servers" not in document["paths"]["/plain"]["get"]
    checked = run("-f", str(dest / "mkdocs.yml"), "check", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("servers", ["servers: https://x.example.com\n", "servers: [{url: ftp://x.example.com}]\n",
                                     "servers: [{url: 'https://x.example.com/?a=1'}]\n", "servers: [{href: 'https://x.example.com'}]\n",
                                     "servers: [{url: 'https://{region}.example.com'}]\n"])
def test_a_definitions_servers_of_the_wrong_shape_are_an_error_at_their_line(tmp_path: Path, servers: str) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: S\nplugins:\n  - apidocs\n", encoding="utf-8")
    (tmp_path / "docs" / "x.md").write_text(f"---\ntitle: /x\nmethod: get\n{servers}---\nX.\n", encoding="utf-8")
    result = run("-f", str(tmp_path / "mkdocs.yml"), "lint")
    assert "x.md:4: E015" in result.stdout, result.stdout + result.stderr


def test_a_lone_surrogate_in_a_long_definition_is_reported_not_a_crash(tmp_path: Path) -> None:
    # JSON front matter (a long one) met the surrogate only when the file was written, outside
    # the operation's own error handling: the whole import stopped with a traceback.
    properties = {f"field_{index:03d}": {"type": "string", "description": f"Field number {index}"} for index in range(150)}
    spec = tmp_path / "spec.json"
    spec.write_text('{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": {'
                    '"requestBody": {"content": {"application/json": {"schema": ' + json.dumps({"type": "object", "properties": properties})
                    + ', "example": {"field_000": "lone \\ud800 here"}}}}, "responses": {"200": {"description": "ok"}}}},'
                    ' "/b": {"get": {"responses": {"200": {"description": "ok"}}}}}}', encoding="utf-8")
    result = run("import-openapi", str(spec), str(tmp_path / "out"))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "POST /a: left out" in (tmp_path / "out" / "import-report.txt").read_text(encoding="utf-8")
    assert len(list((tmp_path / "out" / "docs").rglob("*.md"))) == 2  # the home page and GET /b


def test_a_query_api_key_the_spec_also_lists_as_a_parameter_stays_documented_and_works(tmp_path: Path) -> None:
    # Many specs list the key among the parameters too: its example went into the query, lint
    # called the token a leak (E302) and the sandbox held the site's token against its pattern.
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "security": [{"key": []}], "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}}},
        "paths": {"/things": {"get": {"parameters": [
            {"name": "api_key", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^[a-z]+$"}, "example": "abc"},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}, "example": 5}],
            "responses": {"200": {"description": "ok"}}}}}})
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    assert "query parameter api_key is the API key" in (dest / "import-report.txt").read_text(encoding="utf-8")
    linted = run("-f", str(dest / "mkdocs.yml"), "lint")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    checked = run("-f", str(dest / "mkdocs.yml"), "check", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    assert operations(exported) == operations(resolved(spec))


def test_the_import_of_an_export_says_what_a_parameter_takes_once(tmp_path: Path) -> None:
    """The export writes a parameter's description as the page shows it, with what its schema and
    style add (`One of: …`, `Default: …`, `Repeatable …`): read back, these were said twice."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/workflows": {"get": {
            "operationId": "listWorkflows",
            "parameters": [
                {"name": "type", "in": "query", "description": "The workflows' type.",
                 "schema": {"type": "string", "enum": ["PRIVATE", "READY2RUN"], "default": "PRIVATE"}},
                {"name": "topic", "in": "query", "required": True, "description": "A topic.",
                 "schema": {"type": "array", "items": {"type": "string"}}, "example": ["a", "b"]}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "p"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    exported_text = run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout
    (tmp_path / "export.json").write_text(exported_text, encoding="utf-8")
    again = tmp_path / "again"
    assert run("import-openapi", str(tmp_path / "export.json"), str(again)).returncode == 0
    again_text = run("-f", str(again / "mkdocs.yml"), "export-openapi").stdout
    described = {parameter["name"]: parameter["description"]
                 for parameter in json.loads(again_text)["paths"]["/workflows"]["get"]["parameters"]}
    assert described == {parameter["name"]: parameter["description"]
                         for parameter in json.loads(exported_text)["paths"]["/workflows"]["get"]["parameters"]}
    assert described["type"].count("One of:") == 1 and described["type"].count("Default:") == 1
    assert described["topic"].count("Repeatable") == 1


def test_an_api_key_header_the_spec_also_lists_as_a_parameter_is_documented_and_exported(tmp_path: Path) -> None:
    # envoice.in lists its `x-auth-key` scheme's header as a parameter of every operation: the
    # import dropped it, so the export had one parameter less than the spec. (Accept, Content-Type
    # and Authorization header parameters are ignored, as OpenAPI says.)
    spec = tmp_path / "spec.json"
    key = {"name": "x-auth-key", "in": "header", "required": True, "schema": {"type": "string"}}
    write_spec(spec, {
        "security": [{"key": []}], "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "x-auth-key"}}},
        "paths": {"/things": {"get": {"parameters": [key, {"name": "Accept", "in": "header", "schema": {"type": "string"}}],
                                      "responses": {"200": {"description": "ok"}}}}}})
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    linted = run("-f", str(dest / "mkdocs.yml"), "lint")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    checked = run("-f", str(dest / "mkdocs.yml"), "check", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    assert [(p["name"], p["in"]) for p in exported["paths"]["/things"]["get"]["parameters"]] == [("x-auth-key", "header")]
    assert exported["components"]["securitySchemes"]


def test_sample_credentials_become_placeholders_so_the_imported_project_passes_lint(tmp_path: Path) -> None:
    """A login's `password: hunter22`, the JWT in its answer, a `client_secret` query example:
    samples in the spec, but lint (E302) cannot tell them from a writer's pasted key, so an
    imported project failed its first lint. They become `YOUR_…` placeholders, said in the
    report, unless the schema refuses the placeholder (a pattern): then the sample stays."""
    login = {"type": "object", "required": ["username", "password", "pin"], "properties": {
        "username": {"type": "string", "example": "alice"}, "password": {"type": "string", "minLength": 8, "example": "hunter22"},
        "pin": {"type": "string", "pattern": "^[0-9]{4}$", "example": "4821"}}}
    spec = tmp_path / "spec.yaml"
    write_spec(spec, {
        "paths": {"/login": {"post": {
            "operationId": "login",
            "parameters": [{"name": "client_secret", "in": "query", "required": True, "schema": {"type": "string"}, "example": "s3cr3tV4lue9"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": login}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {
                "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "token_type": "bearer"}}}}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request example: sample credentials (`password`) replaced by placeholders" in report
    assert "200 response example: sample credentials (`access_token`) replaced by placeholders" in report
    assert "query parameter `client_secret`: its sample credential replaced by a placeholder" in report
    page = next(dest.glob("docs/**/login.md")).read_text(encoding="utf-8")
    front = yaml.safe_load(page.split("---\n")[1])
    assert front["example"]["body"] == {"username": "alice", "password": "YOUR_PASSWORD", "pin": "4821"}
    assert front["example"]["query"] == {"client_secret": "YOUR_CLIENT_SECRET"}
    assert front["responses"][0]["body"]["access_token"] == "YOUR_ACCESS_TOKEN"
    assert "hunter22" not in page and "eyJ" not in page and "s3cr3t" not in page
    for command in (["lint"], ["check"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_sample_credential_its_schema_would_refuse_as_a_placeholder_stays(tmp_path: Path) -> None:
    _, paths = imported_and_exported(tmp_path, {"/keys": {"post": {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "properties": {"api_key": {"type": "string", "pattern": "^sk_[a-z0-9]+$"}}},
        "example": {"api_key": "sk_abc123"}}}}, "responses": {"200": {"description": "ok"}}}}})
    assert paths["/keys"]["post"]["requestBody"]["content"]["application/json"]["example"] == {"api_key": "sk_abc123"}


def test_a_colon_segment_of_an_openapi_path_is_literal_not_a_placeholder(tmp_path: Path) -> None:
    # zeit.co's `/v1/integrations/webhooks/:id` names no parameter: the title's `/:id` read as
    # one, so the export said `/webhooks/{id}` and the check skipped the snippets for want of its value.
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/webhooks/:id": {"delete": {"responses": {"204": {"description": "gone"}}}},
                  "/items/{item}/:sub": {"get": {"parameters": [{"name": "item", "in": "path", "required": True,
                                                                 "schema": {"type": "string"}}],
                                                  "responses": {"200": {"description": "ok"}}}}}})
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    assert operations(exported) == operations(resolved(spec))
    checked = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 passed, 0 failed, 0 skipped" in checked.stdout


def test_placeholders_sharing_a_segment_take_the_values_their_schemas_fit(tmp_path: Path) -> None:
    # `/y/{a}-{b}` with a=`x-y`, b=`2020-01-02`: the sandbox split `/y/x-y-2020-01-02` greedily
    # (b=`02`, no date) and answered 400 to every snippet of the page.
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/y/{a}-{b}": {"get": {"parameters": [
            {"name": "a", "in": "path", "required": True, "schema": {"type": "string"}, "example": "x-y"},
            {"name": "b", "in": "path", "required": True, "schema": {"type": "string", "format": "date"}, "example": "2020-01-02"}],
            "responses": {"200": {"description": "ok"}}}},
            "/f/{name}.{ext}": {"get": {"parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}, "example": "v1.2"},
                {"name": "ext", "in": "path", "required": True, "schema": {"type": "string", "enum": ["tar.gz", "zip"]}, "example": "tar.gz"}],
                "responses": {"200": {"description": "ok"}}}}}})
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    checked = run("-f", str(dest / "mkdocs.yml"), "check", "--lang", "curl", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 passed, 0 failed" in checked.stdout


def imported_yaml(tmp_path: Path, paths: str) -> tuple[Path, str]:
    """A one-file OpenAPI 3.0 spec whose `paths:` are the YAML text `paths`, imported: the
    project and its import report (for what plain data cannot write: `.inf`, odd shapes)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(f'openapi: 3.0.3\ninfo: {{title: t, version: "1"}}\npaths:{paths}', encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    return dest, (dest / "import-report.txt").read_text(encoding="utf-8")


def test_numbers_json_cannot_carry_are_left_out_and_reported(tmp_path: Path) -> None:
    # YAML's `.inf`/`.nan` (JSON's `1e999` reads as infinity too) went into the front matter, which
    # the loader refuses (E013): the imported project neither built nor exported.
    dest, report = imported_yaml(tmp_path, """
  /p:
    get:
      parameters:
        - {name: a, in: query, schema: {type: number, maximum: .inf, enum: [1, .nan]}, example: .inf}
      responses: {"200": {description: ok, content: {application/json: {schema: {type: object, required: [n],
                  properties: {n: {type: number, minimum: -.inf}}}, example: {n: .nan}}}}}
""")
    assert "GET /p: numbers JSON cannot carry (infinite or NaN, at `maximum`, `enum item`, `example`) are left out" in report
    built = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stdout + built.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    validate(exported)
    operation = exported["paths"]["/p"]["get"]
    assert operation["parameters"][0]["schema"]["enum"] == [1]
    assert isinstance(operation["responses"]["200"]["content"]["application/json"]["example"]["n"], (int, float))


def test_operations_and_path_items_that_are_no_mappings_are_reported(tmp_path: Path) -> None:
    # `get: "nope"`, `post:` left empty (null) and a path item that is a list were dropped without a word.
    _, report = imported_yaml(tmp_path, """
  /e:
    get: nope
    post:
    put: {responses: {"200": {description: ok}}}
  /l: [1, 2]
""")
    assert "GET /e: not a mapping (an operation) and is left out" in report
    assert "POST /e: not a mapping (an operation) and is left out" in report
    assert "path `/l` is not a mapping (a path item) and is left out" in report
    assert "1 endpoints" in report


def test_a_path_crafted_against_placeholders_sharing_a_segment_cannot_hold_the_sandbox(tmp_path: Path) -> None:
    # `/dates/{year}-{month}-{day}` as a regular expression tries every way of cutting a failing
    # segment: a path of 4,000 dashes held a sandbox worker for 70 s. It now answers at once.
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/dates/{year}-{month}-{day}": {"get": {"parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "example": value}
            for name, value in (("year", "2024"), ("month", "01"), ("day", "02"))],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {"ok": True}}}}}}}}})
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    sandbox = start_sandbox(None, config=dest / "mkdocs.yml")
    try:
        started = time.monotonic()
        crafted = requests.get(f"{sandbox.url}/dates/{'-' * 4000}/", timeout=30)
        assert time.monotonic() - started < 3
        assert crafted.status_code == 404 and "application/json" in crafted.headers["content-type"]
        assert requests.get(f"{sandbox.url}/dates/2024-01-02", timeout=10).json() == {"ok": True}
    finally:
        sandbox.stop()


def test_a_member_only_some_branches_require_is_not_marked_required_and_the_project_lints(tmp_path: Path) -> None:
    """GitHub's `PATCH /gists/{gist_id}`: `anyOf: [{required: [description]}, {required: [files]}]`
    and an example that sends only `files`. The table marked `description` required (the first
    branch's requirement), so lint said E403 of the spec's own valid example. A member is marked
    required when the schema, or every one of its branches, requires it. The answer's JSON member
    named `cookie` (a URL) and a private key already shown as REDACTED are no secrets for lint."""
    body = {"type": "object", "required": ["kind"],
            "anyOf": [{"required": ["description", "sha"]}, {"required": ["files", "sha"]}],
            "properties": {"description": {"type": "string"}, "files": {"type": "object"},
                           "kind": {"type": "string"}, "sha": {"type": "string"}}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/gists/{id}": {"patch": {
            "operationId": "updateGist",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "g1"}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": body, "example": {"kind": "a", "sha": "b", "files": {"hello.py": None}}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"example": {
                "cookie": "https://github.githubassets.com/images/icons/emoji/unicode/1f36a.png?v8",
                "pem": "-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----\n"}}}}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = next(dest.glob("docs/**/update-gist.md")).read_text(encoding="utf-8")
    request = page.split("### Request Parameters")[1].split("###")[0]
    for member in ("kind", "sha"):  # required by the schema, and by every branch
        assert "***Required***" in request.split(f"{member}\n")[1].split("\n\n")[0]
    assert "***Required***" not in request.split("description\n")[1].split("\n\n")[0]
    assert "***Required***" not in request.split("files\n")[1].split("\n\n")[0]
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_credentials_the_specs_prose_shows_become_placeholders_so_the_project_lints(tmp_path: Path) -> None:
    """Hetzner's introduction shows `curl -H "Authorization: Bearer jEhe…"`, GitHub's secrets pages
    a code sample with `secret = 'plain-text-secret'` and a `Location` header example with
    `?token=…`, Stripe's field descriptions `{token: "tok_visa"}`. Lint (E302) cannot tell them
    from a writer's pasted key, so the imported projects failed it: the prose's credentials
    become placeholders (a bearer token the documented one), said in the report."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "openapi": "3.0.3", "servers": [{"url": "https://api.example.com"}],
        "info": {"title": "t", "version": "1", "description":
                 'Example:\n```bash\ncurl -H "Authorization: Bearer jEheVytlAoFl7F8MqUQ7jAo2hOXASztX" https://api.example.com/v1/servers\n```'},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}],
        "paths": {"/secrets/{name}": {"put": {
            "operationId": "putSecret",
            "description": "Encrypt it first:\n\n```\nconst secret = 'plain-text-secret' // yours\n```",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}, "example": "s1"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {
                "card": {"type": "object", "description": 'Or a token: `card: {token: "tok_visa"}`.'}}}}}},
            "responses": {"302": {"description": "Found", "headers": {"Location": {"schema": {"type": "string"},
                "example": "https://codeload.example.com/me/legacy.zip?login=me&token=thistokenexpires"}}}}}}},
    }), encoding="utf-8")
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    pages = (dest / "docs" / "index.md").read_text(encoding="utf-8") + next(dest.glob("docs/**/put-secret.md")).read_text(encoding="utf-8")
    assert load_front_matter(next(dest.glob("docs/**/put-secret.md")))["title"] == "/secrets/&lt;name&gt;"  # the path, as it is
    for sample in ("jEheVytlAoFl7F8MqUQ7jAo2hOXASztX", "plain-text-secret", "thistokenexpires", "tok_visa"):
        assert sample not in pages
    assert f"Bearer {_options(dest)['auth']['token']}" in pages
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "the API's description: sample credentials it shows (token) replaced by placeholders" in report
    assert "PUT /secrets/{name}: text: sample credentials it shows (" in report
    for command in (["lint"], ["build", "--strict", "-d", str(tmp_path / "site")]):
        result = run("-f", str(dest / "mkdocs.yml"), *command)
        assert result.returncode == 0, result.stdout + result.stderr


def test_an_optional_body_the_example_does_not_send_is_written_optional(tmp_path: Path) -> None:
    """DigitalOcean's droplet actions: an optional body (no `required`), `anyOf` shapes that each
    require `type`, no example. The example sends no body, and the page did not say the body is
    optional, so lint read the fields' requirements as the request's (E403)."""
    shape = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["reboot", "resize"]}}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/droplets/{id}/actions": {"post": {
            "operationId": "dropletAction",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "example": 3}],
            "requestBody": {"content": {"application/json": {"schema": {"anyOf": [
                shape, {"allOf": [shape, {"properties": {"size": {"type": "string"}}}]}]}}}},
            "responses": {"201": {"description": "ok"}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = load_front_matter(next(dest.glob("docs/**/droplet-action.md")))
    assert "body" not in front["example"] and front["request"]["required"] is False
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    exported = json.loads(run("-f", str(dest / "mkdocs.yml"), "export-openapi").stdout)
    assert exported["paths"]["/droplets/{id}/actions"]["post"]["requestBody"].get("required") is not True


def test_sample_credentials_in_an_example_that_does_not_fit_its_schema_become_placeholders(tmp_path: Path) -> None:
    """Zoom's examples write types as values (`"enforce_login": "boolean"`) beside a
    `listen_only_password`: the example does not fit its schema, which is then not carried, and
    its credentials were kept as if that schema could refuse their placeholders (lint E302)."""
    settings = {"type": "object", "properties": {"enforce_login": {"type": "boolean"}, "listen_only_password": {"type": "string"}}}
    example = {"enforce_login": "boolean", "listen_only_password": "hkgk"}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/settings": {"patch": {
            "operationId": "updateSettings",
            "requestBody": {"required": True, "content": {"application/json": {"schema": settings, "example": example}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": settings, "example": example}}}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = load_front_matter(next(dest.glob("docs/**/update-settings.md")))
    assert front["example"]["body"]["listen_only_password"] == "YOUR_LISTEN_ONLY_PASSWORD"
    assert front["responses"][0]["body"]["listen_only_password"] == "YOUR_LISTEN_ONLY_PASSWORD"
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request example: sample credentials (`listen_only_password`) replaced by placeholders" in report
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_an_example_that_misfits_its_schema_is_still_completed_with_the_members_it_requires(tmp_path: Path) -> None:
    """Velo's and Zuora's request examples lack a required member and write a date-time where the
    schema says `date`: completion was given up because the example still did not fit, so the page
    listed a required member its example left out (lint E403). It is completed, and both are said."""
    payee = {"type": "object", "required": ["type", "email"], "properties": {
        "type": {"type": "string", "enum": ["Individual", "Company"]}, "email": {"type": "string"},
        "dateOfBirth": {"type": "string", "format": "date"}}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/payees": {"post": {
            "operationId": "createPayees",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["payees"], "properties": {"payees": {"type": "array", "items": payee}}},
                "example": {"payees": [{"email": "bob@example.com", "dateOfBirth": "1970-05-20T00:00:00.000+0000"}]}}}},
            "responses": {"201": {"description": "ok"}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = load_front_matter(next(dest.glob("docs/**/create-payees.md")))
    assert front["example"]["body"]["payees"][0]["type"] == "Individual"
    assert front["example"]["body"]["payees"][0]["dateOfBirth"] == "1970-05-20T00:00:00.000+0000"  # the spec's, as written
    report = (dest / "import-report.txt").read_text(encoding="utf-8")
    assert "request example lacked required `payees.0.type`; completed from its schema" in report
    assert "request example does not fit its schema, which is not carried over:" in report
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_path_parameters_sample_credential_becomes_a_placeholder(tmp_path: Path) -> None:
    """ClickSend's `/account-verify/verify/{activation_token}` (example 1827364), Box's
    `/files/upload_sessions/{upload_session_id}`: query and header credentials became
    placeholders, path ones were kept, and lint said E302 of them."""
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/verify/{activation_token}": {"put": {
            "operationId": "verify",
            "parameters": [{"name": "activation_token", "in": "path", "required": True, "schema": {"type": "string"}, "example": "1827364"}],
            "responses": {"200": {"description": "ok"}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    front = load_front_matter(next(dest.glob("docs/**/verify.md")))
    assert front["example"]["params"] == {"activation_token": "YOUR_ACTIVATION_TOKEN"}
    assert "path parameter `activation_token`: its sample credential replaced by a placeholder" in (
        dest / "import-report.txt").read_text(encoding="utf-8")
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_pages_path_is_never_scrubbed_though_its_prose_is() -> None:
    """The front matter's `title` is the endpoint's path: a literal `?api_key=…` in it stays, or the
    page would document another endpoint than the spec's (its responses' titles are prose)."""
    from apidocs.openapi.importer import _scrubbed_front

    found: list[str] = []
    front = _scrubbed_front({"title": "/x?api_key=abc123def", "description": "send api_key=abc123def",
                             "responses": [{"title": "with api_key=abc123def"}]}, {"YOUR_TOKEN"}, "YOUR_TOKEN", found)
    assert front == {"title": "/x?api_key=abc123def", "description": "send api_key=YOUR_API_KEY",
                     "responses": [{"title": "with api_key=YOUR_API_KEY"}]}
    assert found == ["credential", "credential"]


def test_a_member_whose_name_holds_a_dot_says_it_is_required_in_words(tmp_path: Path) -> None:
    """Jira's gadget `position` names its members `The column position of the gadget.`: the field
    table's `position.The column position of the gadget.` reads back as another path, so lint
    found the example (which has the member) lacking it (E403). Such a member, and the members
    under it, say `Required.` in words instead of the mark read by that path."""
    position = {"type": "object", "required": ["The column.", "row"],
                "properties": {"The column.": {"type": "integer"}, "row": {"type": "integer"}}}
    spec = tmp_path / "spec.json"
    write_spec(spec, {
        "paths": {"/gadgets": {"post": {
            "operationId": "addGadget",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["position", "a.b"],
                "properties": {"position": position, "a.b": {"type": "object", "required": ["c"], "properties": {"c": {"type": "string"}}}}}}}},
            "responses": {"200": {"description": "ok"}}}}},
    })
    dest = tmp_path / "out"
    assert run("import-openapi", str(spec), str(dest)).returncode == 0
    page = next(dest.glob("docs/**/add-gadget.md")).read_text(encoding="utf-8")
    assert "position\n: (object) ***Required***" in page and "position.row\n: (integer) ***Required***" in page
    assert "position.The column.\n: (integer) Required." in page
    assert "a.b\n: (object) Required." in page and "a.b.c\n: (string) Required." in page
    for command in (["lint"], ["check", "-j", "2"]):
        result = run("-f", str(dest / "mkdocs.yml"), *command, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
