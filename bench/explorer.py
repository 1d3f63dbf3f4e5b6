"""How heavy is the "Try it" explorer, and how soon can a reader use it?

1. Weight: the explorer's script (as the build writes it) and stylesheet, raw and gzipped
   (level 9), against the issue's budget (25 KB gzipped together) and the bundles of the
   usual embeddable explorers, measured the same way from their npm packages as published
   now (`npm pack` into a temporary folder; skipped without npm). Pages without a panel do
   not load the explorer at all.
2. Time to an interactive explorer, in headless Chromium against a real `apidocs serve`:
   - first load: from navigation start to the panel being ready (the script's
     `apidocs-explorer-ready` performance mark), fresh browser context each run, and how much
     of it is the explorer's own start-up (the rest is the page: Material, fonts, scripts);
   - instant navigation: from the click on another endpoint in the nav to its panel being ready;
   - send: from pressing Send to the status showing `200 OK` (the same-origin sandbox).
   Medians of --repeat runs.

    python bench/explorer.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import requests

from apidocs.explorer.bundle import explorer_script

ROOT = Path(__file__).resolve().parent.parent

CSS = ROOT / "generator" / "assets" / "explorer.css"
BUDGET_GZIP = 25 * 1024
# The embeddable explorers a reader would otherwise load: npm package and the files a page
# includes to show it. Their sizes are measured from the packages as published today
# (`npm pack` into a temporary folder), never quoted.
PEERS = [
    ("Swagger UI", "swagger-ui-dist", ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]),
    ("Redoc", "redoc", ["bundles/redoc.standalone.js"]),
    ("Scalar API reference", "@scalar/api-reference", ["dist/browser/standalone.js"]),
    ("Stoplight Elements", "@stoplight/elements", ["web-components.min.js", "styles.min.css"]),
    ("RapiDoc", "rapidoc", ["dist/rapidoc-min.js"]),
]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FIRST = "orders-supplier/confirm-order-cancelation"
SECOND = "Reject Order Cancelation"
SEND_PAGE = "orders/get-order-detail"  # a GET: sending it again and again changes nothing


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def weight() -> int:
    script = explorer_script().encode("utf-8")
    style = CSS.read_bytes()
    rows = [("explorer.js", script), ("explorer.css", style)]
    total = 0
    print("Weight (what the browser downloads for the explorer)")
    for name, content in rows:
        packed = len(gzip.compress(content, 9))
        total += packed
        print(f"  {name:<14} {kb(len(content)):>9} raw  {kb(packed):>8} gzipped")
    verdict = "within" if total <= BUDGET_GZIP else "OVER"
    print(f"  {'total':<14} {'':>9}      {kb(total):>8} gzipped ({verdict} the {kb(BUDGET_GZIP)} budget)")
    peer_weights()
    return total


def peer_weights() -> None:
    """The peers' bundles from their published packages (`npm pack`, no install scripts run)."""
    if shutil.which("npm") is None:
        print("  peers: npm is not installed, their sizes are not measured")
        return
    with tempfile.TemporaryDirectory(prefix="apidocs-bench-peers-") as folder:
        packed = subprocess.run(["npm", "pack", "--silent", "--pack-destination", folder, *(package for _, package, _ in PEERS)],
                                capture_output=True, text=True, timeout=600)
        if packed.returncode != 0:
            print(f"  peers: npm pack failed, their sizes are not measured ({packed.stderr.strip()[-300:]})")
            return
        tarballs = [Path(folder) / name for name in packed.stdout.split()]
        for label, package, files in PEERS:
            stem = package.removeprefix("@").replace("/", "-") + "-"  # npm's tarball name: scope-name-version.tgz
            tarball = next(path for path in tarballs if path.name.startswith(stem) and path.name[len(stem)].isdigit())
            with tarfile.open(tarball) as archive:
                contents = [archive.extractfile(f"package/{name}") for name in files]
                data = [content.read() for content in contents if content is not None]
            raw = sum(len(content) for content in data)
            packed_size = sum(len(gzip.compress(content, 9)) for content in data)
            version = tarball.name.removesuffix(".tgz").rsplit("-", 1)[-1]
            print(f"  peer: {label} ({package} {version}: {', '.join(files)}) {kb(raw):>9} raw  {kb(packed_size):>8} gzipped")


def start_serve(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`apidocs serve --port 0` and the base URL its banner reports, once it answers."""
    apidocs = str(Path(sys.executable).parent / "apidocs")
    with log.open("wb") as out:
        process = subprocess.Popen([apidocs, "-f", str(ROOT / "mkdocs.yml"), "serve", "--port", "0"], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 90
    base = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"apidocs serve exited:\n{log.read_text(errors='replace')}")
        banner = re.search(r"^apidocs: docs on (http://\S+?)/? ", log.read_text(errors="replace"), re.MULTILINE)
        base = banner.group(1) if banner else ""
        try:
            if base and requests.get(f"{base}/", timeout=2).ok:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("apidocs serve did not start in 90 s")


def timings(base: str, repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    first: list[float] = []
    loaded: list[float] = []
    init: list[float] = []
    instant: list[float] = []
    sends: list[float] = []
    ready = "() => performance.getEntriesByName('apidocs-explorer-ready').map(m => m.startTime)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context()
            context.route("https://fonts.g*/**", lambda route: route.abort())  # no network here
            page = context.new_page()
            page.goto(f"{base}/{FIRST}/", wait_until="commit")
            page.wait_for_selector("[data-apidocs-explorer][data-ready]")
            first.append(page.evaluate(ready)[-1])
            loaded.append(page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventStart"))
            init.append(page.evaluate("performance.getEntriesByName('apidocs-explorer-init')[0].duration"))
            clicked = page.evaluate("performance.now()")
            page.locator(".md-nav").get_by_role("link", name=SECOND).first.click()
            page.wait_for_function(f"({ready})().length > 1")
            instant.append(page.evaluate(ready)[-1] - clicked)
            page.goto(f"{base}/{SEND_PAGE}/")
            page.wait_for_selector("[data-apidocs-explorer][data-ready]")
            started = page.evaluate("performance.now()")
            page.get_by_role("button", name="Send", exact=True).click()
            page.wait_for_function("document.querySelector('[data-apidocs-explorer] [role=status]').textContent.startsWith('200')")
            sends.append(page.evaluate("performance.now()") - started)
            context.close()
        browser.close()
    print(f"\nTime to an interactive explorer (headless Chromium, median of {repeat})")
    print(f"  first load, navigation start → panel ready:   {statistics.median(first):7.0f} ms")
    print(f"    of which the explorer's own start-up:          {statistics.median(init):7.1f} ms"
          f"  (the page reaches DOMContentLoaded at {statistics.median(loaded):.0f} ms)")
    print(f"  instant navigation, click → next panel ready: {statistics.median(instant):7.0f} ms")
    print(f"  Send → '200 OK' shown (same-origin sandbox):   {statistics.median(sends):7.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    weight()
    if not Path(CHROMIUM).exists():
        print(f"\n{CHROMIUM} is missing: timings skipped (make test installs it)")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="apidocs-bench-"))
    process, base = start_serve(workdir / "serve.log")
    try:
        timings(base, args.repeat)
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
