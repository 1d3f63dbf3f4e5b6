"""The Markdown MkDocs renders for each document: endpoint layout, parameter tables, snippet tabs.

The page is two columns on wide screens (prose left, request column right, as the source site's
`right_code` column was) and one column on narrow screens; the CSS in `generator/assets/` does
the layout, this module only emits the structure.
"""

from __future__ import annotations

import html
import textwrap
from typing import Callable, Sequence

from apidocs.config.settings import Settings
from apidocs.rendering.languages import Language
from apidocs.model.endpoint import PLACEHOLDER, Document, Endpoint, ExampleResponse, ParameterGroup
from apidocs.rendering.quoting import json_text
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet

# Markup a caller adds to the request column (the plugin passes the explorer's panel), so this
# module renders pages without knowing the explorer.
AsideExtension = Callable[[Endpoint, Settings, list[Language]], str]

_KIND_COLUMNS = {"response": ("Field", "Type", None), "object": ("Field", "Type", None)}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


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
        rows.append(f"| `{_cell(parameter.name)}` | {_cell(parameter.type or '')} |{required} {_cell(parameter.description)} |")
    return "\n".join([header, rule, *rows]) + "\n"


def _indent(text: str, spaces: int = 4) -> str:
    return textwrap.indent(text, " " * spaces, lambda line: True)


def _fence(code: str, highlight: str, title: str | None = None) -> str:
    longest = max((len(run) for run in code.split("\n") if set(run.strip()) == {"`"}), default=0)
    fence = "`" * max(3, longest + 1)
    attributes = f' title="{html.escape(title, quote=True)}"' if title else ""
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
    path = html.escape(endpoint.path)
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
        f"# {endpoint.name}\n\n"
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
        text = f"# {document.title}\n\n{text}"
    return text


def render_markdown(document: Document, settings: Settings, languages: list[Language],
                    extensions: Sequence[AsideExtension] = ()) -> str:
    if isinstance(document, Endpoint):
        return render_endpoint(document, settings, languages, extensions)
    return render_document(document)

