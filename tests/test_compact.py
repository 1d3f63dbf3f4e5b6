"""Blank runs out of apidocs' pages (site/compact.py): what a browser shows stays the same."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from apidocs.site.compact import compact_html

KEPT = ("pre", "code", "textarea", "script", "style")


class _Shown(HTMLParser):
    """The text a browser lays out: white space runs collapsed outside the kept elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in KEPT
        self.parts.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in KEPT
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.depth else " ".join(data.split()) + (" " if data[-1:].isspace() else ""))


def shown(html: str) -> str:
    parser = _Shown()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def test_blank_runs_become_one_line_break_and_code_is_kept() -> None:
    html = "<div>\n\n      <p>a  b</p>\n   \n<pre><code>x\n\n\n    y</code></pre>\n\n<textarea>\n\n t</textarea>\n</div>\n"
    compacted = compact_html(html)
    assert compacted == "<div>\n<p>a  b</p>\n<pre><code>x\n\n\n    y</code></pre>\n<textarea>\n\n t</textarea>\n</div>\n"


def test_an_element_left_open_keeps_the_rest() -> None:
    html = "<p>a</p>\n\n<pre>x\n\n   y\n\n"
    assert compact_html(html) == "<p>a</p>\n<pre>x\n\n   y\n\n"


@given(st.lists(st.sampled_from(["<p>a  b</p>", "<pre>x\n\n y</pre>", "<code> c\n\n d</code>", "<pre><code>\n\n e</code></pre>",
                                 "<textarea>\n\n</textarea>", "<span> s </span>", " ", "\n", "\n\n   ", "\t\n", "word"]),
                max_size=40))
def test_what_a_browser_shows_does_not_change(pieces: list[str]) -> None:
    html = "".join(pieces)
    assert shown(compact_html(html)) == shown(html)
