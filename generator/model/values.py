"""Values against what documents them: a path, query or header value (always text on the wire)
against its parameter's JSON Schema (`request.parameters`) or `(type)`, and a body field against
the request parameter list. What the sandbox refuses, and what lint finds in an example that the
sandbox would refuse."""

from __future__ import annotations

import math
import re
from typing import Any

from referencing.exceptions import Unresolvable

from apidocs.model.endpoint import Endpoint, Parameter
from apidocs.model.types import schema_of_type_word
from apidocs.model.validation import schema_validator

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
MAX_DIGITS = 4000  # an integer's digits read as one (Python's int() refuses over 4,300)


def wire_value(text: str, types: list[str]) -> Any:
    """A value that is text on the wire (a path, query or header value, a form field) as the first
    of its documented JSON `types` it reads as; as it is when none does, or when "string" is one."""
    if "string" in types:
        return text
    for kind in types:
        if kind in ("integer", "number") and _INTEGER.fullmatch(text) and len(text) <= MAX_DIGITS:
            return int(text)
        if kind in ("integer", "number") and _NUMBER.fullmatch(text):
            number = float(text)
            if not math.isfinite(number):  # `1e999`: no JSON number
                continue
            if kind == "number":
                return number
            if number.is_integer() and abs(number) < 2**53:  # `1.0` is an integer to JSON Schema
                return int(number)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "null" and text == "":
            return None
    return text  # the schema's check says what is wrong with it


class ValueCheck:
    """One documented path, query or header parameter, checked against its JSON Schema when the
    definition gives one (`request.parameters`), else against its `(type)`."""

    def __init__(self, parameter: Parameter, place: str, schema: dict[str, Any] | None = None) -> None:
        self.name = parameter.name
        self.place = place
        self.required = parameter.is_required
        if schema is None:
            schema = schema_of_type_word(parameter.type)
        elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            schema = schema["items"]  # a list travels as the parameter repeated: each value is one item
        kind = schema.get("type")
        self.types = [kind] if isinstance(kind, str) else list(kind or [])
        self.validator = schema_validator(schema) if schema else None

    def problem(self, text: str) -> str | None:
        if self.validator is None:
            return None
        try:
            error = next(iter(self.validator.iter_errors(wire_value(text, self.types))), None)
        except Unresolvable:  # a `$ref` out of the schema (the loader refuses them): nothing to check against
            return None
        return None if error is None else f"{self.place} parameter `{self.name}` {_reason(error)}, not {text!r}"


def _reason(error: Any) -> str:
    if error.validator == "type":
        return f"must be of type {error.validator_value}"
    if error.validator == "format":
        return f"must be a {error.validator_value}"
    return "does not match its schema: " + str(error.message)


def example_values(endpoint: Endpoint, place: str, name: str) -> list[str]:
    """The values the example sends for a `path`, `query` or `header` parameter (header names case-blind)."""
    if place == "path":
        documented = endpoint.example.path_params
        return [documented[name]] if name in documented else []
    if place == "query":
        return [value for key, value in endpoint.example.query if key == name]
    return [value for key, value in endpoint.example.headers if key.lower() == name.lower()]


def field_values(body: dict[str, Any], field: Parameter) -> tuple[list[object], bool]:
    """The values a documented field has in `body`, and whether an object that should hold it does not.

    A nested field is required only where its parent is present, as JSON Schema reads `required`.
    """
    if field.name in body:
        return [body[field.name]], False
    parents: list[object] = [body]
    parts = field.path
    missing = False
    for index, part in enumerate(parts):
        found: list[object] = []
        for parent in parents:
            if part == "[]":
                found += parent if isinstance(parent, list) else []
            elif isinstance(parent, dict):
                if part in parent:
                    found.append(parent[part])
                elif index == len(parts) - 1:
                    missing = True
        parents = found
    return parents, missing
