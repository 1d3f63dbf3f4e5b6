"""What a writer's `(type)` word means as JSON Schema: `(string)`, `(uuid)`, `(array of integer)`.

Shared by every consumer of parameter lists: the OpenAPI export, the sandbox's validation of
parameters and bodies, the explorer.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# The words writers use in `(type)` for each JSON Schema type (and format, where one is meant).
_TYPE_WORDS: dict[str, Schema] = {
    "string": {"type": "string"}, "str": {"type": "string"}, "text": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"}, "date-time": {"type": "string", "format": "date-time"},
    "timestamp": {"type": "string", "format": "date-time"},
    "email": {"type": "string", "format": "email"}, "url": {"type": "string", "format": "uri"},
    "integer": {"type": "integer"}, "int": {"type": "integer"}, "long": {"type": "integer"},
    "number": {"type": "number"}, "float": {"type": "number"}, "double": {"type": "number"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"}, "bool": {"type": "boolean"},
    "object": {"type": "object"}, "dict": {"type": "object"}, "map": {"type": "object"},
    "array": {"type": "array"}, "list": {"type": "array"},
    # A multipart body's file (`model/multipart.py`): its example value names it, the part holds its bytes.
    "file": {"type": "string", "contentMediaType": "application/octet-stream"},
}


def schema_of_type_word(word: str | None) -> Schema:
    """The schema a writer's `(type)` names; `{}` (anything) for words we do not know."""
    if not word:
        return {}
    text = word.strip().lower()
    nullable = text.endswith("?") or "null" in text.replace("nullable", "null").split()
    text = text.rstrip("?").replace("nullable", "").strip()
    if text.startswith(("array of ", "list of ")):
        return {"type": "array", "items": schema_of_type_word(text.split(" of ", 1)[1])}
    base = dict(_TYPE_WORDS.get(text.split()[0] if text else "", {}))
    if nullable and "type" in base:
        base["type"] = [base["type"], "null"]
    return base
