"""The pipeline's direction, checked on the source: definitions → model → rendering → site, with
the siblings (sandbox, check, explorer, lint, jekyll, openapi) consuming the same model and
never importing one another. A new import that reaches back up, or across, fails here with the
file and line, before it becomes a cycle someone has to untangle."""

from __future__ import annotations

import ast
from pathlib import Path

GENERATOR = Path(__file__).resolve().parent.parent / "generator"

BASE = {"model", "config"}
STAGES = BASE | {"definitions", "rendering"}
SIBLINGS = ("sandbox", "check", "explorer", "lint", "jekyll", "openapi")
# What each package may import from apidocs, besides itself.
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "config": {"model"},
    "definitions": BASE,
    "rendering": BASE | {"definitions"},
    **{sibling: set(STAGES) for sibling in SIBLINGS},
    "site": STAGES | {"sandbox", "explorer", "openapi"},  # the MkDocs glue serves and publishes them
    "cli": STAGES | set(SIBLINGS) | {"site"},  # the command line wires everything, as thin glue
}


def package_of(path: Path) -> str:
    relative = path.relative_to(GENERATOR)
    return relative.parts[0] if len(relative.parts) > 1 else "cli"  # cli.py, __main__.py, __init__.py


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, package) of every `apidocs.<package>` the module imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "apidocs" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_every_package_imports_only_what_comes_before_it() -> None:
    modules = sorted(GENERATOR.rglob("*.py"))
    assert len(modules) > 50 and {package_of(path) for path in modules} >= set(ALLOWED) - {"cli"}
    wrong = []
    for path in modules:
        package = package_of(path)
        assert package in ALLOWED, f"{path}: a package the pipeline does not place yet (add it to ALLOWED)"
        for line, imported in imported_packages(path):
            if imported != package and imported not in ALLOWED[package] and imported != "__version__":
                wrong.append(f"{path.relative_to(GENERATOR.parent)}:{line}: {package} imports apidocs.{imported}")
    assert wrong == []


def test_the_check_finds_an_import_across_siblings(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("import os\nfrom apidocs.sandbox.sessions import HEADER\nimport apidocs.lint.run as lint\n")
    assert imported_packages(module) == [(2, "sandbox"), (3, "lint")]
    assert not {"sandbox", "lint"} & ALLOWED["check"]
