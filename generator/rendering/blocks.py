"""HTML blocks of an endpoint page that need no Markdown: highlighted code and content tabs.

The request column (snippets, examples, the explorer's panel) is generated, never written, so
it is rendered here as HTML directly instead of as Markdown for MkDocs to parse back: at a
thousand endpoints the round trip through Markdown, superfences and the HTML parsers was the
larger part of a build. The markup is what `pymdownx.highlight` (default options) and
`pymdownx.tabbed` (`alternate_style`) write, so Material styles and links the tabs as its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from apidocs.rendering.lexing import joined
from apidocs.rendering.quoting import html_text

# Whitespace tokens carry no colour in any theme; as plain text they cost a tenth of a page.
_WHITESPACE_SPAN = re.compile(r'<span class="w">(\s*)</span>')


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer:
    try:
        return joined(get_lexer_by_name(name))
    except ClassNotFound:
        return TextLexer()


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(nowrap=True)


def code_block(code: str, language: str, title: str | None = None) -> str:
    """Highlighted code in Material's markup, with an optional title bar (escaped text)."""
    tokens = highlight(code.rstrip("\n") + "\n", _lexer(language), _formatter())
    tokens = _WHITESPACE_SPAN.sub(r"\1", tokens)
    bar = f'<span class="filename">{html_text(" ".join(title.split()))}</span>' if title else ""
    return f'<div class="highlight">{bar}<pre><span></span><code>{tokens}</code></pre></div>\n'


def content_tabs(name: str, tabs: Sequence[tuple[str, str]]) -> str:
    """Material content tabs, each (label, HTML); `name` is unique on the page.

    Material links tabs with the same label across the page and the site (`content.tabs.link`),
    so the same language stays chosen everywhere.
    """
    inputs = "".join(f'<input{" checked" if index == 0 else ""} id="{name}_{index + 1}" name="{name}" type="radio">'
                     for index in range(len(tabs)))
    labels = "".join(f'<label for="{name}_{index + 1}">{html_text(label)}</label>' for index, (label, _) in enumerate(tabs))
    blocks = "".join(f'<div class="tabbed-block">\n{content}</div>\n' for _, content in tabs)
    return (f'<div class="tabbed-set tabbed-alternate" data-tabs="{name}:{len(tabs)}">{inputs}'
            f'<div class="tabbed-labels">{labels}</div>\n<div class="tabbed-content">\n{blocks}</div>\n</div>\n')
