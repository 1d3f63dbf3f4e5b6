"""Per-reader sessions (`Sandbox-Session`) against a real sandbox process, SQLite store."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from process_helpers import children_of, survivors
from sandbox_helpers import (
    CONFIRM_SEED,
    DETAIL_ORDER,
    REJECT_ITEM,
    RETAILER,
    SUPPLIER,
    RunningSandbox,
    SandboxClient,
    run_coroutine,
    stale_write_after_another_worker_reset,
    start_sandbox,
)


def reader(url: str, session: str | None = None) -> SandboxClient:
    return SandboxClient(url, {"Sandbox-Session": session or uuid.uuid4().hex})


def status_of(client: SandboxClient, order: str) -> str:
    return str(client.order(order).json()["status"])


def test_two_readers_confirming_the_same_order_each_see_only_their_own(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3")
    try:
        alice, bob, shared = reader(server.url, "alice"), reader(server.url, "bob-2"), server.client()
        first = alice.confirm_order(CONFIRM_SEED)
        assert first.status_code == 200 and first.headers["Sandbox-Session"] == "alice"
        assert status_of(alice, CONFIRM_SEED) == "canceled"
        assert status_of(bob, CONFIRM_SEED) == "cancelation_requested"
        assert status_of(shared, CONFIRM_SEED) == "cancelation_requested"
        assert "Sandbox-Session" not in shared.order(CONFIRM_SEED).headers  # the shared state names none
        second = bob.confirm_order(CONFIRM_SEED)
        assert second.status_code == 200 and second.headers["Sandbox-Session"] == "bob-2"
        assert alice.confirm_order(CONFIRM_SEED).status_code == 422  # still one confirm per session
        assert bob.reject_item(REJECT_ITEM).status_code == 200 and alice.reject_item(REJECT_ITEM).status_code == 200
    finally:
        server.stop()


def test_a_malformed_session_id_is_a_400_naming_the_rule(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3")
    try:
        for bad in ("", "a" * 65, "with space", "semi;colon", "ünï", "a:b"):
            answer = reader(server.url, "x").request("GET", f"/timp/orders/{DETAIL_ORDER}/", headers={"Sandbox-Session": bad})
            assert answer.status_code == 400, bad
            assert answer.headers["content-type"] == "application/json"
            assert "Sandbox-Session must be 1 to 64" in answer.json()["detail"]
        assert reader(server.url, "a" * 64).order(DETAIL_ORDER).status_code == 200
        # White space around a field value is not part of it (RFC 9110): curl sends it as typed.
        for padded in ("spaced  ", "tabbed\t", "  both \t"):
            connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
            connection.putrequest("GET", f"/timp/orders/{DETAIL_ORDER}/")
            connection.putheader("Sandbox-Session", padded)
            connection.putheader("Authorization", f"Token {SUPPLIER}")
            connection.endheaders()
            raw = connection.getresponse()
            assert raw.status == 200, padded
            assert raw.getheader("Sandbox-Session") == padded.strip(), padded
            connection.close()
        connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
        connection.putrequest("GET", f"/timp/orders/{DETAIL_ORDER}/")
        for name, value in (("Sandbox-Session", "a"), ("Sandbox-Session", "b"), ("Authorization", f"Token {SUPPLIER}")):
            connection.putheader(name, value)
        connection.endheaders()
        assert connection.getresponse().status == 400  # which one would it be? neither
        connection.close()
    finally:
        server.stop()


def test_reset_brings_a_session_back_to_the_fixtures_and_only_it(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3")
    try:
        alice, bob = reader(server.url), reader(server.url)
        assert alice.confirm_order(CONFIRM_SEED).status_code == 200
        assert bob.confirm_order(CONFIRM_SEED).status_code == 200
        reset = alice.request("POST", "/_sandbox/reset", token=None)
        assert reset.status_code == 200 and reset.json()["session"] == alice.http.headers["Sandbox-Session"]
        assert status_of(alice, CONFIRM_SEED) == "cancelation_requested"
        assert status_of(bob, CONFIRM_SEED) == "canceled"
        no_session = server.client().request("POST", "/_sandbox/reset", token=None)
        assert no_session.status_code == 400 and "Sandbox-Session" in no_session.json()["detail"]
        assert alice.request("GET", "/_sandbox/reset", token=None).status_code == 405
    finally:
        server.stop()


def test_an_idle_session_starts_again_from_the_fixtures(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3", "--session-idle", "1")
    try:
        idle, busy = reader(server.url), reader(server.url)
        assert idle.confirm_order(CONFIRM_SEED).status_code == 200
        assert busy.confirm_order(CONFIRM_SEED).status_code == 200
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # kept in use: never expires
            assert status_of(busy, CONFIRM_SEED) == "canceled"
            time.sleep(0.1)
        assert status_of(idle, CONFIRM_SEED) == "cancelation_requested"  # idle 3 s > 1 s: fixtures again
        assert idle.confirm_order(CONFIRM_SEED).status_code == 200
    finally:
        server.stop()


def test_beyond_the_bound_the_least_recently_used_session_is_dropped(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3", "--max-sessions", "16")
    try:
        oldest, kept = reader(server.url), reader(server.url)
        assert oldest.confirm_order(CONFIRM_SEED).status_code == 200
        assert kept.confirm_order(CONFIRM_SEED).status_code == 200
        for _ in range(15):  # 17 sessions: the oldest goes
            assert reader(server.url).order(DETAIL_ORDER).status_code == 200
        assert status_of(kept, CONFIRM_SEED) == "canceled"
        assert status_of(oldest, CONFIRM_SEED) == "cancelation_requested"  # a fresh copy again
    finally:
        server.stop()


def test_a_write_to_a_session_evicted_by_another_process_is_kept(tmp_path: Path) -> None:
    """A process marks a session used at most once a second; another process sharing the file
    may evict it in that second. A write the first then accepts starts the session again, and
    stays (a repeated confirm is refused, not accepted twice)."""
    first = start_sandbox(tmp_path / "s.sqlite3", "--max-sessions", "3")
    second = start_sandbox(tmp_path / "s.sqlite3", "--max-sessions", "3")
    try:
        evicted = reader(first.url, "reader-evicted")
        assert evicted.confirm_order(CONFIRM_SEED).status_code == 200
        for name in ("other-a", "other-b", "other-c"):  # the reader's session is now the least recently used
            assert reader(second.url, name).order(DETAIL_ORDER).status_code == 200
        assert status_of(evicted, CONFIRM_SEED) == "cancelation_requested"  # evicted: the fixtures again
        assert evicted.confirm_order(CONFIRM_SEED).status_code == 200  # starts the session again, counted
        import sqlite3

        with sqlite3.connect(tmp_path / "s.sqlite3") as connection:
            assert connection.execute("SELECT count(*) FROM sessions").fetchone()[0] <= 3
        time.sleep(1.5)  # the first process marks the session used again
        assert status_of(evicted, CONFIRM_SEED) == "canceled"
        assert status_of(reader(second.url, "reader-evicted"), CONFIRM_SEED) == "canceled"
        assert evicted.confirm_order(CONFIRM_SEED).status_code == 422
    finally:
        first.stop()
        second.stop()


def test_the_check_sessions_are_sessions_too(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3", secret="s3cret")
    try:
        check_run = SandboxClient(server.url, {"X-Apidocs-Sandbox": "s3cret:run-1"})
        assert check_run.confirm_order(CONFIRM_SEED).status_code == 200
        assert check_run.confirm_order(CONFIRM_SEED).status_code == 422
        assert reader(server.url, "run-1").confirm_order(CONFIRM_SEED).status_code == 200  # no reader can name it
        wrong = SandboxClient(server.url, {"X-Apidocs-Sandbox": "guess:run-1"}).order(DETAIL_ORDER)
        assert wrong.status_code == 400
        assert status_of(server.client(), CONFIRM_SEED) == "cancelation_requested"
    finally:
        server.stop()


def test_cors_only_for_the_configured_site_origin(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "s.sqlite3", "--cors-origin", "https://docs.example.com")
    try:
        client = reader(server.url, "cors")
        allowed = client.request("GET", f"/timp/orders/{DETAIL_ORDER}/", headers={"Origin": "https://docs.example.com"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://docs.example.com"
        assert "Sandbox-Session" in allowed.headers["Access-Control-Expose-Headers"]
        other = client.request("GET", f"/timp/orders/{DETAIL_ORDER}/", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
        preflight = requests.options(f"{server.url}/timp/orders/cancel/", timeout=10, headers={
            "Origin": "https://docs.example.com", "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, sandbox-session"})
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://docs.example.com"
        assert "sandbox-session" in preflight.headers["Access-Control-Allow-Headers"]
        assert client.cancel_order(DETAIL_ORDER, token=RETAILER).status_code in (200, 422)
    finally:
        server.stop()


def test_concurrent_confirms_over_workers_sharing_one_sqlite_file_exactly_one_wins(tmp_path: Path) -> None:
    """Workers writing the same file meet each other's write lock: they wait for it (without
    stalling their other requests) and the compare-and-set still lets exactly one confirm win."""
    server = start_sandbox(tmp_path / "s.sqlite3", "--workers", "4")
    try:
        for session in (None, "race-session"):
            headers = {"Authorization": f"Token {SUPPLIER}", "Connection": "close",
                       **({"Sandbox-Session": session} if session else {})}

            def confirm(_: int, headers: dict[str, str] = headers) -> int:
                url = f"{server.url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/"
                return requests.patch(url, headers=headers, timeout=30).status_code

            with ThreadPoolExecutor(50) as pool:
                statuses = sorted(pool.map(confirm, range(50)))
            assert statuses == [200] + [422] * 49, session
            state = requests.get(f"{server.url}/timp/orders/{CONFIRM_SEED}/", headers=headers, timeout=30).json()
            assert state["status"] == "canceled" and state["cancelation"]["status"] == "confirmed"
    finally:
        server.stop()


def test_a_change_from_a_guess_made_before_another_workers_reset_is_refused(tmp_path: Path) -> None:
    from apidocs.sandbox.store import SqliteBackend
    from apidocs.sandbox.timp.fixtures import load_fixtures

    fixtures = load_fixtures()
    path = tmp_path / "state.sqlite3"
    changed, now = stale_write_after_another_worker_reset(SqliteBackend.open(path, fixtures),
                                                          SqliteBackend.open(path, fixtures))
    assert not changed
    assert now == (fixtures.orders[DETAIL_ORDER].initial, 0)


def test_changes_committed_together_still_let_one_win_and_wait_for_another_writer(tmp_path: Path) -> None:
    """The compare-and-sets of one event-loop step are one transaction: of several from the same
    state of one row exactly one wins, and while another process holds the write lock they all
    wait for it (the loop goes on meanwhile), then commit."""
    import asyncio
    import sqlite3

    from apidocs.sandbox.store import Entry, SqliteBackend
    from apidocs.sandbox.timp import workflow
    from apidocs.sandbox.timp.fixtures import load_fixtures

    fixtures = load_fixtures()
    path = tmp_path / "state.sqlite3"
    start = (fixtures.orders[CONFIRM_SEED].initial, 0)
    confirmed = workflow.confirm(start[0], "Order", "S", workflow.now())

    async def run() -> tuple[list[bool], int, list[Entry]]:
        backend = SqliteBackend.open(path, fixtures)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another worker writing
        loop_ran = 0

        def tick() -> None:
            nonlocal loop_ran
            loop_ran += 1

        for delay in (0.01, 0.02, 0.03):
            asyncio.get_running_loop().call_later(delay, tick)
        asyncio.get_running_loop().call_later(0.2, lambda: other.execute("COMMIT"))
        won = await asyncio.gather(*(backend.replace("", CONFIRM_SEED, "order", start, confirmed) for _ in range(5)))
        other.close()
        return list(won), loop_ran, await backend.read("", [CONFIRM_SEED])

    won, loop_ran, now = run_coroutine(run())
    assert sorted(won) == [False] * 4 + [True]
    assert loop_ran == 3  # the event loop was not blocked while the changes waited
    assert now == [(confirmed, 1)]


def live_workers(server: RunningSandbox, count: int = 2, besides: Collection[int] = ()) -> list[int]:
    """The supervisor's workers, once `count` of them (other than `besides`) are there (30 s at most)."""
    deadline = time.monotonic() + 30
    while len(workers := [pid for pid in children_of(server.process.pid) if pid not in besides]) < count \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    return workers


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """A supervisor killed with SIGKILL cannot stop its workers: they end by themselves, and the
    port is free for the next sandbox (before, they kept serving it, never replaced)."""
    server = start_sandbox(tmp_path / "s.sqlite3", "--workers", "2")
    workers: list[int] = []
    try:
        workers = live_workers(server)
        assert len(workers) == 2
        assert server.client().order(DETAIL_ORDER, SUPPLIER).status_code == 200
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        assert survivors(workers, within=15) == []
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/timp/orders/{DETAIL_ORDER}/", timeout=5)
    finally:
        server.stop()
        for pid in survivors(workers, within=0):  # none, unless the test failed
            os.kill(pid, signal.SIGKILL)



def test_workers_killed_again_and_again_are_replaced_every_time(tmp_path: Path) -> None:
    """Workers that were up and serving are replaced however often they are killed: kills in a
    row once tripped the guard meant for workers that die as soon as they start, and the whole
    sandbox stopped for good."""
    server = start_sandbox(tmp_path / "s.sqlite3", "--workers", "2")
    killed: set[int] = set()
    try:
        for _ in range(8):  # more deaths in 10 s than the guard allows (5 per worker)
            workers = live_workers(server, besides=killed)
            assert len(workers) == 2
            time.sleep(0.3)  # up (their loops have run), and serving: killed faster than a second apart
            for _answer in range(4):
                assert server.client().order(DETAIL_ORDER, SUPPLIER).status_code == 200
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            killed.update(workers)
        assert len(live_workers(server, besides=killed)) == 2
        assert server.client().order(DETAIL_ORDER, SUPPLIER).status_code == 200
        assert server.process.poll() is None
    finally:
        server.stop()


def test_workers_that_die_as_soon_as_they_start_stop_the_supervisor() -> None:
    """A broken setup (every worker exits at once) is one clear line and an end, not a fork loop."""
    script = ("import logging, sys\n"
              "from apidocs.sandbox.server import supervise\n"
              "logging.basicConfig()\n"
              "sys.exit(supervise(2, lambda beat: 1))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "workers keep exiting as soon as they start; stopping" in result.stderr


def test_a_worker_whose_loop_stopped_is_replaced_and_does_not_hold_up_a_stop(tmp_path: Path) -> None:
    """A worker stopped (SIGSTOP) keeps the connections the kernel gave it and answers none: the
    supervisor sees its heartbeat stop and replaces it. Stopping the sandbox does not wait for
    ever on a worker that cannot handle SIGTERM either."""
    from apidocs.sandbox.server import HUNG_SECONDS, STOP_SECONDS

    server = start_sandbox(tmp_path / "s.sqlite3", "--workers", "2")
    stopped: list[int] = []
    try:
        workers = live_workers(server)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGSTOP)
        stopped.append(workers[0])
        deadline = time.monotonic() + HUNG_SECONDS + 10
        while workers[0] in children_of(server.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers[0] not in children_of(server.process.pid)
        now = live_workers(server)
        assert len(now) == 2 and workers[1] in now
        for _answer in range(6):  # new connections: whichever worker takes them answers
            assert server.client().order(DETAIL_ORDER, SUPPLIER).status_code == 200
        os.kill(workers[1], signal.SIGSTOP)
        stopped.append(workers[1])
        started = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(STOP_SECONDS + 15)
        assert time.monotonic() - started < STOP_SECONDS + 15
        assert survivors(now, within=10) == []
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        server.stop()
