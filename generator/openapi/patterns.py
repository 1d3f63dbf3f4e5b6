"""A short text that a string schema's `pattern` matches, for made-up examples.

Built from the pattern's syntax tree, as Python's `re` parses it: at each choice the first
alternative, each repetition its fewest times, each class its first character. The caller
checks the text with the pattern itself (ECMA-262 and `re` differ at the edges, and lookarounds
are not followed here), so a wrong guess is never used, only missed.

The tree comes from the parser `re` itself uses (`apidocs.model.validation.RE_PARSER`); when a
Python release moves it, every pattern is simply given no text here.
"""

from __future__ import annotations

from typing import Any

from apidocs.model.validation import RE_CONSTANTS as _sre
from apidocs.model.validation import RE_PARSER as _parser

MAX_TEXT = 1000  # characters: a pattern asking for more gets no text here
MAX_STEPS = 10_000  # parts of the pattern written (repeats counted): an untrusted pattern may nest them deep
# For a negated class (`[^,]`): the first of these the class does not exclude.
_ANY_OF = "a0A_-. x"


class _TooLong(Exception):
    pass


class _Unknown(Exception):
    pass


def text_matching(pattern: str) -> str | None:
    """A text the pattern should match (unchecked: see the module's note), or None."""
    if _parser is None or len(pattern) > 10_000:
        return None
    try:
        tree = _parser.parse(pattern)
    except Exception:  # not `re` syntax (ECMA's `\p{L}`, …), or too deep
        return None
    try:
        text = _Writer().write(tree)
    except (_TooLong, _Unknown, RecursionError, ValueError):
        return None
    # Text only: no lone surrogate (not UTF-8) and no control character (a header or a path cannot carry it).
    return None if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in text) else text


class _Writer:
    def __init__(self) -> None:
        self.groups: dict[int, str] = {}
        self.length = 0
        self.steps = 0

    def write(self, items: Any) -> str:
        return "".join(self._item(op, value) for op, value in items)

    def _add(self, text: str) -> str:
        self.length += len(text)
        if self.length > MAX_TEXT:
            raise _TooLong
        return text

    def _item(self, op: Any, value: Any) -> str:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooLong
        if op is _sre.LITERAL:
            return self._add(chr(value))
        if op is _sre.NOT_LITERAL:
            return self._add("a" if value != ord("a") else "b")
        if op is _sre.ANY:
            return self._add("a")
        if op is _sre.IN:
            return self._add(self._one_of(value))
        if op is _sre.BRANCH:
            return self.write(value[1][0])
        if op is _sre.SUBPATTERN:
            group, _, _, items = value
            text = self.write(items)
            if group is not None:
                self.groups[group] = text
            return text
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            least, _, items = value
            if least > MAX_TEXT:
                raise _TooLong
            if least == 0:
                return ""
            once = self.write(items)
            return once + "".join(self.write(items) for _ in range(least - 1)) if once else ""  # empty: so is every time
        if op is getattr(_sre, "ATOMIC_GROUP", None):
            return self.write(value)
        if op is _sre.GROUPREF:
            return self._add(self.groups.get(value, ""))
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            return ""  # anchors and lookarounds take no text
        raise _Unknown

    @staticmethod
    def _one_of(items: Any) -> str:
        if items and items[0][0] is _sre.NEGATE:
            excluded = items[1:]
            for candidate in _ANY_OF:
                if not any(_Writer._in(candidate, op, value) for op, value in excluded):
                    return candidate
            raise _Unknown
        op, value = items[0]
        if op is _sre.LITERAL:
            return chr(value)
        if op is _sre.RANGE:
            return chr(value[0])
        if op is _sre.CATEGORY:
            return _CATEGORY_TEXT.get(value, "a")
        raise _Unknown

    @staticmethod
    def _in(character: str, op: Any, value: Any) -> bool:
        """Whether a class item takes `character` (for negated classes)."""
        code = ord(character)
        if op is _sre.LITERAL:
            return bool(code == value)
        if op is _sre.RANGE:
            return bool(value[0] <= code <= value[1])
        if op is _sre.CATEGORY:
            return character in _CATEGORY_MEMBERS.get(value, _ANY_OF)
        return True  # anything else: assume it does (the candidate is then not used)


_CATEGORY_TEXT: dict[Any, str] = {}
_CATEGORY_MEMBERS: dict[Any, str] = {}
if _sre is not None:
    _CATEGORY_TEXT = {_sre.CATEGORY_DIGIT: "0", _sre.CATEGORY_NOT_DIGIT: "a", _sre.CATEGORY_WORD: "a",
                      _sre.CATEGORY_NOT_WORD: "-", _sre.CATEGORY_SPACE: " ", _sre.CATEGORY_NOT_SPACE: "a"}
    _CATEGORY_MEMBERS = {_sre.CATEGORY_DIGIT: "0", _sre.CATEGORY_NOT_DIGIT: "aA_-. x", _sre.CATEGORY_WORD: "a0A_",
                         _sre.CATEGORY_NOT_WORD: "-. ", _sre.CATEGORY_SPACE: " ", _sre.CATEGORY_NOT_SPACE: "a0A_-."}
