"""Checks across the files of one tree: duplicates, positions, server hosts, audiences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from apidocs.definitions.audiences import audiences_showing, sections_above, visibility_names
from apidocs.definitions.jekyll_tree import HIDDEN
from apidocs.definitions.loader import DocsTree, alternative_finding, alternative_pairs, duplicate_finding, duplicate_pairs
from apidocs.definitions.snippet_checks import request_of
from apidocs.lint.codes import finding
from apidocs.lint.source import SourceFile
from apidocs.lint.target import LintTarget
from apidocs.model.endpoint import Document
from apidocs.model.errors import Finding
from apidocs.model.positions import LAST


def docs_tree(sources: Iterable[SourceFile], target: LintTarget) -> DocsTree:
    tree = DocsTree(sections=dict(target.sections))
    for source in sources:
        if source.document is not None:
            tree.documents[source.document.src_uri] = source.document
    return tree


def check_tree(sources: list[SourceFile], target: LintTarget) -> list[Finding]:
    tree = docs_tree(sources, target)
    by_document = {id(s.document): s for s in sources if s.document is not None}
    return [*_duplicates(tree, target), *_positions(tree, by_document), *_hosts(sources, target),
            *_audiences(tree, by_document, target)]


def _audience_sets(tree: DocsTree, target: LintTarget) -> dict[str, set[str]]:
    names = visibility_names(tree) | set(target.audiences)
    return {uri: set(audiences_showing(document, tree, names, target.audiences)) for uri, document in tree.documents.items()}


def _duplicates(tree: DocsTree, target: LintTarget) -> list[Finding]:
    """Two pages for one route (the build's E017): an error when some site shows both, a warning
    when they are for different audiences."""
    audiences = _audience_sets(tree, target) if target.builds_per_audience else {}
    findings = []
    for endpoint, other in duplicate_pairs(tree.documents.values()):
        shared = audiences.get(endpoint.src_uri, set()) & audiences.get(other.src_uri, set()) if audiences else {"the site"}
        item = duplicate_finding(endpoint, other, "error" if shared else "warning")
        item.message += f" (both shown to {', '.join(sorted(shared))})" if shared else " (for another audience)"
        findings.append(item)
    findings += [alternative_finding(endpoint, other) for endpoint, other in alternative_pairs(tree.documents.values())]
    return findings


def _positions(tree: DocsTree, by_document: dict[int, SourceFile]) -> list[Finding]:
    """Two pages at one position in one section: their order is left to chance."""
    by_folder: dict[str, list[Document]] = {}
    for document in sorted(tree.documents.values(), key=lambda d: d.src_uri):
        if document.position != LAST:
            by_folder.setdefault(document.src_uri.rpartition("/")[0], []).append(document)
    findings = []
    for documents in by_folder.values():
        for index, document in enumerate(documents):
            # Compared pairwise: 4.0 and 4.00 are one position, whatever their spelling.
            earlier = next((other for other in documents[:index] if other.position == document.position), None)
            if earlier is not None:
                source = by_document[id(document)]
                findings.append(finding(source.path, source.line_of("position"), 402,
                                        f"position {document.position} is also the position of {earlier.source.name} "
                                        "in this section: their order is arbitrary", is_error=False))
    return findings


def _hosts(sources: list[SourceFile], target: LintTarget) -> list[Finding]:
    """Pasted snippets should all talk to the configured servers, or at least to one host."""
    used: list[tuple[SourceFile, str, int]] = []
    for source in sources:
        for snippet in source.pasted:
            request = request_of(snippet)
            if request is not None and request.host:
                used.append((source, request.host, request.line))
    if not used:
        return []
    if target.server_hosts:
        expected = {host.rstrip("/") for host in target.server_hosts}
        reason = f"the configured servers are {', '.join(sorted(expected))}"
    else:
        counts = Counter(host for _, host, _ in used)
        top, top_count = counts.most_common(1)[0]
        expected = {top}
        reason = f"{top_count} of {len(used)} snippets use {top}"
    findings = []
    reported: set[tuple[str, str]] = set()
    for source, host, line in used:
        key = (str(source.path), host)
        if host in expected or key in reported:
            continue
        reported.add(key)
        findings.append(finding(source.path, line, 310, f"snippet uses {host}; {reason}", is_error=False))
    return findings


def _audiences(tree: DocsTree, by_document: dict[int, SourceFile], target: LintTarget) -> list[Finding]:
    """Pages no audience's site lists (only meaningful when the site is built per audience)."""
    if not target.builds_per_audience:
        return []
    findings = []
    for uri, shown_to in _audience_sets(tree, target).items():
        if shown_to:
            continue
        document = tree.documents[uri]
        source = by_document[id(document)]
        line = source.line_of("visibility") if source.front and "visibility" in source.front.data else source.line_of("title")
        sections = [s for s in sections_above(tree, document) if s.path]
        if not document.visibility:
            why = "it has no `visibility`"
        elif sections and sections[0].visibility == [HIDDEN]:
            why = f"its section {sections[0].title!r} has no visibility, so no audience lists it"
        elif sections and sections[0].visibility:
            why = (f"its visibility is {', '.join(document.visibility)} but its section {sections[0].title!r} "
                   f"is for {', '.join(sections[0].visibility)}")
        elif sections:
            why = f"its section {sections[0].title!r} has no visibility"
        else:
            why = f"no audience is named {', '.join(document.visibility)}"
        findings.append(finding(source.path, line, 404, f"no audience sees this page: {why}", is_error=False))
    return findings
