"""The site navigation, built from folders and `position`: writers never keep a nav by hand.

Titles are text (a definition is data); MkDocs and the theme treat nav titles as HTML, so each
is handed over escaped.

Each folder is a section (title, position and visibility from its `.section.yml`); within it,
pages and sub-sections are ordered by position, then title.
"""

from __future__ import annotations

from typing import Any

from apidocs.definitions.loader import DocsTree, Section
from apidocs.model.endpoint import Document, Endpoint
from apidocs.rendering.pages import theme_text

NavItem = dict[str, Any]


def nav_title(document: Document) -> str:
    return document.name if isinstance(document, Endpoint) else document.title


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def build_nav(tree: DocsTree, documents: list[Document] | None = None) -> list[NavItem]:
    """MkDocs `nav` for the given documents (default: all of the tree)."""
    shown = documents if documents is not None else list(tree.documents.values())
    by_folder: dict[str, list[Document]] = {}
    for document in shown:
        by_folder.setdefault(_parent(document.src_uri), []).append(document)
    # A folder is shown when it, or a folder below it, holds a shown page.
    live = set()
    for folder in by_folder:
        while True:
            live.add(folder)
            if not folder:
                break
            folder = _parent(folder)

    def items(folder: str) -> list[NavItem]:
        entries: list[tuple[Any, str, NavItem]] = []
        for document in by_folder.get(folder, []):
            title = nav_title(document)
            entries.append((document.position, title.lower(), {theme_text(title): document.src_uri}))
        for path in sorted(live):
            if path and _parent(path) == folder:
                section = tree.sections.get(path) or Section(path, path.rsplit("/", 1)[-1].replace("_", " ").title())
                entries.append((section.position, section.title.lower(), {theme_text(section.title): items(path)}))
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        return [entry[2] for entry in entries]

    return items("")
