"""The Markdown MkDocs renders for each document: endpoint layout, parameter tables, snippet tabs.

The page is two columns on wide screens (prose left, request column right, as the source site's
`right_code` column was) and one column on narrow screens; the CSS in `generator/assets/` does
the layout, this module only emits the structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from http import HTTPStatus
from typing import Any

from markupsafe import Markup

from apidocs.config.settings import Settings
from apidocs.model.endpoint import PLACEHOLDER, Document, Endpoint, ExampleResponse, ParameterGroup
from apidocs.model.headers import media_type_essence
from apidocs.model.raw import is_raw
from apidocs.rendering.blocks import code_block, content_tabs
from apidocs.rendering.languages import Language
from apidocs.rendering.quoting import html_text, json_text, markdown_text
from apidocs.rendering.request import base_url_of, build_request
from apidocs.rendering.snippets import render_snippet

# Markup a caller adds to the request column (the plugin passes the explorer's panel), so this
# module renders pages without knowing the explorer.
AsideExtension = Callable[[Endpoint, Settings, list[Language]], str]
# The JSON Schema of a documented answer's body (given, or inferred by the caller), None if it has none.
ResponseSchema = Callable[[Endpoint, ExampleResponse], "dict[str, Any] | None"]

# Bounds on the field tree: a schema is the writer's (or an imported spec's) data.
MAX_TREE_DEPTH = 8
MAX_TREE_FIELDS = 400

_KIND_COLUMNS = {"response": ("Field", "Type", None), "object": ("Field", "Type", None)}


# A code span in a description: the one piece of Markdown a definition field keeps.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def described(text: str) -> str:
    """A parameter description for a table cell: literal text, `code spans` shown as code."""
    parts = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(markdown_text(text[last:match.start()]))
        parts.append(f"<code>{markdown_text(match.group(2).strip())}</code>")
        last = match.end()
    parts.append(markdown_text(text[last:]))
    return "".join(parts).strip()


def anchor_id(*parts: object) -> str:
    """An HTML id from names a writer chose: letters, digits, `_`, `.` and `-` kept, the rest `-`."""
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "-", str(part)).strip("-") or "x" for part in parts)


def _markdown_attribute(text: str) -> str:
    """Text for a quoted attribute of inline HTML in a Markdown line."""
    return markdown_text(text).strip().replace('"', "&#34;").replace("'", "&#39;")


def _anchor_link(identifier: str, name: str) -> str:
    label = _markdown_attribute(name)
    return f'<a class="apidocs-anchor" href="#{identifier}" aria-label="Link to {label}">#</a>'


def parameter_table(group: ParameterGroup) -> str:
    """A parameter group as an HTML table (the markup Markdown's tables make)."""
    has_required = any(p.is_required for p in group.parameters) or group.kind in ("path", "query", "request", "header", "cookie")
    name_title, type_title, _ = _KIND_COLUMNS.get(group.kind, ("Name", "Type", None))
    titles = [name_title, type_title, *(["Required"] if has_required else []), "Description"]
    rows = []
    taken: set[str] = set()
    for parameter in group.parameters:
        identifier = anchor_id("param", group.kind, parameter.name)
        while identifier in taken:
            identifier += "-2"
        taken.add(identifier)
        # An id on the name and a link to it shown on hover or focus, as headings have.
        cells = [f'<code class="apidocs-name" id="{identifier}">{_text(parameter.name)}</code>'
                 + _anchor_link(identifier, parameter.name), _text(parameter.type or "")]
        if has_required:
            cells.append("<strong>required</strong>" if parameter.is_required or group.kind == "path" else "optional")
        cells.append(described(parameter.description))
        rows.append("<tr>\n" + "".join(f"<td>{cell}</td>\n" for cell in cells) + "</tr>\n")
    head = "<tr>\n" + "".join(f"<th>{title}</th>\n" for title in titles) + "</tr>\n"
    return f"<table>\n<thead>\n{head}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n"


def snippet_tabs(endpoint: Endpoint, settings: Settings, languages: list[Language]) -> str:
    """Content tabs, one per language; Material links them across pages by label."""
    request = build_request(endpoint, settings.auth, base_url_of(endpoint, settings.default_server))
    return content_tabs("apidocs_snippets", [(language.label, code_block(render_snippet(settings.snippets_dir, language, request),
                                                                          language.highlight))
                                             for language in languages])


def _response_block(response: ExampleResponse) -> str:
    body = response.body
    code = json_text(body) if not isinstance(body, str) else body
    language = "json" if not isinstance(body, str) else "text"
    if len(code) <= _SHARED_BLOCK_CHARS:
        return _shared_block(code, language, response.title)
    return code_block(code, language, response.title)


# Operations share answers (an API's one error body, on every page): each short one is
# highlighted once per build. The bound on its length bounds what the cache holds.
_SHARED_BLOCK_CHARS = 4096


@lru_cache(maxsize=256)
def _shared_block(code: str, language: str, title: str | None) -> str:
    return code_block(code, language, title)


def _text(text: str) -> str:
    """Text inside the HTML this module writes into the Markdown: escaped for HTML and for
    Markdown at once (numeric references), since md_in_html may still read it as Markdown."""
    return markdown_text(text).strip()


_RANGE_PHRASES = {"1": "Informational", "2": "Success", "3": "Redirection", "4": "Client error", "5": "Server error"}


def status_label(status: int | str) -> str:
    """`404 Not Found`; a range `4XX Client error`; `default` as `Any other status`."""
    key = str(status)
    if key == "default":
        return "Any other status"
    if key.endswith("XX"):
        return f"{key} {_RANGE_PHRASES.get(key[0], '')}".strip()
    try:
        return f"{key} {HTTPStatus(int(key)).phrase}"
    except ValueError:
        return key


def _schema_types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [item for item in kind if isinstance(item, str)] if isinstance(kind, list) else []


def _type_text(schema: Mapping[str, Any]) -> str:
    types = [kind for kind in _schema_types(schema) if kind != "null"] or (["null"] if _schema_types(schema) else [])
    words = []
    for kind in types:
        items = schema.get("items")
        if kind == "array" and isinstance(items, dict) and _type_text(items):
            words.append(f"array of {_type_text(items)}")
        else:
            words.append(kind)
    text = " | ".join(words)
    if isinstance(schema.get("format"), str) and text:
        text += f" ({schema['format']})"
    return text


class _FieldTree:
    """A nested, expandable list of a schema's fields; ids `response-<status>-<a.b.c>`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.count = 0
        self.taken: set[str] = set()

    def children(self, schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
        """The properties shown under a field: an object's, or an array's items'."""
        for candidate in (schema, schema.get("items")):
            if isinstance(candidate, dict) and isinstance(candidate.get("properties"), dict) and candidate["properties"]:
                required = candidate.get("required")
                return candidate["properties"], [str(n) for n in required] if isinstance(required, list) else []
        return {}, []

    def render(self, properties: Mapping[str, Any], required: list[str], path: list[str]) -> str:
        items = []
        for name, schema in properties.items():
            if self.count >= MAX_TREE_FIELDS:
                items.append('<li class="apidocs-field apidocs-field--more">… more fields (see openapi.json)</li>')
                break
            self.count += 1
            items.append(self.field(str(name), schema if isinstance(schema, dict) else {}, str(name) in required, path))
        return f'<ul class="apidocs-fields">{"".join(items)}</ul>'

    def field(self, name: str, schema: Mapping[str, Any], is_required: bool, path: list[str]) -> str:
        identifier = anchor_id(self.prefix, ".".join([*path, name]))
        while identifier in self.taken:
            identifier += "-2"
        self.taken.add(identifier)
        head = [f'<code class="apidocs-name">{_text(name)}</code>']
        type_text = _type_text(schema)
        if type_text:
            head.append(f'<span class="apidocs-field-type">{_text(type_text)}</span>')
        if is_required:
            head.append('<span class="apidocs-field-flag apidocs-field-flag--required">required</span>')
        if "null" in _schema_types(schema) or schema.get("nullable") is True:
            head.append('<span class="apidocs-field-flag">nullable</span>')
        head.append(_anchor_link(identifier, name))
        parts = [f'<div class="apidocs-field-head">{" ".join(head)}</div>']
        if isinstance(schema.get("description"), str) and schema["description"].strip():
            parts.append(f'<div class="apidocs-field-description">{described(schema["description"])}</div>')
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = ", ".join(f"<code>{_text(json_text(value, None))}</code>" for value in enum[:50])
            parts.append(f'<div class="apidocs-field-enum">One of: {values}</div>')
        properties, required = self.children(schema)
        if properties and len(path) < MAX_TREE_DEPTH:
            count = len(properties)
            inner = self.render(properties, required, [*path, name])
            parts.append(f'<details class="apidocs-field-children"><summary>{count} child field{"s" * (count != 1)}'
                         f' of <code>{_text(name)}</code></summary>{inner}</details>')
        return f'<li class="apidocs-field" id="{identifier}">{"".join(parts)}</li>'


# Around a field tree the page also lists in a table: search leaves it out (Material's parser skips
# `data-search-exclude`; `site.searchable` cuts the part between the comments before parsing). A
# large API's trees were most of its search index, which every reader's browser loads.
UNSEARCHED_START, UNSEARCHED_END = "<!-- apidocs unsearched -->", "<!-- /apidocs unsearched -->"
_TREE_START = '<ul class="apidocs-fields">'


def field_tree(schema: Mapping[str, Any] | None, prefix: str, searched: bool = True) -> str:
    """The fields of a body schema as a tree; a body that is not an object says what it is.
    `searched` False: the fields are left out of the search index."""
    if not isinstance(schema, dict) or not schema:
        return ""
    tree = _FieldTree(prefix)
    properties, required = tree.children(schema)
    if properties:
        lead = "" if "object" in _schema_types(schema) or not _schema_types(schema) else \
            f'<p class="apidocs-field-root">Body: <span class="apidocs-field-type">{_text(_type_text(schema))}</span></p>'
        fields = tree.render(properties, required, [])
        if not searched:
            fields = (UNSEARCHED_START + '<ul class="apidocs-fields" data-search-exclude>' + fields.removeprefix(_TREE_START)
                      + UNSEARCHED_END)
        return lead + fields
    type_text = _type_text(schema)
    return f'<p class="apidocs-field-root">Body: <span class="apidocs-field-type">{_text(type_text)}</span></p>' \
        if type_text else ""


def _by_status(endpoint: Endpoint) -> dict[str, list[ExampleResponse]]:
    """Responses by their key: the expected answer's first, then statuses, ranges, `default`."""
    success = endpoint.success_response
    first = success.key if success is not None else str(endpoint.expected_status)

    grouped: dict[str, list[ExampleResponse]] = {}
    for response in sorted(endpoint.responses, key=lambda r: (r.key != first, *ExampleResponse.key_order(r.key))):
        grouped.setdefault(response.key, []).append(response)
    return grouped


MAX_STATUS_TABS = 16  # the stylesheet shows tab n for n up to this; more statuses share the last


def _tab_set(name: str, tabs: list[tuple[str, str, str]]) -> str:
    """Tabs of radio buttons and labels, shown by CSS alone (apidocs.css), each (label, panel id,
    HTML). Not Material's tab markup: md_in_html would wrap its leading inputs in a paragraph."""
    tabs = tabs[:MAX_STATUS_TABS]
    inputs = "".join(f'<input{" checked" if index == 0 else ""} id="{name}-{index + 1}" name="{name}" type="radio"'
                     f' aria-controls="{identifier}">' for index, (_, identifier, _) in enumerate(tabs))
    labels = "".join(f'<label for="{name}-{index + 1}">{_text(label)}</label>' for index, (label, _, _) in enumerate(tabs))
    panels = "".join(f'<div class="apidocs-tab-panel" id="{identifier}">{content}</div>' for _, identifier, content in tabs)
    return (f'<div class="apidocs-tabs apidocs-responses" markdown="0"><div class="apidocs-tab-inputs">{inputs}</div>'
            f'<div class="apidocs-tab-labels">{labels}</div><div class="apidocs-tab-panels">{panels}</div></div>')


def responses_section(endpoint: Endpoint, response_schema: ResponseSchema | None) -> str:
    """Responses by status, as HTML: one tab each, with what it means, its headers and its field
    tree (the section's heading is the page's Markdown, for the table of contents)."""
    grouped = _by_status(endpoint)
    if not grouped:
        return ""
    # The success answer's fields, when the page lists them in its response parameter table too,
    # are found in search there once.
    success = endpoint.success_response
    listed = success.key if success is not None and endpoint.group_of_kind("response") is not None else None
    tabs = []
    for status, responses in grouped.items():
        identifier = anchor_id("response", status)
        parts = [f'<p class="apidocs-response-status"><strong>{_text(status_label(status))}</strong>'
                 f'{_anchor_link(identifier, status_label(status))}</p>']
        for response in responses:
            said = response.description or (response.title if response.title not in ("Response", f"Response {status}") else "")
            if said:
                parts.append(f'<p class="apidocs-response-description">{described(said)}</p>')
        headers = [header for response in responses for header in response.headers]
        if headers:
            rows = "".join(f"<tr><td><code>{_text(name)}</code></td><td><code>{_text(value)}</code></td></tr>"
                           for name, value in headers)
            parts.append(f'<table class="apidocs-response-headers"><thead><tr><th>Header</th><th>Example</th></tr></thead>'
                         f"<tbody>{rows}</tbody></table>")
        schema = None
        if response_schema is not None:
            schema = next((found for r in responses if (found := response_schema(endpoint, r)) is not None), None)
        tree = field_tree(schema, identifier, searched=status != listed)
        if tree or any(r.has_body for r in responses):
            parts.append(tree)
        else:
            parts.append('<p class="apidocs-field-root">No body.</p>')
        tabs.append((status_label(status), identifier, "".join(parts)))
    return _tab_set("apidocs-responses", tabs) + "\n"


def response_examples(endpoint: Endpoint) -> str:
    """The documented answers in the request column, one tab per status (labels as the Responses
    section's, so Material's linked tabs keep the two showing the same status)."""
    grouped = _by_status(endpoint)
    if not grouped:
        return ""
    tabs = [(status_label(status), "".join(_response_block(response) for response in responses if response.has_body)
             or "<p>No body.</p>\n") for status, responses in grouped.items()]
    return '<p class="apidocs-aside-title">Response</p>\n' + content_tabs("apidocs_examples", tabs)


def _signature(endpoint: Endpoint) -> str:
    path = html_text(endpoint.path)
    path = PLACEHOLDER.sub(lambda m: f'<span class="apidocs-param">{{{m.group(1)}}}</span>', path)
    method = endpoint.method.lower()
    return (f'<p class="apidocs-signature"><span class="apidocs-method apidocs-method--{method}">{endpoint.method}</span> '
            f'<code class="apidocs-path">{path}</code></p>\n')


@dataclass(frozen=True)
class GeneratedHtml:
    """A part of a page apidocs writes as HTML (balanced markup), never read as Markdown."""

    html: str


@dataclass(frozen=True)
class RenderedPage:
    """A page: its title, its parts in order (the writer's Markdown, or generated HTML) and, for
    an endpoint, its request column beside them, rendered when asked for (`column()`).

    MkDocs converts only the writer's Markdown: `marked()` gives it with an HTML comment where
    each generated part goes (Markdown keeps comments as they are) and `fill()` puts the parts in
    afterwards. Engines that take Markdown only get `inline()`, the same HTML inside the Markdown.
    """

    title: str | None  # None: the first part has the page's title
    parts: tuple[str | GeneratedHtml, ...]
    # The request column's HTML, made on call; None: a plain page, one column. A build holds
    # every page from its Markdown pass to its template's, and the column (snippets, examples,
    # the explorer's panel) is most of an endpoint page: made late, it is held by one page at a time.
    column: Callable[[], str] | None = None

    def marked(self, nonce: str) -> tuple[str, dict[str, str]]:
        """The Markdown with a mark per generated part, and each mark's HTML. The marks carry a
        per-page `nonce`, so no text of the writer's can stand for one. The request column's
        mark is `aside_mark(nonce)`."""
        marks: dict[str, str] = {}

        def mark(html: str) -> str:
            key = f"<!-- apidocs {nonce} {len(marks)} -->"
            marks[key] = html
            return key

        lines = self._heading()
        if self.column is not None:
            lines.append(mark('<div class="apidocs-endpoint">\n<div class="apidocs-main">\n'))
        lines += [mark(part.html) if isinstance(part, GeneratedHtml) else part for part in self.parts]
        if self.column is not None:
            lines += [mark("</div>\n"), aside_mark(nonce), mark("</div>\n")]
        return "\n\n".join(lines) + "\n", marks

    @staticmethod
    def fill(html: str, marks: Mapping[str, str]) -> str:
        """The HTML Markdown made of `marked()`'s text, with the generated parts put in."""
        for key, part in marks.items():
            at = html.rfind(key)  # the writer's text all comes before ours
            if at >= 0:
                html = html[:at] + part + html[at + len(key):]
        return html

    def _heading(self) -> list[str]:
        return [] if self.title is None else [f"# {markdown_text(self.title).strip()}"]

    def inline(self) -> str:
        """The whole page as Markdown, generated HTML in it (in md_in_html's markup for the layout)."""
        lines = self._heading()
        if self.column is not None:
            lines.append('<div class="apidocs-endpoint" markdown>\n<div class="apidocs-main" markdown>')
        lines += [part.html if isinstance(part, GeneratedHtml) else part for part in self.parts]
        if self.column is not None:
            lines += ["</div>\n" + self.column() + "</div>"]
        return "\n\n".join(lines) + "\n"


def aside_mark(nonce: str) -> str:
    return f"<!-- apidocs {nonce} request column -->"


def request_column(endpoint: Endpoint, settings: Settings, languages: list[Language],
                   extensions: Sequence[AsideExtension] = ()) -> str:
    """The request column's HTML: snippets, the request and response examples, the extensions' markup."""
    parts = ['<p class="apidocs-aside-title">Request</p>\n', snippet_tabs(endpoint, settings, languages)]
    others = [*([endpoint.request_media_range] if endpoint.request_media_range else []), *endpoint.request_other_media_types,
              *endpoint.request_media_type_variants]
    if others:
        also = ", ".join(f"<code>{html_text(media)}</code>" for media in others)
        parts.append(f'<p class="apidocs-also">The body may also be sent as {also}.</p>\n')
    if endpoint.example.has_body and endpoint.request_example_title:
        body = endpoint.example.body
        if isinstance(body, str) and is_raw(endpoint.request_content_type):  # sent as it is: shown as it is
            parts.append(code_block(body, _text_language(endpoint.request_content_type), endpoint.request_example_title))
        else:
            parts.append(code_block(json_text(body), "json", endpoint.request_example_title))
    parts.append(response_examples(endpoint))
    for extension in extensions:
        parts.append(extension(endpoint, settings, languages))
    return '<div class="apidocs-aside">\n' + "".join(parts) + "</div>\n"


def _text_language(media_type: str) -> str:
    """The highlighting of a body sent as it is: XML and YAML as such, any other text as text."""
    media = media_type_essence(media_type)
    if media.endswith(("/xml", "+xml")):
        return "xml"
    return "yaml" if media.endswith(("/yaml", "/x-yaml", "+yaml")) else "text"


def _body_parts(document: Document) -> list[str | GeneratedHtml]:
    return [GeneratedHtml(parameter_table(block.group)) if block.group is not None else block.markdown
            for block in document.blocks]


def render_endpoint(endpoint: Endpoint, settings: Settings, languages: list[Language],
                    extensions: Sequence[AsideExtension] = (), response_schema: ResponseSchema | None = None) -> RenderedPage:
    parts: list[str | GeneratedHtml] = [GeneratedHtml(_signature(endpoint)), *_body_parts(endpoint)]
    responses = responses_section(endpoint, response_schema)
    if responses:
        parts += ["## Responses", GeneratedHtml(responses)]
    return RenderedPage(endpoint.name, tuple(parts), partial(request_column, endpoint, settings, languages, extensions))


def render_document(document: Document) -> RenderedPage:
    """A plain page: its prose and any parameter lists, titled from the front matter unless the
    body starts with a title of its own."""
    parts = _body_parts(document)
    first = next((part for part in parts if isinstance(part, GeneratedHtml) or part.strip()), "")
    has_title = isinstance(first, str) and first.lstrip().startswith("# ")
    return RenderedPage(None if has_title else document.title, tuple(parts))


# Front-matter keys the theme prints as HTML: title (`<title>`, header, search), description
# (a `<meta>` attribute), subtitle and status (the nav).
THEME_TEXT_KEYS = ("title", "description", "subtitle", "status")


def theme_text(text: str) -> Markup:
    """Text for the theme, which prints titles as HTML with autoescape off.

    MkDocs itself treats titles as HTML (it takes them from rendered headings, entities kept), so
    the text is escaped; `Markup` tells the templates that do escape (`| e`) that it already is,
    so a reader sees `<` and not `&lt;`.
    """
    return text if isinstance(text, Markup) else Markup(html_text(text))


def page_meta(document: Document, front_matter: Mapping[str, Any]) -> dict[str, Any]:
    """The page's metadata for MkDocs and the theme: apidocs' own keys, every shown text escaped."""
    meta = dict(front_matter)
    if document.passthrough:
        # An ordinary page is the site's own: MkDocs renders it byte for byte as without apidocs.
        # Only a text that could open markup or close an attribute is escaped; `A & B` or
        # `Writer's guide` stay as written.
        for key in THEME_TEXT_KEYS:
            value = meta.get(key)
            if isinstance(value, str) and any(mark in value for mark in '<>"'):
                meta[key] = theme_text(value)
        return meta
    if isinstance(document, Endpoint):
        meta["title"] = document.name
        meta["status"] = f"apidocs-{document.method.lower()}"
        meta.setdefault("hide", ["toc"])  # the request column needs the width
        if document.description:
            meta["description"] = document.description
    else:
        meta["title"] = document.title
    for key in THEME_TEXT_KEYS:
        if isinstance(meta.get(key), str):
            meta[key] = theme_text(meta[key])
        else:
            meta.pop(key, None)  # a list or a mapping would print as its Python repr
    return meta


def render_page(document: Document, settings: Settings, languages: list[Language],
                extensions: Sequence[AsideExtension] = (), response_schema: ResponseSchema | None = None) -> RenderedPage:
    if isinstance(document, Endpoint):
        return render_endpoint(document, settings, languages, extensions, response_schema)
    return render_document(document)


def render_markdown(document: Document, settings: Settings, languages: list[Language],
                    extensions: Sequence[AsideExtension] = (), response_schema: ResponseSchema | None = None) -> str:
    """The whole page as Markdown (the request column as raw HTML in it), for other engines."""
    return render_page(document, settings, languages, extensions, response_schema).inline()
