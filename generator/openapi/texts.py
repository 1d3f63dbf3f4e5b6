"""An example value written as the text of a body's media type, for a spec whose text body
(`application/xml`, `text/xml`, YAML, `text/plain`) is described by an object schema: the
snippets send text (`model/raw.py`), so the example becomes the document it stands for.

XML follows OpenAPI's defaults: an element per member, named as the member (or by its schema's
`xml.name`), a list's items repeated under the list's name, scalars as text; the root is named
by the schema's `xml.name`, else by the name of the component it is a `$ref` to, else `request`.
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


def _xml_name(schema: Any, fallback: str) -> str:
    named = schema.get("xml") if isinstance(schema, dict) else None
    name = named.get("name") if isinstance(named, dict) else None
    return _element_name(name if isinstance(name, str) and name else fallback)


def _fill(element: ElementTree.Element, value: Any, schema: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        element.text = json.dumps(value, ensure_ascii=False)
        return
    properties = schema.get("properties") if isinstance(schema, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    if isinstance(value, dict):
        for key, member in value.items():
            member_schema = properties.get(key)
            items = member if isinstance(member, list) else [member]
            item_schema = member_schema.get("items") if isinstance(member_schema, dict) and isinstance(member, list) else member_schema
            for item in items:
                _fill(ElementTree.SubElement(element, _xml_name(item_schema, str(key))), item, item_schema, depth + 1)
    elif isinstance(value, list):
        item_schema = schema.get("items") if isinstance(schema, dict) else None
        for item in value:
            _fill(ElementTree.SubElement(element, _xml_name(item_schema, "item")), item, item_schema, depth + 1)
    else:
        element.text = _scalar(value)


def example_text(value: Any, media_type: str, schema: Any, component: str | None = None) -> str:
    """`value` as the text of a body of `media_type`: XML, YAML, else its JSON text (a scalar as
    its text). `component` names the schema component the body's schema is a `$ref` to."""
    if is_xml(media_type):
        root = ElementTree.Element(_xml_name(schema, component or "request"))
        _fill(root, value, schema, 0)
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
    if is_yaml(media_type):
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    return _scalar(value) if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False, indent=2)
