"""Joined lexers give the very tokens of Pygments' own, so the pages highlight as before.

The snippet languages are compared on the snippets the shipped templates render and on
Hypothesis text made of code's punctuation; every other lexer Pygments ships that can be joined
is compared on a fixed sample of such text, so a Pygments upgrade that changes how lexers work
fails here rather than on the pages.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.lexing import JoinedLexer, joined
from apidocs.rendering.request import HttpRequest
from apidocs.rendering.snippets import render_snippet

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = load_languages(ROOT / "snippets")
SNIPPET_LEXERS = sorted({language.highlight for language in LANGUAGES} | {"json", "text"})

CODE_ALPHABET = "abcxyz_019 \n\t\"'`{}[]()<>#/*\\;:,.=+-$@!%&|?~^"
code_text = st.one_of(
    st.text(alphabet=CODE_ALPHABET, max_size=200),
    st.lists(st.sampled_from(["def ", "import ", "const ", "=> ", "${x}", "$(id)", '"""', "'''", "`a${b}`", "/re/g",
                              "<<EOF\nx\nEOF\n", "# c\n", "// c\n", "/* c */", "0x1F", "1e-3", "f'{a}'", "\\\n"]),
             max_size=30).map("".join),
)


def tokens(lexer: Lexer, text: str) -> list[tuple[object, str]]:
    return list(lexer.get_tokens(text))


@pytest.mark.parametrize("name", ["bash", "python", "javascript"])
def test_the_snippet_languages_are_joined(name: str) -> None:
    assert isinstance(joined(get_lexer_by_name(name)), JoinedLexer)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.name)
def test_rendered_snippets_lex_the_same(language: Language) -> None:
    request = HttpRequest("POST", "https://api.example.com", "/v1/orders/3f75/",
                          [("tag", "a"), ("tag", "b"), ("q", "it's \"quoted\" $(id)")], [("Token", "123")],
                          {"reason": "a\nb", "items": [{"sku": "x", "qty": 2}], "ok": True, "none": None})
    code = render_snippet(ROOT / "snippets", language, request)
    original = get_lexer_by_name(language.highlight)
    assert tokens(joined(original), code) == tokens(original, code)
    assert len(tokens(original, code)) >= 10  # a real snippet, highlighted token by token


@settings(max_examples=60, deadline=None)
@given(text=code_text, name=st.sampled_from(SNIPPET_LEXERS))
def test_joined_lexers_match_pygments_on_any_text(text: str, name: str) -> None:
    original = get_lexer_by_name(name)
    assert tokens(joined(original), text) == tokens(original, text)


def test_every_lexer_that_joins_matches_pygments() -> None:
    sample = random.Random(16)
    texts = ["".join(sample.choice(CODE_ALPHABET) for _ in range(240)) for _ in range(3)]
    compared = 0
    for _, aliases, _, _ in get_all_lexers():
        if not aliases:
            continue
        try:
            original = get_lexer_by_name(aliases[0])
        except ClassNotFound:
            continue
        quick = joined(original)
        if not isinstance(quick, JoinedLexer):
            continue
        compared += 1
        for text in texts:
            assert tokens(quick, text) == tokens(original, text), aliases[0]
    assert compared > 100


def test_back_references_and_flags_keep_their_meaning() -> None:
    """Rules with their own flags and back-references (Bash's here-documents) still match."""
    bash = get_lexer_by_name("bash")
    text = "cat <<EOF\nHello $NAME\nEOF\necho 'x' # done\n"
    assert tokens(joined(bash), text) == tokens(bash, text)
    assert any(value.startswith("<<EOF") for _, value in tokens(joined(bash), text))
    assert re.search(r"\\[1-9]", "".join(rule[0].__self__.pattern for rule in getattr(bash, "_tokens")["basic"]))
