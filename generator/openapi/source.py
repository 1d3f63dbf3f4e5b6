"""Reading an OpenAPI document: one file or many joined by relative `$ref`s, as untrusted input.

`$ref`s are resolved by the `referencing` library (the one `jsonschema` uses); this module
only decides what it may read: files under the spec's own folder (after resolving symlinks), each
at most `MAX_FILE_BYTES`, parsed as JSON or YAML with a bounded number of YAML aliases. Remote
`$ref`s (http, https) are never fetched: importing a spec must not make network requests.

`Spec.plain()` turns a part of the spec into ordinary dicts and lists with every `$ref`
replaced by its target, bounded in depth (recursive schemas stop at `MAX_DEPTH`) and in size:
real specs link their schemas so densely (an object's fields are objects whose fields are
objects...) that the full expansion of one operation can run to millions of values.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import unquote, urlparse

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

MAX_FILE_BYTES = 32 * 1024 * 1024  # real single-file specs reach a few MB
MAX_ALIASES = 10_000  # YAML aliases per file: real specs use few, alias bombs need many expansions
MAX_DEPTH = 24  # nesting of a resolved part (a recursive schema is cut here)
MAX_NODES = 200_000  # values of one part as written (YAML aliases can make a small file huge)
MAX_EXPANDED = 20_000  # values one path item may add by following `$ref`s (a few times what its tables show)
_LEAVES = (str, int, float, bool, type(None))  # the values JSON and safe YAML give besides dicts and lists


class RefResolver(Protocol):
    """What this module uses of `referencing`'s resolver (the library does not export the class)."""

    def lookup(self, ref: str) -> Any: ...  # a `Resolved`: `.contents` and the `.resolver` inside it


class SpecError(Exception):
    """A spec that cannot be read; the message names the file and the reason."""


class UnresolvedRef(SpecError):
    """A `$ref` whose target cannot be read (missing, outside the folder, remote)."""


# libyaml's parser when PyYAML has it: a multi-megabyte spec parses about ten times faster.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_BASE_LOADER):
    """A safe loader reading plain scalars by YAML 1.2's core schema, as OpenAPI asks: PyYAML
    reads YAML 1.1, where `no`, `on` and `yes` are booleans, `2017-07-21` a date and `1:20` the
    number 80, so an enum of country codes or a date example would change on the way in."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, Any]]]] = {}  # its own, filled below

    def construct_core_int(self, node: Any) -> int:
        text = str(self.construct_scalar(node))
        sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
        base = 8 if digits.startswith("0o") else 16 if digits.startswith("0x") else 10
        try:
            return sign * int(digits[2:] if base != 10 else digits, base)
        except ValueError:  # `!!int abc`: a tag the value does not fit
            raise yaml.constructor.ConstructorError(None, None, f"{text[:40]!r} is not an integer", node.start_mark) from None

    def construct_core_float(self, node: Any) -> float:
        text = str(self.construct_scalar(node)).lower()
        try:
            if text.lstrip("+-") == ".inf":
                return float(text.replace(".inf", "inf"))
            return float("nan") if text == ".nan" else float(text)
        except ValueError:
            raise yaml.constructor.ConstructorError(None, None, f"{text[:40]!r} is not a number", node.start_mark) from None

    def construct_as_text(self, node: Any) -> str:
        """An explicitly tagged date or binary value, kept as written (JSON has neither)."""
        return str(self.construct_scalar(node))


# YAML 1.2's core schema: the plain scalars that are not text (tag, pattern, first characters).
YAML_12_SCALARS = [
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    ("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
     list("-+.0123456789")),
]
for _tag, _pattern, _first in YAML_12_SCALARS:
    _Yaml12Loader.add_implicit_resolver(_tag, _pattern, _first)
# YAML 1.1's merge key, which specs written for PyYAML use.
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _Yaml12Loader.construct_core_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _Yaml12Loader.construct_core_float)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _Yaml12Loader.construct_as_text)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:binary", _Yaml12Loader.construct_as_text)
_LOADER: Any = _Yaml12Loader


def parse_text(text: str, name: str) -> Any:
    """JSON, or else YAML (a superset of JSON for specs), with a one-line reason on failure."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        # Aliases are counted before anything is built: real specs use few, alias bombs many.
        # Every alias is written `*name`: a text without `*` has none, and needs no counting pass.
        aliases = sum(1 for event in yaml.parse(text, Loader=_LOADER) if isinstance(event, yaml.AliasEvent)) if "*" in text else 0
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
        raise SpecError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
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


@dataclass
class Budget:
    """How many more values `Spec.plain()` may add by following `$ref`s, and what it had to cut."""

    nodes: int = MAX_EXPANDED
    cut: list[str] = field(default_factory=list)  # recursive `$ref`s, read as any value
    unresolved: list[str] = field(default_factory=list)  # `$ref`s read as any value, with the reason
    trimmed_below: int | None = None  # `$ref`s nested this deep or deeper were read as any value (size)
    # Where a number JSON cannot carry stood (YAML's `.inf`, `.nan`; JSON's `1e999`): left out, as
    # no page, front matter or export could hold it.
    non_finite: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    """A `$ref` met while copying, to be replaced by its target in `container[key]`."""

    container: Any
    key: Any
    source: dict[str, Any]  # the `{"$ref": ...}` as written
    ref: str
    resolver: RefResolver
    scope: dict[str, Any] | None  # the enclosing schema with an `$id`, for `#...` refs
    chain: tuple[int, ...]  # the targets (by identity) of the `$ref`s followed to get here
    # What stands in `container[key]` meanwhile: the keywords written beside the `$ref` (`{}`
    # when none), put over its target when it is read, and kept alone when it cannot be.
    placeholder: dict[str, Any] = field(default_factory=dict)


class Spec:
    """An opened spec: its top-level document and the library resolver of its `$ref`s."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        root = path.resolve().parent
        files = ConfinedFiles(root)
        handlers: dict[str, Callable[[str], Any]] = {"file": files, "http": _refuse_remote, "https": _refuse_remote}

        @cache  # each file is read and parsed once, however many refs point at it
        def retrieve(uri: str) -> Resource[Any]:
            scheme = urlparse(uri).scheme
            handler = handlers.get(scheme)
            if handler is None:
                raise SpecError(f"{uri}: only relative file references are followed")
            return DRAFT202012.create_resource(handler(uri))

        uri = path.resolve().as_uri()
        empty: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]  # an attrs alias mypy cannot see
        registry = empty.with_resource(uri, DRAFT202012.create_resource(document))
        self.document = document
        self.resolver = registry.crawl().resolver(base_uri=uri)
        self._sizes: dict[int, int] = {}
        # A `$ref` as written always means the same target: dense specs repeat the same few.
        self._targets: dict[tuple[int, int], tuple[Any, RefResolver, dict[str, Any] | None]] = {}

    def keys(self, where: tuple[str, ...]) -> list[str] | None:
        """The keys of the mapping at `where`: none when it is absent, None when it is not a mapping."""
        found = self._locate(where, follow_last=True)
        if found is None:
            return []
        return [str(key) for key in found[0]] if isinstance(found[0], dict) else None

    def component_name(self, where: tuple[str, ...]) -> str | None:
        """The name of the schema component the value at `where` is a `$ref` to
        (`#/components/schemas/Pet` → `Pet`, in this file or another); None for anything else.
        `$ref`s on the way to `where` are followed (a `requestBody` from `components`)."""
        found = self._locate(where)
        ref = found[0].get("$ref") if found is not None and isinstance(found[0], dict) else None
        if not isinstance(ref, str):
            return None
        parts = _pointer_parts(ref.partition("#")[2])
        return parts[-1] if len(parts) == 3 and parts[:2] == ["components", "schemas"] and parts[-1] else None

    def plain(self, where: tuple[str, ...] = (), budget: Budget | None = None) -> Any:
        """The part at `where` (None when absent) with every `$ref` replaced by its target.

        `$ref`s are followed breadth first, within `budget`: when a target no longer fits, it is
        read as any value (`{}`), so a densely linked spec loses its deepest levels evenly
        instead of the whole part. A recursive `$ref` (already being followed above), or one
        past `MAX_DEPTH`, is read as any value too, as is a `$ref` below the top that cannot be
        resolved (noted in `budget.unresolved`). A `#...` `$ref` inside a schema with an `$id`
        points into that schema (JSON Schema 2020-12), else into the document.

        Keywords written beside a `$ref` (OpenAPI 3.1 and JSON Schema allow them; 3.0 specs write
        them too: a `description`, `nullable`, a type with null) are kept, over the target's own.
        """
        budget = budget if budget is not None else Budget()
        found = self._locate(where)
        if found is None:
            return None
        value, resolver = found
        holder: list[Any] = [None]
        queue: deque[_Pending] = deque()
        literal = Budget(nodes=MAX_NODES, non_finite=budget.non_finite)
        holder[0] = self._child(value, holder, 0, resolver, None, (), literal, queue)
        while queue:
            pending = queue.popleft()
            try:
                target, target_resolver, scope = self._lookup(pending)
            except UnresolvedRef as error:
                if pending.container is holder:
                    raise  # the part itself cannot be read
                budget.unresolved.append(str(error))
                continue
            if id(target) in pending.chain or len(pending.chain) >= MAX_DEPTH:
                budget.cut.append(pending.ref)
                continue
            size = self._size(target)
            if size > budget.nodes:
                depth = len(pending.chain)
                budget.trimmed_below = depth if budget.trimmed_below is None else min(depth, budget.trimmed_below)
                continue
            budget.nodes -= size
            chain = (*pending.chain, id(target))
            placeholder = pending.placeholder
            if pending.container[pending.key] is not placeholder:
                continue  # a keyword beside an enclosing `$ref` took its place
            # The target is copied into the placeholder itself: wherever the placeholder was put
            # meanwhile (over an enclosing `$ref`'s target), it becomes the target there too.
            beside = dict(placeholder)
            placeholder.clear()
            copy = self._child(target, pending.container, pending.key, target_resolver, scope, chain,
                               Budget(nodes=size + 1, non_finite=budget.non_finite), queue, into=placeholder)
            if copy is placeholder:
                _put_beside(placeholder, beside)
            else:  # a list or a single value: keywords beside the `$ref` have nothing to go over
                pending.container[pending.key] = copy
        return holder[0]

    def _locate(self, where: tuple[str, ...], follow_last: bool = False) -> tuple[Any, RefResolver] | None:
        """The raw value at `where` and the resolver for its `$ref`s (a `$ref` on the way is followed)."""
        node: Any = self.document
        resolver = self.resolver
        for index in range(len(where) + 1):
            if (index < len(where) or follow_last) and isinstance(node, dict) and isinstance(node.get("$ref"), str):
                node, resolver, _ = self._lookup(_Pending(None, None, node, node["$ref"], resolver, None, ()))
            if index == len(where):
                break
            if not isinstance(node, dict) or where[index] not in node:
                return None
            node = node[where[index]]
        return node, resolver

    def _lookup(self, pending: _Pending) -> tuple[Any, RefResolver, dict[str, Any] | None]:
        """The target of a `$ref`, the resolver for the `$ref`s inside it, and its `$id` scope."""
        key = (id(pending.source), id(pending.scope))
        known = self._targets.get(key)
        if known is None:
            known = self._targets[key] = self._find(pending)
        return known

    def _find(self, pending: _Pending) -> tuple[Any, RefResolver, dict[str, Any] | None]:
        ref = pending.ref
        if ref.startswith("#") and not ref.startswith("#/") and ref != "#":
            # A plain name (`#node`): the schema with that `$anchor` in the enclosing `$id`
            # schema, else in the file. `referencing` looks for anchors only below the schema
            # keywords it knows, and an OpenAPI document is no schema.
            try:
                root = pending.scope if pending.scope is not None else pending.resolver.lookup("#").contents
            except Unresolvable:
                raise UnresolvedRef(f"$ref {ref} cannot be resolved") from None
            anchored = _anchored(root, unquote(ref[1:]))
            if anchored is None:
                raise UnresolvedRef(f"$ref {ref} cannot be resolved (no `$anchor` of that name)")
            return anchored, pending.resolver, pending.scope
        if pending.scope is not None and ref.startswith("#"):
            target: Any = pending.scope
            for part in _pointer_parts(ref[1:]):
                if not isinstance(target, dict) or part not in target:
                    break  # not in the schema resource: read from the document, as most tools do
                target = target[part]
            else:
                return target, pending.resolver, pending.scope
        try:
            resolved = pending.resolver.lookup(ref)
        except Unresolvable as error:
            # The reason our file handler gave (outside the folder, remote, too large), else the ref.
            cause = error.__cause__
            while cause is not None and not isinstance(cause, SpecError):
                cause = cause.__cause__ or cause.__context__
            raise UnresolvedRef(str(cause) if cause is not None else f"$ref {ref} cannot be resolved") from None
        return resolved.contents, resolved.resolver, None

    def _child(self, value: Any, container: Any, key: Any, resolver: RefResolver, scope: dict[str, Any] | None,
               chain: tuple[int, ...], literal: Budget, queue: deque[_Pending], into: dict[str, Any] | None = None) -> Any:
        """A copy of `value` whose `$ref`s are `{}` (or the keywords beside them) for now, each
        queued to be followed; a mapping is copied into `into` when given."""
        keyword = _reference_keyword(value)
        if keyword is not None:
            beside: dict[str, Any] = into if into is not None else {}
            if len(value) > 1:
                self._copy_entries(value, beside, resolver, scope, chain, literal, queue)
                del beside[keyword]
            queue.append(_Pending(container, key, value, value[keyword], resolver, scope, chain, beside))
            return beside
        literal.nodes -= 1
        if literal.nodes < 0:
            raise SpecError(f"a part of the spec expands to more than {MAX_NODES} values")
        if isinstance(value, dict):
            if isinstance(value.get("$id"), str):
                scope = value
            out: dict[str, Any] = into if into is not None else {}
            self._copy_entries(value, out, resolver, scope, chain, literal, queue)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for item in value:
                if type(item) is float and not math.isfinite(item):
                    literal.non_finite.append(f"{key} item" if isinstance(key, str) else "a list item")
                    continue
                items.append(self._child(item, items, len(items), resolver, scope, chain, literal, queue))
            return items
        return value

    def _copy_entries(self, value: dict[Any, Any], out: dict[str, Any], resolver: RefResolver, scope: dict[str, Any] | None,
                      chain: tuple[int, ...], literal: Budget, queue: deque[_Pending]) -> None:
        for name, item in value.items():
            if type(item) in _LEAVES:  # most values: copied here, without a call per value
                literal.nodes -= 1
                if type(item) is float and not math.isfinite(item):
                    literal.non_finite.append(str(name))
                    continue
                out[str(name)] = item
            else:
                out[str(name)] = self._child(item, out, str(name), resolver, scope, chain, literal, queue)
        if literal.nodes < 0:
            raise SpecError(f"a part of the spec expands to more than {MAX_NODES} values")

    def _size(self, value: Any) -> int:
        """How many values `value` holds, not counting its `$ref`s' targets (bounded, remembered)."""
        known = self._sizes.get(id(value))
        if known is not None:
            return known
        stack = [value]
        seen = 0
        while stack and seen <= MAX_NODES:
            item = stack.pop()
            seen += 1
            if isinstance(item, dict):
                keyword = _reference_keyword(item)
                if keyword is not None:  # the keywords beside it are copied
                    stack.extend(value for name, value in item.items() if name != keyword)
                else:
                    stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        self._sizes[id(value)] = seen
        return seen


def _reference_keyword(value: Any) -> str | None:
    """`$ref` when `value` is a reference to follow; `$dynamicRef` when it is one with no `$ref`:
    read as a `$ref` to the schema its anchor names (what it means when no schema on the way
    redefines that anchor, and the copy has no `$dynamicAnchor` left to redefine it)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("$ref"), str):
        return "$ref"
    return "$dynamicRef" if isinstance(value.get("$dynamicRef"), str) else None


def _anchored(root: Any, name: str) -> Any:
    """The schema under `root` whose `$anchor` (or `$dynamicAnchor`) is `name`, or None; schemas
    with an `$id` of their own below `root` hold their own anchors and are not looked into."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if name in (node.get("$anchor"), node.get("$dynamicAnchor")):
                return node
            stack.extend(value for value in node.values()
                         if isinstance(value, (dict, list)) and not (isinstance(value, dict) and isinstance(value.get("$id"), str)))
        elif isinstance(node, list):
            stack.extend(value for value in node if isinstance(value, (dict, list)))
    return None


def _put_beside(target: dict[str, Any], beside: dict[str, Any]) -> None:
    """The keywords written beside a `$ref` put over a copy of its target, in place (`$ref`s
    queued inside the copy, or a `$ref` the target is, fill it later). Both apply to a value,
    as JSON Schema reads them: properties and requirements of both are kept, and `allOf` lists
    are joined; for any other keyword, the one beside the `$ref` (the more specific) wins."""
    for name, value in beside.items():
        present = target.get(name)
        if name in ("properties", "patternProperties", "$defs") and isinstance(present, dict) and isinstance(value, dict):
            present.update(value)
        elif name in ("required", "allOf") and isinstance(present, list) and isinstance(value, list):
            present.extend(item for item in value if name != "required" or item not in present)
        else:
            target[name] = value


def _pointer_parts(fragment: str) -> list[str]:
    """`/a~1b/c%20d` → ['a/b', 'c d'] (JSON pointer in a URI fragment)."""
    return [unquote(part).replace("~1", "/").replace("~0", "~") for part in fragment.split("/")[1:]]


def open_spec(path: Path) -> Spec:
    """The spec at `path` with lazy, confined `$ref` resolution; SpecError when it cannot be read."""
    root = path.resolve().parent
    data = read_file(path, root)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not an OpenAPI document (the top level is not a mapping)")
    version = str(data.get("openapi") or "")
    if not version.startswith(("3.0", "3.1")):
        found = f"swagger {data['swagger']}" if "swagger" in data else (f"openapi {version}" if version else "no `openapi` version")
        raise SpecError(f"{path}: OpenAPI 3.0 or 3.1 expected, found {found}")
    return Spec(path, data)
