"""Liquid in definition bodies: Jekyll-style `{% include path %}` and `{{ site.* }}` values.

The result keeps, for every output line, the source line it came from: text produced by an
include is attributed to the include's line, so parameter findings still point at `file:line`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

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
# Source line marks: private-use characters, which no definition needs and Liquid leaves alone.
_MARK = "\ue000{}\ue001"
_MARK_PATTERN = re.compile("\ue000(\\d+)\ue001")


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


def jekyll_filters(site: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The filters Jekyll adds to Liquid that docs pages use, so pages written for Jekyll render alike."""
    baseurl = str(site.get("baseurl") or "").rstrip("/")
    url = str(site.get("url") or "").rstrip("/")

    def relative_url(value: Any) -> str:
        text = str(value if value is not None else "")
        if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.I) or text.startswith("//"):
            return text
        return f"{baseurl}/{text.lstrip('/')}" if baseurl else "/" + text.lstrip("/")

    def slugify(value: Any, mode: Any = "default") -> str:
        return re.sub(r"[^a-z0-9._~]+" if mode == "pretty" else r"[^a-z0-9]+", "-", str(value or "").lower()).strip("-")

    return {
        "relative_url": relative_url,
        "absolute_url": lambda value: url + relative_url(value),
        "slugify": slugify,
        "jsonify": lambda value: json.dumps(value, default=str),
        "xml_escape": lambda value: html.escape(str(value if value is not None else "")),
        "cgi_escape": lambda value: quote_plus(str(value if value is not None else "")),
        "uri_escape": lambda value: quote(str(value if value is not None else ""), safe="/:?#[]@!$&'()*+,;=-._~%"),
        "markdownify": lambda value: str(value if value is not None else ""),
        "number_of_words": lambda value: len(str(value or "").split()),
    }


class LiquidRenderer:
    """Renders definition bodies with the project's includes and `site` values."""

    def __init__(self, includes_dir: Path, site: dict[str, Any]) -> None:
        self.includes_dir = includes_dir
        self.environment = BoundedEnvironment(loader=CachingFileSystemLoader(str(includes_dir)))
        self.site = {"baseurl": "", **site}
        for name, function in jekyll_filters(self.site).items():
            self.environment.add_filter(name, function)

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
        and the rendering goes on (lint and the loader's collecting read); otherwise it raises.

        Each source line that starts outside a Liquid tag is marked before rendering, and each output
        line takes the number of the first mark it holds (or of the last mark before it): blocks that
        drop or repeat lines, tags spanning lines and includes of any length keep every later line
        at its own number."""
        if "{%" not in body and "{{" not in body:
            return [Line(first_line + i, text) for i, text in enumerate(body.split("\n"))]
        source_lines = body.split("\n")
        includes: dict[int, list[str]] = {}
        skeleton: list[str] = []
        in_raw = False
        open_tag = False  # inside a `{% … %}` or `{{ … }}` that spans lines: no mark may go there
        for index, text in enumerate(source_lines):
            starts_in_tag = open_tag
            if _RAW_START.search(text):
                in_raw = not _RAW_END.search(text)
            elif in_raw and _RAW_END.search(text):
                in_raw = False
            if not in_raw and not starts_in_tag and _INCLUDE_LINE.match(text) and text.rstrip().endswith("%}"):
                rendered = self._render_include(text.strip(), path, first_line + index, findings)
                includes[index] = rendered.rstrip("\n").split("\n")
                skeleton.append(_MARK.format(index) + _PLACEHOLDER.format(index))
                continue
            if not in_raw:
                open_tag = _ends_inside_tag(text, open_tag)
            skeleton.append(text if starts_in_tag else _MARK.format(index) + text)
        rendered_body = self._render("\n".join(skeleton), path, first_line).split("\n")
        lines: list[Line] = []
        current = 0
        for text in rendered_body:
            marks = _MARK_PATTERN.findall(text)
            if marks:
                current = int(marks[0])
                text = _MARK_PATTERN.sub("", text)
            if text.startswith("\x00apidocs-include-"):
                origin = int(text.strip("\x00").rsplit("-", 1)[1])
                lines.extend(Line(first_line + origin, produced) for produced in includes[origin])
            else:
                lines.append(Line(first_line + current, text))
        return lines


def _ends_inside_tag(text: str, inside: bool) -> bool:
    """Whether a line leaves a Liquid tag or output open (its `{%`/`{{` closes on a later line)."""
    position = 0
    while True:
        if inside:
            close = min((i for i in (text.find("%}", position), text.find("}}", position)) if i >= 0), default=-1)
            if close < 0:
                return True
            inside, position = False, close + 2
        else:
            start = min((i for i in (text.find("{%", position), text.find("{{", position)) if i >= 0), default=-1)
            if start < 0:
                return False
            inside, position = True, start + 2
