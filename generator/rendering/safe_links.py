"""A Markdown extension (`apidocs.rendering.safe_links`): prose cannot carry script.

Python-Markdown turns `[x](javascript:alert(1))` into a working `javascript:` link, and
`attr_list` lets `{: onclick=... }` onto any element. Prose comes from definitions, imported
Jekyll trees and OpenAPI specs, all untrusted; so after the inline and attribute processors
have run, a link or image whose scheme is not a plain web one becomes plain text (any other
attribute with such a URL is dropped), and event-handler attributes are removed. Raw HTML is not touched here: it is the
writers' own, and imported text has it escaped already (see `openapi.importer.safe_markdown`).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "ftps"})
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "cite", "background", "xlink:href")
# Browsers drop these characters anywhere in a URL before reading its scheme (`java\tscript:`).
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def is_safe_url(url: str, *, image: bool = False) -> bool:
    """Whether a browser would open `url` as a web address or a relative link (not as script)."""
    text = _IGNORED_BY_BROWSERS.sub("", html.unescape(url))
    scheme = _SCHEME.match(text)
    if scheme is None:
        return True  # relative: `../page/`, `#anchor`, `/path`
    name = scheme.group(1).lower()
    return name in SAFE_SCHEMES or (image and name == "data" and text[5:].lower().startswith("image/") and "svg" not in text[:40].lower())


class SafeLinks(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for name in list(element.attrib):
                lowered = name.lower()
                if lowered.startswith("on") or lowered == "srcdoc":
                    del element.attrib[name]
                elif lowered in URL_ATTRIBUTES and not is_safe_url(element.attrib[name], image=element.tag == "img"):
                    del element.attrib[name]
                    if element.tag in ("a", "img"):  # a plain span: MkDocs expects every link to have its URL
                        element.text = element.attrib.pop("alt", "") if element.tag == "img" else element.text
                        element.tag = "span"


class SafeLinksExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # Python-Markdown's name
        # After inline links (20) and attr_list (8): the last word on every attribute.
        md.treeprocessors.register(SafeLinks(md), "apidocs_safe_links", 1)


def makeExtension(**options: Any) -> SafeLinksExtension:  # Python-Markdown's name
    return SafeLinksExtension(**options)
