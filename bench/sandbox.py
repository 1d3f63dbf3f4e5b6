"""How fast is the sandbox, next to the Prism mock server, in one run?

Both servers run as their own processes on loopback; the load comes from a third process
(`wrk` when installed — `apt-get install wrk` — else a small asyncio load generator in this
file) over 32 keep-alive connections. Scenarios:

- `GET order`: `GET /timp/orders/<uuid>/` with the supplier's token;
- `cancel/reject cycle`: each connection has its own open orders and, in a loop, the retailer
  asks to cancel them (`PATCH /timp/orders/cancel/`) and the supplier rejects that
  (`PATCH .../reject/`): state changes that are all 200 when the sandbox is right (any other
  answer is counted and shown).

Prism gets an OpenAPI document generated from the same definitions. It is installed once with
npm under .apidocs/bench/ (or pass --prism PATH, or --no-prism).

    python bench/sandbox.py [--duration 5] [--connections 32] [--no-prism]

Targets (issue 3): sandbox ≥ 3× Prism's requests/s, p99 ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    unexpected: int  # answers other than 2xx, plus socket errors
    cpu_us: float  # the server process's CPU time per request: what a busy machine cannot skew


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def start_sandbox(config: Path, db: Path) -> tuple[subprocess.Popen[bytes], int]:
    command = [sys.executable, "-m", "apidocs", "-f", str(config), "sandbox", "--port", "0", "--db", str(db), "--reset"]
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

def scenarios(orders: list[str], connections: int) -> dict[str, list[list[Call]]]:
    """Per connection, the requests it sends in a loop.

    In the cycle each connection owns `ORDERS_PER_CONNECTION` open orders: it asks to cancel
    each, then rejects each, so that requests can also be dealt out per wrk thread (see
    `per_thread`) without a reject overtaking its own cancel.
    """
    supplier = {"Authorization": f"Token {SUPPLIER}"}
    retailer = {"Authorization": f"Token {RETAILER}", "Content-Type": "application/json"}
    get = [Call("GET", f"/timp/orders/{DETAIL_ORDER}/", supplier)]
    cycles = []
    for index in range(connections):
        own = orders[index * ORDERS_PER_CONNECTION : (index + 1) * ORDERS_PER_CONNECTION]
        cycles.append([Call("PATCH", "/timp/orders/cancel/", retailer, json.dumps({"order_uuid": order})) for order in own]
                      + [Call("PATCH", f"/timp/orders/cancel/{order}/reject/", supplier) for order in own])
    return {"GET order": [get] * connections, "cancel/reject cycle": cycles}


def per_thread(sequences: list[list[Call]], threads: int) -> list[list[Call]]:
    """wrk asks a thread, not a connection, for the next request: deal each thread its
    connections' sequences step by step. A thread's request for an order comes at least as
    many requests after the previous one for it as the thread has connections, so the
    previous one has been answered (connections send one request at a time)."""
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
    p50 = _milliseconds(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return rate, p50, p99, bad


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
    return {"rate": len(latencies) / elapsed, "p50": latencies[len(latencies) // 2] * 1000,
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

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--prism", default=None, help="path to the prism executable")
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (default: wrk when installed, else the asyncio one)")
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        load_worker()
        return 0

    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk") is not None)
    if use_wrk and shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    generator = "wrk" if use_wrk else "asyncio load generator (install wrk for lower client overhead)"
    print(f"{os.cpu_count()} CPUs; load: {generator}; {args.connections} connections; {args.duration:g} s per run")
    # Warm-up and measurement each get their own orders: a run may stop mid-cycle.
    count = args.connections * ORDERS_PER_CONNECTION
    orders = bench_orders(2 * count)
    warm_up, measured = orders[:count], orders[count:]
    processes: list[subprocess.Popen[bytes]] = []
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="apidocs-bench-") as tmp:
        folder = Path(tmp)
        try:
            config = write_project(folder, orders)
            sandbox, sandbox_port = start_sandbox(config, folder / "bench.sqlite3")
            processes.append(sandbox)
            servers = {"sandbox": sandbox_port}
            pids = {"sandbox": sandbox.pid}
            prism = None if args.no_prism else find_prism(args.prism)
            if prism is not None:
                settings = load_settings(ROOT / "mkdocs.yml")
                endpoints, _ = load_endpoints(settings)
                document = folder / "openapi.json"
                document.write_text(json.dumps(openapi_document(endpoints, settings)), encoding="utf-8")
                prism_process, prism_port = start_prism(prism, document)
                processes.append(prism_process)
                servers["prism"] = prism_port
                pids["prism"] = prism_process.pid
            warm_ups = scenarios(warm_up, args.connections)
            for scenario, sequences in scenarios(measured, args.connections).items():
                for server, port in servers.items():
                    run = run_wrk if use_wrk else (lambda p, s, d, _f: run_python_load(p, s, d))
                    run(port, warm_ups[scenario], min(1.0, args.duration), folder)  # JIT, caches, connections
                    before = cpu_seconds(pids[server])
                    rate, p50, p99, bad = run(port, sequences, args.duration, folder)
                    cpu_us = (cpu_seconds(pids[server]) - before) / max(rate * args.duration, 1) * 1e6
                    results.append(Result(scenario, server, rate, p50, p99, bad, cpu_us))
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    report(results)
    return 0


def report(results: list[Result]) -> None:
    print(f"\n{'scenario':<22}{'server':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'CPU µs/req':>12}")
    for r in results:
        print(f"{r.scenario:<22}{r.server:<10}{r.requests_per_s:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.unexpected:>9}{r.cpu_us:>12.0f}")
    print()
    for scenario in dict.fromkeys(r.scenario for r in results):
        ours = next(r for r in results if r.scenario == scenario and r.server == "sandbox")
        verdicts = [f"p99 {ours.p99_ms:.2f} ms {'≤' if ours.p99_ms <= TARGET_P99_MS else '>'} {TARGET_P99_MS:g} ms"]
        prism = next((r for r in results if r.scenario == scenario and r.server == "prism"), None)
        if prism is not None and prism.requests_per_s > 0:
            ratio = ours.requests_per_s / prism.requests_per_s
            verdicts.insert(0, f"{ratio:.1f}× Prism ({'meets' if ratio >= TARGET_RATIO else 'misses'} the {TARGET_RATIO:g}× target)")
            if ours.cpu_us > 0:
                verdicts.append(f"{prism.cpu_us / ours.cpu_us:.1f}× less server CPU per request")
        print(f"{scenario}: " + "; ".join(verdicts))


if __name__ == "__main__":
    sys.exit(main())
