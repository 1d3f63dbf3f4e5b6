"""Links between documents of the Jekyll site, pointed at the imported pages.

The Aviator theme put every collection on one page, so documents linked to each other by
anchor: `{{ site.baseurl }}/#documentationresponse_codes` is collection `documentation`, file
`response_codes`. Each becomes a docs-relative link (`/documentation/response-codes.md`) that
MkDocs checks and rewrites (`validation.links.absolute_links: relative_to_docs`); an HTML
`<a>` around it becomes a Markdown link, since MkDocs leaves raw HTML alone.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from apidocs.jekyll.safe_paths import UnsafePath, source_file

_BASEURL = r"{{-?\s*site\.(?:url\s*}}{{-?\s*site\.)?baseurl\s*-?}}"
# `{{ site.baseurl }}/#anchor`, `{{ site.baseurl }}/` and bare `#anchor` link targets.
_SITE_ANCHOR = re.compile(_BASEURL + r"/?#(?P<anchor>[\w-]+)")
_SITE_HOME = re.compile(_BASEURL + r"/?(?=[\"')\s]|$)")
_SITE_OTHER = re.compile(_BASEURL + r"(?P<rest>/[^\"')\s]*)")
_MARKDOWN_ANCHOR = re.compile(r"\]\(#(?P<anchor>[\w-]+)\)")
_HTML_ANCHOR = re.compile(r"""href=(?P<q>["'])#(?P<anchor>[\w-]+)(?P=q)""")
_HTML_LINK = re.compile(r"""<a\s+href=(?P<q>["'])(?P<href>/[^"']*\.md(?:#[\w-]*)?)(?P=q)\s*>(?P<text>[^<]*)</a>""")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class LinkChange:
    old: str
    new: str | None  # None: the target is not in the tree (or refused)
    refused: str | None = None  # why the target may not be read (outside the tree, a symbolic link)


@dataclass
class LinkMap:
    """Where each document of the tree went: (collection, file stem) → `/folder/page.md`."""

    targets: dict[str, str] = field(default_factory=dict)  # normalised anchor → docs-relative link
    collections: set[str] = field(default_factory=set)  # normalised collection names
    home: str = "/index.md"
    source_root: Path | None = None  # where `{{ site.baseurl }}/images/x.png` files are found
    site_url: str = ""  # the old site, for links to what the tree does not hold
    assets: set[str] = field(default_factory=set)  # files to copy into docs/, relative to the tree

    def add(self, collection: str, stem: str, link: str) -> None:
        self.targets[_key(collection + stem)] = link
        self.collections.add(_key(collection))

    def target_of(self, anchor: str) -> str | None:
        return self.targets.get(_key(anchor))

    def names_a_document(self, anchor: str) -> bool:
        """Whether an anchor looks like `<collection><file>` (rather than a heading's id)."""
        key = _key(anchor)
        return any(key.startswith(name) and key != name for name in self.collections)

    def rewrite(self, text: str) -> tuple[str, list[LinkChange]]:
        """The text with its links pointed at the new pages, and a change for each link seen."""
        changes: list[LinkChange] = []

        def site_anchor(match: re.Match[str]) -> str:
            target = self.target_of(match.group("anchor"))
            changes.append(LinkChange(match.group(0), target))
            return target if target else f"#{match.group('anchor')}"

        def bare_anchor(match: re.Match[str], template: str) -> str:
            anchor = match.group("anchor")
            if not self.names_a_document(anchor):
                return match.group(0)  # an anchor on the same page
            target = self.target_of(anchor)
            changes.append(LinkChange(f"#{anchor}", target))
            return template.format(target=target) if target else match.group(0)

        def site_other(match: re.Match[str]) -> str:
            rest = match.group("rest")
            relative, suffix = re.match(r"([^?#]*)(.*)", rest, re.S).groups()  # type: ignore[union-attr]
            relative = relative.lstrip("/")
            if relative and self.source_root is not None:
                try:
                    source_file(self.source_root, relative)
                except UnsafePath as error:
                    if "no such file" not in str(error):
                        # Outside the tree or through a symbolic link: neither read nor linked.
                        changes.append(LinkChange(match.group(0), None, str(error)))
                        return self.site_url.rstrip("/") + "/" if self.site_url else "#"
                else:
                    normalised = posixpath.normpath(relative)
                    self.assets.add(normalised)  # an image or download: copied to the same place in docs/
                    changes.append(LinkChange(match.group(0), "/" + normalised + suffix))
                    return "/" + normalised + suffix
            # Nothing here to point at: keep pointing at the old site rather than at nothing.
            changes.append(LinkChange(match.group(0), None))
            return self.site_url.rstrip("/") + rest if self.site_url else match.group(0)

        text = _SITE_ANCHOR.sub(site_anchor, text)
        def site_home(match: re.Match[str]) -> str:
            changes.append(LinkChange(match.group(0), self.home))
            return self.home

        text = _SITE_HOME.sub(site_home, text)
        text = _SITE_OTHER.sub(site_other, text)
        text = _MARKDOWN_ANCHOR.sub(lambda m: bare_anchor(m, "]({target})"), text)
        text = _HTML_ANCHOR.sub(lambda m: bare_anchor(m, 'href="{target}"'), text)
        text = _HTML_LINK.sub(lambda m: f"[{m.group('text').strip()}]({m.group('href')})", text)
        return text, changes
