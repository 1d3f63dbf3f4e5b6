"""Every refusal of the sandbox over real HTTP: the right code, a JSON `detail`, never a 5xx."""

from __future__ import annotations

import json
import socket
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox_helpers import (
    CONFIRM_ITEM,
    CONFIRM_SEED,
    DETAIL_ITEM,
    DETAIL_ORDER,
    NO_PERMISSION,
    OPEN_ORDER,
    REJECT_ITEM,
    RETAILER,
    STRANGER,
    SUPPLIER,
    UNKNOWN,
    SandboxClient,
)


def _detail(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


# 401 ------------------------------------------------------------------------------------------

def test_no_token_is_401_with_www_authenticate(sandbox: SandboxClient) -> None:
    response = sandbox.order(DETAIL_ORDER, token=None)
    assert "Authorization" in _detail(response, 401)
    assert response.headers["www-authenticate"] == "Token"


def test_unknown_token_is_401(sandbox: SandboxClient) -> None:
    response = sandbox.confirm_order(CONFIRM_SEED, token="0000000000")
    assert _detail(response, 401) == "unknown token"
    assert response.headers["www-authenticate"] == "Token"


def test_token_with_another_scheme_is_401(sandbox: SandboxClient) -> None:
    response = sandbox.request("GET", f"/timp/orders/{DETAIL_ORDER}/", None, headers={"Authorization": f"Bearer {SUPPLIER}"})
    assert "Token <token>" in _detail(response, 401)


# 403 ------------------------------------------------------------------------------------------

def test_supplier_user_without_permission_confirming_is_403(sandbox: SandboxClient) -> None:
    assert "permission" in _detail(sandbox.confirm_order(CONFIRM_SEED, token=NO_PERMISSION), 403)
    assert "permission" in _detail(sandbox.reject_item(REJECT_ITEM, token=NO_PERMISSION), 403)
    assert sandbox.confirm_order(CONFIRM_SEED).status_code == 200  # nothing changed meanwhile


def test_supplier_user_without_permission_can_still_read_the_order(sandbox: SandboxClient) -> None:
    assert sandbox.order(DETAIL_ORDER, token=NO_PERMISSION).status_code == 200


# 404 ------------------------------------------------------------------------------------------

def test_unknown_order_is_404(sandbox: SandboxClient) -> None:
    assert _detail(sandbox.order(UNKNOWN), 404) == f"Order {UNKNOWN} not found"
    assert _detail(sandbox.confirm_order(UNKNOWN), 404) == f"Order {UNKNOWN} not found"
    assert _detail(sandbox.cancel_order(UNKNOWN), 404) == f"Order {UNKNOWN} not found"


def test_malformed_id_is_404(sandbox: SandboxClient) -> None:
    assert _detail(sandbox.order("not-a-uuid"), 404) == "Order not-a-uuid not found"
    assert _detail(sandbox.cancel_item("42"), 404) == "Line item 42 not found"


def test_order_of_other_organisations_is_404_like_an_unknown_one(sandbox: SandboxClient) -> None:
    assert _detail(sandbox.order(DETAIL_ORDER, token=STRANGER), 404) == f"Order {DETAIL_ORDER} not found"
    assert _detail(sandbox.confirm_order(CONFIRM_SEED, token=STRANGER), 404) == f"Order {CONFIRM_SEED} not found"
    assert _detail(sandbox.confirm_item(CONFIRM_ITEM, token=STRANGER), 404) == f"Line item {CONFIRM_ITEM} not found"


def test_unknown_route_is_404(sandbox: SandboxClient) -> None:
    assert _detail(sandbox.request("GET", "/timp/nothing/"), 404) == "no endpoint at /timp/nothing/"
    assert _detail(sandbox.request("GET", "/"), 404)


def test_missing_trailing_slash_is_404_with_a_hint(sandbox: SandboxClient) -> None:
    detail = _detail(sandbox.request("PATCH", f"/timp/orders/cancel/{CONFIRM_SEED}/confirm"), 404)
    assert f"did you mean /timp/orders/cancel/{CONFIRM_SEED}/confirm/?" in detail


# 405 ------------------------------------------------------------------------------------------

def test_wrong_method_is_405_with_allow(sandbox: SandboxClient) -> None:
    response = sandbox.request("POST", f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/")
    assert "POST is not allowed" in _detail(response, 405)
    assert response.headers["allow"] == "PATCH, OPTIONS"


def test_literal_route_wins_over_a_placeholder_route(sandbox: SandboxClient) -> None:
    # A method no template of the path has: the most specific one's Allow.
    response = sandbox.request("DELETE", "/timp/orders/cancel/")
    _detail(response, 405)
    assert response.headers["allow"] == "PATCH, OPTIONS"
    # One the placeholder route has is its own (GitLab: `PUT /services/asana`, `GET /services/{slug}`).
    assert "cancel" in _detail(sandbox.request("GET", "/timp/orders/cancel/"), 404)


def test_head_answers_like_get_without_a_body(sandbox: SandboxClient) -> None:
    response = sandbox.request("HEAD", f"/timp/orders/{DETAIL_ORDER}/")
    assert response.status_code == 200 and response.content == b""


def test_plain_options_lists_the_allowed_methods(sandbox: SandboxClient) -> None:
    response = sandbox.request("OPTIONS", f"/timp/orders/{DETAIL_ORDER}/", token=None)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


# 409 ------------------------------------------------------------------------------------------

def test_retailer_confirming_is_409(sandbox: SandboxClient) -> None:
    assert "only the supplier" in _detail(sandbox.confirm_order(CONFIRM_SEED, token=RETAILER), 409)
    assert "only the supplier" in _detail(sandbox.reject_item(REJECT_ITEM, token=RETAILER), 409)


def test_supplier_asking_for_a_cancelation_is_409(sandbox: SandboxClient) -> None:
    assert "only the retailer" in _detail(sandbox.cancel_order(OPEN_ORDER, token=SUPPLIER), 409)
    assert "only the retailer" in _detail(sandbox.cancel_item(DETAIL_ITEM, token=SUPPLIER), 409)


# 415, 400, 413 --------------------------------------------------------------------------------

def test_a_body_that_is_not_json_is_415(sandbox: SandboxClient) -> None:
    response = sandbox.request("PATCH", "/timp/orders/cancel/", RETAILER, data={"order_uuid": OPEN_ORDER})
    assert "not JSON" in _detail(response, 415)
    response = sandbox.request("PATCH", "/timp/orders/cancel/", RETAILER, data="hello", headers={"Content-Type": "text/plain"})
    _detail(response, 415)


def test_json_without_a_content_type_is_accepted(sandbox: SandboxClient) -> None:
    response = sandbox.request("PATCH", "/timp/orders/cancel/", RETAILER, data=json.dumps({"order_uuid": OPEN_ORDER}))
    assert response.status_code == 200


@pytest.mark.parametrize("body, words", [
    ('{"order_uuid": ', "not valid JSON"),
    ("\xff\xfe{}", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "JSON"),
    ("[]", "must be a JSON object, not an array"),
    ("{}", "`order_uuid` is required"),
    ('{"order_uuid": 42}', "`order_uuid` must be a string, not a number"),
    ('{"order_uuid": null}', "`order_uuid` must be a string, not null"),
])
def test_malformed_or_incomplete_cancel_body_is_400_naming_the_problem(sandbox: SandboxClient, body: str, words: str) -> None:
    response = sandbox.request("PATCH", "/timp/orders/cancel/", RETAILER, data=body.encode("latin-1"),
                               headers={"Content-Type": "application/json"})
    assert words in _detail(response, 400)


def test_missing_cancel_body_is_400(sandbox: SandboxClient) -> None:
    assert "body is missing" in _detail(sandbox.request("PATCH", "/timp/orders/cancel/", RETAILER), 400)


def test_mistyped_reason_is_400(sandbox: SandboxClient) -> None:
    response = sandbox.reject_order(CONFIRM_SEED, json={"reason": ["no"]})
    assert _detail(response, 400) == "`reason` must be a string, not an array"


def test_body_over_one_mib_is_413(sandbox: SandboxClient) -> None:
    big = json.dumps({"reason": "x" * (1024 * 1024)})
    response = sandbox.reject_order(CONFIRM_SEED, data=big, headers={"Content-Type": "application/json"})
    assert "1024 KiB" in _detail(response, 413)


def test_streamed_body_over_one_mib_is_413(sandbox: SandboxClient) -> None:
    chunks = (b"x" * 65536 for _ in range(20))  # no Content-Length: chunked transfer encoding
    response = sandbox.reject_order(CONFIRM_SEED, data=chunks, headers={"Content-Type": "application/json"})
    _detail(response, 413)


def test_refused_requests_change_nothing(sandbox: SandboxClient) -> None:
    sandbox.reject_order(CONFIRM_SEED, json={"reason": 1})
    sandbox.confirm_order(CONFIRM_SEED, token=RETAILER)
    assert sandbox.order(CONFIRM_SEED).json()["status"] == "cancelation_requested"


# The isolation header -------------------------------------------------------------------------

def test_a_wrong_isolation_secret_is_400(sandbox_server) -> None:
    client = SandboxClient(sandbox_server.url, {"X-Apidocs-Sandbox": "guess:run-1"})
    assert "secret" in _detail(client.order(DETAIL_ORDER), 400)


# CORS -----------------------------------------------------------------------------------------

def test_cors_preflight_allows_authorization_and_content_type_from_any_origin(sandbox: SandboxClient) -> None:
    response = sandbox.request("OPTIONS", "/timp/orders/cancel/", None, headers={
        "Origin": "https://docs.example.com", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_cors_answers_carry_allow_origin_and_expose_headers(sandbox: SandboxClient) -> None:
    response = sandbox.request("GET", f"/timp/orders/{DETAIL_ORDER}/", None, headers={"Origin": "https://docs.example.com"})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()


# Nothing a client sends gives a 5xx or hangs ----------------------------------------------------

def _raw_exchange(base_url: str, request: bytes, timeout: float = 10.0) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_body_shorter_than_its_content_length_gets_an_answer(sandbox_server) -> None:
    request = (f"PATCH /timp/orders/cancel/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token {RETAILER}\r\n"
               "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"order").encode()
    answer = _raw_exchange(sandbox_server.url, request)  # the client closes its side: no hang
    assert not answer.startswith(b"HTTP/1.1 5")


paths = st.sampled_from(["/timp/orders/cancel/", f"/timp/orders/{DETAIL_ORDER}/", f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/",
                         f"/timp/orders/items/cancel/{CONFIRM_ITEM}/reject/", f"/timp/orders/items/cancel/{DETAIL_ITEM}/"])
segments = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/?#%"), min_size=1, max_size=12)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["order_uuid", "reason", "x"]), inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "PATCH", "DELETE", "POST", "PUT", "HEAD", "OPTIONS"]),
       path=paths | segments.map(lambda s: f"/timp/orders/{quote(s, safe='')}/"),
       token=st.sampled_from([SUPPLIER, RETAILER, STRANGER, NO_PERMISSION, "nope", None]),
       body=st.none() | json_values.map(json.dumps) | st.binary(max_size=40),
       content_type=st.sampled_from([None, "application/json", "text/plain", "application/merge-patch+json", ""]))
def test_no_request_is_answered_with_a_5xx(sandbox_server, method: str, path: str, token: str | None,
                                           body: str | bytes | None, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    response = sandbox_server.session().request(method, path, token, data=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and method != "HEAD":
        assert response.json()["detail"]
