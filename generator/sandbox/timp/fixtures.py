"""The sandbox's world as read from its fixture file: organisations, users, orders, line items.

The file (`fixtures.yml` beside this module unless mkdocs.yml names another) is validated
here once; a mistake in it is a `ConfigError` naming the entry, never a traceback later.
The workflow fields of each order and item are only the starting state: the live state is in
the store.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from apidocs.model.errors import ConfigError
from apidocs.sandbox.timp.workflow import Cancelation, State, WorkflowError, check_state

DEFAULT_FIXTURES = Path(__file__).resolve().parent / "fixtures.yml"
KINDS = ("retailer", "supplier")


@dataclass(frozen=True)
class Organisation:
    key: str
    name: str
    kind: str  # "retailer" | "supplier"
    uuid: str

    def as_party(self) -> dict[str, Any]:
        """How an order shows its retailer and a line item its supplier."""
        return {"uuid": self.uuid, "organization_name": self.name, "order_submitted_by": None}


@dataclass(frozen=True)
class User:
    token: str
    name: str
    organisation: Organisation | None  # None: a token the site knows but no organisation has
    can_manage_orders: bool


@dataclass
class LineItem:
    uuid: str
    order_uuid: str
    supplier: Organisation
    initial: State
    fields: dict[str, Any]  # as shown, in order; `supplier` is rendered from the organisation


@dataclass
class Order:
    uuid: str
    retailer: Organisation
    initial: State
    fields: dict[str, Any]  # as shown, in order; `retailer` and `line_items` are rendered
    items: list[LineItem] = field(default_factory=list)

    @cached_property
    def workflow_uuids(self) -> tuple[str, ...]:
        """The order's uuid, then its line items': whose states its detail shows."""
        return (self.uuid, *(item.uuid for item in self.items))

    @cached_property
    def suppliers(self) -> frozenset[str]:
        """Keys of the organisations supplying its line items (read after loading)."""
        return frozenset(item.supplier.key for item in self.items)


@dataclass
class Fixtures:
    organisations: dict[str, Organisation]
    users: dict[str, User]  # by token
    orders: dict[str, Order]  # by uuid
    items: dict[str, LineItem]  # by uuid
    source: Path

    def initial_states(self) -> list[tuple[str, str, State]]:
        """(uuid, kind, state) of everything with a workflow, as a fresh sandbox has it."""
        rows = [(order.uuid, "order", order.initial) for order in self.orders.values()]
        rows += [(item.uuid, "line_item", item.initial) for item in self.items.values()]
        return rows


def is_uuid(text: str) -> bool:
    try:
        return str(uuid_module.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {message}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        return value

    def text(self, data: dict[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"`{key}` must be a non-empty string")
        return value

    def state(self, data: dict[str, Any], where: str) -> State:
        raw = data.get("cancelation")
        try:
            cancelation = None
            if raw is not None:
                raw = self.mapping(raw, f"{where}.cancelation")
                unknown = set(raw) - set(Cancelation._fields)
                if unknown:
                    raise self.fail(f"{where}.cancelation", f"unknown key(s) {', '.join(sorted(unknown))}")
                cancelation = Cancelation(**raw)
            state = State(str(data.get("status")), cancelation)
            check_state(state)
        except (TypeError, WorkflowError) as error:
            raise self.fail(where, str(error)) from None
        return state


def load_fixtures(path: Path | None = None) -> Fixtures:
    """Read and validate a fixture file (the shipped one by default)."""
    path = path or DEFAULT_FIXTURES
    reader = _Reader(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the sandbox fixtures ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    data = reader.mapping(data, "the file")

    organisations: dict[str, Organisation] = {}
    for key, raw in reader.mapping(data.get("organisations"), "organisations").items():
        where = f"organisations.{key}"
        raw = reader.mapping(raw, where)
        kind = reader.text(raw, "kind", where)
        if kind not in KINDS:
            raise reader.fail(where, f"`kind` must be one of {', '.join(KINDS)}, not {kind!r}")
        org_uuid = reader.text(raw, "uuid", where)
        if not is_uuid(org_uuid):
            raise reader.fail(where, f"`uuid` {org_uuid!r} is not a lower-case UUID")
        organisations[str(key)] = Organisation(str(key), reader.text(raw, "name", where), kind, org_uuid)

    def organisation(name: Any, where: str, kind: str | None = None) -> Organisation:
        found = organisations.get(str(name))
        if found is None:
            raise reader.fail(where, f"unknown organisation {name!r} (one of {', '.join(organisations)})")
        if kind and found.kind != kind:
            raise reader.fail(where, f"organisation {name!r} is a {found.kind}, not a {kind}")
        return found

    users: dict[str, User] = {}
    for token, raw in reader.mapping(data.get("users"), "users").items():
        where = f"users.{token}"
        raw = reader.mapping(raw, where)
        users[str(token)] = User(str(token), reader.text(raw, "name", where),
                                 organisation(raw.get("organisation"), where),
                                 bool(raw.get("can_manage_orders", False)))

    orders: dict[str, Order] = {}
    items: dict[str, LineItem] = {}
    raw_orders = data.get("orders")
    if not isinstance(raw_orders, list):
        raise reader.fail("orders", "must be a list")
    for index, raw in enumerate(raw_orders):
        where = f"orders[{index}]"
        raw = dict(reader.mapping(raw, where))
        order_uuid = reader.text(raw, "order_uuid", where)
        if not is_uuid(order_uuid) or order_uuid in orders or order_uuid in items:
            raise reader.fail(where, f"`order_uuid` {order_uuid!r} is not a lower-case UUID or is used twice")
        retailer = organisation(raw.get("retailer"), where, "retailer")
        raw_items = raw.get("line_items")
        if not isinstance(raw_items, list) or not raw_items:
            raise reader.fail(where, "`line_items` must be a non-empty list (they name the suppliers)")
        order = Order(order_uuid, retailer, reader.state(raw, where), raw)
        for item_index, raw_item in enumerate(raw_items):
            item_where = f"{where}.line_items[{item_index}]"
            raw_item = reader.mapping(raw_item, item_where)
            item_uuid = reader.text(raw_item, "line_item_uuid", item_where)
            if not is_uuid(item_uuid) or item_uuid in items or item_uuid in orders or item_uuid == order_uuid:
                raise reader.fail(item_where, f"`line_item_uuid` {item_uuid!r} is not a lower-case UUID or is used twice")
            supplier = organisation(raw_item.get("supplier"), item_where, "supplier")
            item = LineItem(item_uuid, order_uuid, supplier, reader.state(raw_item, item_where), dict(raw_item))
            order.items.append(item)
            items[item_uuid] = item
        orders[order_uuid] = order
    return Fixtures(organisations, users, orders, items, path)
