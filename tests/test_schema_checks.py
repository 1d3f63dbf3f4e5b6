"""`check_schema` answers as `jsonschema` does (its fast path, jsonschema-rs, never lets through a
schema `jsonschema` refuses), and patterns are read as ECMA-262."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apidocs.model.validation import FORMATS, SchemaError, SchemaValidator, check_schema

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
