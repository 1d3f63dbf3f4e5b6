"""How fast is the sandbox, on SQLite and on PostgreSQL at 1, 2 and 4 workers, next to the Prism
mock server, in one run?

Every server runs as its own processes on loopback, one at a time (so they do not compete for
the cores); the load comes from a third process (`wrk` when installed — `apt-get install wrk`
— else a small asyncio load generator in this file) over 32 keep-alive connections. Scenarios:

- `mixed` (the headline): what readers of a public sandbox do — each connection is a reader
  with its own `Sandbox-Session`, and every read of an order follows a write to it (cancel,
  read, reject, read, in a loop);
- `GET order`: `GET /timp/orders/<uuid>/` with the supplier's token, no session;
- `cancel/reject cycle`: each connection has its own open orders and, in a loop, the retailer
  asks to cancel them (`PATCH /timp/orders/cancel/`) and the supplier rejects that
  (`PATCH .../reject/`): state changes that are all 200 when the sandbox is right (any other
  answer is counted and shown).

PostgreSQL is a throwaway server started like the tests do (tests/postgres_helpers.py: Debian's
`initdb` + `pg_ctl` in a temporary folder, fsync off), a new database per sandbox started.
Memory per 1,000 live sessions: the sandbox's resident memory (all its processes) and the
database's size before and after 1,000 sessions each make one change.

Prism gets an OpenAPI document generated from the same definitions. It is installed once with
npm under .apidocs/bench/ (or pass --prism PATH, or --no-prism). It is measured before and after
the sandboxes, and the ratios are to the better of its two figures (the machine's other work
varies during a run). Requests/s count 2xx answers only. CPU µs/req is the CPU time of the
server's processes (all the workers) per 2xx answer, what the machine's other work skews
least; for PostgreSQL, `+ database` is that of the database server's processes (same cores);
`+ load` is the load generator's. Their sum per answer, times the answers per second, is how
busy the run kept the machine: at 1 worker it bounds what more workers can add on these cores.

    python bench/sandbox.py [--duration 5] [--connections 32] [--workers 1,2,4] [--stores sqlite,postgresql]
                            [--scenarios mixed,"GET order","cancel/reject cycle"] [--no-prism]

Targets (issue 13): sandbox ≥ 3× Prism's requests/s at every worker count, p99 ≤ 10 ms at 32
connections, near-linear scaling from 1 to 2 workers (on a 2-core machine shared with the load).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from apidocs.config.loading import load_settings
from apidocs.config.settings import Settings
from apidocs.definitions.loader import load_endpoints
from apidocs.model.endpoint import Endpoint
from apidocs.sandbox.timp.fixtures import DEFAULT_FIXTURES

ROOT = Path(__file__).resolve().parent.parent

SUPPLIER, RETAILER = "1234567890", "0987654321"
DETAIL_ORDER = "f7bc1028-844c-44ca-82df-fe76282d2a8b"
PRISM_HOME = ROOT / ".apidocs" / "bench" / "prism"
TARGET_RATIO, TARGET_P99_MS = 3.0, 10.0
CORES = os.cpu_count() or 1
LIVE_SESSIONS = 1000  # sessions made for the memory figure
LIVE_ORDER = str(uuid.uuid5(uuid.NAMESPACE_URL, "apidocs-bench-live-sessions"))
ORDERS_PER_CONNECTION = 4
WRK_THREADS = 2  # more threads than cores only adds scheduling noise to the latencies


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


@dataclass
class Result:
    scenario: str
    server: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    unexpected: int  # answers other than 2xx, plus socket errors (not counted in requests_per_s)
    cpu_us: float  # the server process's CPU time per request: what a busy machine cannot skew
    database_cpu_us: float = 0.0  # PostgreSQL's own processes' CPU time per request (0 for the others)
    load_cpu_us: float = 0.0  # the load generator's CPU time per request (it shares the cores)

    @property
    def machine_cpu_us(self) -> float:
        """CPU time per answer of everything the run kept busy: server, database and load."""
        return self.cpu_us + self.database_cpu_us + self.load_cpu_us


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the workers of `--workers N`), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += parents.get(current, [])
    return found


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's children that have ended (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(each) for each in process_tree(pid))


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and its workers (Linux /proc; pages shared after the fork
    count once per process, so this is an upper bound)."""
    total = 0
    for each in process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(found.group(1)) * 1024 if found else 0
    return total


def free_port() -> int:
    """A port for Prism, which must be told one (apidocs itself binds port 0 and prints its URL);
    the benchmark runs alone, so the moment between closing this socket and Prism's bind is safe."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer on port {port} within {timeout:.0f} s")


# The servers -----------------------------------------------------------------------------------

def bench_orders(count: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"apidocs-bench-order-{i}")) for i in range(count)]


def write_project(folder: Path, orders: list[str]) -> Path:
    """A copy of the project whose sandbox fixtures have one extra open order per connection."""
    fixtures = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    for index, order_uuid in enumerate(orders):
        fixtures["orders"].append({
            "order_uuid": order_uuid, "status": "open", "cancelation": None, "po_number": f"po-bench-{index}",
            "retailer": "projectthanos",
            "line_items": [{"line_item_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, order_uuid)), "status": "open",
                            "supplier": "stevens-smith-krause", "cancelation": None}],
        })
    (folder / "fixtures.yml").write_text(yaml.safe_dump(fixtures, sort_keys=False), encoding="utf-8")
    for name in ("docs", "includes", "snippets"):
        (folder / name).symlink_to(ROOT / name)
    config = re.sub(r"^ +fixtures:.*\n", "", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), flags=re.M)
    config = config.replace("  - apidocs:\n", f"  - apidocs:\n      fixtures: {folder / 'fixtures.yml'}\n", 1)
    (folder / "mkdocs.yml").write_text(config, encoding="utf-8")
    return folder / "mkdocs.yml"


@contextmanager
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL server, started the way the tests start theirs."""
    sys.path.insert(0, str(ROOT / "tests"))
    from postgres_helpers import postgres_bin, postgres_server

    if postgres_bin() is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql), or pass --stores sqlite")
    with postgres_server() as server:
        yield server


def start_sandbox(config: Path, store: list[str], workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    """`store`: `["--db", FILE]` or `["--database", URL]`."""
    command = [sys.executable, "-m", "apidocs", "-f", str(config), "sandbox", "--port", "0", *store, "--reset",
               "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
                               env={k: v for k, v in os.environ.items() if k != "APIDOCS_SANDBOX_SECRET"})
    assert process.stdout is not None
    output, deadline = b"", time.monotonic() + 30
    while b"\n" not in output.partition(b"Sandbox running at ")[2] and time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the sandbox exited: {output.decode()}")
        if select.select([process.stdout], [], [], 0.1)[0]:
            output += os.read(process.stdout.fileno(), 65536)
    port = int(re.search(rb"http://127\.0\.0\.1:(\d+)", output).group(1))  # type: ignore[union-attr]
    wait_until_answering(port, process, "the sandbox")
    deadline = time.monotonic() + 30
    while len(process_tree(process.pid)) < (workers + 1 if workers > 1 else 1) and time.monotonic() < deadline:
        time.sleep(0.1)  # the supervisor forks its workers after printing the banner
    requests.get(f"http://127.0.0.1:{port}/timp/orders/{DETAIL_ORDER}/", headers={"Authorization": f"Token {SUPPLIER}"},
                 timeout=30).raise_for_status()
    return process, port


def openapi_document(endpoints: list[Endpoint], settings: Settings) -> dict[str, Any]:
    """The endpoints as OpenAPI 3, examples included, for Prism."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operation: dict[str, Any] = {
            "operationId": re.sub(r"\W+", "_", endpoint.name).strip("_") or endpoint.method.lower(),
            "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                           for name in endpoint.path_parameters],
            "security": [{"token": []}],
            "responses": {},
        }
        for response in endpoint.responses:
            answer: dict[str, Any] = {"description": response.title}
            if response.has_body:
                answer["content"] = {"application/json": {"example": response.body}}
            operation["responses"].setdefault(str(response.status), answer)
        if not operation["responses"]:
            operation["responses"][str(endpoint.expected_status)] = {"description": "Success"}
        group = endpoint.group_of_kind("request")
        if group and group.parameters:
            kinds = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
                     "array": "array", "object": "object"}
            schema = {"type": "object",
                      "properties": {p.name: {"type": kinds.get((p.type or "").lower(), "string")} for p in group.parameters},
                      "required": [p.name for p in group.parameters if p.is_required]}
            operation["requestBody"] = {"required": bool(schema["required"]), "content": {"application/json": {"schema": schema}}}
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "TIMP (apidocs bench)", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": settings.auth.header}}},
    }


def find_prism(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    installed = PRISM_HOME / "node_modules" / ".bin" / "prism"
    if installed.exists():
        return installed
    if shutil.which("npm") is None:
        print("npm not found: Prism is skipped", file=sys.stderr)
        return None
    print(f"Installing @stoplight/prism-cli under {PRISM_HOME} (once)…", file=sys.stderr)
    PRISM_HOME.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PRISM_HOME),
                             "@stoplight/prism-cli"], capture_output=True, text=True)
    if result.returncode != 0 or not installed.exists():
        print(f"npm could not install Prism: Prism is skipped\n{result.stderr[-2000:]}", file=sys.stderr)
        return None
    return installed


def start_prism(prism: Path, document: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(document)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(port, process, "Prism")
    return process, port


# The load --------------------------------------------------------------------------------------

def scenarios(orders: list[str], connections: int, run: str) -> dict[str, list[list[Call]]]:
    """Per connection, the requests it sends in a loop.

    In the cycle each connection owns `ORDERS_PER_CONNECTION` open orders: it asks to cancel
    each, then rejects each, so that requests can also be dealt out per wrk thread (see
    `per_thread`) without a reject overtaking its own cancel. In `mixed` each connection is a
    reader with a session of its own (named after `run`) and reads each order after each change.
    """
    supplier = {"Authorization": f"Token {SUPPLIER}"}
    retailer = {"Authorization": f"Token {RETAILER}", "Content-Type": "application/json"}
    get = [Call("GET", f"/timp/orders/{DETAIL_ORDER}/", supplier)]
    cycles = []
    for index in range(connections):
        own = orders[index * ORDERS_PER_CONNECTION : (index + 1) * ORDERS_PER_CONNECTION]
        cycles.append([Call("PATCH", "/timp/orders/cancel/", retailer, json.dumps({"order_uuid": order})) for order in own]
                      + [Call("PATCH", f"/timp/orders/cancel/{order}/reject/", supplier) for order in own])
    mixed = []
    for index in range(connections):
        own = orders[index * ORDERS_PER_CONNECTION : (index + 1) * ORDERS_PER_CONNECTION]
        session = {"Sandbox-Session": f"bench-{run}-{index}"}
        sequence = []
        for order in own:
            read = Call("GET", f"/timp/orders/{order}/", {**supplier, **session})
            sequence += [Call("PATCH", "/timp/orders/cancel/", {**retailer, **session}, json.dumps({"order_uuid": order})),
                         read, Call("PATCH", f"/timp/orders/cancel/{order}/reject/", {**supplier, **session}), read]
        mixed.append(sequence)
    return {"mixed": mixed, "GET order": [get] * connections, "cancel/reject cycle": cycles}


def per_thread(sequences: list[list[Call]], threads: int) -> list[list[Call]]:
    """wrk asks a thread, not a connection, for the next request: deal each thread its
    connections' sequences step by step. A thread's request for an order comes at least as
    many requests after the previous one for it as the thread has connections, so the
    previous one has usually been answered (connections send one request at a time). With
    several workers one slow worker can hold a request longer than that; its successor then
    meets the old state (a 422, counted in non-2xx). `--load python` keeps each connection's
    order exactly (all 200 on both stores at 2 workers when checked)."""
    dealt = []
    for thread in range(threads):
        own = sequences[thread::threads]
        dealt.append([seq[step] for step in range(len(own[0])) for seq in own])
    return dealt


WRK_SCRIPT = """
local sequences = %s
local opening_call = %s
local connections_per_thread = %d
local next_index = 0
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
end
function init(args)
  requests = {}
  for i, call in ipairs(sequences[index + 1]) do
    requests[i] = wrk.format(call.method, call.path, call.headers, call.body)
  end
  position = 0
  -- The first request of each connection may wait while the server accepts the others, so
  -- it is a harmless GET, not a step of a sequence. wrk also calls request() once on the
  -- first thread to check it before sending anything.
  opening = connections_per_thread + (index == 0 and 1 or 0)
  opening_request = wrk.format(opening_call.method, opening_call.path, opening_call.headers)
end
function request()
  if opening > 0 then
    opening = opening - 1
    return opening_request
  end
  position = position %% #requests + 1
  return requests[position]
end
"""


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if value is None:
        return "nil"
    return json.dumps(value)  # a JSON string is a valid Lua string for this ASCII text


def _milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, sequences: list[list[Call]], duration: float, folder: Path) -> tuple[float, float, float, int]:
    script = folder / "sequences.lua"
    calls = [[{"method": c.method, "path": c.path, "headers": c.headers, "body": c.body} for c in seq]
             for seq in per_thread(sequences, WRK_THREADS)]
    opening = {"method": "GET", "path": f"/timp/orders/{DETAIL_ORDER}/", "headers": {"Authorization": f"Token {SUPPLIER}"}}
    script.write_text(WRK_SCRIPT % (_lua(calls), _lua(opening), len(sequences) // WRK_THREADS), encoding="utf-8")
    threads = WRK_THREADS
    output = subprocess.run(["wrk", "-t", str(threads), "-c", str(len(sequences)), "-d", f"{duration:g}s", "--latency",
                             "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    answered = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return good_rate(rate, answered, bad), p50, p99, bad


def good_rate(rate: float, answered: int, bad: int) -> float:
    """Requests per second counting only the 2xx answers: a refused step (a 422 when a request
    overtook another) costs the server less than the change it stands for."""
    return rate * max(answered - bad, 0) / answered if answered else 0.0


async def _connection(port: int, sequence: list[bytes], stop_at: float, latencies: list[float], bad: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    position = 0
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        writer.write(sequence[position])
        position = (position + 1) % len(sequence)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 2"):
            bad[0] += 1
    writer.close()


def _raw(call: Call, port: int) -> bytes:
    body = (call.body or "").encode()
    headers = {"Host": f"127.0.0.1:{port}", **call.headers, "Content-Length": str(len(body))}
    head = f"{call.method} {call.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def python_load(port: int, sequences: list[list[Call]], duration: float) -> dict[str, Any]:
    """The fallback load generator (run in its own process): asyncio, one task per connection."""
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    latencies: list[float] = []
    bad = [0]

    async def main() -> float:
        encoded = [[_raw(call, port) for call in seq] for seq in sequences]
        started = time.perf_counter()
        await asyncio.gather(*(_connection(port, seq, started + duration, latencies, bad) for seq in encoded))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    latencies.sort()
    return {"rate": good_rate(len(latencies) / elapsed, len(latencies), bad[0]), "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000, "bad": bad[0]}


def run_python_load(port: int, sequences: list[list[Call]], duration: float) -> tuple[float, float, float, int]:
    payload = json.dumps({"port": port, "duration": duration, "sequences": [[c.__dict__ for c in seq] for seq in sequences]})
    output = subprocess.run([sys.executable, __file__, "--load-worker"], input=payload, capture_output=True, text=True, check=True).stdout
    result = json.loads(output)
    return result["rate"], result["p50"], result["p99"], result["bad"]


def load_worker() -> None:
    request = json.loads(sys.stdin.read())
    sequences = [[Call(**call) for call in seq] for seq in request["sequences"]]
    print(json.dumps(python_load(request["port"], sequences, request["duration"])))


# The run ---------------------------------------------------------------------------------------

def database_bytes(store: list[str]) -> int:
    """The size of the sandbox's tables: PostgreSQL's relation sizes, or SQLite's pages."""
    if store[0] == "--database":
        import psycopg

        with psycopg.connect(store[1], autocommit=True) as connection:
            row = connection.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " WHERE c.relname LIKE 'apidocs_sandbox_%%' AND c.relkind = 'r'").fetchone()
        return int(row[0]) if row else 0
    import sqlite3

    with sqlite3.connect(store[1]) as connection:
        pages, size = connection.execute("PRAGMA page_count").fetchone()[0], connection.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(size)


@dataclass
class SessionCost:
    store: str
    memory_bytes: int  # per LIVE_SESSIONS sessions, all the sandbox's processes
    database_bytes: int
    seconds: float


def session_cost(name: str, pid: int, port: int, store: list[str], order: str) -> SessionCost:
    """Memory and database growth for `LIVE_SESSIONS` sessions that each made one change."""
    before_memory, before_database = tree_rss_bytes(pid), database_bytes(store)
    started = time.perf_counter()
    with requests.Session() as client:
        for index in range(LIVE_SESSIONS):
            answer = client.patch(f"http://127.0.0.1:{port}/timp/orders/cancel/", json={"order_uuid": order}, timeout=30,
                                  headers={"Authorization": f"Token {RETAILER}", "Sandbox-Session": f"live-{index}"})
            if answer.status_code != 200:
                raise SystemExit(f"session {index}: {answer.status_code} {answer.text[:200]}")
    elapsed = time.perf_counter() - started
    return SessionCost(name, tree_rss_bytes(pid) - before_memory, database_bytes(store) - before_database, elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--stores", default="sqlite,postgresql", help="stores to measure (default sqlite,postgresql)")
    parser.add_argument("--scenarios", default=None,
                        help="scenarios to measure, comma-separated (default: all; e.g. 'cancel/reject cycle')")
    parser.add_argument("--prism", default=None, help="path to the prism executable")
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (default: wrk when installed, else the asyncio one)")
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        load_worker()
        return 0
    worker_counts = [int(count) for count in args.workers.split(",")]
    stores = [store.strip() for store in args.stores.split(",")]
    if not set(stores) <= {"sqlite", "postgresql"}:
        parser.error("--stores takes sqlite and/or postgresql")

    chosen = None if args.scenarios is None else {name.strip() for name in args.scenarios.split(",")}
    if chosen is not None and not chosen <= set(scenarios([], 0, "")):
        parser.error(f"--scenarios takes {', '.join(scenarios([], 0, ''))}")

    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk") is not None)
    if use_wrk and shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    generator = "wrk" if use_wrk else "asyncio load generator (install wrk for lower client overhead)"
    load_before = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"(other work on the machine); load: {generator}; {args.connections} connections; {args.duration:g} s per run",
          flush=True)
    # Warm-up and measurement each get their own orders: a run may stop mid-cycle.
    count = args.connections * ORDERS_PER_CONNECTION
    orders = bench_orders(2 * count)
    warm_up, measured = orders[:count], orders[count:]
    results: list[Result] = []
    costs: list[SessionCost] = []
    run = (lambda p, s, d, f: run_wrk(p, s, d, f)) if use_wrk else (lambda p, s, d, _f: run_python_load(p, s, d))

    def measure(server: str, port: int, pid: int, folder: Path, database_pid: int | None = None) -> None:
        warm_ups = scenarios(warm_up, args.connections, "warm")
        for scenario, sequences in scenarios(measured, args.connections, "measured").items():
            if chosen is not None and scenario not in chosen:
                continue
            run(port, warm_ups[scenario], min(1.0, args.duration), folder)  # JIT, caches, connections
            before = tree_cpu_seconds(pid)
            database_before = tree_cpu_seconds(database_pid) if database_pid else 0.0
            load_before = children_cpu_seconds()  # wrk (or the Python load) is a child, reaped by `run`
            rate, p50, p99, bad = run(port, sequences, args.duration, folder)
            requests_made = max(rate * args.duration, 1)
            cpu_us = (tree_cpu_seconds(pid) - before) / requests_made * 1e6
            database_us = (tree_cpu_seconds(database_pid) - database_before) / requests_made * 1e6 if database_pid else 0.0
            load_us = (children_cpu_seconds() - load_before) / requests_made * 1e6
            results.append(Result(scenario, server, rate, p50, p99, bad, cpu_us, database_us, load_us))
            print(f"  {server:<14}{scenario:<22}{rate:>8.0f} req/s  p99 {p99:6.2f} ms  non-2xx {bad}", flush=True)

    with tempfile.TemporaryDirectory(prefix="apidocs-bench-") as tmp, \
            (postgres() if "postgresql" in stores else contextlib.nullcontext()) as database:
        folder = Path(tmp)
        config = write_project(folder, [*orders, LIVE_ORDER])
        prism = None if args.no_prism else find_prism(args.prism)
        document = folder / "openapi.json"
        if prism is not None:
            settings = load_settings(ROOT / "mkdocs.yml")
            endpoints, _ = load_endpoints(settings)
            document.write_text(json.dumps(openapi_document(endpoints, settings)), encoding="utf-8")

        def measure_prism() -> None:
            """Before and after the sandboxes: the machine's other work comes and goes during a
            run, and the ratios are taken to the better of Prism's two figures."""
            if prism is None:
                return
            prism_process, prism_port = start_prism(prism, document)
            try:
                measure("prism", prism_port, prism_process.pid, folder)
            finally:
                prism_process.terminate()
                prism_process.wait(10)

        measure_prism()
        for store in stores:
            for workers in worker_counts:
                if store == "postgresql":
                    assert database is not None
                    where = ["--database", database.create_database()]
                else:
                    where = ["--db", str(folder / f"bench-{workers}.sqlite3")]
                sandbox, port = start_sandbox(config, where, workers)
                try:
                    measure(f"{store}×{workers}", port, sandbox.pid, folder,
                            database.pid() if store == "postgresql" and database is not None else None)
                    if workers == worker_counts[0]:
                        costs.append(session_cost(store, sandbox.pid, port, where, LIVE_ORDER))
                finally:
                    sandbox.terminate()
                    sandbox.wait(20)
        measure_prism()
    load_after = os.getloadavg()
    report(results, costs)
    print(f"\nload average after the run: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    return 0


def report(results: list[Result], costs: list[SessionCost]) -> None:
    print(f"\n{'scenario':<22}{'server':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'CPU µs/req':>12}"
          f"{'+ database':>12}{'+ load':>8}{'machine busy':>14}")
    for r in results:
        database = f"{r.database_cpu_us:>12.0f}" if r.database_cpu_us else f"{'':>12}"
        busy = r.requests_per_s * r.machine_cpu_us / 1e6 / CORES
        print(f"{r.scenario:<22}{r.server:<16}{r.requests_per_s:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.unexpected:>9}{r.cpu_us:>12.0f}{database}{r.load_cpu_us:>8.0f}{busy:>13.0%}")
    print()
    for scenario in dict.fromkeys(r.scenario for r in results):
        prisms = [r for r in results if r.scenario == scenario and r.server == "prism"]
        prism = max(prisms, key=lambda r: r.requests_per_s, default=None)
        shown = " and ".join(f"{r.requests_per_s:.0f} req/s (p99 {r.p99_ms:.2f} ms)" for r in prisms)
        peer = f" (Prism in this run, before and after: {shown}; ratios to the better)" if prism else ""
        print(f"{scenario}{peer}:")
        ours = [r for r in results if r.scenario == scenario and r.server != "prism"]
        for result in ours:
            verdicts = [f"p99 {result.p99_ms:.2f} ms {'≤' if result.p99_ms <= TARGET_P99_MS else '>'} {TARGET_P99_MS:g} ms"]
            if prism is not None and prism.requests_per_s > 0:
                ratio = result.requests_per_s / prism.requests_per_s
                verdicts.insert(0, f"{ratio:.1f}× Prism ({'meets' if ratio >= TARGET_RATIO else 'misses'} {TARGET_RATIO:g}×)")
            store, _, workers = result.server.partition("×")
            single = next((r for r in ours if r.server == f"{store}×1"), None)
            if single is not None and workers != "1" and single.requests_per_s > 0:
                verdicts.append(f"{result.requests_per_s / single.requests_per_s:.2f}× its 1 worker")
            elif workers == "1" and result.machine_cpu_us > 0:
                # With every process keeping its CPU per answer, the cores bound what more workers can add.
                ceiling = CORES * 1e6 / result.machine_cpu_us / result.requests_per_s
                verdicts.append(f"the machine {result.requests_per_s * result.machine_cpu_us / 1e6 / CORES:.0%} busy"
                                f" (server + database + load), so more workers can reach at most {ceiling:.2f}× this")
            print(f"  {result.server:<14}" + "; ".join(verdicts))
    for cost in costs:
        print(f"{LIVE_SESSIONS:,} live sessions on {cost.store}: +{cost.memory_bytes / 2**20:.1f} MiB sandbox memory, "
              f"+{cost.database_bytes / 2**20:.2f} MiB in the database (made in {cost.seconds:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
