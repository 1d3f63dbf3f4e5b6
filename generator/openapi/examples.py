"""Example values for imported operations: the spec's own, or made from the schema.

The spec's `example`/`examples` win (media type first, then the schema's). A made-up value
follows the schema: `const`, `enum`, `default`, formats, bounds, required properties, `allOf`
merged, the first `oneOf`/`anyOf` branch, and the direction (`readOnly` properties are left
out of requests, `writeOnly` ones out of responses). The importer validates every example it
publishes against its schema and reports the ones that do not fit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from referencing.exceptions import Unresolvable

from apidocs.model.validation import SchemaError, UnknownType, pattern_matches, schema_validator
from apidocs.openapi.patterns import text_matching

Schema = dict[str, Any]
NO_EXAMPLE = object()
_MAX_DEPTH = 8
# Below this depth a made-up object keeps its required fields and its plain optional ones only:
# in densely linked specs every optional object field leads to more objects, and an example
# with all of them runs to megabytes.
_FULL_DEPTH = 3
MAX_ITEMS = 1000  # items of a made-up list with `minItems` (a larger minimum is reported as not met)

# Values for common string formats, each valid for its format.
_FORMATS = {
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "date-time": "2026-01-31T12:00:00Z", "date": "2026-01-31",
    "time": "12:00:00Z", "email": "user@example.com", "uri": "https://example.com/resource",
    "url": "https://example.com/resource", "hostname": "example.com", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1",
    "byte": "U3dhZ2dlciByb2Nrcw==", "binary": "binary data", "password": "example-password",
    "uri-reference": "/resource", "int32": "1", "int64": "1", "duration": "P1D", "idn-email": "user@example.com",
    "idn-hostname": "example.com", "iri": "https://example.com/resource", "iri-reference": "/resource",
    "uri-template": "https://example.com/resource/{id}", "json-pointer": "/resource/0", "relative-json-pointer": "0/id",
    "regex": "^[a-z]+$",
}


def types_of(schema: Schema) -> list[str]:
    """The JSON types a schema allows: 3.1 type arrays and 3.0 `nullable` alike."""
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]
    if not kinds:
        if "properties" in schema or "additionalProperties" in schema:
            kinds = ["object"]
        elif "items" in schema:
            kinds = ["array"]
    if schema.get("nullable") is True and kinds and "null" not in kinds:
        kinds.append("null")
    return kinds


def merged(schema: Schema) -> Schema:
    """`allOf` folded into one schema (properties and required lists united)."""
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    result: Schema = {key: value for key, value in schema.items() if key != "allOf"}
    for part in parts:
        if not isinstance(part, dict):
            continue
        part = merged(part)
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                result["properties"] = {**result.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                result["required"] = list(dict.fromkeys([*result.get("required", []), *value]))
            else:
                result.setdefault(key, value)
    return result


def chosen_branch(schema: Schema) -> Schema:
    """The schema with `allOf` merged and the first `oneOf`/`anyOf` branch folded in."""
    schema = merged(schema)
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches and isinstance(branches[0], dict):
            rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
            return chosen_branch({**rest, **merged(branches[0]),
                                  "properties": {**rest.get("properties", {}), **merged(branches[0]).get("properties", {})}})
    return schema


def given_example(schema: Schema) -> Any:
    """The schema's own example (3.0 `example`, 3.1 `examples` list), or NO_EXAMPLE."""
    if "example" in schema:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return NO_EXAMPLE


# Tried in turn for a string with a `pattern` (a currency code, digits, a slug...): the first
# that matches it is the example. Each try has validation's time limit (an untrusted pattern).
_PATTERN_CANDIDATES = ("string", "ABC", "abc", "123", "abc123", "ABC123", "A1", "a-b", "abc_def", "ABC-123", "1.0",
                       "a", "A", "1", "x1")


def _string(schema: Schema) -> str:
    formatted = _FORMATS.get(str(schema.get("format") or ""), "string")
    pattern = schema.get("pattern")
    if not isinstance(pattern, str):
        return _within_length(formatted, schema)
    built = text_matching(pattern)  # what the pattern itself spells (`^[A-Z]{2}$` → "AA")
    for candidate in (formatted, *([built] if built else []), *_PATTERN_CANDIDATES):
        value = _within_length(candidate, schema)
        found = _matches(pattern, value)
        if found:
            return value
        if found is None:  # unreadable, or too slow on this text: no more tries
            break
    return _within_length(formatted, schema)


@lru_cache(maxsize=4096)
def _matches(pattern: str, text: str) -> bool | None:
    """`pattern_matches`, once per pattern and text (an untrusted pattern may take the whole time limit)."""
    return pattern_matches(pattern, text)


def _within_length(value: str, schema: Schema) -> str:
    minimum = schema.get("minLength")
    maximum = schema.get("maxLength")
    if isinstance(minimum, int) and len(value) < minimum:
        value = value + value[-1:] * min(minimum - len(value), 10_000)
    if isinstance(maximum, int) and len(value) > maximum:
        value = value[:max(maximum, 0)]
    return value


def _bound(schema: Schema, key: str) -> Decimal | None:
    value = schema.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return Decimal(value)  # exactly the float a validator compares with (1e308 is not 10**308)


def _number(schema: Schema, integer: bool) -> int | float:
    """1, or the value nearest it within the bounds (inclusive, or exclusive in both the 3.0
    form, `exclusiveMinimum: true`, and the 3.1 one) that is a multiple of `multipleOf` (and
    whole, for an integer)."""
    low, high = _bound(schema, "minimum"), _bound(schema, "maximum")
    low_open, high_open = schema.get("exclusiveMinimum") is True, schema.get("exclusiveMaximum") is True
    above, below = _bound(schema, "exclusiveMinimum"), _bound(schema, "exclusiveMaximum")
    if above is not None and (low is None or above >= low):
        low, low_open = above, True
    if below is not None and (high is None or below <= high):
        high, high_open = below, True
    given_step = _bound(schema, "multipleOf")
    multiple = float(given_step) if given_step is not None and given_step > 0 else None
    step = Decimal(str(multiple)) if multiple is not None else None  # as written: 0.1, not its binary neighbour
    if integer:  # whole multiples of the step: of 1, or of the least whole one (0.25 → 1, 0.3 → 3, 2.5 → 5)
        step = Decimal(1) if step is None else Decimal(Fraction(str(step)).numerator)
    value = Decimal(1) if step is None else step * (1 / step).to_integral_value(ROUND_CEILING)
    if low is not None and (value < low or (low_open and value == low)):
        if step is None:
            value = low + 1 if low_open else low
        else:
            value = step * (low / step).to_integral_value(ROUND_CEILING)
            value += step if low_open and value == low else 0
    if high is not None and (value > high or (high_open and value == high)):
        if step is None:
            value = high if not high_open else (high - 1 if low is None or high - 1 > low else (low + high) / 2)
        else:
            value = step * (high / step).to_integral_value(ROUND_FLOOR)
            value -= step if high_open and value == high else 0
    if multiple is not None and step is not None and not _divides(multiple, value):
        # Validators divide by the schema's own multipleOf in floating point (2.1 / 0.3 is
        # 7.000000000000001, 7 / 0.07 is 100.00000000000001): a multiple they also see as one,
        # from the nearest few within the bounds.

        def inside(candidate: Decimal) -> bool:
            return ((low is None or candidate > low or (candidate == low and not low_open))
                    and (high is None or candidate < high or (candidate == high and not high_open)))

        nearby = (value + step * offset for index in range(1, 40) for offset in (index, -index))
        value = next((candidate for candidate in nearby if inside(candidate) and _divides(multiple, candidate)), value)
    result = int(value) if integer or value == value.to_integral_value() else float(value)
    return result if isinstance(result, int) or math.isfinite(result) else 1


def _divides(multiple: float, value: Decimal) -> bool:
    try:
        quotient = float(value) / multiple
        return math.isfinite(quotient) and quotient == int(quotient)
    except (OverflowError, ZeroDivisionError):
        return False


def example_of(schema: Any, *, direction: str = "response", depth: int = 0) -> Any:
    """A value valid against `schema` (as far as it can be made without search)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None if isinstance(schema, dict) and "null" in types_of(schema) else ({} if depth > _MAX_DEPTH else None)
    schema = chosen_branch(schema)
    for key in ("const",):
        if key in schema:
            return schema[key]
    given = given_example(schema)
    if given is not NO_EXAMPLE:
        return given
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kinds = types_of(schema)
    kind = next((k for k in kinds if k != "null"), kinds[0] if kinds else "object")
    if kind == "object":
        result: dict[str, Any] = {}
        skip = "readOnly" if direction == "request" else "writeOnly"
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        for name, sub in properties.items():
            if isinstance(sub, dict) and sub.get(skip) is True:
                continue
            if depth >= _FULL_DEPTH and name not in required and _holds_values(sub):
                continue
            if name not in required and _unmatched_pattern(sub, direction):
                continue  # optional, and no value of ours fits it: left out rather than the schema lost
            result[name] = example_of(sub, direction=direction, depth=depth + 1)
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict) and discriminator["mapping"]:
            named = discriminator.get("propertyName")
            own = chosen_branch(properties[named]) if isinstance(named, str) and isinstance(properties.get(named), dict) else {}
            # The shape's own value when its schema fixes one; else the mapping's first name (the
            # mapping's order need not be the shapes' order, so a fixed value wins).
            if isinstance(named, str) and named in result and not ({"enum", "const"} & own.keys()):
                result[named] = next(iter(discriminator["mapping"]))
        least = schema.get("minProperties")
        if isinstance(least, int) and not isinstance(least, bool) and len(result) < least:
            _add_properties(result, schema, properties, min(least, MAX_ITEMS), direction, depth)
        return result
    if kind == "array":
        if isinstance(schema.get("prefixItems"), list):  # a tuple (JSON Schema 2020-12): one value per position
            return [example_of(item, direction=direction, depth=depth + 1) for item in schema["prefixItems"]]
        items = schema.get("items")
        if items == {} and depth:  # a recursive schema cut by the reader: no deeper level to show
            return []
        count = schema.get("minItems") if isinstance(schema.get("minItems"), int) and schema["minItems"] > 1 else 1
        item_schema = items if isinstance(items, dict) else {}
        contained = schema.get("contains")
        if isinstance(contained, dict) and contained:  # one item at least must be a `contains` value: all are
            item_schema = {"allOf": [item_schema, contained]} if item_schema else contained
        first = example_of(item_schema, direction=direction, depth=depth + 1)
        if schema.get("uniqueItems") is True and count > 1:
            return _distinct(first, item_schema, min(count, MAX_ITEMS))
        return [first] * min(count, MAX_ITEMS)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return _number(schema, integer=True)
    if kind == "number":
        return _number(schema, integer=False)
    if kind == "boolean":
        return True
    return None


def _add_properties(result: dict[str, Any], schema: Schema, properties: dict[str, Any], least: int, direction: str,
                    depth: int) -> None:
    """Properties up to `minProperties`: the optional ones first, then made-up names where the
    schema takes others (`additionalProperties` not false)."""
    skip = "readOnly" if direction == "request" else "writeOnly"
    for name, sub in properties.items():
        if len(result) >= least:
            return
        if name not in result and not (isinstance(sub, dict) and sub.get(skip) is True):
            result[name] = example_of(sub, direction=direction, depth=depth + 1)
    others = schema.get("additionalProperties", True)
    if others is False or schema.get("unevaluatedProperties") is False or "patternProperties" in schema:
        return
    number = 1
    while len(result) < least:
        name = f"property{number}"
        if name not in result and name not in properties:
            result[name] = example_of(others if isinstance(others, dict) else {}, direction=direction, depth=depth + 1)
        number += 1


def _distinct(first: Any, schema: Schema, count: int) -> list[Any]:
    """`count` different values of `schema` (`uniqueItems`), made from `first` and checked; fewer
    when no more are found (the import then reports that the example does not fit)."""
    enum = schema.get("enum")
    candidates: Iterable[Any] = enum if isinstance(enum, list) else _variants(first, schema, count)
    try:
        validator = schema_validator(schema)
    except (SchemaError, UnknownType):
        return [first] * count
    values = [first]
    seen = {json.dumps(first)}
    for candidate in candidates:
        if len(values) >= count:
            break
        key = json.dumps(candidate)
        if key not in seen and validator.is_valid(candidate):
            seen.add(key)
            values.append(candidate)
    return values


_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _variants(first: Any, schema: Schema, count: int) -> Iterator[Any]:
    """Values near `first`, for `uniqueItems`: other numbers by the step, strings with another
    ending (or another day, another id), objects with one of their values varied."""
    if isinstance(first, bool):
        yield not first
    elif isinstance(first, (int, float)):
        given = schema.get("multipleOf")
        step: int | float = given if isinstance(given, (int, float)) and not isinstance(given, bool) and given > 0 else 1
        for index in range(1, 3 * count):
            yield first + index * step
            yield first - index * step
    elif isinstance(first, str):
        for index in range(1, 3 * count):
            day = date(2026, 1, 31) + timedelta(days=index)
            yield from (day.isoformat(), f"{day.isoformat()}T12:00:00Z", f"user{index}@example.com",
                        f"{first[:-12]}{index:012x}" if len(first) == 36 else f"{first}{index}")
        yield from (f"{first[:-1]}{character}" for character in _CHARACTERS)
        yield from _CHARACTERS
    elif isinstance(first, dict):
        given_properties = schema.get("properties")
        properties: dict[str, Any] = given_properties if isinstance(given_properties, dict) else {}
        for name, value in first.items():
            if isinstance(value, (str, int, float)):
                found = properties.get(name)
                inner: Schema = found if isinstance(found, dict) else {}
                yield from ({**first, name: variant} for variant in _variants(value, inner, count))
                return


def _unmatched_pattern(schema: Any, direction: str) -> bool:
    """Whether a made-up value of `schema` is a string its `pattern` refuses."""
    if not isinstance(schema, dict):
        return False
    folded = chosen_branch(schema)
    pattern = folded.get("pattern")
    if not isinstance(pattern, str):
        return False
    value = example_of(schema, direction=direction, depth=_MAX_DEPTH)
    return isinstance(value, str) and _matches(pattern, value) is False


def _holds_values(schema: Any) -> bool:
    """Whether a value of `schema` would be an object or an array (as the example maker reads it)."""
    if not isinstance(schema, dict):
        return False
    kinds = types_of(chosen_branch(schema))
    return not kinds or "object" in kinds or "array" in kinds


# Answers of `fits` by a digest of the repr of its arguments: operations share schemas and
# their examples (GitHub's spec asks 2,020 times about 659 pairs, a third of an import's time).
# A repr tells 1 from "1" and True, as validation does; the data are what a spec parses to.
_MISFITS: dict[bytes, str | None] = {}
MAX_MISFITS = 4096


def fits(value: Any, schema: Any, converted: Any = None) -> str | None:
    """None when `value` is valid against `schema`, else the first reason it is not.

    Formats are asserted, as the sandbox asserts them on requests. `converted` is `schema` as
    `json_schema` gives it, when the caller has it already (converting is most of the cost).
    """
    if not isinstance(schema, dict) or not schema:
        return None
    try:
        text = repr((value, schema, True) if converted is None else (value, converted, False))
    except RecursionError:
        return _misfit(value, schema, converted)
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if key not in _MISFITS:
        if len(_MISFITS) >= MAX_MISFITS:
            _MISFITS.clear()
        _MISFITS[key] = _misfit(value, schema, converted)
    return _MISFITS[key]


def _misfit(value: Any, schema: dict[str, Any], converted: Any) -> str | None:
    try:
        validator = schema_validator(converted if converted is not None else json_schema(schema))
        error = next(iter(validator.iter_errors(value)), None)
    except (SchemaError, UnknownType, RecursionError, ValueError, TypeError, Unresolvable) as problem:
        # Unresolvable: a reference the resolved copy still holds (a `$dynamicRef` to no anchor).
        return f"the schema cannot be checked ({str(problem).splitlines()[0]})"
    return None if error is None else error.message


def completed(value: Any, schema: Any, *, direction: str, converted: Any = None) -> tuple[Any, list[str]]:
    """`value` with the required properties it lacks made up from `schema`, and their paths.

    Real specs' examples often miss a field their schema requires (GitHub's own do); the page
    keeps the spec's values, and the sandbox, which checks requests against the schema, accepts
    the example. Only missing properties are added; any other misfit is left for `fits` to name.
    """
    if not isinstance(schema, dict) or not isinstance(value, (dict, list)):
        return value, []
    copy = json.loads(json.dumps(value))
    added: list[str] = []
    try:
        validator = schema_validator(converted if converted is not None else json_schema(schema))
        for _ in range(50):
            error = next((e for e in validator.iter_errors(copy) if e.validator == "required" and isinstance(e.instance, dict)), None)
            if error is None:
                break
            instance: Any = error.instance
            where: Any = error.schema
            properties: Any = where.get("properties") if isinstance(where, dict) else None
            properties = properties if isinstance(properties, dict) else {}
            names: Any = error.validator_value
            for name in (name for name in names if isinstance(name, str) and name not in instance):
                instance[name] = example_of(properties.get(name, {}), direction=direction)
                added.append(".".join([*(str(part) for part in error.absolute_path), name]))
    except (SchemaError, UnknownType, RecursionError, ValueError, TypeError):
        return value, []
    return copy, added


_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def directed(schema: Any, direction: str, dropped_beside: frozenset[str] = frozenset()) -> Any:
    """`schema` as one direction sees it: in a request no `readOnly` property, in a response no
    `writeOnly` one, nor their requirements (OpenAPI: `required` holds for that direction only),
    also where an `allOf` declares the property in one part and requires it in another
    (`dropped_beside`: names left out by the other parts). Parts left as they are stay the same objects."""
    if not isinstance(schema, dict):
        return schema
    skip = "readOnly" if direction == "request" else "writeOnly"

    def left_out(holder: Any) -> set[str]:
        properties = holder.get("properties") if isinstance(holder, dict) else None
        return {str(name) for name, sub in properties.items()
                if isinstance(sub, dict) and sub.get(skip) is True} if isinstance(properties, dict) else set()

    parts = schema.get("allOf")
    dropped = frozenset(left_out(schema).union(*(left_out(part) for part in (parts if isinstance(parts, list) else [])))
                        | dropped_beside)
    changed: dict[str, Any] = {}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        kept = {name: directed(sub, direction) for name, sub in properties.items() if name not in dropped}
        if len(kept) != len(properties) or any(kept[name] is not properties[name] for name in kept):
            changed["properties"] = kept
    required = schema.get("required")
    if isinstance(required, list) and any(name in dropped for name in required):
        changed["required"] = [name for name in required if name not in dropped]
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            sub = directed(schema[key], direction)
            if sub is not schema[key]:
                changed[key] = sub
    for key in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            subs = [directed(sub, direction, dropped if key == "allOf" else frozenset()) for sub in schema[key]]
            if any(new is not old for new, old in zip(subs, schema[key], strict=True)):
                changed[key] = subs
    return {**schema, **changed} if changed else schema


# Where `export-openapi` keeps a pattern Python's `re` cannot read (see `export.portable_patterns`).
UNPORTABLE_PATTERN = "x-apidocs-pattern"


# OpenAPI keywords JSON Schema has no use for; `$id` and its kind because the schema's `$ref`s are
# resolved already (a kept `$id` would only clash with its copies); `example` is OpenAPI's own.
_DROPPED_KEYWORDS = frozenset(("nullable", "discriminator", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly",
                               "$id", "$schema", "$anchor", "$dynamicAnchor", "example"))
_KEPT_AS_WRITTEN = frozenset(("enum", "const", "default", "examples", "required"))  # values, not schemas


def json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema 2020-12 (`nullable`, `example` translated)."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key == UNPORTABLE_PATTERN and isinstance(value, str) and "pattern" not in schema:
            result["pattern"] = value
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(value, dict):
            result[key] = {name: json_schema(sub) for name, sub in value.items()}
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                result[key] = schema[bound]
        elif key in _KEPT_AS_WRITTEN or not isinstance(value, (dict, list)):
            result[key] = value
        else:
            result[key] = json_schema(value)
    if result.get("exclusiveMinimum") is not None and "minimum" in result and schema.get("exclusiveMinimum") is True:
        del result["minimum"]
    if result.get("exclusiveMaximum") is not None and "maximum" in result and schema.get("exclusiveMaximum") is True:
        del result["maximum"]
    if isinstance(schema.get("discriminator"), dict) and isinstance(result.get("oneOf"), list) and "anyOf" not in result:
        # The discriminator tells the shapes apart (OpenAPI), so shapes that overlap (an `allOf`
        # on a shared base, without `additionalProperties: false`) must not refuse a value.
        result["anyOf"] = result.pop("oneOf")
    if schema.get("nullable") is True:
        kinds = [kind for kind in types_of(schema) if kind != "null"]
        if "type" in result and "null" not in (result["type"] if isinstance(result["type"], list) else [result["type"]]):
            result["type"] = [*([result["type"]] if isinstance(result["type"], str) else result["type"]), "null"]
        elif "type" not in result and kinds:  # a type the keywords imply (`properties`: an object)
            result["type"] = [*kinds, "null"]
        elif "type" not in result:
            # No type: `nullable` means "this, or null" (`anyOf: [{$ref: ...}], nullable: true`, as
            # Stripe writes it). Giving the schema type null would refuse every other value.
            for key in ("anyOf", "oneOf"):
                if isinstance(result.get(key), list):
                    result[key] = [*result[key], {"type": "null"}]
                    break
            else:
                if result:
                    result = {"anyOf": [result, {"type": "null"}]}
        if "enum" in result and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    return result
