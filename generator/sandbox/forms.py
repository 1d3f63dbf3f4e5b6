"""A form body read as its schema's types, before the schema checks it.

Every leaf of a form is text (`model/forms.py` reads `amount=2000` as `{"amount": "2000"}`), a
name sent once cannot tell a one-item list from a single value, `name[0]` cannot tell a list
from an object keyed `0`, and an empty list or object is not sent at all. The schema can tell:
this walks the value beside it and
- turns text into the integer, number, boolean or null the schema asks for, where it reads as one;
- wraps a single value, splits a joined one (`request.encoding`) or reads an object keyed by
  indices as a list, where a list is asked for;
- puts back a required member that can only be an empty object or list (a form cannot send one).
Anything else stays as sent, so the schema's check then says what is wrong. A member sent as
one field of JSON text (`request.encoding` with a JSON `contentType`) is read as that JSON,
untouched by the typing: its text says its types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from apidocs.model.endpoint import NO_BODY
from apidocs.model.forms import INDEX, JSON_TEXT, REPEAT, FormError, as_list, name_path
from apidocs.model.validation import pointed_at
from apidocs.model.values import wire_value
from apidocs.sandbox.body import parse_json
from apidocs.sandbox.errors import ApiError

MAX_DEPTH = 64  # schemas and `$ref`s followed for one value, nested
MAX_STEPS = 20_000  # schemas visited for one body: alternatives nested in alternatives multiply
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object",
               type(None): "null"}


def _types(schema: dict[str, Any]) -> list[str]:
    """The JSON types `schema` allows, by `type`, else by what it describes or lists."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [item for item in kind if isinstance(item, str)]
    if isinstance(schema.get("properties"), dict):
        return ["object"]
    if isinstance(schema.get("items"), dict):
        return ["array"]
    listed = schema["enum"] if isinstance(schema.get("enum"), list) else [schema["const"]] if "const" in schema else []
    return sorted({_JSON_TYPES.get(type(value), "string") for value in listed})


def typed_form(value: Any, schema: Any, lists: Mapping[str, str] | None = None) -> Any:
    """`value` (a form read back) with its text typed as `schema` asks (its `$ref`s inside it);
    `lists`: members whose lists travel as one text joined by a delimiter, or that are JSON text
    (`forms.list_styles`). FormError when a JSON member is not one field of JSON text."""
    lists = lists or {}
    held = {name: _json_member(name, value[name]) for name, how in lists.items()
            if how == JSON_TEXT and isinstance(value, dict) and name in value}
    if held:
        value = {key: member for key, member in value.items() if key not in held}
    typed = _typed(value, schema, schema, 0, [MAX_STEPS], lists, None)
    return {**typed, **held} if isinstance(typed, dict) else typed


def _json_member(name: str, sent: Any) -> Any:
    if not isinstance(sent, str):
        raise FormError(f"the field {name[:60]!r} must be sent once, as its JSON text (its encoding's contentType is JSON)")
    try:  # read as a JSON body is, with its bounds (depth, huge numbers, lone surrogates, NUL)
        value = parse_json(sent.encode("utf-8", "surrogatepass"), None)
    except ApiError as error:
        raise FormError(f"the field {name[:60]!r} is not JSON text (its encoding's contentType is JSON): "
                        f"{error.detail.removeprefix('the body is not ')}") from None
    if value is NO_BODY:
        raise FormError(f"the field {name[:60]!r} is empty: its encoding's contentType is JSON")
    return value


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
        value = same(value, pointed_at(root, reference))
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
        return wire_value(value, types)
    if isinstance(value, dict) and "array" in types and "object" not in types:
        listed = as_list(value)  # `name[0]=…&name[1]=…`
        value = listed if listed is not None else value
    if isinstance(value, list):
        items = schema.get("items")
        given = schema.get("prefixItems")
        prefix: list[Any] = given if isinstance(given, list) else []
        return [member(item, prefix[index] if index < len(prefix) else items) for index, item in enumerate(value)]
    if isinstance(value, dict):
        declared = schema.get("properties")
        properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
        others = schema.get("additionalProperties")
        value = _bracketed_names_kept(value, properties)
        typed = {key: member(inner, properties.get(key, others), lists.get(key)) for key, inner in value.items()}
        for name in schema.get("required") or []:
            if isinstance(name, str) and name not in typed:
                empty = _empty_container(properties.get(name), root)
                if empty is not None:
                    typed[name] = empty
        return typed
    return value


def _bracketed_names_kept(value: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """`value` with the members the schema names with brackets itself (`template[name]`, as
    Rails-style specs list a multipart body's fields) taken back out of the objects the form's
    reading nested them in (`template` → `name`)."""
    named = [name for name in properties if "[" in name and name not in value]
    if not named:
        return value
    value = dict(value)
    for name in named:
        path = name_path(name)
        if len(path) < 2:
            continue
        chain = [value]
        for key in path[:-1]:
            inner = chain[-1].get(key)
            if not isinstance(inner, dict):
                break
            chain.append(dict(inner))  # copies: the form as read stays as it was
        else:
            if path[-1] in chain[-1]:
                found = chain[-1].pop(path[-1])
                for depth in range(len(chain) - 1, 0, -1):  # each copy in its parent; emptied ones left out
                    if chain[depth]:
                        chain[depth - 1][path[depth - 1]] = chain[depth]
                    else:
                        chain[depth - 1].pop(path[depth - 1])
                value[name] = found
    return value


def _empty_container(schema: Any, root: Any) -> Any:
    """`{}` or `[]` where `schema` allows only an object or only a list (a form cannot send one
    empty); None otherwise."""
    types = _types(_resolved(schema, root))
    return {} if types == ["object"] else [] if types == ["array"] else None


def _alternative(value: Any, branches: list[dict[str, Any]], typed: Callable[[Any, Any], Any], root: Any) -> Any:
    """`value` under the first of `branches` that takes it. Text, in this order: where a branch
    lists it (`enum`, `const`); read as a number, boolean or null where a branch asks for one (a
    timestamp before a string with a format); as sent where a string branch takes it; then any
    branch that takes it typed (wrapped in a list). Else as it is."""
    typed_by: dict[int, Any] = {}  # each branch's typing, done once however many tries look at it

    def candidate(branch: dict[str, Any]) -> Any:
        if id(branch) not in typed_by:
            typed_by[id(branch)] = typed(value, branch)
        return typed_by[id(branch)]

    def lists(branch: dict[str, Any], typed_value: Any) -> bool:
        resolved = _resolved(branch, root)
        return "enum" in resolved or "const" in resolved

    def reads(branch: dict[str, Any], typed_value: Any) -> bool:
        return typed_value is not value and not isinstance(typed_value, (list, dict))

    def as_sent(branch: dict[str, Any], typed_value: Any) -> bool:
        return typed_value is value

    def any_way(branch: dict[str, Any], typed_value: Any) -> bool:
        return True

    tries: list[Callable[[dict[str, Any], Any], bool]] = [lists, reads, as_sent, any_way] if isinstance(value, str) else [any_way]
    for wanted in tries:
        for branch in branches:
            if wanted(branch, candidate(branch)) and _takes(candidate(branch), branch, root):
                return candidate(branch)
    return value


def _resolved(schema: Any, root: Any) -> Any:
    """`schema` with a `$ref` alone followed (to the schema that says something)."""
    for _ in range(MAX_DEPTH):
        if not isinstance(schema, dict) or _types(schema) or not isinstance(schema.get("$ref"), str):
            break
        schema = pointed_at(root, schema["$ref"])
    return schema if isinstance(schema, dict) else {}


def _takes(value: Any, schema: Any, root: Any) -> bool:
    """Whether `schema`'s types, enum and const (its `$ref`s followed) allow `value`; none: yes."""
    schema = _resolved(schema, root)
    if isinstance(schema.get("enum"), list) and not any(_same(value, allowed) for allowed in schema["enum"]):
        return False
    if "const" in schema and not _same(value, schema["const"]):
        return False
    types = _types(schema)
    if not types:
        return True
    kind = _JSON_TYPES.get(type(value))
    return kind in types or (kind == "integer" and "number" in types)


def _same(value: Any, allowed: Any) -> bool:
    """Equal as JSON scalars (a boolean is no number)."""
    return isinstance(value, bool) == isinstance(allowed, bool) and value == allowed
