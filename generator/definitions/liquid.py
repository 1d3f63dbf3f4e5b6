"""Liquid in definition bodies: Jekyll-style `{% include path %}` and `{{ site.* }}` values.

The result keeps, for every output line, the source line it came from: text produced by an
include is attributed to the include's line, so parameter findings still point at `file:line`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquid import CachingFileSystemLoader, Environment
from liquid.exceptions import LiquidError, ResourceLimitError

from apidocs.definitions.format import LIQUID_CONTEXT_DEPTH, LIQUID_LOOP_ITERATIONS, LIQUID_NAMESPACE_BYTES, LIQUID_OUTPUT_BYTES
from apidocs.model.errors import DefinitionError, Finding

# Jekyll writes the include path bare (`{% include timp/x.md %}`); Liquid wants a string.
_BARE_INCLUDE = re.compile(r"({%-?\s*include\s+)([^\s'\"%}][^\s%}]*)")
_INCLUDE_LINE = re.compile(r"^\s*{%-?\s*include\s")
_RAW_START = re.compile(r"{%-?\s*raw\s*-?%}")
_RAW_END = re.compile(r"{%-?\s*endraw\s*-?%}")
_PLACEHOLDER = "\x00apidocs-include-{}\x00"


@dataclass(frozen=True)
class Line:
    number: int  # line in the source file
    text: str


_RAW_BLOCK = re.compile(r"({%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%})", re.S)


def quote_bare_includes(text: str) -> str:
    """Quote Jekyll's bare include paths, leaving `{% raw %}` blocks as they are."""
    parts = _RAW_BLOCK.split(text)
    return "".join(part if index % 2 else _BARE_INCLUDE.sub(lambda m: f"{m.group(1)}'{m.group(2)}'", part)
                   for index, part in enumerate(parts))


class BoundedEnvironment(Environment):
    """Liquid with a ceiling on time and memory: a definition is untrusted input."""

    loop_iteration_limit = LIQUID_LOOP_ITERATIONS
    output_stream_limit = LIQUID_OUTPUT_BYTES
    context_depth_limit = LIQUID_CONTEXT_DEPTH
    local_namespace_limit = LIQUID_NAMESPACE_BYTES


class LiquidRenderer:
    """Renders definition bodies with the project's includes and `site` values."""

    def __init__(self, includes_dir: Path, site: dict[str, Any]) -> None:
        self.includes_dir = includes_dir
        self.environment = BoundedEnvironment(loader=CachingFileSystemLoader(str(includes_dir)))
        self.site = {"baseurl": "", **site}

    def _render(self, source: str, path: Path | str, line: int) -> str:
        try:
            return self.environment.from_string(quote_bare_includes(source)).render(site=self.site)
        except LiquidError as error:
            context = error.context()
            offset = context[0] - 1 if context and error.template_name is None else 0
            message = getattr(error, "message", None) or str(error).splitlines()[0]
            if isinstance(error, ResourceLimitError):
                raise DefinitionError(path, line + offset, f"Liquid: {message} (limits: {LIQUID_LOOP_ITERATIONS:,} loop "
                                      f"iterations, {LIQUID_OUTPUT_BYTES:,} bytes of output, includes "
                                      f"{LIQUID_CONTEXT_DEPTH} deep)", "E011") from None
            if "TemplateNotFound" in type(error).__name__ or "not found" in str(message).lower():
                message = f"include not found in {self.includes_dir}: {message}"
            raise DefinitionError(path, line + offset, f"Liquid: {message}", "E010") from None
        except RecursionError:
            raise DefinitionError(path, line, "Liquid: templates nested too deeply", "E011") from None

    def _render_include(self, source: str, path: Path | str, line: int, findings: list[Finding] | None) -> str:
        """An include line; with `findings`, a failing include is recorded and renders as nothing."""
        try:
            return self._render(source, path, line)
        except DefinitionError as error:
            if findings is None or error.finding.code != "E010":
                raise
            if error.finding not in findings:
                findings.append(error.finding)
            return ""

    def render_lines(self, body: str, first_line: int, path: Path | str, findings: list[Finding] | None = None) -> list[Line]:
        """The rendered body, line by line. Given `findings`, an include that fails is recorded there
        and the rendering goes on (lint and the loader's collecting read); otherwise it raises."""
        if "{%" not in body and "{{" not in body:
            return [Line(first_line + i, text) for i, text in enumerate(body.split("\n"))]
        source_lines = body.split("\n")
        includes: dict[int, list[str]] = {}
        skeleton: list[str] = []
        in_raw = False
        for index, text in enumerate(source_lines):
            if _RAW_START.search(text):
                in_raw = not _RAW_END.search(text)
            elif in_raw and _RAW_END.search(text):
                in_raw = False
            if not in_raw and _INCLUDE_LINE.match(text) and text.rstrip().endswith("%}"):
                rendered = self._render_include(text.strip(), path, first_line + index, findings)
                includes[index] = rendered.rstrip("\n").split("\n")
                skeleton.append(_PLACEHOLDER.format(index))
            else:
                skeleton.append(text)
        rendered_body = self._render("\n".join(skeleton), path, first_line).split("\n")
        exact = len(rendered_body) == len(source_lines)
        lines: list[Line] = []
        for index, text in enumerate(rendered_body):
            number = first_line + (index if exact else min(index, len(source_lines) - 1))
            if text.startswith("\x00apidocs-include-"):
                origin = int(text.strip("\x00").rsplit("-", 1)[1])
                lines.extend(Line(first_line + origin, produced) for produced in includes[origin])
            else:
                lines.append(Line(number, text))
        return lines
