"""Form bodies (`application/x-www-form-urlencoded`): how a JSON object travels as form fields.

A definition's example body is JSON whatever it is sent as. When the example's Content-Type is
a form, the snippets, the explorer and the check send the object as form fields, and the sandbox
reads the fields back into an object. Field names follow the bracket convention that Rails, PHP
and Stripe read (OpenAPI's `deepObject` style for nested objects):

- a member `name: value` is the field `name=value`;
- a member's list of scalars repeats the name, `tag=a&tag=b` (OpenAPI's default for forms: `form`,
  exploded), unless its `request.encoding` says otherwise (`list_styles`);
- an object's members are `name[key]=…`; a list inside a member, or one that holds objects or
  lists, is indexed, `name[0][key]=…` (OpenAPI's `deepObject`, as Stripe's clients send it);
- a member whose `request.encoding` gives a JSON `contentType` is one field holding its JSON
  text, `meta={"k": 1}` (OpenAPI: the member serialized as that media type);
- scalars as text: a string as it is, a number as JSON writes it, `true`/`false`, null as nothing.

An empty list or object sends no field at all (a form cannot say it). Reading fields back gives
text at the leaves (`form_value`); the sandbox types them by the body's schema before checking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from apidocs.model.headers import is_json_media_type, media_type_essence

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # fields read from one body
MAX_DEPTH = 32  # brackets in one field name


class FormError(ValueError):
    """A value that is not a form, or form fields that are not one object (the message says why)."""


def is_form(content_type: str | None) -> bool:
    """Whether a Content-Type value is the form media type (its parameters aside)."""
    return content_type is not None and media_type_essence(content_type) == FORM_MEDIA_TYPE


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value, allow_nan=False)
    return str(value)


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list))


# How a member's lists of plain values travel, by OpenAPI's `encoding` style and explode of the
# member: its name repeated (`form`, exploded: the default), indexed names (`deepObject`: Stripe,
# PHP, qs), or one field of the texts joined by a delimiter.
REPEAT, INDEX = "repeat", "index"
JSON_TEXT = "json"  # the whole member as one field of its JSON text (an `encoding` with a JSON `contentType`)
_LIST_STYLES = {("form", True): REPEAT, ("form", False): ",", ("spaceDelimited", True): REPEAT,
                ("spaceDelimited", False): " ", ("pipeDelimited", True): REPEAT, ("pipeDelimited", False): "|",
                ("deepObject", True): INDEX, ("deepObject", False): INDEX}
ENCODING_STYLES = ("form", "spaceDelimited", "pipeDelimited", "deepObject")


def list_styles(encoding: Mapping[str, Any] | None) -> dict[str, str]:
    """From a body's `encoding` (member → {style, explode, contentType}, as OpenAPI writes it),
    how each member travels (`JSON_TEXT`) or its lists do (`REPEAT`, `INDEX` or a delimiter);
    members that repeat are left out."""
    styles: dict[str, str] = {}
    for name, how in (encoding or {}).items():
        # OpenAPI: a style or explode given wins over the content type.
        if isinstance(how, Mapping) and is_json_content_type(how.get("contentType")) and "style" not in how and "explode" not in how:
            styles[str(name)] = JSON_TEXT
        elif isinstance(how, Mapping):
            style = how.get("style", "form")
            explode = how.get("explode", style == "form")
            chosen = _LIST_STYLES.get((style, explode is True), REPEAT)
            if chosen != REPEAT:
                styles[str(name)] = chosen
    return styles


def is_json_content_type(content_type: Any) -> bool:
    """Whether an `encoding`'s `contentType` is JSON: OpenAPI lets it list several (`application/json,
    text/plain`); the first is what a client sends."""
    return isinstance(content_type, str) and is_json_media_type(content_type.split(",")[0])


def json_field_text(value: Any) -> str:
    """A member's JSON text as one field holds it: compact on one line, non-ASCII as it is."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def form_fields(value: Any, lists: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The fields, in order, that send the JSON object `value` as a form; `lists`: how a member's
    lists travel when not as its name repeated (`list_styles`)."""
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else "text" if isinstance(value, str) else json.dumps(value)
        raise FormError(f"a form body must be a JSON object (its fields), not {kind}")
    fields: list[tuple[str, str]] = []
    # (name, value, how its lists travel); depth first, in order, without recursion (bodies come from anyone)
    pending: list[tuple[str, Any, str]] = [
        (str(key), member, (lists or {}).get(str(key), REPEAT)) for key, member in reversed(value.items())]
    while pending:
        name, member, style = pending.pop()
        if style == JSON_TEXT:
            fields.append((name, json_field_text(member)))
            continue
        # Lists below a member are indexed (`meta[tags][0]`: a repeated `meta[tags]` keeps only its
        # last value in PHP and Rack); a member's own list travels as its style says.
        if isinstance(member, dict):
            pending.extend((f"{name}[{key}]", inner, INDEX) for key, inner in reversed(member.items()))
        elif isinstance(member, list) and (style == INDEX or any(_is_container(item) for item in member)):
            pending.extend((f"{name}[{index}]", member[index], INDEX) for index in reversed(range(len(member))))
        elif isinstance(member, list) and style != REPEAT:
            if member:
                fields.append((name, style.join(_scalar_text(item) for item in member)))
        elif isinstance(member, list):
            fields.extend((name, _scalar_text(item)) for item in member)
        else:
            fields.append((name, _scalar_text(member)))
    return fields


def form_map(value: Any, lists: Mapping[str, str] | None = None) -> dict[str, str | list[str]]:
    """The fields as a mapping, a repeated name's texts as a list: what Python's `requests` and
    other clients take. `form_fields` repeats a name in a row (a list), so the order is the
    same, unless a member's own name holds brackets (`{"a[b]": 1, "a": {"b": 2}}`): then the
    texts of the name go together."""
    mapping: dict[str, str | list[str]] = {}
    for name, text in form_fields(value, lists):
        held = mapping.get(name)
        if held is None:
            mapping[name] = text
        elif isinstance(held, list):
            held.append(text)
        else:
            mapping[name] = [held, text]
    return mapping


# Kept as they are in the form's text, to keep it readable (`meta[id]=6,7`): they mean nothing
# to a form reader, which splits only at `&` and `=` and decodes only `%` and `+` (`;` is
# encoded: some older readers split at it too; so is `'`, which a shell snippet would quote).
_READABLE = "!$()*,/:?@[]|"


def form_pieces(value: Any, lists: Mapping[str, str] | None = None) -> list[str]:
    """Each field as it goes in the body's text, `name=value`: `%`, `&`, `=`, `+`, `#`, `;`, `'`,
    white space, control and non-ASCII characters percent-encoded (UTF-8), a space as `+`."""
    return [f"{quote_plus(name, safe=_READABLE)}={quote_plus(text, safe=_READABLE)}" for name, text in form_fields(value, lists)]


def form_text(value: Any, lists: Mapping[str, str] | None = None) -> str:
    """The body's bytes as text: its pieces joined by `&`."""
    return "&".join(form_pieces(value, lists))


_NAME = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


def name_path(name: str) -> list[str]:
    """`a[b][0]` → [a, b, 0]; a name outside the convention is one key as it is."""
    found = _NAME.fullmatch(name)
    if found is None:
        return [name]
    keys = re.findall(r"\[([^\[\]]*)\]", found.group(2))
    if len(keys) > MAX_DEPTH:
        raise FormError(f"the field name {name[:60]!r} nests more than {MAX_DEPTH} brackets")
    return [found.group(1), *keys]


def form_value(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form fields read back into an object, text at the leaves: repeated names are lists, and
    `name[0]`, `name[1]` an object keyed by indices (a list only where the schema says so, or by
    `indexed_lists`). Raises FormError for a name that is both text and an object."""
    root: dict[str, Any] = {}
    for name, text in pairs:
        path = name_path(name)
        parent = root
        for depth, key in enumerate(path[:-1]):
            if key == "":
                key = str(len(parent))  # `name[]`: the next item
            child = parent.setdefault(key, {})
            if not isinstance(child, dict):
                raise FormError(f"the form field {'['.join(path[:depth + 1])!r} is both a value and an object")
            parent = child
        last = path[-1]
        if last == "":
            last = str(len(parent))
        if last not in parent:
            parent[last] = text
        elif isinstance(parent[last], list):
            parent[last].append(text)
        elif isinstance(parent[last], str):
            parent[last] = [parent[last], text]
        else:
            raise FormError(f"the form field {name[:60]!r} is both a value and an object")
    return root


INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,8}")


def as_list(members: dict[str, Any]) -> list[Any] | None:
    """An object keyed by indices only as the list it stands for, in the indices' order (gaps
    closed up, as Rails and qs read them); None for any other object."""
    if members and all(INDEX_KEY.fullmatch(key) for key in members):
        return [members[key] for key in sorted(members, key=int)]
    return None


def indexed_lists(body: dict[str, Any]) -> dict[str, Any]:
    """A form read back with every object below the top keyed by indices only as a list: how it
    reads without a schema to say which are lists."""
    def lists(value: Any) -> Any:
        if isinstance(value, dict):
            members = {key: lists(member) for key, member in value.items()}
            listed = as_list(members)
            return members if listed is None else listed
        if isinstance(value, list):
            return [lists(item) for item in value]
        return value

    return {key: lists(member) for key, member in body.items()}


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A form body's bytes as its fields; FormError when they are not a form."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("the form body is not UTF-8 text") from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise FormError("a form field is not percent-encoded UTF-8") from None
    except ValueError:
        raise FormError(f"the form has more than {MAX_FIELDS} fields") from None


def read_form(raw: bytes) -> dict[str, Any]:
    """A form body's bytes as an object (text at the leaves); FormError when they are not a form."""
    return form_value(form_pairs(raw))
