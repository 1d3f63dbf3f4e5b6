"""All four published snippets send the identical, documented request on hazardous example data.

Hypothesis generates endpoints whose example values are full of what breaks naive snippets:
quotes, backslashes, newlines, tabs, `$()`, backticks, `!`, `%`, a leading `@` or `-`, emoji and
other non-ASCII, empty strings, `false`/`0`/`null`, repeated query keys, nested and top-level
arrays, big and float numbers. Each is rendered from the real templates, run by the real
runtimes (bash + curl, bash + HTTPie, Python, Node) against an echo server through the check's
recording relay, and what arrived is compared with the documented request.

CI runs a fixed budget (APIDOCS_HYPOTHESIS_EXAMPLES, default 12); raise it for a deeper search,
e.g. `APIDOCS_HYPOTHESIS_EXAMPLES=500 pytest tests/test_snippets_property.py`.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidocs.check.compare import NormalRequest, sent_request
from apidocs.check.session import CheckSession, SnippetResult
from apidocs.config.settings import Auth
from apidocs.model.endpoint import NO_BODY, Endpoint, ExampleRequest
from apidocs.model.positions import position_key
from apidocs.rendering.languages import load_languages

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
EXAMPLES = int(os.environ.get("APIDOCS_HYPOTHESIS_EXAMPLES", "12"))
LANGUAGES = [language for language in load_languages(SNIPPETS) if language.is_runnable]

# Fragments that broke the snippets of the tools this project replaces.
HAZARDS = ["'", '"', "\\", "\n", "\t", "\r\n", "$(id)", "${HOME}", "$HOME", "`id`", "!", "!!", "%", "%20", "%zz",
           "+", "&", "=", "#", "?", "/", "@", "@/etc/passwd", "-", "--data", "*", "[1]", "{a}", " ", "",
           "false", "0", "null", "true", "é", "日本", "😀", "\u2028", "\x7f", "\\u0041", "\\n", ";", ":", "<>", "|"]

hazard_text = st.one_of(
    st.sampled_from(HAZARDS),
    st.lists(st.one_of(st.sampled_from(HAZARDS), st.text(max_size=4)), max_size=5).map("".join),
    st.text(max_size=12),
)
# Header values: printable ASCII (the loader refuses anything else), without surrounding spaces
# (not part of an HTTP field value) and without a backslash right before one of HTTPie's item
# separators, which HTTPie cannot send at all (the renderer refuses it with a clear message).
header_value = st.one_of(
    st.sampled_from([h for h in HAZARDS if h.isascii() and h.isprintable()]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
).map(lambda value: value.strip(" \t")).filter(lambda value: not re.search(r"\\[:;=@]", value))

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), hazard_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hazard_text, inner, max_size=4)),
    max_leaves=12,
)


def _segment_ok(value: str) -> bool:
    # `.` and `..` are dot-segments that URL parsers (WHATWG, curl) resolve away by design.
    return value not in (".", "..")


literal_segment = st.text(alphabet=string.ascii_letters + string.digits + "-_~é😀!$'()*+,;=:@", min_size=1,
                          max_size=8).filter(_segment_ok)
path_value = hazard_text.filter(lambda v: v != "" and _segment_ok(v))
header_name = st.from_regex(r"X-[A-Za-z0-9][A-Za-z0-9-]{0,10}", fullmatch=True)


@st.composite
def endpoints(draw: st.DrawFn) -> Endpoint:
    segments = draw(st.lists(st.one_of(literal_segment, st.just("{}")), min_size=1, max_size=4))
    names = [f"p{index}" for index, segment in enumerate(segments) if segment == "{}"]
    path = "/" + "/".join(f"{{p{index}}}" if segment == "{}" else segment for index, segment in enumerate(segments))
    if draw(st.booleans()):
        path += "/"
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]))
    body = NO_BODY if method == "HEAD" or draw(st.booleans()) else draw(json_value)
    query = draw(st.lists(st.tuples(hazard_text, hazard_text), max_size=4))
    if bool(query) and draw(st.booleans()):
        query.append((query[0][0], draw(hazard_text)))  # a repeated key
    names_seen: set[str] = set()
    headers = []
    for name, value in draw(st.lists(st.tuples(header_name, header_value), max_size=3)):
        if name.lower() not in names_seen:
            names_seen.add(name.lower())
            headers.append((name, value))
    if body is not NO_BODY:
        headers.append(("Content-Type", "application/json"))
    example = ExampleRequest({name: draw(path_value) for name in names}, query, headers, body,
                             token=draw(st.one_of(st.none(), header_value.filter(bool))))
    return Endpoint(source=Path("generated.md"), src_uri="generated.md", title=path, position=position_key(None),
                    visibility=[], blocks=[], method=method, path=path, name="generated", example=example)


@pytest.fixture(scope="module")
def session(echo_server: str) -> Iterator[CheckSession]:
    with CheckSession(SNIPPETS, Auth(), echo_server, timeout=30) as check:
        check.warm_up(LANGUAGES, 1)
        yield check


def _run_all(session: CheckSession, endpoint: Endpoint) -> list[SnippetResult]:
    return session.check_all([(endpoint, language) for language in LANGUAGES], jobs=len(LANGUAGES))


def _sent(result: SnippetResult, endpoint: Endpoint) -> NormalRequest:
    names = ["Authorization"] + [name for name, _ in endpoint.example.headers]
    return sent_request(result.exchanges[0], names)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          print_blob=True)
@given(endpoint=endpoints())
def test_every_snippet_sends_the_documented_request(session: CheckSession, endpoint: Endpoint) -> None:
    results = _run_all(session, endpoint)
    failures = [result.message for result in results if not result.passed]
    assert not failures, "\n\n".join(failures)
    first = _sent(results[0], endpoint)
    for result in results[1:]:
        assert _sent(result, endpoint) == first, f"{result.language.label} sent another request than {results[0].language.label}"


HOSTILE = "$(touch {m}1) `touch {m}2` ${{IFS}}$(touch${{IFS}}{m}3) '; touch {m}4; ' \"$(touch {m}5)\" !$ \\"


def _hostile_endpoint(marker: Path) -> Endpoint:
    text = HOSTILE.format(m=marker)
    body: Any = {text: [text, {"k": text}], "n": 0, "f": False, "z": None, "e": ""}
    example = ExampleRequest({"id": text}, [(text, text), ("q", text), ("q", "")],
                             [("X-Hostile", text.replace("\\", "").replace("\n", "")), ("Content-Type", "application/json")],
                             body)
    return Endpoint(source=Path("hostile.md"), src_uri="hostile.md", title="/things/{id}/", position=position_key(None),
                    visibility=[], blocks=[], method="POST", path="/things/{id}/", name="hostile", example=example)


def test_command_substitution_in_example_data_creates_no_file(session: CheckSession, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    endpoint = _hostile_endpoint(marker)
    results = _run_all(session, endpoint)
    assert [result.message for result in results if not result.passed] == []
    created = sorted(path.name for path in tmp_path.iterdir())
    assert created == [], f"example data ran commands: {created}"
    assert all(_sent(result, endpoint).body == endpoint.example.body for result in results)
