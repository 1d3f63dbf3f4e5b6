"""Private sandboxes for one run of a client (the check): `X-Apidocs-Sandbox: <secret>:<id>`.

Only when the app has a secret. Each session id gets a fresh in-memory copy of the fixture
state on first use; the least recently used ones are dropped beyond `capacity`. Without the
header a request uses the main store; without a configured secret the header is ignored.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict

from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.store import Store
from apidocs.sandbox.timp.fixtures import Fixtures

HEADER = "X-Apidocs-Sandbox"
MAX_ID_LENGTH = 200


class Sessions:
    def __init__(self, secret: str | None, fixtures: Fixtures, capacity: int = 256) -> None:
        self.secret = secret.encode() if secret else None
        self.fixtures = fixtures
        self.capacity = capacity
        self._stores: OrderedDict[str, Store] = OrderedDict()

    def store_for(self, headers: dict[str, str]) -> Store | None:
        """The session's store, or None for the main one (`headers` by lower-case name)."""
        if self.secret is None:
            return None
        value = headers.get(HEADER.lower())
        if value is None:
            return None
        secret, _, session = value.partition(":")
        if not hmac.compare_digest(secret.encode(), self.secret):
            raise ApiError(400, f"{HEADER} does not carry this sandbox's secret")
        if not session or len(session) > MAX_ID_LENGTH:
            raise ApiError(400, f"{HEADER} needs a session id of 1 to {MAX_ID_LENGTH} characters after the secret")
        store = self._stores.get(session)
        if store is None:
            store = self._stores[session] = Store.open(None, self.fixtures)
            while len(self._stores) > self.capacity:
                # Not closed here: a request of that session may still be reading its body.
                # The in-memory database goes when the last reference does.
                self._stores.popitem(last=False)
        else:
            self._stores.move_to_end(session)
        return store

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
