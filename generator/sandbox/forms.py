"""A form body read as its schema's types, before the schema checks it.

Every leaf of a form is text (`model/forms.py` reads `amount=2000` as `{"amount": "2000"}`), and a
name sent once cannot tell a one-item list from a single value. The schema can: this walks the
value beside it and turns text into the integer, number, boolean or null the schema asks for
where the text reads as one, wraps a single value where a list is asked for, and turns a list
read from indices back into an object where an object is asked for. Anything else stays as sent,
so the schema's check then says what is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from apidocs.model.forms import INDEX, REPEAT

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
MAX_DEPTH = 64  # schemas and `$ref`s followed for one value, nested
MAX_DIGITS = 4000  # an integer's digits read as one (Python's int() refuses over 4,300)
MAX_STEPS = 20_000  # schemas visited for one body: alternatives nested in alternatives multiply


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [item for item in kind if isinstance(item, str)]
    if isinstance(schema.get("properties"), dict):
        return ["object"]
    if isinstance(schema.get("items"), dict):
        return ["array"]
    return []


def _pointer(root: Any, reference: str) -> Any:
    """The part of `root` a local `$ref` (`#/$defs/x`) names, or None."""
    if not reference.startswith("#"):
        return None
    target = root
    for raw in reference[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return None
    return target


def _scalar(text: str, types: list[str]) -> Any:
    if "string" in types:
        return text
    for kind in types:
        if kind in ("integer", "number") and _NUMBER.fullmatch(text):
            number = float(text)
            if not math.isfinite(number):  # `1e999`: no JSON number
                continue
            if _INTEGER.fullmatch(text) and len(text) <= MAX_DIGITS:
                return int(text)
            if kind == "number":
                return number
            if number.is_integer() and abs(number) < 2**53:  # `1.0` is an integer to JSON Schema
                return int(number)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "null" and text == "":
            return None
    return text  # the schema's check says what is wrong with it


def typed_form(value: Any, schema: Any, lists: Mapping[str, str] | None = None) -> Any:
    """`value` (a form read back) with its text typed as `schema` asks (its `$ref`s inside it);
    `lists`: members whose lists travel as one text joined by a delimiter (`forms.list_styles`)."""
    return _typed(value, schema, schema, 0, [MAX_STEPS], lists or {}, None)


def _typed(value: Any, schema: Any, root: Any, depth: int, budget: list[int], lists: Mapping[str, str],
           delimiter: str | None) -> Any:
    """`lists` applies to `value`'s members, `delimiter` to `value` itself."""
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0 or not isinstance(schema, dict):
        return value

    def same(inner: Any, part: Any) -> Any:  # `value` again, under a part of its schema
        return _typed(inner, part, root, depth + 1, budget, lists, delimiter)

    def member(inner: Any, part: Any, how: str | None = None) -> Any:
        return _typed(inner, part, root, depth + 1, budget, {}, how)

    reference = schema.get("$ref")
    if isinstance(reference, str):
        value = same(value, _pointer(root, reference))
    for part in schema.get("allOf") or []:
        value = same(value, part)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            value = _alternative(value, [branch for branch in branches if isinstance(branch, dict)], same, root)
    types = _types(schema)
    if not types:
        return value
    if isinstance(value, str):
        if "array" in types and "string" not in types:
            parts = value.split(delimiter) if delimiter and delimiter not in (REPEAT, INDEX) else [value]
            return [member(part, schema.get("items")) for part in parts]
        return _scalar(value, types)
    if isinstance(value, list):
        if "array" not in types and "object" in types:
            value = {str(index): item for index, item in enumerate(value)}
        else:
            items = schema.get("items")
            given = schema.get("prefixItems")
            prefix: list[Any] = given if isinstance(given, list) else []
            return [member(item, prefix[index] if index < len(prefix) else items) for index, item in enumerate(value)]
    if isinstance(value, dict):
        declared = schema.get("properties")
        properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
        others = schema.get("additionalProperties")
        return {key: member(inner, properties.get(key, others), lists.get(key)) for key, inner in value.items()}
    return value


def _alternative(value: Any, branches: list[dict[str, Any]], typed: Callable[[Any, Any], Any], root: Any) -> Any:
    """`value` typed by the first of `branches` that takes it: text as it came first (a string
    branch, its enum allowing), then the first that takes it once typed; else as it is."""
    if isinstance(value, str):
        for branch in branches:
            if typed(value, branch) is value and _takes(value, branch, root) and _fits_types(value, branch, root):
                return value
    for branch in branches:
        candidate = typed(value, branch)
        if _takes(candidate, branch, root):
            return candidate
    return value


def _resolved(schema: Any, root: Any) -> Any:
    for _ in range(MAX_DEPTH):
        if not isinstance(schema, dict) or _types(schema) or not isinstance(schema.get("$ref"), str):
            break
        schema = _pointer(root, schema["$ref"])
    return schema


def _fits_types(value: Any, schema: Any, root: Any) -> bool:
    """Whether `schema` (its `$ref`s followed) names types and `value`'s is among them."""
    schema = _resolved(schema, root)
    return isinstance(schema, dict) and bool(_types(schema)) and _takes(value, schema, root)


def _takes(value: Any, schema: Any, root: Any) -> bool:
    """Whether `schema`'s types, enum and const (its `$ref`s followed) allow `value`; none: yes."""
    schema = _resolved(schema, root)
    if not isinstance(schema, dict):
        return True
    if isinstance(schema.get("enum"), list) and not any(_same(value, allowed) for allowed in schema["enum"]):
        return False
    if "const" in schema and not _same(value, schema["const"]):
        return False
    types = _types(schema)
    if not types:
        return True
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return "integer" in types or "number" in types
    if isinstance(value, float):
        return "number" in types
    kind = {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value))
    return kind in types


def _same(value: Any, allowed: Any) -> bool:
    """Equal as JSON values (a boolean is no number)."""
    return isinstance(value, bool) == isinstance(allowed, bool) and value == allowed
