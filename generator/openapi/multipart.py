"""Multipart bodies (`multipart/form-data`) of OpenAPI specs, both ways.

Which members of a body schema are files: OpenAPI 3.0 writes a file as `type: string` with
`format: binary` (or `base64`), 3.1 as a string with `contentMediaType` or `contentEncoding`
(or no type and a `contentMediaType`); an array of those is several files under one name. A
string whose `contentMediaType` is JSON is a JSON text, not a file.

The import gives each file member of an example a plain file name (`model/multipart.py`: the
check creates and uploads it), `<member>.<extension>` from the part's content type. The export
marks the members `request.files` names as files where the schema does not say so already.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from apidocs.model.headers import is_json_media_type, media_type_essence
from apidocs.model.multipart import is_file_name
from apidocs.openapi.examples import Schema, chosen_branch, types_of

FILE_FORMATS = frozenset(("binary", "base64"))
OCTET_STREAM = "application/octet-stream"
# A file member of an exported schema: OpenAPI 3.1's words for 3.0's `format: binary`.
EXPORTED_FILE: Schema = {"type": "string", "contentMediaType": OCTET_STREAM}
FALLBACK_NAME = "upload"
_MAX_NESTED = 6  # levels below a member looked through for files inside objects
_MAX_NESTED_SCHEMAS = 2000  # schemas looked at for them (a resolved spec shares schemas: a walk may meet one often)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@functools.cache
def _known_types() -> mimetypes.MimeTypes:
    """Python's own table of media types and extensions (not the machine's mime.types: the same
    names on every machine), made on first use: making it took 40 ms of every apidocs command,
    as the export imports this module too."""
    return mimetypes.MimeTypes()


def is_file_schema(schema: Any) -> bool:
    """Whether `schema` (its `allOf` merged, its first alternative) is one file."""
    if not isinstance(schema, dict):
        return False
    folded = chosen_branch(schema)
    kinds = types_of(folded)
    if kinds and "string" not in kinds:
        return False
    if folded.get("format") in FILE_FORMATS:
        return True
    media = folded.get("contentMediaType")
    if isinstance(media, str) and not is_json_media_type(media):
        return True
    return "string" in kinds and isinstance(folded.get("contentEncoding"), str)


def file_kind(schema: Any) -> str | None:
    """`"file"` for one file, `"files"` for an array of them, else None."""
    if is_file_schema(schema):
        return "file"
    if isinstance(schema, dict):
        folded = chosen_branch(schema)
        if "array" in types_of(folded) and is_file_schema(folded.get("items")):
            return "files"
    return None


def _properties(schema: Any) -> tuple[dict[str, Any], set[str]]:
    """An object schema's properties and required names (its `allOf` merged, its first alternative)."""
    if not isinstance(schema, dict):
        return {}, set()
    folded = chosen_branch(schema)
    properties = folded.get("properties")
    required = folded.get("required")
    return (properties if isinstance(properties, dict) else {},
            {str(name) for name in required} if isinstance(required, list) else set())


def file_members(schema: Any) -> dict[str, str]:
    """The members of a body schema that are files: name → `"file"` or `"files"`."""
    properties, _ = _properties(schema)
    found = {}
    for name, sub in properties.items():
        kind = file_kind(sub)
        if kind is not None:
            found[str(name)] = kind
    return found


def nested_files(schema: Any) -> Iterator[tuple[tuple[str, ...], bool]]:
    """Files inside the body's object members (a multipart body sends files only as its own
    members): each one's path of member names, and whether its object requires it."""
    budget = [_MAX_NESTED_SCHEMAS]

    def walk(sub: Any, path: tuple[str, ...], depth: int) -> Iterator[tuple[tuple[str, ...], bool]]:
        budget[0] -= 1
        if depth > _MAX_NESTED or budget[0] < 0 or not isinstance(sub, dict):
            return
        folded = chosen_branch(sub)
        if "array" in types_of(folded):
            yield from walk(folded.get("items"), path, depth + 1)
            return
        properties, required = _properties(folded)
        for name, inner in properties.items():
            if file_kind(inner) is not None:
                yield (*path, str(name)), str(name) in required
            else:
                yield from walk(inner, (*path, str(name)), depth + 1)

    properties, _ = _properties(schema)
    for name, sub in properties.items():
        if file_kind(sub) is None:
            yield from walk(sub, (str(name),), 1)


def _media_types(content_type: Any, schema: Any) -> list[str]:
    """The media types a file part may have, most telling first: its encoding's `contentType`
    (a list, as OpenAPI allows), then its schema's `contentMediaType`."""
    found = [part.strip() for part in content_type.split(",")] if isinstance(content_type, str) else []
    if isinstance(schema, dict):
        folded = chosen_branch(schema)
        items = folded.get("items") if "array" in types_of(folded) else None
        for holder in (folded, chosen_branch(items) if isinstance(items, dict) else {}):
            if isinstance(holder.get("contentMediaType"), str):
                found.append(holder["contentMediaType"])
    return found


_NAMED_FILE = re.compile(r"[^.]+\.[A-Za-z0-9]{1,10}")


def is_given_file_name(value: Any) -> bool:
    """Whether an example value of a file member reads as a file's name (`report.csv`): a plain
    name with an extension, not a made-up `string` nor a path, URL or content."""
    return is_file_name(value) and _NAMED_FILE.fullmatch(value) is not None


def file_name(member: str, content_type: Any, schema: Any, number: int | None = None) -> str:
    """A plain file name (`model/multipart.is_file_name`) for an example file of `member`: the
    member's name in letters, digits, `.`, `_` and `-` (or `upload`), `-2` for the second of
    several, and the extension of its media type (`.bin` when none is known)."""
    extension = next((found for media in _media_types(content_type, schema)
                      if (found := _known_types().guess_extension(media_type_essence(media)))), ".bin")
    folded = unicodedata.normalize("NFKD", member).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE.sub("_", folded).strip("._") or FALLBACK_NAME
    suffix = f"-{number}" if number is not None else ""
    name = stem[:100 - len(suffix) - len(extension)] + suffix + extension
    return name if is_file_name(name) else FALLBACK_NAME + suffix + extension


def exported_schema(schema: Any, files: list[str]) -> Any:
    """`schema` with each member `request.files` names marked as a file where it does not say so
    (a string with `contentMediaType`, or an array of them); other schemas as they are."""
    if not isinstance(schema, dict) or not files:
        return schema
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    marked = dict(properties)
    for name in files:
        member = properties.get(name)
        if file_kind(member) is not None:
            continue
        if not isinstance(member, dict) or not member or "$ref" in member:
            marked[name] = dict(EXPORTED_FILE)
        elif "array" in types_of(member) or "items" in member:
            items = member.get("items")
            marked[name] = {**member, "items": {**(items if isinstance(items, dict) and "$ref" not in items else {}),
                                                **EXPORTED_FILE}}
        else:
            marked[name] = {**{key: value for key, value in member.items() if key not in ("type", "format")}, **EXPORTED_FILE}
    return {**schema, "properties": marked}
