"""Split a Markdown file into YAML front matter and body, keeping line numbers for messages.

Front matter is untrusted: before PyYAML builds any Python value, the event stream is checked
for nesting depth and for what aliases would add (a 600-byte "billion laughs" expands to 10^9
values), and the node tree for values a definition cannot hold (`!!binary`, `!!set`, NaN,
numbers of thousands of digits, lone surrogates). Each refusal is one `path:line: E013` line.

Front matter that is one JSON object (YAML reads JSON too; `import-openapi` writes its large
definitions so) is read by the `json` module, with the same limits: composing a YAML node per
value took 60 ms for a Kubernetes definition that `json` reads in 2. Its lines are kept for keys
down to JSON_LINE_DEPTH levels, where the loader's messages point; a message about a deeper
value points at the nearest key above it. Only the top-level keys' lines are read with the data:
the deeper ones are read when a message first asks for one (`LinesWhenAsked`), as walking four
levels in Python took most of the time of reading a definition that has no mistake.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apidocs.definitions.format import MAX_ALIAS_EXPANSION, MAX_NUMBER_DIGITS, MAX_YAML_DEPTH
from apidocs.model.errors import DefinitionError


class LinesWhenAsked(Mapping[tuple[str, ...], int]):
    """Lines of keys, read by `read` on the first look-up (most definitions have no mistake to
    point at)."""

    def __init__(self, read: Callable[[], dict[tuple[str, ...], int]]) -> None:
        self._read: Callable[[], dict[tuple[str, ...], int]] | None = read
        self._lines: dict[tuple[str, ...], int] = {}

    def _all(self) -> dict[tuple[str, ...], int]:
        if self._read is not None:
            self._lines, self._read = self._read(), None
        return self._lines

    def __getitem__(self, where: tuple[str, ...]) -> int:
        return self._all()[where]

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body: str
    body_line: int  # 1-based line number of the body's first line
    key_lines: dict[str, int] = field(default_factory=dict)  # 1-based line of each top-level key
    # 1-based line of every key and list item, by its path (`("example", "headers", "Accept")`).
    path_lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


# libyaml's parser when PyYAML was built with it: about ten times faster on large front matter,
# which is most of the time spent loading a tree.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "merge")}
_COLLECTION_TAGS = {_CORE + "seq", _CORE + "map"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE_SURROGATE = "text holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which UTF-8 cannot write"


class YamlLimitError(Exception):
    """Front matter that parses but is not something a definition may hold."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line  # 0-based, in the YAML source
        self.message = message


def _check_events(loader: Any) -> None:
    """Depth and alias expansion, from the flat event stream (no recursion, nothing built yet)."""
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, values counted when it opened)
    sizes: dict[str, int] = {}
    total = literal = 0
    while True:
        event = loader.get_event()
        if event is None:
            return
        line = event.start_mark.line if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            total += sizes.get(event.anchor or "", 1)
            if total - literal > MAX_ALIAS_EXPANSION:
                raise YamlLimitError(line, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} values "
                                           "(an alias bomb?): write the values out")
        elif isinstance(event, yaml.ScalarEvent):
            total += 1
            literal += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            total += 1
            literal += 1
            open_nodes.append((event.anchor, total))
            if len(open_nodes) > MAX_YAML_DEPTH:
                raise YamlLimitError(line, f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, start = open_nodes.pop()
            if anchor:
                sizes[anchor] = total - start + 1


def _check_scalar(loader: Any, node: yaml.ScalarNode) -> None:
    line = node.start_mark.line
    if _SURROGATE.search(node.value):
        raise YamlLimitError(line, _LONE_SURROGATE)
    if node.tag == _CORE + "timestamp":
        node.tag = _CORE + "str"  # `date: 2024-01-31` stays the text it is; a date object would reach JSON and HTML
    elif node.tag == _CORE + "int" and len(re.sub(r"[^0-9a-fA-F]", "", node.value)) > MAX_NUMBER_DIGITS:
        raise YamlLimitError(line, f"number with more than {MAX_NUMBER_DIGITS} digits: quote it if it is text")
    elif node.tag == _CORE + "float":
        if len(node.value) > MAX_NUMBER_DIGITS or not math.isfinite(loader.construct_yaml_float(node)):
            raise YamlLimitError(line, f"{node.value!r} is not a finite number JSON can carry: quote it if it is text")
    elif node.tag not in _SCALAR_TAGS:
        raise YamlLimitError(line, f"YAML tag {_short_tag(node.tag)} is not supported (text, numbers, booleans, lists and mappings only)")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _check_nodes(loader: Any, root: yaml.Node, first_line: int) -> dict[tuple[str, ...], int]:
    """Refuse what a definition cannot hold and nesting deeper than MAX_YAML_DEPTH; return the
    line of every key path (iteratively: libyaml composes up to a thousand levels)."""
    lines: dict[tuple[str, ...], int] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...], int]] = [(root, (), 1)]
    while stack:
        node, where, depth = stack.pop()
        if id(node) in seen:
            continue  # an alias: checked where its anchor was written
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(loader, node)
            continue
        if node.tag not in _COLLECTION_TAGS:
            raise YamlLimitError(node.start_mark.line, f"YAML tag {_short_tag(node.tag)} is not supported "
                                                       "(text, numbers, booleans, lists and mappings only)")
        if depth > MAX_YAML_DEPTH:
            raise YamlLimitError(node.start_mark.line, f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep")
        children: list[tuple[yaml.Node, tuple[str, ...], int]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                lines.setdefault((*where, name), first_line + key.start_mark.line)
                children += [(key, (*where, name), depth + 1), (value, (*where, name), depth + 1)]
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*where, str(index)), first_line + item.start_mark.line)
                children.append((item, (*where, str(index)), depth + 1))
        stack += reversed(children)  # in document order: a node is met where its anchor is written
    return lines


class _Expansion:
    """What aliases add to a composed document: each alias counts the values of the node it
    names, in document order, as the event check counts them (a node named while still open
    counts one). Refused at the collection where the sum passes MAX_ALIAS_EXPANSION. Runs after
    the depth check, so its recursion is bounded."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.added = 0

    def size(self, node: yaml.Node) -> int:
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.ScalarNode):
            self.sizes[id(node)] = 1
            return 1
        self.sizes[id(node)] = 1  # while open
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
        total = 1
        for child in children:
            if id(child) in self.sizes:  # written before: an alias
                repeated = self.sizes[id(child)]
                self.added += repeated
                total += repeated
                if self.added > MAX_ALIAS_EXPANSION:
                    raise YamlLimitError(node.start_mark.line, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} "
                                                               "values (an alias bomb?): write the values out")
            else:
                total += self.size(child)
        self.sizes[id(node)] = total
        return total


_STR = _CORE + "str"
_MERGE = _CORE + "merge"
_SEQ, _MAP = _CORE + "seq", _CORE + "map"


class _NotPlain(Exception):
    """A mapping with a merge key or a key that is not a scalar, or a collection tagged as the
    other kind: PyYAML's constructor builds it (or refuses it)."""


def _construct(loader: Any, node: yaml.Node, built: dict[int, Any]) -> Any:
    """The value of a checked node tree, as PyYAML's safe constructor builds it (one object per
    anchored node), without its generator per collection: text, the bulk of a definition, is
    taken as it is; other scalars go through PyYAML."""
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == _STR else loader.construct_object(node)
    found = built.get(id(node))
    if found is not None:
        return found
    if node.tag != (_SEQ if isinstance(node, yaml.SequenceNode) else _MAP):
        raise _NotPlain  # `!!map [1]`: PyYAML refuses it, in its own words
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        built[id(node)] = items
        items.extend(_construct(loader, item, built) for item in node.value)
        return items
    mapping: dict[Any, Any] = {}
    built[id(node)] = mapping
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
            raise _NotPlain
        mapping[key.value if key.tag == _STR else loader.construct_object(key)] = _construct(loader, value, built)
    return mapping


def _parse(source: str, loader_class: Any, first_line: int) -> tuple[Any, Any, dict[tuple[str, ...], int]]:
    """The node tree, the data and the line of every key, from checked YAML. libyaml bounds
    nesting itself (a thousand levels), so its node tree is composed first and checked whole;
    PyYAML's own composer recurses in Python, so its event stream is checked before."""
    if loader_class is yaml.SafeLoader:
        checker = loader_class(source)
        try:
            _check_events(checker)
        finally:
            checker.dispose()
    loader = loader_class(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, {}
        lines = _check_nodes(loader, node, first_line)
        _Expansion().size(node)
        try:
            data = _construct(loader, node, {})
        except _NotPlain:
            data = loader.construct_document(node)
        return node, data, lines
    finally:
        loader.dispose()


def parse_yaml(source: str, path: Path | str, first_line: int, what: str = "front matter") -> tuple[Any, Any, dict[tuple[str, ...], int]]:
    """Checked YAML from a file whose `source` starts at `first_line`: (node, data, key lines)."""
    try:
        try:
            return _parse(source, _FAST_LOADER, first_line)
        except yaml.YAMLError:
            return _parse(source, yaml.SafeLoader, first_line)  # the pure-Python parser words errors the same everywhere
    except YamlLimitError as error:
        raise DefinitionError(path, first_line + error.line, f"{what}: {error.message}", "E013") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = first_line + mark.line if mark else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        # The parser stops where it notices (often the line after an unclosed `[` or quote);
        # what it was reading says where the mistake most likely is.
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark is not None and mark is not None and context_mark.line < mark.line:
            problem += f" ({context} that starts on line {first_line + context_mark.line})"
        raise DefinitionError(path, line, f"{what} is not valid YAML: {problem}", "E001") from None
    except (RecursionError, ValueError, OverflowError) as error:  # bounds above should make these unreachable
        raise DefinitionError(path, first_line, f"{what} cannot be read: {type(error).__name__}: {str(error)[:100]}", "E013") from None


# Levels of a JSON front matter whose keys get their lines: `request.parameters.query.<name>`.
JSON_LINE_DEPTH = 4
_JSON_SPACE = re.compile(r"[ \t\n\r]+")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class _NotJson(ValueError):
    """Not strict JSON (or nested too deep for `json`): the front matter is read as YAML."""


def _skip_space(source: str, index: int) -> int:
    found = _JSON_SPACE.match(source, index)
    return found.end() if found else index


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)  # NaN and Infinity are not JSON; as YAML they are text


class _JsonReader:
    """Strict JSON, with the line of each key and list item in its first `line_depth` levels.
    Those levels are walked here; every value below them is read by `json` in one call."""

    def __init__(self, source: str, first_line: int, line_depth: int = JSON_LINE_DEPTH) -> None:
        self.source = source
        self.line_depth = line_depth
        self.lines: dict[tuple[str, ...], int] = {}
        # The numbers are read by hooks that note one JSON cannot carry: a walk over every value
        # to find them took longer than reading the JSON.
        self._decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=self._float, parse_int=self._int)
        self._at, self._line = 0, first_line
        # A value the checks of `_check_json` may refuse: a lone surrogate (only an escape writes one),
        # a number of more than MAX_NUMBER_DIGITS digits or one too large for a float.
        self.scalars_at_risk = "\\u" in source and _ESCAPED_SURROGATE.search(source) is not None

    def _float(self, text: str) -> float:
        value = float(text)
        if len(text) > MAX_NUMBER_DIGITS or not math.isfinite(value):
            self.scalars_at_risk = True
        return value

    def _int(self, text: str) -> int:
        if len(text) > MAX_NUMBER_DIGITS:
            self.scalars_at_risk = True
        return int(text)

    def _line_at(self, index: int) -> int:
        """Line of `index`; called with indexes in increasing order, so each newline is counted once."""
        self._line += self.source.count("\n", self._at, index)
        self._at = index
        return self._line

    def read(self) -> Any:
        value, end = self._value(0, (), 0)
        if self.source[end:].strip():
            raise _NotJson("text after the object")
        return value

    def _value(self, index: int, where: tuple[str, ...], depth: int) -> tuple[Any, int]:
        index = _skip_space(self.source, index)
        opening = self.source[index:index + 1]
        if depth < self.line_depth and opening == "{":
            return self._object(index + 1, where, depth)
        if depth < self.line_depth and opening == "[":
            return self._array(index + 1, where, depth)
        try:
            return self._decoder.raw_decode(self.source, index)
        except (ValueError, RecursionError) as error:
            raise _NotJson(str(error)) from None

    def _after(self, index: int, closing: str) -> tuple[bool, int]:
        """Past the separator after a member: (another member follows, index)."""
        index = _skip_space(self.source, index)
        if self.source.startswith(",", index):
            return True, _skip_space(self.source, index + 1)
        if self.source.startswith(closing, index):
            return False, index + 1
        raise _NotJson(f"expected ',' or {closing!r}")

    def _object(self, index: int, where: tuple[str, ...], depth: int) -> tuple[dict[str, Any], int]:
        source, mapping = self.source, dict[str, Any]()
        index = _skip_space(source, index)
        if source.startswith("}", index):
            return mapping, index + 1
        more = True
        while more:
            if not source.startswith('"', index):
                raise _NotJson("expected a key")
            line = self._line_at(index)
            key, index = self._value(index, where, self.line_depth)  # a string: it starts with '"'
            index = _skip_space(source, index)
            if not source.startswith(":", index):
                raise _NotJson("expected ':'")
            self.lines.setdefault((*where, key), line)
            mapping[key], index = self._value(index + 1, (*where, key), depth + 1)
            more, index = self._after(index, "}")
        return mapping, index

    def _array(self, index: int, where: tuple[str, ...], depth: int) -> tuple[list[Any], int]:
        source, items = self.source, list[Any]()
        index = _skip_space(source, index)
        if source.startswith("]", index):
            return items, index + 1
        more = True
        while more:
            self.lines.setdefault((*where, str(len(items))), self._line_at(index))
            item, index = self._value(index, (*where, str(len(items))), depth + 1)
            items.append(item)
            more, index = self._after(index, "]")
        return items, index


def _check_json(data: Any, lines: dict[tuple[str, ...], int], first_line: int, check_scalars: bool) -> None:
    """What YAML front matter is refused for, in a JSON one: nesting deeper than MAX_YAML_DEPTH,
    and, with `check_scalars` (the source has a long number or a surrogate's escape), numbers
    JSON cannot carry or of more than MAX_NUMBER_DIGITS digits and lone surrogates. Iterative,
    over lists and mappings only unless `check_scalars`; each value is reported at the line of
    its nearest key."""
    stack: list[tuple[dict[str, Any] | list[Any], tuple[str, ...] | None, int, int]] = [(data, (), 1, first_line)]
    while stack:
        value, where, depth, line = stack.pop()
        if depth > MAX_YAML_DEPTH:
            raise YamlLimitError(line, f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep")
        named = where is not None and depth <= JSON_LINE_DEPTH
        members = value.items() if isinstance(value, dict) else enumerate(value)
        for name, member in members:
            inner = (*where, str(name)) if named and where is not None else None
            if isinstance(member, (dict, list)):
                stack.append((member, inner, depth + 1, lines.get(inner, line) if inner is not None else line))
            elif check_scalars:
                _check_json_scalar(member, lines.get(inner, line) if inner is not None else line)
            if check_scalars and isinstance(name, str) and _SURROGATE.search(name):
                raise YamlLimitError(line, _LONE_SURROGATE)


def _check_json_scalar(value: Any, line: int) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise YamlLimitError(line, _LONE_SURROGATE)
    elif isinstance(value, float) and not math.isfinite(value):
        raise YamlLimitError(line, f"{value!r} is not a finite number JSON can carry: write a smaller number or quote it")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** MAX_NUMBER_DIGITS:
        raise YamlLimitError(line, f"number with more than {MAX_NUMBER_DIGITS} digits: quote it if it is text")


def _json_front_matter(source: str, path: Path | str, first_line: int) -> tuple[Any, dict[str, int], LinesWhenAsked] | None:
    """(data, lines of the top-level keys, lines of the keys down to JSON_LINE_DEPTH levels) of
    front matter written as one strict JSON object, else None."""
    if not source.lstrip().startswith("{"):
        return None
    top = _JsonReader(source, first_line, line_depth=1)
    try:
        data = top.read()
    except _NotJson:
        return None

    def all_lines() -> dict[tuple[str, ...], int]:
        reader = _JsonReader(source, first_line)
        try:
            reader.read()
        except _NotJson:  # the text `top` read: only a nesting `json` reads at one depth and not at another
            return dict(top.lines)
        return reader.lines

    try:
        _check_json(data, {}, first_line, top.scalars_at_risk)  # the lines only for a refusal, below
    except YamlLimitError:
        try:
            _check_json(data, all_lines(), first_line, top.scalars_at_risk)
        except YamlLimitError as error:
            raise DefinitionError(path, error.line, f"front matter: {error.message}", "E013") from None
    return data, {where[0]: line for where, line in top.lines.items()}, LinesWhenAsked(all_lines)


# Line breaks to Python's `splitlines` (which splits a definition into lines) but not to JSON:
# written escaped, so each line of the JSON is one line of the file.
_UNICODE_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_front_matter(data: dict[str, Any]) -> str:
    """`data` as JSON front matter, one key or item a line down to JSON_LINE_DEPTH levels (the
    lines the reader keeps), each value below on one line. Written by `json`'s C encoder, which
    an `indent` would turn off. ValueError for what JSON cannot hold (NaN, infinities) and text
    UTF-8 cannot (a lone surrogate)."""

    def written(value: Any, level: int) -> str:
        if level < JSON_LINE_DEPTH and isinstance(value, (dict, list)) and value:
            inner, outer = "  " * (level + 1), "  " * level
            if isinstance(value, dict):
                members = [f"{inner}{json.dumps(str(key), ensure_ascii=False)}: {written(item, level + 1)}" for key, item in value.items()]
                return "{\n" + ",\n".join(members) + f"\n{outer}}}"
            return "[\n" + ",\n".join(inner + written(item, level + 1) for item in value) + f"\n{outer}]"
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))

    text = written(data, 0).translate(_UNICODE_LINE_BREAKS) + "\n"
    text.encode("utf-8")  # a lone surrogate, which no UTF-8 file can hold: UnicodeEncodeError, a ValueError
    return text


def split_front_matter(text: str, path: Path | str) -> FrontMatter:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, text, 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            end = index
            break
    else:
        raise DefinitionError(path, 1, "front matter starts with '---' but never ends (add a closing '---' line)", "E001")
    source = "".join(lines[1:end])
    read_as_json = _json_front_matter(source, path, 2)
    path_lines: Mapping[tuple[str, ...], int]
    if read_as_json is not None:
        data, key_lines, path_lines = read_as_json
    else:
        data, path_lines = parse_yaml(source, path, 2)[1:]
        key_lines = {where[0]: line for where, line in path_lines.items() if len(where) == 1}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DefinitionError(path, 2, "front matter must be a mapping of `key: value` lines", "E001")
    return FrontMatter(data, "".join(lines[end + 1 :]), end + 2, key_lines, path_lines)
