"""Blank lines and indentation out of the HTML of the pages apidocs renders.

The theme's templates leave a run of blank lines and indentation at every tag they skip, about a
tenth of a page. A run of white space with a line break in it becomes one line break, which a
browser shows the same (it collapses white space outside `pre`); the content of `pre`, `code`,
`textarea`, `script` and `style` is kept byte for byte.
"""

from __future__ import annotations

import re

_KEPT = ("pre", "code", "textarea", "script", "style")
_KEPT_START = re.compile(rf"<({'|'.join(_KEPT)})\b", re.IGNORECASE)
_KEPT_END = {name: re.compile(rf"</{name}[^>]*>", re.IGNORECASE) for name in _KEPT}
_SPACE = " \t\r\f"  # HTML's white space, with the line break


def _collapse(text: str) -> str:
    """Each run of white space with a line break in it as one line break."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    inner = [line.strip(_SPACE) for line in lines[1:-1]]
    return "\n".join([lines[0].rstrip(_SPACE), *(line for line in inner if line), lines[-1].lstrip(_SPACE)])


def compact_html(html: str) -> str:
    parts = []
    last = 0
    while (kept := _KEPT_START.search(html, last)) is not None:
        parts.append(_collapse(html[last:kept.start()]))
        close = _KEPT_END[kept.group(1).lower()].search(html, kept.end())
        end = len(html) if close is None else close.end()  # left open: the rest is kept
        parts.append(html[kept.start():end])
        last = end
    parts.append(_collapse(html[last:]))
    return "".join(parts)
