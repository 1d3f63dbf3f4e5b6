"""Pygments' regex lexers, with each state's rules tried as one regular expression.

A `RegexLexer` tries the rules of its current state one after another, one Python call per
rule, at every position of the text: Python's state has 56 rules, so a 500-character snippet
costs thousands of calls, and highlighting was a sixth of a build. Joined into one alternation
per state, the same rules are tried in the same order by the regular expression engine itself
(an alternation takes its first alternative that matches, as the loop takes its first rule),
and the loop below runs once per token. The token stream is the same; a test compares the two.

A lexer that is not a plain `RegexLexer` is used as it is; a state whose rules cannot be joined
is tried rule by rule, as Pygments does. Where a rule's back-references would pass `\\99` (which
`re` reads as an octal escape), its state continues in a second alternation.

`re` tries every alternative in turn, and an alternative that opens with a group (most rules:
Pygments' `bygroups`) costs a step into the group even where its first character cannot match.
So each state is joined again for each character a token starts with, from only the rules whose
match can begin with it (read from `re`'s own parse of the rule; a rule that can match empty text,
or whose start cannot be told, is kept everywhere; letters share one expression, digits another).
Same rules, same order: same tokens. The Python and Node.js snippets lex in about half the time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

# `re`'s parser and compiler (Python 3.11 and later) tell which characters a rule can begin with.
from re import _compiler as re_compiler  # type: ignore[attr-defined]
from re import _constants as re_constants  # type: ignore[attr-defined]
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# Rules are (a compiled pattern's bound `match`, action, new state), as Pygments compiles them (`_tokens`).
Rule = tuple[Any, Any, Any]
# A state: its rules as one or more joined expressions, tried in order, each with the rule that
# owns each alternative's group.
Alternation = tuple[Callable[[str, int], "re.Match[str] | None"], dict[int, Rule]]
State = list[Alternation]

# What a rule's pattern says about its own groups, read the way `re` reads it: a class or an octal
# escape is kept as it is; references and conditionals by number are renumbered and group names
# made the rule's own (rules of one state may reuse a name).
_GROUP_SYNTAX = re.compile(r"""
    (?P<kept>\\0[0-7]{0,2} | \\[0-7]{3} | \[\^?\]?(?:\\.|[^\]\\])*\])
  | \\(?P<reference>[1-9][0-9]?)
  | \\.
  | \(\?P<(?P<named>\w+)>
  | \(\?P=(?P<named_reference>\w+)\)
  | \(\?\((?P<condition>\w+)\)
""", re.S | re.X)
_LEADING_FLAGS = re.compile(r"^(?:\(\?[aiLmsux]+\))+")
_SCOPED_FLAGS = ((re.I, "i"), (re.M, "m"), (re.S, "s"), (re.X, "x"))
_MAX_REFERENCE = 99  # `re` reads \100 as an octal escape


class _TooFar(Exception):
    """The rule's references would pass \\99 at this place in the alternation."""


def _alternative(pattern: re.Pattern[str], offset: int, rule_index: int) -> str:
    """The rule as group `offset` of the joined expression (its group n is then offset + n),
    with its own flags scoped to it."""

    def renumber(found: re.Match[str]) -> str:
        if found["reference"]:
            number = int(found["reference"]) + offset
            if number > _MAX_REFERENCE:
                raise _TooFar
            return f"(?:\\{number})"  # a group, so that digits after it stay literal
        if found["named"]:
            return f"(?P<{found['named']}_{rule_index}>"
        if found["named_reference"]:
            return f"(?P={found['named_reference']}_{rule_index})"
        if found["condition"]:
            condition = found["condition"]
            if condition.isdigit():
                return f"(?({int(condition) + offset})"
            return f"(?({condition}_{rule_index})"
        return found.group()

    body = _GROUP_SYNTAX.sub(renumber, _LEADING_FLAGS.sub("", pattern.pattern))
    on = "".join(letter for flag, letter in _SCOPED_FLAGS if pattern.flags & flag)
    off = "".join(letter for flag, letter in _SCOPED_FLAGS if not pattern.flags & flag)
    ascii_only = "a" if pattern.flags & re.A else ""
    end = "\n" if pattern.flags & re.X else ""  # a verbose rule may end in a comment
    return f"((?{ascii_only}{on}{'-' + off if off else ''}:{body}{end}))"


def _alternations(rules: list[tuple[int, Rule]]) -> State:
    """The rules (with their index in the state) joined, in order: a new alternation where a
    rule's references would pass \\99."""
    chunks: list[tuple[list[str], dict[int, Rule]]] = [([], {})]
    group = 1
    for index, rule in rules:
        pattern: re.Pattern[str] = rule[0].__self__  # the compiled rule whose `match` Pygments keeps
        try:
            part = _alternative(pattern, group, index)
        except _TooFar:
            chunks.append(([], {}))
            group = 1
            part = _alternative(pattern, group, index)
        chunks[-1][0].append(part)
        chunks[-1][1][group] = rule
        group += 1 + pattern.groups
    return [(re.compile("|".join(parts) or "(?!)").match, owners) for parts, owners in chunks]


def join_rules(rules: list[tuple[int, Rule]]) -> State:
    """Rules of a state (with their index in it) as few joined expressions as possible, or one by
    one where they cannot be joined."""
    try:
        return _alternations(rules)
    except (re.error, RecursionError, OverflowError, _TooFar):  # tried one by one, as Pygments does
        return [(rule[0], dict.fromkeys(range(1, rule[0].__self__.groups + 2), rule)) for _, rule in rules]


class _AnyStart(Exception):
    """The rule's match may begin with any character, or with none."""


_CONSUMING = (re_constants.LITERAL, re_constants.NOT_LITERAL, re_constants.IN, re_constants.ANY)
_ZERO_WIDTH = (re_constants.AT, re_constants.ASSERT, re_constants.ASSERT_NOT)
_REPEATS = (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT)


def _openings(items: Any, flags: int) -> tuple[list[tuple[Any, int]], bool]:
    """The character tests (with their flags) one of which a match of `items` passes first, and
    whether it can match empty text. Assertions are passed over: they only narrow what matches."""
    found: list[tuple[Any, int]] = []
    for op, argument in items:
        if op in _CONSUMING:
            found.append(((op, argument), flags))
            return found, False
        if op in _ZERO_WIDTH:
            continue
        if op is re_constants.SUBPATTERN:
            _group, add, remove, inner = argument
            more, empty = _openings(inner.data, (flags | add) & ~remove)
        elif op is re_constants.ATOMIC_GROUP:
            more, empty = _openings(argument.data, flags)
        elif op is re_constants.BRANCH:
            more, empty = [], False
            for branch in argument[1]:
                tests, can_be_empty = _openings(branch.data, flags)
                more += tests
                empty |= can_be_empty
        elif op in _REPEATS:
            low, _high, inner = argument
            more, empty = _openings(inner.data, flags)
            empty |= low == 0
        else:  # a back-reference or a conditional: could start anywhere
            raise _AnyStart
        found += more
        if not empty:
            return found, False
    return found, True


def _opening_test(pattern: re.Pattern[str]) -> Callable[[str], bool] | None:
    """Whether a match of `pattern` can begin with a given character; None when it can begin
    with any (or match empty text)."""
    try:
        parsed = re_parser.parse(pattern.pattern, pattern.flags)
        tests, empty = _openings(parsed.data, parsed.state.flags)
        if empty:
            return None
        matchers = [re_compiler.compile(re_parser.SubPattern(re_parser.State(), [test]), flags).match
                    for test, flags in tests]
    except (_AnyStart, re.error, RecursionError, OverflowError, TypeError, ValueError):
        return None
    return lambda character: any(match(character) is not None for match in matchers)


# Characters a state keeps its joined rules for; others are joined each time (text rarely holds
# this many different characters).
MAX_CHARACTERS = 4096
# Characters that share one joined expression, with the rules any of them can begin: a state
# reads many words, and joining for each letter apart would cost more than it saves.
_SHARED = (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"), frozenset("0123456789"))


class StateByCharacter(dict[str, State]):
    """A state's rules whose match can begin with a character, joined, by that character (''
    at the end of the text); characters that keep the same rules share their expressions."""

    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules
        self.tests = [_opening_test(rule[0].__self__) for rule in rules]
        self.by_rules: dict[tuple[int, ...], State] = {}

    def _kept(self, characters: Iterable[str]) -> tuple[int, ...]:
        return tuple(index for index, test in enumerate(self.tests)
                     if test is None or any(test(character) for character in characters))

    def __missing__(self, character: str) -> State:
        shared = next((group for group in _SHARED if character in group), None)
        kept = self._kept(shared if shared is not None else (character,) if character else ())
        state = self.by_rules.get(kept)
        if state is None:
            state = self.by_rules[kept] = join_rules([(index, self.rules[index]) for index in kept])
        for each in shared if shared is not None else (character,):
            if len(self) < MAX_CHARACTERS:
                self[each] = state
        return state


class JoinedStates(dict[str, StateByCharacter]):
    """Each state prepared when the lexer first enters it: a snippet visits a few of a lexer's
    states (Python has 49; joining them all took about a tenth of a second)."""

    def __init__(self, rules_by_state: dict[str, list[Rule]]) -> None:
        super().__init__()
        self.rules_by_state = rules_by_state

    def __missing__(self, name: str) -> StateByCharacter:
        state = self[name] = StateByCharacter(self.rules_by_state[name])  # KeyError for a state the lexer lacks, as in Pygments
        return state


class JoinedLexer(Lexer):
    """A `RegexLexer`'s tokens, found with one match per token."""

    def __init__(self, inner: RegexLexer, states: JoinedStates) -> None:
        super().__init__(**inner.options)
        self.inner = inner
        self.states = states
        self.filters = list(inner.filters)

    def get_tokens_unprocessed(self, text: str, stack: tuple[str, ...] = ("root",)) -> Iterator[tuple[int, Any, str]]:
        # The loop of RegexLexer.get_tokens_unprocessed, with the rule found by one match.
        position = 0
        states = self.states
        stack_now = list(stack)
        by_character = states[stack_now[-1]]
        while True:
            found = rule = None
            for match, owners in by_character[text[position:position + 1]]:
                found = match(text, position)
                if found is not None:
                    rule = owners[found.lastindex or 1]  # the rule's group closes last: it holds the whole alternative
                    break
            if found is not None and rule is not None:
                rule_match, action, new_state = rule
                if action is not None:
                    if type(action) is _TokenType:
                        yield position, action, found.group()
                    else:
                        # Callbacks read the rule's own groups: its own match, once more. They get
                        # the wrapped lexer, so `using(this)` lexes with Pygments' loop (same tokens).
                        yield from action(self.inner, rule_match(text, position))
                position = found.end()
                if new_state is not None:
                    if isinstance(new_state, tuple):
                        for state in new_state:
                            if state == "#pop":
                                if len(stack_now) > 1:
                                    stack_now.pop()
                            elif state == "#push":
                                stack_now.append(stack_now[-1])
                            else:
                                stack_now.append(state)
                    elif isinstance(new_state, int):
                        if abs(new_state) >= len(stack_now):
                            del stack_now[1:]
                        else:
                            del stack_now[new_state:]
                    elif new_state == "#push":
                        stack_now.append(stack_now[-1])
                    by_character = states[stack_now[-1]]
            elif position >= len(text):
                break
            elif text[position] == "\n":  # no rule matched at the end of a line: back to root
                stack_now = ["root"]
                by_character = states["root"]
                yield position, Whitespace, "\n"
                position += 1
            else:
                yield position, Error, text[position]
                position += 1


def joined(lexer: Lexer) -> Lexer:
    """The lexer with its states joined, or the lexer itself when that is not possible.

    Joining compiles each state anew: keep the result (blocks.py keeps one per language)."""
    rules_by_state = getattr(lexer, "_tokens", None)  # the compiled rules (some lexers pick them per instance)
    if (not isinstance(lexer, RegexLexer) or not isinstance(rules_by_state, dict)
            or type(lexer).get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed):
        return lexer
    return JoinedLexer(lexer, JoinedStates(rules_by_state))
