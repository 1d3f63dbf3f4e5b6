"""Split a Markdown file into YAML front matter and body, keeping line numbers for messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apidocs.model.errors import DefinitionError


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body: str
    body_line: int  # 1-based line number of the body's first line
    key_lines: dict[str, int] = field(default_factory=dict)  # 1-based line of each top-level key

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


# libyaml's parser when PyYAML was built with it: about ten times faster on large front matter,
# which is most of the time spent loading a tree.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(source: str, loader_class: Any) -> tuple[Any, Any]:
    """The node tree (for key lines) and the data, from a single parse."""
    loader = loader_class(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


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
    try:
        try:
            node, data = _parse(source, _FAST_LOADER)
        except yaml.YAMLError:
            node, data = _parse(source, yaml.SafeLoader)  # the pure-Python parser words errors the same everywhere
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = 2 + mark.line if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(path, line, f"front matter is not valid YAML: {problem}", "E001") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DefinitionError(path, 2, "front matter must be a mapping of `key: value` lines", "E001")
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = 2 + key_node.start_mark.line
    return FrontMatter(data, "".join(lines[end + 1 :]), end + 2, key_lines)
