"""Snippet templates rendered with *slots*, so the browser can refill them as the reader types.

The snippet templates in `snippets/` are rendered once more at build time, with a request whose
changeable parts (URL, header values, body, ...) are `Slot`s instead of values. Applying one of
the quoting filters to a slot does not quote anything: it returns a new slot recording the call
("`sh` of `url`"). Printing a slot leaves a marker in the output, so the rendered template
becomes a list of literal text and expressions:

    ["curl -X PATCH ", {"f": "sh", "a": [{"slot": "url"}]}, " \\\n  -H ", ...]

The explorer evaluates the expressions with the JavaScript twin of `quoting.py` (same filter
names, held to the same output by the tests), so escaping still lives in one place and the
template keeps its layout. A template doing something a slot cannot stand for (comparing the
URL, looping over the query, a Jinja filter on a slot) is reported as not live, and the
explorer leaves that tab as the documented example.

A few filters give records that templates loop over (`RECORDS`: a multipart body's parts).
Looping over such a slot renders the loop's body once per *case* (a part that is a file, one
that is not), with the record's changing attributes as slots; the browser writes, for each
record its twin computes, the body of the record's case:

    {"each": <the list's expression>, "item": "item.0",
     "cases": [{"when": {"is_file": false}, "parts": [...]}, {"when": {"is_file": true}, "parts": [...]}]}
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from apidocs.model.endpoint import NO_BODY
from apidocs.rendering.languages import Language
from apidocs.rendering.quoting import FILTERS, json_text
from apidocs.rendering.request import HttpRequest
from apidocs.rendering.snippets import render_snippet, snippet_environment

Expr = dict[str, Any]

_MARKER = re.compile("\x00([0-9]+)\x00")


class SlotUnsupported(Exception):
    """The template uses a slot in a way the browser cannot replay."""


class _Recorder:
    """Collects the expressions printed during one render; each leaves `\\0<index>\\0`.

    A loop over records marks where it starts, where each case's body starts and where it ends
    the same way, written straight into `output`: the render's text as it is produced, so the
    marks fall between the texts the loop's body writes."""

    def __init__(self) -> None:
        self.expressions: list[Expr] = []
        self.output: list[str] = []
        self.loops = 0

    def mark(self, expr: Expr) -> str:
        self.expressions.append(expr)
        return f"\x00{len(self.expressions) - 1}\x00"

    def write(self, event: Expr) -> None:
        self.output.append(self.mark(event))


class Slot:
    """A value only the browser knows; everything but printing and our filters is refused."""

    __slots__ = ("_expr", "_recorder")

    def __init__(self, expr: Expr, recorder: _Recorder) -> None:
        object.__setattr__(self, "_expr", expr)
        object.__setattr__(self, "_recorder", recorder)

    @property
    def expr(self) -> Expr:
        return self._expr

    def __str__(self) -> str:
        return self._recorder.mark(self._expr)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise SlotUnsupported(f"the template inspects {json.dumps(self._expr)}, which the reader can change")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __len__ = __iter__ = __contains__ = __getitem__ = _refuse
    __add__ = __radd__ = __mul__ = __mod__ = __hash__ = _refuse

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # protocol probes such as `__html__` must see "not there"
            raise AttributeError(name)
        self._refuse()


@dataclass(frozen=True)
class Records:
    """What a filter's list of records holds for a loop over it: the attributes the reader's
    values change (slots in the loop's body) and the cases, values of the other attributes that
    decide what the body writes (each case's body is rendered once)."""

    changing: tuple[str, ...]
    cases: tuple[dict[str, Any], ...]


# The filters whose results templates may loop over (`model/multipart.py`'s Part).
RECORDS = {"multipart_parts": Records(changing=("name", "value"), cases=({"is_file": False}, {"is_file": True}))}


class _RecordsSlot(Slot):
    """A list of records only the browser knows: a loop over it renders its body per case."""

    __slots__ = ("_records",)

    def __init__(self, expr: Expr, recorder: _Recorder, records: Records) -> None:
        super().__init__(expr, recorder)
        object.__setattr__(self, "_records", records)

    def __iter__(self) -> Iterator[Slot]:
        recorder = self._recorder
        item = f"item.{recorder.loops}"
        recorder.loops += 1
        recorder.write({"loop": self._expr, "item": item})
        for case in self._records.cases:
            recorder.write({"case": case})
            yield _RecordSlot({"slot": item}, recorder, self._records, case)
        recorder.write({"end": item})  # reached once the loop has written its last body


class _RecordSlot(Slot):
    """One record in a loop's body: its case's attributes as values, its changing ones as slots."""

    __slots__ = ("_case", "_records")

    def __init__(self, expr: Expr, recorder: _Recorder, records: Records, case: dict[str, Any]) -> None:
        super().__init__(expr, recorder)
        object.__setattr__(self, "_records", records)
        object.__setattr__(self, "_case", case)

    def __getattr__(self, name: str) -> Any:
        if name in self._case:
            return self._case[name]
        if name in self._records.changing:
            return Slot({"attr": name, "of": self._expr}, self._recorder)
        return super().__getattr__(name)


def _has_slot(value: Any) -> bool:
    if isinstance(value, Slot):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_slot(item) for item in value)
    if isinstance(value, dict):
        return any(_has_slot(k) or _has_slot(v) for k, v in value.items())
    return False


def _encode(value: Any) -> Expr:
    """An argument as an expression: slots by reference, everything else as a literal."""
    if isinstance(value, Slot):
        return value.expr
    if isinstance(value, str):
        return {"s": value}
    if _has_slot(value):
        if isinstance(value, dict):
            return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
        return {"l": [_encode(item) for item in value]}
    if value is NO_BODY:
        raise SlotUnsupported("the template passes a missing body to a filter")
    try:
        return {"j": json_text(value, None)}
    except (TypeError, ValueError):
        raise SlotUnsupported(f"{type(value).__name__} values cannot reach the browser") from None


# The render in progress; compiled templates are cached and shared, so the filters look it up.
_RECORDER: ContextVar[_Recorder] = ContextVar("apidocs_slot_recorder")


def _deferred(name: str, function: Callable[..., object]) -> Callable[..., Any]:
    signature = inspect.signature(function)

    def apply(*args: Any, **kwargs: Any) -> Any:
        if not _has_slot(args) and not _has_slot(kwargs):
            return function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)  # keyword arguments become positions for JS
        expr = {"f": name, "a": [_encode(arg) for arg in bound.args]}
        if name in RECORDS:
            return _RecordsSlot(expr, _RECORDER.get(), RECORDS[name])
        return Slot(expr, _RECORDER.get())

    return apply


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja built-in filter that refuses slots (the browser has no twin of it)."""

    def apply(*args: Any, **kwargs: Any) -> Any:
        if _has_slot(args) or _has_slot(kwargs):
            raise SlotUnsupported(f"the Jinja filter {getattr(function, '__name__', '?')} cannot run in the browser")
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):
        apply.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return apply


class SlotRequest:
    """What templates see as `request`: fixed parts as values, changeable parts as slots.

    The method, the name, whether there is a body, whether it is a form (and how its lists
    travel), multipart (and which of its members are files) or raw (and a file) are fixed per
    endpoint; header names are fixed, their values are slots `header.<index>` (the auth header
    is index 0 when present).
    """

    def __init__(self, request: HttpRequest, recorder: _Recorder) -> None:
        def slot(name: str) -> Slot:
            return Slot({"slot": name}, recorder)

        self.method = request.method
        self._name = request.name
        self.name_read = False  # whether the template shows the endpoint's name (see `render_parts`)
        self.has_body = request.has_body
        self.is_form = request.is_form
        self.form_lists = request.form_lists
        self.is_multipart = request.is_multipart
        self.files = request.files
        self.is_raw = request.is_raw
        self.body_file = request.body_file
        self.body: Any = slot("body") if request.has_body else NO_BODY
        self.url, self.base_url, self.path = slot("url"), slot("base_url"), slot("path")
        self.query, self.query_string, self.target = slot("query"), slot("query_string"), slot("target")
        self.scheme = slot("scheme")
        self.headers = [(name, slot(f"header.{index}")) for index, (name, _) in enumerate(request.headers)]
        self.header_map = slot("header_map")

    @property
    def name(self) -> str:
        self.name_read = True
        return self._name

    def header(self, name: str) -> Slot | None:
        return next((value for n, value in self.headers if n.lower() == name.lower()), None)


def slot_values(request: HttpRequest) -> dict[str, Any]:
    """The slot values of a concrete request: what the explorer computes from its inputs."""
    values: dict[str, Any] = {
        "url": request.url, "base_url": request.base_url, "path": request.path, "query": request.query,
        "query_string": request.query_string, "target": request.target, "scheme": request.scheme,
        "headers": request.headers, "header_map": request.header_map, "body": request.body,
    }
    values.update({f"header.{index}": value for index, (_, value) in enumerate(request.headers)})
    return values


def _text(value: Any) -> str:
    """str() of what the browser can print too (a dict's repr it cannot)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return repr(value)
    raise SlotUnsupported(f"the template prints a {type(value).__name__} as it is")


def evaluate(expr: Expr, values: dict[str, Any]) -> Any:
    """Python's evaluation of an expression: the reference the browser's must equal."""
    if "slot" in expr:
        return values[expr["slot"]]
    if "s" in expr:
        return expr["s"]
    if "j" in expr:
        return json.loads(expr["j"])
    if "l" in expr:
        return [evaluate(item, values) for item in expr["l"]]
    if "d" in expr:
        return {evaluate(k, values): evaluate(v, values) for k, v in expr["d"]}
    if "attr" in expr:
        return getattr(evaluate(expr["of"], values), expr["attr"])
    return FILTERS[expr["f"]](*(evaluate(arg, values) for arg in expr["a"]))


def _written(part: Any, values: dict[str, Any]) -> str:
    """What one part writes: its text, its expression's value, or a loop's body per record."""
    if isinstance(part, str):
        return part
    if "each" not in part:
        return _text(evaluate(part, values))
    out: list[str] = []
    for record in evaluate(part["each"], values):
        case = next((case for case in part["cases"]
                     if all(getattr(record, name) == value for name, value in case["when"].items())), None)
        if case is None:
            raise SlotUnsupported(f"no body was recorded for the record {record!r}")
        inside = {**values, part["item"]: record}
        out.extend(_written(inner, inside) for inner in case["parts"])
    return "".join(out)


def fill(parts: list[Any], values: dict[str, Any]) -> str:
    """The snippet for `values`, finished the way `render_snippet` finishes its output."""
    text = "".join(_written(part, values) for part in parts)
    return text.strip("\n") + "\n"


@lru_cache(maxsize=8)
def _environment_with_slots(folder: Path) -> jinja2.Environment:
    # An overlay shares the snippet environment's loader and options (so the layout is exactly
    # the one `render_snippet` produces); it gets its own filters and its own template cache,
    # because cached templates are bound to the filters of the environment that compiled them.
    environment = snippet_environment(folder).overlay(cache_size=400)
    filters = {name: _guarded(function) for name, function in environment.filters.items()}
    filters.update({name: _deferred(name, function) for name, function in FILTERS.items()})
    environment.filters = filters
    return environment


def render_parts(folder: Path, language: Language, request: HttpRequest,
                 values: dict[str, Any] | None = None) -> list[Any] | None:
    """The template as literal text and expressions, or None when it cannot be replayed live.

    The result is checked before it is trusted: filled with the example's own values it must
    give exactly the snippet `render_snippet` gives, and so must it for other bodies when the
    template loops over records (`_loop_probes`). `values`: the request's `slot_values`, when
    the caller has them (one request, a snippet per language).
    """
    parts = _parts_of_shape(folder, language, request)
    if parts is None:
        return None
    try:
        for probe in [request, *_loop_probes(request, parts)]:
            probe_values = values if probe is request and values is not None else slot_values(probe)
            if fill(parts, probe_values) != render_snippet(folder, language, probe):
                return None
    except (SlotUnsupported, ValueError, TypeError, KeyError, AttributeError):
        return None
    return parts


def _loops(parts: list[Any]) -> bool:
    return any(isinstance(part, dict) and "each" in part for part in parts)


def _loop_probes(request: HttpRequest, parts: list[Any]) -> list[HttpRequest]:
    """Requests of the example's shape whose multipart bodies make the loops write otherwise:
    no part at all, and fields and files in turns, several of each (a body recorded once per
    case must hold for any number of records, in any order: `loop.index` does not)."""
    if not (request.is_multipart and _loops(parts)):
        return []
    turns: dict[str, Any] = {}
    for name in [*request.files, None]:
        field = f"probe{len(turns)}"
        while field in request.files:
            field += "_"
        turns[field] = ["one", "two"]
        if name is not None:
            turns[name] = ["first.txt", "second.txt"]
    return [dataclasses.replace(request, body=body) for body in ({}, turns)]


_ShapeKey = tuple[Path, Language, str, bool, bool, tuple[tuple[str, str], ...], tuple[str, ...], bool, tuple[str, ...], bool, bool]
_SHAPES: dict[_ShapeKey, list[Any] | None] = {}  # the parts of templates that do not show the name
_MAX_SHAPES = 512
_UNSEEN: Any = object()


def _parts_of_shape(folder: Path, language: Language, request: HttpRequest) -> list[Any] | None:
    """The parts depend only on what `SlotRequest` shows as values: the method, whether there is
    a body and a form (how its lists travel), a multipart body (its file members) or a raw one
    (a file or not), the header names, and the endpoint's name if the template shows it. Most
    endpoints of an API share a few shapes, so each is rendered once (every time, for a template
    that shows the name)."""
    key = (folder, language, request.method, request.has_body, request.is_form, tuple(sorted(request.form_lists.items())),
           tuple(name for name, _ in request.headers), request.is_multipart, tuple(request.files), request.is_raw,
           request.body_file)
    known = _SHAPES.get(key, _UNSEEN)
    if known is not _UNSEEN:
        return known
    parts, name_read = _record_parts(folder, language, request)
    if not name_read:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        _SHAPES[key] = parts
    return parts


def _record_parts(folder: Path, language: Language, request: HttpRequest) -> tuple[list[Any] | None, bool]:
    """The template's parts for `request`, and whether it read the endpoint's name."""
    recorder = _Recorder()
    token = _RECORDER.set(recorder)
    shown = SlotRequest(request, recorder)
    try:
        template = _environment_with_slots(folder).get_template(language.template)
        # Taken piece by piece as the template writes it, into the list where a loop writes its
        # marks as it starts a body and ends: the marks fall between the pieces of its bodies.
        for piece in template.generate(request=shown):
            recorder.output.append(piece)
    except (SlotUnsupported, jinja2.TemplateError, TypeError, ValueError):
        return None, shown.name_read
    finally:
        _RECORDER.reset(token)
    return _parts_of_text("".join(recorder.output), recorder.expressions), shown.name_read


def _parts_of_text(text: str, expressions: list[Expr]) -> list[Any] | None:
    """The rendered text as literal text and expressions, loops nested with their cases' parts;
    None when a marker was cut or altered, or a loop's marks are out of order (a loop inside a
    block the template renders elsewhere, such as a macro)."""
    root: list[Any] = []
    # The parts being written to, and the loop nodes they belong to (None: the template's own).
    nest: list[tuple[dict[str, Any] | None, list[Any]]] = [(None, root)]
    last = 0
    for match in _MARKER.finditer(text):
        if match.start() > last:
            nest[-1][1].append(text[last : match.start()])
        last = match.end()
        expr = expressions[int(match.group(1))]
        loop = nest[-1][0]
        if "loop" in expr:
            node: dict[str, Any] = {"each": expr["loop"], "item": expr["item"], "cases": []}
            nest[-1][1].append(node)
            nest.append((node, []))  # nothing is written before the first case
        elif "case" in expr:
            if loop is None or (nest[-1][1] and not loop["cases"]):
                return None  # a case outside its loop, or text before the first case
            loop["cases"].append({"when": expr["case"], "parts": []})
            nest[-1] = (loop, loop["cases"][-1]["parts"])
        elif "end" in expr:
            if loop is None or loop["item"] != expr["end"] or not loop["cases"]:
                return None
            nest.pop()
        else:
            nest[-1][1].append(expr)
    if last < len(text):
        nest[-1][1].append(text[last:])
    if len(nest) > 1 or "\x00" in "".join(_literals(root)):
        return None  # a marker was cut or altered by something in the template
    return root


def _literals(parts: list[Any]) -> Iterator[str]:
    for part in parts:
        if isinstance(part, str):
            yield part
        elif "each" in part:
            for case in part["cases"]:
                yield from _literals(case["parts"])
