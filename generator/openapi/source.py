"""Reading an OpenAPI document: one file or many joined by relative `$ref`s, as untrusted input.

`$ref`s are resolved by `jsonschema-path` (on the `referencing` library); this module only
decides what it may read: files under the spec's own folder (after resolving symlinks), each
at most `MAX_FILE_BYTES`, parsed as JSON or YAML with a bounded number of YAML aliases. Remote
`$ref`s (http, https) are never fetched: importing a spec must not make network requests.

`plain()` turns a part of the spec into ordinary dicts and lists with every `$ref` replaced by
its target, bounded in depth (recursive schemas stop at `MAX_DEPTH`) and in size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml
from jsonschema_path import SchemaPath
from referencing.exceptions import Unresolvable

MAX_FILE_BYTES = 32 * 1024 * 1024  # real single-file specs reach a few MB
MAX_ALIASES = 10_000  # YAML aliases per file: real specs use few, alias bombs need many expansions
MAX_DEPTH = 24  # nesting of a resolved part (a recursive schema is cut here)
MAX_NODES = 200_000  # values in one resolved operation


class SpecError(Exception):
    """A spec that cannot be read; the message names the file and the reason."""


class UnresolvedRef(SpecError):
    """A `$ref` whose target cannot be read (missing, outside the folder, remote)."""


# libyaml's parser when PyYAML has it: a multi-megabyte spec parses about ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_text(text: str, name: str) -> Any:
    """JSON, or else YAML (a superset of JSON for specs), with a one-line reason on failure."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        # Aliases are counted before anything is built: real specs use few, alias bombs many.
        aliases = sum(1 for event in yaml.parse(text, Loader=_LOADER) if isinstance(event, yaml.AliasEvent))
        if aliases > MAX_ALIASES:
            raise SpecError(f"{name}: more than {MAX_ALIASES} YAML aliases")
        return yaml.load(text, Loader=_LOADER)  # a safe loader (libyaml or PyYAML)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{name}{where}: not valid YAML or JSON ({getattr(error, 'problem', None) or error})") from None
    except RecursionError:
        raise SpecError(f"{name}: nested too deeply") from None


def read_file(path: Path, root: Path) -> Any:
    """A spec file that lies under `root` once symlinks are resolved, parsed."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise SpecError(f"{path}: no such file") from None
    if not resolved.is_relative_to(root):
        raise SpecError(f"{path}: outside the spec's folder {root} (only files beside the spec are read)")
    if not resolved.is_file():
        raise SpecError(f"{path}: not a file")
    if resolved.stat().st_size > MAX_FILE_BYTES:
        raise SpecError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = resolved.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    return parse_text(text, str(path))


@dataclass
class ConfinedFiles:
    """The `file:` handler for `$ref` resolution: only files under `root`, parsed by `read_file`."""

    root: Path
    read: list[Path] = field(default_factory=list)

    def __call__(self, uri: str) -> Any:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            raise SpecError(f"{uri}: only relative file references are followed")
        path = Path(unquote(parsed.path))
        self.read.append(path)
        return read_file(path, self.root)


def _refuse_remote(uri: str) -> Any:
    raise SpecError(f"{uri}: remote references are not fetched (save the file beside the spec)")


def open_spec(path: Path) -> SchemaPath:
    """The spec at `path` with lazy, confined `$ref` resolution; SpecError when it cannot be read."""
    root = path.resolve().parent
    data = read_file(path, root)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not an OpenAPI document (the top level is not a mapping)")
    version = str(data.get("openapi") or "")
    if not version.startswith(("3.0", "3.1")):
        found = f"swagger {data['swagger']}" if "swagger" in data else (f"openapi {version}" if version else "no `openapi` version")
        raise SpecError(f"{path}: OpenAPI 3.0 or 3.1 expected, found {found}")
    handlers = {"file": ConfinedFiles(root), "http": _refuse_remote, "https": _refuse_remote, "<all_urls>": _refuse_remote}
    return SchemaPath.from_dict(data, base_uri=path.resolve().as_uri(), handlers=handlers)


@dataclass
class Budget:
    """How many more values `plain()` may produce, and what it had to cut."""

    nodes: int = MAX_NODES
    cut: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # `$ref`s read as any value, with the reason


def _has_ref(value: Any) -> bool:
    """Whether a `$ref` occurs in `value`; SpecError when `value` alone exceeds the budget.

    Iterative and bounded: YAML aliases can make a small file a huge (shared) tree.
    """
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise SpecError(f"a part of the spec expands to more than {MAX_NODES} values")
        if isinstance(item, dict):
            if "$ref" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _copy(value: Any, budget: Budget) -> Any:
    budget.nodes -= 1
    if budget.nodes < 0:
        raise SpecError(f"a part of the spec expands to more than {MAX_NODES} values")
    if isinstance(value, dict):
        return {str(key): _copy(item, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item, budget) for item in value]
    return value


def _children(node: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(node, dict):
        yield from node.items()
    elif isinstance(node, list):
        yield from enumerate(node)


def _pointer_parts(fragment: str) -> list[str]:
    """`/a~1b/c%20d` → ['a/b', 'c d'] (JSON pointer in a URI fragment)."""
    return [unquote(part).replace("~1", "/").replace("~0", "~") for part in fragment.split("/")[1:]]


_NOT_IN_SCOPE = object()


def _within_scope(scope: SchemaPath | None, ref: Any, budget: Budget, chain: tuple[str, ...]) -> Any:
    """The target of a `#...` `$ref` inside the schema resource `scope`, or _NOT_IN_SCOPE."""
    if scope is None or not isinstance(ref, str) or not ref.startswith("#"):
        return _NOT_IN_SCOPE
    target = scope
    try:
        for part in _pointer_parts(ref[1:]):
            if part not in target:
                return _NOT_IN_SCOPE  # not in the resource: read from the document, as most tools do
            target = target / part
    except Unresolvable:
        return _NOT_IN_SCOPE
    return plain(target, budget, chain, scope)


def plain(path: SchemaPath, budget: Budget, chain: tuple[str, ...] = (), scope: SchemaPath | None = None) -> Any:
    """The value at `path` with `$ref`s replaced by their targets.

    A `$ref` already being expanded above (a recursive schema), or one past `MAX_DEPTH`, becomes
    `{}` (any value) and is noted in `budget.cut`; so does a `$ref` below the top that cannot be
    resolved (noted in `budget.unresolved`), so one missing schema costs only itself. A `#...`
    `$ref` inside a schema with an `$id` points into that schema (JSON Schema 2020-12), `scope`.
    """
    try:
        with path.open() as node:
            resolved = node
    except Unresolvable as error:
        # The reason our file handler gave (outside the folder, remote, too large), else the ref.
        cause = error.__cause__
        while cause is not None and not isinstance(cause, SpecError):
            cause = cause.__cause__ or cause.__context__
        raise UnresolvedRef(str(cause) if cause is not None else f"$ref {error.ref} cannot be resolved") from None
    if not isinstance(resolved, (dict, list)):
        return resolved
    if isinstance(resolved, dict) and isinstance(resolved.get("$id"), str):
        scope = path
    if not _has_ref(resolved):
        return _copy(resolved, budget)
    out: dict[str, Any] | list[Any] = {} if isinstance(resolved, dict) else []
    for key, raw in _children(resolved):
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        if isinstance(ref, str) and (ref in chain or len(chain) >= MAX_DEPTH):
            budget.cut.append(ref)
            value: Any = {}
        else:
            if isinstance(key, str) and "#" in key:
                raise SpecError(f"the key {key!r} cannot be followed (it contains '#')")
            inner = (*chain, ref) if isinstance(ref, str) else chain
            try:
                value = _within_scope(scope, ref, budget, inner)
                if value is _NOT_IN_SCOPE:
                    # A followed `$ref` leaves the schema resource it was in; a plain child stays.
                    value = plain(path / key, budget, inner, scope if ref is None else None)
            except UnresolvedRef as error:
                budget.unresolved.append(str(error))
                value = {}
        if isinstance(out, dict):
            out[str(key)] = value
        else:
            out.append(value)
    budget.nodes -= 1
    return out
