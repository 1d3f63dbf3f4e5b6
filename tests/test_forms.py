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

from apidocs.model.forms import FormError, form_fields, form_map, form_text, form_value, read_form
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
        "items": [{"price": "p_1", "quantity": "2"}], "space": "a b&c=d~*"}


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
    "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}},
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
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "description": {"type": "string"}}},
                "encoding": {"metadata": {"style": "deepObject", "explode": True}},
                "example": {"amount": 2000, "currency": "usd", "capture": False, "expand": ["customer", "invoice"],
                            "metadata": {"order_id": "6735"}, "description": "Tea & biscuits, 100% 'fine'"}}}},
            "responses": {"200": {"description": "the charge", "content": {"application/json": {
                "example": {"id": "ch_1", "amount": 2000}}}},
                "400": {"description": "invalid", "content": {"application/json": {"example": {"error": "invalid"}}}}}}},
        "/tokens": {"post": {
            "operationId": "createToken",
            "requestBody": {"content": {FORM: {"schema": {"type": "object", "properties": {
                "grant_type": {"type": "string"}, "scope": {"type": "string"}}}}}},
            "responses": {"200": {"description": "a token", "content": {"application/json": {"example": {"token": "t"}}}}}}},
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
    assert "8 passed, 0 failed" in result.stdout
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


def test_json_sent_to_a_form_endpoint_is_refused_as_the_api_would(payments: RunningSandbox) -> None:
    answer = requests.post(f"{payments.url}/charges", json={"amount": 2000, "currency": "usd"}, headers=TOKEN, timeout=10)
    assert answer.status_code == 415
    assert FORM in answer.json()["detail"]


def test_the_pages_show_form_snippets(project: Path) -> None:
    page = next(project.glob("docs/**/create-charge.md")).read_text(encoding="utf-8")
    assert f"Content-Type: {FORM}" in page
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
    assert charge[FORM]["encoding"] == {"metadata": {"style": "deepObject", "explode": True}}
    assert charge[FORM]["schema"]["properties"]["amount"]["minimum"] == 50
    assert list(operations["createToken"]["requestBody"]["content"]) == [FORM]  # no example, still a form
    # Imported again, the form stays a form.
    again = tmp_path / "again"
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(out), str(again)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"Content-Type: {FORM}" in next(again.glob("docs/**/create-charge.md")).read_text(encoding="utf-8")


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
