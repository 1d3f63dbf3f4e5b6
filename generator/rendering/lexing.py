"""Pygments' regex lexers, with each state's rules tried as one regular expression.

A `RegexLexer` tries the rules of its current state one after another, one Python call per
rule, at every position of the text: Python's state has 56 rules, so a 500-character snippet
costs thousands of calls, and highlighting was a sixth of a build. Joined into one alternation
per state, the same rules are tried in the same order by the regular expression engine itself
(an alternation takes its first alternative that matches, as the loop takes its first rule),
and the loop below runs once per token. The token stream is the same; a test compares the two.

A lexer that is not a plain `RegexLexer`, or whose rules cannot be joined, is used as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# Rules are (match function, action, new state), as Pygments compiles them (`_tokens`).
Rule = tuple[Callable[..., Any], Any, Any]
# Per state: the joined match function, the rule that owns each alternative's group, the rules.
State = tuple[Callable[[str, int], "re.Match[str] | None"], dict[int, Rule], list[Rule]]

# A rule's back-references and conditionals name its own groups: renumbered when joined.
_GROUP_REFERENCE = re.compile(r"\\([1-9][0-9]?)|\\.|\(\?\((\d+)\)", re.S)
_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_SCOPED_FLAGS = ((re.I, "i"), (re.M, "m"), (re.S, "s"), (re.X, "x"))


def _alternative(pattern: re.Pattern[str], first_group: int) -> str:
    """The rule as one group of the joined expression, with its own flags scoped to it."""
    offset = first_group  # the rule's group n is the joined expression's group offset + n

    def renumber(found: re.Match[str]) -> str:
        if found.group(1):
            return "\\" + str(int(found.group(1)) + offset)
        if found.group(2):
            return f"(?({int(found.group(2)) + offset})"
        return found.group()

    body = _GROUP_REFERENCE.sub(renumber, _LEADING_FLAGS.sub("", pattern.pattern))
    on = "".join(letter for flag, letter in _SCOPED_FLAGS if pattern.flags & flag)
    off = "".join(letter for flag, letter in _SCOPED_FLAGS if not pattern.flags & flag)
    end = "\n" if pattern.flags & re.X else ""  # a verbose rule may end in a comment
    return f"((?{on}{'-' + off if off else ''}:{body}{end}))"


def _joined_states(rules_by_state: dict[str, list[Rule]]) -> dict[str, State] | None:
    states: dict[str, State] = {}
    for name, rules in rules_by_state.items():
        owners: dict[int, Rule] = {}
        parts = []
        group = 1
        for rule in rules:
            pattern: re.Pattern[str] = getattr(rule[0], "__self__")  # the compiled rule whose `match` Pygments keeps
            owners[group] = rule
            parts.append(_alternative(pattern, group))
            group += 1 + pattern.groups
        try:
            joined = re.compile("|".join(parts) or "(?!)")
        except (re.error, RecursionError, OverflowError):
            return None
        states[name] = (joined.match, owners, list(rules))
    return states


class JoinedLexer(Lexer):
    """A `RegexLexer`'s tokens, found with one match per token."""

    def __init__(self, inner: RegexLexer, states: dict[str, State]) -> None:
        super().__init__(**inner.options)
        self.inner = inner
        self.states = states
        self.filters = list(inner.filters)

    def get_tokens_unprocessed(self, text: str, stack: tuple[str, ...] = ("root",)) -> Iterator[tuple[int, Any, str]]:
        # The loop of RegexLexer.get_tokens_unprocessed, with the rule found by one match.
        position = 0
        states = self.states
        stack_now = list(stack)
        match, owners, _ = states[stack_now[-1]]
        while True:
            found = match(text, position)
            if found is not None:
                rule_match, action, new_state = owners[found.lastindex or 0]
                if action is not None:
                    if type(action) is _TokenType:
                        yield position, action, found.group()
                    else:  # callbacks read the rule's own groups
                        own = rule_match(text, position)
                        yield from action(self.inner, own)
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
                    match, owners, _ = states[stack_now[-1]]
            elif position >= len(text):
                break
            elif text[position] == "\n":  # no rule matched at the end of a line: back to root
                stack_now = ["root"]
                match, owners, _ = states["root"]
                yield position, Whitespace, "\n"
                position += 1
            else:
                yield position, Error, text[position]
                position += 1


def joined(lexer: Lexer) -> Lexer:
    """The lexer with its states joined, or the lexer itself when that is not possible.

    Joining compiles every state anew: keep the result (blocks.py keeps one per language)."""
    rules_by_state = getattr(lexer, "_tokens", None)  # the compiled rules (some lexers pick them per instance)
    if (not isinstance(lexer, RegexLexer) or not isinstance(rules_by_state, dict)
            or type(lexer).get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed):
        return lexer
    states = _joined_states(rules_by_state)
    return lexer if states is None else JoinedLexer(lexer, states)
