"""How much does `apidocs check` cost per snippet, next to just starting each runtime?

1. Bare start of each runtime, the floor any per-process snippet pays: `python -c "import
   requests"`, `node -e ""`, `curl --version`, `http --version` (median of --repeat runs).
2. A generated project of --endpoints definitions (paths with parameters, queries, headers,
   JSON bodies, documented responses) checked in all four languages by a real
   `apidocs check --junit` process with the default -j against its own fresh sandbox. The
   whole wall time is measured from outside; the per-snippet times come from the JUnit XML.

    python bench/check.py [--endpoints 100] [--repeat 10] [-j N]

Targets (issue 4, on a 2-core machine): whole run ≤ 40 s; Python snippets ≤ 10 ms each.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_WHOLE_S, TARGET_PYTHON_MS = 40.0, 10.0
METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"]

BARE = {
    "curl": ["curl", "--version"],
    "HTTPie": [str(BIN / "http"), "--version"],
    "Python": [sys.executable, "-c", "import requests"],
    "Node.js": ["node", "-e", ""],
}


def bare_start(argv: list[str], repeat: int) -> float:
    """Median seconds to start `argv` and let it exit."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def definition(index: int) -> str:
    """One endpoint definition with everything a snippet has to carry."""
    method = METHODS[index % len(METHODS)]
    front: dict[str, object] = {
        "title": f"/bench/things/&lt;thing_id&gt;/n{index}/",
        "method": method.lower(),
        "name": f"Bench endpoint {index}",
        "position": index + 1,
        "example": {
            "params": {"thing_id": f"t-{index} é ü"},
            "query": {"page": index, "tag": ["a&b", "c d", ""], "flag": False},
            "headers": {"X-Request-Note": f"it's \"{index}\" $HOME `id`"},
        },
        "responses": [{"status": 200, "body": {"id": index, "name": f"thing {index}", "ok": True,
                                               "created": "2026-11-22T18:00:00Z", "tags": ["x", "y"]}}],
    }
    if method in ("POST", "PATCH", "PUT"):
        front["example"]["body"] = {"name": f"n\\{index}\n", "count": 2**60 + index, "ratio": 0.1,  # type: ignore[index]
                                    "nested": [[], {"k": None}], "emoji": "😀"}
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\nA generated endpoint.\n"


def make_project(folder: Path, count: int) -> Path:
    docs = folder / "docs" / "bench"
    docs.mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# Bench\n")
    for index in range(count):
        (docs / f"endpoint-{index:03d}.md").write_text(definition(index), encoding="utf-8")
    shutil.copytree(ROOT / "includes", folder / "includes")
    shutil.copytree(ROOT / "snippets", folder / "snippets")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    (folder / "mkdocs.yml").write_text(config, encoding="utf-8")
    return folder / "mkdocs.yml"


def run_check(config: Path, junit: Path, jobs: int | None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (the check, its sandbox and every snippet), exit code, output."""
    argv = [sys.executable, "-m", "apidocs", "-f", str(config), "check", "--junit", str(junit)]
    if jobs:
        argv += ["-j", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.returncode, completed.stdout + completed.stderr


def per_language(junit: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        label = case.get("name", "").rsplit("[", 1)[-1].rstrip("]")
        times.setdefault(label, []).append(float(case.get("time", "0")))
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=10, help="runs per bare-start measurement")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="passed to apidocs check (default: its own)")
    args = parser.parse_args()

    print(f"apidocs check benchmark: {os.cpu_count()} CPU(s), {args.endpoints} endpoints × 4 languages")
    bare = {label: bare_start(argv, args.repeat) for label, argv in BARE.items()}
    with tempfile.TemporaryDirectory(prefix="apidocs-bench-check-") as folder:
        config = make_project(Path(folder), args.endpoints)
        junit = Path(folder) / "check.xml"
        load_before = os.getloadavg()[0]
        whole, cpu, code, output = run_check(config, junit, args.jobs)
        load_after = os.getloadavg()[0]
        if code != 0 or not junit.exists():
            print(output[-4000:])
            print(f"apidocs check failed (exit {code}); numbers below would be meaningless")
            return 1
        times = per_language(junit)

    print()
    print(f"{'language':<10} {'bare start':>12}   {'snippet median':>14}  {'snippet p90':>12}  {'snippets':>8}  bare start command")
    for label, argv in BARE.items():
        samples = sorted(times.get(label, [0.0]))
        p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
        command = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
        print(f"{label:<10} {ms(bare[label]):>12}   {ms(statistics.median(samples)):>14}  {ms(p90):>12}  "
              f"{len(samples):>8}  {command}")
    total = sum(len(v) for v in times.values())
    jobs = args.jobs or os.cpu_count()
    python_median = statistics.median(times.get("Python", [0.0])) * 1000
    print()
    print(f"whole run: {total} snippets ({args.endpoints} endpoints × {len(times)} languages), -j {jobs}: "
          f"{whole:.1f} s wall (sandbox start included)   target ≤ {TARGET_WHOLE_S:.0f} s: "
          f"{'met' if whole <= TARGET_WHOLE_S else 'MISSED'}")
    cores = os.cpu_count() or 1
    print(f"CPU used by the run: {cpu:.1f} s (check + sandbox + snippets) → {cpu / cores:.1f} s on {cores} idle "
          f"core(s); 1-min load average {load_before:.1f} before, {load_after:.1f} after (other work slows all of this)")
    print(f"Python per snippet: {python_median:.1f} ms median   target ≤ {TARGET_PYTHON_MS:.0f} ms: "
          f"{'met' if python_median <= TARGET_PYTHON_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
