"""The Markdown MkDocs renders for each document: endpoint layout, parameter tables, snippet tabs.

The page is two columns on wide screens (prose left, request column right, as the source site's
`right_code` column was) and one column on narrow screens; the CSS in `generator/assets/` does
the layout, this module only emits the structure.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from apidocs.config.settings import Settings
from apidocs.model.endpoint import PLACEHOLDER, Document, Endpoint, ExampleResponse, ParameterGroup
from apidocs.rendering.languages import Language
from apidocs.rendering.quoting import html_text, json_text, markdown_text
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet

# Markup a caller adds to the request column (the plugin passes the explorer's panel), so this
# module renders pages without knowing the explorer.
AsideExtension = Callable[[Endpoint, Settings, list[Language]], str]

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


def parameter_table(group: ParameterGroup) -> str:
    has_required = any(p.is_required for p in group.parameters) or group.kind in ("path", "query", "request", "header")
    name_title, type_title, _ = _KIND_COLUMNS.get(group.kind, ("Name", "Type", None))
    header = f"| {name_title} | {type_title} |" + (" Required |" if has_required else "") + " Description |"
    rule = "|---|---|" + ("---|" if has_required else "") + "---|"
    rows = []
    for parameter in group.parameters:
        required = ""
        if has_required:
            required = " **required** |" if parameter.is_required or group.kind == "path" else " optional |"
        name = f"<code>{markdown_text(parameter.name).strip()}</code>"
        rows.append(f"| {name} | {markdown_text(parameter.type or '').strip()} |{required} {described(parameter.description)} |")
    return "\n".join([header, rule, *rows]) + "\n"


def _indent(text: str, spaces: int = 4) -> str:
    return textwrap.indent(text, " " * spaces, lambda line: True)


def _fence(code: str, highlight: str, title: str | None = None) -> str:
    longest = max((len(run) for run in code.split("\n") if set(run.strip()) == {"`"}), default=0)
    fence = "`" * max(3, longest + 1)
    # Superfences reads the title up to the next quote and has Pygments escape it; in "html"
    # mode it takes it as given, so the escaped text (no quote left in it) shows as typed.
    attributes = f' title="{html_text(" ".join(title.split()))}" title_mode="html"' if title else ""
    return f"{fence}{highlight}{attributes}\n{code.rstrip()}\n{fence}\n"


def snippet_tabs(endpoint: Endpoint, settings: Settings, languages: list[Language]) -> str:
    """Content tabs, one per language; Material links them across pages by label."""
    request = build_request(endpoint, settings.auth, settings.default_server)
    tabs = []
    for language in languages:
        code = render_snippet(settings.snippets_dir, language, request)
        tabs.append(f'=== "{language.label}"\n\n' + _indent(_fence(code, language.highlight)) + "\n")
    return "".join(tabs)


def _response_block(response: ExampleResponse) -> str:
    body = response.body
    code = json_text(body) if not isinstance(body, str) else body
    return _fence(code, "json" if not isinstance(body, str) else "text", response.title)


def _signature(endpoint: Endpoint) -> str:
    path = html_text(endpoint.path)
    path = PLACEHOLDER.sub(lambda m: f'<span class="apidocs-param">{{{m.group(1)}}}</span>', path)
    method = endpoint.method.lower()
    return (f'<p class="apidocs-signature"><span class="apidocs-method apidocs-method--{method}">{endpoint.method}</span> '
            f'<code class="apidocs-path">{path}</code></p>\n')


def render_endpoint(endpoint: Endpoint, settings: Settings, languages: list[Language],
                    extensions: Sequence[AsideExtension] = ()) -> str:
    main: list[str] = [_signature(endpoint)]
    for block in endpoint.blocks:
        if block.group is not None:
            main.append(parameter_table(block.group))
        else:
            main.append(block.markdown)
    aside: list[str] = ['<p class="apidocs-aside-title">Request</p>\n', snippet_tabs(endpoint, settings, languages)]
    if endpoint.example.has_body and endpoint.request_example_title:
        aside.append(_fence(json_text(endpoint.example.body), "json", endpoint.request_example_title))
    for response in endpoint.responses:
        aside.append(_response_block(response))
    for extension in extensions:
        aside.append(extension(endpoint, settings, languages))
    return (
        f"# {markdown_text(endpoint.name).strip()}\n\n"
        '<div class="apidocs-endpoint" markdown>\n'
        '<div class="apidocs-main" markdown>\n\n' + "\n".join(main) + "\n</div>\n"
        '<div class="apidocs-aside" markdown>\n\n' + "\n".join(aside) + "\n</div>\n</div>\n"
    )


def render_document(document: Document) -> str:
    """A plain page: its prose and any parameter lists, title from front matter if the body has none."""
    parts = []
    for block in document.blocks:
        parts.append(parameter_table(block.group) if block.group is not None else block.markdown)
    text = "\n".join(parts)
    if not text.lstrip().startswith("# "):
        text = f"# {markdown_text(document.title).strip()}\n\n{text}"
    return text


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


def render_markdown(document: Document, settings: Settings, languages: list[Language],
                    extensions: Sequence[AsideExtension] = ()) -> str:
    if isinstance(document, Endpoint):
        return render_endpoint(document, settings, languages, extensions)
    return render_document(document)

