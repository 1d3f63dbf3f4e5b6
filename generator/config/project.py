"""The mkdocs.yml of a project an importer creates: Material, search, the apidocs plugin with the
importer's options, and the Markdown extensions definition pages are written with."""

from __future__ import annotations

from typing import Any

import yaml

FEATURES = ["navigation.sections", "navigation.top", "search.highlight", "content.tabs.link", "content.code.copy"]
MARKDOWN_EXTENSIONS: list[Any] = [
    "admonition", "attr_list", "def_list", "md_in_html", "tables", {"toc": {"permalink": True}},
    {"pymdownx.highlight": {"anchor_linenums": False}}, "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}}, "pymdownx.details",
    "apidocs.rendering.safe_links",  # imported text is untrusted: no `javascript:` links, no `on...` attributes
]


def project_config(site_name: str, options: dict[str, Any], *, description: str = "", site_url: str = "",
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The mapping to write as mkdocs.yml; `extra` adds top-level keys after the usual ones."""
    document: dict[str, Any] = {"site_name": site_name}
    if description:
        document["site_description"] = description
    if site_url:
        document["site_url"] = site_url
    document.update({
        "docs_dir": "docs",
        "theme": {"name": "material", "features": list(FEATURES)},
        "plugins": ["search", {"apidocs": options}],
        "markdown_extensions": list(MARKDOWN_EXTENSIONS),
        **(extra or {}),
    })
    return document


def dump_config(document: dict[str, Any], header: str) -> str:
    """mkdocs.yml text: `header` (comment lines saying where the project came from), then the YAML."""
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
