"""What does apidocs add to a MkDocs build?

1. Issue 2: N generated endpoint definitions (default 160 and 1,000) built with
   `apidocs build --strict`, against the same pages pre-rendered to static Markdown (the very
   Markdown the plugin produces, with the same nav, theme, extensions and CSS) built with plain
   `mkdocs build --strict`. Target: apidocs ≤ 1.15× plain.
2. Issue 6: a Jekyll (Aviator) tree of 160 endpoint files in the shared sample's style (pasted
   snippets with cookies, includes, `{{ site.baseurl }}` links, collections) imported with
   `apidocs import-jekyll` and built with `apidocs build --strict`, against plain `mkdocs build`
   of the same number of pre-rendered pages. Target: import + build ≤ 1.2× plain.

Every build is a real process, timed from outside; each side runs --repeat times, alternating,
and the fastest run counts (the least disturbed by the rest of the machine).

3. Issue 16 (`--scale 100 1000 5000`): CPU per endpoint, site size and one page's size as the
   count grows, beside plain `mkdocs build` of the same pages (Material's full nav on every
   page). Targets: CPU per endpoint at 1,000 within 1.2x of the smallest count's; 1,000
   endpoints in <= 10 s CPU and <= 60 MB on disk.

    python bench/build.py [--endpoints 160 1000] [--jekyll 160] [--repeat 5] [--keep DIR]
    python bench/build.py --scale 100 1000 5000 [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from apidocs.site.prerender import render_tree
from apidocs.site.zensical import zensical_installed

ROOT = Path(__file__).resolve().parent.parent

PYTHON = sys.executable
TARGET_DEFINITIONS, TARGET_JEKYLL = 1.15, 1.20
METHODS = ["get", "post", "patch", "put", "delete"]
PER_SECTION = 20
UUID = "3f756137-f575-4337-b61f-d55b917b146b"

RESPONSE_CODES_INCLUDE = 'For standard response codes see:\n<a href="{{ site.baseurl }}/#documentationresponse_codes">Response Codes</a>\n'
ADDRESS_INCLUDE = "".join(f"{name}\n: (string) The {name.replace('_', ' ')} of the address\n\n"
                          for name in ("name", "address1", "city", "state", "postal_code"))


# --- issue 2: definitions in this project's format -----------------------------------------

def definition(index: int) -> str:
    """One endpoint in the seeds' style: path parameter, parameter lists, include, right_code."""
    method = METHODS[index % len(METHODS)]
    has_body = method in ("post", "patch", "put")
    front: dict[str, object] = {
        "title": f"/bench/things/&lt;thing_uuid&gt;/n{index}/",
        "name": f"Bench endpoint {index}",
        "position": f"5.{index // PER_SECTION}.{index % PER_SECTION}",
        "visibility": "public",
        "method": method,
        "description": f"Endpoint number {index} of the benchmark",
        "example": {"params": {"thing_uuid": UUID}, "query": {"page": index, "tag": ["a", "b"]},
                    **({"body": {"reason": f"because {index}", "count": index, "items": [{"sku": "x", "qty": 2}]}} if has_body else {})},
        "responses": [{"status": 200, "body": {"uuid": UUID, "status": "open", "items": [{"sku": "x", "qty": 2}] * 3}}],
    }
    body = [f"Does thing number {index}. It reads the *thing* and answers with its state.", "",
            "### URL Parameters:", "", "thing_uuid", ": (string) Universal Unique Identifier for the thing", ""]
    if has_body:
        body += ["### Request Parameters:", "", "reason", ": (string) ***Required*** Why", "", "count", ": (integer) How many", "",
                 "items", ": (array) Line items", ""]
    body += ["### Response Parameters:", "", "uuid", ": (string) The thing", "", "status", ": (string) Its state", "",
             "#### Address Object:", "", "{% include timp/objects/address_business.md %}", "",
             "### Expected Response Codes", "", "{% include timp/links/response_codes.md %}", ""]
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + "\n".join(body)


def write_project(folder: Path, count: int) -> Path:
    """A project like the shipped one, with `count` generated endpoints in sections of 20."""
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    docs = folder / "docs"
    includes = folder / "includes"
    shutil.copytree(ROOT / "includes", includes)
    shutil.copytree(ROOT / "snippets", folder / "snippets")
    docs.mkdir()
    (docs / "index.md").write_text("---\ntitle: Home\nposition: 1\nvisibility: public\n---\n# Bench\n\nHome.\n", encoding="utf-8")
    (docs / "response-codes.md").write_text("---\ntitle: Response Codes\nposition: 2\nvisibility: public\n---\n# Response Codes\n\n"
                                            "| Code | Meaning |\n|---|---|\n| 200 | OK |\n", encoding="utf-8")
    for index in range(count):
        section = docs / f"section-{index // PER_SECTION:03d}"
        if not section.is_dir():
            section.mkdir()
            (section / ".section.yml").write_text(yaml.safe_dump({"title": f"Section {index // PER_SECTION}",
                                                                  "position": f"5.{index // PER_SECTION}", "visibility": "public"}),
                                                  encoding="utf-8")
        (section / f"endpoint-{index:04d}.md").write_text(definition(index), encoding="utf-8")
    return folder / "mkdocs.yml"


# --- the plain MkDocs side: the same pages, pre-rendered -------------------------------------

def write_prerendered(config_file: Path, folder: Path) -> Path:
    """The Markdown the plugin would render for every page, as a plain project (`apidocs render`)."""
    return render_tree(config_file, folder).config_file


def compare_engines(config: Path, work: Path, count: int, repeat: int) -> None:
    """Issue 14: render + `zensical build`, beside plain `mkdocs build` of the same tree and our plugin build.

    Fastest of `repeat` runs each, wall and CPU; 'again' renders after one definition changed
    (only that page is rendered) and lets Zensical use its cache."""
    tree = work / f"engines-{count}"
    definition = next(config.parent.glob("docs/section-*/endpoint-0000.md"))
    sides: dict[str, list[tuple[float, float]]] = {"plugin build": [], "plain mkdocs": [], "render + zensical": [],
                                                   "again: 1 changed": []}
    for attempt in range(repeat):
        shutil.rmtree(tree, ignore_errors=True)
        sides["plugin build"].append(timed(apidocs("-f", str(config), "build", "-d", str(work / f"plugin-site-{count}"))))
        render = timed(apidocs("-f", str(config), "render", str(tree)))
        zensical = timed([PYTHON, "-m", "zensical", "build", "-f", str(tree / "mkdocs.yml")], cwd=tree)
        sides["render + zensical"].append((render[0] + zensical[0], render[1] + zensical[1]))
        sides["plain mkdocs"].append(timed([PYTHON, "-m", "mkdocs", "build", "-q", "-f", str(tree / "mkdocs.yml"),
                                            "-d", str(work / f"plain-site-{count}")]))
        definition.write_text(definition.read_text(encoding="utf-8").replace("Does thing", f"Did thing ({attempt})", 1), encoding="utf-8")
        render = timed(apidocs("-f", str(config), "render", str(tree)))
        zensical = timed([PYTHON, "-m", "zensical", "build", "-f", str(tree / "mkdocs.yml")], cwd=tree)
        sides["again: 1 changed"].append((render[0] + zensical[0], render[1] + zensical[1]))
    print(f"{count} definitions, engines (issue 14):", flush=True)
    for name, runs in sides.items():
        wall, cpu = min(runs, key=lambda run: run[1])
        print(f"    {name:<20} {cpu:6.2f} s CPU ({wall:6.2f} s wall)", flush=True)


# --- issue 16: how the build grows with the number of endpoints --------------------------------

SCALE_RATIO, SCALE_CPU_1000, SCALE_DISK_1000 = 1.20, 10.0, 60 * 1024 * 1024


def site_size(site: Path) -> tuple[int, int]:
    """Bytes of the files, and bytes of the disk blocks they take (what `du` counts)."""
    stats = [path.stat() for path in site.rglob("*") if path.is_file()]
    return sum(stat.st_size for stat in stats), sum(stat.st_blocks * 512 for stat in stats)


def scale(counts: list[int], work: Path, repeat: int) -> bool:
    """Issue 16: CPU per endpoint, site size and one page's size at each count, beside plain
    `mkdocs build` of the same pages pre-rendered (Material's full nav on every page), same run.

    Targets: CPU per endpoint at 1,000 within 1.2x of the smallest count's; 1,000 endpoints in
    <= 10 s CPU and <= 60 MB."""
    print("Scale (issue 16): apidocs build vs plain mkdocs build of the same pages, fastest of "
          f"{repeat}", flush=True)
    print(f"  {'endpoints':>9} | {'apidocs CPU':>11} | {'per endpoint':>12} | {'site':>9} | {'one page':>8} |"
          f" {'peak memory':>11} | {'plain CPU':>9} | {'per endpoint':>12} | {'plain site':>10} | {'plain memory':>12}",
          flush=True)
    per_endpoint: dict[int, float] = {}
    ok = True
    for count in counts:
        project = work / f"scale-{count}"
        project.mkdir()
        config = write_project(project, count)
        plain = write_prerendered(config, work / f"scale-plain-{count}")
        ours_runs, plain_runs = [], []
        for _ in range(repeat):
            ours_runs.append(measured(apidocs("-f", str(config), "build", "-d", str(project / "site"))))
            plain_runs.append(measured(mkdocs_build(plain, work / f"scale-plain-{count}/site")))
        ours_cpu, plain_cpu = min(run[1] for run in ours_runs), min(run[1] for run in plain_runs)
        ours_memory, plain_memory = max(run[2] for run in ours_runs), max(run[2] for run in plain_runs)
        ours_size, plain_size = site_size(project / "site"), site_size(work / f"scale-plain-{count}/site")
        page = project / "site" / "section-000" / "endpoint-0001" / "index.html"
        per_endpoint[count] = ours_cpu / count
        print(f"  {count:>9,} | {ours_cpu:>9.2f} s | {1000 * ours_cpu / count:>9.1f} ms | {ours_size[0] / 2**20:>6.1f} MB |"
              f" {page.stat().st_size / 1024:>5.0f} KB | {ours_memory:>7.0f} MiB | {plain_cpu:>7.2f} s |"
              f" {1000 * plain_cpu / count:>9.1f} ms | {plain_size[0] / 2**20:>7.1f} MB | {plain_memory:>8.0f} MiB", flush=True)
        if count == 1000:
            ok &= ours_cpu <= SCALE_CPU_1000 and ours_size[0] <= SCALE_DISK_1000
            print(f"    1,000 endpoints: {ours_cpu:.2f} s CPU (target <= {SCALE_CPU_1000:.0f} s), "
                  f"{ours_size[0] / 2**20:.1f} MB ({ours_size[1] / 2**20:.1f} MB in disk blocks; target <= 60 MB)", flush=True)
        shutil.rmtree(project / "site", ignore_errors=True)
        shutil.rmtree(work / f"scale-plain-{count}/site", ignore_errors=True)
    smallest = min(per_endpoint)
    for count, cost in sorted(per_endpoint.items()):
        if count != smallest:
            ratio = cost / per_endpoint[smallest]
            verdict = "ok" if ratio <= SCALE_RATIO else "OVER TARGET"
            if count == 1000:
                ok &= ratio <= SCALE_RATIO
            print(f"    CPU per endpoint at {count:,} / at {smallest:,}: {ratio:.2f}x (target <= {SCALE_RATIO:.1f}x at 1,000) {verdict}",
                  flush=True)
    return ok


# --- issue 6: a Jekyll tree in the sample's style ---------------------------------------------

def pasted_snippets(method: str, url: str, body: dict | None) -> str:
    """The four snippets a desktop HTTP client pastes, session cookie and all."""
    upper = method.upper()
    data = json.dumps(body, indent=2) if body is not None else None
    curl = f'curl -X "{upper}" "{url}" \\\n     -H \'Authorization: Token 1234567890\' \\\n' \
           f"     -H 'Content-Type: application/json; charset=utf-8' \\\n     -H 'Cookie: sessionid=h9qjyhleectu7aef5pkwma0jn2gxgitz'"
    if data:
        curl += " \\\n     -d $'" + data + "'"
    httpie = f"http --json {upper} '{url}' \\\n    'Authorization':'Token 1234567890' \\\n    'Cookie':'sessionid=h9qjyhleectu7aef5pkwma0jn2gxgitz'"
    python = (f"import requests\nimport json\n\n\ndef send_request():\n    # {upper} {url}\n    try:\n"
              f"        response = requests.{method}(\n            url=\"{url}\",\n            headers={{\n"
              "                \"Authorization\": \"Token 1234567890\",\n                \"Cookie\": \"sessionid=h9qjyhleectu7aef5pkwma0jn2gxgitz\",\n"
              f"            }},\n            data=json.dumps({data or ''})\n        )\n        print(response.status_code)\n"
              "    except requests.exceptions.RequestException:\n        print('HTTP Request failed')\n")
    host, _, path = url.removeprefix("https://").partition("/")
    node = ("(function(callback) {\n    const httpTransport = require('https');\n    const httpOptions = {\n"
            f"        hostname: '{host}',\n        port: '443',\n        path: '/{path}',\n        method: '{upper}',\n"
            '        headers: {"Authorization":"Token 1234567890","Cookie":"sessionid=h9qjyhleectu7aef5pkwma0jn2gxgitz"}\n'
            "    };\n    const request = httpTransport.request(httpOptions, (res) => callback(null, res.statusCode));\n"
            "    request.end();\n})((error, statusCode) => console.log(statusCode));\n")
    blocks = [("bash", curl, "Curl"), ("bash", httpie, "HTTPie"), ("python", python, "Python (requests)"), ("javascript", node, "Node.js")]
    return "\n".join(f"~~~ {lang}\n{code.rstrip()}\n\n~~~\n{{: title=\"{title}\" }}\n" for lang, code, title in blocks)


def jekyll_endpoint(index: int) -> str:
    method = METHODS[index % len(METHODS)]
    body = {"reason": f"because {index}", "count": index} if method in ("post", "patch", "put") else None
    right_code = ""
    if body is not None:
        right_code += "  ~~~ json\n" + "\n".join("  " + line for line in json.dumps(body, indent=2).split("\n")) + "\n  ~~~\n  {: title=\"Request\" }\n\n"
    response = {"uuid": UUID, "status": "open", "items": [{"sku": "x", "qty": 2}] * 3}
    right_code += "  ~~~ json\n" + "\n".join("  " + line for line in json.dumps(response, indent=2).split("\n")) + "\n  ~~~\n  {: title=\"Response\" }\n"
    url = f"https://api-sandbox.example.com/bench/things/{UUID}/n{index}/"
    lines = ["---", f"title: /bench/things/&lt;thing_uuid&gt;/n{index}/", f"name: Bench endpoint {index}",
             f"position: 5.{index // PER_SECTION}.{index % PER_SECTION}", "visibility: public", f"method: {method}",
             f"description: Endpoint number {index}", "right_code: |", right_code.rstrip("\n"), "", "---",
             f"Does thing number {index}.", "", "### URL Parameters:", "", "thing_uuid", ": (string) The thing", ""]
    if body is not None:
        lines += ["### Request Parameters:", "", "reason", ": (string) ***Required*** Why", "", "count", ": (integer) How many", ""]
    lines += ["#### Address Object:", "", "{% include timp/objects/address_business.md %}", "",
              "### Expected Response Codes", "", "{% include timp/links/response_codes.md %}", "", "",
              pasted_snippets(method, url, body)]
    return "\n".join(lines)


def write_jekyll_tree(folder: Path, count: int) -> Path:
    sections = (count + PER_SECTION - 1) // PER_SECTION
    collections = {"documentation": {"visibility": "public", "title": "Documentation", "position": 1.0}}
    collections |= {f"things_{n}": {"visibility": "public", "title": f"Things {n}", "position": f"5.{n}", "type": "api"}
                    for n in range(sections)}
    config = {"title": "Bench Docs", "description": "Generated", "url": "https://docs.example.com", "baseurl": "",
              "collections": collections}
    (folder / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (folder / "_includes/timp/links").mkdir(parents=True)
    (folder / "_includes/timp/objects").mkdir(parents=True)
    (folder / "_includes/timp/links/response_codes.md").write_text(RESPONSE_CODES_INCLUDE, encoding="utf-8")
    (folder / "_includes/timp/objects/address_business.md").write_text(ADDRESS_INCLUDE, encoding="utf-8")
    (folder / "_documentation").mkdir()
    (folder / "_documentation/response_codes.md").write_text(
        "---\ntitle: Response Codes\nvisibility: public\nposition: 5\n---\n\n| Code | Meaning |\n|---|---|\n| 200 | OK |\n", encoding="utf-8")
    for index in range(count):
        collection = folder / f"_things_{index // PER_SECTION}"
        collection.mkdir(exist_ok=True)
        (collection / f"endpoint_{index:04d}.md").write_text(jekyll_endpoint(index), encoding="utf-8")
    return folder


# --- timing ----------------------------------------------------------------------------------

def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process and its children."""
    return measured(argv, cwd)[:2]


def measured(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident MiB of one process and the
    children it waited for (`wait4` reports that process tree's own figures)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            sys.exit(f"bench: {' '.join(argv)} failed:\n{output.read()[-4000:].decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def apidocs(*args: str) -> list[str]:
    return [PYTHON, "-m", "apidocs", *args]


def mkdocs_build(config: Path, site: Path) -> list[str]:
    return [PYTHON, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(site)]


def compare(label: str, ours: list[list[str]], plain: list[str], repeat: int, target: float, prepare: list[Path]) -> bool:
    """Fastest of `repeat` alternating runs of both sides; ours may be several commands in a row.

    The verdict uses CPU time: both builds are single-threaded, so on an idle machine CPU time is
    the wall time, and on a busy one (CI, other jobs) it is the part that does not depend on them.
    """
    ours_runs, plain_runs = [], []
    for _ in range(repeat):
        for folder in prepare:
            shutil.rmtree(folder, ignore_errors=True)
        runs = [timed(argv) for argv in ours]
        ours_runs.append((sum(r[0] for r in runs), sum(r[1] for r in runs)))
        plain_runs.append(timed(plain))
    (ours_wall, ours_cpu), (plain_wall, plain_cpu) = min(ours_runs, key=lambda r: r[1]), min(plain_runs, key=lambda r: r[1])
    ratio = ours_cpu / plain_cpu
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(f"{label}\n    apidocs {ours_cpu:6.2f} s CPU ({ours_wall:6.2f} s wall)   plain mkdocs {plain_cpu:6.2f} s CPU "
          f"({plain_wall:6.2f} s wall)   ratio {ratio:4.2f}x (target <= {target:.2f}x) {verdict}", flush=True)
    return ratio <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, nargs="*", default=[160, 1000], help="definition counts (issue 2)")
    parser.add_argument("--jekyll", type=int, default=160, help="endpoint files in the Jekyll tree (issue 6; 0 skips)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated projects in this folder")
    parser.add_argument("--engines", action="store_true", help="also time render + zensical build (issue 14)")
    parser.add_argument("--scale", type=int, nargs="*", default=None, metavar="N",
                        help="issue 16 only: CPU per endpoint and size at these counts (e.g. 100 1000 5000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="apidocs-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        if args.scale is not None:
            return 0 if scale(args.scale or [100, 1000], work, args.repeat) else 1
        for count in args.endpoints:
            project = work / f"definitions-{count}"
            project.mkdir()
            config = write_project(project, count)
            plain = write_prerendered(config, work / f"prerendered-{count}")
            ok &= compare(f"{count} definitions, build --strict", [apidocs("-f", str(config), "build", "--strict", "-d", str(project / "site"))],
                          mkdocs_build(plain, work / f"prerendered-{count}/site"), args.repeat, TARGET_DEFINITIONS, [])
            if args.engines and zensical_installed():
                compare_engines(config, work, count, args.repeat)
        if args.jekyll:
            src = work / f"jekyll-{args.jekyll}"
            src.mkdir()
            write_jekyll_tree(src, args.jekyll)
            dest = work / f"imported-{args.jekyll}"
            subprocess.run(apidocs("import-jekyll", str(src), str(dest)), check=True, capture_output=True)
            plain = write_prerendered(dest / "mkdocs.yml", work / f"prerendered-jekyll-{args.jekyll}")
            shutil.rmtree(dest)
            ok &= compare(f"{args.jekyll}-endpoint Jekyll tree, import + build --strict",
                          [apidocs("import-jekyll", str(src), str(dest)),
                           apidocs("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(dest / "site"))],
                          mkdocs_build(plain, work / f"prerendered-jekyll-{args.jekyll}/site"), args.repeat, TARGET_JEKYLL, [dest])
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
