"""The schema of each documented answer, for the page's field tree: the same sources and order of
trust as the OpenAPI export (a given schema, else the writer's table completed by the example,
else the example's shape), handed to `rendering.pages` so rendering needs no OpenAPI import."""

from __future__ import annotations

from typing import Any

from apidocs.model.endpoint import Endpoint, ExampleResponse
from apidocs.openapi.schemas import object_schema, schema_of_value


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
        inferred = object_schema(group.parameters, body)
        written = {parameter.name for parameter in group.parameters}
        shown = body if isinstance(body, dict) else {}
        properties = {}
        for name, value in inferred.get("properties", {}).items():
            if name not in written:
                properties[name] = _written_required_only(value)
                continue
            # A written `(object)` or `(array)` gets its children from the example.
            example = _written_required_only(schema_of_value(shown[name])) if name in shown else {}
            properties[name] = {**{key: example[key] for key in ("properties", "items") if key in example}, **value}
        return {**inferred, "properties": properties}
    if not response.has_body or isinstance(body, str):
        return None
    return _written_required_only(schema_of_value(body))
