"""One Jekyll document turned into an apidocs page, with a note for everything that changed.

The text is edited line by line, never re-serialised: comments, key order and spelling of the
front matter survive, and every note can name the source line it is about.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apidocs.definitions.body import parse_body, parse_right_code
from apidocs.definitions.frontmatter import split_front_matter
from apidocs.definitions.jekyll_tree import split_visibility
from apidocs.definitions.liquid import Line, relative_file
from apidocs.definitions.loader import OPT_IN_KEY, path_from_title
from apidocs.definitions.pasted import HarvestedRequest, PastedSnippet, harvest
from apidocs.definitions.secrets import Secret, authorization_tokens, find_secrets, looks_like_placeholder, scrub_lines, scrub_value
from apidocs.definitions.snippet_checks import python_problems
from apidocs.jekyll.links import LinkMap
from apidocs.jekyll.liquid_compat import JekyllLiquid
from apidocs.jekyll.report import FileReport
from apidocs.model.endpoint import HTTP_METHODS, NO_BODY
from apidocs.model.errors import DefinitionError
from apidocs.model.paths import PathTemplate
from apidocs.model.positions import position_key

# Front-matter keys apidocs reads; others are kept as they are, and reported once.
KNOWN_KEYS = {"title", "name", "position", "visibility", "method", "description", "right_code", "example", "responses"}
_BROKEN_ENTITY = re.compile(r"&(lt|gt)(?!;)")
_INCLUDE = re.compile(r"^\s*{%-?\s*include\s+(?P<path>[^\s%}'\"]+|'[^']+'|\"[^\"]+\")[^%]*-?%}\s*$")
_INCLUDE_RELATIVE = re.compile(r"({%-?\s*)include_relative(\s+)(?P<path>[^\s%}'\"]+|'[^']+'|\"[^\"]+\")")
RELATIVE_INCLUDES = "_relative"  # under includes/: the files pages took with include_relative, by their path in the tree
_HIGHLIGHT = re.compile(r"^\s*{%-?\s*highlight\s+(?P<lang>[\w+.#-]+)[^%]*-?%}\s*$")
_END_HIGHLIGHT = re.compile(r"^\s*{%-?\s*endhighlight\s*-?%}\s*$")
_FENCE_LANG = re.compile(r"^(?P<lead>\s*(?:~{3,}|`{3,})\s*)json\b")
_TITLE = re.compile(r'title="([^"]*)"')
_COOKIE_HINTS = ("cookie", "session", "csrftoken", "connect.sid")  # a line naming none of these holds no cookie
_SECRET_HEADER = re.compile(r"(?i)(api[-_]?key|secret|token|session|password|auth)")


class ConversionError(Exception):
    """A document that cannot become a page without a writer's decision."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class ImportContext:
    """What converting one document needs to know about the whole tree."""

    links: LinkMap
    includes_dir: Path  # the tree's _includes, to tell a missing include early
    placeholder: str  # the token the generated snippets show
    demo_tokens: set[str] = field(default_factory=set)  # other placeholder tokens pages use (a retailer's)
    audiences: set[str] = field(default_factory=set)  # visibility names the tree's collections use
    hosts: list[str] = field(default_factory=list)  # every host a pasted snippet called, for mkdocs.yml's servers
    include_names: set[str] | None = None  # includes copied into the project (posix paths); None: look in includes_dir
    site: dict[str, Any] = field(default_factory=dict)  # the `{{ site.* }}` values of _config.yml
    source_root: Path | None = None  # the tree, for include_relative
    relative_includes: set[str] = field(default_factory=set)  # files of the tree include_relative reads (posix)
    liquid: JekyllLiquid | None = None  # made on first use

    def jekyll_liquid(self) -> JekyllLiquid:
        if self.liquid is None:
            self.liquid = JekyllLiquid(self.site, self.links.target_of_path)
        return self.liquid

    @property
    def known_tokens(self) -> set[str]:
        return {self.placeholder, *self.demo_tokens}


@dataclass
class Converted:
    text: str
    is_endpoint: bool


class _Lines:
    """Lines of a file, editable without losing their source numbers (deleted lines become None)."""

    def __init__(self, texts: list[str], first_number: int) -> None:
        self.items: list[str | None] = list(texts)
        self.first = first_number
        self.after: dict[int, list[str]] = {}  # index → lines inserted after it (-1: before all)
        self.appended: list[str] = []

    def index(self, number: int) -> int:
        return number - self.first

    def get(self, number: int) -> str | None:
        index = self.index(number)
        return self.items[index] if 0 <= index < len(self.items) else None

    def set(self, number: int, text: str | None) -> None:
        self.items[self.index(number)] = text

    def insert_after(self, number: int, texts: list[str]) -> None:
        self.after.setdefault(self.index(number), []).extend(texts)

    def numbered(self) -> list[tuple[int, str]]:
        return [(self.first + i, t) for i, t in enumerate(self.items) if t is not None]

    def render(self) -> list[str]:
        out = list(self.after.get(-1, []))
        for index, text in enumerate(self.items):
            if text is not None:
                out.append(text)
            out.extend(self.after.get(index, []))
        return out + self.appended


def convert_document(text: str, path: Path, context: ImportContext, report: FileReport, source: str = "") -> Converted:
    """The page for one Jekyll document (`source`: its path in the tree, for relative links);
    raises ConversionError when it needs a writer."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    try:
        front = split_front_matter(text, path)
    except DefinitionError as error:
        return _without_front_matter(text, error, context, report, source)
    lines = text.split("\n")
    has_front = bool(lines) and lines[0].rstrip() == "---"
    end = front.body_line - 2 if has_front else 0  # index of the closing `---`
    head = _Lines(lines[1:end] if has_front else [], 2)
    body = _Lines(lines[end + 1 :] if has_front else lines, front.body_line)
    data = front.data

    for key in data:
        if key not in KNOWN_KEYS:
            report.add(front.line_of(key), "kept", f"front-matter key `{key}` kept as it was (apidocs does not use it)")
    _position(data, front.line_of("position"), head, report)
    _visibility(data, front.line_of("visibility"), context, report)

    parsed = parse_body([Line(number, t) for number, t in body.numbered()])
    raw_title = str(data.get("title") or "").strip()
    is_endpoint = data.get("method") not in (None, "") or raw_title.startswith("/")
    if is_endpoint:
        try:
            _endpoint(data, front.key_lines, raw_title, parsed, head, body, context, report)
        except _NotAnEndpoint as reason:
            is_endpoint = False
            _endpoint_as_page(data, front.key_lines, raw_title, head, body, report, reason)
    if not is_endpoint:
        _plain_page(data, front.key_lines, parsed, head, body, report, context)
        if OPT_IN_KEY not in data:
            head.appended.append(f"{OPT_IN_KEY}: true")  # Jekyll ran Liquid on every page: keep that for this one
    return _finish(head, body, has_front, is_endpoint, context, report, source)


def _finish(head: _Lines, body: _Lines, has_front: bool, is_endpoint: bool, context: ImportContext, report: FileReport,
            source: str) -> Converted:
    """What every page goes through: includes, Liquid as Jekyll read it, links, secrets."""
    _includes(body, context, report, source)
    _highlight_tags(body, report)
    _jekyll_liquid(body, context, report)
    _links(head, body, context, report, source)
    _scrub(head, report, context)
    _scrub(body, report, context)
    for added in (head.appended, body.appended):  # written by this import from scrubbed values: checked all the same
        added[:] = [line for _, line, _ in _scrub_all(added, context) if line is not None]

    out = (["---", *head.render(), "---"] if has_front or head.appended else []) + body.render()
    return Converted("\n".join(out).rstrip("\n") + "\n", is_endpoint)


def _without_front_matter(text: str, error: DefinitionError, context: ImportContext, report: FileReport, source: str) -> Converted:
    """A document whose front matter Jekyll could not read either: the page Jekyll made of it.

    Jekyll takes a file as a document when its first line is `---`. When no line closes that
    front matter, the whole file is the page's text; when the front matter is not a YAML mapping,
    Jekyll logs an error and shows the text after it. Either way the page has no data (no title,
    no visibility: no audience lists it), and so has the imported one."""
    lines = text.split("\n")
    head = _Lines([], 2)
    end = next((index for index in range(1, len(lines)) if lines[index].rstrip() in ("---", "...")), None)
    if end is None:
        body = _Lines(lines, 1)
        report.add(1, "kept", f"{error.finding.message}: Jekyll reads the whole file as the page's text, without title or "
                              "visibility (no audience lists it); imported the same way")
    else:
        body = _Lines(lines[end + 1 :], end + 2)
        head = _Lines([f"# {line}" if line.strip() else line for line in lines[1:end]], 2)
        report.add(error.line, "kept", f"{error.finding.message}: Jekyll shows this page without its front matter (no "
                                       "title or visibility: no audience lists it); its lines are kept as YAML comments")
    head.appended.append(f"{OPT_IN_KEY}: true")  # Jekyll ran Liquid on the page: keep that
    return _finish(head, body, True, False, context, report, source)


def _jekyll_liquid(body: _Lines, context: ImportContext, report: FileReport) -> None:
    """Outputs strict Liquid refuses, written as Jekyll's lax Liquid rendered them."""
    liquid = context.jekyll_liquid()
    for number, text in body.numbered():
        rewritten, changes = liquid.rewrite(text)
        if rewritten != text:
            body.set(number, rewritten)
        for change in changes:
            report.add(number, "fixed", f"Liquid `{change.old}` written as {change.new!r} ({change.why})")


def _position(data: dict[str, Any], line: int, head: _Lines, report: FileReport) -> None:
    if "position" not in data:
        return
    try:
        position_key(data["position"])
    except ValueError:
        head.set(line, f"# {head.get(line)}  # apidocs import: not a number, so the page sorts last")
        report.add(line, "fixed", f"position {data['position']!r} is not a number or dotted number: commented out (the page sorts last)")


def _visibility(data: dict[str, Any], line: int, context: ImportContext, report: FileReport) -> None:
    names = split_visibility(data.get("visibility"))
    if not names:
        report.add(line, "kept", "no `visibility`: no audience's site lists this page (as on the Jekyll site)")
        return
    odd = [name for name in names if name != "all" and name not in context.audiences]
    if odd:
        report.add(line, "kept", f"visibility {', '.join(odd)} is no audience of this tree (no collection has it): kept as written")


def _endpoint(data: dict[str, Any], key_lines: dict[str, int], raw_title: str, parsed: Any, head: _Lines, body: _Lines,
              context: ImportContext, report: FileReport) -> None:
    title_line = key_lines.get("title", 1)
    title = raw_title
    if _BROKEN_ENTITY.search(title):
        fixed = _BROKEN_ENTITY.sub(lambda m: f"&{m.group(1)};", title)
        head.set(title_line, (head.get(title_line) or "").replace(title, fixed, 1))
        report.add(title_line, "fixed", f"title placeholder {title!r} written {fixed!r} (the semicolons were missing)")
        title = fixed
    if not title.startswith("/"):
        raise _NotAnEndpoint(title_line, f"`method` is set but the title {title!r} is not a path")
    path = path_from_title(title)
    harvested = harvest(parsed.pasted)
    if harvested is not None and harvested.host:
        context.hosts.append(harvested.host)
    method = str(data.get("method") or "").strip().upper()
    if method not in HTTP_METHODS:
        found = harvested.method if harvested and _fits(path, harvested) else None
        if not found:
            what = "missing" if not method else f"unknown ({data.get('method')!r})"
            raise _NotAnEndpoint(key_lines.get("method", title_line), f"`method` is {what} and no pasted snippet of this path says it")
        if "method" in key_lines:
            head.set(key_lines["method"], f"method: {found.lower()}")
        else:
            head.insert_after(title_line, [f"method: {found.lower()}"])
        report.add(key_lines.get("method", title_line), "fixed", f"`method` {('was ' + repr(data.get('method'))) if method else 'was missing'}: "
                   f"set to {found.lower()}, the method of the pasted snippets")
        method = found
    _parameter_names(path, parsed, body, report, harvested)
    right_code = data.get("right_code")
    has_request = False
    if isinstance(right_code, str) and right_code.strip():
        has_request = _right_code_json(right_code, key_lines.get("right_code", 1), head, report)
    if "example" in data:
        report.add(key_lines["example"], "kept", "the document's own `example:` is kept; pasted snippets are not read")
    else:
        values = example_values(path, method, harvested, has_request, context, report)
        if values:
            dumped = yaml.safe_dump({"example": values}, sort_keys=False, allow_unicode=True, width=100).rstrip("\n")
            head.appended.extend(dumped.split("\n"))
    _remove_pasted(parsed.pasted, body, report, context)


class _NotAnEndpoint(Exception):
    """A document that looks like an endpoint but names no path or method a page could use."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _endpoint_as_page(data: dict[str, Any], key_lines: dict[str, int], raw_title: str, head: _Lines, body: _Lines,
                      report: FileReport, reason: _NotAnEndpoint) -> None:
    """Jekyll published it all the same: a plain page with the text Jekyll showed. Its `method`
    and a title that is a path are kept as YAML comments (an apidocs page with them would be an
    endpoint); the title becomes the page's heading, as the theme showed it."""
    for key in ("method", *(("title",) if raw_title.startswith("/") else ())):
        line = key_lines.get(key)
        text = head.get(line) if line is not None else None
        if line is not None and text is not None:
            head.set(line, f"# {text}  # apidocs import: not an endpoint ({reason})")
    if raw_title.startswith("/"):
        body.after.setdefault(-1, []).extend([f"# {raw_title}", ""])
    report.add(reason.line, "kept", f"{reason}: Jekyll published it, so it is a plain page (no generated snippets or "
                                    "Try it); give it a path title and a `method` to make it an endpoint")


def _fits(path: str, harvested: HarvestedRequest) -> bool:
    return PathTemplate(path).matches(harvested.path or "")


def _parameter_names(path: str, parsed: Any, body: _Lines, report: FileReport, harvested: HarvestedRequest | None) -> None:
    """`order_item_uuid>` under URL Parameters is `order_item_uuid` with a stray character; a name
    that is not in the path at all moves, with its description, under a heading of its own after
    the list (query parameters when the pasted snippets send it in the query)."""
    names = PathTemplate(path).names
    query_names = {name for name, _ in harvested.query} if harvested is not None else set()
    for block in parsed.blocks:
        group = block.group
        if group is None or group.kind != "path":
            continue
        strays: list[Any] = []
        for parameter in group.parameters:
            if parameter.name in names:
                continue
            cleaned = re.sub(r"[^A-Za-z0-9_-]", "", path_from_title(parameter.name).replace("{", "").replace("}", ""))
            text = body.get(parameter.line)
            if cleaned in names and text is not None:
                body.set(parameter.line, text.replace(parameter.name, cleaned, 1))
                report.add(parameter.line, "fixed", f"URL parameter `{parameter.name}` written `{cleaned}`, the name in the path")
            else:
                strays.append(parameter)
        if strays:
            _move_strays(path, group, strays, query_names, body, report)


def _move_strays(path: str, group: Any, strays: list[Any], query_names: set[str], body: _Lines, report: FileReport) -> None:
    heading = body.get(group.line) or ""
    hashes = re.match(r"#+", heading.lstrip())
    level = hashes.group(0) if hashes else "###"
    is_query = all(parameter.name in query_names for parameter in strays)
    title = "Query Parameters" if is_query else "Parameters not in the path"
    ranges = [_definition_lines(body, parameter.line) for parameter in group.parameters]
    moved = [number for parameter, numbers in zip(group.parameters, ranges, strict=True) if parameter in strays for number in numbers]
    texts = [body.get(number) or "" for number in moved]
    stray_lines = set(moved)
    if len(strays) == len(group.parameters):
        body.set(group.line, f"{level} {title}")  # the whole list: only its heading changes
        texts = []
    for number in moved if texts else []:
        body.set(number, None)
    last = max(number for numbers in ranges for number in numbers)
    if texts:
        block: list[str] = ["", f"{level} {title}", ""]
        for number, text in zip(moved, texts, strict=True):
            if block[-1] and not text.startswith((":", " ", "\t")) and number - 1 not in stray_lines:
                block.append("")
            block.append(text)
        body.insert_after(last, block)
    for parameter in strays:
        report.add(parameter.line, "fixed", f"URL parameter `{parameter.name}` is documented but not in the path {path}: "
                   f"shown under `{title}`" + (" (the pasted snippets send it in the query)" if is_query else ""))


def _definition_lines(body: _Lines, term_line: int) -> list[int]:
    """A definition-list item's lines: its term, its `: ` line and the indented lines after it."""
    numbers = [term_line]
    number = term_line + 1
    while (text := body.get(number)) is not None and (text.startswith(":") or (text.startswith((" ", "\t")) and text.strip())):
        numbers.append(number)
        number += 1
    return numbers


def _block_title(lines: list[str]) -> str:
    """The `{: title="…" }` of a right_code block, read from the lines after its closing fence."""
    for text in lines:
        match = _TITLE.search(text)
        if match:
            return match.group(1)
    return "Example"


def _right_code_json(right_code: str, key_line: int, head: _Lines, report: FileReport) -> bool:
    """Mark `json` blocks that are not JSON as text (they stay visible); True if a Request block is JSON."""
    has_request = False
    index = 0
    source_lines = right_code.split("\n")
    while index < len(source_lines):
        if not _FENCE_LANG.match(source_lines[index]):
            index += 1
            continue
        end = next((j for j in range(index + 1, len(source_lines)) if source_lines[j].strip().startswith(("~~~", "```"))),
                   len(source_lines))
        title = _block_title(source_lines[end + 1 : end + 3])
        is_request = title.lower().startswith("request")
        fence_line = key_line + 1 + index
        try:
            json.loads("\n".join(source_lines[index + 1 : end]))
            has_request = has_request or is_request
        except json.JSONDecodeError as error:
            text = head.get(fence_line)
            if text is not None:
                head.set(fence_line, _FENCE_LANG.sub(lambda m: m.group("lead") + "text", text, count=1))
            report.add(fence_line + error.lineno, "fixed", f"right_code {title} block is not valid JSON ({error.msg}): shown as text"
                       + (", and the example body comes from elsewhere" if is_request else ""))
        index = end + 1
    return has_request


def example_values(path: str, method: str, harvested: HarvestedRequest | None, has_request: bool,
                   context: ImportContext, report: FileReport) -> dict[str, Any]:
    """The `example:` front matter the pasted snippets stood for, without their secrets."""
    if harvested is None:
        return {}
    line = harvested.line
    found = PathTemplate(path).match(harvested.path or "")
    if found is None:
        empty = PathTemplate(path).match(harvested.path or "", allow_empty=True)
        if empty is not None:
            names = [name for name, value in empty.items() if not value]
            report.add(line, "unconverted", f"the pasted URL {harvested.path} has no value for {', '.join(names)}: "
                       "the example shows a placeholder and `apidocs check` skips this endpoint")
            found = empty
        else:
            report.add(line, "unconverted", f"the pasted snippets call {harvested.method} {harvested.path}, not {method} {path}: "
                       "none of their values are used")
            return {}
    if harvested.method and harvested.method != method:
        report.add(line, "kept", f"the pasted snippets send {harvested.method}, the definition says {method}: the definition wins")
    values: dict[str, Any] = {}
    params = {name: value for name, value in found.items() if value}
    if params:
        values["params"] = params
    for name in harvested.secret_query:
        report.add(line, "dropped", f"query parameter `{name}` not carried over (it carries a credential)")
    for option in harvested.credentials:
        report.add(line, "dropped", f"curl --{option} carries a credential: not carried over")
    for name in harvested.dropped_headers:
        if name.lower() not in ("cookie", "set-cookie"):
            report.add(line, "dropped", f"header {name} not carried over (it looks like a credential)")
    query: dict[str, Any] = {}
    for name, value in harvested.query:
        query.setdefault(name, []).append(value)
    if query:
        values["query"] = {name: items[0] if len(items) == 1 else items for name, items in query.items()}
    body = _example_body(method, harvested, has_request, report)
    if body is not NO_BODY:
        body, replaced = scrub_value(body, context.known_tokens)
        for name in replaced:
            report.add(line, "dropped", f"a credential in the pasted body ({name}) replaced by a placeholder")
    headers: dict[str, str] = {}
    for name, value in harvested.headers:
        lowered = name.lower()
        if lowered == "authorization":
            _token(value, values, context, report, line)
        elif lowered == "content-type" and body is NO_BODY and not has_request:
            continue  # no body is sent, so there is nothing for it to describe
        elif _SECRET_HEADER.search(name):
            report.add(line, "dropped", f"header {name} not carried over (it looks like a credential)")
        else:
            headers[name] = value
    if headers:
        values["headers"] = headers
    if body is not NO_BODY:
        values["body"] = body
    report.add(line, "moved", "values of the pasted snippets (" + ", ".join(values) + ") written to `example:`"
               if values else "the pasted snippets carry no example values")
    return values


def _example_body(method: str, harvested: HarvestedRequest, has_request: bool, report: FileReport) -> Any:
    if has_request or harvested.body_text is None:
        return NO_BODY
    if harvested.body is NO_BODY:
        report.add(harvested.line, "unconverted", "the pasted body is not JSON: not carried over")
        return NO_BODY
    if method in ("GET", "HEAD") or (method == "DELETE" and harvested.body in ({}, [], "")):
        report.add(harvested.line, "dropped", f"the pasted {method} request sends a body ({json.dumps(harvested.body)[:40]}): not carried over")
        return NO_BODY
    if isinstance(harvested.body, dict) and "" in harvested.body:
        report.add(harvested.line, "dropped", "the pasted body has an empty key (an unfilled form): not carried over")
        return NO_BODY
    return harvested.body


def _token(value: str, values: dict[str, Any], context: ImportContext, report: FileReport, line: int) -> None:
    words = value.split(None, 1)
    if not words:
        report.add(line, "dropped", "an Authorization header without a value: not carried over")
        return
    token = words[-1].strip()
    if token == context.placeholder or (looks_like_placeholder(token) and token not in context.demo_tokens):
        return
    if token in context.demo_tokens:
        values["token"] = token
        return
    report.add(line, "dropped", f"token `{Secret(line, 'token', token).masked}` is not the documented placeholder: "
               f"the example uses {context.placeholder}")


def _remove_pasted(pasted: list[PastedSnippet], body: _Lines, report: FileReport, context: ImportContext) -> None:
    if not pasted:
        return
    cookies: dict[str, list[int]] = {}
    for snippet in pasted:
        for number in range(snippet.line, snippet.end_line + 1):
            if body.get(number) is not None:
                body.set(number, None)
        # Only cookies are reported here (the snippet goes, and its other secrets with it): lines
        # without a cookie's name cannot hold one.
        lines = [(number, text) for number, text in enumerate(snippet.code.split("\n"), snippet.line + 1)
                 if any(hint in text.lower() for hint in _COOKIE_HINTS)]
        for secret in find_secrets(lines, context.known_tokens):
            if secret.kind == "cookie":
                cookies.setdefault(secret.masked, []).append(secret.line)
    for masked, numbers in cookies.items():
        others = f" (also on line{'s' * (len(numbers) > 2)} {', '.join(map(str, numbers[1:]))})" if len(numbers) > 1 else ""
        report.add(numbers[0], "dropped", f"session cookie `{masked}` removed with the pasted snippets{others}")
    titles = ", ".join(snippet.title for snippet in pasted)
    report.add(pasted[0].line, "dropped", f"{len(pasted)} pasted snippet(s) ({titles}) replaced by the generated ones")


def _plain_page(data: dict[str, Any], key_lines: dict[str, int], parsed: Any, head: _Lines, body: _Lines, report: FileReport,
                context: ImportContext) -> None:
    """A page without `method`: its right_code column and pasted snippets become code in the page."""
    right_code = data.get("right_code")
    blocks: list[tuple[str, str, str]] = []
    if isinstance(right_code, str) and right_code.strip():
        start = key_lines["right_code"]
        later = [line for line in key_lines.values() if line > start]
        stop = min(later) if later else start + len(right_code.split("\n")) + 1
        for number in range(start, stop):
            if head.get(number) is not None:
                head.set(number, None)
        try:
            examples = parse_right_code(right_code, start + 1, "")
        except DefinitionError:
            examples = []
            report.add(start, "unconverted", "right_code could not be read: left out of the page")
        blocks += [(e.title, e.language, _scrubbed_code(e.text, e.line + 1, context, report)) for e in examples]
        for example in examples:
            if example.language == "python":
                for problem in python_problems(example.text, example.line + 1):
                    report.add(problem.line, "unconverted", f"{example.title} example kept as written, but {problem.message}")
        if examples:
            report.add(start, "moved", f"right_code ({len(examples)} block(s)) moved into the page under `## Examples`")
    for snippet in parsed.pasted:
        for number in range(snippet.line, snippet.end_line + 1):
            body.set(number, None)
        blocks.append((snippet.title, snippet.language, _scrubbed_code(snippet.code, snippet.line + 1, context, report)))
        if snippet.language == "python":
            for problem in python_problems(snippet.code, snippet.line + 1):
                report.add(problem.line, "unconverted", f"{snippet.title} snippet kept as written, but {problem.message}")
        report.add(snippet.line, "moved", f"{snippet.title} snippet kept as a code block under `## Examples`")
    if blocks:
        body.appended += ["", "## Examples", ""]
        for title, language, code in blocks:
            fence = "~~~~" if "~~~" in code else "~~~"
            attributes = f' title="{title}"' if title and title != "Example" else ""
            body.appended += [f"{fence} {language or 'text'}{attributes}", *textwrap.dedent(code).strip("\n").split("\n"), fence, ""]


def _scrubbed_code(code: str, first_line: int, context: ImportContext, report: FileReport) -> str:
    """A code block moved into the page, without its secrets (each reported at its source line)."""
    lines: list[str | None] = list(code.split("\n"))
    numbered = [(first_line + index, text) for index, text in enumerate(code.split("\n"))]
    for number, scrubbed, secrets in scrub_lines(numbered, context.known_tokens, context.placeholder):
        lines[number - first_line] = scrubbed
        for secret in secrets:
            report.add(number, "dropped", f"{describe(secret)} removed" + (" (now a placeholder)" if secret.kind != "cookie" else ""))
    return "\n".join(text for text in lines if text is not None)


def _relative_target(written: str, source: str, root: Path | None) -> str | None:
    """The tree's file an include_relative of `source` reads, if it is one (inside, no link)."""
    if root is None or not source or "{{" in written:
        return None
    try:
        return relative_file(root, source, written)[0]
    except ValueError:
        return None


def _relative_includes(body: _Lines, context: ImportContext, report: FileReport, source: str) -> None:
    """`{% include_relative x.md %}` reads a file beside the Jekyll document; the page moves, so the
    file is copied under includes/_relative/ (at its path in the tree) and included from there."""
    for number, text in body.numbered():
        if "include_relative" not in text:
            continue

        def include(match: re.Match[str], line: int = number) -> str:
            written = match.group("path").strip("'\"")
            target = _relative_target(written, source, context.source_root)
            if target is None:
                report.add(line, "dropped", f"include_relative {written}: no such file beside {source or 'this page'} "
                                              "in the tree (Jekyll stops the build on it): replaced by an HTML comment")
                return "\x00missing\x00"
            context.relative_includes.add(target)
            report.add(line, "moved", f"include_relative {written} now includes {RELATIVE_INCLUDES}/{target}, a copy of {target}")
            return f"{match.group(1)}include{match.group(2)}{RELATIVE_INCLUDES}/{target}"

        rewritten = _INCLUDE_RELATIVE.sub(include, text)
        if "\x00missing\x00" in rewritten:
            rewritten = f"<!-- apidocs import: an include_relative was here, but the Jekyll tree has no such file: {html_comment(text)} -->"
        if rewritten != text:
            body.set(number, rewritten)


def html_comment(text: str) -> str:
    return text.replace("--", "- -").replace("{", "&#123;").replace("}", "&#125;")


def _includes(body: _Lines, context: ImportContext, report: FileReport, source: str = "") -> None:
    _relative_includes(body, context, report, source)
    for number, text in body.numbered():
        match = _INCLUDE.match(text)
        if not match:
            continue
        written = match.group("path").strip("'\"")
        name = written.lstrip("/")
        known = (name in context.include_names) if context.include_names is not None else (context.includes_dir / name).is_file()
        known = known or (name.startswith(RELATIVE_INCLUDES + "/") and name[len(RELATIVE_INCLUDES) + 1:] in context.relative_includes)
        if known and name != written:
            body.set(number, text.replace(written, name, 1))  # Jekyll joins `/x` to _includes/ all the same
            report.add(number, "fixed", f"include {written} written {name} (Jekyll reads both from _includes/)")
            continue
        if "{{" in name or known:
            continue
        body.set(number, f"<!-- apidocs import: `{name}` was included here, but the Jekyll tree has no such include -->")
        report.add(number, "dropped", f"include {name} does not exist in _includes/: replaced by an HTML comment")


def _highlight_tags(body: _Lines, report: FileReport) -> None:
    for number, text in body.numbered():
        start = _HIGHLIGHT.match(text)
        if start:
            body.set(number, f"~~~ {start.group('lang')}")
            report.add(number, "fixed", "`{% highlight %}` written as a fenced code block")
        elif _END_HIGHLIGHT.match(text):
            body.set(number, "~~~")


def _links(head: _Lines, body: _Lines, context: ImportContext, report: FileReport, source: str = "") -> None:
    for lines in (head, body):
        for number, text in lines.numbered():
            rewritten, changes = context.links.rewrite(text, source)
            if rewritten != text:
                lines.set(number, rewritten)
            for change in changes:
                if change.refused:
                    report.add(number, "dropped", f"link target refused ({change.refused}): nothing read or copied")
                elif change.new is None:
                    report.add(number, "unconverted", f"link {change.old} points at nothing in this tree: left pointing at the old site")
                else:
                    report.add(number, "moved", f"link {change.old} now points at {change.new}")


def _scrub(lines: _Lines, report: FileReport, context: ImportContext) -> None:
    """Secrets out of the kept lines, in one pass (the cost grows with the lines, not their square)."""
    numbered = lines.numbered()
    previous_of = {number: (numbered[index - 1][0] if index else None) for index, (number, _) in enumerate(numbered)}
    for number, scrubbed, secrets in scrub_lines(numbered, context.known_tokens, context.placeholder):
        text = lines.get(number) or ""
        lines.set(number, scrubbed)
        if scrubbed is None and not text.rstrip().endswith("\\"):
            # The removed header was the command's last line: the one before must not continue it.
            previous = previous_of.get(number)
            while previous is not None and lines.get(previous) is None:
                previous = previous_of.get(previous)
            if previous is not None:
                lines.set(previous, (lines.get(previous) or "").rstrip().rstrip("\\").rstrip())
        for secret in secrets:
            report.add(number, "dropped", f"{describe(secret)} removed" + (f" (now {context.placeholder})" if secret.kind == "token" else
                                                                          " (now a placeholder)" if secret.kind != "cookie" else ""))


def _scrub_all(lines: list[str], context: ImportContext) -> list[tuple[int, str | None, list[Secret]]]:
    changed = {number: (scrubbed, secrets) for number, scrubbed, secrets
               in scrub_lines(enumerate(lines), context.known_tokens, context.placeholder)}
    return [(index, changed[index][0] if index in changed else text, changed.get(index, (None, []))[1])
            for index, text in enumerate(lines)]


def describe(secret: Secret) -> str:
    """What a report says about a secret: its kind and a mask, never the value."""
    what = {"cookie": "session cookie"}.get(secret.kind, secret.kind)
    return f"{what} `{secret.masked}`"


def tokens_in(text: str) -> list[str]:
    """Every Authorization token written in a document (for choosing the placeholder)."""
    return [token for _, token in authorization_tokens(text)]

