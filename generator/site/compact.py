"""Blank lines and indentation out of the HTML of the pages apidocs renders.

The theme's templates leave a run of blank lines and indentation at every tag they skip, about a
tenth of a page. A run of white space with a line break in it becomes one line break, which a
browser shows the same (it collapses white space outside `pre`); the content of `pre`, `code`,
`textarea`, `script` and `style` is kept byte for byte.
"""

from __future__ import annotations

import re

# An element left open (raw HTML in a writer's prose) keeps everything after it.
_KEPT = re.compile(r"<(pre|code|textarea|script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_BLANK_RUN = re.compile(r"[ \t\r\f]*\n\s*")


def compact_html(html: str) -> str:
    parts = []
    last = 0
    for kept in _KEPT.finditer(html):
        parts.append(_BLANK_RUN.sub("\n", html[last:kept.start()]))
        parts.append(kept.group(0))
        last = kept.end()
    parts.append(_BLANK_RUN.sub("\n", html[last:]))
    return "".join(parts)
