"""The explorer's JavaScript twin of `generator/quoting.py` gives the same output, byte for byte.

One Node process runs the very script the site ships (`quoting_script()`), answering one case
per line; every case is also computed by the Python function, and the two must agree (same text,
or both refuse the value).
"""

from __future__ import annotations

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
from apidocs.model.forms import INDEX, REPEAT, form_fields, form_map, form_text, list_styles
from apidocs.rendering.quoting import FILTERS, QuotingError, json_text

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

DRIVER = r"""
const Q = require(process.argv[2]);
const lines = require("readline").createInterface({ input: process.stdin });
const value = (arg) => ("json" in arg ? Q.parseJson(arg.json) : "pair" in arg ? arg.pair : arg.text);
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


class Node:
    """A Node process evaluating twin calls, one JSON line in, one JSON line out."""

    def __init__(self, folder: Path) -> None:
        script = folder / "quoting.js"
        script.write_text(quoting_script(), encoding="utf-8")
        driver = folder / "driver.js"
        driver.write_text(DRIVER, encoding="utf-8")
        self.process = subprocess.Popen([NODE or "node", str(driver), str(script)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def __call__(self, op: str, *args: dict[str, Any], indent: int | None = None) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, "args": list(args), "indent": indent}) + "\n")
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
    for name in ("sh", "py_str", "js_str"):
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


def own_lists(value: Any) -> list[dict[str, str]]:
    """`lists` naming each of the value's own members, one way of travelling at a time."""
    if not isinstance(value, dict) or not value:
        return []
    return [{key: style for key in value} for style in (INDEX, ",", " ", "|")]


@pytest.mark.parametrize("words", [[], [""], ["a=1"], HAZARDS[:20], HAZARDS[20:]], ids=["none", "empty", "one", "hazards", "more"])
@pytest.mark.parametrize("separator", [" \\\n  --data-raw ", "&", ""], ids=["curl", "amp", "nothing"])
def test_quoted_words_join_alike(node: Node, words: list[str], separator: str) -> None:
    expected = FILTERS["sh_joined"](words, separator)
    assert isinstance(expected, str)
    assert node("sh_joined", as_json(words), text(separator)) == {"ok": expected}
    assert expected == "''" if not words else expected.count(separator) >= len(words) - 1


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
