"""JSON Schemas (OpenAPI 3.1 dialect, i.e. JSON Schema 2020-12) for documented data.

Two sources, in order of trust: what the writer typed (a parameter's `(type)`, its required
mark) and what the examples show. A schema inferred from an example accepts that example, and
an example is what every sandbox answer and every snippet in the check is compared with.
"""

from __future__ import annotations

from typing import Any

from apidocs.model.endpoint import Parameter, field_name
from apidocs.model.types import Schema, schema_of_type_word
from apidocs.model.validation import schema_validator


def schema_of_value(value: Any) -> Schema:
    """The narrowest useful schema that accepts `value` (object properties are all required)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        if not value:
            return {"type": "array"}
        return {"type": "array", "items": merge_schemas([schema_of_value(item) for item in value])}
    if isinstance(value, dict):
        return {"type": "object", "properties": {str(k): schema_of_value(v) for k, v in value.items()},
                "required": [str(k) for k in value]}
    return {}


def _types(schema: Schema) -> list[str]:
    kind = schema.get("type")
    return [kind] if isinstance(kind, str) else list(kind or [])


def merge_schemas(schemas: list[Schema]) -> Schema:
    """One schema accepting every value any of `schemas` accepts (as inferred from examples)."""
    if not schemas:
        return {}
    if any(not schema.get("type") for schema in schemas):
        return {}
    types: list[str] = []
    for schema in schemas:
        types += [kind for kind in _types(schema) if kind not in types]
    if "integer" in types and "number" in types:
        types.remove("integer")
    merged: Schema = {"type": types[0] if len(types) == 1 else types}
    objects = [schema for schema in schemas if "object" in _types(schema)]
    if objects:
        names: list[str] = []
        for schema in objects:
            names += [name for name in schema.get("properties", {}) if name not in names]
        merged["properties"] = {name: merge_schemas([s["properties"][name] for s in objects if name in s.get("properties", {})])
                                for name in names}
        required = [name for name in names if all(name in s.get("required", []) for s in objects)]
        if required:
            merged["required"] = required
    arrays = [schema["items"] for schema in schemas if "array" in _types(schema) and "items" in schema]
    if arrays:
        merged["items"] = merge_schemas(arrays)
    return merged


def _admitting(documented: Schema, example: Schema) -> Schema:
    """The documented schema, widened to the type an example shows (`(object)` shown as null)."""
    documented_types = _types(documented)
    shown = [kind for kind in _types(example) if kind not in documented_types
             and not (kind == "integer" and "number" in documented_types)]
    if not documented_types or not shown:
        return documented
    return {**documented, "type": documented_types + shown}


def fields_schema(parameters: list[Parameter], examples: list[Any]) -> Schema:
    """The schema a field list documents, completed by the first example: an object's, or the
    items' of a list (the table of a list answer describes its items). A schema published
    beside examples must accept them: where the writer's table contradicts one, what it
    contradicts is loosened (a required field an example lacks is optional, a type an example
    shows is admitted), and only where that is not enough are the examples' shapes used."""
    first = examples[0] if examples else None
    if isinstance(first, list):
        item = next((value for value in first if isinstance(value, dict)), None)
        schema: Schema = {"type": "array", "items": object_schema(parameters, item)}
    else:
        schema = object_schema(parameters, first)
    if _accepts(schema, examples):
        return schema
    loosened = _loosened(schema, examples)
    if _accepts(loosened, examples):
        return loosened
    return merge_schemas([schema_of_value(example) for example in examples])


def _accepts(schema: Schema, values: list[Any]) -> bool:
    if all(_plainly_valid(schema, value) for value in values):
        return True  # most tables: no validator needed (a validator per page was 2 % of a build)
    validator = schema_validator(schema)
    return all(validator.is_valid(value) for value in values)


_PLAIN_KEYWORDS = frozenset({"type", "properties", "required", "items", "description"})
_PLAIN_TYPES: dict[str, Any] = {
    "object": lambda value: isinstance(value, dict), "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str), "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None, "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
}


def _plainly_valid(schema: Any, value: Any) -> bool:
    """True when `value` certainly passes `schema`, judged on the few keywords tables make; False
    means "ask the validator" (another keyword, or a doubt)."""
    if not isinstance(schema, dict) or not schema.keys() <= _PLAIN_KEYWORDS:
        return False
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or not any(_PLAIN_TYPES.get(name, lambda _: False)(value) for name in kinds if isinstance(name, str)):
            return False
    if isinstance(value, dict):
        required, properties = schema.get("required", []), schema.get("properties", {})
        if not isinstance(required, list) or not isinstance(properties, dict) or any(name not in value for name in required):
            return False
        if not all(_plainly_valid(properties[name], item) for name, item in value.items() if name in properties):
            return False
    if isinstance(value, list) and "items" in schema:
        return all(_plainly_valid(schema["items"], item) for item in value)
    return True


def _loosened(schema: Schema, values: list[Any]) -> Schema:
    """`schema` with what `values` contradict taken back, at every depth: a required name one
    of them lacks, a type one of them has not."""
    if not values:
        return schema
    result = _admitting(schema, merge_schemas([schema_of_value(value) for value in values]))
    objects = [value for value in values if isinstance(value, dict)]
    if objects and isinstance(result.get("required"), list):
        kept = [name for name in result["required"] if all(name in value for value in objects)]
        result = {key: value for key, value in result.items() if key != "required"}
        if kept:
            result["required"] = kept
    if objects and isinstance(result.get("properties"), dict):
        result = {**result, "properties": {
            name: _loosened(sub, [value[name] for value in objects if name in value]) if isinstance(sub, dict) else sub
            for name, sub in result["properties"].items()}}
    lists = [value for value in values if isinstance(value, list)]
    if lists and isinstance(result.get("items"), dict):
        result = {**result, "items": _loosened(result["items"], [item for value in lists for item in value])}
    return result


def object_schema(parameters: list[Parameter], example: Any = None) -> Schema:
    """An object schema from documented fields, completed by the example's shape.

    A documented field keeps the writer's type and required mark (fields are optional unless
    marked; a name listed twice is required when either says so); a field only the example
    shows gets the example's type and stays optional. A name such as `format.pages` or
    `items[].id` is a field inside another (`Parameter.path`), unless the example holds it, or
    the rest of it inside a parent, as one key; its required mark applies inside its parent.
    """
    return _object([(p.path, p) for p in parameters], example)


_Field = tuple[list[str], Parameter]  # (path left to walk, the documented field)


def _object(fields: list[_Field], example: Any) -> Schema:
    shown: dict[str, Schema] = schema_of_value(example)["properties"] if isinstance(example, dict) else {}
    own: dict[str, Parameter | None] = {}
    marked: set[str] = set()
    inside: dict[str, list[_Field]] = {}
    for path, field in fields:
        if len(path) > 1 and isinstance(example, dict) and field_name(path) in example:
            path = [field_name(path)]  # the example holds it as one key
        if own.get(path[0]) is None:
            own[path[0]] = field if len(path) == 1 else None
        if len(path) == 1:
            marked.update([path[0]] if field.is_required else [])
        else:
            inside.setdefault(path[0], []).append((path[1:], field))
    properties: dict[str, Schema] = {}
    for name, parameter in own.items():
        value = example.get(name) if isinstance(example, dict) else None
        schema = _field_schema(parameter, shown.get(name, {}))
        properties[name] = _with_inner(schema, inside[name], value) if name in inside else schema
    for name, schema in shown.items():
        properties.setdefault(name, schema)
    result: Schema = {"type": "object", "properties": properties}
    required = [name for name in own if name in marked]
    if required:
        result["required"] = required
    return result


def _field_schema(parameter: Parameter | None, shown: Schema) -> Schema:
    """A field's own schema: the writer's type (widened to what the example shows), else the
    example's; for a parent only named in its fields' paths, the example's."""
    if parameter is None:
        return shown
    schema = schema_of_type_word(parameter.type)
    if not schema:
        schema = shown
    elif shown:
        schema = _admitting(schema, shown)
    return {**schema, "description": parameter.description} if parameter.description else schema


def _with_inner(schema: Schema, fields: list[_Field], example: Any) -> Schema:
    """`schema` with the fields documented inside it: its properties, or its items' (`[]`)."""
    result = dict(schema)
    members = [(path, parameter) for path, parameter in fields if path[0] != "[]"]
    if members:
        inner = _object(members, example if isinstance(example, dict) else None)
        result["properties"] = inner["properties"]  # documented marks, not the example's every key
        result.pop("required", None)
        if "required" in inner:
            result["required"] = inner["required"]
    items = [(path[1:], parameter) for path, parameter in fields if path[0] == "[]"]
    if items:
        item_example = example[0] if isinstance(example, list) and example else None
        given = result.get("items")
        item: Schema = given if isinstance(given, dict) else {}
        for path, parameter in items:
            if not path:  # `tags[]` itself: the items' own type
                item = _field_schema(parameter, item)
        below = [(path, parameter) for path, parameter in items if path]
        result["items"] = _with_inner(item, below, item_example) if below else item
    return result
