"""Liquid in definition bodies: Jekyll-style `{% include path %}` and `{{ site.* }}` values.

The result keeps, for every output line, the source line it came from: text produced by an
include is attributed to the include's line, so parameter findings still point at `file:line`.

Includes follow Jekyll: `{% include file.md key="value" other=variable %}` gives the include
`include.key` and `include.other`, and `{% include_relative part.md %}` reads a file beside the
page (never outside the tree, never through a symbolic link). A Jekyll tree is read in Jekyll's
lax mode (`lax=True`): an output strict Liquid refuses (`{{ /x }}`, an unknown filter) renders
as Jekyll rendered it, and each is a warning instead of an error.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from liquid import CachingFileSystemLoader, Environment
from liquid.ast import Node
from liquid.builtin.tags.include_tag import IncludeTag
from liquid.context import RenderContext
from liquid.exceptions import LiquidError, ResourceLimitError, TemplateNotFoundError
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG, Token

from apidocs.definitions.format import (
    LIQUID_CONTEXT_DEPTH,
    LIQUID_LOOP_ITERATIONS,
    LIQUID_NAMESPACE_BYTES,
    LIQUID_OUTPUT_BYTES,
    MAX_DEFINITION_BYTES,
)
from apidocs.model.errors import DefinitionError, Finding

# Jekyll writes the include path bare (`{% include timp/x.md %}`); Liquid wants a string.
_BARE_INCLUDE = re.compile(r"({%-?\s*include\s+)([^\s'\"%}][^\s%}]*)")
_INCLUDE_LINE = re.compile(r"^\s*{%-?\s*include(?:_relative)?\s")
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


class IncludeLoader(CachingFileSystemLoader):
    """The includes folder's files. A name no file can have (a NUL in it) is not found, like any
    missing include: the file system would raise ValueError for it instead."""

    def resolve_path(self, template_name: str) -> Path:
        if "\x00" in template_name:
            raise TemplateNotFoundError(template_name)
        return super().resolve_path(template_name)


class BoundedEnvironment(Environment):
    """Liquid with a ceiling on time and memory: a definition is untrusted input."""

    loop_iteration_limit = LIQUID_LOOP_ITERATIONS
    output_stream_limit = LIQUID_OUTPUT_BYTES
    context_depth_limit = LIQUID_CONTEXT_DEPTH
    local_namespace_limit = LIQUID_NAMESPACE_BYTES


# Jekyll's include syntax: a file name (bare, quoted or with `{{ }}`), then `name=value` pairs
# whose value is a quoted string or a variable.
_JEKYLL_FILE = re.compile(r"""\s*(?P<file>"[^"]*"|'[^']*'|(?:{{.*?}}|[^\s{])+)""", re.S)
_JEKYLL_PARAMETER = re.compile(r"""\s*(?P<name>[\w-]+)\s*=\s*(?:"(?P<double>[^"\\]*(?:\\.[^"\\]*)*)"|'(?P<single>[^'\\]*(?:\\.[^'\\]*)*)'|(?P<variable>[\w.\[\]'"-]+))""")
_VARIABLE_PART = re.compile(r"\[\s*(?:'([^']*)'|\"([^\"]*)\"|(\d+))\s*\]|([\w-]+)")
PAGE_PATH = "path"  # `page.path`, as Jekyll names it: the page's file relative to the tree


@dataclass(frozen=True)
class _JekyllParameter:
    name: str
    text: str | None  # a quoted value
    variable: list[object] | None  # or a variable's path (`site.title` → ["site", "title"])


def _jekyll_arguments(markup: str) -> tuple[str, list[_JekyllParameter]] | None:
    """(file, parameters) when the whole markup is Jekyll's include syntax; None otherwise."""
    head = _JEKYLL_FILE.match(markup)
    if head is None:
        return None
    parameters = []
    position = head.end()
    while markup[position:].strip():
        match = _JEKYLL_PARAMETER.match(markup, position)
        if match is None:
            return None
        position = match.end()
        quoted = match.group("double") if match.group("double") is not None else match.group("single")
        if quoted is not None:
            parameters.append(_JekyllParameter(match.group("name"), re.sub(r"\\(.)", r"\1", quoted), None))
            continue
        variable: list[object] = []
        for key, other, number, word in (m.groups() for m in _VARIABLE_PART.finditer(match.group("variable"))):
            variable.append(int(number) if number is not None else key if key is not None else other if other is not None else word)
        parameters.append(_JekyllParameter(match.group("name"), None, variable))
    file = head.group("file")
    return (file[1:-1] if file[:1] in ("'", '"') else file), parameters


class _JekyllIncludeNode(Node):
    """Jekyll's include: the file's template rendered with `include.*` set to the parameters."""

    relative = False

    def __init__(self, token: Token, file: str, parameters: list[_JekyllParameter]) -> None:
        super().__init__(token)
        self.file = file
        self.parameters = parameters
        self.blank = False

    def file_name(self, context: RenderContext) -> str:
        if "{{" not in self.file:
            return self.file
        return context.env.from_string(self.file).render(**dict(context.scope.items())).strip()

    def template(self, context: RenderContext, name: str) -> Any:
        try:
            return context.env.get_template(name.lstrip("/"), context=context, tag="include")
        except TemplateNotFoundError as error:
            error.token = self.token
            error.template_name = context.template.full_name()
            raise

    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        name = self.file_name(context)
        template = self.template(context, name)
        values: dict[str, object] = {}
        for parameter in self.parameters:
            if parameter.text is not None:
                values[parameter.name] = parameter.text
            elif parameter.variable:
                found = context.get(parameter.variable, token=self.token, default=None)
                values[parameter.name] = found
        namespace: dict[str, object] = {"include": values} if self.parameters else {}
        with context.extend(namespace, template=template):
            template.render_with_context(context, buffer, partial=True)
        return 1


def relative_file(root: Path, page_path: str, written: str) -> tuple[str, Path]:
    """The file `written` names beside the page `page_path` (relative to `root`): its path in the
    tree and the file. ValueError says why it is refused: it leaves the tree, passes a symbolic
    link, or is no file."""
    resolved: list[str] = []
    for part in (*Path(page_path).parent.parts, *written.split("/")):
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise ValueError("leaves the tree")
            resolved.pop()
        else:
            resolved.append(part)
    candidate = root
    for part in resolved:
        candidate = candidate / part
        if candidate.is_symlink():
            raise ValueError("passes a symbolic link")
    if not resolved or not candidate.is_file():
        raise ValueError(f"no such file beside {page_path}")
    return "/".join(resolved), candidate


class _JekyllRelativeNode(_JekyllIncludeNode):
    """Jekyll's include_relative: a file beside the page, inside the tree, not through a link."""

    def template(self, context: RenderContext, name: str) -> Any:
        root = context.globals.get(_RELATIVE_ROOT)
        page = context.globals.get("page")
        page_path = str(page.get(PAGE_PATH) or "") if isinstance(page, dict) else ""
        if not isinstance(root, Path) or not page_path:
            raise TemplateNotFoundError(f"include_relative {name}: this page is not in a tree it can be relative to",
                                        token=self.token)
        try:
            tree_path, candidate = relative_file(root, page_path, name)
        except ValueError as error:
            raise TemplateNotFoundError(f"include_relative {name}: {error}", token=self.token) from None
        if candidate.stat().st_size > MAX_DEFINITION_BYTES:
            raise TemplateNotFoundError(f"include_relative {name}: more than {MAX_DEFINITION_BYTES:,} bytes", token=self.token)
        text = candidate.read_text(encoding="utf-8", errors="replace")
        return context.env.from_string(text, name=tree_path, globals=context.globals)


class JekyllIncludeTag(Tag):
    """`include` as Jekyll reads it; Liquid's own forms (`with`, `for`, `key: value`) as Liquid does."""

    name = "include"
    block = False
    node_class = _JekyllIncludeNode

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        expression = stream.peek
        arguments = _jekyll_arguments(expression.value) if expression.kind == TOKEN_EXPRESSION else None
        if arguments is None:
            if self.node_class is _JekyllRelativeNode:
                stream.eat(TOKEN_TAG)
                raise TemplateNotFoundError("include_relative needs a file name", token=token)
            return IncludeTag(self.env).parse(stream)
        stream.eat(TOKEN_TAG)  # the parser steps past the expression itself, as after Liquid's include
        return self.node_class(token, *arguments)


class JekyllRelativeTag(JekyllIncludeTag):
    name = "include_relative"
    node_class = _JekyllRelativeNode


class _JekyllLinkNode(Node):
    """Jekyll's `{% link path %}`: the URL of a file of the tree (a build error when there is none)."""

    def __init__(self, token: Token, target: str) -> None:
        super().__init__(token)
        self.target = target
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        root = context.globals.get(_RELATIVE_ROOT)
        parts = [part for part in self.target.strip("/").split("/") if part not in ("", ".")]
        if not isinstance(root, Path) or ".." in parts or not parts or not root.joinpath(*parts).is_file():
            raise TemplateNotFoundError(f"link {self.target}: no such file in the tree (Jekyll stops the build)", token=self.token)
        site = context.globals.get("site")
        baseurl = str(site.get("baseurl") or "") if isinstance(site, dict) else ""
        folder = parts[0].lstrip("_") if len(parts) > 1 else ""
        buffer.write("/".join([baseurl.rstrip("/"), *([folder] if folder else []), *parts[1:-1], Path(parts[-1]).stem]) + "/")
        return 1


class JekyllLinkTag(Tag):
    """`link` (and `post_url`) as Jekyll reads them, for lint on a Jekyll tree."""

    name = "link"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        target = stream.current.value.strip() if stream.current.kind == TOKEN_EXPRESSION else ""
        return _JekyllLinkNode(token, target)


class JekyllPostUrlTag(JekyllLinkTag):
    name = "post_url"


_RELATIVE_ROOT = "\x00apidocs-relative-root"  # a global no Liquid name can reach


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


def add_jekyll_tags(environment: Environment) -> None:
    environment.add_tag(JekyllIncludeTag)
    environment.add_tag(JekyllRelativeTag)


_OUTPUT = re.compile(r"{{-?(?P<expression>.*?)-?}}", re.S)
# Ruby Liquid's QuotedFragment and VariableParser: what its lax mode reads out of an output.
_FRAGMENT = re.compile(r"""\"[^"]*"|'[^']*'|(?:[^\s,|'"]|"[^"]*"|'[^']*')+""")
_LOOKUP_PART = re.compile(r"\[[^\]]+\]|[\w-]+\??")
_FILTER = re.compile(r"\|\s*(?P<name>[\w-]+)(?P<arguments>\s*:(?:[^|'\"]|\"[^\"]*\"|'[^']*')*)?")
LAX_CODE = "W150"  # lint's code for Liquid that only Jekyll's lax mode renders


@dataclass(frozen=True)
class LaxChange:
    old: str
    new: str


class LaxOutputs:
    """Outputs as Jekyll's lax Liquid renders them where strict Liquid refuses them: the first
    fragment of the output, looked up, with the filters Liquid knows (unknown ones pass the value)."""

    def __init__(self, site: dict[str, Any]) -> None:
        self.site = {"baseurl": "", **site}
        self.environment: Environment = BoundedEnvironment()
        for name, function in jekyll_filters(self.site).items():
            self.environment.add_filter(name, function)

    def renders(self, source: str) -> bool:
        try:
            self.environment.from_string(source).render(site=self.site)
        except (LiquidError, RecursionError, ValueError, TypeError):
            return False
        return True

    def value(self, expression: str) -> str:
        known = "".join(match.group(0) for match in _FILTER.finditer(expression) if match.group("name") in self.environment.filters)
        head = _FRAGMENT.search(expression.split("|", 1)[0])
        if head is not None and known and self.renders("{{ " + head.group(0) + " " + known + " }}"):
            return str(self.environment.from_string("{{ " + head.group(0) + " " + known + " }}").render(site=self.site))
        if head is None:
            return ""
        fragment = head.group(0)
        if fragment[:1] in ("'", '"'):
            return fragment[1:-1]
        parts = _LOOKUP_PART.findall(fragment)
        if len(parts) == 2 and parts[0] == "site":
            found = self.site.get(parts[1])
            return "" if found is None or isinstance(found, (dict, list)) else str(found)
        return ""

    def rewrite(self, text: str) -> tuple[str, list[LaxChange]]:
        """A line with each output strict Liquid refuses written as the text Jekyll rendered."""
        if "{{" not in text:
            return text, []
        changes: list[LaxChange] = []
        kept = [(match.start(), match.end()) for match in _RAW_BLOCK.finditer(text)]

        def output(match: re.Match[str]) -> str:
            if any(start <= match.start() < end for start, end in kept) or self.renders(match.group(0)):
                return match.group(0)
            value = self.value(match.group("expression"))
            changes.append(LaxChange(match.group(0), value))
            return "{% raw %}" + value + "{% endraw %}" if ("{{" in value or "{%" in value) else value

        return _OUTPUT.sub(output, text), changes


class LiquidRenderer:
    """Renders definition bodies with the project's includes and `site` values.

    `relative_root`: the folder `page.path` and `include_relative` are relative to (the docs
    folder, or the Jekyll tree); `lax`: Jekyll's lax reading of outputs, each a warning."""

    def __init__(self, includes_dir: Path, site: dict[str, Any], relative_root: Path | None = None, lax: bool = False) -> None:
        self.includes_dir = includes_dir
        self.environment = BoundedEnvironment(loader=IncludeLoader(str(includes_dir)))
        self.site = {"baseurl": "", **site}
        for name, function in jekyll_filters(self.site).items():
            self.environment.add_filter(name, function)
        add_jekyll_tags(self.environment)
        self.relative_root = relative_root.resolve() if relative_root is not None else None
        self.lax = LaxOutputs(self.site) if lax else None
        if lax:  # Jekyll's own tags; an imported page has their URL written in their place
            self.environment.add_tag(JekyllLinkTag)
            self.environment.add_tag(JekyllPostUrlTag)
        # Every page has the same few include lines: each is parsed once (a template renders
        # any number of times; the included files themselves are cached by the loader).
        self._include_templates: OrderedDict[str, Any] = OrderedDict()
        self._page_paths: dict[str, str | None] = {}  # a page renders its body and each include line

    def _page_path(self, path: Path | str) -> str | None:
        if self.relative_root is None:
            return None
        key = str(path)
        if key not in self._page_paths:
            self._page_paths[key] = None
            with contextlib.suppress(ValueError, OSError):  # a page outside the tree has no page.path
                self._page_paths[key] = Path(path).resolve().relative_to(self.relative_root).as_posix()
        return self._page_paths[key]

    def _globals(self, path: Path | str) -> dict[str, Any]:
        page_path = self._page_path(path)
        page: dict[str, Any] = {} if page_path is None else {PAGE_PATH: page_path}
        return {"site": self.site, "page": page, _RELATIVE_ROOT: self.relative_root}

    def _template(self, source: str, *, reused: bool) -> Any:
        if not reused:
            return self.environment.from_string(quote_bare_includes(source))
        template = self._include_templates.get(source)
        if template is None:
            template = self._include_templates[source] = self.environment.from_string(quote_bare_includes(source))
            if len(self._include_templates) > 256:
                self._include_templates.popitem(last=False)
        return template

    def _render(self, source: str, path: Path | str, line: int, *, reused: bool = False) -> str:
        try:
            return self._template(source, reused=reused).render(**self._globals(path))
        except LiquidError as error:
            context = error.context()
            offset = context[0] - 1 if context and error.template_name is None else 0
            message = getattr(error, "message", None) or str(error).splitlines()[0]
            if isinstance(error, ResourceLimitError):
                raise DefinitionError(path, line + offset, f"Liquid: {message} (limits: {LIQUID_LOOP_ITERATIONS:,} loop "
                                      f"iterations, {LIQUID_OUTPUT_BYTES:,} bytes of output, includes "
                                      f"{LIQUID_CONTEXT_DEPTH} deep)", "E011") from None
            # (include_relative's own message names the file and the page it is beside)
            if "include_relative" not in str(message) and ("TemplateNotFound" in type(error).__name__ or "not found" in str(message).lower()):
                message = f"include not found in {self.includes_dir}: {message}"
            raise DefinitionError(path, line + offset, f"Liquid: {message}", "E010") from None
        except RecursionError:
            raise DefinitionError(path, line, "Liquid: templates nested too deeply", "E011") from None

    def _render_body(self, skeleton: list[str], path: Path | str, first_line: int, findings: list[Finding] | None) -> str:
        try:
            return self._render("\n".join(skeleton), path, first_line)
        except DefinitionError as error:
            if self.lax is None or error.finding.code != "E010":
                raise
        return self._render("\n".join(self._lax_skeleton(skeleton, path, first_line, findings)), path, first_line)

    def _render_include(self, source: str, path: Path | str, line: int, findings: list[Finding] | None) -> str:
        """An include line; with `findings`, a failing include is recorded and renders as nothing."""
        try:
            return self._render(source, path, line, reused=True)
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
        if any("{%" in text or "{{" in text for text in skeleton):
            rendered_body = self._render_body(skeleton, path, first_line, findings).split("\n")
        else:  # the includes were all its Liquid (a seed's usual body): the rest is text as it is
            rendered_body = skeleton
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

    def _lax_skeleton(self, skeleton: list[str], path: Path | str, first_line: int,
                     findings: list[Finding] | None) -> list[str]:
        """The body with each output Jekyll's lax mode reads differently written as Jekyll rendered it."""
        assert self.lax is not None
        lax = []
        for index, text in enumerate(skeleton):
            rewritten, changes = self.lax.rewrite(text)
            lax.append(rewritten)
            for change in changes:
                item = Finding(path, first_line + index, LAX_CODE, f"Liquid `{_MARK_PATTERN.sub('', change.old)}` renders as "
                               f"{change.new!r} in Jekyll's lax mode; strict Liquid (and apidocs after import) refuses it",
                               "warning")
                if findings is not None and item not in findings:
                    findings.append(item)
        return lax


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
