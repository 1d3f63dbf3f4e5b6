"""The explorer's JavaScript twin of `generator/quoting.py` gives the same output, byte for byte.

One Node process runs the very script the site ships (`quoting_script()`), answering one case
per line; every case is also computed by the Python function, and the two must agree (same text,
or both refuse the value).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidocs.explorer.bundle import quoting_script
from apidocs.model.forms import INDEX, JSON_TEXT, REPEAT, form_fields, form_map, form_text, list_styles
from apidocs.model.multipart import Part, is_file_name, multipart_parts
from apidocs.rendering.quoting import FILTERS, QuotingError, json_text

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

DRIVER = r"""
const Q = require(process.argv[2]);
const lines = require("readline").createInterface({ input: process.stdin });
const part = ([name, value, isFile]) => new Q.Part(name, value, isFile);
const value = (arg) => ("json" in arg ? Q.parseJson(arg.json) : "pair" in arg ? arg.pair : "part" in arg ? part(arg.part)
  : "parts" in arg ? arg.parts.map(part) : arg.text);
// A filter on each part (curl_part, httpie_part) or on the list (py_files, py_fields), each outcome kept.
function onParts(name, parts) {
  if (!["curl_part", "httpie_part"].includes(name)) return Q.FILTERS[name](parts);
  return parts.map((item) => { try { return { ok: Q.FILTERS[name](item) }; } catch (error) { return { error: error.message }; } });
}
function run(c) {
  if (c.op === "filters") return Object.keys(Q.FILTERS).sort();
  if (c.op === "quote") return Q.quote(c.args[0].text);
  if (c.op === "reindent") return Q.jsonText(Q.parseJson(c.args[0].text), c.indent);
  // The form ops take the body and, when given, the lists (`{"json": ...}`: an Obj, or null).
  if (c.op === "form_fields") return Q.formFields(...c.args.map(value));
  if (c.op === "form_map_items") {  // the Obj as [name, text or texts] pairs, order included
    const mapping = Q.FILTERS.form_map(...c.args.map(value));
    return mapping.keys.map((key, index) => [key, mapping.values[index]]);
  }
  if (c.op === "form_map_py") return Q.FILTERS.py(Q.FILTERS.form_map(...c.args.map(value)));  // as python.py.j2 prints it
  // A multipart body's parts as the templates use them: the twin's own parts through a filter.
  if (c.op === "multipart_through") return onParts(c.filter, Q.FILTERS.multipart_parts(...c.args.map(value)));
  if (c.op === "on_parts") return onParts(c.filter, value(c.args[0]));
  if (c.op === "plain_file_name") return Q.plainFileName(c.args[0].text);  // a chosen file's name in the snippets
  return Q.FILTERS[c.op](...c.args.map(value));
}
lines.on("line", (line) => {
  let out;
  try { out = { ok: run(JSON.parse(line)) }; } catch (error) { out = { error: error.message }; }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"""

HAZARDS = [
    "", " ", "plain", "it's", "'", "''", '"', '\\', '\\\\', "\\'", "a\\nb", "line\nbreak", "cr\rlf\r\n", "tab\there",
    "$(rm -rf /)", "`id`", "${HOME}", "$HOME", "!history", "a;b|c&d", "*?[a-z]{1,2}", "~user", "#comment",
    "@/etc/passwd", "name:value", "a=b", "x;y", "\\:", "\\@", "trailing\\", "%20%", "+plus+", "a/b?c#d",
    "café", "naïve Ünïcödé", "日本語", "עברית", "\u202eevil", "\u200b", "\u00a0nbsp", "e\u0301", "\x00nul",
    "\x1f", "\x7f", "\x85", "\u2028sep\u2029", "\ufeffbom", "\ue000", "😀", "👩‍👩‍👧", "🇫🇷", "\U0001fae8",
    "\U000e0001", "\U0010fffd", "</script><img src=x onerror=alert(1)>", "{{ jinja }}", "\\u0041", "\\x41",
]

JSON_HAZARDS: list[Any] = [
    None, True, False, 0, -0.0, 0.0, 1, -1, 1.5, 0.1, 1e-7, 1e-4, 0.0001, 1e16, 1e15, 123456789012345678,
    2**63, -(2**70), 1.7976931348623157e308, 5e-324, 1e22, 1e21, 12345.678e10, [], {}, [[]], {"": {}},
    {"a": [1, 2.5, None, True, "x"]}, {"nested": {"deep": [{"k": "v"}]}}, HAZARDS, {s: s for s in HAZARDS},
]

# Objects as form bodies (model/forms.py): bracket names, repeated names, indexed lists, empty
# containers (no field), scalars as text, and names or texts that need percent-encoding.
FORM_HAZARDS: list[Any] = [
    {}, {"": ""}, {"a": ""}, {"amount": 2000, "tags": ["a", "b"], "meta": {"k": "v w"}},
    {"n": None, "t": True, "f": False, "z": 0, "nz": -0.0, "tenth": 0.1, "big": 1e16, "small": 1e-7,
     "huge": 2**70, "neg": -(2**63), "exp": 12345.678e10, "max": 1.7976931348623157e308, "tiny": 5e-324},
    {"list": [1, 2.5, None, True, False, "x", ""]}, {"empty_list": [], "empty_obj": {}, "after": 1},
    {"rows": [{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": []}]}, {"mixed": [1, {"k": "v"}, [2, 3], [], {}]},
    {"grid": [[1, 2], [3, [4, {"deep": None}]]]}, {"a": {"b": {"c": {"d": {"e": "f"}}}}},
    {"~!*'()[]&=+ %": "~!*'()[]&=+ %", "a[b]": "c", "x=y&z": "1+1=2", "%41": "%", "+": " "},
    {"café": "naïve", "日本": "語", "😀": "👩‍👩‍👧", "\U0010fffd": "\U000e0001", "\u2028": "\x00\x7f\x85\u202e"},
    {"line": "a\\nb", "newline": "a\nb\r\n", "tab": "\t", "html": "</script><b>&amp;", "jinja": "{{ x }}"},
    # A name the brackets of another member also spell: `form_map` groups them, `form_text` keeps the order.
    {"a[b]": 1, "x": 2, "a": {"b": 3}}, {"a": [{"k": 1}], "a[0][k]": 2},
    {s: [s, {s: s}] for s in HAZARDS}, {"hazards": HAZARDS}, {"nested": {s: s for s in HAZARDS}},
]
# How a form's lists travel (`lists` of model/forms.py), member by member: none, indexed names,
# delimiters (`" "` and `"|"` are percent-encoded, `","` is kept), several members, a member the
# body does not have, a delimiter on lists that hold containers (indexed all the same), and
# the default said out loud.
LISTS: list[dict[str, str] | None] = [
    None, {}, {"tags": INDEX}, {"tags": ","}, {"tags": "|", "meta": INDEX}, {"tags": " "}, {"absent": ","},
    {"rows": ",", "mixed": "|", "grid": " "}, {"list": ",", "hazards": "|"}, {"tags": REPEAT, "meta": ","},
    {"a": INDEX, "nested": INDEX, "a[b]": ","},
]
# A lone surrogate has no UTF-8: Python's quote_plus raises UnicodeEncodeError, the twin must refuse too.
FORM_SURROGATES: list[Any] = [{"a": "\ud800"}, {"\udfff": "x"}, {"a": ["ok", "x\ud83d"]}, {"a": {"\udc00b": 1}}]

# Multipart bodies (model/multipart.py): (body, the members that are files, lists or None). File
# names that are plain and that are not (a path, a dot first, a space, too long, not text); names
# a part cannot have (`=` ends curl's name, a quote or a line break the part's header); file
# members that are absent, lists of files, no file at all; fields travelling as forms do.
EXAMPLE_UPLOAD = {"title": "Q3 report", "file": "report.csv", "tags": ["a", "b"],
                  "attachments": ["notes.txt", "logo.png"], "meta": {"k": "v w"}}
MULTIPART_HAZARDS: list[tuple[Any, list[str], dict[str, str] | None]] = [
    (EXAMPLE_UPLOAD, ["file", "attachments"], None), (EXAMPLE_UPLOAD, ["file", "attachments"], {"tags": ","}),
    (EXAMPLE_UPLOAD, ["file", "attachments"], {"tags": INDEX, "file": ",", "attachments": INDEX}),
    (EXAMPLE_UPLOAD, [], None), (EXAMPLE_UPLOAD, ["title"], None), (EXAMPLE_UPLOAD, ["meta"], None), ({}, [], None),
    ({}, ["file"], None), ({"file": []}, ["file"], None), ({"a": "x.txt", "b": "x.txt"}, ["a", "b"], None),
    ({"f": "x" * 100}, ["f"], None), ({"f": "x" * 101}, ["f"], None), ({"f": ".hidden"}, ["f"], None),
    ({"f": "-dash_.ok"}, ["f"], None), ({"f": "../etc/passwd"}, ["f"], None), ({"f": "a b.txt"}, ["f"], None),
    ({"f": "café.txt"}, ["f"], None), ({"f": ""}, ["f"], None), ({"f": ["ok.txt", 1]}, ["f"], None),
    ({"f": None}, ["f"], None), ({"f": 12}, ["f"], None), ({"f": {"k": "a.txt"}}, ["f"], None),
    ({"f": [["a.txt"]]}, ["f"], None), ({"a=b": "x"}, [], None), ({'q"': "x"}, [], None),
    ({"line\nbreak": ""}, [], None), ({"cr\r": ""}, [], None), ({"nul\x00": ""}, [], None),
    ({"meta": {"a=b": 1}}, [], None), ({"f=": "a.txt"}, ["f="], None), ({"ok": "a=b\"\r\n\x00"}, [], None),
    ({"café": "naïve", "😀": HAZARDS, "\u2028": "\x85"}, [], None), ({"hazards": HAZARDS, "up": "x.bin"}, ["up", "absent"], None),
    ({s: s for s in HAZARDS if not any(c in s for c in '="\\\r\n\x00')}, [], None), ({"a\\b": "x"}, [], None),
    ([], [], None), ("text", [], None), (None, [], None), (1, [], None), (1.5, [], None), (True, [], None),
    ([{"a": 1}], ["a"], None),
]


class Node:
    """A Node process evaluating twin calls, one JSON line in, one JSON line out."""

    def __init__(self, folder: Path) -> None:
        script = folder / "quoting.js"
        script.write_text(quoting_script(), encoding="utf-8")
        driver = folder / "driver.js"
        driver.write_text(DRIVER, encoding="utf-8")
        self.process = subprocess.Popen([NODE or "node", str(driver), str(script)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def __call__(self, op: str, *args: dict[str, Any], indent: int | None = None, filter: str | None = None) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, "args": list(args), "indent": indent, "filter": filter}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    runner = Node(tmp_path_factory.mktemp("twin"))
    yield runner
    runner.close()


def python(function: Any, *args: Any) -> dict[str, Any]:
    try:
        return {"ok": function(*args)}
    except (QuotingError, ValueError) as error:
        return {"error": str(error)}


def agree(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    if "error" in expected:
        assert "error" in actual, f"Python refused ({expected['error']}) but JavaScript gave {actual.get('ok')!r}"
    else:
        assert actual == expected


def text(value: str) -> dict[str, Any]:
    return {"text": value}


def as_json(value: Any) -> dict[str, Any]:
    return {"json": json.dumps(value, ensure_ascii=False)}


def check_text(node: Node, value: str) -> None:
    for name in ("sh", "py_str", "js_str", "at_file"):
        agree(python(FILTERS[name], value), node(name, text(value)))
    agree({"ok": quote(value, safe="")}, node("quote", text(value)))


def check_header(node: Node, name: str, value: str) -> None:
    for filter_name in ("curl_header", "httpie_header"):
        agree(python(FILTERS[filter_name], (name, value)), node(filter_name, {"pair": [name, value]}))


def check_json(node: Node, value: Any) -> None:
    """The value as the browser gets it (JSON text, parsed losslessly), through every filter."""
    arg = as_json(value)
    agree(python(json_text, value), node("json_text", arg))
    agree(python(json_text, value, None), node("json_text", arg, {"json": "null"}))
    agree(python(FILTERS["py"], value), node("py", arg))
    agree(python(FILTERS["py"], value, 4, 1), node("py", arg, {"json": "4"}, {"json": "1"}))
    agree(python(FILTERS["js_body"], value), node("js_body", arg))
    # Other spellings of the same value (ASCII escapes, surrogate pairs) parse to the same thing.
    agree(python(json_text, value), node("reindent", text(json.dumps(value)), indent=2))


def check_form(node: Node, value: Any, lists: dict[str, str] | None = None) -> None:
    """The value as a form body: its fields, its encoded text and its mapping (or both refuse it),
    with `lists` as the snippets pass it (a JSON literal the twin parses into an Obj). Without
    lists, the twin is called both without the argument and with null."""
    arg = as_json(value)
    spellings = [(arg,), (arg, as_json(None))] if lists is None else [(arg, as_json(lists))]
    for args in spellings:
        agree(python(lambda v: [list(pair) for pair in form_fields(v, lists)], value), node("form_fields", *args))
        encoded = node("form_text", *args)
        agree(python(FILTERS["form_text"], value, lists), encoded)
        if "ok" in encoded:  # what a form reader reads back is the fields, whichever characters stay readable
            assert parse_qsl(encoded["ok"], keep_blank_values=True) == form_fields(value, lists)
        agree(python(lambda v: [list(item) for item in form_map(v, lists).items()], value), node("form_map_items", *args))
        agree(python(lambda v: FILTERS["py"](FILTERS["form_map"](v, lists)), value), node("form_map_py", *args))
        pieces = node("form_pieces", *args)
        agree(python(FILTERS["form_pieces"], value, lists), pieces)
        if "ok" in pieces and "ok" in encoded:  # curl sends its pieces joined by `&`: the form's text
            assert "&".join(pieces["ok"]) == encoded["ok"]


PART_FILTERS = ("curl_part", "httpie_part")  # a filter on each part; the others take the list
PARTS_FILTERS = ("py_files", "py_fields")


def on_parts(name: str, parts: list[Part]) -> Any:
    """The driver's `onParts` in Python: each part's outcome, or the list's text."""
    if name in PART_FILTERS:
        return [python(FILTERS[name], part) for part in parts]
    return FILTERS[name](parts)


def agree_on_parts(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """`agree`, part by part for a filter on each part (a refused part is refused by both)."""
    if "ok" in expected and isinstance(expected["ok"], list):
        assert "ok" in actual and len(actual["ok"]) == len(expected["ok"]), actual
        for expected_part, actual_part in zip(expected["ok"], actual["ok"], strict=True):
            agree(expected_part, actual_part)
    else:
        agree(expected, actual)


def check_multipart(node: Node, value: Any, files: list[str], lists: dict[str, str] | None = None) -> None:
    """The value as a multipart body whose `files` members are files: its parts (or both refuse
    it), and each filter on them, the twin working from its own parts as the templates do."""
    args = (as_json(value), as_json(files)) + (() if lists is None else (as_json(lists),))
    agree(python(lambda v: [dataclasses.asdict(part) for part in multipart_parts(v, files, lists)], value),
          node("multipart_parts", *args))
    for name in (*PART_FILTERS, *PARTS_FILTERS):
        agree_on_parts(python(lambda v, f: on_parts(f, multipart_parts(v, files, lists)), value, name),
                       node("multipart_through", *args, filter=name))


def check_parts(node: Node, parts: list[Part]) -> None:
    """Parts as given, names `multipart_parts` refuses included: each filter alike."""
    arg = {"parts": [[part.name, part.value, part.is_file] for part in parts]}
    for name in (*PART_FILTERS, *PARTS_FILTERS):
        agree_on_parts(python(on_parts, name, parts), node("on_parts", arg, filter=name))


def own_lists(value: Any) -> list[dict[str, str]]:
    """`lists` naming each of the value's own members, one way of travelling at a time."""
    if not isinstance(value, dict) or not value:
        return []
    return [{key: style for key in value} for style in (INDEX, ",", " ", "|")]


@pytest.mark.parametrize("words", [[], [""], ["a=1"], HAZARDS[:20], HAZARDS[20:]], ids=["none", "empty", "one", "hazards", "more"])
@pytest.mark.parametrize("separator", [" \\\n  --data-raw ", "&", ""], ids=["curl", "amp", "nothing"])
def test_quoted_words_join_alike(node: Node, words: list[str], separator: str) -> None:
    expected = python(FILTERS["sh_joined"], words, separator)
    agree(expected, node("sh_joined", as_json(words), text(separator)))
    if "\x00" in "".join(words):  # no shell word can hold a NUL: both refuse
        assert "error" in expected
        return
    assert expected["ok"] == "''" if not words else expected["ok"].count(separator) >= len(words) - 1


def test_same_filter_names(node: Node) -> None:
    assert node("filters") == {"ok": sorted(FILTERS)}
    assert FILTERS["form_map"] is form_map  # so check_form holds the filter itself


@pytest.mark.parametrize("value", HAZARDS)
def test_hazardous_strings(node: Node, value: str) -> None:
    check_text(node, value)
    check_header(node, "X-Test", value)
    check_header(node, value or "X", "v")
    check_json(node, value)


@pytest.mark.parametrize("value", JSON_HAZARDS, ids=lambda v: repr(v)[:30])
def test_hazardous_json(node: Node, value: Any) -> None:
    check_json(node, value)
    check_form(node, value)  # the objects among them as forms; the rest refused by both


@pytest.mark.parametrize("value", FORM_HAZARDS, ids=lambda v: repr(v)[:30])
def test_hazardous_forms(node: Node, value: Any) -> None:
    for lists in [*LISTS, *own_lists(value)]:
        check_form(node, value, lists)
    for lists in [None, {"wrapped": INDEX, "list": ","}, {"wrapped": "|", "list": INDEX}]:
        check_form(node, {"wrapped": value, "list": [value]}, lists)


@pytest.mark.parametrize("lists", LISTS, ids=repr)
def test_form_lists_travel_alike(node: Node, lists: dict[str, str] | None) -> None:
    value = {"amount": 2000, "tags": ["a", "b c", 1.5, None, True], "meta": {"k": ["x", "y"], "deep": [{"z": [1]}]},
             "rows": [{"id": 1}, {"id": 2}], "mixed": [1, [2, 3]], "grid": [[1, 2]], "empty": [], "one": ["only"]}
    check_form(node, value, lists)
    for each in own_lists(value):
        check_form(node, value, each)


@pytest.mark.parametrize(("lists", "expected"), [
    (None, "tags=a&tags=b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),
    ({"tags": INDEX}, "tags[0]=a&tags[1]=b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),
    ({"tags": ","}, "tags=a,b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),
    ({"tags": "|", "meta": INDEX}, "tags=a|b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),
    ({"tags": " ", "meta": ","}, "tags=a+b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),  # a delimiter joins the member's own list; lists below it are indexed
    ({"absent": INDEX}, "tags=a&tags=b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),
    ({"rows": ","}, "tags=a&tags=b&meta[k][0]=1&meta[k][1]=2&rows[0][id]=1"),  # a list of objects is indexed
    # A member whose encoding's contentType is JSON: one field of its JSON text.
    ({"meta": JSON_TEXT, "rows": JSON_TEXT}, "tags=a&tags=b&meta=%7B%22k%22:+[1,+2]%7D&rows=[%7B%22id%22:+1%7D]"),
])
def test_the_form_twin_spells_lists_the_same(node: Node, lists: dict[str, str] | None, expected: str) -> None:
    value = {"tags": ["a", "b"], "meta": {"k": [1, 2]}, "rows": [{"id": 1}]}
    assert form_text(value, lists) == expected
    assert node("form_text", as_json(value), as_json(lists)) == {"ok": expected}


def test_the_twin_takes_lists_as_the_snippets_pass_them(node: Node) -> None:
    """From a definition's `encoding` (OpenAPI's styles) to the JSON literal the slot recording sends."""
    lists = list_styles({"tags": {"style": "deepObject"}, "ids": {"style": "form", "explode": False},
                         "words": {"style": "spaceDelimited", "explode": False}, "kept": {"style": "form"},
                         "bars": {"style": "pipeDelimited", "explode": False}})
    assert lists == {"tags": INDEX, "ids": ",", "words": " ", "bars": "|"}
    value = {"tags": ["a", "b"], "ids": [1, 2], "words": ["x", "y"], "bars": ["p", "q"], "kept": ["m", "n"]}
    assert node("form_text", as_json(value), {"json": json_text(lists, None)}) == {
        "ok": "tags[0]=a&tags[1]=b&ids=1,2&words=x+y&bars=p|q&kept=m&kept=n"}
    check_form(node, value, lists)


@pytest.mark.parametrize("value", [None, True, False, 0, -0.0, 1.5, 2**70, 1e16, "", "text", [], [{}], [["a"]]],
                         ids=repr)
def test_a_form_body_that_is_not_an_object_is_refused_by_both(node: Node, value: Any) -> None:
    assert "error" in python(FILTERS["form_text"], value)
    check_form(node, value)
    assert node("form_text", as_json(value))["error"] == python(FILTERS["form_text"], value)["error"]  # same words


@pytest.mark.parametrize("value", FORM_SURROGATES, ids=ascii)
def test_a_lone_surrogate_is_refused_by_both_form_texts(node: Node, value: Any) -> None:
    assert "error" in python(FILTERS["form_text"], value)
    assert "error" in node("form_text", as_json(value))
    check_form(node, value)  # its fields and mapping still agree: only the encoding refuses


def test_the_form_twin_spells_the_example_the_same(node: Node) -> None:
    value = {"amount": 2000, "tags": ["a", "b"], "meta": {"k": "v w"}, "odd": "~!*'()$,/:?@[];#%&=+"}
    encoded = node("form_text", as_json(value))
    assert encoded == {"ok": FILTERS["form_text"](value)}
    # Whichever characters are kept readable, a form reader reads the same fields back.
    assert parse_qsl(encoded["ok"], keep_blank_values=True) == [("amount", "2000"), ("tags", "a"), ("tags", "b"),
                                                                ("meta[k]", "v w"), ("odd", value["odd"])]
    assert node("form_map_items", as_json(value)) == {"ok": [["amount", "2000"], ["tags", ["a", "b"]], ["meta[k]", "v w"],
                                                            ["odd", value["odd"]]]}


@pytest.mark.parametrize(("value", "files", "lists"), MULTIPART_HAZARDS, ids=lambda v: repr(v)[:30])
def test_hazardous_multipart_bodies(node: Node, value: Any, files: list[str], lists: dict[str, str] | None) -> None:
    check_multipart(node, value, files, lists)
    if lists is None:
        check_multipart(node, value, files, {})


def test_the_multipart_twin_spells_the_example_the_same(node: Node) -> None:
    files = ["file", "attachments"]
    parts = multipart_parts(EXAMPLE_UPLOAD, files)
    assert node("multipart_parts", as_json(EXAMPLE_UPLOAD), as_json(files)) == {"ok": [
        {"name": "title", "value": "Q3 report", "is_file": False}, {"name": "file", "value": "report.csv", "is_file": True},
        {"name": "tags", "value": "a", "is_file": False}, {"name": "tags", "value": "b", "is_file": False},
        {"name": "attachments", "value": "notes.txt", "is_file": True},
        {"name": "attachments", "value": "logo.png", "is_file": True},
        {"name": "meta[k]", "value": "v w", "is_file": False}]}
    curl = node("multipart_through", as_json(EXAMPLE_UPLOAD), as_json(files), filter="curl_part")
    assert curl == {"ok": [{"ok": FILTERS["curl_part"](part)} for part in parts]}
    assert [item["ok"] for item in curl["ok"]][:2] == ["--form-string 'title=Q3 report'", "-F 'file=@report.csv'"]
    py_files = node("multipart_through", as_json(EXAMPLE_UPLOAD), as_json(files), filter="py_files")
    assert py_files == {"ok": FILTERS["py_files"](parts)}
    assert py_files["ok"].startswith('[("file", open("report.csv", "rb")), ')  # a field of two files: pairs


@pytest.mark.parametrize("value", ["cat.png", "a", "_x", "-", "x" * 100, "x" * 101, ".hidden", "a/b", "../b", "café.png",
                                   "a b", "", "a\nb", 7, None, ["a.txt"]], ids=repr)
def test_a_raw_body_file_name_alike(node: Node, value: Any) -> None:
    """`at_file` (a raw body that is a file, model/raw.py): `@name` for a plain file name only."""
    expected = python(FILTERS["at_file"], value)
    agree(expected, node("at_file", as_json(value)))
    assert ("ok" in expected) == (isinstance(value, str) and len(value) <= 100 and bool(value)
                                  and value[0] not in ".-" and all(c.isascii() and (c.isalnum() or c in "._-") for c in value))


@pytest.mark.parametrize(("name", "plain"), [
    ("cat.png", "cat.png"), ("My Report (1).csv", "My_Report__1_.csv"), (".hidden", "_hidden"), ("..", "_."),
    ("café.txt", "caf_.txt"), ("😀.png", "_.png"), ("a/b\\c", "a_b_c"), ("x" * 150, "x" * 100), ("", "upload"),
], ids=repr)
def test_a_chosen_file_is_named_as_the_snippets_can_write(node: Node, name: str, plain: str) -> None:
    """The explorer's name for a file the reader chose (a multipart member's, a body file's)."""
    assert node("plain_file_name", text(name)) == {"ok": plain}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text())
def test_any_chosen_file_gets_a_name_at_file_takes(node: Node, name: str) -> None:
    plain = node("plain_file_name", text(name))["ok"]
    assert is_file_name(plain) and FILTERS["at_file"](plain) == f"@{plain}"
    assert plain == name or not is_file_name(name)  # a plain name stays as it is


@pytest.mark.parametrize("value", HAZARDS)
def test_hazardous_parts(node: Node, value: str) -> None:
    check_parts(node, [Part(value, value), Part(value, value, True), Part("x", value), Part(value, "x.txt", True),
                       Part(value, "again", True), Part(value, "again")])


@pytest.mark.parametrize("document", [
    "", " ", "{", "[1,]", "{\"a\":1,}", "{'a': 1}", "01", "1.", ".5", "+1", "NaN", "Infinity", "-Infinity",
    "[1e999]", "\"\x01\"", "\"\\x41\"", "\"\\u12\"", "tru", "nul", "[1] [2]", "{\"a\" 1}", "// c\n1",
])
def test_invalid_json_is_refused_by_both(node: Node, document: str) -> None:
    try:
        json_text(json.loads(document))
        python_refuses = False
    except ValueError:
        python_refuses = True
    assert python_refuses
    assert "error" in node("json_text", {"json": document})


def test_duplicate_keys_follow_python_dicts(node: Node) -> None:
    document = '{"b": 1, "a": 2, "b": 3, "10": 4, "2": 5}'
    assert node("reindent", text(document), indent=None) == {"ok": json_text(json.loads(document), None)}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text())
def test_any_text(node: Node, value: str) -> None:
    check_text(node, value)
    check_header(node, "X-Any", value)


form_values = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
list_ways = st.sampled_from([REPEAT, INDEX, ",", " ", "|"]) | st.text(max_size=2)


@st.composite
def forms_with_lists(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str] | None]:
    """A form body and `lists` naming some of its members (and perhaps others), or None."""
    value = draw(form_values)
    names = st.sampled_from(sorted(value)) | st.text(max_size=8) if value else st.text(max_size=8)
    lists = draw(st.none() | st.dictionaries(names, list_ways, max_size=4))
    return value, lists


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json(node: Node, value: Any) -> None:
    check_json(node, value)
    check_form(node, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=form_values)
def test_any_form(node: Node, value: Any) -> None:
    check_form(node, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=forms_with_lists())
def test_any_form_with_lists(node: Node, case: tuple[dict[str, Any], dict[str, str] | None]) -> None:
    check_form(node, *case)


file_names = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,30}", fullmatch=True)
# Mostly what a file member holds, sometimes what it may not (any text, any JSON).
file_values = st.one_of(file_names, st.lists(file_names, max_size=3), st.text(max_size=6), json_values)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], dict[str, str] | None]:
    """A multipart body with fields and file members in any order, `files` naming the file
    members (and perhaps others), and `lists` naming some of its members, or None."""
    fields = draw(form_values)
    uploads = draw(st.dictionaries(st.text(max_size=8), file_values, max_size=3))
    body = dict(draw(st.permutations([*fields.items(), *uploads.items()])))
    files = [*uploads, *draw(st.lists(st.text(max_size=8), max_size=2))]
    names = st.sampled_from(sorted(body)) | st.text(max_size=8) if body else st.text(max_size=8)
    lists = draw(st.none() | st.dictionaries(names, list_ways, max_size=3))
    return body, files, lists


part_names = st.sampled_from(["a", "b", "a=b", "\\:", "x\\"]) | st.text(max_size=8)  # repeats: py_files' pairs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=multipart_bodies())
def test_any_multipart_body(node: Node, case: tuple[dict[str, Any], list[str], dict[str, str] | None]) -> None:
    check_multipart(node, *case)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=file_names | st.text(alphabet="ab._-/ \\é", max_size=4))
def test_any_raw_body_file_name(node: Node, value: str) -> None:
    agree(python(FILTERS["at_file"], value), node("at_file", as_json(value)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.builds(Part, part_names, st.text(max_size=8), st.booleans()), max_size=6))
def test_any_parts(node: Node, parts: list[Part]) -> None:
    check_parts(node, parts)
