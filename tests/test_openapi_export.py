"""`apidocs export-openapi`: a valid OpenAPI 3.1 document that says what the pages say."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint, Parameter
from apidocs.model.validation import schema_validator
from apidocs.openapi.components import share_schemas, shared_name
from apidocs.openapi.export import portable_patterns
from apidocs.openapi.schemas import fields_schema
from apidocs.rendering.languages import load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet
from conftest import PYTHON, ROOT, copy_project

APIDOCS = [PYTHON, "-m", "apidocs"]


def export(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, "-f", str(config), "export-openapi", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    result = export(ROOT / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


@pytest.fixture(scope="module")
def endpoints() -> list[Endpoint]:
    settings = load_settings(ROOT / "mkdocs.yml")
    return load_tree(settings.docs_dir, settings.includes_dir, settings.site).endpoints


def readable(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the document's components beside it, where its `#/components/...` refs point."""
    return {**schema, "components": document.get("components", {})}


def operation(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][endpoint.path][endpoint.method.lower()]
    return found


def test_the_shipped_docs_export_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation of the 3.1 schema
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "TIMP Order Cancelation API"
    assert document["servers"][0]["url"] == "https://api-dev.cruxconnect.com"


def test_every_endpoint_is_one_operation_with_its_parameters(document: dict[str, Any], endpoints: list[Endpoint]) -> None:
    operations = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    assert operations == {(e.path, e.method) for e in endpoints}
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for endpoint in endpoints:
        op = operation(document, endpoint)
        path_params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        assert path_params == endpoint.path_parameters
        assert op["summary"] == endpoint.name
        assert op["security"] == [{"apiToken": []}]


def test_responses_carry_every_documented_status_and_example(document: dict[str, Any], endpoints: list[Endpoint]) -> None:
    for endpoint in endpoints:
        responses = operation(document, endpoint)["responses"]
        assert set(responses) == {str(r.status) for r in endpoint.responses} | {str(endpoint.expected_status)}
        for response in endpoint.responses:
            if not response.has_body or isinstance(response.body, str):
                continue
            media = responses[str(response.status)]["content"]["application/json"]
            examples = [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
            assert response.body in examples
            for example in examples:  # the schema accepts what the docs show
                jsonschema.Draft202012Validator(readable(media["schema"], document)).validate(example)


def test_request_bodies_validate_against_their_schema(document: dict[str, Any], endpoints: list[Endpoint]) -> None:
    with_body = [e for e in endpoints if e.example.has_body]
    assert with_body, "the shipped docs document at least one request body"
    for endpoint in with_body:
        media = operation(document, endpoint)["requestBody"]["content"]["application/json"]
        assert media["example"] == endpoint.example.body
        jsonschema.Draft202012Validator(readable(media["schema"], document)).validate(media["example"])


def test_code_samples_are_the_page_snippets(document: dict[str, Any], endpoints: list[Endpoint]) -> None:
    settings = load_settings(ROOT / "mkdocs.yml")
    languages = load_languages(settings.snippets_dir)
    for endpoint in endpoints:
        samples = operation(document, endpoint)["x-codeSamples"]
        request = build_request(endpoint, settings.auth, settings.default_server)
        assert [s["label"] for s in samples] == [language.label for language in languages]
        for sample, language in zip(samples, languages, strict=True):
            assert sample["source"] == render_snippet(settings.snippets_dir, language, request)


def test_tags_come_from_sections_in_nav_order(document: dict[str, Any]) -> None:
    tags = [tag["name"] for tag in document["tags"]]
    assert len(tags) == len(set(tags)) and tags
    used = {tag for item in document["paths"].values() for op in item.values() for tag in op.get("tags", [])}
    assert used == set(tags)


def test_yaml_by_extension_and_definition_errors_refuse_to_export(tmp_path: Path, project: Path) -> None:
    out = tmp_path / "api" / "openapi.yaml"
    result = export(project / "mkdocs.yml", "-o", str(out))
    assert result.returncode == 0, result.stderr
    validate(yaml.safe_load(out.read_text(encoding="utf-8")))
    broken = project / "docs" / "orders" / "broken.md"
    broken.write_text("---\ntitle: /x/\nmethod: fetch\n---\n", encoding="utf-8")
    result = export(project / "mkdocs.yml", "-o", str(tmp_path / "again.json"))
    assert result.returncode == 1
    assert "broken.md:3:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "again.json").exists()


def test_the_build_publishes_the_document_at_the_site_root(tmp_path: Path, document: dict[str, Any]) -> None:
    site = tmp_path / "site"
    result = subprocess.run([*APIDOCS, "-f", str(ROOT / "mkdocs.yml"), "build", "--strict", "-d", str(site)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((site / "openapi.json").read_text(encoding="utf-8")) == document
    assert 'href="openapi.json"' in (site / "index.html").read_text(encoding="utf-8")


def nested_fields_project(folder: Path) -> Path:
    """The shipped project and endpoints whose response fields are named by path."""
    project = copy_project(folder)
    (project / "docs" / "orders" / "account.md").write_text("""---
title: /timp/account/
name: Get Account
position: 5.9
method: get
responses:
- status: 200
  body: {"id": "acct_1", "profile": {"mcc": "5734", "x.y": 1, "name": "Shop", "address": {"city": "Oslo"}}, "items": [{"sku": "a", "qty": 2}], "a.b": 1}
---
Reads the account.

### Response Parameters:

id
: (string) ***Required*** The account

profile
: (object) Who the account is

profile.mcc
: (string) ***Required*** The merchant category code

profile.x.y
: (integer) ***Required*** A key with a dot in its name, inside another

items
: (array of object) What it sells

items[].sku
: (string) ***Required*** The product

a.b
: (integer) A key with a dot in its name

id
: (string) The account, listed again
""", encoding="utf-8")
    (project / "docs" / "orders" / "accounts.md").write_text("""---
title: /timp/accounts/
name: List Accounts
position: 5.91
method: get
responses:
- status: 200
  body: [{"id": "acct_1", "profile": {"mcc": "5734", "name": "Shop"}}]
- status: 206
  body: ["not an account"]
---
Lists the accounts: the table describes each item of the list.

### Response Parameters:

id
: (string) ***Required*** The account

profile.mcc
: (string) ***Required*** The merchant category code

name
: (string) ***Required*** What the account is called
""", encoding="utf-8")
    deep = ".".join(["level"] * 600)
    (project / "docs" / "orders" / "deep.md").write_text(f"""---
title: /timp/deep/
name: Get Deep
position: 5.92
method: get
responses:
- status: 200
  body: {{"id": "x"}}
---
### Response Parameters:

{deep}
: (string) A name of 600 parts
""", encoding="utf-8")
    return project


def test_a_list_answer_documents_its_items_and_every_example_fits_its_schema(tmp_path: Path) -> None:
    project = nested_fields_project(tmp_path / "project")
    result = export(project / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    responses = json.loads(result.stdout)["paths"]["/timp/accounts/"]["get"]["responses"]
    listed = responses["200"]["content"]["application/json"]
    items = listed["schema"]["items"]
    assert listed["schema"]["type"] == "array" and items["properties"]["profile"]["required"] == ["mcc"]
    # The table asks for a name the example lacks: that mark is taken back, the rest of the table
    # stays (a document whose example fails its own schema misleads every tool that reads it).
    assert items["required"] == ["id"]
    assert items["properties"]["name"] == {"type": "string", "description": "What the account is called"}
    assert items["properties"]["id"]["description"] == "The account"
    jsonschema.validate(listed["example"], listed["schema"])
    other = responses["206"]["content"]["application/json"]
    jsonschema.validate(other["example"], other["schema"])


def test_nested_fields_named_by_path_become_nested_schemas(tmp_path: Path) -> None:
    # Imported pages list a response's nested fields as `parent.child` and `list[].child` when its
    # schema is too large to carry; the document read them as flat names, and `required` then asked
    # the answer for a property called "profile.mcc" that no answer has.
    project = nested_fields_project(tmp_path / "project")
    result = export(project / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    media = document["paths"]["/timp/account/"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = media["schema"]
    assert schema["required"] == ["id"]  # listed twice, required once: required
    assert schema["properties"]["profile"]["required"] == ["mcc", "x.y"]  # the example holds "x.y" as one key
    assert schema["properties"]["profile"]["properties"]["x.y"]["type"] == "integer"
    assert schema["properties"]["profile"]["properties"]["mcc"] == {"type": "string", "description": "The merchant category code"}
    assert schema["properties"]["items"]["items"]["required"] == ["sku"]
    assert schema["properties"]["a.b"]["type"] == "integer"  # the example holds it as one key
    assert not any("." in name for name in schema["properties"] if name != "a.b")
    jsonschema.validate(media["example"], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**media["example"], "profile": {"name": "no code"}}, schema)


def test_the_page_shows_fields_named_by_path_inside_their_parents(tmp_path: Path) -> None:
    project = nested_fields_project(tmp_path / "project")
    site = tmp_path / "site"
    result = subprocess.run([*APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--strict", "-d", str(site)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "orders" / "account" / "index.html").read_text(encoding="utf-8")
    tree = page[page.index('id="response-200"'):]
    tree = tree[:tree.index('class="apidocs-aside"')]
    # Each field's row up to the next field's: a parent's row ends where its first child's begins.
    rows = re.split(r'(?=<li class="apidocs-field[^"]*" id="response-200-)', tree)[1:]
    required = {re.match(r'<li class="apidocs-field[^"]*" id="response-200-([^"]+)"', row)[1]: ">required<" in row  # type: ignore[index]
                for row in rows}
    assert list(required) == ["id", "profile", "profile.mcc", "profile.x.y", "profile.name", "profile.address",
                              "profile.address.city", "items", "items.sku", "items.qty", "a.b"]
    # Written marks count inside their parents; what only the example shows is never required.
    assert required == {"id": True, "profile": False, "profile.mcc": True, "profile.x.y": True, "profile.name": False,
                        "profile.address": False, "profile.address.city": False, "items": False, "items.sku": True,
                        "items.qty": False, "a.b": False}
    # Search finds the success answer's fields once, in the table, not again in the tree (a large
    # API's trees were most of its search index); the tree is still on the page.
    index = {doc["location"]: doc["text"] for doc in json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]}
    assert "merchant category code" in index["orders/account/#response-parameters"]
    assert "merchant category code" not in index["orders/account/#responses"] and "200 OK" in index["orders/account/#responses"]
    assert "The merchant category code" in tree


def tree_flags(page: str, status: str = "200") -> dict[str, bool]:
    """Each field of a response's tree on a built page, and whether it is marked required."""
    tree = page[page.index(f'id="response-{status}"'):]
    tree = tree[:tree.index('class="apidocs-aside"')]
    rows = re.split(rf'(?=<li class="apidocs-field[^"]*" id="response-{status}-)', tree)[1:]
    return {re.match(rf'<li class="apidocs-field[^"]*" id="response-{status}-([^"]+)"', row)[1]: ">required<" in row  # type: ignore[index]
            for row in rows}


def test_a_list_answers_page_shows_its_items_fields_and_a_name_of_any_depth_builds(tmp_path: Path) -> None:
    project = nested_fields_project(tmp_path / "project")
    site = tmp_path / "site"
    result = subprocess.run([*APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--strict", "-d", str(site)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr  # a 600-part name was a RecursionError
    page = (site / "orders" / "accounts" / "index.html").read_text(encoding="utf-8")
    assert "Body: <span class=\"apidocs-field-type\">array of object</span>" in page
    # `profile` is not written, `profile.mcc` is: its mark holds inside the parent it names.
    assert tree_flags(page) == {"id": True, "profile": False, "profile.mcc": True, "profile.name": False, "name": False}
    assert "A name of 600 parts" in (site / "orders" / "deep" / "index.html").read_text(encoding="utf-8")
    exported = export(project / "mkdocs.yml")
    assert exported.returncode == 0, exported.stderr


# --- a field list's schema always accepts the examples published with it ------------------------

NAMES = st.sampled_from(["a", "b", "a.b", "a.c", "a[].b", "b[].c.d", "c", "x.y"])
TYPE_WORDS = st.sampled_from([None, "string", "integer", "number", "boolean", "object", "array", "array of integer",
                              "array of object", "uuid", "date-time", "string?", "integer or null", "thing"])
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False)
                           | st.sampled_from(["", "x", "2026-01-31T12:00:00Z", "3fa85f64-5717-4562-b3fc-2c963f66afa6"]),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", "d", "x.y"]), inner, max_size=4),
                           max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(Parameter, NAMES, TYPE_WORDS, st.booleans(), st.just("d")), max_size=6),
       st.lists(JSON_VALUES, min_size=1, max_size=2))
def test_a_field_lists_schema_accepts_its_examples(parameters: list[Parameter], examples: list[Any]) -> None:
    schema = fields_schema(parameters, examples)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = schema_validator(schema)
    assert all(validator.is_valid(example) for example in examples), (schema, examples)


def test_a_schema_written_more_than_once_is_written_once_under_components(tmp_path: Path) -> None:
    # Definitions hold their schemas whole: the document repeated each shared one in every
    # operation (Stripe's 2.5 MB spec gave a 16.6 MB openapi.json).
    project = copy_project(tmp_path / "project")
    account = {"type": "object", "title": "Account", "required": ["id"],
               "properties": {"id": {"type": "string", "description": "The account"},
                              "address": {"type": "object", "properties": {name: {"type": "string", "description": f"The {name}" * 3}
                                                                           for name in ("line1", "line2", "city", "postal_code", "country")}},
                              "tags": {"type": "array", "items": {"type": "string"}, "example": ["a"]}}}
    for index in range(3):
        (project / "docs" / "orders" / f"account-{index}.md").write_text(
            "---\n" + yaml.safe_dump({"title": f"/timp/accounts/{index}/", "name": f"Account {index}", "position": f"5.9{index}",
                                      "method": "post", "example": {"body": {"id": "acct_1"}}, "request": {"schema": account},
                                      "responses": [{"status": 200, "body": {"id": "acct_1"}, "schema": account}]})
            + "---\nAn account.\n", encoding="utf-8")
    result = export(project / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    assert document["components"]["schemas"]["Account"] == account
    for index in range(3):
        post = document["paths"][f"/timp/accounts/{index}/"]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Account"}
        assert post["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Account"}
    # Data is never taken for a schema: the example under `tags` stays where it is.
    assert document["components"]["schemas"]["Account"]["properties"]["tags"]["example"] == ["a"]
    # What is written once, or is short, stays where it is read.
    assert "$ref" not in json.dumps(document["paths"]["/timp/orders/cancel/"])


def test_a_multipart_definition_exports_its_files_as_files(tmp_path: Path) -> None:
    # No schema in the definition: the one inferred from the example and the fields says which
    # members are files (OpenAPI 3.1: a string with contentMediaType), and how objects travel.
    project = copy_project(tmp_path / "project")
    (project / "docs" / "orders" / "upload.md").write_text(
        "---\n" + yaml.safe_dump({
            "title": "/timp/uploads/", "name": "Upload", "position": "5.95", "method": "post",
            "example": {"headers": {"Content-Type": "multipart/form-data"},
                        "body": {"title": "Q3", "report": "report.csv", "scans": ["a.png", "b.png"], "meta": {"k": "v"}}},
            "request": {"files": ["report", "scans"]}})
        + "---\nUploads.\n\n### Request Parameters\n\ntitle\n: (string) ***Required*** A title\n\n"
          "report\n: (file) ***Required*** The report\n", encoding="utf-8")
    result = export(project / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    content = document["paths"]["/timp/uploads/"]["post"]["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    properties = content["multipart/form-data"]["schema"]["properties"]
    file = {"type": "string", "contentMediaType": "application/octet-stream"}
    assert properties["report"] == {**file, "description": "The report"}
    assert properties["scans"] == {"type": "array", "items": file}
    assert properties["title"]["type"] == "string"
    assert content["multipart/form-data"]["encoding"] == {"meta": {"style": "deepObject", "explode": True}}
    assert content["multipart/form-data"]["example"]["report"] == "report.csv"


def resolved(node: Any, components: dict[str, Any]) -> Any:
    """`node` with every `#/components/schemas/` ref replaced by what it names."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if len(node) == 1 and isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return resolved(components[ref.rsplit("/", 1)[1]], components)
        return {key: resolved(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value, components) for value in node]
    return node


BIG = {"type": "object", "properties": {f"field{index}": {"type": "string", "description": "x" * 40} for index in range(8)}}


@pytest.mark.parametrize("first, second", [
    ({"properties": {"a": True, "b": BIG}}, {"properties": {"a=true,b": BIG}}),  # names that read as a list
    ({"a": 1, "b": 2, "c": BIG}, {"a\x001\x01b": 2, "c": BIG}),  # keywords with separators in them
    ({"properties": [True], "c": BIG}, {"properties": {"0": True}, "c": BIG}),  # a list and a map
    ({"example": {"x": 1, "y": 2}, "c": BIG}, {"example": {"y": 2, "x": 1}, "c": BIG}),  # the same data in another order
])
def test_only_schemas_written_alike_are_shared(first: dict[str, Any], second: dict[str, Any]) -> None:
    operations = {f"/op{index}": {"get": {"operationId": f"op{index}", "responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": json.loads(json.dumps(schema))}}}}}} for index, schema in enumerate([first, second, first, second])}
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": operations}
    original = json.loads(json.dumps(document))
    shared = share_schemas(document)
    assert json.dumps(resolved(shared["paths"], shared["components"]["schemas"])) == json.dumps(original["paths"])
    names = {json.dumps(shared["paths"][f"/op{index}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
             for index in range(4)}
    assert len(names) == 2  # each written twice: two components


def test_a_shared_schema_is_named_by_the_words_the_places_that_write_it_have_in_common(tmp_path: Path) -> None:
    # Named after its first use, the answer of confirm and reject was "ConfirmOrderCancelationResponse200".
    result = export(copy_project(tmp_path / "project") / "mkdocs.yml")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    for action in ("confirm", "reject"):
        answer = document["paths"][f"/timp/orders/cancel/{{order_uuid}}/{action}/"]["patch"]["responses"]["200"]
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderCancelationResponse200"}
    assert shared_name(["getHTTPStatus2", "listHTTPStatus2"]) == "HTTPStatus2"
    assert shared_name(["billing_address", "shipping_address"]) == "Address"
    # Places that share only what marks their kind keep the first one's name.
    assert shared_name(["getUserResponse200", "listUsersResponse200"]) == "getUserResponse200"
    assert shared_name([]) == ""


def test_checking_a_schema_never_fetches_what_a_ref_names() -> None:
    # jsonschema's default registry fetched an http(s) `$ref` (no time limit) while the export
    # checked a default against its schema: a spec could make apidocs call any URL.
    import http.server
    import threading

    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = {"$ref": f"http://127.0.0.1:{server.server_port}/schema", "default": 1}
        assert portable_patterns(remote) == remote  # cannot be told: the default stays
    finally:
        server.shutdown()
    assert asked == []
