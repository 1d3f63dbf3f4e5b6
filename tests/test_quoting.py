"""Each escaping function in generator/quoting.py, checked by the language that reads its output.

Shell quoting is read back by bash, HTTPie items by HTTPie itself (`--offline` prints the request
it would send), Python literals by Python's parser and JavaScript literals by Node. One process
per language for a whole table of hazardous values keeps this fast.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apidocs.model.endpoint import NO_BODY
from apidocs.model.forms import form_map, form_pieces, form_text
from apidocs.model.multipart import multipart_parts
from apidocs.rendering.quoting import (
    FILTERS,
    QuotingError,
    at_file,
    curl_header,
    curl_part,
    httpie_header,
    httpie_part,
    js_body,
    js_string,
    js_template_literal,
    json_text,
    python_fields,
    python_files,
    python_literal,
    python_string,
    sh_joined,
    shell_quote,
)

HTTP = str(Path(sys.executable).with_name("http"))

TEXTS = ["", "plain", "it's", "'", "''", '"', "\\", "\\\\'", "a\nb", "tab\there", "\r\n", "$HOME", "${HOME}", "$(id)",
         "`id`", "!", "!!", "!$", "%s %d", "@/etc/passwd", "-X", "--data", "*", "?", "[a-z]", "{a,b}", "~", "#c", "a;b",
         "a|b", "a&b", ">x", "é", "日本語", "😀", "\u2028\u2029", "\x7f", "\x01\x1f", "\\u0041", "${a`b`}", "${", "`${x}`"]


def _run(argv: list[str], program: str | None = None, tmp: Path | None = None) -> str:
    """Run argv (+ a program file holding `program`); stdout as text with no newline translation."""
    if program is not None:
        assert tmp is not None
        file = tmp / "program"
        file.write_bytes(program.encode("utf-8"))  # a file, because a program may hold a NUL byte
        argv = [*argv, str(file)]
    completed = subprocess.run(argv, capture_output=True, timeout=60)
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    return completed.stdout.decode("utf-8")


# --- shell ---------------------------------------------------------------------------------------

def test_shell_quote_reads_back_in_bash_as_the_same_text(tmp_path: Path) -> None:
    script = "".join(f"printf '%s\\0' {shell_quote(text)}\n" for text in TEXTS)
    assert _run(["bash"], script, tmp_path).split("\0")[:-1] == TEXTS


def test_joined_words_read_back_in_bash_as_the_same_words(tmp_path: Path) -> None:
    # curl's form pieces, one `--data-raw` each: the separator is the template's layout.
    continued = " \\\n  "  # a backslash, a new line and an indent, as curl.sh.j2 lays its pieces out
    script = f"printf '%s\\0' {sh_joined(TEXTS, continued)}\nprintf '%s\\0' {sh_joined([], ' ')}\n"
    assert _run(["bash"], script, tmp_path).split("\0")[:-1] == [*TEXTS, ""]  # no words: one empty word


def test_shell_quote_wraps_everything_in_single_quotes() -> None:
    assert shell_quote("a'b") == "'a'\\''b'"
    assert shell_quote("") == "''"
    assert shell_quote("$(id)") == "'$(id)'"


def test_curl_header_is_one_bash_word_with_name_colon_value(tmp_path: Path) -> None:
    headers = [("X-Test", text.replace("\n", " ").replace("\r", " ")) for text in TEXTS if text]
    script = "".join(f"printf '%s\\0' {curl_header(header)}\n" for header in headers)
    assert _run(["bash"], script, tmp_path).split("\0")[:-1] == [f"{n}: {v}" for n, v in headers]


def test_curl_header_with_empty_value_uses_curls_semicolon_form() -> None:
    # `-H 'X-Empty:'` would remove the header; `-H 'X-Empty;'` sends it empty.
    assert curl_header(("X-Empty", "")) == "'X-Empty;'"


# --- HTTPie --------------------------------------------------------------------------------------

HTTPIE_VALUES = ["a:b", "a;b", "a=b", "a@b", "@file", "=x", ":x", "x:", "\\plain\\", "it's", '"q"', "$(id)", "a b",
                 "==", ":=", "@", "-v", "Token 123"]


def test_httpie_header_makes_httpie_send_exactly_the_value() -> None:
    items = [httpie_header((f"X-H{index}", value)) for index, value in enumerate(HTTPIE_VALUES)]
    items.append(httpie_header(("X-Empty", "")))
    script = f"{HTTP} --ignore-stdin --offline --print=H GET http://example.invalid/ " + " ".join(items)
    printed = _run(["bash", "-c", script]).splitlines()
    for index, value in enumerate(HTTPIE_VALUES):
        assert f"X-H{index}: {value}" in printed
    assert "X-Empty: " in printed or "X-Empty:" in printed


def test_httpie_header_escapes_separators_and_refuses_backslash_before_one() -> None:
    assert httpie_header(("X", "a:b=c;d@e")) == "'X:a\\:b\\=c\\;d\\@e'"
    with pytest.raises(QuotingError, match="HTTPie cannot send a backslash"):
        httpie_header(("X", "a\\:b"))
    assert httpie_header(("X", "")) == "'X;'"


# --- JSON ----------------------------------------------------------------------------------------

def test_json_text_keeps_non_ascii_readable_and_escapes_controls() -> None:
    assert json_text({"a": "é😀"}) == '{\n  "a": "é😀"\n}'
    assert json_text("\x00\n") == '"\\u0000\\n"'
    assert json_text(NO_BODY) == ""
    assert json_text([1, 2], indent=None) == "[1, 2]"
    assert json.loads(json_text({"n": 2**70, "f": 0.1})) == {"n": 2**70, "f": 0.1}


def test_json_text_refuses_nan() -> None:
    with pytest.raises(ValueError):
        json_text(math.nan)
    with pytest.raises(ValueError):
        json_text({"deep": [1, {"x": math.inf}]})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([0, 2, 4]))
def test_json_text_is_what_json_writes(value: object, indent: int) -> None:
    # json_text writes indented JSON itself (json's is slow with an indent): the same text.
    assert json_text(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)


def test_json_text_leaves_what_json_alone_judges_to_json() -> None:
    # Keys that are not text, a cycle, types JSON has not: json's own text or json's own error.
    assert json_text({1: [True], None: 2.5, 1.5: "x"}) == json.dumps({1: [True], None: 2.5, 1.5: "x"}, indent=2)
    deep: object = "end"
    for _ in range(200):
        deep = [deep]
    assert json_text(deep) == json.dumps(deep, indent=2)
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular"):
        json_text(looped)
    with pytest.raises(TypeError):
        json_text({"when": object()})


# --- Python --------------------------------------------------------------------------------------

def test_python_string_parses_back_to_the_text() -> None:
    for text in [*TEXTS, "\x00", "\U0001f600", "\u200b", "\ud7ff"]:
        literal = python_string(text)
        assert ast.literal_eval(literal) == text, literal
        assert "\n" not in literal


def _same_json(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_json, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return a == b


VALUES: list[object] = [None, True, False, 0, -1, 2**64 + 1, -(2**70), 0.1, -0.0, 1e300, 5e-324, 1.5e16, "", "x",
                        [], {}, [[], [[]]], {"": {"'": [None, False, 0, ""]}}, {k: k for k in TEXTS}, TEXTS]


def test_python_literal_evaluates_to_the_same_json_value_with_the_same_types() -> None:
    for value in VALUES:
        literal = python_literal(value)
        assert _same_json(ast.literal_eval(literal), value), literal


def test_python_literal_is_valid_in_a_real_interpreter_run(tmp_path: Path) -> None:
    program = "import json\nvalues = [\n" + ",\n".join(python_literal(v, 4, 1) for v in VALUES) + ",\n]\n"
    program += "print(json.dumps(values))\n"
    assert json.loads(_run([sys.executable], program, tmp_path)) == json.loads(json.dumps(VALUES))


def test_python_literal_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(QuotingError):
        python_literal(math.inf)
    with pytest.raises(QuotingError):
        python_literal(math.nan)
    with pytest.raises(QuotingError):
        python_literal({1, 2})


def test_python_literal_layout_is_indented_with_trailing_commas() -> None:
    assert python_literal({"a": [1, True]}) == '{\n    "a": [\n        1,\n        True,\n    ],\n}'
    assert python_literal({"a": 1}, 4, 1) == '{\n        "a": 1,\n    }'


# --- JavaScript ----------------------------------------------------------------------------------

def test_js_string_and_template_literal_read_back_in_node(tmp_path: Path) -> None:
    texts = [*TEXTS, "\x00", "\U0001f600", "\u200b"]
    program = "const values = [\n" + ",\n".join(js_string(t) for t in texts) + "\n];\n"
    program += "const templates = [\n" + ",\n".join(js_template_literal(t) for t in texts) + "\n];\n"
    program += "process.stdout.write(JSON.stringify({values, templates}));\n"
    result = json.loads(_run(["node"], program, tmp_path))
    assert result["values"] == texts
    # A template literal turns a raw CR or CRLF into LF by definition; JSON text never has raw CRs.
    assert result["templates"] == [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]


def test_js_body_is_the_json_text_itself_so_big_numbers_survive(tmp_path: Path) -> None:
    bodies = [{"big": 2**64 + 1, "f": 0.1, "s": "`${x}` \\ é"}, [1e300, -0.0, None], "top-level", 12345678901234567890]
    program = "const bodies = [\n" + ",\n".join(js_body(b) for b in bodies) + "\n];\n"
    program += "process.stdout.write(JSON.stringify(bodies));\n"
    assert json.loads(_run(["node"], program, tmp_path)) == [json_text(b) for b in bodies]


def test_filters_table_names_every_function_templates_use() -> None:
    assert {"sh": shell_quote, "curl_header": curl_header, "httpie_header": httpie_header,
                       "json_text": json_text, "py": python_literal, "py_str": python_string, "js_str": js_string,
                       "js_body": js_body, "form_text": form_text, "form_map": form_map, "form_pieces": form_pieces, "sh_joined": sh_joined,
                       "multipart_parts": multipart_parts, "curl_part": curl_part, "httpie_part": httpie_part,
                       "py_files": python_files, "py_fields": python_fields, "at_file": at_file} == FILTERS
