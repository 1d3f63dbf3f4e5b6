"""The sessions' state in PostgreSQL (psycopg 3, its async pool): the store for a public sandbox.

Same table shapes and the same compare-and-set as the SQLite store (`store.py`): a change is
one statement (`INSERT … ON CONFLICT DO NOTHING` from version 0, else `UPDATE … WHERE version =
<read>`), which PostgreSQL applies atomically against the latest committed row, so across any number of worker processes
exactly one writer of a version wins. Multi-statement steps (a session's start, eviction,
expiry, reset) run in transactions. Every read goes to the database (several workers write);
the process only remembers what it last saw of each row as the first guess of its next change
(`last_seen`), which then takes one round trip instead of two when nobody else changed the row.

The reads and compare-and-sets of requests in flight together are sent together (`_Batch`): one
pooled connection, one message of prepared statements (one simple query: `_round_trip`) and one
commit for all of them, which costs the worker (and the database) a fraction of a connection and
a round trip each.

The pool is opened in the worker's own event loop on first use (never inherited through a
fork). When the database cannot be reached, a request answers 503 within `WAIT_SECONDS`; when
it stops answering, within `STATEMENT_SECONDS` (each round trip is bounded by `ANSWER_SECONDS`,
then its connection is closed). The pool reconnects by itself, so the sandbox recovers when the
database is back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import select
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from apidocs.model.errors import ConfigError
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.pg_literals import execute_text
from apidocs.sandbox.store import (
    DEFAULT_SESSION,
    MAX_MIRRORED,
    WORKFLOW_COLUMNS,
    Backend,
    Build,
    Entry,
    Rendered,
    initial_state,
    row_state,
    state_columns,
)
from apidocs.sandbox.timp.fixtures import Fixtures
from apidocs.sandbox.timp.workflow import State

log = logging.getLogger("apidocs.sandbox")
SCHEMA_VERSION = 1
WAIT_SECONDS = 2.0  # for a pooled connection, and to connect: then 503
ANSWER_SECONDS = 5.0  # for the database's answer to a batch or a session step: then 503
# A statement's wait to be sent (a batch ahead of it, then maybe a new connection), and its whole wait.
QUEUE_SECONDS = WAIT_SECONDS + ANSWER_SECONDS
STATEMENT_SECONDS = QUEUE_SECONDS + ANSWER_SECONDS
POOL_SIZE = 4  # connections per worker process
# Batches a worker has in flight at once. One: what comes meanwhile waits for the next, which
# then holds more (fewer round trips and commits per statement, for the worker and the database,
# and fewer busy database processes on the same cores). Measured with 1 and 2 workers on two
# cores, one beat two and four in requests/s, p99 and CPU per request alike. Session starts,
# resets and expiry use the pool's other connections.
BATCHES_IN_FLIGHT = 1
MAX_READ_TEXTS = 4096  # reads whose text a worker keeps (`PostgresBackend._read_texts`)
MAX_DEADLOCK_TRIES = 3  # a batch, or a session step, rolled back to break a deadlock is tried again
SCHEMA_LOCK, SESSION_START_LOCK = 727274, 727275  # advisory locks: creating the tables, starting a session
T = TypeVar("T")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS apidocs_sandbox_workflow ({WORKFLOW_COLUMNS});
CREATE TABLE IF NOT EXISTS apidocs_sandbox_sessions (
    id TEXT PRIMARY KEY,
    last_used DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS apidocs_sandbox_sessions_by_use ON apidocs_sandbox_sessions (last_used);
CREATE TABLE IF NOT EXISTS apidocs_sandbox_schema (version INTEGER NOT NULL);
"""
WORKFLOW = "apidocs_sandbox_workflow"
SESSIONS = "apidocs_sandbox_sessions"
_COLUMNS = ("session, uuid, kind, status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date,"
            " c_reason, version")


# The rows of some uuids of a session (the second `%s`: a list, sent as a text array).
_SELECT = (f"SELECT uuid, status, c_status, c_requested_by, c_requested_date, c_resolved_by, c_resolved_date, c_reason,"
           f" version FROM {WORKFLOW} WHERE session = %s AND uuid = ANY(%s)")


def _delete_rows(where: str) -> str:
    """Delete the workflow rows `where` selects, locking them first in the order every batch
    locks its rows ((session, uuid) by code point: `_Statement.lock_order`), so a session's
    start, expiry or reset never waits in a cycle with a batch of another worker."""
    return (f"DELETE FROM {WORKFLOW} WHERE (session, uuid) IN (SELECT session, uuid FROM {WORKFLOW} w WHERE {where}"
            ' ORDER BY session COLLATE "C", uuid COLLATE "C" FOR UPDATE)')


# A session's start, in one statement (`touch`): one start at a time across workers, so each
# counts the sessions the ones before it left and the bound holds while many readers arrive at
# once. The lock is held only while the database runs it: sent as five statements, it was held
# across five round trips to a worker's busy event loop, and a thousand readers arriving at once
# queued behind it until the pool refused them (503). Another worker may be starting the same
# session right now: whoever inserts or locks its row first decides; the other only marks it
# used. Returns the sessions whose rows it deleted (none when the session was there and recent).
_START_SESSION = f"""
CREATE OR REPLACE FUNCTION apidocs_sandbox_start(p_session TEXT, p_now DOUBLE PRECISION, p_idle DOUBLE PRECISION,
                                                 p_capacity INTEGER) RETURNS TEXT[] LANGUAGE plpgsql AS $start$
DECLARE
    used DOUBLE PRECISION;
    excess BIGINT;
    evicted TEXT[] := ARRAY[]::TEXT[];
BEGIN
    PERFORM pg_advisory_xact_lock({SESSION_START_LOCK});
    INSERT INTO {SESSIONS} (id, last_used) VALUES (p_session, p_now) ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT last_used INTO used FROM {SESSIONS} WHERE id = p_session FOR UPDATE;
        IF used IS NULL THEN  -- expired by another worker since the insert met it
            INSERT INTO {SESSIONS} (id, last_used) VALUES (p_session, p_now)
                ON CONFLICT (id) DO UPDATE SET last_used = EXCLUDED.last_used;
        ELSIF used >= p_now - p_idle THEN
            UPDATE {SESSIONS} SET last_used = GREATEST(last_used, p_now) WHERE id = p_session;
            RETURN evicted;
        ELSE
            UPDATE {SESSIONS} SET last_used = p_now WHERE id = p_session;
        END IF;
    END IF;
    {_delete_rows("session = p_session")};
    SELECT count(*) - p_capacity INTO excess FROM {SESSIONS};
    IF excess > 0 THEN
        -- Locked as they are chosen, skipping any a batch is writing right now (it is in use,
        -- and waiting for it could close a cycle with that batch's other locks).
        SELECT coalesce(array_agg(id), ARRAY[]::TEXT[]) INTO evicted FROM (SELECT id FROM {SESSIONS}
            WHERE id <> p_session ORDER BY last_used LIMIT excess FOR UPDATE SKIP LOCKED) AS oldest;
        DELETE FROM {SESSIONS} WHERE id = ANY(evicted);  -- rows first, as expiry
        {_delete_rows("session = ANY(evicted)")};
    END IF;
    RETURN p_session || evicted;
END
$start$;
"""
_START = "SELECT apidocs_sandbox_start(%s, %s, %s, %s)"  # a NULL capacity: no bound

# A write's last statement, in its transaction: past `p_deadline` (the database's clock, in
# seconds since the epoch) it raises, and the whole transaction rolls back. A worker answers 503
# when the database has not answered within `ANSWER_SECONDS`; a database that was stalled
# meanwhile (frozen, swapping, its host paused) still holds the statements in its socket and
# would run and commit them when it wakes, after the reader was told nothing happened. With this
# last, what it commits is only what it reached before the deadline, set short of the 503.
_IN_TIME_FUNCTION = """
CREATE OR REPLACE FUNCTION apidocs_sandbox_in_time(p_deadline DOUBLE PRECISION) RETURNS VOID LANGUAGE plpgsql AS $in_time$
BEGIN
    IF extract(epoch FROM clock_timestamp()) > p_deadline THEN
        RAISE EXCEPTION 'apidocs sandbox: reached after its answer deadline; rolled back' USING ERRCODE = 'query_canceled';
    END IF;
END
$in_time$;
"""
DEADLINE_MARGIN = 1.0  # seconds short of the 503 (`ANSWER_SECONDS`) that a write must reach its end


async def _delete_idle_sessions(connection: Any, cutoff: float) -> list[str]:
    """Delete the rows of sessions last used before `cutoff` (locked first, in one order
    everywhere) and return their ids; their changes are deleted next, in the same transaction.
    Rows first: a batch that marks one of them used meanwhile (`_INSERT_IN_SESSION`) holds it
    until it commits, and the condition is then read again, so a session used meanwhile stays."""
    cursor = await connection.execute(
        f"DELETE FROM {SESSIONS} WHERE id IN (SELECT id FROM {SESSIONS} WHERE last_used < %s"
        f' ORDER BY id COLLATE "C" FOR UPDATE) AND last_used < %s RETURNING id', (cutoff, cutoff))
    return [row[0] for row in await cursor.fetchall()]


async def _start_session_with(connection: Any, *, session: str, now: float, capacity: int | None, sql: str,
                              parameters: tuple[object, ...], deadline: Callable[[], str]) -> tuple[list[str], tuple[Any, ...]]:
    """A change (`sql`: `_INSERT_IN_SESSION`) in a session it found gone (evicted or expired by
    another worker since this one marked it used): the session started again as `touch` starts
    one (never idle here: started meanwhile by another worker, it is only marked used), the bound
    kept when there is one, and the change made, in one transaction holding the start's lock (so
    no other start evicts it in between). The sessions whose rows the start deleted, and the
    change's row. One simple query, so one implicit transaction ending with the deadline
    (`_IN_TIME_FUNCTION`), with no round trip between it and the commit."""
    import psycopg

    cursor: Any = psycopg.AsyncClientCursor(connection)
    await cursor.execute(";\n".join([cursor.mogrify(_START, (session, now, math.inf, capacity)),
                                      cursor.mogrify(sql, parameters), deadline()]))
    started = list((await cursor.fetchone())[0])
    cursor.nextset()
    row = await cursor.fetchone()
    return started, row


# The compare-and-set, answering whether it changed the row and, when not, the row as it is now
# (as this statement's snapshot sees it; NULLs when it sees none): the next try needs no read.
# Only a change from version 0 (no row: the fixture's state) inserts; any other updates the row
# only while it holds the version and state read, so a row deleted meanwhile (a reset, an expiry,
# a restart) is never brought back from an outdated guess.
def _now(*more: str) -> str:
    return f"""
SELECT EXISTS (SELECT 1 FROM changed), now.status, now.c_status, now.c_requested_by, now.c_requested_date,
       now.c_resolved_by, now.c_resolved_date, now.c_reason, now.version{"".join(", " + column for column in more)}
FROM (SELECT 1) AS one LEFT JOIN {WORKFLOW} AS now ON now.session = %s AND now.uuid = %s
"""


_NOW = _now()
_INSERT = f"""
WITH changed AS (
    INSERT INTO {WORKFLOW} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)
    ON CONFLICT (session, uuid) DO NOTHING
    RETURNING 1
)""" + _NOW
# The same change in a reader's (or the check's) session, which it marks used first; only while
# the session is there. One another worker evicted since this one last marked it
# (`Sessions.touch_every`) is started again with the change (`_start_session_with`), under the
# lock every start takes: started by the batch itself, outside that lock, it took the bound past
# --max-sessions until an eviction after the batch. The change never lands in no session.
# The session's row stays locked until the batch commits, and an eviction deletes a session's
# row before its changes: one that comes after this change takes it away with the session.
# Its last column says whether the session was there.
_INSERT_IN_SESSION = f"""
WITH alive AS (
    UPDATE {SESSIONS} SET last_used = GREATEST(last_used, %s) WHERE id = %s
    RETURNING 1
), changed AS (
    INSERT INTO {WORKFLOW} ({_COLUMNS}) SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1 FROM alive
    ON CONFLICT (session, uuid) DO NOTHING
    RETURNING 1
)""" + _now("EXISTS (SELECT 1 FROM alive)")
_UPDATE = f"""
WITH changed AS (
    UPDATE {WORKFLOW} SET status = %s, c_status = %s, c_requested_by = %s, c_requested_date = %s, c_resolved_by = %s,
        c_resolved_date = %s, c_reason = %s, version = version + 1
    WHERE session = %s AND uuid = %s AND version = %s AND status = %s AND c_status IS NOT DISTINCT FROM %s
        AND c_requested_by IS NOT DISTINCT FROM %s AND c_requested_date IS NOT DISTINCT FROM %s
        AND c_resolved_by IS NOT DISTINCT FROM %s AND c_resolved_date IS NOT DISTINCT FROM %s
        AND c_reason IS NOT DISTINCT FROM %s
    RETURNING 1
)""" + _NOW

# A session marked used, while it is not idle past the cutoff (`touch`); a row when it was.
_TOUCH = f"UPDATE {SESSIONS} SET last_used = GREATEST(last_used, %s) WHERE id = %s AND last_used >= %s RETURNING 1"

# The statements batches send, prepared on each pooled connection as it is made
# (`prepare_connection`): a batch names them with their values (`EXECUTE apidocs_update(…)`), a
# fraction of their text, planned once per connection.
_PREPARED = {_SELECT: "apidocs_read", _INSERT: "apidocs_insert", _INSERT_IN_SESSION: "apidocs_insert_in_session",
             _UPDATE: "apidocs_update", _TOUCH: "apidocs_touch"}


def _numbered(sql: str) -> str:
    """`%s` placeholders as PostgreSQL's `$1`, `$2`… (what PREPARE takes)."""
    first, *rest = sql.split("%s")
    return first + "".join(f"${number}{text}" for number, text in enumerate(rest, 1))


async def prepare_connection(connection: Any) -> None:
    """A pooled connection made ready for batches: the text `execute_text` writes is read as
    written (whatever the database's own defaults), and the batched statements are prepared."""
    await connection.execute("SET standard_conforming_strings = on; SET client_encoding = 'UTF8'")
    for sql, name in _PREPARED.items():
        await connection.execute(f"PREPARE {name} AS {_numbered(sql)}")


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def shown_url(url: str) -> str:
    """The URL without its password, for banners and errors."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


def _has_news(connection: Any) -> bool:
    """Whether an idle connection has something to read: nothing, unless the server closed it (a
    restart: its farewell and end-of-file wait on the socket) or sent a notice."""
    waiting = select.poll()
    waiting.register(connection.fileno(), select.POLLIN)
    return bool(waiting.poll(0))


@dataclass
class _Statement:
    """One read or compare-and-set waiting for its batch."""

    sql: str
    parameters: tuple[object, ...]
    writes: tuple[str, str] | None  # (session, uuid) of the row it changes; None for a read
    result: asyncio.Future[list[tuple[Any, ...]]]  # the rows it returns
    tried: bool = False
    deadlocks: int = 0  # times its batch was rolled back to break a deadlock
    # A read's values, hashable (session, *uuids): reads alike are sent once
    # per batch, and their text is kept (`PostgresBackend._read_texts`). None for a write.
    read_key: tuple[object, ...] | None = None
    queued_at: float = 0.0  # the event loop's time

    @property
    def lock_order(self) -> tuple[int, str, int, str]:
        """Writes by (session, uuid), compared by code point like PostgreSQL's "C" collation; in
        a session, one that locks the session's row first (`_INSERT_IN_SESSION`, `_TOUCH`), as starts,
        evictions and expiry do: row locks are taken in one order everywhere."""
        if self.writes is None:
            return (0, "", 0, "")
        session, uuid = self.writes
        return (1, session, 0 if self.sql is _INSERT_IN_SESSION or self.sql is _TOUCH else 1, uuid)


class _AnswerDeadline:
    """`asyncio.timeout` for work on a connection, which first closes the connection: a task
    cancelled while psycopg waits for the server would otherwise wait again for it as it
    unwinds, forever when the server stopped answering. Raises
    TimeoutError; the pool discards the closed connection when it comes back."""

    def __init__(self, connection: Any, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self.expired = False

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.cancelling = task.cancelling()  # cancellations from elsewhere, not to be swallowed
        self.timer = asyncio.get_running_loop().call_later(self.seconds, self._expire)

    def _expire(self) -> None:
        self.expired = True
        self.connection.pgconn.finish()  # every wait on its socket now ends at once
        self.task.cancel()

    async def __aexit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        self.timer.cancel()
        if self.expired and self.task.uncancel() <= self.cancelling:
            raise TimeoutError(f"no answer within {self.seconds:g} s") from None


_REPORTED_EVERY = 5.0  # seconds between two log lines about the database being unavailable


class _Seen:
    """What this process last read or wrote of each (session, uuid), at most `MAX_MIRRORED`
    entries, kept by session: forgetting a session (a start, a reset, an eviction) costs its own
    entries, not a pass over every session's (with 100,000 kept, that pass cost 10-30 ms per new reader)."""

    def __init__(self) -> None:
        self._by_session: dict[str, dict[str, Entry]] = {}
        self._count = 0

    def get(self, session: str, uuid: str) -> Entry | None:
        entries = self._by_session.get(session)
        return None if entries is None else entries.get(uuid)

    def put(self, session: str, uuid: str, entry: Entry) -> None:
        if self._count >= MAX_MIRRORED:
            self.clear()
        entries = self._by_session.setdefault(session, {})
        self._count += uuid not in entries
        entries[uuid] = entry

    def discard(self, session: str, uuid: str) -> None:
        entries = self._by_session.get(session)
        if entries is not None and entries.pop(uuid, None) is not None:
            self._count -= 1

    def forget(self, sessions: list[str]) -> None:
        for session in sessions:
            self._count -= len(self._by_session.pop(session, ()))

    def clear(self) -> None:
        self._by_session.clear()
        self._count = 0


START_WAIT_SECONDS = 60.0  # a database not up yet when the sandbox starts is waited for this long
# What libpq says of a server that is not there or not ready (yet): worth waiting for. Anything
# else (a password refused, no such database) is the URL's fault, said at once.
_NOT_UP = re.compile(r"refused|timeout expired|starting up|shutting down|recovery mode|not yet accepting|"
                     r"No such file or directory|Is the server running|server closed the connection", re.IGNORECASE)


def _when_up(connect: Callable[[], Any], name: str, patience: float) -> Any:
    """`connect()` once the database answers: a sandbox started with (or just before) its database,
    as in a compose file or after a restart of both, waits for it instead of exiting."""
    import psycopg

    deadline = time.monotonic() + patience
    said = False
    while True:
        try:
            return connect()
        except psycopg.OperationalError as error:
            if not _NOT_UP.search(str(error)) or time.monotonic() >= deadline:
                raise
            if not said:
                print(f"apidocs sandbox: waiting for the database {name} (up to {patience:g} s): "
                      f"{str(error).strip().splitlines()[-1][:200]}", file=sys.stderr, flush=True)
                said = True
            time.sleep(1.0)


class PostgresBackend(Backend):
    def __init__(self, url: str, fixtures: Fixtures, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.fixtures = fixtures
        self.name = shown_url(url)
        self.pool_size = pool_size
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None
        self._seen = _Seen()  # (session, uuid) → last read or written here
        self._rendered = Rendered()
        # The text of each read sent lately, by its values: psycopg binds the values of a session's
        # order once, not on every read of it (a tenth of a read's cost).
        self._read_texts: dict[tuple[object, ...], str] = {}
        self._queued: list[_Statement] = []
        self._sending = 0  # senders at work: each takes what is queued until nothing is
        self._expiry: asyncio.TimerHandle | None = None  # `_expire_queued`, while statements are queued
        self._senders: set[asyncio.Task[None]] = set()  # held, or the loop could drop them
        self._last_reported = -_REPORTED_EVERY  # when the log last said the database is unavailable
        self._sweeping = False  # the pool's idle connections are being tested (`_check_idle`)
        self._clock_offset = 0.0  # the database's clock minus this one's, in seconds (`_configure`)

    def _unavailable(self, error: BaseException) -> ApiError:
        """The 503 a reader gets. The driver's words (host names, pipeline states) go to the
        log, once every few seconds during an outage, not to every reader of a public sandbox."""
        now = time.monotonic()
        if now - self._last_reported >= _REPORTED_EVERY:
            self._last_reported = now
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            log.warning("sandbox database unavailable: %s", first_line[:300])
        return ApiError(503, "the sandbox database is unavailable; try again in a moment", {"Retry-After": "1"})

    @classmethod
    def open(cls, url: str, fixtures: Fixtures, reset: bool = False) -> PostgresBackend:
        """Check the database now (one clear `ConfigError` when it cannot be used) and create
        the tables; `reset` forgets every session's changes."""
        try:
            import psycopg
        except ImportError:
            raise ConfigError("--database postgresql://… needs psycopg 3: pip install 'psycopg[binary]' psycopg-pool") from None
        backend = cls(url, fixtures)
        # The pool logs each failed connection of each worker (hundreds of lines in an outage of
        # seconds); the sandbox says the database is unavailable itself, once every few seconds.
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        connect = partial(psycopg.connect, url, connect_timeout=10, autocommit=True)
        try:
            with _when_up(connect, backend.name, START_WAIT_SECONDS) as connection, connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))  # one worker creates the tables at a time
                connection.execute(_SCHEMA)
                connection.execute(_START_SESSION)
                connection.execute(_IN_TIME_FUNCTION)
                found = connection.execute("SELECT version FROM apidocs_sandbox_schema").fetchone()
                if found is None:
                    connection.execute("INSERT INTO apidocs_sandbox_schema VALUES (%s)", (SCHEMA_VERSION,))
                elif found[0] != SCHEMA_VERSION:
                    raise ConfigError(f"{backend.name} holds sandbox tables of another version ({found[0]}); "
                                      "drop the apidocs_sandbox_* tables or use another database")
                if reset:
                    connection.execute(f"DELETE FROM {WORKFLOW}")
                    connection.execute(f"DELETE FROM {SESSIONS}")
        except psycopg.Error as error:
            raise ConfigError(f"cannot use the sandbox database {backend.name}: {str(error).strip()}") from None
        return backend

    async def _connection_pool(self) -> Any:
        if self._pool is None:
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:
                if self._pool is None:
                    from psycopg_pool import AsyncConnectionPool

                    # `check`: a connection that died with a database restart is replaced before
                    # it is handed out, so a write after the restart is not refused for it.
                    pool = AsyncConnectionPool(self.url, min_size=1, max_size=self.pool_size, open=False,
                                               timeout=WAIT_SECONDS, reconnect_timeout=5, check=self._check_idle,
                                               configure=self._configure,
                                               # psycopg's own prepared statements off: it would
                                               # DEALLOCATE ALL (ours too) after a rollback.
                                               kwargs={"autocommit": True, "connect_timeout": WAIT_SECONDS,
                                                       "prepare_threshold": None})
                    await pool.open(wait=False)
                    self._pool = pool
        return self._pool

    async def _configure(self, connection: Any) -> None:
        await prepare_connection(connection)
        # How far the database's clock is from this one (a write's deadline is in its clock):
        # read at the middle of a round trip, off by at most half of it.
        sent = time.time()
        cursor = await connection.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
        [(database_now,)] = await cursor.fetchall()
        self._clock_offset = database_now - (sent + time.time()) / 2

    def _deadline(self) -> str:
        """The statement that ends a write sent now (`_IN_TIME_FUNCTION`)."""
        deadline = time.time() + self._clock_offset + ANSWER_SECONDS - DEADLINE_MARGIN
        return f"SELECT apidocs_sandbox_in_time({deadline!r})"

    async def _check_idle(self, connection: Any) -> None:
        """The pool's check of a connection before handing it out, without a round trip when it
        has nothing to read (`_has_news`). Otherwise it is asked to answer; when it cannot, the
        database went away (a restart), and so did the pool's other idle connections: they are
        all tested and replaced at once, beside this request. One by one, each failed check would
        make the request wait longer for the next (the pool's backoff), past `WAIT_SECONDS` with a
        few of them: a 503 for the first request of every worker after a restart, however long after."""
        from psycopg_pool import AsyncConnectionPool

        if not _has_news(connection):
            return
        try:
            await AsyncConnectionPool.check_connection(connection)
        except Exception:
            if self._pool is not None and not self._sweeping:
                # In a task of its own: not cancelled with this request, and not in its wait (the
                # pool pauses about a second before its next try, which then meets new connections).
                self._sweeping = True
                sweep = asyncio.create_task(self._sweep(self._pool))
                self._senders.add(sweep)
                sweep.add_done_callback(self._senders.discard)
            raise  # the pool replaces this one too

    async def _sweep(self, pool: Any) -> None:
        """The pool's idle connections, each tested once; the broken ones replaced."""
        try:
            await pool.check()
        except Exception as error:  # the pool closed meanwhile, or the database went again
            log.debug("sandbox database: idle connections not tested: %s", error)
        finally:
            self._sweeping = False

    async def _run(self, work: Callable[[Any], Awaitable[T]], retry: bool = True) -> T:
        """`work(connection)` on a pooled connection; 503 when the database cannot be reached.
        A read is tried once more on a fresh connection (a pooled one may have died with a
        database restart); a write is not: whether it was applied would be unknown."""
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = await self._connection_pool()
        attempt = deadlocks = 0
        while True:
            try:
                async with pool.connection() as connection, _AnswerDeadline(connection, ANSWER_SECONDS):
                    return await work(connection)
            except (PoolTimeout, TimeoutError) as error:  # no answer: not tried again either
                raise self._unavailable(error) from None
            except psycopg.errors.DeadlockDetected as error:  # rolled back whole: safe to try again
                deadlocks += 1
                if deadlocks >= MAX_DEADLOCK_TRIES:
                    raise self._unavailable(error) from None
            except psycopg.OperationalError as error:
                attempt += 1
                if attempt > 1 or not retry:
                    raise self._unavailable(error) from None

    async def _batched(self, sql: str, parameters: tuple[object, ...], writes: tuple[str, str] | None = None,
                       read_key: tuple[object, ...] | None = None) -> list[tuple[Any, ...]]:
        """One statement, sent with the others queued meanwhile: the rows it returns, or 503
        within `STATEMENT_SECONDS` (`QUEUE_SECONDS` to be sent, by `_expire_queued`, then its
        batch's `ANSWER_SECONDS`)."""
        loop = asyncio.get_running_loop()
        statement = _Statement(sql, parameters, writes, loop.create_future(), read_key=read_key, queued_at=loop.time())
        self._queued.append(statement)
        if self._expiry is None:
            self._expiry = loop.call_later(QUEUE_SECONDS, self._expire_queued)
        if self._sending < min(BATCHES_IN_FLIGHT, self.pool_size):  # else a sender at work takes it next
            self._sending += 1
            sender = asyncio.create_task(self._send_queued())
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)
        return await statement.result

    def _expire_queued(self) -> None:
        """Statements queued for `QUEUE_SECONDS` answer 503 and are never sent; the timer comes
        again for the oldest left. One timer for all of them: one per statement (an
        `asyncio.timeout` each) cost 5 µs of every request."""
        self._expiry = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - QUEUE_SECONDS
        expired = [statement for statement in self._queued if statement.queued_at <= cutoff]
        if expired:
            self._queued = [statement for statement in self._queued if statement.queued_at > cutoff]
            self._fail(expired, self._unavailable(TimeoutError(f"not sent within {QUEUE_SECONDS:g} s")))
        if self._queued:
            oldest = min(statement.queued_at for statement in self._queued)
            self._expiry = loop.call_later(oldest + QUEUE_SECONDS - loop.time(), self._expire_queued)

    async def _send_queued(self) -> None:
        try:
            while self._queued:
                await self._send()
        finally:
            self._sending -= 1

    async def _send(self) -> None:
        """What is queued, batch after batch on one pooled connection while more comes: each
        batch one simple query, one round trip and one implicit transaction (so all of its
        statements apply, or none). Rows are locked in one order in every process, so two
        batches never wait for each other. When the database cannot be reached, each statement
        answers 503, except that a read is tried once more (its pooled connection may have died
        with a database restart); a write is not: whether it was applied would be unknown. Nor
        is anything of a batch the database did not answer within `ANSWER_SECONDS`."""
        import psycopg
        from psycopg_pool import PoolTimeout

        batch: list[_Statement] = []
        try:
            pool = await self._connection_pool()
            async with pool.connection() as connection:
                while self._queued:
                    batch, self._queued = self._queued, []
                    batch.sort(key=lambda statement: statement.lock_order)
                    async with _AnswerDeadline(connection, ANSWER_SECONDS):
                        await self._round_trip(connection, batch)
                    batch = []
        except PoolTimeout as error:  # no connection within WAIT_SECONDS: neither for what waits behind
            waiting, self._queued = [*batch, *self._queued], []
            self._fail(waiting, self._unavailable(error))
        except TimeoutError as error:  # whether the writes were applied is unknown: not tried again
            self._fail(batch, self._unavailable(error))
        except psycopg.errors.DeadlockDetected as error:
            # PostgreSQL rolled the batch back whole and chose it to break a wait cycle (rare: see
            # `lock_order`): nothing of it applied, so it is sent again, a few times at most.
            again = [statement for statement in batch if statement.deadlocks < MAX_DEADLOCK_TRIES]
            self._fail([statement for statement in batch if statement.deadlocks >= MAX_DEADLOCK_TRIES], self._unavailable(error))
            for statement in again:
                statement.deadlocks += 1
            self._queued[:0] = again
        except psycopg.OperationalError as error:
            again = [statement for statement in batch if statement.writes is None and not statement.tried]
            self._fail([statement for statement in batch if statement.writes is not None or statement.tried],
                       self._unavailable(error))
            for statement in again:
                statement.tried = True
            self._queued[:0] = again
        except Exception as error:  # a bug of ours: the batch's requests answer 500, as they would alone
            self._fail(batch, error)  # what is queued was not sent: the next batch takes it

    async def _round_trip(self, connection: Any, batch: list[_Statement]) -> None:
        """The batch as one simple query of prepared statements (`EXECUTE a(…); EXECUTE b(…)`):
        one message to the server and one answer, where a pipeline sent (and the worker waited
        on) each statement on its own."""
        import psycopg

        # The values are quoted one statement at a time, so that a value PostgreSQL cannot take
        # (NUL) fails its statement alone: by `execute_text` where the connection reads its text
        # (set up so by `prepare_connection`), else by psycopg's client-side binding.
        cursor = psycopg.AsyncClientCursor(connection)
        literal = connection.info.encoding == "utf-8" and \
            connection.pgconn.parameter_status(b"standard_conforming_strings") == b"on"
        texts: list[str] = []
        answering: list[list[_Statement]] = []  # the statements each text answers
        reads: dict[tuple[object, ...], list[_Statement]] = {}
        for statement in batch:
            read = statement.read_key
            if read is not None and read in reads:
                # Readers of one order in one session (the shared one, above all) come together:
                # one read answers them all, as it would have answered each of them alone.
                reads[read].append(statement)
                continue
            text = self._read_texts.get(read) if read is not None else None
            if text is None and literal and read is None:  # a read's text is kept: its values are written once
                text = execute_text(_PREPARED[statement.sql], statement.parameters)
            if text is None:
                placeholders = ", ".join(["%s"] * len(statement.parameters))
                try:
                    text = cursor.mogrify(f"EXECUTE {_PREPARED[statement.sql]}({placeholders})", statement.parameters)
                except (psycopg.DataError, psycopg.ProgrammingError, UnicodeEncodeError) as error:
                    statement.result.set_exception(error)
                    continue
                if read is not None:
                    if len(self._read_texts) >= MAX_READ_TEXTS:
                        self._read_texts.clear()
                    self._read_texts[read] = text
            answered = [statement]
            if read is not None:
                reads[read] = answered
            texts.append(text)
            answering.append(answered)
        if not texts:
            return
        if any(statement.writes is not None for statement in batch):
            texts.append(self._deadline())  # last: its results are never fetched
        await cursor.execute(";\n".join(texts))  # no parameters: sent as it is, one simple query
        for answered in answering:
            rows = await cursor.fetchall()
            for statement in answered:
                if not statement.result.done():  # its request was cancelled: the others still get theirs
                    statement.result.set_result(rows)
            cursor.nextset()

    @staticmethod
    def _fail(batch: list[_Statement], error: Exception) -> None:
        for statement in batch:
            if not statement.result.done():
                statement.result.set_exception(error)

    async def read(self, session: str, uuids: Sequence[str]) -> list[Entry]:
        rows = await self._batched(_SELECT, (session, list(uuids)), read_key=(session, *uuids))
        found = {row[0]: row_state(row[1:]) for row in rows}
        entries = [found.get(uuid) or (initial_state(self.fixtures, uuid), 0) for uuid in uuids]
        for uuid, entry in zip(uuids, entries, strict=True):
            self._remember(session, uuid, entry)
        return entries

    async def replace(self, session: str, uuid: str, kind: str, old: Entry, new: State, bound: int | None = None) -> bool:
        state, version = old
        self._seen.discard(session, uuid)  # unknown until the answer (none if the database fails)
        if version == 0 and session != DEFAULT_SESSION:
            sql, parameters = _INSERT_IN_SESSION, (time.time(), session, session, uuid, kind, *state_columns(new))
        elif version == 0:
            sql, parameters = _INSERT, (session, uuid, kind, *state_columns(new))
        else:
            sql, parameters = _UPDATE, (*state_columns(new), session, uuid, version, *state_columns(state))
        [(changed, *now)] = await self._batched(sql, (*parameters, session, uuid), writes=(session, uuid))
        if sql is _INSERT_IN_SESSION:
            *now, alive = now
            if not alive:  # gone since this process marked it used: started again with the change
                evicted, (changed, *now, _alive) = await self._run(partial(
                    _start_session_with, session=session, now=time.time(), capacity=bound, sql=sql,
                    parameters=(*parameters, session, uuid), deadline=self._deadline), retry=False)
                self._forget(evicted)
        if not changed:
            if now[0] is not None:
                self._remember(session, uuid, row_state(now))
            return False
        self._remember(session, uuid, (new, version + 1))
        return True

    def last_seen(self, session: str, uuid: str) -> Entry | None:
        return self._seen.get(session, uuid)

    async def view(self, session: str, key: str, uuids: Sequence[str], build: Build) -> bytes:
        """Read each time; rendered again only for states not rendered before (sessions that
        left the fixtures alone share one answer)."""
        return self._rendered.answer(key, tuple(state for state, _ in await self.read(session, uuids)), build)

    def _remember(self, session: str, uuid: str, entry: Entry) -> None:
        self._seen.put(session, uuid, entry)

    async def touch(self, session: str, now: float, idle: float, capacity: int) -> None:
        # Usually the session is there and recent: marked used in a batch, with the requests'
        # statements. Else it starts (again) from the fixtures, in a transaction of its own.
        if await self._batched(_TOUCH, (now, session, now - idle), writes=(session, "")):
            return

        async def mark(connection: Any) -> list[str]:
            """The sessions whose rows it deleted."""
            cursor = await connection.execute(_START, (session, now, idle, capacity))
            return list((await cursor.fetchone())[0])

        self._forget(await self._run(mark, retry=False))

    async def sweep(self, now: float, idle: float) -> int:
        async def expire(connection: Any) -> tuple[int, int]:
            async with connection.transaction():
                ids = await _delete_idle_sessions(connection, now - idle)
                cursor = await connection.execute(_delete_rows("session = ANY(%s)"), (ids,))
                rows = int(cursor.rowcount)
                dropped = len(ids)
                cursor = await connection.execute(_delete_rows(f"session <> '' AND NOT EXISTS "
                                                               f"(SELECT 1 FROM {SESSIONS} s WHERE s.id = w.session)"))
                return dropped, rows + int(cursor.rowcount)

        dropped, rows = await self._run(expire, retry=False)
        if rows:  # which sessions they were is not told: forget all (this runs once a minute at most)
            self._seen.clear()
        return dropped

    async def drop(self, session: str) -> None:
        import psycopg

        async def delete(connection: Any) -> None:
            # One simple query, one implicit transaction: the deadline is its last statement,
            # with no round trip between it and the commit.
            cursor = psycopg.AsyncClientCursor(connection)
            await cursor.execute(cursor.mogrify(_delete_rows("session = %s"), (session,)) + ";\n" + self._deadline())

        await self._run(delete, retry=False)
        self._forget([session])

    def _forget(self, sessions: list[str]) -> None:
        """Forget what was seen of sessions whose rows were deleted: a guess from before is wrong
        (the compare-and-set would refuse it, but only after a round trip)."""
        self._seen.forget(sessions)

    async def session_count(self) -> int:
        async def count(connection: Any) -> int:
            row = await (await connection.execute(f"SELECT count(*) FROM {SESSIONS}")).fetchone()
            return int(row[0])

        return await self._run(count)

    def after_fork(self) -> None:
        self._pool = None
        self._opening = None
        self._seen.clear()
        self._rendered.clear()
        self._read_texts.clear()
        self._queued.clear()
        self._expiry = None  # the parent's event loop's
        self._sending = 0
        self._senders.clear()
        self._sweeping = False

    async def aclose(self) -> None:
        """Close the pool and wait for it (`close` only starts that, from code that cannot wait)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                loop.create_task(pool.close())
            # Without a running loop the worker is exiting: its connections close with it.
