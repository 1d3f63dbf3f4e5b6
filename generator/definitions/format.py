"""The definition format in one place: its error codes, its keys, its bounds, its JSON Schema.

The loader, the front-matter parser, the Liquid renderer and the body parser all report with
the codes of `CODES`; `apidocs lint` prints the same codes, so a build error and its lint
finding always read alike. The schema (`definition.schema.json`, shipped with the package for
editors) says which type every known front-matter key has; `schema_findings` turns its verdict
into `path:line: CODE message` lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from apidocs.model.errors import Finding

CODES: dict[str, str] = {
    "E001": "the file cannot be read: not UTF-8, front matter never closed, not YAML or not a mapping",
    "E002": "`method` is missing on a page whose title is a path",
    "E003": "unknown HTTP method",
    "E004": "`position` is not a number or dotted number",
    "E005": "an endpoint's `title` is not a path starting with '/'",
    "E006": "malformed path placeholder in the title (write &lt;name&gt;)",
    "E007": "URL parameter documented but not in the path",
    "E008": "`example` has the wrong shape: unknown key, wrong type, status outside 200-599",
    "E009": "example header value HTTP cannot carry (control or non-ASCII characters)",
    "E010": "Liquid error: bad syntax, missing include",
    "E011": "Liquid resource limit reached: loop iterations, output size, nesting",
    "E012": "file larger than the maximum definition size",
    "E013": "YAML outside the format: alias bomb, deep nesting, huge number, NaN, !!binary, !!set, lone surrogate",
    "E014": "path repeats a placeholder name",
    "E015": "front-matter value of the wrong type",
    "E016": "example header name that is not an HTTP token",
    "E017": "duplicate endpoint: same method and path as another page (a warning when only placeholder names differ)",
    "E020": "`right_code` is not text or holds invalid JSON",
    "E021": "`responses` has the wrong shape or a status that is not 100-599, a range such as 4XX or default",
}

# Front-matter keys the loader reads; any other key is kept as it is in `Document.meta`.
KNOWN_KEYS = frozenset({"title", "name", "position", "visibility", "method", "description", "operation_id", "servers", "right_code",
                        "example", "request", "responses"})
EXAMPLE_KEYS = frozenset({"params", "query", "headers", "body", "status", "token"})

# Bounds on what one definition may cost; the Security page of the docs states them.
MAX_DEFINITION_BYTES = 1024 * 1024  # a definition (or overlay, or .section.yml) file
MAX_YAML_DEPTH = 50  # nested lists/mappings in front matter
MAX_ALIAS_EXPANSION = 10_000  # values that YAML aliases may add to a document (a "billion laughs" adds 10^9)
MAX_NUMBER_DIGITS = 100  # digits of one integer in YAML or in right_code JSON
LIQUID_LOOP_ITERATIONS = 10_000  # all `for` iterations of one render, nested loops multiplied
LIQUID_OUTPUT_BYTES = 2 * MAX_DEFINITION_BYTES  # text one render may produce, includes and all
LIQUID_CONTEXT_DEPTH = 30  # includes within includes
LIQUID_NAMESPACE_BYTES = MAX_DEFINITION_BYTES  # what `assign` and `capture` may hold

SCHEMA_FILE = "definition.schema.json"


def split_visibility(value: Any) -> list[str]:
    """`public`, `public, internal`, `[all, v1]` → a list of names; blank items and blank values → []."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(item).strip() for item in value if item is not None and str(item).strip()]
    return [part for part in re.split(r"[,\s]+", str(value)) if part]


@lru_cache(maxsize=1)
def definition_schema() -> dict[str, Any]:
    text = resources.files("apidocs.definitions").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_ANNOTATIONS = frozenset({"description", "title", "examples", "default", "$comment"})


def _inlined(node: Any, defs: Mapping[str, Any]) -> Any:
    """`node` with each `{"$ref": "#/$defs/…"}` replaced by the definition itself (the schema's
    definitions are flat), which the validator then need not look up for every file read. A ref
    beside keywords of its own stays a ref; beside annotations, the definition's win, as the
    innermost schema's do when the ref is followed."""
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
    if name in defs and not (set(node) - {"$ref"} - _ANNOTATIONS) & set(defs[name]) - _ANNOTATIONS:
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return {**siblings, **_inlined(defs[name], defs)}
    return {key: _inlined(value, defs) for key, value in node.items()}


@lru_cache(maxsize=1)
def _validated_schema() -> dict[str, Any]:
    schema = definition_schema()
    inlined: dict[str, Any] = _inlined(schema, schema.get("$defs", {}))
    return inlined


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # imported on first use: it costs a tenth of a second

    return Draft202012Validator(_validated_schema())


@lru_cache(maxsize=1)
def _quick_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(_validated_schema())


# Characters Python's `\s` counts as white space and the Rust regex engine does not (U+001C to
# U+001F): there a pattern with `\s` or `\S` can pass in Rust what `jsonschema` refuses. As
# `json.dumps` writes them (`\u001c`…): a front matter holding one goes to `jsonschema`.
_SPACE_ONLY_TO_PYTHON = re.compile(r"\\u001[c-fC-F]")


def passes_quickly(data: Mapping[str, Any]) -> bool:
    """Whether the Rust `jsonschema-rs` finds `data` valid, about fifty times faster than
    `jsonschema` (a quarter of a millisecond a definition, 2% of a 700-page build). Only its
    "valid" is trusted: anything else, including data it cannot take or text whose white space
    the two regular expression engines tell apart, goes to `jsonschema`, which words the findings.
    (Where the two read a pattern's `$` otherwise, Rust is the stricter: a refusal, so `jsonschema`.)"""
    try:
        if _SPACE_ONLY_TO_PYTHON.search(json.dumps(data)):
            return False
        return bool(_quick_validator().is_valid(dict(data)))
    except (TypeError, ValueError, OverflowError, RecursionError):
        return False


def _code_for(where: tuple[str, ...], is_header_name: bool) -> str:
    if where[:1] == ("example",):
        return "E016" if is_header_name else "E008"
    if where[:1] == ("responses",):
        return "E021"
    if where[:1] == ("right_code",):
        return "E020"
    if where[:1] == ("position",):
        return "E004"
    return "E015"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _nearest_description(schema_path: Iterable[Any]) -> str | None:
    """The description of the innermost schema on the way to the failing keyword (refs followed)."""
    root = _validated_schema()
    node: Any = root
    description = None
    for part in schema_path:
        if isinstance(node, Mapping) and node is not root and isinstance(node.get("description"), str):
            description = node["description"]
        if part == "$ref" and isinstance(node, Mapping):
            target: Any = root
            for name in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[name]
            node = target
            continue
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return description


def _is_header_name_error(error: Any) -> bool:
    return "propertyNames" in error.absolute_schema_path


def _dotted(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> str:
    name = _dotted(error.absolute_path) or "front matter"
    if _is_header_name_error(error):
        return (f"`{name}` has a name that is not an HTTP header name: {_shown(error.instance)} "
                "(letters, digits and !#$%&'*+-.^_`|~ only)")
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(str(key) for key in error.instance if key not in known)
        return f"unknown key(s) in `{name}`: {', '.join(unknown)} (known: {', '.join(known)})"
    hint = _nearest_description(error.absolute_schema_path)
    if hint:
        return f"`{name}` {hint}, not {_shown(error.instance)}"
    return f"`{name}`: {error.message}"


def schema_findings(data: Mapping[str, Any], path: Path | str, line_of: Mapping[tuple[str, ...], int]) -> list[Finding]:
    """Every place where the front matter breaks the schema, at the line of the key concerned."""
    if passes_quickly(data):
        return []
    findings = []
    for error in _validator().iter_errors(dict(data)):
        where = tuple(str(part) for part in error.absolute_path)
        is_name = _is_header_name_error(error)
        line = _line(line_of, (*where, str(error.instance)) if is_name else where)
        findings.append(Finding(path, line, _code_for(where, is_name), _message(error)))
    return sorted(findings, key=lambda item: item.line)


def _line(line_of: Mapping[tuple[str, ...], int], where: tuple[str, ...]) -> int:
    """The line of the innermost key of `where` the parser recorded."""
    for length in range(len(where), 0, -1):
        line = line_of.get(where[:length])
        if line is not None:
            return line
    return 1
