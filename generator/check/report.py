"""What a check run tells people: a grid for the terminal and JUnit XML for CI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from apidocs.check.session import FAIL, PASS, SKIP, SnippetResult, display_path
from apidocs.check.statuses import FAIL as STATUS_FAIL
from apidocs.check.statuses import NOT_REACHED, StatusResult
from apidocs.model.errors import Finding
from apidocs.rendering.languages import Language

_CELL = {PASS: "ok", FAIL: "FAIL", SKIP: "skip"}
_ROW_WIDTH = 58
# Characters XML 1.0 cannot carry (snippet output may contain them).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def format_duration(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f}ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.1f}s"


def _row_label(result: SnippetResult) -> str:
    label = f"{result.endpoint.method:<6} {result.endpoint.path}"
    return label if len(label) <= _ROW_WIDTH else label[: _ROW_WIDTH - 1] + "…"


def grid(results: list[SnippetResult], languages: list[Language]) -> str:
    """Endpoints down, languages across; each cell says ok/FAIL/skip and how long the snippet ran."""
    rows: dict[str, dict[str, SnippetResult]] = {}
    labels: dict[str, str] = {}
    for result in results:
        key = result.endpoint.src_uri
        rows.setdefault(key, {})[result.language.name] = result
        labels[key] = _row_label(result)
    width = max([len(label) for label in labels.values()] + [8])
    cell = max([len(language.label) for language in languages] + [12])
    lines = ["endpoint".ljust(width) + "  " + "  ".join(language.label.ljust(cell) for language in languages)]
    for key, cells in rows.items():
        parts = []
        for language in languages:
            ran = cells.get(language.name)
            if ran is None:
                parts.append("-".ljust(cell))
            elif ran.outcome == SKIP:
                parts.append("skip".ljust(cell))
            else:
                parts.append(f"{_CELL[ran.outcome]:<5}{format_duration(ran.elapsed):>7}".ljust(cell))
        lines.append(labels[key].ljust(width) + "  " + "  ".join(parts))
    return "\n".join(line.rstrip() for line in lines)


def summary(results: list[SnippetResult], elapsed: float, jobs: int) -> str:
    counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in (PASS, FAIL, SKIP)}
    return (f"{len(results)} snippets: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped "
            f"in {format_duration(elapsed)} (-j {jobs})")


def render_report(results: list[SnippetResult], languages: list[Language], elapsed: float, jobs: int) -> str:
    """The grid, then every failure and skip in full, then the one-line summary."""
    parts = [grid(results, languages)]
    failures = [r.message for r in results if r.outcome == FAIL]
    skips = [r.message for r in results if r.outcome == SKIP]
    if failures:
        parts.append("\n\n".join(failures))
    if skips:
        parts.append("\n".join(skips))
    parts.append(summary(results, elapsed, jobs))
    return "\n\n".join(parts)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_xml(results: list[SnippetResult], elapsed: float, load_errors: list[Finding] | None = None,
              statuses: list[StatusResult] | None = None, target: str | None = None) -> str:
    """One testcase per endpoint × language (classname = definition file, name = language), one
    per documented error answer, plus one erroring testcase per definition that could not be
    loaded, so CI shows those too."""
    load_errors = load_errors or []
    statuses = statuses or []
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": "apidocs check",
        "tests": str(len(results) + len(statuses) + len(load_errors)),
        "failures": str(sum(1 for r in results if r.outcome == FAIL) + sum(1 for s in statuses if s.outcome == STATUS_FAIL)),
        "errors": str(len(load_errors)),
        "skipped": str(sum(1 for r in results if r.outcome == SKIP) + sum(1 for s in statuses if s.outcome == NOT_REACHED)),
        "time": f"{elapsed:.3f}",
    })
    if target:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "target", "value": _xml_text(target)})
    for result in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": result.endpoint.src_uri,
            "name": f"{result.endpoint.method} {result.endpoint.path} [{result.language.label}]",
            "file": display_path(result.endpoint.source),
            "time": f"{result.elapsed:.3f}",
        })
        if result.outcome == FAIL:
            failure = ET.SubElement(case, "failure", {"message": _xml_text(result.problems[0] if result.problems else "failed")})
            failure.text = _xml_text(result.message)
            if result.snippet:
                ET.SubElement(case, "system-out").text = _xml_text(result.snippet)
        elif result.outcome == SKIP:
            ET.SubElement(case, "skipped", {"message": _xml_text("; ".join(result.problems))})
    for status in statuses:
        case = ET.SubElement(suite, "testcase", {
            "classname": status.endpoint.src_uri,
            "name": f"{status.endpoint.method} {status.endpoint.path} [documented {status.status}]",
            "file": display_path(status.endpoint.source), "time": f"{status.elapsed:.3f}",
        })
        if status.outcome == STATUS_FAIL:
            ET.SubElement(case, "failure", {"message": _xml_text(status.problems[0] if status.problems else "failed")}).text = \
                _xml_text("\n".join(status.problems))
        elif status.outcome == NOT_REACHED:
            ET.SubElement(case, "skipped", {"message": "no probe of the check reaches this status"})
    for finding in load_errors:
        case = ET.SubElement(suite, "testcase", {"classname": str(finding.path), "name": "load definition",
                                                 "file": str(finding.path), "time": "0"})
        ET.SubElement(case, "error", {"message": _xml_text(f"{finding.code} {finding.message}")}).text = _xml_text(str(finding))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, results: list[SnippetResult], elapsed: float, load_errors: list[Finding] | None = None,
                statuses: list[StatusResult] | None = None, target: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(results, elapsed, load_errors, statuses, target), encoding="utf-8")
