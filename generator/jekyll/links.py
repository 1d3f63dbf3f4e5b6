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
_MARKDOWN_ANCHOR = re.compile(r"\]\(/?#(?P<anchor>[\w-]+)\)")
_HTML_ANCHOR = re.compile(r"""href=(?P<q>["'])/?#(?P<anchor>[\w-]+)(?P=q)""")
# A link to another document by its file or page name: `get_product.md`, `../_order/get_orders.html`,
# `/order/get_orders/` (the theme's pretty permalinks), with an optional `#anchor`.
_MARKDOWN_PATH = re.compile(r"\]\((?P<href>(?![a-z][a-z0-9+.-]*:|#|\{)[^)\s#]+?(?:\.md|\.markdown|\.html|/)?(?:#[\w-]*)?)\)", re.I)
_HTML_PATH = re.compile(r"""href=(?P<q>["'])(?P<href>(?![a-z][a-z0-9+.-]*:|#|\{)[^"'\s#]+?(?:\.md|\.markdown|\.html|/)?(?:#[\w-]*)?)(?P=q)""", re.I)
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
    pages: set[str] = field(default_factory=set)  # every link `add` made


    def add(self, collection: str, stem: str, link: str) -> None:
        self.targets[_key(collection + stem)] = link
        self.pages.add(link)
        self.collections.add(_key(collection))

    def target_of(self, anchor: str) -> str | None:
        return self.targets.get(_key(anchor))

    def target_of_path(self, href: str, source: str = "") -> str | None:
        """The new page of a link written as a path to a document (`source`: the linking file, in the tree)."""
        path = href.split("#", 1)[0].split("?", 1)[0]
        if not path or path.startswith("//"):
            return None
        if not path.startswith("/"):
            path = posixpath.join(posixpath.dirname(source), path)
        parts = [part for part in posixpath.normpath("/" + path).split("/") if part]
        if not parts:
            return None
        stem = re.sub(r"\.(md|markdown|html?)$", "", parts[-1], flags=re.I)
        folder = parts[-2].lstrip("_") if len(parts) > 1 else ""
        if not folder or stem == "index":
            return None
        return self.target_of(folder + stem) if _key(folder) in self.collections else None

    def names_a_document(self, anchor: str) -> bool:
        """Whether an anchor looks like `<collection><file>` (rather than a heading's id)."""
        key = _key(anchor)
        return any(key.startswith(name) and key != name for name in self.collections)

    def rewrite(self, text: str, source: str = "") -> tuple[str, list[LinkChange]]:
        """The text with its links pointed at the new pages, and a change for each link seen
        (`source`: the linking file, relative to the tree, for relative links)."""
        changes: list[LinkChange] = []
        if "](" not in text and "href" not in text and "{{" not in text:
            return text, changes  # most lines hold no link at all

        def site_anchor(match: re.Match[str]) -> str:
            target = self.target_of(match.group("anchor"))
            changes.append(LinkChange(match.group(0), target))
            return target if target else f"#{match.group('anchor')}"

        def bare_anchor(match: re.Match[str], template: str) -> str:
            anchor = match.group("anchor")
            if not self.names_a_document(anchor):
                # A heading's anchor: on the one-page site `/#x` and `#x` were the same place.
                return match.group(0).replace("/#", "#", 1)
            target = self.target_of(anchor)
            changes.append(LinkChange(f"#{anchor}", target))
            return template.format(target=target) if target else match.group(0)

        def document_path(match: re.Match[str], template: str) -> str:
            href = match.group("href")
            if href.split("#", 1)[0] in self.pages:
                return match.group(0)  # already pointed at its new page
            if not re.search(r"\.(md|markdown|html?)(#|$)|/(#|$)", href, re.I):
                return match.group(0)  # an image, a download: not a document
            target = self.target_of_path(href, source)
            if target is None:
                return match.group(0)
            anchor = href.partition("#")[2]
            new = target + (f"#{anchor}" if anchor and not self.names_a_document(anchor) else "")
            changes.append(LinkChange(href, new))
            return template.format(target=new)

        def site_other(match: re.Match[str]) -> str:
            rest = match.group("rest")
            page = self.target_of_path(rest)
            if page is not None:
                changes.append(LinkChange(match.group(0), page))
                return page
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
        if ".md" in text or ".htm" in text or ".markdown" in text or "/)" in text or "/'" in text or '/"' in text:
            text = _MARKDOWN_PATH.sub(lambda m: document_path(m, "]({target})"), text)
            text = _HTML_PATH.sub(lambda m: document_path(m, 'href="{target}"'), text)
        text = _HTML_LINK.sub(lambda m: f"[{m.group('text').strip()}]({m.group('href')})", text)
        return text, changes
