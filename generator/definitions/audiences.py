"""Who sees which page: one site per audience, built from the sections and pages that name it.

The source Jekyll site built one page per audience (`/`, `/internal/`, `/v1/`, `/file-specs/`).
Each listed the collections whose `visibility` equals that audience and, inside them, the
documents whose `visibility` names `all` or the audience. An `AudienceRule` is that rule with
its two lists spelled out, so `mkdocs.yml` can change one audience without touching the others:

    plugins:
      - apidocs:
          audience: public            # the site `apidocs build` makes; unset: every page
          audiences:
            internal:                 # staff also read the public sections
              sections: [internal, public]
              pages: [all, internal, public]

An audience missing from `audiences` gets the source site's rule: `sections: [NAME]`,
`pages: [all, NAME]`. With no audience at all every page is built, which is what a project
with a single audience wants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mkdocs.exceptions import PluginError

from apidocs.definitions.loader import DocsTree, Section
from apidocs.model.endpoint import Document
from apidocs.model.errors import ConfigError

# A page visibility that every audience's default rule accepts.
EVERYONE = "all"


class AudienceError(ConfigError, PluginError):
    """An audience that cannot be built.

    Both bases on purpose: `apidocs` prints a ConfigError as one line, and MkDocs itself (run as
    `mkdocs build`) prints a PluginError as one line too, so neither shows a traceback.
    """


@dataclass(frozen=True)
class AudienceRule:
    name: str
    sections: frozenset[str]  # section visibilities this audience sees
    pages: frozenset[str]  # page visibilities this audience sees

    @classmethod
    def default(cls, name: str) -> AudienceRule:
        return cls(name, frozenset({name}), frozenset({EVERYONE, name}))

    def shows_section(self, section: Section) -> bool:
        # A section that names no audience (the docs root, a folder with no `.section.yml`)
        # leaves the decision to its pages.
        return not section.visibility or not self.sections.isdisjoint(section.visibility)

    def shows_page(self, document: Document) -> bool:
        return not self.pages.isdisjoint(document.visibility)


def _names(value: Any, option: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise AudienceError(f"apidocs.audiences.{option} must be a list of visibility names, not {value!r}")
    return frozenset(item.strip() for item in value if item.strip())


def audience_rule(name: str, configured: Mapping[str, Any] | None = None) -> AudienceRule:
    """The rule for `name`: its entry in `audiences` (missing lists take the default), or the default."""
    default = AudienceRule.default(name)
    entry = (configured or {}).get(name)
    if entry is None:
        return default
    if not isinstance(entry, Mapping):
        raise AudienceError(f"apidocs.audiences.{name} must be a mapping with `sections` and `pages` lists")
    sections = _names(entry.get("sections"), f"{name}.sections")
    pages = _names(entry.get("pages"), f"{name}.pages")
    return AudienceRule(name, default.sections if sections is None else sections,
                        default.pages if pages is None else pages)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def sections_above(tree: DocsTree, document: Document) -> list[Section]:
    """The sections a document sits in, innermost first, up to the docs root."""
    chain: list[Section] = []
    folder = _parent(document.src_uri)
    while True:
        section = tree.sections.get(folder)
        if section is not None:
            chain.append(section)
        if not folder:
            return chain
        folder = _parent(folder)


def is_shown(document: Document, tree: DocsTree, rule: AudienceRule) -> bool:
    """Every section around the page must be this audience's, and the page must name it (or `all`)."""
    return rule.shows_page(document) and all(rule.shows_section(section) for section in sections_above(tree, document))


def visibility_names(tree: DocsTree) -> set[str]:
    """Every audience some section or page of the tree names."""
    names = {name for section in tree.sections.values() for name in section.visibility}
    names |= {name for document in tree.documents.values() for name in document.visibility}
    return names - {EVERYONE}


def audiences_showing(document: Document, tree: DocsTree, names: Iterable[str],
                      configured: Mapping[str, Any] | None = None) -> list[str]:
    """The audiences among `names` whose site has this page."""
    return [name for name in sorted(names) if is_shown(document, tree, audience_rule(name, configured))]


def visible_documents(tree: DocsTree, settings: Any) -> list[Document]:
    """The documents of the site being built: all of them, or those of `settings.audience`."""
    name = (getattr(settings, "audience", None) or "").strip()
    documents = list(tree.documents.values())
    if not name:
        return documents
    configured = getattr(settings, "audiences", None) or {}
    rule = audience_rule(name, configured)
    shown = [document for document in documents if is_shown(document, tree, rule)]
    named = visibility_names(tree) | set(configured)
    # A misspelt audience would still show the `all` pages: refuse it rather than build a near-empty site.
    if documents and (not shown or name not in named):
        known = ", ".join(sorted(named)) or "none"
        why = "shows no page" if not shown else "is named by no section or page, nor under `audiences`"
        raise AudienceError(f"audience {name!r} {why} (audiences named in this project: {known})")
    return shown
