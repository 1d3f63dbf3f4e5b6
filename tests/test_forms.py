"""Form bodies (`application/x-www-form-urlencoded`), as Stripe, Twilio and OAuth token endpoints
take them: imported, sent as forms by every snippet (checked by running them), read back and
checked by the sandbox, exported with their media type and nested fields' encoding.

Before, such a body was documented and sent as JSON: each snippet would have been refused by
the real API, and the export said application/json."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import yaml
from hypothesis import given
from hypothesis import strategies as st

from apidocs.definitions.frontmatter import split_front_matter
from apidocs.model.forms import FormError, form_fields, form_map, form_text, form_value, indexed_lists, list_styles, read_form
from apidocs.sandbox.forms import typed_form
from conftest import PYTHON
from sandbox_helpers import RunningSandbox, start_sandbox

FORM = "application/x-www-form-urlencoded"
TOKEN = {"Authorization": "Bearer your-api-token"}

# --- the encoding ----------------------------------------------------------------------------


def test_a_json_object_becomes_bracketed_fields_in_order() -> None:
    body = {"amount": 2000, "paid": True, "note": None, "tags": ["a", "b"], "meta": {"order": "6735", "n": 1.5},
            "items": [{"price": "p_1", "quantity": 2}], "empty": [], "space": "a b&c=d~*"}
    assert form_fields(body) == [
        ("amount", "2000"), ("paid", "true"), ("note", ""), ("tags", "a"), ("tags", "b"), ("meta[order]", "6735"),
        ("meta[n]", "1.5"), ("items[0][price]", "p_1"), ("items[0][quantity]", "2"), ("space", "a b&c=d~*")]
    assert form_text(body).endswith("&items[0][price]=p_1&items[0][quantity]=2&space=a+b%26c%3Dd~*")
    assert form_map(body)["tags"] == ["a", "b"]
    assert form_value(form_fields(body)) == {
        "amount": "2000", "paid": "true", "note": "", "tags": ["a", "b"], "meta": {"order": "6735", "n": "1.5"},
        "items": {"0": {"price": "p_1", "quantity": "2"}}, "space": "a b&c=d~*"}
    # Which objects keyed by indices are lists, the schema says; without one, all of them below the top.
    assert indexed_lists(form_value(form_fields(body)))["items"] == [{"price": "p_1", "quantity": "2"}]
    assert indexed_lists({"0": "top", "1": {"0": "x"}}) == {"0": "top", "1": ["x"]}


@pytest.mark.parametrize("value", [[1, 2], "text", 3, None])
def test_only_an_object_is_a_form(value: object) -> None:
    with pytest.raises(FormError, match="must be a JSON object"):
        form_fields(value)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=12)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=4))
def test_the_encoded_text_reads_back_as_the_fields(body: dict[str, Any]) -> None:
    # Whatever the names and texts hold (&, =, +, %, brackets, astral characters), the bytes
    # read back as exactly the fields; the object read back is the fields' object.
    text = form_text(body)
    assert parse_qsl(text, keep_blank_values=True) == form_fields(body)
    try:
        expected = form_value(form_fields(body))
    except FormError:
        return  # names such as `a` and `a[b]` both: not one object, and said so
    assert read_form(text.encode()) == expected


def test_field_names_that_are_not_one_object_are_refused() -> None:
    with pytest.raises(FormError, match="both a value and an object"):
        form_value([("a", "1"), ("a[b]", "2")])
    with pytest.raises(FormError, match="nests more than"):
        form_value([("a" + "[x]" * 40, "1")])
    with pytest.raises(FormError, match="more than 1000 fields"):
        read_form(b"&".join(b"a=1" for _ in range(1001)))


def test_the_schema_types_the_text() -> None:
    schema = {"type": "object", "properties": {
        "amount": {"type": "integer"}, "ratio": {"type": "number"}, "paid": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "integer"}}, "code": {"type": "string"},
        "meta": {"$ref": "#/$defs/meta"}, "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "maybe": {"type": ["integer", "null"]}},
        "$defs": {"meta": {"type": "object", "additionalProperties": {"type": "number"}}}}
    sent = {"amount": "2000", "ratio": "0.5", "paid": "false", "tags": "7", "code": "007", "meta": {"k": "1e3"},
            "either": "x", "maybe": "", "unknown": "12"}
    assert typed_form(sent, schema) == {"amount": 2000, "ratio": 0.5, "paid": False, "tags": [7], "code": "007",
                                        "meta": {"k": 1000.0}, "either": "x", "maybe": None, "unknown": "12"}
    assert typed_form({"amount": "20x0"}, schema) == {"amount": "20x0"}  # left for the schema to refuse


def test_alternatives_nested_in_alternatives_stay_bounded() -> None:
    # A value schema that refers to itself through anyOf: each level tries every branch.
    schema = {"$defs": {"v": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#/$defs/v"}},
                                        {"type": "object", "additionalProperties": {"$ref": "#/$defs/v"}}]}},
              "$ref": "#/$defs/v"}
    deep: Any = "1"
    for _ in range(30):
        deep = {"k": deep}
    typed_form(deep, schema)  # returns (the step budget cuts it off) instead of running for ages


# --- an imported spec with form bodies, served, checked and exported --------------------------

SPEC = {
    "openapi": "3.0.3", "info": {"title": "Payments", "version": "2.1"},
    "servers": [{"url": "https://api.payments.example/v1"}],
    "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    "security": [{"key": []}],
    "paths": {
        "/charges": {"post": {
            "operationId": "createCharge", "summary": "Create a charge",
            "requestBody": {"required": True, "content": {FORM: {
                "schema": {"type": "object", "required": ["amount", "currency"], "properties": {
                    "amount": {"type": "integer", "minimum": 50},
                    "currency": {"type": "string", "enum": ["usd", "eur"]},
                    "capture": {"type": "boolean"},
                    "expand": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    # Stripe's way: a timestamp, or the word `now`; a list, or "" to clear it.
                    "trial_end": {"anyOf": [{"type": "string", "enum": ["now"]}, {"type": "integer"}]},
                    "fields": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string", "enum": [""]}]},
                    "address": {"$ref": "#/components/schemas/Address"},
                    "description": {"type": "string"}}},
                "encoding": {"metadata": {"style": "deepObject", "explode": True},
                             "expand": {"style": "deepObject", "explode": True},
                             "tags": {"style": "form", "explode": False}},
                "example": {"amount": 2000, "currency": "usd", "capture": False, "expand": ["customer", "invoice"],
                            "tags": ["tea", "biscuits"], "metadata": {"order_id": "6735"}, "trial_end": 1700000000,
                            "fields": "", "description": "Tea & biscuits, 100% 'fine'"}}}},
            "responses": {"200": {"description": "the charge", "content": {"application/json": {
                "example": {"id": "ch_1", "amount": 2000}}}},
                "400": {"description": "invalid", "content": {"application/json": {"example": {"error": "invalid"}}}}}}},
        "/tokens": {"post": {
            "operationId": "createToken",
            "requestBody": {"content": {FORM: {"schema": {"type": "object", "properties": {
                "grant_type": {"type": "string"}, "scope": {"type": "string"}}}}}},
            "responses": {"200": {"description": "a token", "content": {"application/json": {"example": {"token": "t"}}}}}}},
        # Twilio's way: the body is not marked required, but its schema requires fields.
        "/calls": {"post": {
            "operationId": "createCall",
            "requestBody": {"content": {FORM: {"schema": {"type": "object", "required": ["To", "From"], "properties": {
                "To": {"type": "string"}, "From": {"type": "string"}, "Timeout": {"type": "integer"}}}}}},
            "responses": {"201": {"description": "a call", "content": {"application/json": {"example": {"sid": "CA1"}}}}}}},
        # Optional, and no example fits its schema: documented, not sent; a request without one is fine.
        "/hooks": {"post": {
            "operationId": "createHook",
            "requestBody": {"content": {FORM: {"schema": {"type": "object", "required": ["url"], "properties": {
                "url": {"type": "string", "minLength": 5, "maxLength": 2}}}}}},
            "responses": {"200": {"description": "a hook", "content": {"application/json": {"example": {"id": "h1"}}}}}}},
        "/pings": {"post": {
            "operationId": "ping",
            "requestBody": {"required": True, "content": {FORM: {"schema": {"type": "object"}, "example": {}}}},
            "responses": {"200": {"description": "pong", "content": {"application/json": {"example": {"pong": True}}}}}}},
    },
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    spec = folder / "payments.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    dest = folder / "project"
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(dest)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "documented and sent as JSON" not in result.stdout + result.stderr
    return dest


@pytest.fixture(scope="module")
def payments(project: Path) -> Iterator[RunningSandbox]:
    sandbox = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    yield sandbox
    sandbox.stop()


def test_every_snippet_sends_the_form_and_gets_the_documented_answer(project: Path) -> None:
    # curl, HTTPie, Python and Node, each run for real through the check's recording relay: the
    # fields they sent are compared with the documented ones, and the sandbox answered 200.
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "check", "-j", "2"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 passed, 0 failed" in result.stdout
    # The documented 400 is reached too: the check sends the form without its fields.
    assert "create-charge.md: 400 ok (with no form fields)" in result.stdout


def test_the_sandbox_reads_the_form_by_its_schema(payments: RunningSandbox) -> None:
    def charge(data: Any, **headers: str) -> requests.Response:
        return requests.post(f"{payments.url}/charges", data=data, headers={**TOKEN, **headers}, timeout=10)

    assert charge({"amount": "2000", "currency": "eur", "metadata[order_id]": "1"}).status_code == 200
    assert charge([("amount", "60"), ("currency", "usd"), ("expand", "a"), ("expand", "b")]).status_code == 200
    refused = charge({"amount": "20", "currency": "usd"})
    assert refused.status_code == 400
    assert "amount" in refused.headers["X-Apidocs-Reason"] and "50" in refused.headers["X-Apidocs-Reason"]
    assert charge({"amount": "2000", "currency": "gbp"}).status_code == 400
    assert charge({"amount": "many", "currency": "usd"}).status_code == 400
    # Stripe's alternatives: a timestamp or `now`; a list or "" (which clears it).
    assert charge({"amount": "2000", "currency": "usd", "trial_end": "now", "fields": ""}).status_code == 200
    assert charge({"amount": "2000", "currency": "usd", "trial_end": "soon"}).status_code == 400
    # `tags` travels as one text joined by commas (its encoding: form, not exploded).
    assert charge({"amount": "2000", "currency": "usd", "tags": "a,b,c"}).status_code == 200
    # A number too long to read is a clear 400, not an error of the sandbox's.
    too_long = charge({"amount": "9" * 5000, "currency": "usd"})
    assert too_long.status_code == 400 and "amount" in too_long.headers["X-Apidocs-Reason"]


def test_an_optional_form_may_be_left_out_and_an_empty_one_is_no_fields(payments: RunningSandbox) -> None:
    def post(path: str, data: Any = None) -> int:
        headers = {**TOKEN, "Content-Type": FORM}
        return requests.post(f"{payments.url}{path}", data=data, headers=headers, timeout=10).status_code

    assert post("/calls") == 201  # optional body: none is fine
    assert post("/calls", {"To": "+1"}) == 400  # but one that is sent needs its required fields
    assert post("/calls", {"To": "+1", "From": "+2"}) == 201
    assert post("/pings") == 200  # `{}`: a form without fields
    assert post("/hooks") == 200  # an optional body the example does not send
    assert post("/hooks", {"url": "x"}) == 400


def test_json_sent_to_a_form_endpoint_is_refused_as_the_api_would(payments: RunningSandbox) -> None:
    answer = requests.post(f"{payments.url}/charges", json={"amount": 2000, "currency": "usd"}, headers=TOKEN, timeout=10)
    assert answer.status_code == 415
    assert FORM in answer.json()["detail"]


def test_the_pages_show_form_snippets(project: Path) -> None:
    page = next(project.glob("docs/**/create-charge.md"))
    assert sent_headers(page)["Content-Type"] == FORM
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "build", "--strict"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    html = next((project / "site").glob("**/create-charge/index.html")).read_text(encoding="utf-8")
    assert "amount=2000&amp;currency=usd" in html  # curl's --data-raw
    assert "data=payload" in html and "json.dumps" not in html  # requests encodes the form


def test_the_export_keeps_the_media_type_and_the_nested_encoding(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "openapi.yaml"
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "export-openapi", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    from openapi_spec_validator import validate

    validate(document)
    operations = {op["operationId"]: op for item in document["paths"].values() for op in item.values() if isinstance(op, dict)}
    charge = operations["createCharge"]["requestBody"]["content"]
    assert list(charge) == [FORM]
    # The spec's entries come back; `address`, an object the example does not send, gets one too.
    assert charge[FORM]["encoding"] == {"metadata": {"style": "deepObject", "explode": True},
                                        "expand": {"style": "deepObject", "explode": True},
                                        "tags": {"style": "form", "explode": False},
                                        "address": {"style": "deepObject", "explode": True}}
    assert charge[FORM]["schema"]["properties"]["amount"]["minimum"] == 50
    assert list(operations["createToken"]["requestBody"]["content"]) == [FORM]  # no example, still a form
    # Imported again, the form stays a form.
    again = tmp_path / "again"
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(out), str(again)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sent_headers(next(again.glob("docs/**/create-charge.md")))["Content-Type"] == FORM


def sent_headers(page: Path) -> dict[str, Any]:
    """The headers a definition's example sends (its front matter may be YAML or JSON)."""
    return dict(split_front_matter(page.read_text(encoding="utf-8"), page).data["example"]["headers"])


def test_the_check_compares_the_fields_sent_not_their_bytes() -> None:
    from apidocs.check.compare import compare_exchanges
    from apidocs.check.relay import Exchange
    from apidocs.rendering.request import HttpRequest

    body = {"amount": 2000, "tags": ["a", "b"], "meta": {"k": "v w"}}
    request = HttpRequest("POST", "http://sandbox", "/charges", headers=[("Content-Type", FORM)], body=body)

    def problems(sent: bytes) -> list[str]:
        exchange = Exchange("POST", "/charges", [("Content-Type", FORM)], sent, status=200)
        return compare_exchanges(request, [exchange], 200)[0]

    assert problems(b"amount=2000&tags=a&tags=b&meta[k]=v+w") == []
    assert problems(b"meta%5Bk%5D=v%20w&tags=a&amount=2000&tags=b") == []  # other spelling, other order of names
    assert problems(b"amount=2000&tags=b&tags=a&meta[k]=v+w") == ["body: not the documented form fields"]  # a list's order
    assert problems(json.dumps(body).encode()) == ["body: not the documented form fields"]


def test_a_members_lists_travel_as_its_encoding_says() -> None:
    body = {"expand": ["a", "b"], "tags": ["x", "y"], "meta": {"k": [1, 2]}, "items": [{"p": 1}], "one": ["z"]}
    lists = list_styles({"expand": {"style": "deepObject", "explode": True}, "tags": {"style": "form", "explode": False},
                         "one": {"style": "pipeDelimited", "explode": False}, "meta": {"style": "deepObject"},
                         "plain": {"style": "form", "explode": True}})
    assert lists == {"expand": "index", "tags": ",", "one": "|", "meta": "index"}
    assert form_text(body, lists) == "expand[0]=a&expand[1]=b&tags=x,y&meta[k][0]=1&meta[k][1]=2&items[0][p]=1&one=z"
    # Lists below a member are indexed whatever its style (PHP and Rack keep only the last of a repeated `meta[k]`).
    assert form_text(body) == "expand=a&expand=b&tags=x&tags=y&meta[k][0]=1&meta[k][1]=2&items[0][p]=1&one=z"
    # Indices read back in their order, wherever they start and whatever their gaps (as Rails and qs do).
    assert indexed_lists(form_value([("a[2]", "x"), ("a[0]", "y"), ("a[10]", "z")])) == {"a": ["y", "x", "z"]}


def test_alternatives_take_the_text_as_sent_first_and_enums_count() -> None:
    schema = {"type": "object", "properties": {
        "trial_end": {"anyOf": [{"type": "string", "enum": ["now"]}, {"type": "integer"}]},
        "fields": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string", "enum": [""]}]},
        "tags": {"type": "array", "items": {"type": "integer"}},
        "count": {"type": "integer"}, "ratio": {"type": "number"}}}
    assert typed_form({"trial_end": "1700000000", "fields": ""}, schema) == {"trial_end": 1700000000, "fields": ""}
    assert typed_form({"trial_end": "now", "fields": "a"}, schema) == {"trial_end": "now", "fields": ["a"]}
    assert typed_form({"tags": "1,2,3"}, schema, {"tags": ","}) == {"tags": [1, 2, 3]}
    assert typed_form({"count": "1.0", "ratio": "1e999"}, schema) == {"count": 1, "ratio": "1e999"}
    huge = "9" * 5000  # over what Python's int() reads: left as text, for the schema to refuse
    assert typed_form({"count": huge}, schema) == {"count": huge}


def test_an_optional_body_is_sent_only_with_an_example_that_fits(tmp_path: Path) -> None:
    # Optional bodies whose schema requires members are sent (Twilio's calls need To and From),
    # unless no example can fit their schema: then the body is documented, its schema kept.
    impossible = {"type": "string", "minLength": 5, "maxLength": 2}
    spec = {"openapi": "3.0.3", "info": {"title": "Optional", "version": "1"}, "paths": {
        "/fits": {"post": {"operationId": "fits", "requestBody": {"content": {FORM: {"schema": {
            "type": "object", "required": ["To"], "properties": {"To": {"type": "string"}}}}}},
            "responses": {"200": {"description": "ok"}}}},
        "/never": {"post": {"operationId": "never", "requestBody": {"content": {FORM: {"schema": {
            "type": "object", "required": ["To"], "properties": {"To": impossible}}}}},
            "responses": {"200": {"description": "ok"}}}}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(tmp_path / "spec.json"), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    fits = yaml.safe_load(next((tmp_path / "out").glob("docs/**/fits.md")).read_text(encoding="utf-8").split("---")[1])
    never = yaml.safe_load(next((tmp_path / "out").glob("docs/**/never.md")).read_text(encoding="utf-8").split("---")[1])
    assert fits["example"]["body"] == {"To": "string"} and fits["request"]["required"] is False
    assert "body" not in never.get("example", {}) and never["request"]["schema"]["properties"]["To"] == impossible


def test_the_schema_decides_lists_empty_members_enums_and_formats() -> None:
    schema = {"type": "object", "required": ["meta", "ids"], "properties": {
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "prices": {"type": "object", "additionalProperties": {"type": "number"}},
        "rows": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        "level": {"enum": [1, 2]},
        "at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
        "short": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer"}]},
        "big": {"type": "integer"}}}
    sent = form_value([("prices[7]", "5"), ("prices[9]", "6.5"), ("rows[1][n]", "2"), ("rows[0][n]", "1"),
                       ("level", "2"), ("at", "1700000000"), ("short", "12345"), ("big", "9" * 400)])
    assert typed_form(sent, schema) == {
        "prices": {"7": 5, "9": 6.5},  # an object keyed by numbers keeps its keys
        "rows": [{"n": 1}, {"n": 2}],  # a list sent as indexed names, in their order
        "level": 2, "at": 1700000000, "short": 12345, "big": int("9" * 400),
        "meta": {}, "ids": []}  # required, and only empty could be missing: a form cannot send them


def test_the_export_of_a_self_referring_form_schema_ends_at_once(tmp_path: Path) -> None:
    # Each `$ref` of a member is followed once along a path: anyOf of n refs to itself was n^8 steps.
    definition = tmp_path / "docs" / "loop.md"
    definition.parent.mkdir()
    looped = {"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/a"}] * 12 + [{"type": "string"}]}}, "type": "object",
              "properties": {"x": {"$ref": "#/$defs/a"}}}
    definition.write_text("---\ntitle: /loop\nmethod: post\nexample:\n  headers:\n"
                          f"    Content-Type: {FORM}\n  body:\n    x: a\nrequest:\n  schema: {json.dumps(looped)}\n---\nLoops.\n",
                          encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: Loop\nplugins:\n  - apidocs\n", encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(tmp_path / "mkdocs.yml"), "export-openapi", "-o",
                             str(tmp_path / "out.json")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    content = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["paths"]["/loop"]["post"]["requestBody"]["content"]
    assert list(content) == [FORM]


def _sent_forms(project: Path) -> dict[str, str]:
    """What each form endpoint of a project sends, by path."""
    from apidocs.config.loading import load_settings
    from apidocs.definitions.loader import load_endpoints
    from apidocs.rendering.request import build_request

    settings = load_settings(project / "mkdocs.yml")
    endpoints, _ = load_endpoints(settings)
    requests_ = [build_request(endpoint, settings.auth, "http://x") for endpoint in endpoints]
    return {request.path: form_text(request.body, request.form_lists) for request in requests_ if request.is_form}


def test_an_export_imported_again_sends_the_same_fields(tmp_path: Path) -> None:
    # The export adds deepObject for members that may be objects; imported again, that must not
    # change what goes on the wire (a member that may also be a plain list keeps the default).
    spec = {"openapi": "3.0.3", "info": {"title": "Round", "version": "1"}, "paths": {"/orders": {"post": {
        "operationId": "order",
        "requestBody": {"required": True, "content": {FORM: {"schema": {"type": "object", "properties": {
            "filter": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
            "lines": {"type": "array", "items": {"type": "object", "properties": {
                "tags": {"type": "array", "items": {"type": "string"}}}}},
            "either": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
            "csv": {"type": "array", "items": {"type": "string"}}}},
            "encoding": {"csv": {"style": "form", "explode": False}},
            "example": {"filter": {"tags": ["l", "m"]}, "lines": [{"tags": ["n", "o"]}], "either": ["p", "q"],
                        "csv": ["Paris, France", "Rome"]}}}},
        "responses": {"200": {"description": "ok"}}}}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")

    def run(*arguments: str) -> str:
        result = subprocess.run([PYTHON, "-m", "apidocs", *arguments], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("import-openapi", str(tmp_path / "spec.json"), str(tmp_path / "first"))
    # Items holding the delimiter that joins them cannot come back as sent: the report says so.
    assert "form field `csv`: an example item holds ','" in (tmp_path / "first" / "import-report.txt").read_text(encoding="utf-8")
    run("-f", str(tmp_path / "first" / "mkdocs.yml"), "export-openapi", "-o", str(tmp_path / "exported.json"))
    run("import-openapi", str(tmp_path / "exported.json"), str(tmp_path / "again"))
    first, again = _sent_forms(tmp_path / "first"), _sent_forms(tmp_path / "again")
    assert first == again
    assert first["/orders"].startswith("filter[tags][0]=l&filter[tags][1]=m&lines[0][tags][0]=n&lines[0][tags][1]=o&either=p&either=q")


def test_a_required_field_without_a_schema_is_sent_as_text(tmp_path: Path) -> None:
    # Box's token revoke requires `grant_type` and describes no such field: made up as `{}`, it
    # sent no field, and the sandbox refused every snippet (400, the field is required).
    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/revoke": {"post": {
        "operationId": "revoke", "requestBody": {"required": True, "content": {FORM: {"schema": {
            "type": "object", "required": ["grant_type"], "properties": {"token": {"type": "string"}}}}}},
        "responses": {"200": {"description": "revoked"}}}}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    dest = tmp_path / "project"
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(tmp_path / "spec.json"), str(dest)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "`grant_type` have no schema" in (dest / "import-report.txt").read_text(encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(dest / "mkdocs.yml"), "check", "-j", "2"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


JSON_MEMBER = {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "integer"}}}


def _json_member_operation(media_type: str, name: str) -> dict[str, Any]:
    schema = {"type": "object", "required": ["amount", "meta"],
              "properties": {"amount": {"type": "integer"}, "meta": JSON_MEMBER}}
    return {"post": {"operationId": name, "requestBody": {"required": True, "content": {media_type: {
        "schema": schema, "example": {"amount": 2000, "meta": {"order_id": 6735}},
        "encoding": {"meta": {"contentType": "application/json"}}}}},
        "responses": {"200": {"description": "paid"}}}}


@pytest.fixture(scope="module")
def json_members(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A form and a multipart body whose member `meta` is JSON (`encoding: {meta: {contentType: application/json}}`)."""
    folder = tmp_path_factory.mktemp("json-members")
    spec = {"openapi": "3.1.0", "info": {"title": "Members", "version": "1"}, "servers": [{"url": "https://api.example.com"}],
            "paths": {"/forms": _json_member_operation(FORM, "payByForm"),
                      "/parts": _json_member_operation("multipart/form-data", "payByParts")}}
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(folder / "spec.json"), str(folder / "project")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return folder / "project"


def test_a_member_encoded_as_json_is_one_field_of_its_json_text(json_members: Path) -> None:
    """OpenAPI's `encoding.contentType`: the member is serialized as JSON, in one field (or part),
    not as bracketed fields (`meta[order_id]=6735`), by every snippet; the check passes."""
    from apidocs.config.loading import load_settings
    from apidocs.definitions.loader import load_endpoints
    from apidocs.model.multipart import multipart_parts
    from apidocs.rendering.request import build_request

    settings = load_settings(json_members / "mkdocs.yml")
    endpoints, _ = load_endpoints(settings)
    sent = {request.path: request for request in (build_request(endpoint, settings.auth, "http://x") for endpoint in endpoints)}
    assert form_fields(sent["/forms"].body, sent["/forms"].form_lists) == [("amount", "2000"), ("meta", '{"order_id": 6735}')]
    parts = multipart_parts(sent["/parts"].body, sent["/parts"].files, sent["/parts"].form_lists)
    assert [(part.name, part.value) for part in parts] == [("amount", "2000"), ("meta", '{"order_id": 6735}')]
    report = (json_members / "import-report.txt").read_text(encoding="utf-8")
    assert "multipart field `meta`: sent as a part holding its JSON text, without a Content-Type of its own" in report
    assert "bracketed" not in report
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(json_members / "mkdocs.yml"), "check", "-j", "2"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed, 0 failed" in result.stdout


def test_the_sandbox_reads_a_json_member_and_checks_it_against_its_schema(json_members: Path) -> None:
    sandbox = start_sandbox(json_members / "state.sqlite3", config=json_members / "mkdocs.yml")
    try:
        def status(path: str, **sent: Any) -> int:
            return requests.post(f"{sandbox.url}{path}", headers=TOKEN, timeout=10, **sent).status_code

        assert status("/forms", data={"amount": "5", "meta": '{"order_id": 6735}'}) == 200
        assert status("/parts", files={"amount": (None, "5"), "meta": (None, '{"order_id": 6735}')}) == 200
        assert status("/forms", data={"amount": "5", "meta[order_id]": "6735"}) == 400  # not the JSON it must be
        assert status("/forms", data={"amount": "5", "meta": "{order_id: 6735"}) == 400
        assert status("/forms", data={"amount": "5", "meta": '{"order_id": "6735"}'}) == 400  # its schema asks for a number
        assert status("/parts", files={"amount": (None, "5"), "meta": (None, '{"order": 1}')}) == 400
        # Read with a JSON body's bounds: nesting past the parser's recursion was a 500.
        for hostile in ("[" * 50000, '{"order_id": 1, "x": "\\ud800"}', '{"order_id": 1, "x": "\\u0000"}', ""):
            answer = requests.post(f"{sandbox.url}/forms", headers=TOKEN, timeout=10, data={"amount": "5", "meta": hostile})
            assert answer.status_code == 400 and "detail" in answer.json(), (hostile[:20], answer.text[:200])
        assert "Traceback" not in sandbox.log.read_text(encoding="utf-8")
    finally:
        sandbox.stop()


def test_the_export_keeps_a_members_json_encoding(json_members: Path, tmp_path: Path) -> None:
    result = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(json_members / "mkdocs.yml"), "export-openapi", "-o",
                             str(tmp_path / "out.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    paths = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["paths"]
    for path, media_type in (("/forms", FORM), ("/parts", "multipart/form-data")):
        assert paths[path]["post"]["requestBody"]["content"][media_type]["encoding"] == {"meta": {"contentType": "application/json"}}
