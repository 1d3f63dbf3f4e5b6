"""A form body read as its schema's types, before the schema checks it.

Every leaf of a form is text (`model/forms.py` reads `amount=2000` as `{"amount": "2000"}`), and a
name sent once cannot tell a one-item list from a single value. The schema can: this walks the
value beside it and turns text into the integer, number, boolean or null the schema asks for
where the text reads as one, wraps a single value where a list is asked for, and turns a list
read from indices back into an object where an object is asked for. Anything else stays as sent,
so the schema's check then says what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
MAX_DEPTH = 64  # schemas and `$ref`s followed for one value, nested
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
        if kind == "integer" and _INTEGER.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER.fullmatch(text):
            number = float(text)
            return int(text) if _INTEGER.fullmatch(text) else number
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "null" and text == "":
            return None
    return text


def typed_form(value: Any, schema: Any) -> Any:
    """`value` (a form read back) with its text typed as `schema` asks (its `$ref`s inside it)."""
    return _typed(value, schema, schema, 0, [MAX_STEPS])


def _typed(value: Any, schema: Any, root: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0 or not isinstance(schema, dict):
        return value
    reference = schema.get("$ref")
    if isinstance(reference, str):
        value = _typed(value, _pointer(root, reference), root, depth + 1, budget)
    for part in schema.get("allOf") or []:
        value = _typed(value, part, root, depth + 1, budget)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for branch in branches:  # the first branch that takes the value once typed
                typed = _typed(value, branch, root, depth + 1, budget)
                if _takes(typed, branch, root):
                    value = typed
                    break
    types = _types(schema)
    if not types:
        return value
    if isinstance(value, str):
        if "array" in types and "string" not in types:
            return [_typed(value, schema.get("items"), root, depth + 1, budget)]
        return _scalar(value, types)
    if isinstance(value, list):
        if "array" not in types and "object" in types:
            value = {str(index): item for index, item in enumerate(value)}
        else:
            items = schema.get("items")
            given = schema.get("prefixItems")
            prefix: list[Any] = given if isinstance(given, list) else []
            return [_typed(item, prefix[index] if index < len(prefix) else items, root, depth + 1, budget)
                    for index, item in enumerate(value)]
    if isinstance(value, dict):
        declared = schema.get("properties")
        properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
        others = schema.get("additionalProperties")
        return {key: _typed(member, properties.get(key, others), root, depth + 1, budget) for key, member in value.items()}
    return value


def _takes(value: Any, schema: Any, root: Any) -> bool:
    """Whether `schema`'s types (its `$ref`s followed) allow `value`'s JSON type; no types: yes."""
    for _ in range(MAX_DEPTH):
        if not isinstance(schema, dict):
            return True
        if _types(schema) or not isinstance(schema.get("$ref"), str):
            break
        schema = _pointer(root, schema["$ref"])
    types = _types(schema) if isinstance(schema, dict) else []
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
