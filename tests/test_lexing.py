"""Joined lexers give the very tokens of Pygments' own, so the pages highlight as before.

Every rule of every lexer Pygments ships is checked where it stands in its joined expression:
`re`'s own parse of it there must be the parse of the rule alone (group numbers shifted), with the
same flags. Random text rarely reaches a rule like Perl's `q!…!`, whose back-reference once came
out as an octal escape. Token streams are compared too: the snippet languages on the snippets
the shipped templates render and on Hypothesis text, every lexer on code-like samples.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.lexing import JoinedLexer, join_rules, joined
from apidocs.rendering.request import HttpRequest
from apidocs.rendering.snippets import render_snippet

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = load_languages(ROOT / "snippets")
SNIPPET_LEXERS = sorted({language.highlight for language in LANGUAGES} | {"json", "text"})

def joinable_lexers() -> list[tuple[str, Lexer, Lexer]]:
    """(alias, Pygments' lexer, joined) for every lexer Pygments ships that can be joined."""
    found: list[tuple[str, Lexer, Lexer]] = []
    for _, aliases, _, _ in get_all_lexers():
        if not aliases:
            continue
        try:
            original = get_lexer_by_name(aliases[0])
        except ClassNotFound:
            continue
        quick = joined(original)
        if isinstance(quick, JoinedLexer):
            found.append((aliases[0], original, quick))
    return found


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


def _tree(items: Any, offset: int) -> list[Any]:
    """`re`'s parse of a pattern with group numbers less `offset`; a reference the joined rule
    wraps in `(?:…)` (so that digits after it stay literal) read as the bare reference."""
    shown: list[Any] = []
    for op, argument in items:
        if op is sre_constants.SUBPATTERN:
            group, add, remove, inner = argument
            if group is None and not add and not remove and len(inner.data) == 1 and inner.data[0][0] is sre_constants.GROUPREF:
                shown += _tree(inner.data, offset)
                continue
            shown.append((op, None if group is None else group - offset, add, remove, _tree(inner.data, offset)))
        elif op is sre_constants.GROUPREF:
            shown.append((op, argument - offset))
        elif op is sre_constants.GROUPREF_EXISTS:
            group, yes, no = argument
            shown.append((op, group - offset, _tree(yes.data, offset), _tree(no.data, offset) if no else None))
        elif op is sre_constants.BRANCH:
            shown.append((op, [_tree(branch.data, offset) for branch in argument[1]]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            shown.append((op, argument[0], argument[1], _tree(argument[2].data, offset)))
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            shown.append((op, argument[0], _tree(argument[1].data, offset)))
        elif op is sre_constants.ATOMIC_GROUP:
            shown.append((op, _tree(argument.data, offset)))
        else:
            shown.append((op, argument))
    return shown


def _group(items: Any, number: int) -> Any:
    """The SUBPATTERN of group `number`, wherever it is in a parse."""
    for op, argument in items:
        if op is sre_constants.SUBPATTERN:
            if argument[0] == number:
                return argument
            inner = argument[3].data
        elif op is sre_constants.BRANCH:
            for branch in argument[1]:
                found = _group(branch.data, number)
                if found is not None:
                    return found
            continue
        else:
            continue
        found = _group(inner, number)
        if found is not None:
            return found
    return None


def test_every_rule_parses_in_its_joined_expression_as_it_does_alone() -> None:
    checked = 0
    for alias, _, quick in joinable_lexers():
        assert isinstance(quick, JoinedLexer)
        for state, rules in quick.states.rules_by_state.items():  # every state, all its rules joined
            for match, owners in join_rules(list(enumerate(rules))):
                joined_pattern = match.__self__  # type: ignore[attr-defined]
                if all(rule[0].__self__ is joined_pattern for rule in owners.values()):
                    continue  # a rule tried on its own, as Pygments does
                parsed = sre_parser.parse(joined_pattern.pattern, joined_pattern.flags)
                for group, rule in owners.items():
                    own = rule[0].__self__
                    wrapper = _group(parsed.data, group)
                    assert wrapper is not None, (alias, state, own.pattern)
                    (op, scoped), = wrapper[3].data  # the rule's flags, scoped to it
                    assert op is sre_constants.SUBPATTERN and scoped[0] is None
                    alone = sre_parser.parse(own.pattern, own.flags)
                    flags = (scoped[1] | re.UNICODE) & ~scoped[2]
                    assert flags & ~re.VERBOSE == alone.state.flags & ~re.VERBOSE, (alias, state, own.pattern)
                    assert _tree(scoped[3].data, group) == _tree(alone.data, 0), (alias, state, own.pattern)
                    checked += 1
    assert checked > 10_000


CODE_FRAGMENTS = ["q!hi!", "qw(a b)", "s/a/b/g", '<source lang="c">int x;</source>', "<<'E'\nx\nE\n", "<<-EOF\n\tx\n\tEOF\n",
                  "[[a]]", "`t`", "'it''s'", '"a\\"b"', "${x:-y}", "$(id)", "f'{a!r}'", "r'\\d'", "/* c */", "// c", "# c",
                  "-- c", "<!-- c -->", "{{ x }}", "{% if %}", "0x1F", "1e-3", "@decorator", "=>", "::", "\\\n", "\t", "é", "😀"]


def test_every_lexer_that_joins_matches_pygments() -> None:
    sample = random.Random(16)
    texts = ["".join(sample.choice(CODE_ALPHABET) for _ in range(240)) for _ in range(2)]
    texts += [" ".join(sample.choice(CODE_FRAGMENTS) for _ in range(40)) + "\n" for _ in range(3)]
    lexers = joinable_lexers()
    for alias, original, quick in lexers:
        for text in texts:
            assert tokens(quick, text) == tokens(original, text), alias
    assert len(lexers) > 400  # Perl, MySQL and CMake among them (references past \\99, names used twice)
    assert {"perl", "mysql", "cmake"} <= {alias for alias, _, _ in lexers}


@pytest.mark.parametrize(("name", "text"), [
    ("perl", "$x = q!hi!;\n"), ("perl", "print <<'E';\nhi\nE\n"), ("wikitext", '<source lang="c">int x;</source>\n'),
    ("mysql", "SELECT 'a', \"b\" FROM `t`;\n"), ("cmake", "set(x [[a]])\n"),
])
def test_rules_beyond_the_ninety_ninth_group_and_shared_names_lex_as_in_pygments(name: str, text: str) -> None:
    original = get_lexer_by_name(name)
    assert tokens(joined(original), text) == tokens(original, text)


def test_back_references_and_flags_keep_their_meaning() -> None:
    """Rules with their own flags and back-references (Bash's here-documents) still match."""
    bash = get_lexer_by_name("bash")
    text = "cat <<EOF\nHello $NAME\nEOF\necho 'x' # done\n"
    assert tokens(joined(bash), text) == tokens(bash, text)
    assert any(value.startswith("<<EOF") for _, value in tokens(joined(bash), text))
    assert re.search(r"\\[1-9]", "".join(rule[0].__self__.pattern for rule in bash._tokens["basic"]))  # type: ignore[attr-defined]


def test_each_character_is_tried_against_the_rules_that_can_begin_there() -> None:
    """Python's root state holds about sixty rules; a token that starts with `"` is tried against
    the few that can begin with it (and those that can match empty text), with the same tokens."""
    python = joined(get_lexer_by_name("python"))
    assert isinstance(python, JoinedLexer)
    text = 'x = "a" + 1  # note\n'
    assert tokens(python, text) == tokens(get_lexer_by_name("python"), text)
    every_rule = len(python.states.rules_by_state["root"])
    by_character = python.states["root"]
    tried = {character: sum(len(owners) for _, owners in by_character[character]) for character in '"#1x '}
    assert every_rule > 40
    assert all(tried[character] < every_rule / 4 for character in '"#1 '), tried
    assert tried["x"] < every_rule  # letters share one expression: the rules any letter can begin
    assert by_character["x"] is by_character["y"]
