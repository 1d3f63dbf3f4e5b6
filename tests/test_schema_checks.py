"""`check_schema` answers as `jsonschema` does (its fast path, jsonschema-rs, never lets through a
schema `jsonschema` refuses), and patterns are read as ECMA-262; the definitions' own check
(`schema_findings`) likewise never lets through front matter `jsonschema` refuses."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from apidocs.definitions.format import definition_schema, passes_quickly
from apidocs.definitions.frontmatter import split_front_matter
from apidocs.model.validation import FORMATS, SchemaError, SchemaValidator, check_schema
from conftest import ROOT

KEYWORDS = ["type", "properties", "items", "required", "enum", "minimum", "maxLength", "pattern", "patternProperties",
            "anyOf", "allOf", "oneOf", "not", "additionalProperties", "prefixItems", "$ref", "$defs", "const", "format",
            "minItems", "uniqueItems", "dependentRequired", "if", "then", "else", "$schema", "examples", "description"]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(["string", "object", "integer", "null", "array", "number", "boolean", "description",
                                    r"^\p{L}+$", "(unclosed", "[a-z]+", "#/$defs/a", "x"]))


def schemas() -> st.SearchStrategy[Any]:
    return st.recursive(
        VALUES,
        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                st.dictionaries(st.sampled_from(KEYWORDS), inner, max_size=4),
                                st.dictionaries(st.sampled_from(["a", "b", "[a-z]+", "(x"]), inner, max_size=3)),
        max_leaves=12,
    )


def verdict(check: Any, schema: Any) -> bool:
    try:
        check(schema)
    except SchemaError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(schemas())
def test_the_fast_path_gives_jsonschemas_verdict(schema: Any) -> None:
    authority = verdict(lambda value: SchemaValidator.check_schema(value, format_checker=FORMATS), schema)
    assert verdict(check_schema, schema) == authority


@pytest.mark.parametrize(("schema", "valid"), [
    ({"type": "string", "pattern": r"^[\p{L}\p{Zs}'-]+$"}, True),  # AWS writes these
    ({"patternProperties": {r"^\p{Lu}": {"type": "integer"}}}, True),
    ({"type": "string", "pattern": "(unclosed"}, False),
    ({"properties": {"a": {"type": "description"}}}, False),
    ({"$schema": "http://json-schema.org/draft-07/schema#", "items": [{}]}, False),  # read as 2020-12, as the sandbox does
])
def test_known_cases(schema: dict[str, Any], valid: bool) -> None:
    assert verdict(check_schema, schema) == valid


# Front matter as the loader reads it (YAML or JSON: dicts, lists, text, numbers, booleans, null),
# with the keys of the definition format and values near its edges: statuses as numbers and as
# ranges with spaces and newlines, header names `$` in `re` lets end in a newline, large numbers.
FRONT_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.sampled_from([99, 100, 200.0, 599, 600, "4XX", "4xx\n", " default ", "5XX\u2028", "Accept", "Accept\n",
                                          "X Bad", "Ünï", "", "/things", "get", "1.2", "op\x1cid", "op\ufeffid"]),
                         st.text(max_size=6))
FRONT_KEYS = st.sampled_from(["title", "name", "position", "method", "description", "operation_id", "servers", "right_code",
                              "example", "request", "responses", "visibility", "status", "headers", "body", "params", "query",
                              "token", "schema", "parameters", "path", "header", "required", "media_type", "files", "title",
                              "Accept", "Accept\n", "X Bad", "url", "other", "encoding", "body_file"])


def front_matters() -> st.SearchStrategy[Any]:
    return st.dictionaries(FRONT_KEYS, st.recursive(
        FRONT_VALUES,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(FRONT_KEYS, inner, max_size=4)),
        max_leaves=10), max_size=5)


@settings(max_examples=600, deadline=None)
@given(front_matters())
def test_the_quick_definition_check_passes_only_what_jsonschema_passes(data: dict[str, Any]) -> None:
    # schema_findings returns nothing when jsonschema-rs finds the front matter valid: it must
    # then be valid for jsonschema too, against the schema as shipped (before its refs are inlined).
    if passes_quickly(data):
        assert next(iter(Draft202012Validator(definition_schema()).iter_errors(data)), None) is None


def test_the_quick_definition_check_passes_the_docs_definitions() -> None:
    pages = [path for path in (ROOT / "docs").rglob("*.md") if path.read_text(encoding="utf-8").startswith("---")]
    fronts = [split_front_matter(path.read_text(encoding="utf-8"), path).data for path in pages]
    assert len([front for front in fronts if "method" in front]) > 5
    assert all(passes_quickly(front) for front in fronts)


@pytest.mark.parametrize("space", ["\x1c", "\x1d", "\x1e", "\x1f"])
def test_white_space_only_python_sees_goes_to_jsonschema(space: str) -> None:
    # Python's `\s` counts U+001C..U+001F as white space, the Rust engine does not: an
    # operation_id holding one passes jsonschema-rs but not jsonschema, whose verdict counts.
    data = {"title": "t", "operation_id": f"get{space}Things"}
    assert jsonschema_rs.Draft202012Validator(definition_schema()).is_valid(data)
    assert next(iter(Draft202012Validator(definition_schema()).iter_errors(data)), None) is not None
    assert not passes_quickly(data)
    assert passes_quickly({"title": "t", "operation_id": "getThings"})
