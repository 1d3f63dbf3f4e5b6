"""The live workflow state of orders and line items, in SQLite (stdlib `sqlite3`).

One row per order or line item: its `status`, its latest cancelation (the `c_*` columns, all
NULL when none was ever requested) and a `version` that every change increments. Everything else about an order is fixture data and stays in
memory. A file store survives restarts; an in-memory store (`path=None`) is a fresh sandbox
that lives as long as the object.

Every change is a compare-and-set on `version` (`replace()`), one autocommitted statement: the
sandbox handles requests on one event-loop thread and never awaits between reading a state
and replacing it, so within the process the step is atomic, and against another process
sharing the file the version check makes the loser see the winner's state. Reads come from a
memory mirror, dropped whenever SQLite reports a commit by another connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from apidocs.model.errors import ConfigError
from apidocs.sandbox.timp.fixtures import Fixtures
from apidocs.sandbox.timp.workflow import Cancelation, State

SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'line_item')),
    status TEXT NOT NULL,
    c_status TEXT,
    c_requested_by TEXT,
    c_requested_date TEXT,
    c_resolved_by TEXT,
    c_resolved_date TEXT,
    c_reason TEXT,
    version INTEGER NOT NULL
) WITHOUT ROWID
"""
_COLUMNS = "uuid, kind, status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date, c_reason, version"
_INSERT = f"INSERT OR IGNORE INTO workflow ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
_SELECT = ("SELECT status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date, c_reason,"
           " version FROM workflow WHERE uuid = ?")
_REPLACE = f"""
INSERT INTO workflow ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (uuid) DO UPDATE SET
    status = excluded.status, c_status = excluded.c_status, c_requested_by = excluded.c_requested_by,
    c_requested_date = excluded.c_requested_date, c_resolved_by = excluded.c_resolved_by,
    c_resolved_date = excluded.c_resolved_date, c_reason = excluded.c_reason, version = workflow.version + 1
WHERE workflow.version = ?
"""
_NO_CANCELATION = (None,) * 6


class Store:
    def __init__(self, connection: sqlite3.Connection, fixtures: Fixtures, name: str, shared: bool = True) -> None:
        self.connection = connection
        self.fixtures = fixtures
        self.name = name
        self.shared = shared  # a file other processes may write too; in memory, only we do
        self._mirror: dict[str, tuple[State, int]] = {}  # uuid → (state, version); 0: no row yet
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
            _prepare(connection, name, is_file=path is not None)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ConfigError(f"{name} is not a sandbox database ({error}); pass another --db (or delete that file)") from None
        except ConfigError:
            connection.close()
            raise
        store = cls(connection, fixtures, name, shared=path is not None)
        store.seed(reset=reset)
        return store

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Several reads and replaces as one step (e.g. a line item and its order)."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self._check_others()
            yield self
        except BaseException:
            self.connection.execute("ROLLBACK")
            self._forget()
            raise
        self.connection.execute("COMMIT")

    def seed(self, reset: bool = False) -> None:
        """Add the fixtures' starting state for whatever the store lacks (everything on reset)."""
        rows = [(uuid, kind, state.status, *(state.cancelation or _NO_CANCELATION))
                for uuid, kind, state in self.fixtures.initial_states()]
        with self.transaction():
            if reset:
                self.connection.execute("DELETE FROM workflow")
            self.connection.executemany(_INSERT, rows)
        self._forget()

    def state(self, uuid: str) -> State:
        return self._entry(uuid)[0]

    def replace(self, uuid: str, kind: str, old: State, new: State) -> bool:
        """Store `new` if the state is still `old` (as last read); False when it had changed."""
        current, version = self._mirror.get(uuid) or self._entry(uuid)  # just read: no need to re-check
        if current != old:
            return False
        cursor = self.connection.execute(_REPLACE, (uuid, kind, new.status, *(new.cancelation or _NO_CANCELATION), version))
        self._views.clear()
        if cursor.rowcount != 1:  # another process changed it since we read it
            self._mirror.pop(uuid, None)
            return False
        self._mirror[uuid] = (new, version + 1)
        return True

    def view(self, key: str, build: Callable[[], bytes]) -> bytes:
        """A rendered answer, rebuilt only after the state changed (here or in another process)."""
        self._check_others()
        cached = self._views.get(key)
        if cached is None:
            cached = self._views[key] = build()
        return cached

    def _entry(self, uuid: str) -> tuple[State, int]:
        self._check_others()
        entry = self._mirror.get(uuid)
        if entry is None:
            row = self.connection.execute(_SELECT, (uuid,)).fetchone()
            if row is None:  # a fixture entry the store has no row for yet: as the fixture says
                entry = (self._initial(uuid), 0)
            else:
                entry = (State(row[0], Cancelation(*row[1:7]) if row[1] is not None else None), row[7])
            self._mirror[uuid] = entry
        return entry

    def _check_others(self) -> None:
        if not self.shared:
            return
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self._forget()

    def _forget(self) -> None:
        self._mirror.clear()
        self._views.clear()

    def _read_data_version(self) -> int:
        return self.connection.execute("PRAGMA data_version").fetchone()[0]

    def _initial(self, uuid: str) -> State:
        order = self.fixtures.orders.get(uuid)
        if order is not None:
            return order.initial
        return self.fixtures.items[uuid].initial


def _prepare(connection: sqlite3.Connection, name: str, is_file: bool) -> None:
    """WAL for files; create the table, or recreate one of an older sandbox version."""
    if is_file:
        connection.execute("PRAGMA journal_mode=WAL")
        # Demo data: it survives restarts and crashes of the sandbox (WAL), not a crash of the
        # machine itself. In exchange no write ever waits for the disk (no fsync at checkpoints).
        connection.execute("PRAGMA synchronous=OFF")
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables - {"workflow"} or (tables and version == 0) or version > SCHEMA_VERSION:
        raise ConfigError(f"{name} is not a sandbox database of this version (pass another --db, or delete the file)")
    if version != SCHEMA_VERSION:  # an older sandbox's state: start again from the fixtures
        connection.execute("DROP TABLE IF EXISTS workflow")
    connection.execute(_SCHEMA)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

