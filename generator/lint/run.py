"""Running lint over targets: read every file, check it, check the tree, print the findings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from apidocs.definitions.loader import OVERLAY_SUFFIX, SECTION_FILE
from apidocs.lint.codes import display_code
from apidocs.lint.definition import check_file
from apidocs.lint.source import SourceFile, read_sources
from apidocs.lint.target import LintTarget, resolve_targets
from apidocs.lint.templates import check_templates
from apidocs.lint.tree import check_tree
from apidocs.model.errors import Finding


def _contained(path: Path, what: str, error: Exception) -> Finding:
    """A check that failed on one file: reported on that file, the other files still linted."""
    return Finding(path, 1, "E000", f"lint could not {what} ({type(error).__name__}: {str(error)[:200]}); please report it")


def lint_target(target: LintTarget) -> list[Finding]:
    sources = read_sources(target)
    findings = list(target.findings)
    for source in sources:
        try:
            findings += check_file(source, target)
        except Exception as error:
            findings.append(_contained(source.path, "check this file", error))
    try:
        findings += check_tree(sources, target)
    except Exception as error:
        findings.append(_contained(target.root, "compare the files of this tree", error))
    target.definitions_read = sum(1 for source in sources if source.path in target.selected and _is_definition(source))
    chosen = _described_by(target)
    unique: dict[tuple[str, int, str, str], Finding] = {}
    for item in findings:
        path = Path(item.path).resolve()
        if path in chosen:
            unique.setdefault((str(path), item.line, item.code, item.message), item)
    if target.templates_selected and target.snippets_dir is not None:
        try:
            templates = check_templates(target.snippets_dir)
        except Exception as error:
            templates = [_contained(target.snippets_dir, "check the snippet templates", error)]
        for item in templates:
            unique.setdefault((str(Path(item.path).resolve()), item.line, item.code, item.message), item)
    return sorted(unique.values(), key=lambda f: (str(Path(f.path).resolve()), f.line, f.code))


def _is_definition(source: SourceFile) -> bool:
    """A file apidocs reads as its own (or could not read): what lint is for."""
    return bool(source.findings) or (source.document is not None and not source.document.passthrough)


def _described_by(target: LintTarget) -> set[Path]:
    """The files the user asked about, with the overlays and `.section.yml` files that shape them."""
    chosen = set(target.selected)
    for path in target.selected:
        chosen.add(path.with_name(path.stem + OVERLAY_SUFFIX))
        for folder in path.parents:
            chosen.add(folder / SECTION_FILE)
            if folder == target.root:
                break
    return chosen


def lint_paths(config_file: str | Path, paths: list[str], targets: list[LintTarget] | None = None) -> list[Finding]:
    """Every finding about the paths; `targets`, when given, receives the trees that were read."""
    findings: list[Finding] = []
    for target in resolve_targets(config_file, paths):
        findings += lint_target(target)
        if targets is not None:
            targets.append(target)
    return findings


def _shown_path(path: Path | str) -> str:
    """Paths as the user typed them: relative to the working folder when that is shorter."""
    absolute = Path(path).resolve()
    relative = os.path.relpath(absolute)
    return relative if len(relative) < len(str(absolute)) else str(absolute)


def format_finding(item: Finding) -> str:
    return f"{_shown_path(item.path)}:{item.line}: {display_code(item)} {item.message}"


def run_lint(config_file: str | Path, paths: list[str]) -> int:
    targets: list[LintTarget] = []
    findings = lint_paths(config_file, paths, targets)
    if not findings and not any(target.definitions_read or (target.templates_selected and not target.selected) for target in targets):
        where = ", ".join(paths) or str(config_file)
        print(f"apidocs lint: no definitions in {where}: no page with an endpoint `method`, `apidocs: true`, or a Jekyll "
              "collection's document (nothing was checked)", file=sys.stderr)
        return 1
    for item in findings:
        print(format_finding(item))
    errors = sum(1 for item in findings if item.is_error)
    warnings = len(findings) - errors
    print(f"apidocs lint: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)
    return 1 if errors else 0
