"""Probe the public sandbox as issue 13 will be judged: many readers at once on PostgreSQL with
several workers, each doing the whole cancelation workflow in a session of its own, while a
worker is killed and the database is stopped and started again.

Every reader (a thread) has its own random `Sandbox-Session` id and a model of what its session
should hold (the fixtures, changed only by its own 2xx answers). It walks the workflow of
docs/cancelation-workflow.md in rounds: reads an order, confirms or rejects its cancelation,
asks to cancel again, confirms or rejects that, does the same for line items, takes the error
paths (confirming twice → 422, the wrong party → 409, no permission → 403, another supplier →
404, a too-long reason → 400), reads again, and resets its session (`POST /_sandbox/reset`)
now and then. Every answer is checked against the model: the status code, the body's state,
and `Sandbox-Session` naming the reader's own session. Allowed besides: a 503 with a JSON
`detail` (the database down), a connection error (a worker killed). A write whose answer was
lost (connection error, 503) is settled by reading the order again: it must be wholly the old
state or wholly the new one. A 500, an answer after the client's timeout (a hang), a malformed
answer or a state the reader did not make is a violation.

Faults while the readers run, `--gap` seconds apart, from a process of their own: `kill -9` of
a worker (it must be replaced); PostgreSQL stopped (`pg_ctl stop -m immediate`) and started
again; the same with a worker killed while it is down; `pg_terminate_backend` of every
connection; a longer stop (`-m fast`, past the pool's reconnect timeout); `kill -9` of every
PostgreSQL process (crash recovery); `kill -9` of all the workers at once. After each, requests
must succeed again by themselves. A 503 is allowed only during a database fault (until the
sandbox answers again); one while the database is up is a violation. At the end every reader
reads its orders once more: nothing it was told was written may be missing. Then shorter
probes, one at a time: session ids at their bounds, resets, concurrent confirms (and confirm
against reject, and resets against confirms) of one order in one session spread over the
workers (exactly one 200), `--arrivals` new readers whose first request leaves at once, and
with `--session-idle` / `--max-sessions` on a second sandbox, expiry and the bound on the
number of sessions.

    .venv/bin/python bench/probe_sessions.py [--readers 200] [--workers 4] [--gap 8] [--arrivals 400]
        [--no-faults --duration 60] [--no-bounds] [--database postgresql://…]

PostgreSQL is a throwaway server started as the tests start it (tests/postgres_helpers.py);
with `--database` the probe uses that database instead, only kills workers (the database is
not its to stop) and skips the bounds (they need a database of their own). It prints what it saw as JSON; exit status 1 on any violation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import string
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from apidocs.config.loading import load_settings  # noqa: E402
from apidocs.sandbox.timp.fixtures import Fixtures, load_fixtures  # noqa: E402
from postgres_helpers import PostgresServer, postgres_bin, postgres_server, wait_for  # noqa: E402
from process_helpers import alive, children_of  # noqa: E402
from sandbox_helpers import RunningSandbox, start_sandbox  # noqa: E402

SUPPLIER = "1234567890"  # Stevens, Smith and Krause, may manage orders
RETAILER = "0987654321"  # projectthanos
STRANGER = "1111111111"  # another supplier, party to no order
NO_PERMISSION = "2222222222"  # Stevens, Smith and Krause, may not manage orders
SUPPLIER_NAME, RETAILER_NAME = "Stevens, Smith and Krause", "projectthanos"
CONFIRM_SEED = "db5a0c25-ff08-4a24-ab63-9530213219b9"
REJECT_SEED = "3f756137-f575-4337-b61f-d55b917b146b"
OPEN_ORDER = "521a91e5-058d-4474-aeee-f0c148594a00"
DETAIL_ORDER = "f7bc1028-844c-44ca-82df-fe76282d2a8b"
ITEMS_ORDER = "0b7d3c52-6a0e-4d3b-9d52-6f1f3e0c2a11"
DETAIL_ITEM = "5e91d918-67e8-4957-a69a-df9d2072ad9b"
CONFIRM_ITEM = "2350a349-2441-4c32-b7f6-99b7e4540b94"
REJECT_ITEM = "4efca041-22e1-4e35-96d1-8495273a5868"
ORDERS = (CONFIRM_SEED, REJECT_SEED, OPEN_ORDER, DETAIL_ORDER, ITEMS_ORDER)
ITEMS = (DETAIL_ITEM, CONFIRM_ITEM, REJECT_ITEM)
ID_CHARACTERS = string.ascii_letters + string.digits + "-_"
TIMEOUT = (5.0, 30.0)  # connect, read: the sandbox bounds a request at 12 s
ANY = object()  # a timestamp the reader cannot know (the server's clock)
RETRY_FOR = 60.0  # seconds a reader keeps retrying a read before "did not recover"
SLOW = 12.0  # the longest a request may take: the sandbox's bound on waiting for the database

Snapshot = dict[str, Any]  # {"status": …, "cancelation": {…} | None}


class Outcome(Exception):
    """A request that got no usable answer: a connection error, a timeout, a 503."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    ambiguous: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    slowest: dict[str, float] = field(default_factory=dict)  # by status (or error), seconds
    slow: int = 0  # answers that took more than SLOW seconds
    unavailable: list[tuple[float, float, str]] = field(default_factory=list)  # 503s: sent, answered, what
    windows: list[tuple[float, float]] = field(default_factory=list)  # database faults: from, until recovered

    def status(self, code: int, seconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[str(code)] += 1
            self._took(str(code), seconds)

    def error(self, kind: str, seconds: float = 0.0) -> None:
        with self.lock:
            self.requests += 1
            self.errors[kind] += 1
            self._took(kind, seconds)

    def _took(self, kind: str, seconds: float) -> None:
        self.slowest[kind] = round(max(self.slowest.get(kind, 0.0), seconds), 2)
        self.slow += seconds > SLOW

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)
        if len(self.violations) <= 20:
            print(f"  VIOLATION {text}", flush=True)


def snapshot(body: dict[str, Any]) -> Snapshot:
    return {"status": body.get("status"), "cancelation": body.get("cancelation")}


def matches(actual: Snapshot, expected: Snapshot) -> bool:
    """Equal, where an `ANY` in `expected` stands for any timestamp."""
    if actual.get("status") != expected["status"]:
        return False
    wanted, found = expected["cancelation"], actual.get("cancelation")
    if wanted is None or found is None:
        return wanted is found
    if set(found) != set(wanted):
        return False
    return all(found[key] == value or (value is ANY and isinstance(found[key], str)) for key, value in wanted.items())


def transition(state: Snapshot, step: str, reason: str | None = None) -> Snapshot | str:
    """The state after `step` (request, confirm, reject), or why it is impossible (a 422)."""
    cancelation = state["cancelation"]
    if step == "request":
        if state["status"] == "canceled":
            return "already canceled"
        if state["status"] == "cancelation_requested":
            return "already requested"
        return {"status": "cancelation_requested", "cancelation": {
            "status": "requested", "requested_by": RETAILER_NAME, "requested_date": ANY, "resolved_by": None,
            "resolved_date": None, "reason": None}}
    verb = "confirmed" if step == "confirm" else "rejected"
    if cancelation is None:
        return "no cancelation was requested"
    if cancelation["status"] != "requested":
        return f"already {cancelation['status']}"
    return {"status": "canceled" if step == "confirm" else "open",
            "cancelation": {**cancelation, "status": verb, "resolved_by": SUPPLIER_NAME, "resolved_date": ANY,
                            "reason": reason if step == "reject" else None}}


class Reader:
    """One simulated reader: its own session, its own model of that session's state."""

    def __init__(self, probe: Probe, index: int) -> None:
        self.probe = probe
        self.tally = probe.tally
        length = random.randint(12, 64)
        self.session = f"r{index}-" + "".join(random.choices(ID_CHARACTERS, k=length - len(f"r{index}-")))
        self.http = requests.Session()
        self.model: dict[str, Snapshot] = dict(probe.initial)
        self.random = random.Random(index)

    # HTTP -------------------------------------------------------------------------------------

    def send(self, method: str, path: str, token: str | None, body: Any = None) -> requests.Response:
        """One request in the reader's session; raises `Outcome` for the answers a fault may give instead of one."""
        headers = {"Sandbox-Session": self.session}
        if token:
            headers["Authorization"] = f"Token {token}"
        if self.random.random() < 0.3:
            headers["Connection"] = "close"  # the next request may go to another worker
        began = time.monotonic()
        try:
            answer = self.http.request(method, self.probe.url + path, headers=headers, timeout=TIMEOUT,
                                       **({"json": body} if body is not None else {}))
        except requests.ReadTimeout:
            self.tally.error("timeout (hang)", time.monotonic() - began)
            self.tally.violation(f"{self.session}: {method} {path} got no answer within {TIMEOUT[1]:g} s")
            raise Outcome("timeout") from None
        except requests.ConnectionError:
            self.tally.error("connection error", time.monotonic() - began)
            self.http.close()
            raise Outcome("connection") from None
        took = time.monotonic() - began
        self.tally.status(answer.status_code, took)
        where = f"{self.session}: {method} {path} -> {answer.status_code}"
        if took > SLOW:
            self.tally.violation(f"{where} took {took:.1f} s")
        try:
            parsed = answer.json()
        except ValueError:
            self.tally.violation(f"{where}: not JSON: {answer.text[:200]!r}")
            raise Outcome("malformed") from None
        if answer.headers.get("content-type") != "application/json":
            self.tally.violation(f"{where}: content-type {answer.headers.get('content-type')}")
        if answer.headers.get("Sandbox-Session") != self.session:  # its id is well-formed: every answer names it
            self.tally.violation(f"{where}: served by session {answer.headers.get('Sandbox-Session')!r}, not its own")
        if answer.status_code >= 500:
            if answer.status_code == 503 and isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
                with self.tally.lock:
                    self.tally.unavailable.append((began, began + took, f"{method} {path}: {parsed['detail'][:70]}"))
                raise Outcome("503")
            self.tally.violation(f"{where}: {answer.text[:300]}")
            raise Outcome(str(answer.status_code))
        if answer.status_code >= 400 and not (isinstance(parsed, dict) and isinstance(parsed.get("detail"), str)):
            self.tally.violation(f"{where}: error without a detail: {answer.text[:200]}")
        return answer

    def read(self, order: str) -> dict[str, Any]:
        """GET the order, retried through faults (a read changes nothing), checked against the model."""
        deadline = time.monotonic() + RETRY_FOR
        pause = 0.1
        while True:
            try:
                answer = self.send("GET", f"/timp/orders/{order}/", SUPPLIER)
                break
            except Outcome:
                if time.monotonic() > deadline:
                    self.tally.violation(f"{self.session}: GET {order} did not succeed again within {RETRY_FOR:g} s")
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
        if answer.status_code != 200:
            self.tally.violation(f"{self.session}: GET {order} -> {answer.status_code} {answer.text[:200]}")
            raise Outcome("wrong")
        body: dict[str, Any] = answer.json()
        self.compare(order, snapshot(body), "GET")
        for item in body.get("line_items", []):
            if item["line_item_uuid"] in self.model:
                self.compare(item["line_item_uuid"], snapshot(item), f"GET {order} item")
        return body

    def compare(self, uuid_: str, actual: Snapshot, what: str) -> None:
        if actual != self.model[uuid_]:
            self.tally.violation(f"{self.session}: {what} {uuid_}: saw {actual}, its session holds {self.model[uuid_]}")
            self.model[uuid_] = actual  # one report per divergence

    # Steps ------------------------------------------------------------------------------------

    def step(self, kind: str, target: str, step: str, reason: str | None = None, token: str | None = None) -> int:
        """A workflow step (kind "order" or "item") checked against the model; the status got
        (0: no usable answer, settled by reading again)."""
        order = target if kind == "order" else self.probe.fixtures.items[target].order_uuid
        body: dict[str, Any] | None
        if kind == "order" and step == "request":
            method, path, body = "PATCH", "/timp/orders/cancel/", {"order_uuid": target}
        elif kind == "order":
            method, path, body = "PATCH", f"/timp/orders/cancel/{target}/{step}/", ({"reason": reason} if step == "reject" else None)
        elif step == "request":
            method, path, body = "DELETE", f"/timp/orders/items/cancel/{target}/", None
        else:
            method, path, body = "PATCH", f"/timp/orders/items/cancel/{target}/{step}/", ({"reason": reason} if step == "reject" else None)
        expected: Snapshot | str
        if kind == "item" and self.model[order]["status"] == "canceled":
            expected = "its order"
        else:
            expected = transition(self.model[target], step, reason)
        token = token or (RETAILER if step == "request" else SUPPLIER)
        try:
            answer = self.send(method, path, token, body)
        except Outcome as outcome:
            if not isinstance(expected, str):
                self.settle(order, target, expected, outcome.kind)
            return 0
        where = f"{self.session}: {method} {path}"
        if isinstance(expected, str):
            if answer.status_code != 422 or expected not in answer.json()["detail"]:
                self.tally.violation(f"{where}: expected 422 ({expected}), got {answer.status_code} {answer.text[:200]}")
        elif answer.status_code != 200:
            self.tally.violation(f"{where}: expected 200 from {self.model[target]}, got {answer.status_code} {answer.text[:200]}")
        else:
            got = snapshot(answer.json())
            if not matches(got, expected):
                self.tally.violation(f"{where}: answered {got}, expected {expected}")
            self.model[target] = got
        return answer.status_code

    def settle(self, order: str, target: str, expected: Snapshot, kind: str) -> None:
        """A change whose answer was lost: now wholly applied or wholly not."""
        time.sleep(1.0)  # a statement a killed worker sent may still be committing
        old = self.model[target]
        body = self.read_raw(order)
        found = snapshot(body) if target == order else next(
            snapshot(item) for item in body["line_items"] if item["line_item_uuid"] == target)
        if found == old:
            self.tally.ambiguous[f"{kind}: not applied"] += 1
        elif matches(found, expected):
            self.tally.ambiguous[f"{kind}: applied"] += 1
            self.model[target] = found
        else:
            self.tally.violation(f"{self.session}: after a lost answer {target} is {found}: neither {old} nor {expected}")
            self.model[target] = found

    def read_raw(self, order: str) -> dict[str, Any]:
        """`read` without comparing the row being settled (the others still are)."""
        deadline = time.monotonic() + RETRY_FOR
        while True:
            try:
                answer = self.send("GET", f"/timp/orders/{order}/", SUPPLIER)
                if answer.status_code == 200:
                    body: dict[str, Any] = answer.json()
                    return body
                self.tally.violation(f"{self.session}: GET {order} -> {answer.status_code}")
            except Outcome:
                pass
            if time.monotonic() > deadline:
                raise Outcome("did not recover")
            time.sleep(0.3)

    def reset(self) -> None:
        try:
            answer = self.send("POST", "/_sandbox/reset", None)
        except Outcome as outcome:
            # Lost: the session is wholly back to the fixtures, or wholly as it was.
            time.sleep(1.0)
            seen = {order: self.read_raw(order) for order in ORDERS}
            now = {order: snapshot(body) for order, body in seen.items()}
            now.update({item["line_item_uuid"]: snapshot(item) for body in seen.values() for item in body["line_items"]
                        if item["line_item_uuid"] in self.model})
            if now == self.model:
                self.tally.ambiguous[f"reset {outcome.kind}: not applied"] += 1
            elif now == self.probe.initial:
                self.tally.ambiguous[f"reset {outcome.kind}: applied"] += 1
            else:
                self.tally.violation(f"{self.session}: after a lost reset the session is half reset: {now}")
            self.model = now
            return
        if answer.status_code != 200 or answer.json().get("session") != self.session:
            self.tally.violation(f"{self.session}: reset -> {answer.status_code} {answer.text[:200]}")
            return
        self.model = dict(self.probe.initial)

    def error_paths(self) -> None:
        """Answers that do not depend on the state: checked, and nothing may change."""
        order = self.random.choice((CONFIRM_SEED, REJECT_SEED, OPEN_ORDER))
        cases = [
            ("PATCH", f"/timp/orders/cancel/{order}/confirm/", RETAILER, None, 409),
            ("PATCH", "/timp/orders/cancel/", SUPPLIER, {"order_uuid": order}, 409),
            ("PATCH", f"/timp/orders/cancel/{order}/reject/", NO_PERMISSION, {}, 403),
            ("PATCH", f"/timp/orders/cancel/{order}/confirm/", STRANGER, None, 404),
            ("PATCH", f"/timp/orders/cancel/{order}/reject/", SUPPLIER, {"reason": "x" * 1001}, 400),
            ("DELETE", f"/timp/orders/items/cancel/{CONFIRM_ITEM}/", SUPPLIER, None, 409),
            ("GET", f"/timp/orders/{uuid.uuid4()}/", SUPPLIER, None, 404),
            ("GET", f"/timp/orders/{order}/", "not-a-token", None, 401),
        ]
        method, path, token, body, wanted = self.random.choice(cases)
        try:
            answer = self.send(method, path, token, body)
        except Outcome:
            return
        if answer.status_code != wanted:
            self.tally.violation(f"{self.session}: {method} {path} as {token} -> {answer.status_code}, expected {wanted}")

    # The workflow -----------------------------------------------------------------------------

    def round(self) -> None:
        """One pass through the documented workflow, in this reader's session."""
        pick = self.random.random
        self.read(CONFIRM_SEED)
        self.step("order", CONFIRM_SEED, "confirm" if pick() < 0.5 else "reject", reason=f"no {self.session}")
        self.step("order", CONFIRM_SEED, "confirm")  # a second answer: 422 (or 200 after a reject and a request)
        self.read(CONFIRM_SEED)
        self.step("order", REJECT_SEED, "reject", reason=self.random.choice([None, "out of stock", "it's \"quoted\"", "ünï ☃"]))
        self.step("order", REJECT_SEED, "reject")  # twice: 422
        self.step("order", REJECT_SEED, "request")  # asked again after a rejection
        self.read(REJECT_SEED)
        self.step("order", REJECT_SEED, "confirm" if pick() < 0.5 else "reject")
        self.step("order", OPEN_ORDER, "request")
        self.step("order", OPEN_ORDER, "request")  # twice: 422
        self.step("order", OPEN_ORDER, "reject" if pick() < 0.5 else "confirm", reason="because")
        self.read(OPEN_ORDER)
        self.step("item", DETAIL_ITEM, "request")
        self.step("item", DETAIL_ITEM, "confirm" if pick() < 0.5 else "reject")
        self.step("item", CONFIRM_ITEM, "confirm")
        self.step("item", REJECT_ITEM, "reject", reason="kept")
        self.step("order", ITEMS_ORDER, "request")  # then an item step on a canceled order is a 422
        self.step("order", ITEMS_ORDER, "confirm" if pick() < 0.5 else "reject")
        self.step("item", REJECT_ITEM, "request")
        self.read(ITEMS_ORDER)
        self.read(DETAIL_ORDER)
        self.error_paths()
        for order in ORDERS:
            self.read(order)
        if pick() < 0.4:
            self.reset()
            self.read(self.random.choice(ORDERS))

    def run(self, until: threading.Event) -> int:
        rounds = 0
        while not until.is_set():
            try:
                self.round()
            except Outcome:
                pass
            except Exception as error:  # the probe's own failure: shown, not hidden
                self.tally.violation(f"{self.session}: probe error {type(error).__name__}: {error}")
            rounds += 1
        return rounds

    def final_check(self) -> None:
        """Everything this reader was told it wrote is there."""
        for order in ORDERS:
            with contextlib.suppress(Outcome):
                self.read(order)


@dataclass
class Probe:
    url: str
    fixtures: Fixtures
    initial: dict[str, Snapshot]
    tally: Tally = field(default_factory=Tally)


# Processes --------------------------------------------------------------------------------------

def workers_of(server: RunningSandbox) -> list[int]:
    return children_of(server.process.pid)


def faults(server: RunningSandbox, postgres: PostgresServer | None, gap: float, down: float, long_down: float,
           say: Callable[[str], None]) -> None:
    """The faults, `gap` seconds apart while the readers run. In a process of its own (forked
    before the readers start), so the readers' threads do not delay it or its timings."""
    started = time.monotonic()

    def note(text: str) -> None:
        say(f"[{time.monotonic() - started:6.1f}s] {text}")

    def replaced(before: list[int], victims: list[int]) -> None:
        began = time.monotonic()
        if wait_for(lambda: len(now := workers_of(server)) == len(before) and not set(victims) & set(now), 30, 0.02):
            note(f"  workers replaced after {time.monotonic() - began:.2f} s")
        else:
            note("  VIOLATION workers not replaced within 30 s")

    def kill(count: int) -> list[int]:
        workers = workers_of(server)
        victims = random.sample(workers, count)
        for victim in victims:
            os.kill(victim, signal.SIGKILL)
        note(f"kill -9 worker{'s' if count > 1 else ''} {', '.join(map(str, victims))} (of {len(workers)})")
        replaced(workers, victims)
        return victims

    def window(began: float) -> None:
        """The database fault since `began` is over: a 503 is expected only within such a window."""
        say(f"WINDOW {began} {time.monotonic()}")

    def recovered() -> None:
        """Every worker answers again: 16 reads in a row, each on a new connection, all 200."""
        began = time.monotonic()
        client = requests.Session()
        streak = 0

        def answers() -> bool:
            nonlocal streak
            try:
                ok = client.get(f"{server.url}/timp/orders/{CONFIRM_SEED}/", timeout=TIMEOUT, headers={
                    "Authorization": f"Token {SUPPLIER}", "Sandbox-Session": "recovery", "Connection": "close"}).status_code == 200
            except requests.RequestException:
                ok = False
            streak = streak + 1 if ok else 0
            return streak >= 16

        if wait_for(answers, 60, 0.02):
            note(f"  requests succeed again {time.monotonic() - began:.2f} s after the start")
        else:
            note("  VIOLATION no recovery within 60 s of the database's start")

    def stop_database(mode: str, seconds: float, during: Callable[[], object] | None = None) -> None:
        assert postgres is not None
        note(f"pg_ctl stop -m {mode}, for {seconds:g} s")
        stopped = time.monotonic()
        postgres.stop(mode)
        if during is not None:
            time.sleep(min(1.0, seconds / 2))
            during()
        time.sleep(max(0.0, seconds - (time.monotonic() - stopped)))
        postgres.start()
        note("PostgreSQL started again")
        recovered()
        window(stopped)

    def kill_database(seconds: float) -> None:
        """kill -9 of every PostgreSQL process (an OOM kill, a container killed), then a start."""
        assert postgres is not None
        began = time.monotonic()
        processes = postgres_processes(postgres)
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        note(f"kill -9 of PostgreSQL's {len(processes)} processes, for {seconds:g} s")
        wait_for(lambda: not any(alive(pid) for pid in processes), 10)
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
        postgres.start()
        note("PostgreSQL started again (crash recovery)")
        recovered()
        window(began)

    def terminate_backends() -> None:
        import psycopg

        assert postgres is not None
        began = time.monotonic()
        with psycopg.connect(postgres.url(), autocommit=True) as connection:
            rows = connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                      " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchall()
        note(f"pg_terminate_backend of the sandbox's {len(rows)} connections")
        recovered()
        window(began)

    time.sleep(gap)
    kill(1)
    if postgres is not None:
        time.sleep(gap)
        stop_database("immediate", down)
        time.sleep(gap)
        stop_database("immediate", down, during=lambda: kill(1))  # a new worker that never reached the database
        time.sleep(gap)
        terminate_backends()
        time.sleep(gap)
        stop_database("fast", long_down)  # longer than the pool's reconnect_timeout
        time.sleep(gap)
        kill_database(down)
    time.sleep(gap)
    kill(len(workers_of(server)))  # all at once: the supervisor still holds the socket
    time.sleep(gap)


def postgres_processes(server: PostgresServer) -> list[int]:
    """The postmaster and its children (backends and helpers)."""
    postmaster = server.pid()
    return [postmaster, *children_of(postmaster)]


def run_faults(server: RunningSandbox, postgres: PostgresServer | None, gap: float, down: float, long_down: float,
               log: list[str], probe: Probe, done: threading.Event) -> threading.Thread:
    """`faults` in a forked process; its lines go to `log` (and the screen), `done` is set when it ends."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        receive.close()
        try:
            faults(server, postgres, gap, down, long_down, send.send)
        except BaseException as error:
            send.send(f"VIOLATION fault injection failed: {type(error).__name__}: {error}")
        finally:
            send.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()

    def collect() -> None:
        try:
            while True:
                line = receive.recv()
                if line.startswith("WINDOW "):
                    began, until = map(float, line.split()[1:])
                    probe.tally.windows.append((began, until))
                    continue
                log.append(line)
                print("  " + line, flush=True)
                if "VIOLATION" in line:
                    probe.tally.violation(line)
        except EOFError:
            pass
        process.join()
        done.set()

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    return collector


def judge_unavailable(tally: Tally, grace: float = 1.0) -> dict[str, int]:
    """503s during a database fault (from its start until the sandbox answered again, and
    `grace` after) are expected; any other is a violation: the database was there."""
    during = 0
    outside: Counter[str] = Counter()
    for sent, answered, what in tally.unavailable:
        if any(sent <= until + grace and answered >= began for began, until in tally.windows):
            during += 1
        else:
            outside[what] += 1
    for what, count in outside.most_common(10):
        tally.violation(f"503 while the database was up ({count}×): {what}")
    return {"during a database fault": during, "while the database was up": sum(outside.values())}


# Focused probes ---------------------------------------------------------------------------------

def check(probe: Probe, ok: bool, text: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {text}", flush=True)
    if not ok:
        probe.tally.violation(text)


def raw_request(url: str, lines: list[str]) -> tuple[int, str]:
    """A request written by hand (repeated headers, bytes requests would refuse): status, body."""
    import socket

    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def probe_ids(probe: Probe) -> None:
    url = probe.url
    order = f"/timp/orders/{CONFIRM_SEED}/"

    def get(session: str | None) -> requests.Response:
        headers = {"Authorization": f"Token {SUPPLIER}"}
        if session is not None:
            headers["Sandbox-Session"] = session
        return requests.get(url + order, headers=headers, timeout=TIMEOUT)

    for good in ("a" * 64, "-", "_", "Z", "0" * 64, "a-b_C9"):
        answer = get(good)
        check(probe, answer.status_code == 200 and answer.headers.get("Sandbox-Session") == good,
              f"id {good[:10]}…({len(good)}) accepted and named: {answer.status_code} {answer.headers.get('Sandbox-Session')}")
    for bad in ("a" * 65, "b" * 1000, "with space", "semi;colon", "a:b", "dot.ted", "slash/", "plus+", "eq=", "per%20cent",
                "quote'", "a,b", "ünï"):
        answer = get(bad)
        try:
            detail = answer.json().get("detail", "")
        except ValueError:
            detail = ""
        check(probe, answer.status_code == 400 and answer.headers.get("content-type") == "application/json"
              and "Sandbox-Session" in detail, f"id {bad[:12]!r}({len(bad)}) -> {answer.status_code} {detail[:60]}")
        reset = requests.post(url + "/_sandbox/reset", headers={"Sandbox-Session": bad}, timeout=TIMEOUT)
        check(probe, reset.status_code == 400, f"reset with id {bad[:12]!r} -> {reset.status_code}")
    for lines in (["GET " + order + " HTTP/1.1", "Host: x", f"Authorization: Token {SUPPLIER}", "Sandbox-Session: "],
                  ["GET " + order + " HTTP/1.1", "Host: x", f"Authorization: Token {SUPPLIER}", "Sandbox-Session: a b"],
                  ["GET " + order + " HTTP/1.1", "Host: x", f"Authorization: Token {SUPPLIER}", "Sandbox-Session: a",
                   "Sandbox-Session: b"],
                  ["GET " + order + " HTTP/1.1", "Host: x", f"Authorization: Token {SUPPLIER}", "Sandbox-Session: \xe9t\xe9"]):
        status, body = raw_request(url, lines)
        check(probe, status == 400 and body.startswith("{"), f"raw {lines[-1]!r} -> {status} {body[:60]}")
    # Ids differing only in case are two sessions.
    upper, lower = "Case-" + uuid.uuid4().hex[:8].upper(), None
    lower = upper.lower()
    confirm = f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/"
    first = requests.patch(url + confirm, headers={"Authorization": f"Token {SUPPLIER}", "Sandbox-Session": upper}, timeout=TIMEOUT)
    other = get(lower).json()
    check(probe, first.status_code == 200 and other["status"] == "cancelation_requested",
          f"{upper} and {lower} are two sessions ({first.status_code}, {other['status']})")


def probe_reset(probe: Probe) -> None:
    url = probe.url
    alice, bob = "reset-a-" + uuid.uuid4().hex[:8], "reset-b-" + uuid.uuid4().hex[:8]
    confirm = f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/"
    supplier = {"Authorization": f"Token {SUPPLIER}"}
    for who in (alice, bob):
        requests.patch(url + confirm, headers={**supplier, "Sandbox-Session": who}, timeout=TIMEOUT)
    answer = requests.post(url + "/_sandbox/reset", headers={"Sandbox-Session": alice, "Connection": "close"}, timeout=TIMEOUT)
    check(probe, answer.status_code == 200 and answer.json().get("session") == alice, f"reset -> {answer.status_code} {answer.text[:80]}")
    for _ in range(8):  # whichever worker reads: alice is back to the fixtures, bob is not
        a = requests.get(url + f"/timp/orders/{CONFIRM_SEED}/", headers={**supplier, "Sandbox-Session": alice, "Connection": "close"},
                         timeout=TIMEOUT).json()["status"]
        b = requests.get(url + f"/timp/orders/{CONFIRM_SEED}/", headers={**supplier, "Sandbox-Session": bob, "Connection": "close"},
                         timeout=TIMEOUT).json()["status"]
        if (a, b) != ("cancelation_requested", "canceled"):
            break
    check(probe, (a, b) == ("cancelation_requested", "canceled"), f"after alice's reset: alice {a}, bob {b}")
    again = [requests.patch(url + confirm, headers={**supplier, "Sandbox-Session": alice, "Connection": "close"},
                            timeout=TIMEOUT).status_code for _ in range(4)]
    check(probe, again == [200, 422, 422, 422], f"confirms after a reset, each on any worker: {again}")
    none = requests.post(url + "/_sandbox/reset", timeout=TIMEOUT)
    check(probe, none.status_code == 400 and "detail" in none.json(), f"reset without a session -> {none.status_code}")
    wrong = requests.get(url + "/_sandbox/reset", headers={"Sandbox-Session": alice}, timeout=TIMEOUT)
    check(probe, wrong.status_code == 405, f"GET /_sandbox/reset -> {wrong.status_code}")


def probe_races(probe: Probe, sessions: int, per_session: int) -> None:
    """Same order, same session, many workers at once: one confirm wins; confirm against reject:
    one wins and the state is the winner's; resets racing confirms leave a whole state."""
    url = probe.url
    supplier = {"Authorization": f"Token {SUPPLIER}", "Connection": "close"}

    def patch(session: str, path: str, body: Any = None) -> requests.Response:
        return requests.patch(url + path, headers={**supplier, "Sandbox-Session": session}, json=body, timeout=TIMEOUT)

    def get(session: str, order: str) -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(url + f"/timp/orders/{order}/", headers={**supplier, "Sandbox-Session": session},
                                              timeout=TIMEOUT).json()
        return answer

    bad = 0
    with ThreadPoolExecutor(per_session) as pool:
        for index in range(sessions):
            session = f"race-{index}-{uuid.uuid4().hex[:6]}"
            statuses = sorted(answer.status_code for answer in pool.map(
                patch, [session] * per_session, [f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/"] * per_session))
            state = get(session, CONFIRM_SEED)
            if statuses != [200] + [422] * (per_session - 1) or state["status"] != "canceled":
                bad += 1
                print(f"    {session}: confirms {Counter(statuses)}, state {state['status']}")
        check(probe, bad == 0, f"{sessions} sessions × {per_session} concurrent confirms: exactly one 200 each ({bad} not)")
        bad = 0
        for index in range(sessions):
            session = f"duel-{index}-{uuid.uuid4().hex[:6]}"
            steps = ["confirm" if n % 2 else "reject" for n in range(per_session)]
            answers = list(zip(steps, pool.map(patch, [session] * per_session,
                                               [f"/timp/orders/cancel/{REJECT_SEED}/{step}/" for step in steps],
                                               [{"reason": "r"} if step == "reject" else None for step in steps]), strict=True))
            won = [(step, answer.json()) for step, answer in answers if answer.status_code == 200]
            others = Counter(answer.status_code for _, answer in answers if answer.status_code != 200)
            state = get(session, REJECT_SEED)
            if len(won) != 1 or set(others) != {422} or snapshot(state) != snapshot(won[0][1]):
                bad += 1
                print(f"    {session}: winners {[s for s, _ in won]}, others {others}, state {snapshot(state)}")
        check(probe, bad == 0, f"{sessions} sessions × {per_session} confirm-or-reject: one winner, state is the winner's ({bad} not)")
        bad = contended = 0
        for index in range(sessions):
            session = f"reset-race-{index}-{uuid.uuid4().hex[:6]}"

            def act(n: int, session: str = session) -> str:
                if n % 3 == 0:
                    answer = requests.post(url + "/_sandbox/reset", headers={"Sandbox-Session": session, "Connection": "close"},
                                           timeout=TIMEOUT)
                else:
                    answer = patch(session, f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/")
                # A 503 that says so: a confirm that lost its compare-and-set to a reset or
                # another confirm every time it tried (the sandbox tries 5 times).
                if answer.status_code == 503 and "kept changing" in answer.json().get("detail", ""):
                    return "503 kept changing"
                return str(answer.status_code)

            outcomes = list(pool.map(act, range(per_session)))
            contended += outcomes.count("503 kept changing")
            state = get(session, CONFIRM_SEED)
            if not set(outcomes) <= {"200", "422", "503 kept changing"} or \
                    snapshot(state)["status"] not in ("canceled", "cancelation_requested"):
                bad += 1
                print(f"    {session}: {Counter(outcomes)} state {snapshot(state)}")
            confirm = patch(session, f"/timp/orders/cancel/{CONFIRM_SEED}/confirm/").status_code
            expected = 422 if state["status"] == "canceled" else 200
            if confirm != expected:
                bad += 1
                print(f"    {session}: after the race, state {state['status']} but a confirm got {confirm}")
        check(probe, bad == 0, f"{sessions} sessions with resets racing confirms: answers 200/422, state whole ({bad} not;"
                               f" {contended} confirms answered 503 'kept changing meanwhile; try again')")


def probe_arrivals(probe: Probe, count: int) -> None:
    """`count` new readers whose first request (a confirm, which starts their session) leaves at
    the same moment: each must get its 200 while the database is up, not a 503."""
    clients = [requests.Session() for _ in range(count)]
    barrier = threading.Barrier(count)

    def first(index: int) -> tuple[int, float]:
        barrier.wait()
        began = time.monotonic()
        answer = clients[index].patch(f"{probe.url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/", timeout=TIMEOUT, headers={
            "Authorization": f"Token {SUPPLIER}", "Sandbox-Session": f"arriving-{index}-{uuid.uuid4().hex[:8]}"})
        return answer.status_code, time.monotonic() - began

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(first, range(count)))
    statuses = Counter(status for status, _ in answers)
    check(probe, statuses == Counter({200: count}),
          f"{count} new readers at once: {dict(statuses)}, slowest {max(took for _, took in answers):.2f} s")


def probe_bounds(postgres: PostgresServer, config: Path, workers: int, probe: Probe) -> None:
    """--session-idle and --max-sessions over several workers, on a new database."""
    url = postgres.create_database()
    idle, bound = 3.0, 30
    server = start_sandbox(None, "--database", url, "--workers", str(workers), "--session-idle", f"{idle:g}",
                           "--max-sessions", str(bound), config=config, timeout=60)
    supplier = {"Authorization": f"Token {SUPPLIER}", "Connection": "close"}
    try:
        wait_for(lambda: len(workers_of(server)) == workers, 30)

        def confirm(session: str) -> int:
            return requests.patch(f"{server.url}/timp/orders/cancel/{CONFIRM_SEED}/confirm/",
                                  headers={**supplier, "Sandbox-Session": session}, timeout=TIMEOUT).status_code

        def status(session: str) -> str:
            return str(requests.get(f"{server.url}/timp/orders/{CONFIRM_SEED}/", headers={**supplier, "Sandbox-Session": session},
                                    timeout=TIMEOUT).json()["status"])

        import psycopg

        counts: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            with psycopg.connect(url, autocommit=True) as connection:
                while not stop.is_set():
                    row = connection.execute("SELECT count(*) FROM apidocs_sandbox_sessions").fetchone()
                    counts.append(int(row[0]) if row else 0)
                    time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            # Active sessions, well within the bound, used by many workers: kept past `idle`.
            active = [f"active-{n}" for n in range(10)]
            with ThreadPoolExecutor(10) as pool:
                first = list(pool.map(confirm, active))
                deadline = time.monotonic() + 2 * idle
                kept = True
                while time.monotonic() < deadline:
                    kept = kept and set(pool.map(status, active)) == {"canceled"}
                    time.sleep(0.3)
            check(probe, first == [200] * 10 and kept, f"10 sessions in use for {2 * idle:g} s (idle {idle:g}) keep their state: {kept}")
            idle_one = "idle-" + uuid.uuid4().hex[:6]
            check(probe, confirm(idle_one) == 200, "a session's confirm")
            time.sleep(idle + 1.5)
            check(probe, status(idle_one) == "cancelation_requested", f"after {idle + 1.5:g} s idle it is the fixtures again")
            check(probe, confirm(idle_one) == 200, "and can confirm again")
            # Many newcomers at once over all workers: the bound holds at every moment.
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(confirm, [f"crowd-{n}" for n in range(200)]))
            check(probe, answers == [200] * 200, f"200 new sessions each confirm once: {Counter(answers)}")
            evicted = status(idle_one)
            check(probe, evicted == "cancelation_requested", f"the least recently used session is dropped: {evicted}")
            # The most recent `bound` sessions' writes are all there.
            recent = [f"recent-{n}" for n in range(bound // 2)]
            with ThreadPoolExecutor(8) as pool:
                wrote = list(pool.map(confirm, recent))
                seen = list(pool.map(status, recent))
            check(probe, wrote == [200] * len(recent) and seen == ["canceled"] * len(recent),
                  f"the {len(recent)} most recent sessions keep their writes: {Counter(seen)}")
        finally:
            stop.set()
            watcher.join()
        check(probe, max(counts) <= bound, f"sessions in the database never above {bound}: max {max(counts)} of {len(counts)} samples")
    finally:
        server.stop()


# Main -------------------------------------------------------------------------------------------

@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[PostgresServer | None, str]]:
    if args.database:
        yield None, args.database
        return
    if postgres_bin() is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql), and no --database was given")
    with postgres_server() as server:
        yield server, server.create_database()


def run(args: argparse.Namespace) -> int:
    config = Path(args.config).resolve()
    fixtures = load_fixtures(load_settings(config).fixtures)
    initial = {uuid_: fixtures.orders[uuid_].initial.as_json() for uuid_ in ORDERS}
    initial.update({uuid_: fixtures.items[uuid_].initial.as_json() for uuid_ in ITEMS})
    random.seed(args.seed)
    with database(args) as (postgres, url):
        server = start_sandbox(None, "--database", url, "--workers", str(args.workers), config=config, timeout=60)
        probe = Probe(server.url, fixtures, initial)
        fault_log: list[str] = []
        try:
            if not wait_for(lambda: len(workers_of(server)) == args.workers, 30):
                probe.tally.violation(f"{args.workers} workers did not start")
            print(f"sandbox {server.url}: {args.workers} workers on {url.rsplit('@', 1)[-1]}; {args.readers} readers", flush=True)
            readers = [Reader(probe, index) for index in range(args.readers)]
            done = threading.Event()
            began = time.monotonic()  # the faults' process is forked before the readers' threads start
            if args.no_faults:
                threading.Timer(args.duration, done.set).start()
            else:
                run_faults(server, postgres, args.gap, args.down, args.long_down, fault_log, probe, done)
            with ThreadPoolExecutor(args.readers) as pool:
                rounds = sum(pool.map(lambda reader: reader.run(done), readers))
            elapsed = time.monotonic() - began
            print(f"final check of {len(readers)} sessions", flush=True)
            with ThreadPoolExecutor(32) as pool:
                list(pool.map(Reader.final_check, readers))
            main_requests = probe.tally.requests
            unavailable = judge_unavailable(probe.tally)
            print("focused probes:", flush=True)
            probe_ids(probe)
            probe_reset(probe)
            probe_races(probe, args.race_sessions, args.race_size)
            probe_arrivals(probe, args.arrivals)
            log_text = server.log.read_text(encoding="utf-8", errors="replace")
        finally:
            server.stop()
        if not args.no_bounds and postgres is not None:  # on a database of its own (a given one holds the readers')
            print("bounds (--session-idle 3 --max-sessions 30):", flush=True)
            probe_bounds(postgres, config, args.workers, probe)
    tally = probe.tally
    tracebacks = log_text.count("Traceback")
    report = {
        "readers": args.readers, "workers": args.workers, "rounds": rounds, "seconds": round(elapsed, 1),
        "requests by the readers": main_requests,
        "faults": fault_log, "statuses": dict(sorted(tally.statuses.items())), "errors by kind": dict(tally.errors),
        "503 answers": unavailable, "slowest answer by kind (s)": tally.slowest, f"answers slower than {SLOW:g} s": tally.slow,
        "lost answers settled": dict(tally.ambiguous), "tracebacks in the sandbox log": tracebacks,
        "violations": len(tally.violations),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if tally.violations:
        print("violations (first 30):")
        for text in tally.violations[:30]:
            print("  " + text)
    if tracebacks:
        print("sandbox log (tracebacks):\n" + log_text[-4000:])
    return 1 if tally.violations or tracebacks else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the main phase with --no-faults")
    parser.add_argument("--gap", type=float, default=8.0, help="seconds between two faults (the main phase lasts 8 gaps and the faults)")
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--long-down", type=float, default=10.0, help="seconds of the last, longer stop")
    parser.add_argument("--database", help="postgresql://… of a database to use (default: a throwaway server)")
    parser.add_argument("--config", "-f", default=str(ROOT / "mkdocs.yml"))
    parser.add_argument("--race-sessions", type=int, default=20)
    parser.add_argument("--race-size", type=int, default=24)
    parser.add_argument("--arrivals", type=int, default=400, help="new readers whose first request leaves at once")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--no-bounds", action="store_true")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
