"""OpenAPI import at scale: a generated spec of ~700 operations in multi-file `$ref` form.

Three builds of the same API, timed side by side in one run (CPU seconds of the processes):

- apidocs: `apidocs import-openapi` + `apidocs build --strict` (one searchable page per operation,
  snippets in four languages and a Try-it panel each);
- Redocly: `redocly build-docs` of the same spec (one HTML page for the whole API), from npm
  `@redocly/cli` (installed into a cache folder on first use);
- plain MkDocs: `mkdocs build --strict` of the very pages apidocs renders, pre-rendered to static
  Markdown (bench/build.py's `write_prerendered`);
- the engine's floor: `mkdocs build --strict` of the same nav with every page cut to its heading,
  Material with apidocs' bounded nav and search. No content, no import: what MkDocs + Material
  cost for one searchable page per operation before apidocs does anything.

Goals (issue 11): apidocs ≤ 2× Redocly, ≤ 1.15× plain MkDocs. The floor shows how much of the
first goal the engine alone takes.

    python bench/openapi.py [--operations 700] [--repeat 3] [--keep DIR]
    python bench/openapi.py --spec path/to/real-spec.json   # the same three, on a spec of your own
    python bench/openapi.py --scale 100 1000 5000 [--plain-up-to 1000]   # how each cost grows with size
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apidocs.site.plugin import MATERIAL_OVERRIDES
from build import timed, write_prerendered  # the sibling bench script

PYTHON = sys.executable
REDOCLY = "@redocly/cli@2.77.0"
CACHE = Path(__file__).resolve().parent / ".cache"
RESOURCES_PER_TAG = 4  # each resource has 5 operations: list, create, get, replace, delete


def schemas(tag: str) -> dict[str, object]:
    return {
        "Base": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "created": {"type": "string", "format": "date-time", "readOnly": True}}},
        "Item": {"allOf": [{"$ref": "#/Base"}, {"type": "object", "required": ["name", "kind"], "properties": {
            "name": {"type": "string", "minLength": 1, "example": f"{tag} item"},
            "note": {"type": ["string", "null"], "description": "Free text"},
            "kind": {"type": "string", "enum": ["small", "large"]},
            "size": {"oneOf": [{"$ref": "#/Metric"}, {"$ref": "#/Imperial"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "secret": {"type": "string", "writeOnly": True}}}]},
        "Metric": {"type": "object", "required": ["cm"], "properties": {"cm": {"type": "number", "minimum": 0}}},
        "Imperial": {"type": "object", "required": ["inches"], "properties": {"inches": {"type": "number", "minimum": 0}}},
        "Page": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/Item"}},
                                                   "next": {"type": ["string", "null"]}}},
    }


def path_items(tag: str, resource: str) -> dict[str, object]:
    ref = f"../schemas/{tag}.yaml"
    error = {"$ref": "../common.yaml#/responses/Error"}
    one = {"description": "The item", "content": {"application/json": {"schema": {"$ref": f"{ref}#/Item"}}}}
    name = f"{tag.title()}{resource.title()}"
    return {
        "collection": {
            "get": {"tags": [tag], "operationId": f"list{name}", "summary": f"List {resource} of {tag}",
                    "parameters": [{"$ref": "../common.yaml#/parameters/limit"}, {"$ref": "../common.yaml#/parameters/cursor"}],
                    "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": f"{ref}#/Page"}}}},
                                  "400": error}},
            "post": {"tags": [tag], "operationId": f"create{name}", "summary": f"Create a {resource} of {tag}",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"{ref}#/Item"}}}},
                     "responses": {"201": one, "422": error}},
        },
        "item": {
            "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}],
            "get": {"tags": [tag], "operationId": f"get{name}", "summary": f"Get a {resource} of {tag}",
                    "responses": {"200": one, "404": error}},
            "put": {"tags": [tag], "operationId": f"replace{name}", "summary": f"Replace a {resource} of {tag}",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"{ref}#/Item"}}}},
                    "responses": {"200": one, "404": error, "422": error}},
            "delete": {"tags": [tag], "operationId": f"delete{name}", "summary": f"Delete a {resource} of {tag}",
                       "responses": {"204": {"description": "Deleted"}, "404": error}},
        },
    }


def write_spec(folder: Path, operations: int) -> Path:
    tags = max(1, operations // (5 * RESOURCES_PER_TAG))
    (folder / "paths").mkdir(parents=True)
    (folder / "schemas").mkdir()
    common = {
        "parameters": {"limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                       "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"}}},
        "responses": {"Error": {"description": "An error", "content": {"application/problem+json": {"schema": {
            "type": "object", "required": ["title"], "properties": {"title": {"type": "string", "example": "Not valid"},
                                                                   "status": {"type": "integer", "example": 400}}}}}}},
    }
    (folder / "common.yaml").write_text(yaml.safe_dump(common, sort_keys=False), encoding="utf-8")
    paths: dict[str, object] = {}
    for index in range(tags):
        tag = f"area{index:02d}"
        (folder / "schemas" / f"{tag}.yaml").write_text(yaml.safe_dump(schemas(tag), sort_keys=False), encoding="utf-8")
        items: dict[str, object] = {}
        for number in range(RESOURCES_PER_TAG):
            resource = f"thing{number}"
            for key, value in path_items(tag, resource).items():
                items[f"{resource}-{key}"] = value
            paths[f"/{tag}/{resource}s"] = {"$ref": f"paths/{tag}.yaml#/{resource}-collection"}
            paths[f"/{tag}/{resource}s/{{item_id}}"] = {"$ref": f"paths/{tag}.yaml#/{resource}-item"}
        (folder / "paths" / f"{tag}.yaml").write_text(yaml.safe_dump(items, sort_keys=False), encoding="utf-8")
    spec = {"openapi": "3.1.0", "info": {"title": "Generated API", "version": "1.0"},
            "servers": [{"url": "https://api.example.com/v1"}],
            "security": [{"bearer": []}],
            "tags": [{"name": f"area{index:02d}"} for index in range(tags)],
            "paths": paths,
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}
    target = folder / "openapi.yaml"
    target.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return target


def redocly_command() -> list[str]:
    """`redocly` from npm, installed once into bench/.cache (npm registry only)."""
    binary = CACHE / "node_modules" / ".bin" / "redocly"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing {REDOCLY} into {CACHE} …", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", REDOCLY], check=True,
                       capture_output=True, text=True)
    return [str(binary)]


@dataclass
class Figures:
    """CPU seconds of one spec's builds, the best of the repeats (plain: None when not run)."""

    operations: int
    pages: int
    imported: float
    built: float
    redocly: float
    plain: float | None
    floor: float | None

    @property
    def apidocs(self) -> float:
        return self.imported + self.built


def operation_count(spec: Path) -> int:
    """Operations of a spec whose paths may be `$ref`s into sibling files (as `write_spec` makes)."""
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    count = 0
    for item in (document.get("paths") or {}).values():
        if isinstance(item, dict) and "$ref" in item:
            file, _, pointer = item["$ref"].partition("#/")
            item = yaml.safe_load((spec.parent / file).read_text(encoding="utf-8"))[pointer]
        count += sum(1 for method in item if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"))
    return count


def write_floor(plain_config: Path, folder: Path) -> Path:
    """The plain project with each page cut to its heading, and apidocs' bounded nav (its Material
    partials) in place of Material's whole nav on every page: the engine's part of a build."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(plain_config.parent, folder)
    for page in (folder / "docs").rglob("*.md"):
        heading = next((line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("# ")),
                       f"# {page.stem}")
        page.write_text(f"{heading}\n", encoding="utf-8")
    config = yaml.safe_load((folder / plain_config.name).read_text(encoding="utf-8"))
    theme = config["theme"] if isinstance(config.get("theme"), dict) else {"name": "material"}
    theme["custom_dir"] = str(MATERIAL_OVERRIDES)
    config["theme"] = theme
    (folder / plain_config.name).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder / plain_config.name


def measure(spec: Path, work: Path, repeat: int, redocly: list[str], plain: bool) -> Figures:
    """apidocs (import + strict build), Redocly and, when `plain`, plain MkDocs on one spec."""
    project = work / "project"
    plain_config = None
    floor_config = None
    if plain:  # the plain side needs the rendered pages once (its Markdown is what the plugin makes)
        subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(work / "render-source")], check=True,
                       capture_output=True)
        plain_config = write_prerendered(work / "render-source" / "mkdocs.yml", work / "plain")
        floor_config = write_floor(plain_config, work / "floor")
    parts: list[tuple[float, float]] = []  # (import, build) of each apidocs run
    redocly_runs: list[float] = []
    plain_runs: list[float] = []
    floor_runs: list[float] = []
    for _ in range(repeat):
        shutil.rmtree(project, ignore_errors=True)
        _, imported = timed([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(project)])
        _, built = timed([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "build", "--strict",
                          "-d", str(work / "site-apidocs")])
        parts.append((imported, built))
        redocly_runs.append(timed([*redocly, "build-docs", str(spec), "-o", str(work / "redoc.html")])[1])
        if plain_config is not None:
            plain_runs.append(timed([PYTHON, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(plain_config),
                                     "-d", str(work / "site-plain")])[1])
            floor_runs.append(timed([PYTHON, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(floor_config),
                                     "-d", str(work / "site-floor")])[1])
    imported, built = min(parts, key=sum)
    pages = sum(1 for _ in (work / "site-apidocs").rglob("index.html"))
    return Figures(operation_count(spec), pages, imported, built, min(redocly_runs), min(plain_runs) if plain_runs else None,
                   min(floor_runs) if floor_runs else None)


def report_one(figures: Figures, source: str, repeat: int) -> None:
    print(f"{source}; {figures.pages} HTML pages built by apidocs; CPU seconds, best of {repeat}:")
    print(f"    apidocs import + strict build  {figures.apidocs:7.2f} s   (import {figures.imported:.2f} s, build {figures.built:.2f} s)")
    print(f"    redocly build-docs             {figures.redocly:7.2f} s   apidocs / redocly = {figures.apidocs / figures.redocly:4.2f}x (goal <= 2x)")
    if figures.plain is not None:
        print(f"    plain mkdocs build (same pages){figures.plain:7.2f} s   apidocs / plain   = {figures.apidocs / figures.plain:4.2f}x (goal <= 1.15x)")
    if figures.floor is not None:
        print(f"    engine floor (headings only)   {figures.floor:7.2f} s   floor / redocly   = {figures.floor / figures.redocly:4.2f}x"
              f"   (MkDocs + Material, bounded nav, search; no content, no import)")
    print(f"    (load average at the end: {os.getloadavg()[0]:.2f})")


def report_scale(rows: list[Figures], repeat: int) -> None:
    """Per operation at each size, and how the cost per operation grows from the smallest size."""
    print(f"\nScale: CPU seconds, best of {repeat}; ms per operation in brackets")
    print(f"{'operations':>10} | {'apidocs':>16} | {'redocly':>16} | {'apidocs/redocly':>15} | {'plain mkdocs':>16} | {'apidocs/plain':>13}")
    for row in rows:
        plain = (f"{row.plain:6.2f} s ({1000 * row.plain / row.operations:5.1f})" if row.plain is not None
                 else f"{'(not run)':>16}")
        plain_ratio = f"{row.apidocs / row.plain:12.2f}x" if row.plain is not None else f"{'':>13}"
        print(f"{row.operations:>10} | {row.apidocs:6.2f} s ({1000 * row.apidocs / row.operations:5.1f}) |"
              f" {row.redocly:6.2f} s ({1000 * row.redocly / row.operations:5.1f}) | {row.apidocs / row.redocly:14.2f}x |"
              f" {plain} | {plain_ratio}")
    first, last = rows[0], rows[-1]
    if len(rows) > 1:
        def growth(figure: Callable[[Figures], float]) -> float:
            return (figure(last) / last.operations) / (figure(first) / first.operations)

        print(f"cost per operation at {last.operations} over {first.operations}: apidocs {growth(lambda r: r.apidocs):.2f}x,"
              f" redocly {growth(lambda r: r.redocly):.2f}x (1.00x: linear)")
    print(f"(load average at the end: {os.getloadavg()[0]:.2f})")


def use_compiled_bytecode() -> None:
    """The timed processes read compiled bytecode, as an installed apidocs does (pip compiles it
    at install time). With PYTHONDONTWRITEBYTECODE set, as some shells and CI set it, each apidocs
    process compiled our own modules anew: about 0.1 s of every import and build. Kept under
    bench/.cache, out of the source tree; MkDocs and Redocly run in the same environment."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    subprocess.run([PYTHON, "-c", "import apidocs, compileall, pathlib; "
                                  "compileall.compile_dir(pathlib.Path(apidocs.__file__).parent, quiet=1)"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=700)
    parser.add_argument("--scale", type=int, nargs="*", default=None, metavar="N",
                        help="generated specs of about N operations each (default 100 1000 5000)")
    parser.add_argument("--plain-up-to", type=int, default=1000, metavar="N",
                        help="with --scale: build plain MkDocs only up to N operations (its nav makes it quadratic)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", default=None, help="keep the generated folders here")
    parser.add_argument("--spec", default=None, help="time this spec (one file or many) instead of a generated one")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="apidocs-openapi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        redocly = redocly_command()
        use_compiled_bytecode()
        if args.scale is not None:
            rows = []
            for count in args.scale or [100, 1000, 5000]:
                folder = work / f"scale-{count}"
                shutil.rmtree(folder, ignore_errors=True)
                rows.append(measure(write_spec(folder / "spec", count), folder, args.repeat, redocly,
                                    plain=count <= args.plain_up_to))
                print(f"  {rows[-1].operations} operations: apidocs {rows[-1].apidocs:.2f} s, redocly {rows[-1].redocly:.2f} s",
                      flush=True)
            report_scale(rows, args.repeat)
            return 0
        spec = Path(args.spec).resolve() if args.spec else write_spec(work / "spec", args.operations)
        figures = measure(spec, work, args.repeat, redocly, plain=True)
        report_one(figures, spec.name if args.spec else f"{args.operations} operations requested", args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
