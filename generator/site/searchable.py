"""The parts apidocs generates, as the search plugins are given them to index.

Material's search parser calls a Python handler for every tag and run of text, and checks each
against the stack of open elements; most of its time goes to tags it drops (table rows and
cells, divs, spans, links). It keeps the text of every element, and only a few tags in the
index. A generated part with the dropped tags taken out gives the same words under the same
headings, about five times faster. Parts with content the parser leaves out on purpose (script,
style, object, `data-search-exclude`, line numbers, permalinks) are given whole, and so are
parts with headings: the parser ends a heading's section where the element around it closes.
What the page marks as unsearched (a field tree it also lists in a table) is cut out first.
"""

from __future__ import annotations

import re

from apidocs.rendering.pages import UNSEARCHED_END, UNSEARCHED_START
from apidocs.site.compact import compact_html

# The tags Material's search keeps in the index.
_INDEXED_TAGS = r"(?:p|code|pre|li|ol|ul|sub|sup)"
# A tag, quoted attribute values and all, as an unrolled loop (runs of plain characters at once).
_DROPPED_TAG = re.compile(rf"<(?!/?{_INDEXED_TAGS}[\s/>])/?[a-zA-Z][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>")
# What makes the parser leave content out or end a section. Three searches, not one: an
# alternation without a common first character is tried at every position of a part (a
# response tree of a large API is hundreds of kilobytes), and so is a literal in IGNORECASE.
_SKIPPED_TAG = re.compile(r"<(?:script|style|object|h[1-6])\b", re.IGNORECASE)  # tag names in any case
_EXCLUDED = re.compile("-[sS][eE][aA][rR][cC][hH]-[eE][xX][cC][lL][uU][dD][eE]")  # the attribute, in any case
_SKIPPED_CLASSES = ("linenodiv", "headerlink")  # class values, compared as written
# What the page marks as left out of search, cut whole (its start tag has `data-search-exclude`).
_UNSEARCHED = re.compile(re.escape(UNSEARCHED_START) + ".*?" + re.escape(UNSEARCHED_END), re.S)


def _parser_must_see_tags(html: str) -> bool:
    return (_SKIPPED_TAG.search(html) is not None or _EXCLUDED.search(html) is not None
            or any(name in html for name in _SKIPPED_CLASSES))


def search_view(html: str) -> str:
    """`html` with the tags the search index drops taken out (and white space compacted the way
    a browser shows it), or `html` itself when the parser must see its tags."""
    if UNSEARCHED_START in html:
        html = _UNSEARCHED.sub("", html)
    if _parser_must_see_tags(html):
        return html
    return compact_html(_DROPPED_TAG.sub("", html))
