"""What "the snippet sent the documented request" and "the docs tell the truth" mean, exactly.

Requests compare on meaning, not bytes: the path percent-decoded; the query as a multiset of
decoded pairs (order and `%20`/`+` spelling do not matter, repeats and empty values do); every
documented header plus the auth header with its exact value (clients add others such as
User-Agent, which are fine); the body equal as JSON, where `true` is not `1` and a rounded big
number is not the number (a form body: each field name's texts, in order; a multipart body:
each field name's texts, line breaks as LF, and files, a file by its name and content). Responses compare on shape and values: same keys and types, equal
values, except ISO-8601 timestamps, which only need to be timestamps too.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from apidocs.check.relay import Exchange
from apidocs.model.endpoint import NO_BODY, json_type
from apidocs.model.forms import form_fields, form_pairs
from apidocs.model.multipart import multipart_parts, read_multipart, sample_file
from apidocs.rendering.request import HttpRequest

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")
_MAX_PROBLEMS = 20


@dataclass
class NormalRequest:
    """A request reduced to what the comparison looks at."""

    method: str
    path: str  # percent-decoded
    query: list[tuple[str, str]]  # decoded pairs, sorted
    headers: list[tuple[str, str]]  # (lower-case name, value), sorted, only the documented names
    body: object  # a JSON value, NO_BODY, or `_Raw` for bytes that are not JSON

    def lines(self) -> list[str]:
        """A readable, diffable rendering (values JSON-quoted so whitespace and quotes show)."""
        out = [f"{self.method} {_show(self.path)}"]
        out += [f"query  {_show(name)} = {_show(value)}" for name, value in self.query]
        out += [f"header {name}: {_show(value)}" for name, value in self.headers]
        if self.body is NO_BODY:
            out.append("body   (none)")
        elif isinstance(self.body, _Raw):
            out.append(f"body   (unreadable) {self.body.text!r}")
        else:
            out.append("body")
            out += ["  " + line for line in json.dumps(self.body, indent=2, sort_keys=True, ensure_ascii=False).splitlines()]
        return out


@dataclass(frozen=True)
class _Raw:
    text: str


def _show(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def decode_path(path: str) -> str:
    return unquote_to_bytes(path).decode("utf-8", errors="replace")


def _split_target(target: str) -> tuple[str, str]:
    path, _, query = target.partition("?")
    return path, query


def _ows(value: str) -> str:
    # Leading and trailing spaces/tabs are not part of an HTTP field value (RFC 9110 §5.5).
    return value.strip(" \t")


def expected_request(request: HttpRequest) -> NormalRequest:
    headers = sorted((name.lower(), _ows(value)) for name, value in request.headers)
    body: object = request.body
    if request.is_multipart:
        body = _by_name([(part.name, _file(part.value, sample_file(part.value)) if part.is_file else _lines(part.value))
                         for part in multipart_parts(request.body, request.files, request.form_lists)])
    elif request.is_form:
        body = _by_name(form_fields(request.body, request.form_lists))
    elif request.body_file and isinstance(request.body, str):
        body = {"content": sample_file(request.body).decode("utf-8", errors="replace")}
    return NormalRequest(request.method, decode_path(request.path), sorted(request.query), headers, body)


def _lines(text: str) -> str:
    """A multipart text part as compared: line breaks as LF. Browsers and Node's FormData send
    each as CRLF, as HTML's form encoding asks; curl and requests send the text as it is."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _file(name: str, content: bytes) -> dict[str, str]:
    """A multipart file part as compared: its file name and its content (as text)."""
    return {"file": name, "content": content.decode("utf-8", errors="replace")}


def _by_name(pairs: Sequence[tuple[str, object]]) -> dict[str, list[object]]:
    """A form's fields compared: each name's texts in the order sent (the order of different
    names does not matter to a form's reader)."""
    fields: dict[str, list[object]] = {}
    for name, text in pairs:
        fields.setdefault(name, []).append(text)
    return fields


def sent_request(exchange: Exchange, documented_headers: list[str], form: bool = False, multipart: bool = False,
                 raw: bool = False, file: bool = False) -> NormalRequest:
    """`form`, `multipart`: the body is documented as one, so it is read as one; `raw`: as the
    text it is, or (`file`) as a file's content; else as JSON."""
    path, query = _split_target(exchange.target)
    names = sorted({name.lower() for name in documented_headers})
    headers = sorted((name, _ows(value)) for name in names for value in exchange.header_values(name))
    body: object = {} if form or multipart else NO_BODY  # a form without fields sends no bytes
    if exchange.body:
        try:
            if raw:
                text = exchange.body.decode("utf-8", errors="strict" if not file else "replace")
                body = {"content": text} if file else text
            elif multipart:
                content_type = next(iter(exchange.header_values("content-type")), "")
                body = _by_name([(part.name, _lines(part.text) if part.filename is None else _file(part.filename, part.content))
                                 for part in read_multipart(exchange.body, content_type)])
            else:
                body = _by_name(form_pairs(exchange.body)) if form else json.loads(exchange.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = _Raw(exchange.body.decode("utf-8", errors="replace"))
    pairs = sorted(parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"))
    return NormalRequest(exchange.method, decode_path(path), pairs, headers, body)


def json_equal(a: object, b: object) -> bool:
    """Equal as JSON values: booleans are not numbers, numbers compare exactly, order of keys is free."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(json_equal(a[key], b[key]) for key in a))
    return type(a) is type(b) and a == b


# How a body that is not what was documented is told, by what it was documented as.
_UNREADABLE = {"json": "sent text that is not JSON", "form": "sent text that is not a form",
               "multipart": "sent text that is not a multipart form", "text": "sent text that is not UTF-8",
               "file": "sent bytes that are not the file's"}
_UNEQUAL = {"json": "not equal to the documented JSON", "form": "not the documented form fields",
            "multipart": "not the documented form fields", "text": "not the documented text",
            "file": "not the documented file's content"}


def request_problems(expected: NormalRequest, sent: NormalRequest, kind: str = "json") -> list[str]:
    """`kind`: what the body is documented as, `json`, `form`, `multipart`, `text` or `file`."""
    problems = []
    if sent.method != expected.method:
        problems.append(f"method: sent {sent.method}, documented {expected.method}")
    if sent.path != expected.path:
        problems.append(f"path: sent {_show(sent.path)}, documented {_show(expected.path)}")
    if sent.query != expected.query:
        problems.append("query: the sent pairs differ from the documented ones")
    if sent.headers != expected.headers:
        problems.append("headers: a documented header is missing or has another value")
    if expected.body is NO_BODY and sent.body is not NO_BODY:
        problems.append("body: sent a body, none is documented")
    elif expected.body is not NO_BODY and sent.body is NO_BODY:
        problems.append("body: sent none, one is documented")
    elif isinstance(sent.body, _Raw):
        problems.append(f"body: {_UNREADABLE[kind]}")
    elif expected.body is not NO_BODY and not json_equal(expected.body, sent.body):
        problems.append(f"body: {_UNEQUAL[kind]}")
    return problems


def request_diff(expected: NormalRequest, sent: NormalRequest) -> str:
    return "\n".join(difflib.unified_diff(expected.lines(), sent.lines(), "documented", "sent", lineterm="", n=99))


def body_kind(request: HttpRequest) -> str:
    """What the body is documented as, for `request_problems`."""
    if request.is_raw:
        return "file" if request.body_file else "text"
    return "multipart" if request.is_multipart else "form" if request.is_form else "json"


def compare_exchanges(request: HttpRequest, exchanges: list[Exchange], expected_status: int) -> tuple[list[str], str]:
    """Problems (one line each) and a documented-vs-sent diff for what one snippet run sent."""
    if not exchanges:
        return ["sent no request (nothing reached the check's relay)"], ""
    expected = expected_request(request)
    first = exchanges[0]
    sent = sent_request(first, [name for name, _ in request.headers], request.is_form, request.is_multipart, request.is_raw,
                        request.body_file)
    problems = request_problems(expected, sent, body_kind(request))
    diff = request_diff(expected, sent) if problems else ""
    if len(exchanges) > 1:
        others = ", ".join(f"{e.method} {e.target}" for e in exchanges[1:])
        problems.insert(0, f"sent {len(exchanges)} requests, expected exactly one (also: {others})")
    if first.error:
        problems.append(first.error)
    elif first.status != expected_status:
        excerpt = first.response_text.strip().replace("\n", " ")
        excerpt = excerpt[:300] + ("…" if len(excerpt) > 300 else "")
        problems.append(f"status: got {first.status}, expected {expected_status}" + (f" — {excerpt}" if excerpt else ""))
    return problems, diff


# --- Responses against the documented example -------------------------------------------------

def is_timestamp(value: object) -> bool:
    return isinstance(value, str) and bool(_TIMESTAMP.match(value)) and ("T" in value or " " in value)


def _brief(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _typed(value: object) -> str:
    kind = json_type(value)
    return kind if value is None else f"{kind} {_brief(value)}"


def _walk(documented: object, actual: object, where: str, problems: list[str]) -> None:
    if len(problems) >= _MAX_PROBLEMS:
        return
    if is_timestamp(documented):
        if not is_timestamp(actual):
            problems.append(f"{where}: documented a timestamp, got {_brief(actual)}")
        return
    kind, actual_kind = json_type(documented), json_type(actual)
    if kind != actual_kind:
        problems.append(f"{where}: documented {_typed(documented)}, got {_typed(actual)}")
    elif isinstance(documented, dict) and isinstance(actual, dict):  # both objects (equal kinds)
        for key in documented:
            if key not in actual:
                problems.append(f"{where}.{key}: documented, missing from the response")
            else:
                _walk(documented[key], actual[key], f"{where}.{key}", problems)
        for key in actual:
            if key not in documented:
                problems.append(f"{where}.{key}: in the response, not documented")
    elif isinstance(documented, list) and isinstance(actual, list):  # both arrays
        if len(documented) != len(actual):
            problems.append(f"{where}: documented {len(documented)} item(s), got {len(actual)}")
        for index, (doc_item, actual_item) in enumerate(zip(documented, actual, strict=False)):  # the shorter's items
            _walk(doc_item, actual_item, f"{where}[{index}]", problems)
    elif not json_equal(documented, actual):
        problems.append(f"{where}: documented {_brief(documented)}, got {_brief(actual)}")


def response_problems(documented: object, response_text: str) -> list[str]:
    """How a response body disagrees with the documented example (empty when it agrees)."""
    if documented is NO_BODY:
        return []
    if isinstance(documented, str) and response_text.strip() == documented.strip():
        return []  # a text answer (text/plain), as the snippets print it
    try:
        actual = json.loads(response_text)
    except ValueError:
        excerpt = response_text.strip()[:200]
        return [f"response: not JSON, the docs show a JSON body ({excerpt!r})"]
    problems: list[str] = []
    _walk(documented, actual, "response $", problems)
    if len(problems) >= _MAX_PROBLEMS:
        problems.append("response: … (more differences not shown)")
    return problems
