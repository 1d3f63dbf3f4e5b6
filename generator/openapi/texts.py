"""An example value written as the text of a body's media type, for a spec whose text body
(`application/xml`, `text/xml`, YAML, `text/plain`) is described by an object schema: the
snippets send text (`model/raw.py`), so the example becomes the document it stands for.

XML follows OpenAPI's XML Object: an element per member, named as the member (or by its schema's
`xml.name`); a member with `xml.attribute` is an attribute of its parent instead; a list's items
repeat under the list's name, or under one element named for the list when it is `xml.wrapped`;
`xml.prefix` and `xml.namespace` qualify a name and declare the namespace where it is used;
scalars are text. The root is named by the schema's `xml.name`, else by the name of the component
it is a `$ref` to, else `request`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

import yaml

from apidocs.model.headers import media_type_essence

MAX_DEPTH = 64  # levels of an example written as XML (deeper ones as their JSON text)
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def is_xml(media_type: str) -> bool:
    media = media_type_essence(media_type)
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def is_yaml(media_type: str) -> bool:
    media = media_type_essence(media_type)
    return media in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml") or media.endswith("+yaml")


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _element_name(name: str) -> str:
    """`name` as an XML element name: letters, digits, `_`, `.`, `-`, not starting with a digit, `.` or `-`."""
    cleaned = _NOT_NAME.sub("_", name) or "item"
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


def _xml(schema: Any) -> dict[str, Any]:
    named = schema.get("xml") if isinstance(schema, dict) else None
    return named if isinstance(named, dict) else {}


def _xml_name(schema: Any, fallback: str) -> str:
    xml = _xml(schema)
    name = xml.get("name")
    local = _element_name(name if isinstance(name, str) and name else fallback)
    prefix = xml.get("prefix")
    return f"{_element_name(prefix)}:{local}" if isinstance(prefix, str) and prefix else local


def _element(parent: ElementTree.Element | None, schema: Any, fallback: str) -> ElementTree.Element:
    """An element named for `schema`, declaring the namespace its `xml.namespace` gives."""
    name = _xml_name(schema, fallback)
    element = ElementTree.Element(name) if parent is None else ElementTree.SubElement(parent, name)
    namespace = _xml(schema).get("namespace")
    if isinstance(namespace, str) and namespace:
        element.set(f"xmlns:{name.split(':')[0]}" if ":" in name else "xmlns", namespace)
    return element


def _properties(schema: Any) -> dict[str, Any]:
    """An object schema's members, with those of the schemas it is `allOf`."""
    if not isinstance(schema, dict):
        return {}
    found: dict[str, Any] = {}
    for part in [*(item for item in schema.get("allOf") or [] if isinstance(item, dict)), schema]:
        members = part.get("properties")
        if isinstance(members, dict):
            found.update(members)
    return found


def _fill(element: ElementTree.Element, value: Any, schema: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        element.text = json.dumps(value, ensure_ascii=False)
        return
    if isinstance(value, dict):
        properties = _properties(schema)
        for key, member in value.items():
            member_schema = properties.get(key)
            xml = _xml(member_schema)
            if xml.get("attribute") is True and not isinstance(member, (dict, list)):
                element.set(_xml_name(member_schema, str(key)), _scalar(member))
                continue
            if not isinstance(member, list):
                _fill(_element(element, member_schema, str(key)), member, member_schema, depth + 1)
                continue
            item_schema = member_schema.get("items") if isinstance(member_schema, dict) else None
            holder = _element(element, member_schema, str(key)) if xml.get("wrapped") is True else element
            for item in member:
                _fill(_element(holder, item_schema, str(key)), item, item_schema, depth + 1)
    elif isinstance(value, list):
        item_schema = schema.get("items") if isinstance(schema, dict) else None
        for item in value:
            _fill(_element(element, item_schema, "item"), item, item_schema, depth + 1)
    else:
        element.text = _scalar(value)


def example_text(value: Any, media_type: str, schema: Any, component: str | None = None) -> str:
    """`value` as the text of a body of `media_type`: XML, YAML, else its JSON text (a scalar as
    its text). `component` names the schema component the body's schema is a `$ref` to."""
    if is_xml(media_type):
        root = _element(None, schema, component or "request")
        _fill(root, value, schema, 0)
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
    if is_yaml(media_type):
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    return _scalar(value) if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False, indent=2)
