"""The sandbox on a real PostgreSQL server with several workers: exactly-once state changes
across processes, per-reader sessions, and faults survived (a worker killed, the database
stopped). The server comes from Debian's `postgresql` package (CI installs it)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from postgres_helpers import PostgresServer, postgres_bin, postgres_server, wait_for
from process_helpers import children_of
from sandbox_helpers import (
    CONFIRM_SEED,
    DETAIL_ORDER,
    RETAILER,
    SUPPLIER,
    RunningSandbox,
    run_coroutine,
    stale_write_after_another_worker_reset,
    start_sandbox,
)

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed (apt-get install postgresql)"),
    pytest.mark.xdist_group("postgres"),
]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def start(postgres: PostgresServer, *extra: str, workers: int = 4) -> RunningSandbox:
    return start_sandbox(None, "--database", postgres.create_database(), "--workers", str(workers), *extra, timeout=60)


def workers_of(server: RunningSandbox) -> list[int]:
    """The worker processes (children of the supervisor)."""
    return children_of(server.process.pid)


def confirm(url: str, session: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Token {SUPPLIER}", "Connection": "close"}
    if session:
        headers["Sandbox-Session"] = session
    return requests.patch(f"{url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/", headers=headers, timeout=30)


def order(url: str, session: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Token {SUPPLIER}"}
    if session:
        headers["Sandbox-Session"] = session
    return requests.get(f"{url}/timp/orders/{CONFIRM_SEED}/", headers=headers, timeout=30)


def test_fifty_concurrent_confirms_over_four_workers_exactly_one_wins(postgres: PostgresServer) -> None:
    server = start(postgres)
    try:
        assert wait_for(lambda: len(workers_of(server)) == 4, 30), "4 workers did not start"
        for session in (None, "race-session"):
            with ThreadPoolExecutor(50) as pool:
                statuses = sorted(answer.status_code for answer in pool.map(confirm, [server.url] * 50, [session] * 50))
            assert statuses == [200] + [422] * 49, session
            state = order(server.url, session).json()
            assert state["status"] == "canceled" and state["cancelation"]["status"] == "confirmed"
    finally:
        server.stop()


def test_two_sessions_each_see_only_their_own(postgres: PostgresServer) -> None:
    server = start(postgres, workers=2)
    try:
        alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
        assert confirm(server.url, alice).status_code == 200
        assert order(server.url, bob).json()["status"] == "cancelation_requested"
        answer = confirm(server.url, bob)
        assert answer.status_code == 200 and answer.headers["Sandbox-Session"] == bob
        assert confirm(server.url, alice).status_code == 422 and confirm(server.url, bob).status_code == 422
        assert order(server.url).json()["status"] == "cancelation_requested"  # the shared session untouched
        reset = requests.post(f"{server.url}/_sandbox/reset", headers={"Sandbox-Session": alice}, timeout=10)
        assert reset.status_code == 200
        assert order(server.url, alice).json()["status"] == "cancelation_requested"
        assert order(server.url, bob).json()["status"] == "canceled"
    finally:
        server.stop()


def test_a_worker_killed_mid_burst_loses_no_acknowledged_write(postgres: PostgresServer) -> None:
    server = start(postgres, workers=3)
    try:
        assert wait_for(lambda: len(workers_of(server)) == 3, 30)
        victim = workers_of(server)[0]
        sessions = [f"burst-{index}" for index in range(300)]
        acknowledged: list[str] = []
        failed: list[str] = []

        def write(session: str) -> None:
            try:
                answer = confirm(server.url, session)
            except requests.RequestException:
                failed.append(session)
                return
            (acknowledged if answer.status_code == 200 else failed).append(session)

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(write, session) for session in sessions]
            assert wait_for(lambda: len(acknowledged) >= 50, 30)
            os.kill(victim, signal.SIGKILL)  # mid-burst: requests are in flight on it
            for future in futures:
                future.result()
        assert wait_for(lambda: len(workers_of(server)) == 3 and victim not in workers_of(server), 30), "no new worker"
        assert len(acknowledged) >= 50
        for session in acknowledged:  # every acknowledged write is there
            state = order(server.url, session).json()
            assert state["status"] == "canceled" and state["cancelation"]["status"] == "confirmed", session
        for session in failed:  # none half-applied: either before or after, whole
            state = order(server.url, session).json()
            assert (state["status"], state["cancelation"]["status"]) in {("canceled", "confirmed"),
                                                                         ("cancelation_requested", "requested")}
    finally:
        server.stop()


def test_postgres_stopped_is_a_503_then_the_sandbox_recovers(postgres: PostgresServer) -> None:
    server = start(postgres, workers=2)
    try:
        assert order(server.url, "before").status_code == 200
        assert confirm(server.url, "before").status_code == 200
        postgres.stop("fast")
        try:
            for session in ("before", "new-while-down", None):
                started = time.monotonic()
                answer = order(server.url, session)
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"] == "application/json"
                # The same words for every reader: the driver's (host names, states) go to the log.
                assert answer.json()["detail"] == "the sandbox database is unavailable; try again in a moment"
                assert time.monotonic() - started < 10  # no hang
            answer = confirm(server.url, "new-while-down")
            assert answer.status_code == 503 and "database" in answer.json()["detail"]
        finally:
            postgres.start()
        assert wait_for(lambda: order(server.url, "before").status_code == 200, 30), "did not recover"
        assert order(server.url, "before").json()["status"] == "canceled"  # written before the outage
        assert confirm(server.url, "after").status_code == 200
    finally:
        server.stop()


def test_a_write_answered_503_while_the_database_is_frozen_is_never_applied_later(postgres: PostgresServer) -> None:
    """A database that stops answering without closing (frozen, swapping, its host paused) still
    holds the statements in its socket: once it wakes it would run and commit them, after the
    reader was told 503. Each write ends with a deadline short of that 503, so it rolls back."""
    server = start(postgres, workers=2)
    confirming, resetting = ("frozen-" + uuid.uuid4().hex[:8] for _ in range(2))
    try:
        assert confirm(server.url, resetting).status_code == 200
        for _ in range(6):  # the sessions started, and their order read by both workers
            assert order(server.url, confirming).json()["status"] == "cancelation_requested"
            assert order(server.url, resetting).json()["status"] == "canceled"
        database = [postgres.pid(), *children_of(postgres.pid())]
        for pid in database:
            os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            confirmed = confirm(server.url, confirming)
            reset = requests.post(f"{server.url}/_sandbox/reset", headers={"Sandbox-Session": resetting}, timeout=30)
            assert confirmed.status_code == 503 and reset.status_code == 503, (confirmed.text, reset.text)
            assert time.monotonic() - started < 25
        finally:
            for pid in database:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        assert wait_for(lambda: order(server.url, confirming).status_code == 200, 30)
        time.sleep(1)  # what the woken database had in its sockets is run by now
        assert order(server.url, confirming).json()["status"] == "cancelation_requested"
        assert order(server.url, resetting).json()["status"] == "canceled"
        assert confirm(server.url, confirming).status_code == 200  # and the sandbox works on
    finally:
        server.stop()


def test_a_sandbox_started_before_its_database_waits_for_it(postgres: PostgresServer) -> None:
    """Started while PostgreSQL is down (a compose file starting both, a restart of both), the
    sandbox says it waits, and serves once the database is up; a URL that is wrong (no such
    database) is still one clear error at once."""
    url = postgres.create_database()
    postgres.stop("fast")
    try:
        threading.Timer(3.0, postgres.start).start()
        started = time.monotonic()
        server = start_sandbox(None, "--database", url, "--workers", "2", timeout=60)
    finally:
        wait_for(lambda: postgres.run(str(postgres.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(postgres.port),
                                      check=False).returncode == 0, 30)
    try:
        assert time.monotonic() - started >= 2.5
        assert "waiting for the database" in server.log.read_text()
        assert confirm(server.url, "after-the-wait").status_code == 200
    finally:
        server.stop()
    wrong = url.rsplit("/", 1)[0] + "/no_such_database"
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="does not exist"):
        start_sandbox(None, "--database", wrong, timeout=30)
    assert time.monotonic() - started < 15


def test_sessions_expire_and_are_bounded_across_workers(postgres: PostgresServer) -> None:
    server = start(postgres, "--session-idle", "2", "--max-sessions", "8", workers=2)
    try:
        assert confirm(server.url, "idle-one").status_code == 200
        assert confirm(server.url, "kept").status_code == 200
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert order(server.url, "kept").json()["status"] == "canceled"
            time.sleep(0.2)
        assert order(server.url, "idle-one").json()["status"] == "cancelation_requested"  # expired: fixtures again
        assert confirm(server.url, "oldest").status_code == 200
        for index in range(8):  # 8 newer sessions: "oldest" is dropped (and "kept", less recent too)
            assert order(server.url, f"newer-{index}").status_code == 200
        assert order(server.url, "oldest").json()["status"] == "cancelation_requested"
        import psycopg

        with psycopg.connect(server.banner.split("state in ")[1].split(" ")[0].replace(":***", "")) as connection:
            count = connection.execute("SELECT count(*) FROM apidocs_sandbox_sessions").fetchone()
        assert count is not None and count[0] <= 8
        assert order(server.url, DETAIL_ORDER).status_code == 200
    finally:
        server.stop()


def test_a_change_from_a_guess_made_before_a_reset_is_refused(postgres: PostgresServer) -> None:
    from apidocs.sandbox.postgres import PostgresBackend
    from apidocs.sandbox.timp.fixtures import load_fixtures

    url = postgres.create_database()
    fixtures = load_fixtures()
    changed, now = stale_write_after_another_worker_reset(PostgresBackend.open(url, fixtures),
                                                          PostgresBackend(url, fixtures))
    assert not changed
    assert now == (fixtures.orders[DETAIL_ORDER].initial, 0)


def test_a_reset_session_does_not_get_its_old_state_back(postgres: PostgresServer) -> None:
    server = start(postgres, workers=1)
    try:
        headers = {"Authorization": f"Token {RETAILER}", "Sandbox-Session": "reset-then-confirm"}
        canceled = requests.patch(f"{server.url}/timp/orders/cancel/", json={"order_uuid": DETAIL_ORDER},
                                  headers=headers, timeout=30)
        assert canceled.status_code == 200, canceled.text
        assert requests.post(f"{server.url}/_sandbox/reset", headers=headers, timeout=30).status_code == 200
        headers["Authorization"] = f"Token {SUPPLIER}"
        confirmed = requests.patch(f"{server.url}/timp/orders/cancel/{DETAIL_ORDER}/confirm/", headers=headers, timeout=30)
        assert confirmed.status_code == 422, confirmed.text
        state = requests.get(f"{server.url}/timp/orders/{DETAIL_ORDER}/", headers=headers, timeout=30).json()
        assert state["status"] == "open"
    finally:
        server.stop()


def test_a_statement_postgres_cannot_take_fails_alone_in_its_batch(postgres: PostgresServer) -> None:
    """A NUL never comes from a request (400), but should a statement be refused before it is
    sent, the reads and writes batched with it still get their answers, and their writes stay."""
    import psycopg

    from apidocs.sandbox.postgres import PostgresBackend
    from apidocs.sandbox.timp.fixtures import load_fixtures
    from apidocs.sandbox.timp.workflow import Cancelation, State

    fixtures = load_fixtures()
    start_state = (fixtures.orders[CONFIRM_SEED].initial, 0)
    good = State("canceled", Cancelation("confirmed", "R", "2020-01-01T00:00:00Z", "S", "2020-01-02T00:00:00Z"))
    bad = State("canceled", Cancelation("rejected", "R", "2020-01-01T00:00:00Z", "S", "2020-01-02T00:00:00Z", "a\x00b"))

    async def run() -> list[object]:
        url = PostgresBackend.open(postgres.create_database(), fixtures).url  # creates the tables
        backend = PostgresBackend(url, fixtures, pool_size=1)  # one sender: one batch for all
        fresh = PostgresBackend(url, fixtures)
        try:
            answers = await asyncio.gather(backend.replace("good", CONFIRM_SEED, "order", start_state, good),
                                           backend.replace("bad", CONFIRM_SEED, "order", start_state, bad),
                                           backend.read("other", [CONFIRM_SEED]), return_exceptions=True)
            return [*answers, *(await fresh.read("good", [CONFIRM_SEED])), *(await fresh.read("bad", [CONFIRM_SEED]))]
        finally:
            await backend.aclose()
            await fresh.aclose()

    written, refused, other, good_now, bad_now = run_coroutine(run())
    assert written is True
    assert isinstance(refused, psycopg.DataError)
    assert other == [start_state]
    assert good_now == (good, 1) and bad_now == start_state


def test_values_written_in_a_batch_come_back_exactly(postgres: PostgresServer) -> None:
    """A batch is sent as SQL text with its values quoted in it: quotes, backslashes, escapes and
    any other text stay values, in every session id and reason."""
    from apidocs.sandbox.postgres import PostgresBackend
    from apidocs.sandbox.timp.fixtures import load_fixtures
    from apidocs.sandbox.timp.workflow import Cancelation, State

    fixtures = load_fixtures()
    start_state = (fixtures.orders[CONFIRM_SEED].initial, 0)
    reasons = ["it's", "a\\'b", "\\", "'); DROP TABLE apidocs_sandbox_workflow; --", "E'\\x41'", "$1 %s {}",
               "line\nbreak\ttab", "ünï 😀 \u2028", "\\\\'\\''"]

    def state(reason: str) -> State:
        return State("open", Cancelation("rejected", "R", "2020-01-01T00:00:00Z", "S", "2020-01-02T00:00:00Z", reason))

    async def run() -> tuple[list[bool], list[tuple[State, int]], list[list[tuple[State, int]]]]:
        url = PostgresBackend.open(postgres.create_database(), fixtures).url
        backend = PostgresBackend(url, fixtures, pool_size=1)  # one sender: batches of several
        fresh = PostgresBackend(url, fixtures)
        try:
            sessions = [f"s'{index}\\" for index in range(len(reasons))]
            for session in sessions:  # started first, so each change is the batch's (not a session start's)
                await backend.touch(session, time.time(), 3600, 100)
            inserted = await asyncio.gather(*(backend.replace(session, CONFIRM_SEED, "order", start_state, state(reason))
                                              for session, reason in zip(sessions, reasons, strict=True)))
            updated = await asyncio.gather(*(backend.replace(session, CONFIRM_SEED, "order", (state(reason), 1),
                                                             state(reason[::-1]))
                                             for session, reason in zip(sessions, reasons, strict=True)))
            read = [(await fresh.read(session, [CONFIRM_SEED, CONFIRM_SEED]))[0] for session in sessions]
            return [*inserted, *updated], read, [await fresh.read(session, [CONFIRM_SEED]) for session in ("", "s")]
        finally:
            await backend.aclose()
            await fresh.aclose()

    written, read, untouched = run_coroutine(run())
    assert written == [True] * 2 * len(reasons)
    assert read == [(state(reason[::-1]), 2) for reason in reasons]
    assert untouched == [[start_state], [start_state]]


def test_reads_alike_in_a_batch_each_get_the_rows_as_they_are(postgres: PostgresServer) -> None:
    """Reads of one order in one session that meet in a batch are sent once and all answered;
    the statement is kept, never its answer: a read after a change sees the change."""
    from apidocs.sandbox.postgres import PostgresBackend
    from apidocs.sandbox.timp.fixtures import load_fixtures
    from apidocs.sandbox.timp.workflow import Cancelation, State

    fixtures = load_fixtures()
    items = [item.uuid for item in fixtures.orders[CONFIRM_SEED].items]
    start_state = (fixtures.orders[CONFIRM_SEED].initial, 0)
    canceled = State("canceled", Cancelation("confirmed", "R", "2020-01-01T00:00:00Z", "S", "2020-01-02T00:00:00Z"))

    async def run() -> tuple[list[list[tuple[State, int]]], list[list[tuple[State, int]]]]:
        url = PostgresBackend.open(postgres.create_database(), fixtures).url
        backend = PostgresBackend(url, fixtures, pool_size=1)  # one sender: batches of several
        try:
            assert await backend.replace("", CONFIRM_SEED, "order", start_state, canceled)

            def reads() -> list[Any]:
                return [backend.read(session, uuids) for _ in range(10) for session in ("", "other")
                        for uuids in ([CONFIRM_SEED], [CONFIRM_SEED, *items])]

            before = await asyncio.gather(*reads())
            assert await backend.replace("", CONFIRM_SEED, "order", (canceled, 1), start_state[0])
            return before, await asyncio.gather(*reads())
        finally:
            await backend.aclose()

    before, after = run_coroutine(run())
    untouched = [(fixtures.items[item].initial, 0) for item in items]
    assert before == [[(canceled, 1)], [(canceled, 1), *untouched], [start_state], [start_state, *untouched]] * 10
    assert after == [[(start_state[0], 2)], [(start_state[0], 2), *untouched], [start_state], [start_state, *untouched]] * 10


def test_a_statement_never_sent_answers_503_when_its_wait_is_up(postgres: PostgresServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound on waiting to be sent (one timer for all the queued statements): should no
    sender ever come for them (a sender at work that never takes them, here), each answers
    503 when its own wait is up, and is then never sent."""
    from apidocs.sandbox import postgres as store
    from apidocs.sandbox.errors import ApiError
    from apidocs.sandbox.timp.fixtures import load_fixtures

    monkeypatch.setattr(store, "QUEUE_SECONDS", 0.3)
    fixtures = load_fixtures()

    async def run() -> list[tuple[float, object]]:
        backend = store.PostgresBackend(store.PostgresBackend.open(postgres.create_database(), fixtures).url, fixtures)
        backend._sending = 1  # the one sender allowed is "at work" and never comes back
        started = time.monotonic()

        async def read(after: float) -> tuple[float, object]:
            await asyncio.sleep(after)
            try:
                answer: object = await backend.read("", [CONFIRM_SEED])
            except ApiError as error:
                answer = error.status
            return time.monotonic() - started - after, answer

        try:
            answers = await asyncio.gather(read(0), read(0.15))
            assert not backend._queued
            return list(answers)
        finally:
            await backend.aclose()

    answers = run_coroutine(run())
    assert [answer for _waited, answer in answers] == [503, 503]
    assert all(0.29 <= waited < 1.0 for waited, _answer in answers), answers  # each its own wait, not the first's


def test_a_nul_in_a_reason_is_a_400_and_other_requests_go_on(postgres: PostgresServer) -> None:
    server = start(postgres, workers=1)
    try:
        def reject(_: int) -> requests.Response:
            return requests.patch(f"{server.url}/timp/orders/cancel/{CONFIRM_SEED}/reject/", json={"reason": "a\x00b"},
                                  headers={"Authorization": f"Token {SUPPLIER}", "Sandbox-Session": "nul"}, timeout=30)

        with ThreadPoolExecutor(40) as pool:
            rejects = pool.map(reject, range(20))
            confirms = pool.map(confirm, [server.url] * 40, [f"beside-nul-{index}" for index in range(40)])
            rejected, confirmed = list(rejects), list(confirms)
        assert {answer.status_code for answer in rejected} == {400}
        assert all("NUL" in answer.json()["detail"] for answer in rejected)
        assert [answer.status_code for answer in confirmed] == [200] * 40
        assert order(server.url, "nul").json()["status"] == "cancelation_requested"
    finally:
        server.stop()


def postgres_processes(server: PostgresServer) -> list[int]:
    """The postmaster and its children (the backends and helpers), found in /proc."""
    postmaster = int((server.data / "db" / "postmaster.pid").read_text().split()[0])
    found = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            found.append(int(stat.parent.name))
    return found


def test_postgres_not_answering_is_a_503_then_the_sandbox_recovers() -> None:
    with postgres_server() as postgres:  # its own: it is frozen
        server = start(postgres, workers=1)
        try:
            with ThreadPoolExecutor(8) as pool:  # several pooled connections, all to be frozen
                assert set(pool.map(lambda index: order(server.url, f"warm-{index}").status_code, range(16))) == {200}
            frozen = postgres_processes(postgres)
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            try:
                with ThreadPoolExecutor(12) as pool:  # more than the pool's connections: some wait in the queue
                    reads = pool.map(order, [server.url] * 8, [None, *(f"warm-{index}" for index in range(7))])
                    writes = pool.map(confirm, [server.url] * 4, [None, "warm-1", "new-while-frozen", "warm-2"])
                    answers = [*reads, *writes]  # each waits at most 30 s (`timeout`), then raises
                for answer in answers:
                    assert answer.status_code == 503, answer.text
                    assert "database is unavailable" in answer.json()["detail"]
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            assert wait_for(lambda: order(server.url, "after").status_code == 200, 30), "did not recover"
            assert confirm(server.url, "after").status_code == 200
            assert order(server.url, "after").json()["status"] == "canceled"
        finally:
            server.stop()


def test_a_write_to_a_session_evicted_by_another_worker_is_kept(postgres: PostgresServer) -> None:
    """A process marks a session used at most once a second. When another process evicts that
    session (`--max-sessions`) in that second, a write the first accepts must stay: it starts the
    session again, and a repeated confirm is refused, not accepted twice. Two sandbox processes
    on one database, so each request's process is known."""
    url = postgres.create_database()
    first = start_sandbox(None, "--database", url, "--max-sessions", "3", timeout=60)
    second = start_sandbox(None, "--database", url, "--max-sessions", "3", timeout=60)
    try:
        reader = "reader-evicted"
        assert confirm(first.url, reader).status_code == 200
        for other in ("other-a", "other-b", "other-c"):  # the reader's session is now the least recently used
            assert order(second.url, other).status_code == 200
        assert order(first.url, reader).json()["status"] == "cancelation_requested"  # evicted: the fixtures again
        assert confirm(first.url, reader).status_code == 200  # starts the session again, counted: one other goes
        assert order(first.url, reader).json()["status"] == "canceled"
        import psycopg

        with psycopg.connect(url) as connection:
            count = connection.execute("SELECT count(*) FROM apidocs_sandbox_sessions").fetchone()
        assert count is not None and count[0] <= 3
        time.sleep(1.5)  # the first process marks the session used again
        assert order(first.url, reader).json()["status"] == "canceled"
        assert order(second.url, reader).json()["status"] == "canceled"
        assert confirm(first.url, reader).status_code == 422
    finally:
        first.stop()
        second.stop()


def sessions_counted_during(url: str, requests_made: Callable[[], list[int]]) -> tuple[list[int], list[int]]:
    """The statuses `requests_made` got, and the number of sessions in the database every few
    milliseconds while they were made (read straight from PostgreSQL)."""
    import psycopg

    counts: list[int] = []
    done = False

    def watch() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            while not done:
                row = connection.execute("SELECT count(*) FROM apidocs_sandbox_sessions").fetchone()
                counts.append(int(row[0]) if row else 0)
                time.sleep(0.002)

    with ThreadPoolExecutor(1) as pool:
        watcher = pool.submit(watch)
        try:
            answers = requests_made()
        finally:
            done = True
            watcher.result()
    return answers, counts


def test_the_bound_on_sessions_holds_while_many_readers_arrive_at_once(postgres: PostgresServer) -> None:
    """Starting sessions in several workers at once: each counts what the others left, so the
    number of sessions never passes --max-sessions, not even for a moment."""
    url = postgres.create_database()
    server = start_sandbox(None, "--database", url, "--workers", "4", "--max-sessions", "10", timeout=60)

    def arrive() -> list[int]:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda index: order(server.url, f"arriving-{index}").status_code, range(120)))

    try:
        answers, counts = sessions_counted_during(url, arrive)
        assert answers == [200] * 120
        assert len(counts) > 10 and max(counts) <= 10, max(counts)
    finally:
        server.stop()


def test_thousands_of_readers_arriving_at_once_all_start_their_sessions(postgres: PostgresServer) -> None:
    """Session starts take turns across workers (the bound holds), so a start must hold its turn
    only while the database runs it. Sent as several statements, it held the turn across round
    trips to a busy worker, and of 3,000 readers arriving at once 2,311 were refused (503)."""
    url = postgres.create_database()
    server = start_sandbox(None, "--database", url, "--workers", "2", timeout=60)
    count = 2000
    barrier = threading.Barrier(count)

    def first(index: int) -> int:
        with requests.Session() as client:
            barrier.wait()
            return client.patch(f"{server.url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/", timeout=30, headers={
                "Authorization": f"Token {SUPPLIER}", "Sandbox-Session": f"arriving-{index}"}).status_code

    try:
        with ThreadPoolExecutor(count) as pool:
            answers = Counter(pool.map(first, range(count)))
        assert answers == Counter({200: count})
    finally:
        server.stop()


def test_after_a_database_restart_no_request_is_refused_for_the_pools_old_connections(postgres: PostgresServer) -> None:
    # Each of a worker's pooled connections died with the restart. Checked one by one, with the
    # pool's growing pause after each failure, they held the first request past its 2 s wait:
    # a 503, however long after the restart it came.
    server = start(postgres, workers=1)
    try:
        with ThreadPoolExecutor(32) as pool:  # requests in flight together: the pool opens all its connections
            assert set(pool.map(lambda n: order(server.url, f"r{n}").status_code, range(64))) == {200}
        postgres.stop("immediate")
        postgres.start()
        time.sleep(2)  # long back: what follows never meets the database restarting
        for number in range(8):
            started = time.monotonic()
            answer = order(server.url, f"after-{number}")
            assert answer.status_code == 200, answer.text
            assert time.monotonic() - started < 5  # the first waits for the pool's pause after a failed check (1 s)
        assert "error connecting" not in server.log.read_text(encoding="utf-8")  # the pool's own lines, one per try
    finally:
        server.stop()


def test_the_bound_on_sessions_holds_while_evicted_readers_write_again(postgres: PostgresServer) -> None:
    """A worker marks a session used at most once a second; a session another worker evicted
    in that second is started again by the reader's next change. That start must count against
    the bound like any other, at the moment it happens: started by the change's batch itself,
    the session went past --max-sessions until an eviction that came after the batch."""
    url = postgres.create_database()
    server = start_sandbox(None, "--database", url, "--workers", "2", "--max-sessions", "6", timeout=60)

    def write_in_turns() -> list[int]:  # 24 readers take turns: each is evicted between two of its confirms
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda index: confirm(server.url, f"returning-{index % 24}").status_code, range(600)))

    try:
        answers, counts = sessions_counted_during(url, write_in_turns)
        assert set(answers) <= {200, 422} and answers.count(200) > 24
        assert len(counts) > 10 and max(counts) <= 6, max(counts)
    finally:
        server.stop()


def test_a_400_about_the_request_still_names_the_session_that_served_it(postgres: PostgresServer) -> None:
    """Every answer in a reader's session names it (`Sandbox-Session`), a 400 about the body
    too: the session served it. Only a 400 about the id itself (malformed, or sent twice)
    names none."""
    server = start(postgres, workers=2)
    try:
        session = "named-on-400"
        headers = {"Authorization": f"Token {SUPPLIER}", "Sandbox-Session": session}
        reject = f"{server.url}/timp/orders/cancel/{CONFIRM_SEED}/reject/"
        too_long = requests.patch(reject, json={"reason": "x" * 1001}, headers=headers, timeout=30)
        not_json = requests.patch(reject, data=b"{", headers={**headers, "Content-Type": "application/json"}, timeout=30)
        for answer in (too_long, not_json):
            assert answer.status_code == 400, answer.text
            assert answer.headers.get("Sandbox-Session") == session, answer.text
        assert order(server.url, session).json()["status"] == "cancelation_requested"
        malformed = requests.get(f"{server.url}/timp/orders/{CONFIRM_SEED}/", timeout=30,
                                 headers={"Authorization": f"Token {SUPPLIER}", "Sandbox-Session": "a b"})
        assert malformed.status_code == 400 and "Sandbox-Session" not in malformed.headers
        connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
        connection.putrequest("GET", f"/timp/orders/{CONFIRM_SEED}/")
        for name, value in (("Sandbox-Session", "first"), ("Sandbox-Session", "second"), ("Authorization", f"Token {SUPPLIER}")):
            connection.putheader(name, value)
        connection.endheaders()
        twice = connection.getresponse()
        assert twice.status == 400 and twice.getheader("Sandbox-Session") is None
        connection.close()
    finally:
        server.stop()
