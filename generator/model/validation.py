"""Validating data against documented JSON Schemas (2020-12, OpenAPI 3.1's dialect).

Every check of a schema or of data against one goes through here: the loader's check of a
definition's schemas, the importer's check of examples, the sandbox's check of requests.

A schema's `pattern` is an ECMA-262 regular expression (JSON Schema says so), and real specs
use what Python's `re` cannot read, above all Unicode classes such as `\\p{L}`. Patterns are
therefore read by the `regex` module, which knows them, and matched with a time limit: the
sandbox matches text sent by anyone against patterns from imported specs, and one pattern that
backtracks badly must not hold a worker. Nor may one that is large once written out: the
`regex` module writes counted repeats out as it compiles, so `((a?){1000}){1000}){1000}` would
take gigabytes. A pattern whose repeats multiply past `MAX_PATTERN_SIZE` is not read at all.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import regex
from jsonschema import Draft202012Validator, FormatChecker, SchemaError, ValidationError, validators
from jsonschema.exceptions import UnknownType
from jsonschema.protocols import Validator
from referencing import Registry

MATCH_SECONDS = 0.05  # one pattern against one value


MAX_PATTERN_SIZE = 100_000  # parts of a pattern with its counted repeats written out

# The stdlib's own regular expression parser and its opcodes (`re` has no public one, and no
# stubs): the shape of a pattern without compiling it. None on a Python that moved them.
RE_PARSER: Any
RE_CONSTANTS: Any
try:
    RE_PARSER = importlib.import_module("re._parser")
    RE_CONSTANTS = importlib.import_module("re._constants")
except ImportError:
    RE_PARSER = RE_CONSTANTS = None
_COUNT = re.compile(r"\{(\d{1,9})(?:,(\d{0,9}))?\}")


def _written_out_size(pattern: str) -> int:
    """About how many parts the pattern has once its counted repeats are written out."""
    if RE_PARSER is not None:
        try:
            return _size(RE_PARSER.parse(pattern))
        except Exception:  # not `re` syntax (ECMA's `\p{L}`…): counted below
            pass
    size = len(pattern)  # every count as if the repeats were nested: an over-estimate
    for low, high in _COUNT.findall(pattern):
        size *= max(int(high or low), 1)
        if size > MAX_PATTERN_SIZE:
            break
    return size


def _size(items: Any) -> int:
    total = 0
    for op, value in items:
        if op in (RE_CONSTANTS.MAX_REPEAT, RE_CONSTANTS.MIN_REPEAT, getattr(RE_CONSTANTS, "POSSESSIVE_REPEAT", None)):
            low, high, inner = value
            total += max(high if high != RE_CONSTANTS.MAXREPEAT else low, 1) * _size(inner)
        elif op is RE_CONSTANTS.SUBPATTERN:
            total += _size(value[3])
        elif op is RE_CONSTANTS.BRANCH:
            total += sum(_size(branch) for branch in value[1])
        elif op in (RE_CONSTANTS.ASSERT, RE_CONSTANTS.ASSERT_NOT):
            total += _size(value[1])
        elif op is getattr(RE_CONSTANTS, "ATOMIC_GROUP", None):
            total += _size(value)
        else:
            total += 1
        if total > MAX_PATTERN_SIZE:
            return total
    return total


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    if _written_out_size(pattern) > MAX_PATTERN_SIZE:
        raise ValueError(f"its repeats written out are over {MAX_PATTERN_SIZE:,} parts")
    return regex.compile(pattern)


def _readable(pattern: object) -> bool:
    if not isinstance(pattern, str):
        return True
    try:
        _compiled(pattern)
    except (regex.error, ValueError, OverflowError):
        return False
    return True


def _search(pattern: str, text: str) -> bool | None:
    """Whether `pattern` matches somewhere in `text`; None when the time limit ran out."""
    try:
        compiled = _compiled(pattern)
    except (regex.error, ValueError, OverflowError) as error:  # only in a schema that was not checked
        raise SchemaError(f"the pattern {pattern!r} cannot be read ({error})") from None
    try:
        return compiled.search(text, timeout=MATCH_SECONDS) is not None
    except TimeoutError:
        return None


def pattern_matches(pattern: str, text: str) -> bool | None:
    """Whether a schema's `pattern` matches somewhere in `text`, read and timed as validation
    reads it; None when it cannot be read or the time limit ran out (an untrusted pattern)."""
    try:
        return _search(pattern, text)
    except SchemaError:
        return None


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    found = _search(pattern, instance)
    if found is None:
        yield ValidationError(f"{instance!r} takes too long to match {pattern!r}")
    elif not found:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            found = _search(pattern, name)
            if found is None:
                yield ValidationError(f"{name!r} takes too long to match {pattern!r}")
            elif found:
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _format_checker() -> FormatChecker:
    checker = FormatChecker()  # its own copy of the known formats
    checker.checks("regex")(_readable)
    return checker


FORMATS = _format_checker()
SchemaValidator = validators.extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _patterns(schema: Any) -> Iterator[str]:
    """Every `pattern` and `patternProperties` key in `schema` (and any such key in its data)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    yield value
                elif key == "patternProperties" and isinstance(value, dict):
                    yield from (name for name in value if isinstance(name, str))
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def check_schema(schema: Any) -> None:
    """SchemaError when `schema` is not a valid JSON Schema (patterns read as ECMA-262).

    `jsonschema` checking against the 2020-12 metaschema takes milliseconds per schema (its
    `$dynamicRef`s are resolved at every level), seconds for a large imported project; the
    Rust `jsonschema-rs` gives the same verdict in microseconds. It answers first; `jsonschema`,
    the validator the sandbox runs, has the last word on anything it does not pass, and writes
    the message. A schema naming another dialect (`$schema`) always goes to `jsonschema`.
    """
    try:
        fast = not (isinstance(schema, dict) and "$schema" in schema) and jsonschema_rs.meta.is_valid(schema)
    except (TypeError, ValueError, OverflowError, jsonschema_rs.ValidationError):
        fast = False  # not plain JSON data (a YAML date, say): the full check names the problem
    if fast and all(_readable(pattern) for pattern in _patterns(schema)):
        return
    SchemaValidator.check_schema(schema, format_checker=FORMATS)


# Refs are read inside the schema only: jsonschema's default registry still fetches an http(s)
# `$ref` (with no time limit), and a schema comes from an untrusted spec or definition.
_NO_RETRIEVAL = Registry()


def ref_outside(schema: Any) -> str | None:
    """The first `$ref` of `schema` that does not point inside it (`#/$defs/Name`), or None. A
    schema with an `$id` inside is not looked at: its refs are read from there."""
    refs: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node is not schema and isinstance(node.get("$id"), str):
                return None
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for ref in refs:
        if not ref.startswith("#") or not _points_inside(schema, ref[1:]):
            return ref
    return None


def pointed_at(root: Any, reference: str) -> Any:
    """What a local `$ref` (`#/$defs/a%20b`) names inside `root`, or None: a reference out of
    it, an anchor (`#name`, not looked up here) or one naming nothing."""
    if not reference.startswith("#"):
        return None
    pointer = reference[1:]
    if pointer == "":
        return root
    if not pointer.startswith("/"):
        return None
    node = root
    for part in pointer[1:].split("/"):
        key = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isascii() and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _points_inside(schema: Any, pointer: str) -> bool:
    return pointer == "" or pointed_at(schema, "#" + pointer) is not None


def schema_validator(schema: Any) -> Validator:
    """A validator of data against `schema` (assumed checked), formats asserted; a `$ref` that
    points out of the schema raises `referencing.exceptions.Unresolvable` when it is used."""
    return SchemaValidator(schema, format_checker=FORMATS, registry=_NO_RETRIEVAL)


__all__ = ["MATCH_SECONDS", "SchemaError", "UnknownType", "ValidationError", "Validator", "check_schema", "pattern_matches",
           "pointed_at", "schema_validator"]
