"""The stateful routes of the TIMP order-cancelation workflow.

Every handler checks in the same order, so the same mistake always gets the same answer:
401 (auth, done by the app) → 415/413/400 (body) → 404 (unknown, malformed, or not the caller's
order: indistinguishable) → 409 (wrong kind of party) → 403 (no permission) → 422 (impossible
now) → 200 with the new state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from apidocs.sandbox.body import field_of, json_object
from apidocs.sandbox.call import Call
from apidocs.sandbox.errors import ApiError, not_found
from apidocs.sandbox.responses import Answer, dump_json, json_answer
from apidocs.sandbox.timp import workflow
from apidocs.sandbox.timp.fixtures import LineItem, Order, User

_ATTEMPTS = 5
# A reason is stored with every session that rejects: a public sandbox holds thousands of them.
MAX_REASON_CHARACTERS = 1000
RETAILER = "retailer"
SUPPLIER = "supplier"
Step = Callable[[workflow.State, str, str, str], workflow.State]


def _shown(value: str) -> str:
    return value if len(value) <= 80 else value[:77] + "..."


def _role(user: User, order: Order) -> str | None:
    """Which side of the order the user is on, or None when not party to it."""
    organisation = user.organisation
    if organisation is None:
        return None
    if organisation.key == order.retailer.key:
        return RETAILER
    if organisation.key in order.suppliers:
        return SUPPLIER
    return None


def _visible_order(call: Call, order_uuid: str) -> tuple[Order, str]:
    order = call.fixtures.orders.get(order_uuid)
    role = _role(call.user, order) if order else None
    if order is None or role is None:
        raise not_found(f"Order {_shown(order_uuid)}")
    return order, role


def _visible_item(call: Call, item_uuid: str) -> tuple[LineItem, Order, str]:
    item = call.fixtures.items.get(item_uuid)
    order = call.fixtures.orders[item.order_uuid] if item else None
    role = _role(call.user, order) if order else None
    if item is None or order is None or role is None:
        raise not_found(f"Line item {_shown(item_uuid)}")
    if role == SUPPLIER and call.user.organisation and call.user.organisation.key != item.supplier.key:
        raise ApiError(403, f"Line item {item.uuid} is supplied by {item.supplier.name}, not {call.user.organisation.name}")
    return item, order, role


def _require(call: Call, role: str, wanted: str, action: str) -> str:
    """The acting organisation's name, once the caller may take this step."""
    user = call.user
    organisation = user.organisation
    assert organisation is not None  # visible orders have a party organisation
    if role != wanted:
        raise ApiError(409, f"only the {wanted} can {action}; this token is {organisation.name}'s, the {role}")
    if not user.can_manage_orders:
        raise ApiError(403, f"{user.name} of {organisation.name} may not manage orders (no order-management permission)")
    return organisation.name


def _step(step: Step, state: workflow.State, what: str, by: str, **extra: Any) -> workflow.State:
    try:
        return step(state, what, by, workflow.now(), **extra)
    except workflow.Impossible as error:
        raise ApiError(422, str(error)) from None


def _order_answer(order: Order, state: workflow.State) -> dict[str, Any]:
    return {"order_uuid": order.uuid, **state.as_json()}


def _item_answer(item: LineItem, state: workflow.State) -> dict[str, Any]:
    return {"line_item_uuid": item.uuid, "order_uuid": item.order_uuid, **state.as_json()}


def _reason(body: Any) -> str | None:
    """The supplier's reason for a rejection: kept in the session's state, so bounded."""
    reason = field_of(json_object(body), "reason", "string")
    if reason is not None and len(reason) > MAX_REASON_CHARACTERS:
        raise ApiError(400, f"`reason` must be at most {MAX_REASON_CHARACTERS:,} characters, not {len(reason):,}")
    return reason


# Order detail ---------------------------------------------------------------------------------

def render_order(order: Order, states: list[workflow.State]) -> bytes:
    """`GET /timp/orders/<uuid>/`: the fixture order with the live workflow state (`states`:
    the order's, then its items' in order)."""

    def live(fields: dict[str, Any], state: workflow.State, party_key: str, party: dict[str, Any]) -> dict[str, Any]:
        shown = dict(fields)
        shown.update(state.as_json())  # in place where the fixture has them, else at the end
        shown[party_key] = party
        return shown

    detail = live(order.fields, states[0], "retailer", order.retailer.as_party())
    detail["line_items"] = [live(item.fields, state, "supplier", item.supplier.as_party())
                            for item, state in zip(order.items, states[1:], strict=True)]
    return dump_json(detail)


async def get_order(call: Call) -> Answer:
    order, _ = _visible_order(call, call.param)
    return Answer(200, await call.store.view(order.uuid, order.workflow_uuids, lambda states: render_order(order, states)))


# Whole orders ---------------------------------------------------------------------------------

async def cancel_order(call: Call) -> Answer:
    body = json_object(await call.json(), required=True)
    order_uuid = field_of(body, "order_uuid", "string", required=True)
    order, role = _visible_order(call, order_uuid)
    by = _require(call, role, RETAILER, "ask to cancel an order")
    return await _act_on_order(call, order, workflow.request, by)


async def confirm_order(call: Call) -> Answer:
    await call.json()
    order, role = _visible_order(call, call.param)
    by = _require(call, role, SUPPLIER, "confirm an order's cancelation")
    return await _act_on_order(call, order, workflow.confirm, by)


async def reject_order(call: Call) -> Answer:
    reason = _reason(await call.json())
    order, role = _visible_order(call, call.param)
    by = _require(call, role, SUPPLIER, "reject an order's cancelation")
    return await _act_on_order(call, order, workflow.reject, by, reason=reason)


async def _act_on_order(call: Call, order: Order, step: Step, by: str, **extra: Any) -> Answer:
    store = call.store
    # A try may start from the state this process last saw (no read): the compare-and-set tells
    # whether it still holds (a backend may learn the row's state from a refused one), and a step
    # is refused as impossible only on a fresh read.
    known = store.last_seen(order.uuid)
    refused = 0  # compare-and-sets lost to a change meanwhile; a guess found impossible is no try
    while refused < _ATTEMPTS:
        guessed = known is not None
        old = known if known is not None else (await store.read(order.uuid))[0]
        try:
            new = _step(step, old[0], f"Order {order.uuid}", by, **extra)
        except ApiError:
            if guessed:
                known = None  # read it, then decide
                continue
            raise
        if await store.replace(order.uuid, "order", old, new):
            return json_answer(_order_answer(order, new))
        refused += 1
        known = store.last_seen(order.uuid)
    raise ApiError(503, f"Order {order.uuid} kept changing meanwhile; try again", {"Retry-After": "1"})


# Line items -----------------------------------------------------------------------------------

async def cancel_item(call: Call) -> Answer:
    await call.json()
    item, order, role = _visible_item(call, call.param)
    by = _require(call, role, RETAILER, "ask to cancel a line item")
    return await _act_on_item(call, item, order, workflow.request, "canceled", by)


async def confirm_item(call: Call) -> Answer:
    await call.json()
    item, order, role = _visible_item(call, call.param)
    by = _require(call, role, SUPPLIER, "confirm a line item's cancelation")
    return await _act_on_item(call, item, order, workflow.confirm, "confirmed", by)


async def reject_item(call: Call) -> Answer:
    reason = _reason(await call.json())
    item, order, role = _visible_item(call, call.param)
    by = _require(call, role, SUPPLIER, "reject a line item's cancelation")
    return await _act_on_item(call, item, order, workflow.reject, "rejected", by, reason=reason)


async def _act_on_item(call: Call, item: LineItem, order: Order, step: Step, verb: str, by: str,
                       **extra: Any) -> Answer:
    what = f"Line item {item.uuid}"
    store = call.store
    # The order's state is only read, the item's compared and set: a change of the order between
    # the two is ordered before this step, which then still holds (no step reads items).
    for _ in range(_ATTEMPTS):
        (order_state, _), old = await store.read(order.uuid, item.uuid)
        if order_state.status == workflow.CANCELED:
            raise ApiError(422, f"{what} cannot be {verb}: its order {order.uuid} is canceled")
        new = _step(step, old[0], what, by, **extra)
        if await store.replace(item.uuid, "line_item", old, new):
            return json_answer(_item_answer(item, new))
    raise ApiError(503, f"{what} kept changing meanwhile; try again", {"Retry-After": "1"})


Handler = Callable[[Call], Awaitable[Answer]]

# (method, path template) → handler; templates match definitions whatever their placeholders' names.
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/timp/orders/{uuid}/", get_order),
    ("PATCH", "/timp/orders/cancel/", cancel_order),
    ("PATCH", "/timp/orders/cancel/{order_uuid}/confirm/", confirm_order),
    ("PATCH", "/timp/orders/cancel/{order_uuid}/reject/", reject_order),
    ("DELETE", "/timp/orders/items/cancel/{order_item_uuid}/", cancel_item),
    ("PATCH", "/timp/orders/items/cancel/{order_item_uuid}/confirm/", confirm_item),
    ("PATCH", "/timp/orders/items/cancel/{order_item_uuid}/reject/", reject_item),
]
