"""One definition file read for lint: as far as it can be read, whatever is wrong with it.

The build stops at a file's first error; lint wants every problem of the file. So a missing
include becomes a finding and an empty line, and when the loader refuses the file its text is
still cut into front matter, body and pasted snippets for the checks that need no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidocs.definitions.body import ParsedBody, RightCodeExample, parse_body, parse_right_code
from apidocs.definitions.loader import OVERLAY_SUFFIX, DefinitionLoader
from apidocs.model.errors import DefinitionError, Finding
from apidocs.definitions.frontmatter import FrontMatter, split_front_matter
from apidocs.definitions.liquid import Line, LiquidRenderer
from apidocs.model.endpoint import Document, Endpoint
from apidocs.definitions.pasted import PastedSnippet

_INCLUDE_ONLY = re.compile(r"^\s*{%-?\s*include\s[^\n]*%}\s*$")


class TolerantLiquid(LiquidRenderer):
    """Renders like the build, except that an include that fails becomes a finding and nothing."""

    def __init__(self, includes_dir: Path, site: dict[str, Any]) -> None:
        super().__init__(includes_dir, site)
        self.findings: list[Finding] = []

    def _render(self, source: str, path: Path | str, line: int) -> str:
        try:
            return super()._render(source, path, line)
        except DefinitionError as error:
            if not _INCLUDE_ONLY.match(source):
                raise
            if error.finding not in self.findings:
                self.findings.append(error.finding)
            return ""


@dataclass
class SourceFile:
    path: Path
    text: str
    front: FrontMatter | None = None
    lines: list[Line] = field(default_factory=list)  # the body after Liquid, numbered as in the file
    body: ParsedBody = field(default_factory=ParsedBody)
    right_code: list[RightCodeExample] = field(default_factory=list)
    document: Document | None = None  # None when the loader refused the file
    findings: list[Finding] = field(default_factory=list)
    overlay: Path | None = None

    @property
    def endpoint(self) -> Endpoint | None:
        return self.document if isinstance(self.document, Endpoint) else None

    @property
    def pasted(self) -> list[PastedSnippet]:
        return self.body.pasted

    @property
    def raw_title(self) -> str:
        title = self.front.data.get("title") if self.front else None
        return str(title).strip() if title is not None else ""

    def line_of(self, key: str) -> int:
        return self.front.line_of(key) if self.front else 1

    def is_pasted_line(self, number: int) -> bool:
        return any(snippet.line <= number <= snippet.end_line for snippet in self.pasted)

    @property
    def numbered_lines(self) -> list[tuple[int, str]]:
        return list(enumerate(self.text.split("\n"), start=1))


def read_source(path: Path, root: Path, liquid: TolerantLiquid, site: dict[str, Any]) -> SourceFile:
    try:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\ufeff")
    except UnicodeDecodeError as error:
        source = SourceFile(path, "")
        source.findings.append(Finding(path, 1, "E001", f"not UTF-8 text ({error.reason})"))
        return source
    source = SourceFile(path, text)
    overlay = path.with_name(path.stem + OVERLAY_SUFFIX)
    source.overlay = overlay if overlay.is_file() else None
    try:
        source.front = split_front_matter(text, path)
    except DefinitionError as error:
        source.findings.append(error.finding)
        return source

    liquid.findings = []
    try:
        source.lines = liquid.render_lines(source.front.body, source.front.body_line, path)
    except DefinitionError as error:
        source.findings.append(error.finding)
        source.lines = [Line(source.front.body_line + i, t) for i, t in enumerate(source.front.body.split("\n"))]
    source.body = parse_body(source.lines)
    right_code = source.front.data.get("right_code")
    if isinstance(right_code, str):
        try:
            source.right_code = parse_right_code(right_code, source.front.line_of("right_code") + 1, path)
        except DefinitionError:
            pass  # the loader reports it below

    loader = DefinitionLoader(root, liquid.includes_dir, site)
    loader.liquid = liquid
    try:
        source.document = loader.load_text(text, path)
    except DefinitionError as error:
        source.findings.append(error.finding)
    source.findings.extend(f for f in liquid.findings if f not in source.findings)
    return source
