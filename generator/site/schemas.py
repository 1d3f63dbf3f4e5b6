"""The schema of each documented answer, for the page's field tree: the same sources and order of
trust as the OpenAPI export (a given schema, else the writer's table completed by the example,
else the example's shape), handed to `rendering.pages` so rendering needs no OpenAPI import."""

from __future__ import annotations

from typing import Any

from apidocs.model.endpoint import Endpoint, ExampleResponse, field_name
from apidocs.openapi.schemas import fields_schema, schema_of_value


def _written_required_only(schema: Any) -> Any:
    """An inferred schema without `required`: an example shows what is there, not what must be."""
    if not isinstance(schema, dict):
        return schema
    result = {key: value for key, value in schema.items() if key != "required"}
    if isinstance(result.get("properties"), dict):
        result["properties"] = {name: _written_required_only(value) for name, value in result["properties"].items()}
    if "items" in result:
        result["items"] = _written_required_only(result["items"])
    return result


def response_schema(endpoint: Endpoint, response: ExampleResponse) -> dict[str, Any] | None:
    if response.schema is not None:
        return response.schema
    success = endpoint.success_response
    group = endpoint.group_of_kind("response") if success is not None and response.key == success.key else None
    body = response.body if response.has_body else None
    if group is not None and not isinstance(body, str):
        inferred = fields_schema(group.parameters, [body])
        written = {parameter.name for parameter in group.parameters}
        written |= {ancestor for parameter in group.parameters for ancestor in _ancestors(parameter.path)}
        if isinstance(inferred.get("properties"), dict):
            return {**inferred, "properties": _completed(inferred["properties"], body, written, "")}
        items = inferred.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):  # a list answer: its items
            first = body[0] if isinstance(body, list) and body else None
            return {**inferred, "items": {**items, "properties": _completed(items["properties"], first, written, "")}}
        return _written_required_only(inferred)
    if not response.has_body or isinstance(body, str):
        return None
    return _written_required_only(schema_of_value(body))


def _ancestors(path: list[str]) -> list[str]:
    """The fields a path goes through: [a, [], b, c] → a, a[].b."""
    return [field_name(path[:end]) for end in range(1, len(path)) if path[end - 1] != "[]"]


def _completed(properties: dict[str, Any], shown: Any, written: set[str], prefix: str) -> dict[str, Any]:
    """The properties of a table's schema as the page's tree shows them: what only the example
    shows without `required`, and a written `(object)` or `(array)` given its children from the
    example, at every depth (fields inside others are written `parent.child`, `list[].child`;
    `written` holds the parents they go through too)."""
    shown = shown if isinstance(shown, dict) else {}
    result = {}
    for name, value in properties.items():
        path = f"{prefix}{name}"
        if path not in written:
            result[name] = _written_required_only(value)
            continue
        example = _written_required_only(schema_of_value(shown[name])) if name in shown else {}
        completed = {**{key: example[key] for key in ("properties", "items") if key in example}, **value}
        if isinstance(value.get("properties"), dict):
            completed["properties"] = _completed(value["properties"], shown.get(name), written, f"{path}.")
        items = value.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            listed = shown.get(name)
            first = listed[0] if isinstance(listed, list) and listed else None
            completed["items"] = {**items, "properties": _completed(items["properties"], first, written, f"{path}[].")}
        result[name] = completed
    return result
