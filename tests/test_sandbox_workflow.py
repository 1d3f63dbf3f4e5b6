"""The cancelation workflow over real HTTP, each test on a fresh private sandbox state."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_endpoints
from apidocs.model.endpoint import Endpoint
from sandbox_helpers import (
    CONFIRM_ITEM,
    CONFIRM_SEED,
    DETAIL_ITEM,
    DETAIL_ORDER,
    ITEMS_ORDER,
    OPEN_ORDER,
    REJECT_ITEM,
    REJECT_SEED,
    RETAILER,
    ROOT,
    SUPPLIER,
    SandboxClient,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DOCUMENTED_TIMESTAMPS = {"requested_date", "resolved_date"}  # compared by format only


def _endpoints() -> list[Endpoint]:
    endpoints, _ = load_endpoints(load_settings(ROOT / "mkdocs.yml"))
    return endpoints


def _same_shape(actual: Any, documented: Any, where: str = "body") -> None:
    """Equal, except that workflow timestamps only need the documented format."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict) and list(actual) == list(documented), where
        for key, value in documented.items():
            if key in DOCUMENTED_TIMESTAMPS and isinstance(value, str):
                assert TIMESTAMP.match(actual[key] or ""), f"{where}.{key}: {actual[key]!r}"
            else:
                _same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), where
        for index, (a, d) in enumerate(zip(actual, documented, strict=True)):
            _same_shape(a, d, f"{where}[{index}]")
    else:
        assert actual == documented and type(actual) is type(documented), f"{where}: {actual!r} != {documented!r}"


def _send_example(client: SandboxClient, endpoint: Endpoint):
    path = endpoint.path
    for name, value in endpoint.example.path_params.items():
        path = path.replace("{" + name + "}", value)
    kwargs: dict[str, Any] = {"headers": dict(endpoint.example.headers)}
    if endpoint.example.has_body:
        kwargs["json"] = endpoint.example.body
    return client.request(endpoint.method, path, endpoint.example.token or SUPPLIER, **kwargs)


@pytest.mark.parametrize("endpoint", _endpoints(), ids=lambda e: f"{e.method} {e.path}")
def test_every_documented_example_answers_its_documented_response(sandbox: SandboxClient, endpoint: Endpoint) -> None:
    response = _send_example(sandbox, endpoint)
    assert response.status_code == endpoint.expected_status, response.text
    documented = endpoint.success_response
    assert documented is not None and documented.has_body
    _same_shape(response.json(), documented.body)


@pytest.mark.parametrize("endpoint", [e for e in _endpoints() if e.method != "GET"], ids=lambda e: f"{e.method} {e.path}")
def test_every_documented_action_succeeds_once_then_is_422(sandbox: SandboxClient, endpoint: Endpoint) -> None:
    assert _send_example(sandbox, endpoint).status_code == 200
    again = _send_example(sandbox, endpoint)
    assert again.status_code == 422
    assert again.json()["detail"]
    for documented in endpoint.responses:
        if documented.status == 422:
            assert again.json() == documented.body


def test_the_seed_confirm_is_200_then_422_with_the_documented_detail(sandbox: SandboxClient) -> None:
    first = sandbox.confirm_order(CONFIRM_SEED)
    assert first.status_code == 200
    assert first.json()["status"] == "canceled"
    second = sandbox.confirm_order(CONFIRM_SEED)
    assert second.status_code == 422
    assert second.json() == {"detail": f"Order {CONFIRM_SEED} cannot be confirmed: its cancelation is already confirmed"}


def test_order_detail_is_the_documented_example_in_a_fresh_sandbox(sandbox: SandboxClient) -> None:
    documented = next(e for e in _endpoints() if e.method == "GET").success_response
    assert documented is not None
    response = sandbox.order(DETAIL_ORDER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == documented.body


def test_both_parties_see_the_order_detail(sandbox: SandboxClient) -> None:
    assert sandbox.order(DETAIL_ORDER, SUPPLIER).json() == sandbox.order(DETAIL_ORDER, RETAILER).json()


def test_order_requested_confirmed_shows_in_detail(sandbox: SandboxClient) -> None:
    requested = sandbox.cancel_order(OPEN_ORDER)
    assert requested.status_code == 200
    cancelation = requested.json()["cancelation"]
    assert requested.json()["status"] == "cancelation_requested"
    assert cancelation["status"] == "requested" and cancelation["requested_by"] == "projectthanos"
    assert TIMESTAMP.match(cancelation["requested_date"]) and cancelation["resolved_date"] is None
    assert sandbox.order(OPEN_ORDER).json()["cancelation"] == cancelation

    confirmed = sandbox.confirm_order(OPEN_ORDER)
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["status"] == "canceled"
    assert body["cancelation"]["status"] == "confirmed"
    assert body["cancelation"]["resolved_by"] == "Stevens, Smith and Krause"
    assert body["cancelation"]["requested_date"] == cancelation["requested_date"]
    detail = sandbox.order(OPEN_ORDER, RETAILER).json()
    assert detail["status"] == "canceled" and detail["cancelation"] == body["cancelation"]


def test_reject_reopens_the_order_and_records_the_reason(sandbox: SandboxClient) -> None:
    rejected = sandbox.reject_order(REJECT_SEED, json={"reason": "Already shipped"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "open"
    assert rejected.json()["cancelation"]["status"] == "rejected"
    assert rejected.json()["cancelation"]["reason"] == "Already shipped"
    assert sandbox.order(REJECT_SEED, RETAILER).json()["cancelation"]["reason"] == "Already shipped"


def test_a_reason_is_bounded_kept_whole_up_to_the_bound(sandbox: SandboxClient) -> None:
    """Each session stores its reasons: a public sandbox must not hold megabytes per request."""
    too_long = sandbox.reject_order(REJECT_SEED, json={"reason": "x" * 1001})
    assert too_long.status_code == 400 and "at most 1,000 characters" in too_long.json()["detail"]
    assert sandbox.order(REJECT_SEED, RETAILER).json()["cancelation"]["status"] == "requested"  # nothing applied
    assert sandbox.reject_item(REJECT_ITEM, json={"reason": "y" * 1001}).status_code == 400
    longest = sandbox.reject_order(REJECT_SEED, json={"reason": "é" * 1000})
    assert longest.status_code == 200 and longest.json()["cancelation"]["reason"] == "é" * 1000


def test_reject_without_a_body_records_no_reason(sandbox: SandboxClient) -> None:
    rejected = sandbox.reject_order(REJECT_SEED)
    assert rejected.status_code == 200
    assert rejected.json()["cancelation"]["reason"] is None


def test_a_rejected_order_can_be_asked_again_and_then_confirmed(sandbox: SandboxClient) -> None:
    assert sandbox.reject_order(REJECT_SEED).status_code == 200
    again = sandbox.cancel_order(REJECT_SEED)
    assert again.status_code == 200
    assert again.json()["cancelation"]["status"] == "requested"
    assert again.json()["cancelation"]["reason"] is None
    assert sandbox.confirm_order(REJECT_SEED).status_code == 200


@pytest.mark.parametrize("step, detail", [
    ("confirm_order", "cannot be confirmed: its cancelation is already confirmed"),
    ("reject_order", "cannot be rejected: its cancelation is already confirmed"),
    ("cancel_order", "cannot be canceled: it is already canceled"),
])
def test_every_step_on_a_canceled_order_is_422(sandbox: SandboxClient, step: str, detail: str) -> None:
    assert sandbox.confirm_order(CONFIRM_SEED).status_code == 200
    response = getattr(sandbox, step)(CONFIRM_SEED)
    assert response.status_code == 422
    assert response.json()["detail"] == f"Order {CONFIRM_SEED} {detail}"


def test_confirming_an_order_nobody_asked_to_cancel_is_422(sandbox: SandboxClient) -> None:
    response = sandbox.confirm_order(OPEN_ORDER)
    assert response.status_code == 422
    assert "no cancelation was requested" in response.json()["detail"]


def test_asking_twice_to_cancel_is_422(sandbox: SandboxClient) -> None:
    assert sandbox.cancel_order(OPEN_ORDER).status_code == 200
    response = sandbox.cancel_order(OPEN_ORDER)
    assert response.status_code == 422
    assert "already requested" in response.json()["detail"]


def test_confirming_a_rejected_cancelation_is_422(sandbox: SandboxClient) -> None:
    assert sandbox.reject_order(REJECT_SEED).status_code == 200
    response = sandbox.confirm_order(REJECT_SEED)
    assert response.status_code == 422
    assert "already rejected" in response.json()["detail"]


def test_item_cancel_then_confirm_shows_in_the_order_detail_only_for_that_item(sandbox: SandboxClient) -> None:
    requested = sandbox.cancel_item(DETAIL_ITEM)
    assert requested.status_code == 200
    assert requested.json()["order_uuid"] == DETAIL_ORDER
    assert requested.json()["status"] == "cancelation_requested"
    confirmed = sandbox.confirm_item(DETAIL_ITEM)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "canceled"
    detail = sandbox.order(DETAIL_ORDER).json()
    assert detail["status"] == "open" and detail["cancelation"] is None
    assert detail["line_items"][0]["status"] == "canceled"
    assert detail["line_items"][0]["cancelation"] == confirmed.json()["cancelation"]


def test_item_reject_reopens_the_item_with_the_reason(sandbox: SandboxClient) -> None:
    rejected = sandbox.reject_item(REJECT_ITEM, json={"reason": "Made to order"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "open"
    assert rejected.json()["cancelation"]["reason"] == "Made to order"
    items = {i["line_item_uuid"]: i for i in sandbox.order(ITEMS_ORDER, RETAILER).json()["line_items"]}
    assert items[REJECT_ITEM]["status"] == "open"
    assert items[CONFIRM_ITEM]["status"] == "cancelation_requested"


def test_item_steps_on_a_canceled_order_are_422(sandbox: SandboxClient) -> None:
    assert sandbox.cancel_order(ITEMS_ORDER).status_code == 200
    assert sandbox.confirm_order(ITEMS_ORDER).status_code == 200
    response = sandbox.confirm_item(CONFIRM_ITEM)
    assert response.status_code == 422
    assert response.json()["detail"] == f"Line item {CONFIRM_ITEM} cannot be confirmed: its order {ITEMS_ORDER} is canceled"


def test_confirming_an_item_twice_is_422(sandbox: SandboxClient) -> None:
    assert sandbox.confirm_item(CONFIRM_ITEM).status_code == 200
    again = sandbox.confirm_item(CONFIRM_ITEM)
    assert again.status_code == 422
    assert again.json()["detail"] == f"Line item {CONFIRM_ITEM} cannot be confirmed: its cancelation is already confirmed"


def test_rejecting_a_confirmed_item_cancelation_is_422(sandbox: SandboxClient) -> None:
    assert sandbox.confirm_item(CONFIRM_ITEM).status_code == 200
    assert sandbox.reject_item(CONFIRM_ITEM).status_code == 422


def test_sessions_do_not_see_each_others_state(sandbox_server) -> None:
    first, second = sandbox_server.session(), sandbox_server.session()
    assert first.confirm_order(CONFIRM_SEED).status_code == 200
    assert second.confirm_order(CONFIRM_SEED).status_code == 200
    assert first.order(CONFIRM_SEED).json()["status"] == "canceled"
