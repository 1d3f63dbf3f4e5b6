"""The live workflow state of orders and line items, per session: the interface and SQLite.

A session is an isolated copy of the fixtures, named by a key (`""` is the shared default
session). Copies cost nothing until used: a session holds rows only for what it changed, and a
missing row reads as the fixture's starting state (version 0). Every row has a `version` that
each change increments, and every change is one compare-and-set statement on it (`replace()`):
an insert when version 0 was read (no row yet), an update only while the row still holds the
state and version read (never an insert: a row deleted meanwhile stays deleted). Two writers,
in one process or several, can never both win. (The state is
compared too because a session's rows are deleted when it starts again: a new row may reach the
same version with another state.)

`SessionTable` keeps the sessions' last use, for idle expiry and the bound on their number;
`Backend` is what the handlers see through `SessionState` (a backend bound to one session).
PostgreSQL is in `apidocs.sandbox.postgres`; SQLite (stdlib `sqlite3`) is here: a file that
survives restarts and may be shared by several processes (WAL), or a fresh database in memory.
SQLite reads come from a memory mirror, dropped whenever SQLite reports a commit by another
connection (`PRAGMA data_version`). A write that finds another process writing waits without
blocking the event loop (`SqliteBackend._write`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from apidocs.model.errors import ConfigError
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.timp.fixtures import Fixtures
from apidocs.sandbox.timp.workflow import Cancelation, State

SCHEMA_VERSION = 4
DEFAULT_SESSION = ""
# The mirror and the rendered answers kept per process: dropped whole past these counts.
MAX_MIRRORED = 100_000
MAX_VIEWS = 10_000
BUSY_SECONDS = 10.0  # a write waits this long for another process's write, then 503
T = TypeVar("T")

Entry = tuple[State, int]  # a state and its version (0: no row, the fixture's starting state)
Build = Callable[[list[State]], bytes]

# The workflow table's columns, alike in every backend (each adds its own table options).
WORKFLOW_COLUMNS = """
    session TEXT NOT NULL,
    uuid TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'line_item')),
    status TEXT NOT NULL,
    c_status TEXT,
    c_requested_by TEXT,
    c_requested_date TEXT,
    c_resolved_by TEXT,
    c_resolved_date TEXT,
    c_reason TEXT,
    version INTEGER NOT NULL,
    PRIMARY KEY (session, uuid)
"""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS workflow ({WORKFLOW_COLUMNS}) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    last_used REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_use ON sessions (last_used);
"""
_COLUMNS = ("session, uuid, kind, status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date,"
            " c_reason, version")
_SELECT = ("SELECT status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date, c_reason,"
           " version FROM workflow WHERE session = ? AND uuid = ?")
# The compare-and-set: an insert only from version 0 (no row yet), else an update only while the
# row holds the version and state read, so a row deleted meanwhile is never brought back.
_INSERT = f"INSERT INTO workflow ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (session, uuid) DO NOTHING"
_UPDATE = """
UPDATE workflow SET status = ?, c_status = ?, c_requested_by = ?, c_requested_date = ?, c_resolved_by = ?,
    c_resolved_date = ?, c_reason = ?, version = version + 1
WHERE session = ? AND uuid = ? AND version = ? AND status = ? AND c_status IS ? AND c_requested_by IS ?
    AND c_requested_date IS ? AND c_resolved_by IS ? AND c_resolved_date IS ? AND c_reason IS ?
"""
NO_CANCELATION = (None,) * 6


def state_columns(state: State) -> tuple[object, ...]:
    """(status, c_status … c_reason): a state as the table's columns."""
    return (state.status, *(state.cancelation or NO_CANCELATION))


def row_state(row: Sequence[object]) -> Entry:
    """(status, c_status … c_reason, version) → (State, version)."""
    cancelation = Cancelation(*row[1:7]) if row[1] is not None else None  # type: ignore[arg-type]
    return State(str(row[0]), cancelation), int(row[7])  # type: ignore[call-overload]


def initial_state(fixtures: Fixtures, uuid: str) -> State:
    order = fixtures.orders.get(uuid)
    return order.initial if order is not None else fixtures.items[uuid].initial


class Backend(ABC):
    """Where sessions keep their state. All methods may raise `ApiError(503)` when the
    database cannot be reached; a compare-and-set never half-applies."""

    fixtures: Fixtures
    name: str

    @abstractmethod
    async def read(self, session: str, uuids: Sequence[str]) -> list[Entry]:
        ...

    @abstractmethod
    async def replace(self, session: str, uuid: str, kind: str, old: Entry, new: State, bound: int | None = None) -> bool:
        """Store `new` if the row still holds `old` (a state and its version; 0: no row yet);
        False when it changed. A change that starts its session again (one evicted since this
        process last marked it used) evicts the least recently used beyond `bound` sessions."""
        ...

    def last_seen(self, session: str, uuid: str) -> Entry | None:
        """What this process last read or wrote of a row, when the backend keeps it: maybe
        outdated, so only a first guess for `replace()`, never an answer."""
        return None

    async def view(self, session: str, key: str, uuids: Sequence[str], build: Build) -> bytes:
        """`build(states of uuids)`, which a backend may keep for those states (`Rendered`)."""
        return build([state for state, _ in await self.read(session, uuids)])

    @abstractmethod
    async def touch(self, session: str, now: float, idle: float, capacity: int) -> None:
        """Mark a session used now: one idle longer than `idle` starts again from the fixtures,
        a new one beyond `capacity` evicts the least recently used."""
        ...

    @abstractmethod
    async def sweep(self, now: float, idle: float) -> int:
        """Drop the sessions idle longer than `idle` (and rows of sessions no longer listed)."""
        ...

    @abstractmethod
    async def drop(self, session: str) -> None:
        """Back to the fixtures: forget every change the session made."""
        ...

    @abstractmethod
    async def session_count(self) -> int:
        ...

    def after_fork(self) -> None:  # noqa: B027  (nothing to do unless the backend holds connections)
        """In a new worker process: connections of the parent are not to be used."""

    def close(self) -> None:  # noqa: B027  (likewise)
        """Release the connections (the database's content stays)."""

    async def aclose(self) -> None:
        """`close`, waiting until it is done (from a running event loop)."""
        self.close()


class Rendered:
    """Answers rendered from states, by view key and states, kept per process: the same states
    give the same bytes whichever session holds them, so a session that just changed a row
    reads an answer rendered before whenever another (or itself, earlier) held those states."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, tuple[State, ...]], bytes] = {}

    def answer(self, key: str, states: tuple[State, ...], build: Build) -> bytes:
        found = self._answers.get((key, states))
        if found is None:
            if len(self._answers) >= MAX_VIEWS:
                self._answers.clear()
            found = self._answers[(key, states)] = build(list(states))
        return found

    def clear(self) -> None:
        self._answers.clear()


class SessionState:
    """A backend bound to one session: what the workflow handlers use as `call.store`."""

    __slots__ = ("backend", "bound", "fixtures", "session")

    def __init__(self, backend: Backend, session: str, bound: int | None = None) -> None:
        self.backend = backend
        self.session = session
        self.bound = bound  # the most sessions kept (None: the shared default session)
        self.fixtures = backend.fixtures

    async def read(self, *uuids: str) -> list[Entry]:
        return await self.backend.read(self.session, uuids)

    async def replace(self, uuid: str, kind: str, old: Entry, new: State) -> bool:
        return await self.backend.replace(self.session, uuid, kind, old, new, self.bound)

    def last_seen(self, uuid: str) -> Entry | None:
        return self.backend.last_seen(self.session, uuid)

    async def view(self, key: str, uuids: Sequence[str], build: Build) -> bytes:
        return await self.backend.view(self.session, key, uuids, build)


class SqliteBackend(Backend):
    def __init__(self, path: Path | None, fixtures: Fixtures) -> None:
        self.path = path
        self.fixtures = fixtures
        self.name = str(path) if path else ":memory:"
        self.shared = path is not None  # a file other processes may write too; in memory, only we do
        self._mirror: dict[tuple[str, str], Entry] = {}
        self._rendered = Rendered()
        self._connection: sqlite3.Connection | None = None
        self._data_version = -1
        # Compare-and-sets waiting for the end of this event-loop step (`_compare_and_set`), and
        # the tasks committing a group that met another process's write lock (held, or lost).
        self._group: list[tuple[str, tuple[object, ...], asyncio.Future[int]]] = []
        self._committing: set[asyncio.Future[list[int]]] = set()

    @classmethod
    def open(cls, path: Path | None, fixtures: Fixtures, reset: bool = False) -> SqliteBackend:
        """Open (creating if needed) the database at `path`, or a fresh one in memory for None.
        Raises `ConfigError` when it cannot be opened or is not a sandbox database."""
        backend = cls(path, fixtures)
        connection = backend.connection
        if reset:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")  # nothing is served yet
            connection.execute("DELETE FROM workflow")
            connection.execute("DELETE FROM sessions")
            connection.execute("PRAGMA busy_timeout = 0")
        return backend

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._connect()
            self._data_version = self._read_data_version()
        return self._connection

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.name, isolation_level=None, check_same_thread=False, timeout=10.0)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(f"cannot open the sandbox database {self.name}: {error}") from None
        try:
            _prepare(connection, self.name, is_file=self.path is not None)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ConfigError(f"{self.name} is not a sandbox database ({error}); pass another --db (or delete that file)") from None
        except ConfigError:
            connection.close()
            raise
        # SQLite's own wait for a lock sleeps in this thread, which is the event loop's: every
        # request of the process would stall with it. Writes wait in `_write` instead.
        connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def after_fork(self) -> None:
        self._connection = None  # the parent closed its own before forking
        self._group = []
        self._forget()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def read(self, session: str, uuids: Sequence[str]) -> list[Entry]:
        self._check_others()
        return [self._entry(session, uuid) for uuid in uuids]

    def _entry(self, session: str, uuid: str) -> Entry:
        key = (session, uuid)
        entry = self._mirror.get(key)
        if entry is None:
            row = self._execute(_SELECT, (session, uuid)).fetchone()
            entry = row_state(row) if row is not None else (initial_state(self.fixtures, uuid), 0)
            if len(self._mirror) >= MAX_MIRRORED:
                self._mirror.clear()
            self._mirror[key] = entry
        return entry

    async def replace(self, session: str, uuid: str, kind: str, old: Entry, new: State, bound: int | None = None) -> bool:
        state, version = old
        if version == 0:
            sql, parameters = _INSERT, (session, uuid, kind, *state_columns(new))
        else:
            sql, parameters = _UPDATE, (*state_columns(new), session, uuid, version, *state_columns(state))

        started = False

        def change(connection: sqlite3.Connection) -> int:
            nonlocal started
            # A reader's session, marked used with the change: one another worker evicted since
            # this one last marked it (`Sessions.touch_every`) starts again with this change, and
            # counts against the bound as any start does.
            with _transaction(connection):
                now = time.time()
                started = connection.execute("INSERT OR IGNORE INTO sessions (id, last_used) VALUES (?, ?)",
                                             (session, now)).rowcount == 1
                if not started:
                    connection.execute("UPDATE sessions SET last_used = max(last_used, ?) WHERE id = ?", (now, session))
                elif bound is not None:
                    _evict_excess(connection, session, bound)
                return int(connection.execute(sql, parameters).rowcount)

        if version or session == DEFAULT_SESSION:
            count = await self._compare_and_set(sql, parameters)
        else:
            count = await self._write(change)
        if started:
            self._forget()  # sessions it evicted may be remembered here
        if count != 1:  # another process changed it since it was read
            self._mirror.pop((session, uuid), None)
            return False
        self._mirror[(session, uuid)] = (new, version + 1)
        return True

    async def _compare_and_set(self, sql: str, parameters: tuple[object, ...]) -> int:
        """One statement's row count, committed with the others of requests in this step of the
        event loop: one write transaction for them all (its locks and WAL write were most of a
        change's cost), in their order, so two of one row still cannot both win."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        if not self._group:
            loop.call_soon(self._commit_group)
        self._group.append((sql, parameters, answer))
        return await answer

    def _commit_group(self) -> None:
        group, self._group = self._group, []

        def commit(connection: sqlite3.Connection) -> list[int]:
            if len(group) == 1:  # a statement is a transaction of its own
                return [int(connection.execute(group[0][0], group[0][1]).rowcount)]
            with _transaction(connection):
                return [int(connection.execute(sql, parameters).rowcount) for sql, parameters, _ in group]

        try:  # at once when no other process holds the write lock (the usual case), else in a task
            counts = commit(self.connection)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                self._answer(group, _busy(error))
                return
            task = asyncio.ensure_future(self._write(commit))
            self._committing.add(task)
            task.add_done_callback(self._committing.discard)
            task.add_done_callback(lambda done: self._answer(group, _group_outcome(done)))
            return
        except Exception as error:  # a bug of ours: those requests answer 500
            self._answer(group, error)
            return
        self._answer(group, counts)

    @staticmethod
    def _answer(group: list[tuple[str, tuple[object, ...], asyncio.Future[int]]], outcome: list[int] | BaseException) -> None:
        for index, (_sql, _parameters, answer) in enumerate(group):
            if answer.done():  # its request was cancelled (the client went away): the change stays
                continue
            if isinstance(outcome, asyncio.CancelledError):
                answer.cancel()
            elif isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome[index])

    def last_seen(self, session: str, uuid: str) -> Entry | None:
        """The mirror's entry without asking whether another process committed since: the
        compare-and-set finds out, and a change then costs one statement."""
        return self._mirror.get((session, uuid))

    async def view(self, session: str, key: str, uuids: Sequence[str], build: Build) -> bytes:
        self._check_others()
        return self._rendered.answer(key, tuple(self._entry(session, uuid)[0] for uuid in uuids), build)

    async def touch(self, session: str, now: float, idle: float, capacity: int) -> None:
        if await self._write(lambda connection: connection.execute(
                "UPDATE sessions SET last_used = ? WHERE id = ? AND last_used >= ?", (now, session, now - idle)).rowcount) == 1:
            return
        await self._write(lambda connection: self._start(connection, session, now, idle, capacity))
        self._forget()

    @staticmethod
    def _start(connection: sqlite3.Connection, session: str, now: float, idle: float, capacity: int) -> None:
        with _transaction(connection):  # new, or expired: start again from the fixtures
            # Looked at again inside the transaction: another worker may have just started it.
            found = connection.execute("SELECT last_used FROM sessions WHERE id = ?", (session,)).fetchone()
            if found is not None and found[0] >= now - idle:
                connection.execute("UPDATE sessions SET last_used = max(last_used, ?) WHERE id = ?", (now, session))
                return
            connection.execute("DELETE FROM workflow WHERE session = ?", (session,))
            connection.execute("INSERT INTO sessions (id, last_used) VALUES (?, ?) ON CONFLICT (id) DO UPDATE"
                               " SET last_used = excluded.last_used", (session, now))
            _evict_excess(connection, session, capacity)

    async def sweep(self, now: float, idle: float) -> int:
        def expire(connection: sqlite3.Connection) -> int:
            with _transaction(connection):
                cutoff = now - idle
                connection.execute("DELETE FROM workflow WHERE session IN (SELECT id FROM sessions WHERE last_used < ?)", (cutoff,))
                dropped = int(connection.execute("DELETE FROM sessions WHERE last_used < ?", (cutoff,)).rowcount)
                connection.execute("DELETE FROM workflow WHERE session <> '' AND session NOT IN (SELECT id FROM sessions)")
            return dropped

        dropped = await self._write(expire)
        if dropped:
            self._forget()
        return dropped

    async def drop(self, session: str) -> None:
        await self._write(lambda connection: connection.execute("DELETE FROM workflow WHERE session = ?", (session,)))
        self._forget()

    async def session_count(self) -> int:
        return int(self._execute("SELECT count(*) FROM sessions", ()).fetchone()[0])

    def _execute(self, sql: str, parameters: Sequence[object]) -> sqlite3.Cursor:
        """A read (WAL: readers do not wait for writers)."""
        try:
            return self.connection.execute(sql, parameters)
        except sqlite3.OperationalError as error:
            raise _busy(error) from None

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)`, tried again while another process holds the write lock (at most
        `BUSY_SECONDS`, then 503); between tries the other requests of this process go on."""
        connection = self.connection
        give_up = time.monotonic() + BUSY_SECONDS
        pause = 0.0
        while True:
            try:
                return work(connection)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= give_up:
                    raise _busy(error) from None
            await asyncio.sleep(pause)
            pause = min(2 * pause or 0.0001, 0.01)

    def _check_others(self) -> None:
        if not self.shared:
            return
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self._forget()

    def _forget(self) -> None:
        self._mirror.clear()

    def _read_data_version(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])


def _group_outcome(done: asyncio.Future[list[int]]) -> list[int] | BaseException:
    """What a group committed by `_write` in a task came to: its row counts, or why not."""
    if done.cancelled():
        return asyncio.CancelledError()
    return done.exception() or done.result()


def _busy(error: sqlite3.OperationalError) -> ApiError:
    return ApiError(503, f"the sandbox database is busy ({error}); try again", {"Retry-After": "1"})


def _evict_excess(connection: sqlite3.Connection, keep: str, capacity: int) -> None:
    """In a write transaction: the least recently used sessions beyond `capacity` dropped (never `keep`)."""
    excess = connection.execute("SELECT count(*) FROM sessions").fetchone()[0] - capacity
    if excess > 0:
        oldest = [row[0] for row in connection.execute(
            "SELECT id FROM sessions WHERE id <> ? ORDER BY last_used LIMIT ?", (keep, excess))]
        connection.executemany("DELETE FROM workflow WHERE session = ?", [(s,) for s in oldest])
        connection.executemany("DELETE FROM sessions WHERE id = ?", [(s,) for s in oldest])


class _transaction:
    """`BEGIN IMMEDIATE` … `COMMIT` (or `ROLLBACK` on any error) on an autocommit connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")  # busy: `_write` tries again

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.connection.execute("ROLLBACK" if kind is not None else "COMMIT")


def _prepare(connection: sqlite3.Connection, name: str, is_file: bool) -> None:
    """WAL for files; create the tables, or recreate those of an older sandbox version."""
    if is_file:
        connection.execute("PRAGMA journal_mode=WAL")
        # Demo data: it survives restarts and crashes of the sandbox (WAL), not a crash of the
        # machine itself. In exchange no write ever waits for the disk (no fsync at checkpoints).
        connection.execute("PRAGMA synchronous=OFF")
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables - {"workflow", "sessions"} or (tables and version == 0) or version > SCHEMA_VERSION:
        raise ConfigError(f"{name} is not a sandbox database of this version (pass another --db, or delete the file)")
    if version != SCHEMA_VERSION:  # an older sandbox's state: start again from the fixtures
        connection.execute("DROP TABLE IF EXISTS workflow")
        connection.execute("DROP TABLE IF EXISTS sessions")
    connection.executescript(_SCHEMA)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

