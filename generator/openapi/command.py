"""`apidocs export-openapi [-o FILE]`: the project's OpenAPI 3.1 document, JSON or YAML by extension."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from apidocs.config.loading import load_settings
from apidocs.config.settings import Settings
from apidocs.definitions.audiences import sections_above, visible_documents
from apidocs.definitions.loader import DocsTree, load_tree
from apidocs.model.endpoint import Document
from apidocs.model.errors import ConfigError
from apidocs.openapi.export import build_openapi
from apidocs.openapi.source import YAML_12_SCALARS
from apidocs.rendering.languages import load_languages
from apidocs.rendering.nav import NavItem, build_nav

# Where `apidocs build` publishes the document: the site root, beside index.html.
OPENAPI_URI = "openapi.json"


def _nav_order(items: list[NavItem]) -> list[str]:
    """The `src_uri`s of a nav, depth first: the order readers meet the pages."""
    order: list[str] = []
    for item in items:
        for value in item.values():
            order += _nav_order(value) if isinstance(value, list) else [value]
    return order


def section_tags(tree: DocsTree, documents: list[Document]) -> dict[str, str]:
    """Each document's innermost section title (none for pages at the docs root)."""
    tags: dict[str, str] = {}
    for document in documents:
        chain = [section for section in sections_above(tree, document) if section.path]
        if chain and chain[0].title:
            tags[document.src_uri] = chain[0].title
    return tags


def openapi_document(settings: Settings, tree: DocsTree) -> dict[str, Any]:
    """The document for the pages of the configured audience, in nav order."""
    shown = visible_documents(tree, settings)
    by_uri = {document.src_uri: document for document in shown}
    ordered = [by_uri[uri] for uri in _nav_order(build_nav(tree, shown)) if uri in by_uri]
    return build_openapi(ordered, settings, load_languages(settings.snippets_dir),
                         title=settings.site_name or "API reference", description=settings.site_description,
                         version=settings.api_version or "1.0.0", tags=section_tags(tree, ordered))


class _PortableDumper(yaml.SafeDumper):
    """PyYAML's writer, which quotes what YAML 1.1 would not read as text, also quoting what
    YAML 1.2 would not (`0987654321` is a number there): OpenAPI tools read YAML 1.2."""


for _tag, _pattern, _first in YAML_12_SCALARS:
    _PortableDumper.add_implicit_resolver(_tag, _pattern, _first)


def dump(document: dict[str, Any], path: Path | None, *, compact: bool = False) -> str:
    """JSON, or YAML when `path` ends in .yaml/.yml; `compact`: JSON without indentation (the
    site's copy, read by tools, a third smaller)."""
    if path is not None and path.suffix.lower() in (".yaml", ".yml"):
        return yaml.dump(document, Dumper=_PortableDumper, sort_keys=False, allow_unicode=True, width=120)
    if compact:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def openapi_json(settings: Settings, tree: DocsTree) -> str:
    """The document a built site publishes as `openapi.json` (compact JSON)."""
    return dump(openapi_document(settings, tree), None, compact=True)


def run_export(config_file: str | Path, output: str | None) -> int:
    settings = load_settings(config_file)
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    if tree.errors:
        for finding in tree.errors:
            print(finding, file=sys.stderr)
        raise ConfigError("the definitions have errors (listed above); fix them to export")
    target = Path(output) if output and output != "-" else None
    text = dump(openapi_document(settings, tree), target)
    if target is None:
        sys.stdout.write(text)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"apidocs: wrote {target}", file=sys.stderr)
    return 0
