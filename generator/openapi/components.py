"""Schemas written once: a schema the document repeats goes under `components/schemas`, and each
place that had it refers to it (`$ref`).

Definitions hold their schemas whole (an imported spec's `$ref`s are followed on import), so
the document built from them repeats every shared schema in every operation: Stripe's 2.5 MB
spec became a 16.6 MB `openapi.json`, and an 11,000-operation one 246 MB. Written once, they
come back to about the spec's size, and tools (SDK generators) see the shared types again.

Only positions where JSON Schema has a schema are looked at (properties, items, allOf, …), never
examples, defaults or enums, which are data; a schema is shared when it is written at least twice
and is at least `MIN_BYTES` long, so small ones stay where they are read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

MIN_BYTES = 400  # a repeated schema shorter than this (as compact JSON) stays inline

# Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas.
_SCHEMA = ("items", "not", "additionalProperties", "contains", "propertyNames", "if", "then", "else",
           "unevaluatedItems", "unevaluatedProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# The words of a name: runs of capitals (an acronym) not followed by a small letter, a capital
# with the small letters after it, or small letters or digits (so `getHTTPStatus2` → get, HTTP, Status2).
_WORD = re.compile(r"[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+")
_PLACE_WORD = re.compile(r"Request|Response[0-9A-Za-z]*")  # what `_schema_places` adds to an operation id


def _subschemas(schema: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(keyword, name or index, schema) of each schema directly inside `schema`."""
    for keyword, value in schema.items():
        if keyword in _SCHEMA and isinstance(value, dict):
            yield keyword, None, value
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            yield from ((keyword, index, item) for index, item in enumerate(value) if isinstance(item, dict))
        elif keyword in _SCHEMA_MAPS and isinstance(value, dict):
            yield from ((keyword, name, item) for name, item in value.items() if isinstance(item, dict))


def _schema_places(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(holder, name hint) of each operation's top schemas (`holder["schema"]`): parameters,
    bodies, response headers. The holders are the document's own."""
    for item in (document.get("paths") or {}).values():
        for operation in (item or {}).values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters") or []:
                if isinstance(parameter, dict) and isinstance(parameter.get("schema"), dict):
                    yield parameter, str(parameter.get("name") or "")
            hint = str(operation.get("operationId") or "")
            bodies = [("Request", operation.get("requestBody"))]
            bodies += [(f"Response{status}", answer) for status, answer in (operation.get("responses") or {}).items()]
            for suffix, holder in bodies:
                if not isinstance(holder, dict):
                    continue
                for media in (holder.get("content") or {}).values():
                    if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                        yield media, hint + suffix
                for header in (holder.get("headers") or {}).values():
                    if isinstance(header, dict) and isinstance(header.get("schema"), dict):
                        yield header, ""


class _Fingerprints:
    """What each schema is (a digest of its whole content) and how long it is, computed once per
    schema from its subschemas' digests (a walk per schema would be quadratic in the depth)."""

    def __init__(self) -> None:
        self.of: dict[int, str] = {}
        self.size: dict[str, int] = {}
        self.count: dict[str, int] = {}
        self.hints: dict[str, list[str]] = {}

    def take(self, schema: dict[str, Any]) -> str:
        """The schema's digest: of its keywords in order, each with its value as JSON, or, where a
        schema stands, the tagged digest of that schema (equal digests: equal JSON)."""
        inner = {(keyword, name): self.take(child) for keyword, name, child in _subschemas(schema)}
        parts: list[Any] = []
        for keyword, value in schema.items():
            if keyword in _SCHEMA and (keyword, None) in inner:
                parts.append([keyword, "schema", inner[(keyword, None)]])
            elif keyword in _SCHEMA_LISTS and isinstance(value, list):
                parts.append([keyword, "list", [["schema", inner[(keyword, index)]] if (keyword, index) in inner else ["value", item]
                                                for index, item in enumerate(value)]])
            elif keyword in _SCHEMA_MAPS and isinstance(value, dict):
                parts.append([keyword, "map", [[name, "schema", inner[(keyword, name)]] if (keyword, name) in inner
                                               else [name, "value", item] for name, item in value.items()]])
            else:
                parts.append([keyword, "value", value])
        text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self.of[id(schema)] = digest
        # About its length as JSON (the digests of the schemas inside stand in for them in `text`).
        self.size[digest] = len(text) + sum(self.size[child] for child in inner.values())
        return digest

    def count_in(self, schema: dict[str, Any], hint: str) -> None:
        """How often each schema is written where the document will still hold it (what is
        inside a schema written again is not counted again: it goes with it), and the name
        hints of the places it is written in."""
        digest = self.of[id(schema)]
        self.count[digest] = self.count.get(digest, 0) + 1
        if hint:
            self.hints.setdefault(digest, []).append(hint)
        if self.count[digest] == 1:
            for _, name, child in _subschemas(schema):
                self.count_in(child, "" if name is None or isinstance(name, int) else str(name))


def shared_name(hints: list[str]) -> str:
    """A name for a schema from the names of the places it is written in: the words they all
    have, in order (`confirmOrderCancelationResponse200` and `rejectOrderCancelationResponse200`
    → `OrderCancelationResponse200`), or the first when they share none but the place's kind."""
    if not hints:
        return ""
    words = [_WORD.findall(hint) for hint in hints]
    if "".join(words[0]) != re.sub(r"[^A-Za-z0-9]", "", hints[0]) or not hints[0].isascii():
        return hints[0]  # words `_WORD` cannot tell apart (`Été`): the name as written
    others = [{word.lower() for word in found} for found in words[1:]]
    common = [word for word in words[0] if all(word.lower() in other for other in others)]
    if not [word for word in common if not _PLACE_WORD.fullmatch(word)]:
        return hints[0]
    return "".join(word[:1].upper() + word[1:] for word in common)


def share_schemas(document: dict[str, Any], min_bytes: int = MIN_BYTES) -> dict[str, Any]:
    """`document` with each repeated schema under `components/schemas`. The operations' holders
    of schemas are changed in place; the schemas themselves are copied where they change (they
    may be the definitions' own)."""
    fingerprints = _Fingerprints()
    places = list(_schema_places(document))
    for holder, _ in places:
        fingerprints.take(holder["schema"])
    for holder, hint in places:
        fingerprints.count_in(holder["schema"], hint)
    components: dict[str, Any] = {}
    names: dict[str, str] = {}

    def placed(schema: dict[str, Any]) -> dict[str, Any]:
        digest = fingerprints.of[id(schema)]
        if fingerprints.count.get(digest, 0) < 2 or fingerprints.size[digest] < min_bytes:
            return rebuilt(schema)
        if digest not in names:
            title = schema.get("title") if isinstance(schema.get("title"), str) else ""
            base = _NAME.sub("_", title or shared_name(fingerprints.hints.get(digest, []))).strip("_")[:60] or "Schema"
            base = base[:1].upper() + base[1:]
            name, number = base, 2
            while name in components:
                name, number = f"{base}{number}", number + 1
            names[digest] = name
            components[name] = {}  # the name is taken before the schemas inside it take theirs
            components[name] = rebuilt(schema)
        return {"$ref": f"#/components/schemas/{names[digest]}"}

    def rebuilt(schema: dict[str, Any]) -> dict[str, Any]:
        result = dict(schema)
        for keyword, name, child in _subschemas(schema):
            if name is None:
                result[keyword] = placed(child)
            else:
                if result[keyword] is schema[keyword]:
                    result[keyword] = list(schema[keyword]) if isinstance(schema[keyword], list) else dict(schema[keyword])
                result[keyword][name] = placed(child)
        return result

    for holder, _ in places:
        holder["schema"] = placed(holder["schema"])
    if components:
        document.setdefault("components", {})["schemas"] = components
    return document
