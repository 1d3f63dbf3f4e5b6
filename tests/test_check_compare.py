"""What counts as "sent the documented request" and "the response agrees with the docs"."""

from __future__ import annotations

import json

from apidocs.check.compare import compare_exchanges, is_timestamp, json_equal, response_problems
from apidocs.check.relay import Exchange
from apidocs.model.endpoint import NO_BODY
from apidocs.rendering.request import HttpRequest


def documented(**changes: object) -> HttpRequest:
    request = HttpRequest("PATCH", "http://x", "/orders/a%20b%2Fc/", [("q", "1"), ("q", ""), ("s", "a+b&c")],
                          [("Authorization", "Token 123"), ("Content-Type", "application/json")], {"n": 1, "ok": False})
    for key, value in changes.items():
        setattr(request, key, value)
    return request


def exchange(target: str = "/orders/a b%2fc/?s=a%2Bb%26c&q=&q=1", body: bytes = b'{"ok": false, "n": 1.0}',
             headers: list[tuple[str, str]] | None = None, status: int = 200, method: str = "PATCH") -> Exchange:
    sent_headers = headers if headers is not None else [
        ("Host", "x"), ("User-Agent", "curl"), ("authorization", "Token 123"), ("Content-Type", " application/json")]
    return Exchange(method, target, sent_headers, body, status=status, response_body=b"{}")


def test_equal_in_meaning_passes_whatever_the_spelling() -> None:
    problems, diff = compare_exchanges(documented(), [exchange()], 200)
    assert (problems, diff) == ([], "")


def test_nothing_sent_and_more_than_one_request_fail() -> None:
    assert compare_exchanges(documented(), [], 200)[0] == ["sent no request (nothing reached the check's relay)"]
    problems, _ = compare_exchanges(documented(), [exchange(), exchange(target="/again")], 200)
    assert problems[0].startswith("sent 2 requests, expected exactly one (also: PATCH /again)")


def test_a_lost_repeated_or_empty_query_value_fails_with_a_diff() -> None:
    problems, diff = compare_exchanges(documented(), [exchange(target="/orders/a%20b%2Fc/?q=1&s=a%2Bb%26c")], 200)
    assert problems == ["query: the sent pairs differ from the documented ones"]
    assert '-query  "q" = ""' in diff.splitlines()


def test_plus_and_ampersand_mis_encoded_in_the_query_fail() -> None:
    problems, _ = compare_exchanges(documented(), [exchange(target="/orders/a%20b%2Fc/?q=1&q=&s=a+b&c")], 200)
    assert problems == ["query: the sent pairs differ from the documented ones"]


def test_header_values_are_exact_and_auth_is_required() -> None:
    wrong = [("Authorization", "Token 1234"), ("Content-Type", "application/json")]
    problems, diff = compare_exchanges(documented(), [exchange(headers=wrong)], 200)
    assert problems == ["headers: a documented header is missing or has another value"]
    assert '-header authorization: "Token 123"' in diff and '+header authorization: "Token 1234"' in diff
    problems, _ = compare_exchanges(documented(), [exchange(headers=[("Content-Type", "application/json")])], 200)
    assert problems == ["headers: a documented header is missing or has another value"]


def test_body_compares_as_json_with_types() -> None:
    assert compare_exchanges(documented(), [exchange(body=b'{"n": 1, "ok": 0}')], 200)[0] == [
        "body: not equal to the documented JSON"]
    assert compare_exchanges(documented(), [exchange(body=b"")], 200)[0] == ["body: sent none, one is documented"]
    assert compare_exchanges(documented(), [exchange(body=b"n=1")], 200)[0] == ["body: sent text that is not JSON"]
    no_body = documented(body=NO_BODY)
    assert compare_exchanges(no_body, [exchange(body=b"null")], 200)[0] == ["body: sent a body, none is documented"]
    assert compare_exchanges(documented(body=None), [exchange(body=b"null")], 200)[0] == []


def test_method_path_and_status_mismatches_are_named() -> None:
    problems, diff = compare_exchanges(documented(), [exchange(method="POST", target="/orders/ab/?q=1&q=&s=a%2Bb%26c")], 200)
    assert problems == ["method: sent POST, documented PATCH", 'path: sent "/orders/ab/", documented "/orders/a b/c/"']
    assert diff.splitlines()[3:5] == ['-PATCH "/orders/a b/c/"', '+POST "/orders/ab/"']
    problems, diff = compare_exchanges(documented(), [exchange(status=422)], 200)
    assert problems == ["status: got 422, expected 200 — {}"] and diff == ""


def test_json_equal_is_strict_about_types_and_exact_about_numbers() -> None:
    assert json_equal({"a": [1, 2.5, None]}, {"a": [1.0, 2.5, None]})
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal(None, "")
    assert not json_equal(2**64 + 1, float(2**64 + 1))
    assert not json_equal([1, 2], [2, 1]) and not json_equal({"a": 1}, {"a": 1, "b": 2})


def test_response_agrees_when_keys_types_and_values_match_timestamps_by_format() -> None:
    docs = {"uuid": "u1", "status": "canceled", "when": "2026-11-22T18:00:00Z", "items": [{"n": 3}], "note": None}
    actual = dict(docs, when="2031-01-02T03:04:05.123456+00:00")
    assert response_problems(docs, json.dumps(actual)) == []
    assert response_problems(NO_BODY, "not even json") == []


def test_response_that_contradicts_the_docs_is_reported_by_json_path() -> None:
    docs = {"status": "canceled", "when": "2026-11-22T18:00:00Z", "items": [{"n": 3}], "note": None, "gone": 1}
    actual = {"status": "open", "when": "yesterday", "items": [{"n": "3"}, {"n": 4}], "note": "x", "extra": True}
    assert response_problems(docs, json.dumps(actual)) == [
        'response $.status: documented "canceled", got "open"',
        'response $.when: documented a timestamp, got "yesterday"',
        "response $.items: documented 1 item(s), got 2",
        'response $.items[0].n: documented number 3, got string "3"',
        'response $.note: documented null, got string "x"',
        "response $.gone: documented, missing from the response",
        "response $.extra: in the response, not documented",
    ]
    assert response_problems({"a": 1}, "<html>")[0].startswith("response: not JSON")


def test_a_documented_text_body_agrees_with_the_text_as_printed() -> None:
    # A string example is a text/plain answer (the export and the mock say so); the snippets print it raw.
    assert response_problems("id,name\n1,a\n", "id,name\n1,a\n\n") == []
    assert response_problems("id,name\n1,a\n", json.dumps("id,name\n1,a\n")) == []  # sent as a JSON string
    assert response_problems("id,name\n1,a\n", "id,name\n2,b\n") != []


def test_timestamps_are_datetimes_not_dates() -> None:
    assert is_timestamp("2018-08-23T16:07:35.864274Z") and is_timestamp("2026-11-22 18:00:00+01:00")
    assert not is_timestamp("2018-11-12") and not is_timestamp("soon")
