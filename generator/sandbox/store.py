"""The live workflow state of orders and line items, in SQLite (stdlib `sqlite3`).

One row per order or line item: its `status` and its latest `cancelation` (JSON). Everything
else about an order is fixture data and stays in memory. A file store survives restarts; an
in-memory store (`path=None`) is a fresh sandbox that lives as long as the object.

The sandbox runs every request on one event-loop thread and never awaits inside a
transaction, so a read-check-write is atomic within the process; `BEGIN IMMEDIATE` keeps it
atomic against another process sharing the same file.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..errors import ConfigError
from .fixtures import Fixtures
from .workflow import Cancelation, State

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'line_item')),
    status TEXT NOT NULL,
    cancelation TEXT
) WITHOUT ROWID
"""


class Store:
    def __init__(self, connection: sqlite3.Connection, fixtures: Fixtures, name: str) -> None:
        self.connection = connection
        self.fixtures = fixtures
        self.name = name
        self._views: dict[str, bytes] = {}
        self._data_version = self._read_data_version()

    @classmethod
    def open(cls, path: Path | None, fixtures: Fixtures, reset: bool = False) -> Store:
        """Open (creating if needed) the store at `path`, or a fresh in-memory one for None."""
        name = str(path) if path else ":memory:"
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(name, isolation_level=None, check_same_thread=False, timeout=10.0)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(f"cannot open the sandbox database {name}: {error}") from None
        try:
            if path is not None:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if version not in (0, SCHEMA_VERSION) or (version == 0 and tables):
                raise ConfigError(f"{name} is not a sandbox database of this version (pass another --db, or delete the file)")
            connection.execute(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ConfigError(f"{name} is not a sandbox database ({error}); pass another --db") from None
        store = cls(connection, fixtures, name)
        store.seed(reset=reset)
        return store

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Read-check-write as one step; an exception rolls it back."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def seed(self, reset: bool = False) -> None:
        """Add the fixtures' starting state for whatever the store lacks (everything on reset)."""
        rows = [(uuid, kind, state.status, _dump(state.cancelation)) for uuid, kind, state in self.fixtures.initial_states()]
        with self.transaction():
            if reset:
                self.connection.execute("DELETE FROM workflow")
            self.connection.executemany("INSERT OR IGNORE INTO workflow VALUES (?, ?, ?, ?)", rows)
        self._views.clear()

    def state(self, uuid: str) -> State:
        row = self.connection.execute("SELECT status, cancelation FROM workflow WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:  # a fixture entry the store has not seen: it starts as the fixture says
            return self._initial(uuid)
        return State(row[0], _load(row[1]))

    def put(self, uuid: str, kind: str, state: State) -> None:
        self.connection.execute(
            "INSERT INTO workflow VALUES (?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET status = excluded.status, cancelation = excluded.cancelation",
            (uuid, kind, state.status, _dump(state.cancelation)))
        self._views.clear()

    def view(self, key: str, build: Callable[[], bytes]) -> bytes:
        """A rendered answer, rebuilt only after the state changed (here or in another process)."""
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self._views.clear()
        cached = self._views.get(key)
        if cached is None:
            cached = self._views[key] = build()
        return cached

    def _read_data_version(self) -> int:
        return self.connection.execute("PRAGMA data_version").fetchone()[0]

    def _initial(self, uuid: str) -> State:
        order = self.fixtures.orders.get(uuid)
        if order is not None:
            return order.initial
        return self.fixtures.items[uuid].initial


def _dump(cancelation: Cancelation | None) -> str | None:
    return json.dumps(cancelation.as_json()) if cancelation else None


def _load(text: str | None) -> Cancelation | None:
    return Cancelation(**json.loads(text)) if text else None
