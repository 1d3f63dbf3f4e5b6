"""The parts apidocs generates, as the search plugins are given them to index.

Material's search parser calls a Python handler for every tag and run of text, and checks each
against the stack of open elements; most of its time goes to tags it drops (table rows and
cells, divs, spans, links). It keeps the text of every element, and only a few tags in the
index. A generated part with the dropped tags taken out gives the same words under the same
headings, about five times faster. Parts with content the parser leaves out on purpose (script,
style, object, `data-search-exclude`, line numbers, permalinks) are given whole, and so are
parts with headings: the parser ends a heading's section where the element around it closes.
"""

from __future__ import annotations

import re

from apidocs.site.compact import compact_html

# The tags Material's search keeps in the index.
_INDEXED_TAGS = r"(?:p|code|pre|li|ol|ul|sub|sup)"
# A tag, quoted attribute values and all, as an unrolled loop (runs of plain characters at once).
_DROPPED_TAG = re.compile(rf"<(?!/?{_INDEXED_TAGS}[\s/>])/?[a-zA-Z][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>")
_SKIPPED_CONTENT = re.compile(r"<(?:script|style|object|h[1-6])\b|data-search-exclude|linenodiv|headerlink", re.IGNORECASE)


def search_view(html: str) -> str:
    """`html` with the tags the search index drops taken out (and white space compacted the way
    a browser shows it), or `html` itself when the parser must see its tags."""
    if _SKIPPED_CONTENT.search(html):
        return html
    return compact_html(_DROPPED_TAG.sub("", html))
