"""Path templates such as `/timp/orders/{uuid}/confirm/`: parse, match, expand, compare.

Every stage that reads a placeholder goes through `PathTemplate`, so they agree on what a
placeholder is. Matching uses unnamed groups: a template that repeats a name (which the loader
refuses) can never make a regex fail to compile in the sandbox or the linter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote, unquote

import regex

# A placeholder's name: hyphens and dots too (`<export-uuid>`, OpenAPI's `{toy.id}`). Names are only
# ever looked up by position, never made into regex group names or code identifiers.
PLACEHOLDER_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
# `{name}` in a path template; the source format writes `<name>` and the loader normalises it.
PLACEHOLDER = re.compile(r"\{(" + PLACEHOLDER_NAME + r")\}")
# What `encode` leaves alone in the literal parts: `/` and the characters RFC 3986 allows in a path.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"
# Ways of splitting one path among placeholders that share a segment, tried by the sandbox; and
# the positions tried to find them (a path can be written so that most ways lead nowhere late).
MAX_SPLITS = 32
MAX_SPLIT_STEPS = 20_000
PATH_MATCH_SECONDS = 0.05  # one path against one template whose placeholders share a segment


# Names the operation a request means among those sharing its route (paths that differ only in
# placeholder names or suffix): the check and the explorer send it, the sandbox reads it.
ROUTE_HEADER = "X-Apidocs-Route"


def route_header_value(template: str) -> str:
    """A template as the header carries it: percent-encoded, since a header holds Latin-1 only."""
    return quote(template, safe="/{}?#&=:;,+*!$'()@~")


def split_suffix(text: str) -> tuple[str, str]:
    """(path, suffix): a template may end in `?…` or `#…` outside its placeholders, as specs
    converted from other formats tell operations on one path apart (AWS's `/#Action=Describe`,
    `/search?query={query}`). The suffix names the operation; it is not part of the path sent."""
    if "?" not in text and "#" not in text:
        return text, ""  # nearly every path
    # Any `{…}` is masked, not only well-named placeholders: an OpenAPI `{item#id}` is one.
    found = re.search(r"[?#]", re.sub(r"\{[^{}/]*\}", lambda match: "_" * len(match.group(0)), text))
    return (text, "") if found is None else (text[: found.start()], text[found.start() :])


@dataclass(frozen=True)
class PathTemplate:
    text: str
    literals: tuple[str, ...] = field(init=False, repr=False, compare=False)  # one more than names
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)  # in path order
    suffix: str = field(init=False, repr=False, compare=False)  # `?…`/`#…` after the path, or ''

    def __post_init__(self) -> None:
        path, suffix = split_suffix(self.text)
        literals: list[str] = []
        names: list[str] = []
        last = 0
        for match in PLACEHOLDER.finditer(path):
            literals.append(path[last : match.start()])
            names.append(match.group(1))
            last = match.end()
        literals.append(path[last:])
        object.__setattr__(self, "literals", tuple(literals))
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "suffix", suffix)

    @property
    def fixed_query(self) -> list[tuple[str, str | None]]:
        """What the suffix says the query holds, without placeholders: `name=value` pairs
        (`#Action=Describe`) and bare names (`?uploads`, `#domain&repository`) as (name, None),
        present with any value. They tell this operation from others on its path."""
        items = [item.partition("=") for item in self.suffix[1:].split("&")] if self.suffix else []
        return [(unquote(name), unquote(value) if sign else None) for name, sign, value in items
                if name and not PLACEHOLDER.search(name + value)]

    @property
    def repeated_names(self) -> list[str]:
        """Names used more than once (`/x/{id}/{id}/`): such a template cannot be matched by name."""
        return sorted({name for index, name in enumerate(self.names) if name in self.names[:index]})

    @property
    def key(self) -> str:
        """The route the template is: `/orders/{id}/` and `/orders/{uuid}/` are the same key `/orders/{}/`
        (and so are `/#Action=A` and `/#Action=B`, told apart by their query)."""
        return "{}".join(self.literals)

    @property
    def literal_length(self) -> int:
        return sum(len(part) for part in self.literals)

    def _regex(self, allow_empty: bool) -> Any:
        return self._empty_segments_regex if allow_empty else self._segments_regex

    # Compiled once per template: the sandbox matches a path on every request. Placeholders that
    # share a segment (`/{year}-{month}-{day}`) make a pattern whose failing match tries every
    # way of cutting the segment: a crafted path of 4,000 dashes took 70 s. Those are matched by
    # `regex` with a time limit, as schema patterns are; the others (linear) by `re`.
    @cached_property
    def _segments_regex(self) -> Any:
        return self._compiled("([^/]+)")

    @cached_property
    def _empty_segments_regex(self) -> Any:
        return self._compiled("([^/]*)")

    def _compiled(self, placeholder: str) -> Any:
        source = placeholder.join(re.escape(part) for part in self.literals)
        return regex.compile(source) if self.shares_segments else re.compile(source)

    def match(self, path: str, *, allow_empty: bool = False) -> dict[str, str] | None:
        """The placeholder values of a concrete path (one segment each), or None when it has another shape.

        With `allow_empty`, `/orders//` matches `/orders/{id}/` with an empty `id` (for messages).
        A repeated name keeps its first value.
        """
        pattern = self._regex(allow_empty)
        try:
            found = pattern.fullmatch(path, timeout=PATH_MATCH_SECONDS) if self.shares_segments else pattern.fullmatch(path)
        except TimeoutError:
            return None  # no path of a request meant so many ways to be cut
        if found is None:
            return None
        values: dict[str, str] = {}
        for name, value in zip(self.names, found.groups(), strict=True):
            values.setdefault(name, value)
        return values

    def matches(self, path: str) -> bool:
        return self.match(path) is not None

    @cached_property
    def shares_segments(self) -> bool:
        """Whether two placeholders share a segment (`/{name}.{ext}`): a path may split between them in more ways than one."""
        return any("/" not in literal for literal in self.literals[1:-1])

    def splits(self, path: str, limit: int = MAX_SPLITS) -> list[dict[str, str]]:
        """The ways (at most `limit`, found within MAX_SPLIT_STEPS positions tried) `path` fills
        the placeholders, `match`'s own first.

        `/y/{a}-{b}` takes `/y/x-y-2020-01-02` as a=`x-y-2020-01`, b=`02` (the regex is greedy),
        and as a=`x-y`, b=`2020-01-02`: which one the request meant only the values' schemas can tell.
        """
        first = self.match(path)
        if first is None or not self.shares_segments:
            return [] if first is None else [first]
        found: list[dict[str, str]] = []
        steps = 0

        def fill(index: int, start: int, values: list[str]) -> None:
            nonlocal steps
            literal = self.literals[index + 1]
            last = index == len(self.names) - 1
            # Longest value first, as the regex takes it.
            ends = [len(path) - len(literal)] if last else range(len(path) - len(literal), start, -1)
            for end in ends:
                steps += 1
                if len(found) >= limit or steps > MAX_SPLIT_STEPS:
                    return
                value = path[start:end]
                if not value or "/" in value or not path.startswith(literal, end) or (last and end + len(literal) != len(path)):
                    continue
                if last:
                    named: dict[str, str] = {}
                    for name, item in zip(self.names, [*values, value], strict=True):
                        named.setdefault(name, item)
                    found.append(named)
                else:
                    fill(index + 1, end + len(literal), [*values, value])

        if self.names and path.startswith(self.literals[0]):
            fill(0, len(self.literals[0]), [])
        return found or [first]

    def expand(self, values: Mapping[str, str], encode_value: Callable[[str], str] = str,
               encode_literal: Callable[[str], str] = str) -> str:
        """The path with each placeholder replaced by `encode_value(values[name])` ('' when missing)."""
        out = encode_literal(self.literals[0])
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            out += encode_value(values.get(name, "")) + encode_literal(literal)
        return out

    def replace_placeholders(self, render: Callable[[str], str], encode_literal: Callable[[str], str] = str) -> str:
        """The template with each placeholder written by `render(name)` (for display or other syntaxes)."""
        out = encode_literal(self.literals[0])
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            out += render(name) + encode_literal(literal)
        return out

    def encoded(self) -> str:
        """The template with its literal parts percent-encoded, placeholders kept as `{name}`."""
        return self.replace_placeholders(lambda name: "{" + name + "}", encode_literal=encode_literal_path)


@lru_cache(maxsize=4096)
def path_template(text: str) -> PathTemplate:
    """The template of `text`, shared: a template never changes, and a build asks for each
    endpoint's several times (its page, snippets, panel, export)."""
    return PathTemplate(text)


def encode_literal_path(text: str) -> str:
    return quote(text, safe=_PATH_SAFE)


def encode_path_segment(value: str) -> str:
    """Percent-encode one path segment so every client sends it byte for byte.

    Everything but unreserved characters is encoded, which also keeps curl's URL globbing
    (`[]{}`) and shells away from the value.
    """
    return quote(value, safe="")
