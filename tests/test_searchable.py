"""The search plugins index a tag-light view of the generated parts (site/searchable.py): the
index Material's own parser makes of it must be the one it makes of the parts as shown."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from material.plugins.search.plugin import Parser  # type: ignore[import-untyped]

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from apidocs.rendering.languages import load_languages
from apidocs.rendering.pages import GeneratedHtml, render_page
from apidocs.site.searchable import search_view

ROOT = Path(__file__).resolve().parent.parent


def indexed(html: str) -> list[tuple[str | None, str, str]]:
    """Each section Material's search makes of `html`: id, title and text (white space runs as one
    space: the index is read by a tokenizer that splits on them)."""
    parser = Parser()
    parser.feed(html)
    parser.close()
    return [(section.id, " ".join("".join(section.title).split()), " ".join("".join(section.text).split()))
            for section in parser.data]


def on_a_page(part: str) -> str:
    """`part` where the plugin has it: after the page's title and prose, before more of the page."""
    return f'<h1 id="t">Title</h1>\n<p>Prose.</p>\n{part}\n<h2 id="after">After</h2>\n<p>More.</p>'


def test_the_shipped_pages_generated_parts_index_the_same() -> None:
    site = load_settings(ROOT / "mkdocs.yml")
    tree = load_tree(site.docs_dir, site.includes_dir, site.site)
    languages = load_languages(site.snippets_dir)
    parts = [part.html for document in tree.documents.values() if isinstance(document, Endpoint)
             for part in render_page(document, site, languages).parts if isinstance(part, GeneratedHtml)]
    assert len(parts) > 4
    lighter = 0
    for part in parts:
        assert indexed(on_a_page(search_view(part))) == indexed(on_a_page(part))
        lighter += search_view(part).count("<") < part.count("<")
    assert lighter  # the tables and lists of parameters lose their cells' tags


def test_parts_the_parser_skips_on_purpose_are_given_whole() -> None:
    for html in ('<div data-search-exclude><p>secret</p></div>', '<table><tr><td><script>x()</script></td></tr></table>',
                 '<h2 id="a">A<a class="headerlink" href="#a">¶</a></h2>', '<style>p{}</style><div>x</div>'):
        assert search_view(html) == html


TAGS = st.sampled_from(["div", "span", "table", "tr", "td", "strong", "em", "details", "summary", "a",
                        "p", "code", "ul", "li", "pre", "h3"])
TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n \t#é")), max_size=12)


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(TAGS)
            attrs = ' id="h"' if tag == "h3" else draw(st.sampled_from(["", ' class="x"', " title='a>b'", ' href="#c"']))
            pieces.append(f"<{tag}{attrs}>{draw(fragments(depth + 1))}</{tag}>")
        else:
            pieces.append(re.sub(r"[<>&]", lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group(0)], draw(TEXT)))
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(fragments())
def test_any_markup_indexes_the_same(html: str) -> None:
    try:
        expected = indexed(on_a_page(html))
    except ValueError:  # Material's own parser fails on some nestings (headings in headings): nothing to match
        assume(False)
    assert indexed(on_a_page(search_view(html))) == expected
