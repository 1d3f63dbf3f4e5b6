"""How fast does `apidocs serve` show a saved change, and what does it cost while idle?

On a generated project (bench/build.py's definitions, sections of 20; default 1,000 endpoints):

1. save -> served: a definition's prose is changed and saved; the time until the page the server
   answers shows the change (median of --repeat edits of different pages). Target: <= 1 s.
2. nav move: a definition's name changes (its nav label on the pages of its section); the time
   until a neighbour's page shows it. Target: <= 3 s.
3. idle CPU: CPU seconds the serving process uses over --idle seconds with nothing changing,
   against plain `mkdocs serve` of the same pages pre-rendered (same run). Target: <= plain.

    python bench/serve.py [--endpoints 1000] [--repeat 5] [--idle 20]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import definition, write_prerendered, write_project  # the sibling bench script

PYTHON = sys.executable
BANNER = re.compile(r"(?:apidocs: docs on|Serving on) (http://\S+?)/? ?$", re.MULTILINE)


def start(argv: list[str], log: Path, cwd: Path, timeout: float = 900) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{argv[:4]} exited:\n{log.read_text(errors='replace')[-3000:]}")
        found = BANNER.search(log.read_text(errors="replace"))
        if found:
            try:
                if requests.get(found.group(1) + "/", timeout=5).ok:
                    return process, found.group(1)
            except requests.RequestException:
                pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{argv[:4]} did not come up in {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as probe:  # MkDocs' own serve needs a number; it cannot report port 0's pick
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(value) for value in fields[11:15]) / ticks


def served_shows(url: str, marker: str, timeout: float = 120) -> float:
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if marker in requests.get(url, timeout=timeout).text:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.01)
    raise SystemExit(f"{url} did not show the change within {timeout:.0f} s")


def page_of(index: int) -> tuple[str, str]:
    section = f"section-{index // 20:03d}"
    return f"{section}/endpoint-{index:04d}.md", f"{section}/endpoint-{index:04d}/"


def idle_cpu(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)  # measuring idleness: nothing to wait for but the clock
    return cpu_seconds(pid) - before


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU measured on each side")
    parser.add_argument("--no-nav-move", action="store_true", help="skip the nav move (a full build at this size)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="apidocs-bench-serve-"))
    ok = True
    try:
        project = work / "project"
        project.mkdir()
        config = write_project(project, args.endpoints)
        plain_config = write_prerendered(config, work / "prerendered")
        began = time.perf_counter()
        process, base = start([PYTHON, "-m", "apidocs", "-f", str(config), "serve", "--port", "0"], work / "serve.log", project)
        print(f"{args.endpoints} endpoints: apidocs serve up in {time.perf_counter() - began:.1f} s (first full build)", flush=True)
        try:
            times = []
            for attempt in range(args.repeat):
                index = (attempt * 97 + 13) % args.endpoints
                source, url = page_of(index)
                marker = f"Saved change {time.time_ns()}"
                path = project / "docs" / source
                path.write_text(definition(index).replace(f"Does thing number {index}.", f"{marker}. Does thing number {index}."),
                                encoding="utf-8")
                times.append(served_shows(f"{base}/{url}", marker))
            median = statistics.median(times)
            ok &= median <= 1.0
            print(f"  save -> served (one definition's text): median {median:.2f} s of {args.repeat} "
                  f"(min {min(times):.2f}, max {max(times):.2f}; target <= 1 s) {'ok' if median <= 1.0 else 'OVER TARGET'}",
                  flush=True)
            if not args.no_nav_move:
                index = 41
                source, _ = page_of(index)
                _, neighbour = page_of(index + 1)
                label = f"Renamed {time.time_ns()}"
                (project / "docs" / source).write_text(
                    definition(index).replace(f"name: Bench endpoint {index}\n", f"name: {label}\n"), encoding="utf-8")
                moved = served_shows(f"{base}/{neighbour}", label, timeout=900)
                ok &= moved <= 3.0
                print(f"  nav move (a name in the nav), save -> neighbour served: {moved:.2f} s (target <= 3 s) "
                      f"{'ok' if moved <= 3.0 else 'OVER TARGET'}", flush=True)
            ours = idle_cpu(process.pid, args.idle)
        finally:
            stop(process)
        plain, _ = start([PYTHON, "-m", "mkdocs", "serve", "-f", str(plain_config), "-a", f"127.0.0.1:{free_port()}"],
                         work / "plain.log", work / "prerendered")
        try:
            theirs = idle_cpu(plain.pid, args.idle)
        finally:
            stop(plain)
        ok &= ours <= theirs
        print(f"  idle CPU over {args.idle:.0f} s: apidocs serve {ours:.2f} s, plain mkdocs serve {theirs:.2f} s "
              f"(target: <= plain) {'ok' if ours <= theirs else 'OVER TARGET'}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
