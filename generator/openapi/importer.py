"""`apidocs import-openapi SPEC DEST`: an OpenAPI 3.0/3.1 spec becomes a ready apidocs project.

Every operation becomes one endpoint definition (Markdown with front matter, the format writers
use), in one folder per tag; examples come from the spec or are made from its schemas; the
parameter and field tables come from the schemas. Whatever the definition format cannot carry
is written to `import-report.txt`, per operation, instead of being dropped silently.

The spec is untrusted: `source.py` bounds what is read, every text from it is written as data
(HTML and Liquid in descriptions are shown, never run), and every file lands under DEST.
"""

from __future__ import annotations

import base64
import copy
import functools
import html
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3
import yaml

from apidocs.config.project import dump_config, project_config
from apidocs.config.settings import QUERY_KEY_NAME
from apidocs.definitions.frontmatter import json_front_matter
from apidocs.definitions.secrets import is_secret_name, looks_like_placeholder, placeholder_for, scrub_lines, scrub_value
from apidocs.model.errors import ConfigError
from apidocs.model.forms import ENCODING_STYLES, FORM_MEDIA_TYPE, INDEX, REPEAT, FormError, is_json_content_type, list_styles
from apidocs.model.headers import (
    HEADER_NAME,
    MEDIA_RANGE,
    MEDIA_TYPE,
    carried_in_a_header,
    is_json_media_type,
    is_media_type,
    media_type_essence,
    media_type_taken,
)
from apidocs.model.multipart import MULTIPART_MEDIA_TYPE, multipart_parts
from apidocs.model.paths import PLACEHOLDER_NAME, PathTemplate, split_suffix
from apidocs.model.raw import is_raw, is_text_media_type
from apidocs.model.types import schema_of_type_word
from apidocs.model.validation import SchemaError, check_schema
from apidocs.openapi.examples import (
    NO_EXAMPLE,
    Schema,
    chosen_branch,
    completed,
    directed,
    example_of,
    fits,
    given_example,
    json_schema,
    merged,
    types_of,
)
from apidocs.openapi.export import DEPRECATED_NOTE
from apidocs.openapi.multipart import FALLBACK_NAME, file_kind, file_members, file_name, is_given_file_name, nested_files
from apidocs.openapi.source import MAX_EXPANDED, Budget, Spec, SpecError, open_spec
from apidocs.openapi.texts import example_text

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")  # `trace` has no place in the model
REPORT = "import-report.txt"
DEMO_TOKEN = "your-api-token"
_MAX_NAME = 80
_FIELD_DEPTH = 4  # nesting shown in field tables (`a.b.c.d`)
_MAX_FIELDS = 200
_MAX_SCHEMA_BYTES = 64 * 1024  # a larger schema is left out of the definition (and reported)
# Folders MkDocs leaves out of every site by default (`exclude_docs` always holds `/templates/`):
# a section there would build green with none of its pages.
_EXCLUDED_BY_MKDOCS = frozenset({"templates"})
# libyaml's emitter when PyYAML has it: writing the definitions is most of an import's time.
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Front matter longer than this (any with a schema or an example body) is written as JSON, which
# YAML reads too: PyYAML took a third of a Kubernetes import to write it, and 15% of a 700-operation
# build to read it back; `json` does both several times faster. The few short ones (a title, a
# method, a status) stay YAML.
_JSON_FRONT_MATTER_FROM = 1024


@dataclass
class Auth:
    """The site-wide credentials the definitions' snippets send: an auth header, or an API key
    in the query (`query`: its parameter's name)."""

    header: str = ""
    scheme: str = ""
    token: str = DEMO_TOKEN
    note: str = ""
    demo_tokens: list[str] = field(default_factory=list)
    scheme_name: str = ""  # the spec's security scheme the header stands for
    default_security: Any = None  # the spec's top-level `security`, for operations without their own
    query: str = ""

    @property
    def sent(self) -> str:
        """How the snippets send the credentials (empty: they send none)."""
        return self.header or (f"the query parameter {self.query}" if self.query else "")


@dataclass
class Operation:
    method: str
    path: str
    data: dict[str, Any]
    path_item: dict[str, Any]
    tag: str
    order: int
    notes: list[str] = field(default_factory=list)
    # The schema component a part of the operation is a `$ref` to (`("requestBody", "content",
    # "application/xml", "schema")` → `Pet`), which the resolved `data` no longer tells.
    component_name: Callable[[tuple[str, ...]], str | None] = lambda where: None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class ImportResult:
    endpoints: int = 0
    sections: int = 0
    notes: list[str] = field(default_factory=list)


# --- text from the spec, written as data ------------------------------------------------------

_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
# Formatting HTML that spec prose may keep (Stripe's and AWS's descriptions are HTML); other
# tags are dropped, their text kept.
BLOCK_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em", "hr", "i",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
_HTML_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Elements that make a text HTML; `List<String>` in prose alone does not (it stays text).
_HTML_NAMES = BLOCK_TAGS | {"article", "aside", "audio", "base", "body", "button", "center", "embed", "figure", "font", "form",
                            "h1", "h2", "h3", "h4", "h5", "h6", "head", "html", "iframe", "img", "input", "link", "meta",
                            "noscript", "object", "script", "section", "select", "style", "svg", "textarea", "video"}
_HTML_TAG = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9-]*+)[^<>]*+>")  # possessive: linear on a `<` never closed
_MARK_WORDS = re.compile(r"\*{1,3}\s*(required|optional)\s*\*{1,3}", re.I)
_CODE_MARK = re.compile("\ue000(\\d+)\ue001")  # a code part kept aside while the HTML is cleaned
# A Markdown link or image, `[text](target "title")` / `![alt](target)`, or else a code part
# (matched first at its position, so links written inside code stay as written). The spaces
# are matched possessively: otherwise a long run of them after `](` is tried in every split (a
# spec's 20,000 spaces took seconds).
_LINK_OR_CODE = re.compile(
    _CODE.pattern + r"|!?\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*+(?P<target><[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)(?:\s++(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*+\)",
    re.S)
_URL_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*:")


def _is_beside_the_spec(target: str) -> bool:
    """Whether a link target is a file or page of the site the spec was published on (`../tables.xlsx`,
    `/guide`, `../#section/Auth`): the imported project has no such file, and MkDocs refuses a
    strict build that links to one. Anchors on the same page (`#top`) and URLs with a scheme or a
    host are fine as they are."""
    target = target.strip("<>").strip()
    return bool(target) and not target.startswith(("#", "//")) and not _URL_SCHEME.match(target)


def _local_links(text: str) -> tuple[str, list[str]]:
    """`text` with each link or image to a file beside the spec replaced by its text (an image by
    its alt text), and the targets so replaced, for the report."""
    targets: list[str] = []

    def unlinked(match: re.Match[str]) -> str:
        if match.group("target") is None or not _is_beside_the_spec(match.group("target")):
            return match.group(0)
        targets.append(match.group("target").strip("<>"))
        return match.group("text")

    return _LINK_OR_CODE.sub(unlinked, text), targets


def local_links(text: Any) -> list[str]:
    """The targets of the links `safe_markdown` shows as text (files beside the spec), for the report."""
    return list(dict.fromkeys(_local_links(text)[1])) if isinstance(text, str) else []


# What ends a `{% raw %}` block early, wherever it stands in the text.
_END_RAW = re.compile(r"\{%(?=-?\s*endraw\b)")


def liquid_raw_text(text: str) -> str:
    """`text` to stand between `{% raw %}` and `{% endraw %}` and come out as written: only an
    `endraw` tag in it would end the block, so its `{%` is closed out and given as a string."""
    return _END_RAW.sub(lambda _: "{% endraw %}{{ '{%' }}{% raw %}", text)


# Lines the definition format reads as its own where spec prose (CommonMark) means text: a `: `
# line makes the line above a parameter of the table a heading names, a `{: …}` line is dropped
# (or takes the code block above for a pasted snippet). Written with an entity, they show as typed.
_FORMAT_LINES = re.compile(r"^(?::|([ \t]*)\{:)", re.M)


def _as_text_lines(prose: str) -> str:
    return _FORMAT_LINES.sub(lambda line: "&#58;" if line.group(1) is None else f"{line.group(1)}&#123;:", prose)


def safe_markdown(text: Any, liquid: bool = True) -> str:
    """Spec Markdown as prose: formatting HTML kept (cleaned by nh3), any other HTML dropped, Liquid never run.

    `liquid`: the text goes on a page that is read as Liquid (an endpoint's), so text that looks
    like Liquid is guarded with `raw` tags; other pages are never read as Liquid and take it as is.

    Code spans and blocks stay as written (Markdown shows them literally). Text without tags
    has its `<`, `>` and `&` escaped, as before there was HTML to keep. Links to files beside the
    spec (`[tables](../tables.xlsx)`) are shown as their text: the project has no such files.
    """
    if not isinstance(text, str):
        return ""
    text = _local_links(text.replace("\r\n", "\n"))[0]
    parts = _CODE.split(text)
    prose = "".join(part if index % 2 == 0 else f"\ue000{index // 2}\ue001" for index, part in enumerate(parts))
    escaped = "".join(part if index % 2 else _as_text_lines(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
                      for index, part in enumerate(parts))
    out = escaped
    if _is_html(prose) and "\ue000" not in text and "\ue001" not in text:
        cleaned = nh3.clean(prose, tags=set(BLOCK_TAGS), attributes=_HTML_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer", strip_comments=True)
        # A code part that lands inside a tag (`<a href="`...`">`) could close its attribute: escape all then.
        if not any("\ue000" in tag.group(0) for tag in _HTML_TAG.finditer(cleaned)):
            out = _CODE_MARK.sub(lambda mark: parts[2 * int(mark.group(1)) + 1], _as_text_lines(cleaned))
    if liquid and ("{{" in out or "{%" in out):
        out = "{% raw %}\n" + liquid_raw_text(out) + "\n{% endraw %}"
    return out.strip()


def plain_line(text: Any, liquid: bool = True) -> str:
    """Spec prose for a table cell, which pages show as literal text with `code spans`: one line,
    HTML reduced to its text (`<code>` to a code span). `liquid`: as in `safe_markdown`."""
    if not isinstance(text, str):
        return ""
    parts = _CODE.split(text)
    for index in range(0, len(parts), 2):
        if _is_html(parts[index]):
            part = re.sub(r"<\s*code\s*>([^<`]*)<\s*/\s*code\s*>", r"`\1`", parts[index], flags=re.I)
            part = re.sub(r"(</\s*(?:p|div|li|dd|dt|tr|h[1-6])\s*>|<\s*br\s*/?>)", r"\1 ", part, flags=re.I)
            parts[index] = html.unescape(nh3.clean(part, tags=set(), strip_comments=True))
    out = " ".join("".join(parts).split())
    # The definition format reads `**Required**` anywhere in the cell as the required mark (and
    # drops `*optional*`): GitHub's "**Required** when using `subject_id`" is prose, kept as words.
    out = _MARK_WORDS.sub(r"\1", out)
    if liquid and ("{{" in out or "{%" in out):  # definitions are read through Liquid: this text is not to be run
        out = "{% raw %}" + liquid_raw_text(out) + "{% endraw %}"
    return out


def _is_html(prose: str) -> bool:
    return any(tag.group(1).lower() in _HTML_NAMES for tag in _HTML_TAG.finditer(prose))


def _local_links_note(text: Any, where: str) -> list[str]:
    targets = local_links(text)
    if not targets:
        return []
    shown = ", ".join(f"`{one_line(target, 80)}`" for target in targets[:3]) + (" …" if len(targets) > 3 else "")
    return [f"links in {where} to {shown} are shown as their text (files beside the spec are not part of the project)"]


def dropped_html(text: Any) -> list[str]:
    """The tags `safe_markdown` leaves out of `text` (outside code), for the report."""
    if not isinstance(text, str):
        return []
    prose = "".join(_CODE.split(text)[0::2])
    if not _is_html(prose):
        return []
    return list(dict.fromkeys(f"<{tag.group(1).lower()}>" for tag in _HTML_TAG.finditer(prose)
                              if tag.group(1).lower() not in BLOCK_TAGS))


def mapping(value: Any) -> dict[str, Any]:
    """`value` when the spec has a mapping there, else an empty one (odd input is not fatal)."""
    return value if isinstance(value, dict) else {}


def one_line(text: Any, limit: int = 300) -> str:
    if not isinstance(text, str):
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def slug(text: str, fallback: str) -> str:
    """A safe file or folder name: `buyMuseumTickets` → `buy-museum-tickets`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    value = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:_MAX_NAME].strip("-")
    return value or fallback


# --- schemas to the definition format -------------------------------------------------------

def type_word(schema: Any) -> str:
    """The `(type)` written in a parameter list: `string`, `array of integer`, `string or null`."""
    if not isinstance(schema, dict):
        return ""
    schema = chosen_branch(schema)
    kinds = types_of(schema)
    words = []
    for kind in (kind for kind in kinds if kind != "null"):
        if kind == "array":
            inner = type_word(schema.get("items"))
            kind = f"array of {inner}" if inner else "array"
        elif kind == "string" and isinstance(schema.get("format"), str) and schema["format"] in ("uuid", "date", "date-time", "email"):
            kind = {"date-time": "datetime"}.get(schema["format"], schema["format"])
        words.append(kind)
    if "null" in kinds and words:
        words.append("null")
    return " or ".join(words)


def _describe(schema: dict[str, Any], alternatives: int = 0) -> str:
    """A field's description, with what its schema says beyond the type; `alternatives`: how
    many `oneOf`/`anyOf` shapes it has (the first is the one listed)."""
    parts = [one_line(schema.get("description") or schema.get("title"), 600)]
    if alternatives > 1:
        parts.append(f"One of {alternatives} shapes (the first is listed).")
    if "const" in schema:
        parts.append(f"Always `{json.dumps(schema['const'], ensure_ascii=False)}`.")
    if isinstance(schema.get("enum"), list):
        parts.append("One of: " + ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in schema["enum"][:30]))
    if "default" in schema:
        parts.append(f"Default: `{json.dumps(schema['default'], ensure_ascii=False)}`.")
    if schema.get("deprecated") is True:
        parts.append("Deprecated.")
    # What the description says already is not said twice: an export's (`One of: …` written out) read back.
    return " ".join(part for index, part in enumerate(parts) if part and (index == 0 or part not in parts[0]))


def _response_headers(headers: dict[str, Any]) -> str:
    """A response's headers in words, for its description: `Location` (string, required): …"""
    described = []
    for name, header in list(headers.items())[:20]:
        if not isinstance(header, dict) or str(name).lower() == "content-type":  # ignored by OpenAPI
            continue
        schema = mapping(header.get("schema"))
        kind = ", ".join(part for part in (type_word(schema), "required" if header.get("required") is True else "") if part)
        text = one_line(header.get("description") or schema.get("description"), 200)
        described.append(f"`{one_line(str(name), 80).replace('`', '')}`" + (f" ({kind})" if kind else "") + (f": {text}" if text else ""))
    return ("Headers: " + "; ".join(described) + ".") if described else ""


def _alternatives(schema: Any) -> int:
    """How many shapes a schema's `oneOf` (or `anyOf`) offers, with `allOf` merged."""
    if not isinstance(schema, dict):
        return 0
    folded = merged(schema)
    return max((len(folded[key]) for key in ("oneOf", "anyOf") if isinstance(folded.get(key), list)), default=0)


def always_required(schema: Schema, depth: int = 0) -> set[str]:
    """The members every value of the schema has: its own `required` (with its `allOf` parts'),
    and those each of its `oneOf` (or `anyOf`) branches requires. A member only the first branch
    requires is not marked required: a value of another branch (the spec's example) leaves it out."""
    schema = merged(schema)
    required = {name for name in schema.get("required") or [] if isinstance(name, str)} if isinstance(schema.get("required"), list) else set()
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if depth < _FIELD_DEPTH and isinstance(branches, list) and branches and all(isinstance(b, dict) for b in branches):
            required |= set.intersection(*(always_required(branch, depth + 1) for branch in branches))
    return required


def fields(schema: Any, direction: str, prefix: str = "", depth: int = 0,
           multipart: bool = False, readable: bool = True) -> list[tuple[str, str, bool, str]]:
    """(name, type, required, description) for each property, nested ones as `parent.child`;
    `multipart`: the body's own file members are of type `file` (or `array of file`).

    A member whose name holds `.`, `[` or `]` (Jira's `The column position of the gadget.`) makes
    `parent.child` ambiguous: the page cannot be read back to where it and its members sit, so
    their requirement is said in words, not with the mark lint and the check read by that path
    (`readable` False below such a member)."""
    if not isinstance(schema, dict) or depth > _FIELD_DEPTH:
        return []
    chosen = chosen_branch(schema)
    if "array" in types_of(chosen) and isinstance(chosen.get("items"), dict) and not prefix:
        schema = chosen["items"]
        chosen = chosen_branch(schema)
    properties = chosen.get("properties")
    if not isinstance(properties, dict):
        return []
    required = always_required(schema)
    schema = chosen
    skip = "readOnly" if direction == "request" else "writeOnly"
    rows: list[tuple[str, str, bool, str]] = []
    for name, sub in properties.items():
        if not isinstance(sub, dict) or sub.get(skip) is True:
            continue
        full = f"{prefix}{name}"
        shapes = _alternatives(sub)
        sub = chosen_branch(sub)
        kind = file_kind(sub) if multipart and depth == 0 else None
        word = {"file": "file", "files": "array of file"}.get(kind or "") or type_word(sub)
        clear = readable and not any(mark in str(name) for mark in ".[]")
        described = _describe(sub, shapes)
        if name in required and not clear:
            described = f"Required. {described}".strip()
        rows.append((full, word, name in required and clear, described))
        inner = sub.get("items") if "array" in types_of(sub) else sub
        rows += fields(inner, direction, f"{full}{'[]' if inner is not sub else ''}.", depth + 1, readable=clear)
        if len(rows) > _MAX_FIELDS:
            break
    return rows[:_MAX_FIELDS]


def definition_list(title: str, rows: Iterable[tuple[str, str, bool, str]], intro: str = "") -> str:
    """A parameter heading and its definition list, with `intro` (Markdown) between them."""
    lines = []
    for name, kind, required, description in rows:
        term = name.replace("\n", " ").strip() or "(unnamed)"
        if term[0] in ":#|~`{<->*+ \t\\":  # read back as the name without the backslash, as Markdown shows it
            term = "\\" + term
        kind_text = f"({kind}) " if kind else ""
        mark = "***Required*** " if required else ""
        text = plain_line(description)
        lines.append(f"{term}\n: {kind_text}{mark}{text}".rstrip() + "\n")
    return f"### {title}\n\n" + (f"{intro}\n\n" if intro else "") + "\n".join(lines) if lines or intro else ""


# --- one operation ---------------------------------------------------------------------------

def _parameters(operation: Operation) -> list[dict[str, Any]]:
    """Path-level parameters overridden by operation-level ones of the same name and place."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (operation.path_item.get("parameters"), operation.data.get("parameters")):
        for parameter in source if isinstance(source, list) else []:
            if isinstance(parameter, dict) and isinstance(parameter.get("name"), str) and isinstance(parameter.get("in"), str):
                merged[(parameter["in"], parameter["name"])] = parameter
    return list(merged.values())


def _parameter_schema(parameter: dict[str, Any]) -> Schema:
    schema = parameter.get("schema")
    if isinstance(schema, dict):
        return schema
    content = parameter.get("content")
    if isinstance(content, dict) and content:
        media = next(iter(content.values()))
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            return dict(media["schema"])
    return {"type": "string"}


def _named_example(holder: dict[str, Any]) -> Any:
    """`example`, else the value of the first of the named `examples` (parameters and media types alike)."""
    if "example" in holder:
        return holder["example"]
    named = holder.get("examples")
    if isinstance(named, dict):
        for item in named.values():
            if isinstance(item, dict) and "value" in item:
                return item["value"]
    return NO_EXAMPLE


def _examples_left_out(holder: dict[str, Any], what: str) -> list[str]:
    """Report lines for the named `examples` a page does not show: all but the one it takes, and
    those kept in a file of their own (`externalValue`: never fetched)."""
    named = holder.get("examples")
    if "example" in holder or not isinstance(named, dict):
        return []
    inline = [str(name) for name, item in named.items() if isinstance(item, dict) and "value" in item]
    external = [str(name) for name, item in named.items() if isinstance(item, dict) and "value" not in item and "externalValue" in item]
    lines = []
    if len(inline) > 1:
        others = ", ".join(f"`{one_line(name, 40)}`" for name in inline[1:4]) + (" …" if len(inline) > 4 else "")
        lines.append(f"{what}: example `{one_line(inline[0], 40)}` is shown; {others} not")
    if external:
        lines.append(f"{what}: examples in files of their own (externalValue: {', '.join(f'`{one_line(name, 40)}`' for name in external[:3])})"
                     " are not fetched")
    return lines


def _parameter_example(parameter: dict[str, Any]) -> Any:
    given = _named_example(parameter)
    content = parameter.get("content")
    if given is NO_EXAMPLE and isinstance(content, dict) and content and isinstance(next(iter(content.values())), dict):
        given = _named_example(next(iter(content.values())))  # a parameter given as a media type: its example
    return given if given is not NO_EXAMPLE else example_of(_parameter_schema(parameter), direction="request")


# Headers each HTTP client works out from the request it sends: a fixed example would contradict it.
_SET_BY_CLIENTS = frozenset(("content-length", "host", "transfer-encoding", "connection", "expect", "keep-alive", "te",
                             "trailer", "upgrade"))


def _header_instead(text: str, schema: dict[str, Any]) -> str:
    """A header value HTTP carries in place of `text`: another value the schema lists, else
    `text`'s ASCII letters (accents taken off, control characters as spaces)."""
    listed = schema.get("enum")
    for value in listed if isinstance(listed, list) else []:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and carried_in_a_header(str(value)) and str(value):
            return str(value)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join("".join(ch if carried_in_a_header(ch) else " " for ch in folded).split()) or "example"


# HTTP authentication schemes that answer a server's challenge: no fixed header a snippet could send.
_CHALLENGED_SCHEMES = frozenset(("digest", "negotiate", "ntlm", "hoba", "mutual", "scram-sha-1", "scram-sha-256", "vapid"))
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
_JOINERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def _on_the_wire(parameter: dict[str, Any], schema: Schema, value: Any) -> tuple[str | list[str] | dict[str, str], str, str]:
    """A parameter's example as sent (OpenAPI `style`/`explode`), its `(type)`, and how it travels.

    The `(type)` of a path or query parameter is what each value on the wire is (the sandbox
    checks it): an exploded array's items, or `string` for a value joined into one text. A
    deepObject query parameter is sent as the query parameters it stands for (`search[name]`).
    """
    place = str(parameter.get("in"))
    kind = type_word(schema)
    if "content" in parameter and "schema" not in parameter:
        media = next(iter(mapping(parameter.get("content"))), "application/json")
        if isinstance(value, (dict, list)):
            return _as_text(value), "string" if place in ("path", "query") else kind, f"{_a(kind or 'value')} sent as {media} text."
        return _as_text(value), kind, ""
    style = str(parameter.get("style") or _DEFAULT_STYLE.get(place, "simple"))
    explode = parameter.get("explode", style == "form")
    members = _deep_object_members(str(parameter.get("name")), value) if place == "query" and style == "deepObject" else None
    if members:
        shown = "&".join(f"{key}={text}" for key, text in members.items())
        return members, kind or "object", f"{_a(kind or 'object')}, sent as `{shown}` (style deepObject)."
    if isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value):
        items = [_as_text(item) for item in value]
        if place == "query" and style in ("form", "spaceDelimited", "pipeDelimited") and explode:
            inner = type_word(schema.get("items")) if isinstance(schema.get("items"), dict) else ""
            return items, inner or "string", f"Repeatable ({kind}): one `{parameter.get('name')}=` per item."
        joiner = _JOINERS.get(style, ",")
        if style == "label":
            text = "." + ("." if explode else ",").join(items)
        elif style == "matrix":
            name = parameter.get("name")
            text = "".join(f";{name}={item}" for item in items) if explode else f";{name}=" + ",".join(items)
        else:
            text = joiner.join(items)
        return text, "string" if place in ("path", "query") else kind, f"{_a(kind)}, sent as `{text}` (style {style})."
    if (isinstance(value, dict) and place in ("path", "header") and style == "simple"
            and all(not isinstance(item, (dict, list)) for item in value.values())):
        # RFC 6570 simple style: `r,1,g,2`, or `r=1,g=2` exploded
        text = ",".join(f"{key}={_as_text(item)}" if explode else f"{key},{_as_text(item)}" for key, item in value.items())
        return text, "string", f"{_a(kind or 'object')}, sent as `{text}` (style simple)."
    if isinstance(value, (dict, list)):
        text = _as_text(value)
        if place in ("path", "query"):
            return text, "string", f"{_a(kind or 'value')} (style {style}), shown as JSON text."
        return text, kind, ""
    if place in ("path", "query") and (kind.startswith("array") or kind == "object" or kind.startswith("object ")):
        return _as_text(value), "string", f"{_a(kind)} (style {style})."
    if place == "path" and style in ("label", "matrix"):
        text = "." + _as_text(value) if style == "label" else f";{parameter.get('name')}={_as_text(value)}"
        return text, "string", f"{_a(kind or 'value')}, sent as `{text}` (style {style})."
    return _as_text(value), kind, ""


def _deep_object_members(name: str, value: Any) -> dict[str, str] | None:
    """A deepObject parameter's object as the query parameters that send it: `search[name]=Contenders`,
    nested objects as `filter[a][b]`, a list of values joined by commas (`range[id]=1,10`, what
    the APIs that use the style read; OpenAPI leaves lists undefined). None for another value,
    or a list of objects."""
    if not isinstance(value, dict) or not value:
        return None
    members: dict[str, str] = {}
    pending = [(f"{name}[{key}]", member) for key, member in value.items()]
    while pending:
        key, member = pending.pop(0)
        if isinstance(member, dict):
            pending[:0] = [(f"{key}[{inner}]", item) for inner, item in member.items()]
        elif isinstance(member, list) and all(not isinstance(item, (dict, list)) for item in member):
            members[key] = ",".join(_as_text(item) for item in member)
        elif isinstance(member, list):
            return None
        else:
            members[key] = _as_text(member)
    return members


def _a(kind: str) -> str:
    """`kind` after its article, for the start of a sentence: "An array of string", "A string"."""
    return f"{'An' if kind[:1] in 'aeiou' else 'A'} {kind}"


def _as_text(value: Any) -> str:
    """A parameter value as it travels in a URL or header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)



def _joined_items_split(body: Any, encoding: dict[str, dict[str, Any]]) -> list[str]:
    """Members sent as one text joined by a delimiter whose example items hold it: read back,
    they are more items than were sent (`"Paris, France"` joined by commas is two)."""
    notes = []
    for name, delimiter in list_styles(encoding).items():
        items = body.get(name) if isinstance(body, dict) else None
        if delimiter not in (INDEX, REPEAT) and isinstance(items, list) and any(delimiter in str(item) for item in items):
            notes.append(f"form field `{one_line(name, 60)}`: an example item holds {delimiter!r}, which joins its items "
                         "(the sandbox reads more items back than were sent)")
    return notes


def _samples_as_placeholders(value: Any, schema: Schema, converted: Schema, what: str, known_tokens: set[str],
                             notes: list[str]) -> Any:
    """A JSON example with the credentials a spec shows as samples (`password: hunter22`, a JWT
    in a login's answer) replaced by placeholders (`YOUR_PASSWORD`): lint asks that of every
    page (E302), so an imported project passes it, and the pages pass on no key as the docs'
    own. Kept as it is when its schema refuses the placeholders (a pattern, a length)."""
    if not isinstance(value, (dict, list)):
        return value
    scrubbed, names = scrub_value(value, known_tokens)
    if not names or fits(scrubbed, schema, converted) is not None:
        return value
    shown = ", ".join(f"`{one_line(name, 40)}`" for name in dict.fromkeys(names))
    notes.append(f"{what} example: sample credentials ({shown}) replaced by placeholders")
    return scrubbed


def scrubbed_text(text: str, known_tokens: set[str], placeholder: str, found: list[str]) -> str:
    """Spec prose without the credentials it shows (a `curl -H "Authorization: Bearer jEhe…"`
    in an API's introduction, `?token=…` in a header's example, a key in a code sample): lint
    cannot tell them from a writer's pasted secret (E301, E302). A token becomes `placeholder`,
    the documented one, other credentials a `YOUR_…` placeholder; a line that is only a Cookie
    header goes. `found` receives what kind of secret each was, for the report."""
    if not text:
        return text
    lines = text.split("\n")
    changed = False
    for number, line, secrets in scrub_lines(enumerate(lines), known_tokens, placeholder):
        lines[number] = line if line is not None else ""
        found.extend(secret.kind for secret in secrets)
        changed = True
    return "\n".join(lines) if changed else text


_PROSE_KEYS = ("description", "summary", "title", "name")


def _scrubbed_front(value: Any, known_tokens: set[str], placeholder: str, found: list[str], key: str = "") -> Any:
    """The front matter with its prose and response headers scrubbed (see `scrubbed_text`). Example
    bodies and parameter values are not: they are scrubbed where they are chosen, as far as their
    schemas allow, and a schema's `pattern`, `enum` or `default` is a rule, not prose. The page's
    own `title` is its path, which the endpoint is."""
    if isinstance(value, dict):
        out = {}
        for name, inner in value.items():
            if ((name in ("example", "examples", "body", "pattern", "enum", "const", "default") and key != "properties")
                    or (key, name) == ("", "title")):
                out[name] = inner
            elif isinstance(inner, str) and (name in _PROSE_KEYS or key == "headers") and key != "properties":
                out[name] = scrubbed_text(inner, known_tokens, placeholder, found)
            else:
                out[name] = _scrubbed_front(inner, known_tokens, placeholder, found, str(name))
        return out
    if isinstance(value, list):
        return [_scrubbed_front(inner, known_tokens, placeholder, found, key) for inner in value]
    return value


def _secrets_note(found: list[str], where: str) -> list[str]:
    if not found:
        return []
    kinds = ", ".join(dict.fromkeys(found))
    return [f"{where}: sample credentials it shows ({kinds}) replaced by placeholders"]


def _sample_parameter(name: str, value: Any, schema: Any, place: str, known_tokens: set[str], notes: list[str]) -> Any:
    """A credential parameter's sample value (`client_secret=s3cr3t`) as a placeholder, as for bodies."""
    if not (isinstance(value, str) and is_secret_name(name)) or value in known_tokens or looks_like_placeholder(value):
        return value
    placeholder = placeholder_for(name)
    if fits(placeholder, schema) is not None:
        return value
    notes.append(f"{place} parameter `{one_line(name, 80)}`: its sample credential replaced by a placeholder")
    return placeholder


def _member_examples(schema: Any) -> bool:
    """Whether an object schema gives an example for one of its members (its own properties, or
    those of the schemas it is `allOf`)."""
    if not isinstance(schema, dict):
        return False
    for part in _object_parts(schema):
        members = part.get("properties")
        if isinstance(members, dict) and any(isinstance(member, dict) and given_example(member) is not NO_EXAMPLE
                                             for member in members.values()):
            return True
    return False


def _object_parts(schema: Schema) -> list[Schema]:
    """An object schema and the schemas it is `allOf`: where its members are named."""
    return [schema, *(part for part in schema.get("allOf") or [] if isinstance(part, dict))]


def _requires_members(schema: Schema) -> bool:
    """Whether an object schema names required members (itself or in an `allOf` part)."""
    return any(isinstance(part.get("required"), list) and part["required"] for part in _object_parts(schema))


_STYLE_KEYS = ("style", "explode", "allowReserved")  # given, the member travels by them, whatever its `contentType`


def _form_encoding(media: dict[str, Any], notes: list[str]) -> dict[str, dict[str, Any]]:
    """A form's `encoding` as `request.encoding` keeps it: each member's style and explode (how
    its lists travel: `model/forms.py`), or its JSON `contentType` (the member is one field of
    its JSON text; OpenAPI ignores the content type when a style is given). What the snippets
    cannot follow is reported: a part's own headers or other content type, and a style that is
    not a form's."""
    carried: dict[str, dict[str, Any]] = {}
    for name, how in mapping(media.get("encoding")).items():
        if not isinstance(how, dict):
            continue
        field = f"form field `{one_line(str(name), 60)}`"
        if is_json_content_type(how.get("contentType")) and not any(key in how for key in _STYLE_KEYS):
            carried[str(name)] = {"contentType": " ".join(str(how["contentType"]).split())}
            if how.get("headers"):
                notes.append(f"{field}: the headers of its encoding are not followed (they are multipart's)")
            continue
        style, explode = how.get("style", "form"), how.get("explode")
        if style not in ENCODING_STYLES or not isinstance(explode, (bool, type(None))):
            notes.append(f"{field}: its encoding (style {one_line(str(style), 40)}) is not one a form has; sent as the name repeated")
            continue
        if how.get("contentType") or how.get("headers"):
            notes.append(f"{field}: the content type and headers of its encoding are not followed (they are multipart's)")
        entry: dict[str, Any] = {"style": style}
        if explode is not None:
            entry["explode"] = explode
        if entry != {"style": "form"} and entry != {"style": "form", "explode": True}:
            carried[str(name)] = entry
    return carried


def _multipart_encoding(media: dict[str, Any], files: dict[str, str], body: dict[str, Any],
                        notes: list[str]) -> dict[str, dict[str, Any]]:
    """A multipart body's `encoding` as `request.encoding` keeps it: how the lists of its members
    that are not files travel, as for a form. What the snippets cannot follow is reported: a
    part's own headers, and the content type of a part that is not a file (a file's gives the
    example file's extension; a member holding objects is `_multipart_objects`' to report)."""
    styles: dict[str, Any] = {}
    for name, how in mapping(media.get("encoding")).items():
        if not isinstance(how, dict):
            continue
        field = f"multipart field `{one_line(str(name), 60)}`"
        headers = [one_line(str(header), 40) for header in mapping(how.get("headers"))]
        if headers:
            notes.append(f"{field}: the headers of its part ({', '.join(headers[:3])}) are not sent")
        if str(name) in files:
            continue
        content_type = how.get("contentType")
        if is_json_content_type(content_type) and not any(key in how for key in _STYLE_KEYS):
            notes.append(f"{field}: sent as a part holding its JSON text, without a Content-Type of its own"
                         f" ({one_line(content_type, 80)}, the content type of its encoding)")
            styles[str(name)] = {"contentType": content_type}
            continue
        if (isinstance(content_type, str) and media_type_essence(content_type) != "text/plain"
                and not _holds_objects(body.get(str(name)))):
            notes.append(f"{field}: sent as a text part, not as {one_line(content_type, 80)} (the content type of its encoding)")
        styles[str(name)] = {key: value for key, value in how.items() if key in ("style", "explode")}
    return _form_encoding({"encoding": styles}, notes)


def _holds_objects(member: Any) -> bool:
    return isinstance(member, dict) or (isinstance(member, list) and any(isinstance(item, (dict, list)) for item in member))


def _multipart_objects(body: dict[str, Any], encoding: dict[str, dict[str, Any]], files: list[str]) -> list[str]:
    """One line for the members holding objects: the snippets send them as bracketed fields
    (`meta[key]`), as Stripe reads them; OpenAPI's default is one JSON part each."""
    bracketed = [name for name, member in body.items() if name not in files and _holds_objects(member)
                 and encoding.get(name, {}).get("style") != "deepObject" and "contentType" not in encoding.get(name, {})]
    if not bracketed:
        return []
    shown = ", ".join(f"`{one_line(name, 40)}`" for name in bracketed[:5]) + (" …" if len(bracketed) > 5 else "")
    return [f"multipart fields holding objects ({shown}) are sent as bracketed text fields (`{one_line(bracketed[0], 40)}[key]`),"
            " as Stripe reads them, not as one JSON part each (OpenAPI's default)"]


@dataclass
class _Multipart:
    body: dict[str, Any]
    files: list[str]  # its members that are files (`request.files`)
    encoding: dict[str, dict[str, Any]]  # `request.encoding`
    unsendable: set[str]  # members left out: no client can write them as a part's name


def _multipart_body(value: dict[str, Any], given: Any, schema: Schema, media: dict[str, Any], notes: list[str]) -> _Multipart:
    """A multipart example body as the snippets can send it, with its file members and its
    `request.encoding`. Each file member holds a plain file name (the check creates and uploads
    the file); a file inside an object member (a part is a body's member, so the clients cannot
    send it as a file) is left out when optional, else sent as text; a member whose part name
    the clients cannot write (`=`, `"`, a line break) is left out. `given`: the spec's own
    example, if any (its values that are not file names are reported)."""
    members = file_members(schema)
    parts = mapping(media.get("encoding"))
    body = copy.deepcopy(value)  # nested members may be left out: the spec's own example stays as it is
    for name, kind in members.items():
        if name not in body:
            continue
        content_type = mapping(parts.get(name)).get("contentType")
        member_schema = mapping(mapping(chosen_branch(schema).get("properties")).get(name))
        sent = body[name]
        if kind == "file" and not is_given_file_name(sent):
            body[name] = file_name(name, content_type, member_schema)
        elif kind == "files" and not (isinstance(sent, list) and sent and all(is_given_file_name(item) for item in sent)):
            count = len(sent) if isinstance(sent, list) and sent else 1
            body[name] = [file_name(name, content_type, member_schema, number if count > 1 else None)
                          for number in range(1, count + 1)]
        if body[name] != sent and isinstance(given, dict) and name in given:
            notes.append(f"multipart file `{one_line(name, 60)}`: the example's value is not a file name; "
                         f"the snippets upload {', '.join(f'`{item}`' for item in (body[name] if isinstance(body[name], list) else [body[name]]))}")
    folded = chosen_branch(schema)
    needed = folded.get("required")
    for name in [name for name in (needed if isinstance(needed, list) else [])
                 if name in body and name not in members and body[name] in ({}, [])]:
        # An empty object or list sends no part, and the member is required: another of its
        # alternatives, when one has a value that sends something (Telegram's `photo`: a file or a file id).
        alternative = _sent_alternative(mapping(mapping(folded.get("properties")).get(name)))
        if alternative is not NO_EXAMPLE:
            notes.append(f"multipart field `{one_line(name, 60)}`: its example ({json.dumps(body[name])}) would send no part; "
                         f"{json.dumps(alternative, ensure_ascii=False)[:80]}, another value its schema takes, is sent")
            body[name] = alternative
    left_out, as_text = [], []
    for path, required in nested_files(schema):
        holders = [body]
        for key in path[:-1]:
            holders = [item for holder in holders for item in _members_at(holder, key)]
        found = [holder for holder in holders if path[-1] in holder]
        if found and not required:
            for holder in found:
                del holder[path[-1]]
            left_out.append(".".join(path))
        elif found:
            as_text.append(".".join(path))
    if left_out:
        notes.append(f"multipart files inside objects ({', '.join(f'`{one_line(name, 60)}`' for name in left_out[:5])}) are left out"
                     " of the example: a part is one of the body's own members, so they cannot be sent as files")
    if as_text:
        notes.append(f"multipart files inside objects ({', '.join(f'`{one_line(name, 60)}`' for name in as_text[:5])}) are sent as"
                     " text fields (`name[key]`): a part is one of the body's own members, so they cannot be sent as files")
    encoding = _multipart_encoding(media, members, body, notes)
    lists = list_styles(encoding)
    unsendable: set[str] = set()
    for name in list(body):
        try:
            multipart_parts({name: body[name]}, members, lists)
        except FormError as error:
            del body[name]
            unsendable.add(name)
            notes.append(f"multipart field `{one_line(name, 60)}` is left out of the example: {one_line(str(error), 200)}")
    files = [name for name in members if name in body]
    notes.extend(_multipart_objects(body, encoding, files))
    return _Multipart(body, files, encoding, unsendable)


def _sent_alternative(schema: Schema) -> Any:
    """A value of `schema` that is not an empty object or list (a form sends nothing for those):
    the example of its first `anyOf`/`oneOf` branch that has one, else text where the schema
    takes any (Telegram's `InputFile`, a description alone); NO_EXAMPLE when there is none."""
    folded = merged(schema)
    for key in ("anyOf", "oneOf"):
        branches = folded.get(key)
        for branch in branches if isinstance(branches, list) else []:
            value = example_of(branch, direction="request")
            if value not in ({}, []) and value is not None:
                return value
    return "string" if fits("string", schema) is None else NO_EXAMPLE


def _members_at(holder: Any, key: str) -> list[dict[str, Any]]:
    """The objects at `key` of an example value: the member itself, or each object of its list."""
    if not isinstance(holder, dict):
        return []
    inner = holder.get(key)
    if isinstance(inner, dict):
        return [inner]
    return [item for item in inner if isinstance(item, dict)] if isinstance(inner, list) else []


def _raw_body(essence: str, schema: Any) -> str | None:
    """How a body that is neither JSON nor a form travels (`model/raw.py`): `"file"` (its bytes:
    a binary schema, or a media type that is not text), `"text"`, or None (JSON, a form, or a
    media type no Content-Type can name, such as `*/*`)."""
    if not is_raw(essence) or not MEDIA_TYPE.fullmatch(essence):
        return None
    return "file" if file_kind(schema) == "file" or not is_text_media_type(essence) else "text"


def _required_sent(body: dict[str, Any], schema: Schema, notes: list[str]) -> dict[str, Any]:
    """A form's required members that the schema says nothing of (any value) are made up as `{}`,
    which a form cannot send: they are sent as the text `string` instead (Box's token revoke
    requires `grant_type` and describes no such field)."""
    folded = chosen_branch(schema) if isinstance(schema, dict) else {}
    needed = folded.get("required")
    properties = mapping(folded.get("properties"))
    empty = [name for name in (needed if isinstance(needed, list) else [])
             if isinstance(name, str) and body.get(name) in ({}, []) and not properties.get(name)]
    if empty:
        notes.append(f"required form field(s) {', '.join(f'`{one_line(name, 60)}`' for name in empty[:5])} have no schema; "
                     "the example sends the text `string` (an empty value sends no field)")
    return {**body, **{name: "string" for name in empty}}


def _other_media_types(content: dict[str, Any], chosen: str, notes: list[str]) -> dict[str, Schema | None]:
    """The request body's media types beside the one the example sends, each with its schema
    (`{}` where it has none or cannot be carried; None where it is the chosen one's, written
    once: YouTube's upload takes 104 media types of one schema): documented, exported, taken by
    the sandbox."""
    chosen_media = content.get(chosen)
    chosen_schema = _directed_schema(chosen_media, "request", []) if isinstance(chosen_media, dict) else {}
    others: dict[str, Schema | None] = {}
    seen: set[str] = {media_type_essence(chosen)}
    for name, media in content.items():
        essence = media_type_essence(str(name))
        spelled = " ".join(str(name).split())
        if str(name) == chosen or spelled in others:
            continue
        if not (MEDIA_TYPE.fullmatch(essence) or MEDIA_RANGE.fullmatch(essence)):
            notes.append(f"request body media type {one_line(str(name), 80)} is not carried over (not a media type or range)")
            continue
        if essence in seen and not is_media_type(spelled):
            notes.append(f"request body media type {one_line(str(name), 80)} is not carried over (its media type is"
                         " carried already, and a Content-Type cannot carry its parameters)")
            continue
        # One whose media type is carried already, with other parameters (Loket's `application/json;
        # version=2019-12-16` beside `…;version=2018-01-01`), is kept as written: the export gives it back.
        key = spelled if is_media_type(spelled) else essence  # its parameters as documented, when a header can carry them
        seen.add(essence)
        schema = _directed_schema(media, "request", []) if isinstance(media, dict) else {}
        if schema and schema == chosen_schema:
            others[key] = None
            continue
        converted: Schema = json_schema(schema) if schema else {}
        others[key] = _carried_schema(schema, converted, f"request body ({essence})", notes) or {}
    return others


# What a body documented by a range of one kind only is sent as (its example's Content-Type).
_STAND_INS = {"image": "image/png", "audio": "audio/mpeg", "video": "video/mp4", "text": "text/plain", "font": "font/woff2"}


def _stand_in(essence: str, schema: Any) -> str | None:
    """The media type a body keyed by a range only (`image/*`; `*/*` for bytes) is sent as; None
    for a media type, a range a JSON body comes under (sent as JSON: `_range_holding_json`), or
    one with no obvious member (`application/*+json`)."""
    if not MEDIA_RANGE.fullmatch(essence):
        return None
    kind, _, subtype = essence.partition("/")
    if subtype != "*":
        return None
    if kind in ("*", "application"):
        if file_kind(schema) == "file":
            return "application/octet-stream"
        if kind == "*" and isinstance(schema, dict) and types_of(chosen_branch(schema)) == ["string"]:
            return "text/plain"  # a string that is no file, under any media type: its text
        return None
    return _STAND_INS.get(kind)


def _range_holding_json(essence: str) -> bool:
    """Whether `essence` is a range a JSON body comes under (`*/*`, `application/*`): the body
    then keeps it as its documented media type (`request.media_range`) and is sent as JSON."""
    return bool(MEDIA_RANGE.fullmatch(essence)) and media_type_taken("application/json", [essence]) is not None


def _media(content: Any) -> tuple[str, dict[str, Any]] | None:
    """The media type to document: JSON first (the snippets send JSON), else the first one; one a
    Content-Type can name before a range (Jellyfin lists `application/*+json` first)."""
    if not isinstance(content, dict) or not content:
        return None
    named = [(str(name), media) for name, media in content.items()
             if isinstance(media, dict) and MEDIA_TYPE.fullmatch(media_type_essence(str(name)))]
    for name, media in named:
        if is_json_media_type(name):
            return name, media
    if named:
        return named[0]
    name, media = next(iter(content.items()))
    return (str(name), media) if isinstance(media, dict) else None


def _media_example(media: dict[str, Any], direction: str, media_type: str) -> Any:
    schema = media.get("schema")
    given = _named_example(media)
    if given is NO_EXAMPLE and isinstance(schema, dict):
        given = given_example(schema)
    if given is not NO_EXAMPLE:
        return _json_held(given, media_type, schema if isinstance(schema, dict) else {})
    if isinstance(schema, dict):
        return example_of(schema, direction=direction)
    return NO_EXAMPLE


def _json_held(example: Any, media_type: str, schema: Schema) -> Any:
    """A JSON body's example as the value it stands for: Xero writes its examples as the text of
    the JSON (`example: '{ "Code": "123456" }'`), which sent as it is would be a JSON string.
    A text the schema takes as a string stays one."""
    if not (isinstance(example, str) and is_json_media_type(media_type) and example.lstrip()[:1] in ("{", "[")):
        return example
    if "string" in types_of(merged(schema)):
        return example
    try:
        held = json.loads(example)
    except (ValueError, RecursionError):
        return example
    return held if isinstance(held, (dict, list)) else example


def _status(code: str) -> int | str | None:
    """The status a response is documented under: a code, or OpenAPI's `default` or a range such
    as `4XX` as written (kept for the export; the sandbox answers a status of the range)."""
    if re.fullmatch(r"[1-5]\d\d", code):
        return int(code)
    if code == "default" or re.fullmatch(r"[1-5]XX", code, re.I):
        return code.upper() if code != "default" else code
    return None


def _expected_status(statuses: list[int | str | None], notes: list[str]) -> tuple[int | None, int | str | None]:
    """The status the examples expect (None: 200, the default), and the response documenting it.

    The first 2xx; else 200, documented by `2XX` or else by `default`; else the first documented
    status, when the spec documents only those (the sandbox answers as documented)."""
    codes = [status for status in statuses if isinstance(status, int) and status >= 200]  # 1xx are never final
    successes = [status for status in codes if status < 300]
    if successes:
        return successes[0], successes[0]
    for general in ("2XX", "default"):
        if general in statuses:
            return None, general
    if codes:
        notes.append(f"no success response is documented: the examples expect {min(codes)}, as documented")
        return min(codes), min(codes)
    if any(isinstance(status, int) for status in statuses):
        notes.append("only informational (1xx) responses are documented, which are never an answer: the examples expect 200")
    return None, None


def _directed_schema(media: dict[str, Any], direction: str, notes: list[str]) -> Schema:
    """A media type's schema as the direction sees it (`readOnly` fields are not sent, `writeOnly`
    ones not answered); a schema too deep to go through is taken as it is."""
    schema = mapping(media.get("schema"))
    try:
        return directed(schema, direction)
    except RecursionError:
        notes.append(f"{direction} schema is nested too deeply to leave out its readOnly/writeOnly fields")
        return schema


def _fitted(value: Any, schema: Schema, converted: Schema, direction: str, what: str,
            notes: list[str]) -> tuple[Any, str | None]:
    """The example, completed with the required fields it lacks, and what still does not fit.

    Completed even when something else still does not fit (a date written as a date-time): the
    schema is then not carried, but the page's fields say what is required, and the example
    should send it (lint's E403)."""
    problem = fits(value, schema, converted)
    if problem:
        fixed, added = completed(value, schema, direction=direction, converted=converted)
        if added:
            shown = ", ".join(f"`{one_line(path, 80)}`" for path in added[:5]) + (" …" if len(added) > 5 else "")
            notes.append(f"{what} example lacked required {shown}; completed from its schema")
            return fixed, fits(fixed, schema, converted)
    return value, problem


def json_longer_than(value: Any, limit: int) -> bool:
    """Whether `value` as JSON is surely longer than `limit` characters, counting no further than
    that: a spec's shared schemas expanded in place can write hundreds of kilobytes each (Stripe's
    left-out schemas were 177 MB of JSON, written only to be measured)."""
    length = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            length += len(item) + 2
        elif isinstance(item, dict):
            length += 2 + sum(len(str(key)) + 4 for key in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            length += 2 * max(1, len(item))  # brackets, and ", " between items
            stack.extend(item)
        else:
            length += 1
        if length > limit:
            return True
    return False


def _carried_schema(schema: Schema, converted: Schema, what: str, notes: list[str]) -> Schema | None:
    """The schema (`converted`: as JSON Schema 2020-12) for the definition, unless it is empty or too large."""
    if not schema:
        return None
    # Size first: checking a schema against the metaschema costs far more than measuring it.
    if json_longer_than(converted, _MAX_SCHEMA_BYTES) or len(json.dumps(converted, ensure_ascii=False)) > _MAX_SCHEMA_BYTES:
        notes.append(f"{what} schema is larger than {_MAX_SCHEMA_BYTES // 1024} KiB and is not carried over (its fields are listed)")
        return None
    try:
        check_schema(converted)
    except (SchemaError, RecursionError) as error:
        notes.append(f"{what} schema is not a valid JSON Schema and is not carried over ({_reason(error)})")
        return None
    return converted


_ANNOTATIONS = frozenset({"description", "example", "examples", "title", "deprecated", "readOnly", "writeOnly", "$comment"})
_SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})
_COMPOSED = ("allOf", "anyOf", "oneOf", "not", "$ref", "$dynamicRef", "items", "properties", "if")


def _parameter_front_schema(schema: Schema, kind: str, what: str, notes: list[str], repeated: bool) -> Schema | None:
    """The JSON Schema of a parameter whose value is one scalar (or, `repeated`, a list of them
    sent as the parameter repeated), for `request.parameters`, when it says more than the
    `(type)` of the table (an enum, a pattern, bounds, a format): the sandbox checks values
    against it and the export gives it back. None otherwise: a list joined into one text or an
    object travels as text of another shape (the table's type is what each value is)."""
    converted = {key: value for key, value in json_schema(schema).items() if key not in _ANNOTATIONS}
    if repeated and converted.get("type") == "array" and isinstance(converted.get("items"), dict):
        items = _parameter_front_schema(converted["items"], kind, what, [], repeated=False)
        if items is None and converted["items"] != schema_of_type_word(kind):
            return None  # items that are not one scalar each
        return _carried_schema(schema, converted, what, notes)
    kinds = converted.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or not set(kinds) <= _SCALAR_TYPES or any(key in converted for key in _COMPOSED):
        return None
    if set(converted) <= {"type"} and converted == schema_of_type_word(kind):
        return None
    return _carried_schema(schema, converted, what, notes)


def placeholder_names(path: str) -> list[tuple[str, str]]:
    """Each `{name}` of an OpenAPI path, in order, with the placeholder name the definition uses.

    OpenAPI allows any name (`{1st}`, `{$id}`, `{ünï}`); a definition's placeholder is
    `PLACEHOLDER_NAME` and unique in its path, so other names (and repeats) get the nearest such name.
    """
    names = re.findall(r"{([^{}/]+)}", path)
    aliases: list[tuple[str, str]] = []
    for name in names:
        alias = name
        if not re.fullmatch(PLACEHOLDER_NAME, name):
            folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            alias = re.sub(r"[^A-Za-z0-9_.-]+", "_", folded).strip("_") or "param"
            if not re.match(r"[A-Za-z_]", alias):
                alias = "_" + alias
        base, number = alias, 2
        taken = {used for _, used in aliases}
        while alias in taken or (alias != name and alias in names):
            alias, number = f"{base}_{number}", number + 1
        aliases.append((name, alias))
    return aliases


def _security_notes(requirements: Any, auth: Auth) -> list[str]:
    """What differs between the spec's security for an operation and the header the snippets send."""
    if not isinstance(requirements, list):
        return []
    alternatives = [requirement for requirement in requirements if isinstance(requirement, dict)]
    if not alternatives:
        return [f"the spec needs no auth here; the snippets still send {auth.sent}"] if auth.sent else []
    if any(set(requirement) <= {auth.scheme_name} for requirement in alternatives if auth.sent):
        return []
    named = " or ".join(" and ".join(f"`{name}`" for name in requirement) or "none" for requirement in alternatives)
    sent = f"{auth.sent} ({auth.scheme_name})" if auth.sent else "no credentials"
    return [f"the spec asks for {one_line(named, 200)}; the snippets send {sent}"]


# Header parameters OpenAPI says are ignored: the media types and the security scheme say them.
_IGNORED_HEADER_PARAMETERS = frozenset({"accept", "content-type", "authorization"})


def _operation_servers(operation: Operation, notes: list[str]) -> list[dict[str, str]]:
    """The servers an operation is served at instead of the spec's (its own, else its path's):
    the definition's `servers`, which its snippets call. Relative ones are reported."""
    for level, holder in (("operation", operation.data), ("path", operation.path_item)):
        if holder.get("servers"):
            found: list[str] = []
            servers = servers_of(holder, found, relative=False)
            notes.extend(f"{level} {note}" for note in found)
            kept = [server for server in servers if _DEFINITION_SERVER.fullmatch(server["url"])]
            notes.extend(f"{level} server `{one_line(server['url'], 80)}` is not a plain http(s) URL (a query, a template, quotes)"
                         " and is left out" for server in servers if server not in kept)
            return kept
    return []


# A definition's `servers[].url` (definition.schema.json): no query, template or quote to carry.
_DEFINITION_SERVER = re.compile(r"https?://[^/\s?#{}<>\"'\\`]+[^\s?#{}<>\"'\\`]*")


def definition_text(operation: Operation, auth: Auth, position: int) -> str:
    data = operation.data
    notes = operation.notes
    front: dict[str, Any] = {}
    known_tokens = {auth.token, *auth.demo_tokens}
    aliases = placeholder_names(operation.path)
    # Placeholders of a suffix (`/search?query={query}`) stand for query parameters, not path ones.
    in_path = aliases[:len(placeholder_names(split_suffix(operation.path)[0]))]
    renamed: dict[str, str] = {}
    for name, alias in in_path:
        if alias != name:
            why = "a repeated name" if name in renamed else "placeholder names hold letters, digits, _ . - only"
            notes.append(f"path parameter `{name}` is documented as `{alias}` ({why})")
        renamed.setdefault(name, alias)
    occurrences = iter(aliases)
    if any(mark in re.sub(r"{[^{}/]+}", "", operation.path) for mark in "<>"):
        raise ValueError("the path holds `<` or `>` outside its parameters")
    # The title is the path as HTML text (the writers' format): a literal `&` is written `&amp;`,
    # as `&region` would otherwise read as `®ion`. (Converted AWS specs write `/x#a&b`.) A `/:`
    # is written `/&#58;`: OpenAPI's `/webhooks/:id` is literal, where the title's `/:id` is a placeholder.
    literal = operation.path.replace("&", "&amp;").replace("/:", "/&#58;")
    path = re.sub(r"{([^{}/]+)}", lambda match: f"&lt;{next(occurrences)[1]}&gt;", literal)
    front["title"] = path
    front["name"] = one_line(data.get("summary"), 120) or one_line(data.get("operationId"), 120) or operation.label
    front["position"] = position
    front["method"] = operation.method
    given_id = data.get("operationId")
    if isinstance(given_id, str) and re.fullmatch(r"\S{1,200}", given_id):  # kept for openapi.json (SDKs are generated from them)
        front["operation_id"] = given_id
    summary = one_line(data.get("description"), 300) if data.get("summary") else ""
    if summary:
        front["description"] = summary

    example: dict[str, Any] = {}
    body_parts: list[str] = []
    if data.get("deprecated") is True:
        body_parts.append(DEPRECATED_NOTE)
    if len(" ".join(str(data.get("summary") or "").split())) > 120:  # cut in the title: given whole here
        body_parts.append(safe_markdown(" ".join(str(data["summary"]).split())) + "\n")
    described = safe_markdown(data.get("description") or "")
    if described:
        body_parts.append(described + "\n")
    see_also = _external_docs(data.get("externalDocs"))
    if see_also:
        body_parts.append(f"See also: {see_also}.\n")
    dropped = dropped_html(data.get("description"))
    whole = [tag for tag in dropped if tag in ("<script>", "<style>")]  # nh3 drops what these hold too
    if whole:
        notes.append(f"HTML {', '.join(f'`{tag}`' for tag in whole)} in the description is not shown, nor what it holds")
    if len(whole) < len(dropped):
        shown_text = [tag for tag in dropped if tag not in whole]
        notes.append(f"HTML {', '.join(f'`{tag}`' for tag in shown_text[:5])} in the description is not shown (its text is)")
    notes.extend(_local_links_note(data.get("description"), "the description"))

    groups: dict[str, list[tuple[str, str, bool, str]]] = {"path": [], "query": [], "header": [], "cookie": []}
    parameter_schemas: dict[str, dict[str, Schema]] = {}
    params: dict[str, str] = {}
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    in_suffix = set(re.findall(r"{([^{}/]+)}", split_suffix(operation.path)[1]))
    for parameter in _parameters(operation):
        place, name = parameter["in"], parameter["name"]
        if place == "path" and name in in_suffix:
            place = "query"  # `/search?q={q}` with `q` declared in the path: its value travels in the query
        schema = _parameter_schema(parameter)
        if place == "path":
            name = renamed.get(name, name)
            if name not in renamed.values():
                notes.append(f"path parameter `{name}` is not in the path and is not carried over")
                continue
        value = _parameter_example(parameter)
        notes.extend(_examples_left_out(parameter, f"{place} parameter `{one_line(name, 80)}`"))
        wire, kind, how = _on_the_wire(parameter, schema, value)
        description = parameter.get("description") or schema.get("description")
        # An export's description read back says how the parameter travels already.
        told_how = "" if isinstance(description, str) and how in description else how
        row = (name, kind, bool(parameter.get("required")) or place == "path",
               _describe({**schema, "description": " ".join(one_line(text, 600) for text in (description, told_how) if text),
                          "deprecated": parameter.get("deprecated") is True or schema.get("deprecated") is True}))
        if how.endswith("shown as JSON text."):
            notes.append(f"{place} parameter `{name}` (style {parameter.get('style') or _DEFAULT_STYLE.get(place)}) is shown as JSON text")
        repeated = place == "query" and parameter.get("style", "form") == "form" and parameter.get("explode") is not False
        carried = _parameter_front_schema(schema, kind, f"{place} parameter `{one_line(name, 80)}`", notes, repeated)
        set_by_snippets = ("accept", "content-type", "authorization", auth.header.lower())
        # The API key in the query is documented as the spec lists it; its value is the site's
        # token, which the authenticator checks (a schema of its own would refuse every demo token).
        is_query_key = place == "query" and bool(auth.query) and name == auth.query
        if carried is not None and place in groups and not is_query_key and (place != "header" or (
                HEADER_NAME.fullmatch(name) and name.lower() not in set_by_snippets)):
            parameter_schemas.setdefault(place, {})[name] = carried
        if place == "path":
            groups["path"].append(row)
            text = str(wire) if not isinstance(wire, list) else ",".join(wire)
            if "/" in text:
                notes.append(f"path parameter `{name}`: the example value {text!r} holds '/', shown with '-' instead")
                text = text.replace("/", "-")
            params[name] = _sample_parameter(name, text, schema, place, known_tokens, notes) if text else name
        elif place == "query":
            groups["query"].append(row)
            if parameter.get("allowReserved") is True:
                notes.append(f"query parameter `{one_line(name, 80)}` allows reserved characters unencoded (allowReserved);"
                             " the snippets percent-encode them (valid in any query value)")
            if is_query_key:
                notes.append(f"query parameter {name} is the API key: the snippets send the site's token in it")
            elif parameter.get("required") or "example" in parameter or parameter.get("examples"):
                if isinstance(wire, dict):
                    query.update(wire)  # a deepObject's members
                else:
                    query[name] = _sample_parameter(name, wire, schema, place, known_tokens, notes)
        elif place == "header":
            if name.lower() in set_by_snippets:  # the auth header carries the site's demo token
                if name.lower() == auth.header.lower() and name.lower() not in _IGNORED_HEADER_PARAMETERS:
                    groups["header"].append(row)  # an API key header the spec lists too: documented as it does
                    notes.append(f"header parameter {name} is the API key: the snippets send the site's token in it")
                else:
                    notes.append(f"header parameter {name} is set by the snippets themselves and not documented separately")
                continue
            if not HEADER_NAME.fullmatch(name):
                notes.append(f"header parameter `{one_line(name, 80)}` is not an HTTP header name and is not carried over")
                continue
            groups["header"].append(row)
            if name.lower() in _SET_BY_CLIENTS:
                notes.append(f"header parameter {name} is documented; the snippets do not send it (each HTTP client sets it)")
                continue
            if name.lower() == "cookie":  # as cookie parameters: a Cookie header in a page reads as a leaked session (E301)
                notes.append(f"header parameter {name} is documented; the snippets do not send it")
                continue
            if parameter.get("required") or "example" in parameter or parameter.get("examples"):
                # HTTP takes white space off either end of a header value (and clients refuse it there).
                text = (",".join(wire) if isinstance(wire, list) else str(wire)).strip(" \t")
                if not carried_in_a_header(text):
                    sent = _header_instead(text, schema)
                    notes.append(f"header parameter {name}: the example {text[:80]!r} cannot travel in an HTTP header;"
                                 f" {sent!r} is sent instead")
                    text = sent
                headers[name] = _sample_parameter(name, text, schema, place, known_tokens, notes)
        elif place == "cookie":
            # Documented, not sent: a Cookie header in a page reads as a leaked session (lint E301).
            groups["cookie"].append(row)
            notes.append(f"cookie parameter `{name}` is documented; the snippets do not send it")
        else:
            notes.append(f"{place} parameter `{name}` cannot be sent by the snippets and is not carried over")
    template = PathTemplate(operation.path)
    for name, fixed in template.fixed_query:
        # What tells this operation from the others on its path is sent. After `?` it is the
        # query itself (`/{Bucket}?uploads`); after `#` (never sent) it fixes the value of a
        # parameter the spec declares, in the query (`/#Action=Describe`) or in a header
        # (`/#X-Amz-Target=Events.Put`), and is otherwise only a name (`#overload=stream`).
        in_query = any(row[0] == name for row in groups["query"])
        header = next((row[0] for row in groups["header"] if row[0].lower() == name.lower()), None)
        if header is not None and fixed is not None and not in_query:
            headers[header] = fixed
        elif in_query and fixed is not None:
            query[name] = fixed
        elif not in_query and header is None and template.suffix.startswith("?"):
            # Sent, as the path says; not documented as a parameter the spec does not declare
            # (the title shows it, and the export would list it beside the spec's own).
            query[name] = fixed or ""
    for name in (alias for _, alias in in_path):
        if name not in params:
            notes.append(f"path parameter `{name}` is not declared; documented with an example value")
            params[name] = name
            groups["path"].append((name, "string", True, ""))
    if params:
        example["params"] = params
    if query:
        example["query"] = query

    request_rows: list[tuple[str, str, bool, str]] = []
    request_front: dict[str, Any] = {}
    request_body = data.get("requestBody")
    multipart: _Multipart | None = None
    if isinstance(request_body, dict):
        chosen = _media(request_body.get("content"))
        if chosen is None:  # Just Eat's `content: {}`: nothing says what the body is
            notes.append("request body describes no media type under `content` and is not carried over")
        if chosen is not None:
            media_type, media = chosen
            essence = media_type_essence(media_type)
            value = _media_example(media, "request", media_type)
            notes.extend(_examples_left_out(media, "request body"))
            schema = _directed_schema(media, "request", notes)
            converted: Schema = json_schema(schema) if schema else {}  # once: converting is most of an import's time
            documented_as, media_range = media_type, _stand_in(essence, schema)
            if media_range is not None:  # `image/*`: sent as a media type it holds, documented by the range
                media_range, media_type, essence = essence, media_range, media_range
            raw_as = _raw_body(essence, schema)
            # An optional body the spec shows no example of is documented, not sent by the example.
            # Examples given member by member show one too (Swagger UI and Redoc build it from them).
            shown = ("example" in media or bool(media.get("examples")) or given_example(schema) is not NO_EXAMPLE
                     or _member_examples(schema))
            sent_anyway = None
            if not (request_body.get("required") or shown) and value is not NO_EXAMPLE and _requires_members(converted):
                # A body the spec calls optional whose schema requires fields is sent too (Twilio's
                # calls need `To` and `From`): a request without them would not do what the page
                # is for. Unless no example fits: the body is then documented, not sent.
                trial: list[str] = []
                candidate, misfit = _fitted(value, schema, converted, "request", "request", trial)
                if misfit is None:
                    sent_anyway = candidate, trial
            if request_body.get("required") or shown or sent_anyway is not None:
                if value is NO_EXAMPLE and raw_as is not None:
                    value = "text"  # a file body's example is its file's name, made below
                    if raw_as == "text":
                        notes.append(f"request body ({media_type}) has no schema or example; documented as the text `text`")
                elif value is NO_EXAMPLE:
                    value = {}
                    empty = "with no fields" if essence in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE) else "as an empty JSON object"
                    notes.append(f"request body ({media_type}) has no schema or example; documented {empty}")
                if sent_anyway is not None:
                    (value, trial), problem = sent_anyway, None
                    notes.extend(trial)
                else:
                    value, problem = _fitted(value, schema, converted, "request", "request", notes)
                if essence in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE) and isinstance(value, dict):
                    value = _required_sent(value, schema, notes)
                if essence == MULTIPART_MEDIA_TYPE and isinstance(value, dict):
                    given = _named_example(media)
                    multipart = _multipart_body(value, given_example(schema) if given is NO_EXAMPLE else given, schema, media, notes)
                    if not problem and multipart.body != value:  # file names put in, members left out
                        problem = fits(multipart.body, schema, converted)
                    value = multipart.body
                if raw_as == "file":
                    value, problem = file_name(FALLBACK_NAME, essence, schema), None  # the check creates it
                    request_front["body_file"] = True
                elif raw_as == "text":
                    if not isinstance(value, str):  # an XML schema's object: the document it stands for
                        component = operation.component_name(("requestBody", "content", documented_as, "schema"))
                        value = example_text(value, essence, schema, component)
                    # A text no snippet can send (the loader's E008): what is left of it, or a word.
                    value = value.replace("\x00", "") or "text"
                if problem:
                    # The sandbox checks requests against the carried schema: it would refuse the example.
                    notes.append(f"request example does not fit its schema, which is not carried over: {one_line(problem, 300)}")
                # With its schema not carried, nothing refuses the placeholders.
                value = _samples_as_placeholders(value, schema if not problem else {}, converted if not problem else {},
                                                 "request", known_tokens, notes)
                example["body"] = value
                if essence == FORM_MEDIA_TYPE and isinstance(value, dict):
                    headers["Content-Type"] = FORM_MEDIA_TYPE  # the snippets send its fields
                elif multipart is not None:
                    headers["Content-Type"] = MULTIPART_MEDIA_TYPE  # the snippets send its parts, files as files
                    if multipart.files:
                        request_front["files"] = multipart.files
                    if multipart.encoding:
                        request_front["encoding"] = multipart.encoding
                        notes.extend(_joined_items_split(value, multipart.encoding))
                elif is_json_media_type(media_type) or raw_as is not None:
                    if essence != "application/json":
                        # As a header value: its parameters on one line, or none when HTTP cannot carry them.
                        sent = " ".join(media_type.split())
                        if not carried_in_a_header(sent):
                            notes.append(f"request media type parameters are not sent (HTTP cannot carry them): {one_line(media_type, 120)}")
                            sent = essence
                        headers["Content-Type"] = sent
                elif raw_as is None and essence not in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE):
                    # Neither JSON, a form nor text or bytes a header can name: sent as JSON, documented
                    # by its range where that holds JSON (`*/*`), else said.
                    if _range_holding_json(essence):
                        request_front["media_range"] = essence
                    else:
                        notes.append(f"request body is {media_type}; documented and sent as JSON")
                elif raw_as is None:
                    # A form or multipart body whose example is no object (PeerTube's list of tasks): it has no fields to send.
                    notes.append(f"request body is {media_type}, but its example is not an object of fields; documented and sent as JSON")
            else:
                problem = None
                if not is_json_media_type(media_type) and essence not in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE) and raw_as is None:
                    if _range_holding_json(essence):
                        request_front["media_range"] = essence
                    else:
                        notes.append(f"request body is {media_type}; documented as JSON")
                if raw_as == "file":
                    request_front["body_file"] = True
                if essence == MULTIPART_MEDIA_TYPE:  # no example: the schema says which members are files
                    members = file_members(schema)
                    if members:
                        request_front["files"] = list(members)
                    encoding = _multipart_encoding(media, members, {}, notes)
                    if encoding:
                        request_front["encoding"] = encoding
            request_rows = fields(schema, "request", multipart=essence == MULTIPART_MEDIA_TYPE)
            if multipart is not None and multipart.unsendable:
                # Required, and no client can send it: said in words, as the example leaves it out.
                request_rows = [(name, kind, False, f"{description} Required by the API; left out of the example, as no "
                                 "client can write its name as a part's.".strip()) if required and name in multipart.unsendable
                                else (name, kind, required, description) for name, kind, required, description in request_rows]
            shapes = _alternatives(schema)
            if shapes > 1:
                notes.append(f"request body has {shapes} alternative shapes (oneOf/anyOf); the fields of the first are listed")
            carried = _carried_schema(schema, converted, "request body", notes) if not problem else None
            if carried is not None:
                request_front = {"schema": carried, **request_front}
            elif not schema and not problem:
                request_front = {"schema": {}, **request_front}  # no schema, or `{}`: any value, as the spec says
            if "schema" not in request_front and not request_rows and "body" not in example:
                # An optional body whose schema is not carried would leave no trace (page, export).
                request_front = {"schema": {}, **request_front}
                notes.append("request body is documented as taking any value")
            if not request_body.get("required"):
                # The example sends one, and the operation takes none too; or it sends none, and
                # whatever the body's fields require holds only when one is sent (lint's E403).
                request_front["required"] = False
            if "body" not in example and (is_json_media_type(media_type) or essence in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE)
                                          or raw_as is not None) and essence != "application/json":
                request_front["media_type"] = essence  # no example sends its Content-Type
            if essence == FORM_MEDIA_TYPE:
                encoding = _form_encoding(media, notes)
                if encoding:
                    request_front["encoding"] = encoding
                    notes.extend(_joined_items_split(example.get("body"), encoding))
            spelled = " ".join(media_type.split())
            if spelled != essence and is_media_type(spelled):
                request_front["media_type"] = spelled  # its parameters as documented (`; charset=utf-8`), for the export
            if media_range is not None:
                request_front["media_range"] = media_range
            others = _other_media_types(request_body["content"], documented_as, notes)
            if others:
                request_front["other_media_types"] = others
    if headers:
        example["headers"] = headers

    responses: list[dict[str, Any]] = []
    response_rows: list[tuple[str, str, bool, str]] = []
    expected, success = _expected_status([_status(str(code)) for code in mapping(data.get("responses"))], notes)
    for code, response in mapping(data.get("responses")).items():
        if not isinstance(response, dict):
            continue
        status = _status(str(code))
        if status is None:
            notes.append(f"response `{one_line(str(code), 40)}` is neither a status code, a range nor `default`: not carried over")
            continue
        described = one_line(response.get("description"), 600)
        entry: dict[str, Any] = {"status": status, "title": one_line(described, 80) or f"Response {status}"}
        if described:
            entry["description"] = described
        examples_of_headers = {str(name): _as_text(header["example"]) for name, header in mapping(response.get("headers")).items()
                               if isinstance(header, dict) and "example" in header and HEADER_NAME.fullmatch(str(name))}
        if examples_of_headers:
            entry["headers"] = examples_of_headers
        documented = _response_headers(mapping(response.get("headers")))
        if documented:
            entry["description"] = f"{described}{'.' if described and described[-1] not in '.!?:' else ''} {documented}".strip()
        if mapping(response.get("links")):
            notes.append(f"{status} response links ({', '.join(one_line(str(name), 40) for name in list(response['links'])[:3])})"
                         " are not carried over")
        chosen = _media(response.get("content"))
        if chosen is not None and (status in (204, 205, 304) or operation.method == "head"):
            reason = f"HTTP sends no body with {status}" if status in (204, 205, 304) else "HTTP sends no body in answer to HEAD"
            notes.append(f"{status} response content is not carried over ({reason})")
            chosen = None
        if chosen is not None:
            media_type, media = chosen
            value = _media_example(media, "response", media_type)
            notes.extend(_examples_left_out(media, f"{status} response"))
            schema = _directed_schema(media, "response", notes)
            converted = json_schema(schema) if schema else {}
            problem = None
            if value is not NO_EXAMPLE:
                value, problem = _fitted(value, schema, converted, "response", str(status), notes)
                if problem:
                    notes.append(f"{status} example does not fit its schema, which is not carried over: {one_line(problem, 300)}")
                value = _samples_as_placeholders(value, schema if not problem else {}, converted if not problem else {},
                                                 f"{status} response", known_tokens, notes)
                entry["body"] = value
            carried = _carried_schema(schema, converted, f"{status} response", notes) if not problem else None
            if carried is not None:
                entry["schema"] = carried
            # A string example is answered and exported as text/plain, anything else as JSON.
            shown_as = "text/plain" if isinstance(value, str) else "application/json"
            if media_type_essence(media_type) != shown_as and not (shown_as == "application/json" and is_json_media_type(media_type)):
                notes.append(f"{status} response is {media_type}; documented as {shown_as}")
            if len(mapping(response.get("content"))) > 1:
                notes.append(f"{status} response media types other than {media_type} are not carried over")
            if status == success and not response_rows:
                response_rows = fields(schema, "response")
        responses.append(entry)
    if expected is not None:
        example["status"] = expected
    token = data.get("x-apidocs-token")
    if isinstance(token, str) and token and auth.sent:
        example["token"] = token
    if example:
        front["example"] = example
    if parameter_schemas:
        request_front["parameters"] = parameter_schemas
    if request_front:
        front["request"] = request_front
    # Listed even when empty: the export then documents just these, as the spec does.
    front["responses"] = responses
    if isinstance(data.get("callbacks"), dict) and data["callbacks"]:
        notes.append("callbacks are not carried over")
    notes.extend(_security_notes(data.get("security", auth.default_security), auth))
    own_servers = _operation_servers(operation, notes)
    if own_servers:
        front["servers"] = own_servers

    for title, key in (("URL Parameters", "path"), ("Query Parameters", "query"), ("Headers", "header"), ("Cookies", "cookie")):
        listed = definition_list(title, groups[key])
        if listed:
            body_parts.append(listed)
    request_intro = safe_markdown(request_body.get("description") or "") if isinstance(request_body, dict) else ""
    if request_rows or request_intro:
        body_parts.append(definition_list("Request Parameters", request_rows, request_intro))
    if response_rows:
        body_parts.append(definition_list("Response Parameters", response_rows))
    found: list[str] = []
    front = _scrubbed_front(front, known_tokens, auth.token, found)
    body = scrubbed_text("\n".join(body_parts), known_tokens, auth.token, found)
    notes.extend(_secrets_note(found, "text"))
    return f"---\n{front_matter_text(front)}---\n\n" + body


def front_matter_text(front: dict[str, Any]) -> str:
    """The front matter's lines: YAML, or JSON when long (see _JSON_FRONT_MATTER_FROM) and JSON
    holds it as it is (text keys only, finite numbers)."""
    try:
        as_json = json_front_matter(front)
    except ValueError:
        as_json = ""
    if len(as_json) > _JSON_FRONT_MATTER_FROM and _keys_are_text(front):
        return as_json
    return str(yaml.dump(front, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=1000))


def _keys_are_text(value: Any) -> bool:
    """JSON writes a key 1 as "1"; YAML keeps it a number."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return True


# --- the project around the pages --------------------------------------------------------------

def _written_auth(scheme: dict[str, Any], kind: str) -> Auth | None:
    """The site's auth as `export-openapi` wrote it (`x-apidocs-auth`), when it is there and sound."""
    extension = scheme.get("x-apidocs-auth")
    if not isinstance(extension, dict):
        return None
    place = scheme.get("in")
    if kind == "apikey" and place not in ("header", "cookie", "query"):
        return None
    # An API key in a cookie travels as the Cookie header, its token the `name=value` pair.
    header = "Authorization" if kind == "http" else "Cookie" if place == "cookie" else str(scheme.get("name") or "")
    token, written_scheme = extension.get("token"), extension.get("scheme")
    demo = extension.get("demo_tokens") or []
    if not (isinstance(token, str) and isinstance(written_scheme, str)
            and isinstance(demo, list) and all(isinstance(item, str) for item in demo)):
        return None
    if kind == "apikey" and place == "query":
        return Auth("", "", token, demo_tokens=list(demo), query=header) if QUERY_KEY_NAME.fullmatch(header) else None
    return Auth(header, written_scheme, token, demo_tokens=list(demo)) if HEADER_NAME.fullmatch(header) else None


def choose_auth(spec: dict[str, Any]) -> Auth:
    auth = _chosen_auth(spec)
    auth.default_security = spec.get("security")
    return auth


def _chosen_auth(spec: dict[str, Any]) -> Auth:
    schemes = ((spec.get("components") or {}).get("securitySchemes") or {}) if isinstance(spec.get("components"), dict) else {}
    security = spec.get("security")
    requirements: list[Any] = security if isinstance(security, list) else []
    names = [name for requirement in requirements if isinstance(requirement, dict) for name in requirement]
    names += [name for name in schemes if name not in names]
    fallback = None  # a scheme the snippets cannot send (an API key with an odd name): taken when no other is
    for name in names:
        scheme = schemes.get(name)
        if not isinstance(scheme, dict):
            continue
        kind = str(scheme.get("type") or "").lower()
        chosen = _auth_of_scheme(name, scheme, kind)
        if chosen is not None:
            chosen.scheme_name = name
            if chosen.sent:
                return chosen
            fallback = fallback or chosen
    return fallback or Auth()


def _auth_of_scheme(name: str, scheme: dict[str, Any], kind: str) -> Auth | None:
    """The auth header that stands for one security scheme; None for a kind the snippets cannot send (mutual TLS)."""
    written = _written_auth(scheme, kind)
    if written is not None:
        return written
    written_scheme = str(scheme.get("scheme") or "")
    if kind == "http" and written_scheme.lower() == "basic":
        token = base64.b64encode(b"username:password").decode()
        return Auth("Authorization", "Basic", token)
    if kind == "http" and HEADER_NAME.fullmatch(written_scheme) and written_scheme.lower() not in _CHALLENGED_SCHEMES | {"bearer"}:
        return Auth("Authorization", written_scheme, DEMO_TOKEN)  # `Authorization: Token <token>` and the like
    if kind in ("http", "oauth2", "openidconnect"):
        note = (f"security scheme `{name}` ({kind}) is shown as a bearer token" if kind != "http"
                else "" if written_scheme.lower() == "bearer"
                else f"security scheme `{name}` (HTTP {one_line(written_scheme, 40) or 'with no scheme'}) is shown as a bearer token")
        return Auth("Authorization", "Bearer", DEMO_TOKEN, note)
    if kind == "apikey":
        place, key = str(scheme.get("in") or ""), str(scheme.get("name") or "")
        if place == "header" and HEADER_NAME.fullmatch(key):
            return Auth(key, "", DEMO_TOKEN)
        if place == "cookie" and HEADER_NAME.fullmatch(key):
            return Auth("Cookie", "", f"{key}={DEMO_TOKEN}", f"API key cookie `{key}` is sent as a Cookie header")
        if place == "query" and QUERY_KEY_NAME.fullmatch(key):
            return Auth(token=DEMO_TOKEN, query=key)
        return Auth(note=f"API key `{one_line(key, 80)}` in the {one_line(place, 20)} is not sent by the snippets")
    return None


def servers_of(spec: dict[str, Any], notes: list[str], relative: bool = True) -> list[dict[str, str]]:
    """The servers of the spec (or of a path or operation: `relative` False, as the site's own
    base path is all a relative URL can name)."""
    servers = []
    listed = spec.get("servers")
    if listed is not None and not isinstance(listed, list):
        notes.append("`servers` is not a list and is left out")
    for server in listed if isinstance(listed, list) else []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        for url, chosen in _server_urls(server["url"], mapping(server.get("variables"))):
            if re.match(r"//[^/\s]+", url):
                # A host without a scheme (what converters write for a Swagger 2.0 spec that
                # names no `schemes`): the spec's readers take the scheme it is served with.
                notes.append(f"server `{url}` names no scheme; https is assumed")
                url = "https:" + url
            if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", url) and not relative:
                notes.append(f"server `{one_line(url, 80)}` is a relative URL and is left out (an operation's own servers are"
                             " carried over when absolute)")
                continue
            if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", url):
                # Relative to where the spec is served (OpenAPI): kept as a path from the site's root.
                path = _site_path(url)
                if path is None:
                    notes.append(f"server `{one_line(url, 80)}` is a relative URL that is no path (a query, a fragment or"
                                 " characters a path cannot hold) and is left out")
                    continue
                taken = f"; it is taken from the site's root, as `{path}`" if path not in (url, url.rstrip("/")) else ""
                notes.append(f"server `{one_line(url, 80)}` is relative to where the spec is served{taken}: the snippets call it on"
                             " the site's address (`site_url` in mkdocs.yml), else on the local sandbox; the export gives it back"
                             " as a relative URL")
                url = path
            elif not re.match(r"https?://[^/\s]+", url):
                notes.append(f"server `{url}` is not an absolute http(s) URL and is left out")
                continue
            entry = {"url": url.rstrip("/") or "/"}
            described = one_line(server.get("description"), 80) if isinstance(server.get("description"), str) else ""
            described = " ".join(part for part in (described, f"({chosen})" if chosen else "") if part)
            if described:
                entry["description"] = described
            if entry not in servers:
                servers.append(entry)
    return servers


_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")


def _site_path(reference: str) -> str | None:
    """A relative server URL (`/api/v1`, `v2`, `./v2`, `../v2`) as a path from the site's root,
    where `openapi.json` is published: its dot segments resolved, never above the root (`..`
    from `/` stays at `/`, as RFC 3986 says). None for one that is not a plain path."""
    parts = urlsplit(reference)
    if parts.query or parts.fragment or "?" in reference or "#" in reference or not _PATH_CHARACTERS.fullmatch(parts.path):
        return None
    return urlsplit(urljoin("https://site.invalid/", parts.path)).path.rstrip("/") or "/"


MAX_SERVER_CHOICES = 8  # addresses made from one server's variables with `enum` values


def _server_urls(template: str, variables: dict[str, Any]) -> list[tuple[str, str]]:
    """A server's address with each variable at its default, then with the other values its
    variables list (`enum`), one variable changed at a time: (url, what was chosen)."""
    defaults = {}
    for name, variable in variables.items():
        default = variable.get("default") if isinstance(variable, dict) else None
        defaults[str(name)] = str(default if default is not None else name)

    def filled(values: dict[str, str]) -> str:
        url = template
        for name, value in values.items():
            url = url.replace("{" + name + "}", value)
        return url

    urls = [(filled(defaults), "")]
    for name, variable in variables.items():
        listed = variable.get("enum") if isinstance(variable, dict) else None
        for value in listed if isinstance(listed, list) else []:
            if len(urls) > MAX_SERVER_CHOICES or str(value) == defaults[str(name)] or isinstance(value, (dict, list)):
                continue
            urls.append((filled({**defaults, str(name): str(value)}), f"{one_line(str(name), 30)}: {one_line(str(value), 30)}"))
    return urls


def config_text(text: str) -> str:
    """Spec text for the site's name or description, without `<`, `>` and `"`.

    The theme writes these into its HTML, escaped in some places and not in others (MkDocs
    trusts its config): without those characters the text can neither open a tag nor leave an
    attribute, and reads the same everywhere.
    """
    return re.sub(r"[<>]", "", text.replace('"', "'")).strip()


def mkdocs_yml(spec: dict[str, Any], servers: list[dict[str, str]], auth: Auth, source: Path) -> str:
    info = mapping(spec.get("info"))
    options: dict[str, Any] = {"servers": servers,
                               "auth": {"header": auth.header, "scheme": auth.scheme, "token": auth.token,
                                        **({"demo_tokens": auth.demo_tokens} if auth.demo_tokens else {}),
                                        **({"query": auth.query} if auth.query else {})},
                               # An imported API has no stateful handlers: its sandbox answers the examples.
                               "sandbox_workflow": False}
    version = info.get("version")
    if isinstance(version, (str, int, float)) and not isinstance(version, bool) and str(version).strip():
        options["api_version"] = one_line(str(version), 100)
    document = project_config(config_text(one_line(plain_line(info.get("title"), liquid=False), 120)) or source.stem, options,
                              description=config_text(one_line(plain_line(info.get("summary") or info.get("description"), liquid=False), 300)))
    header = f"# Imported from the OpenAPI document {source.name} by `apidocs import-openapi`.\n# What the import could not carry over is listed in {REPORT}.\n"
    return dump_config(document, header)


def index_page(spec: dict[str, Any], source: Path, auth: Auth, notes: list[str]) -> str:
    info = mapping(spec.get("info"))
    title = one_line(plain_line(info.get("title"), liquid=False), 120) or source.stem
    front = yaml.safe_dump({"title": title, "position": 0}, sort_keys=False, allow_unicode=True)
    parts = [f"---\n{front}---\n"]
    if info.get("version"):
        parts.append(f"Version `{one_line(info['version'], 40)}`.\n")
    if info.get("summary"):
        parts.append(safe_markdown(" ".join(str(info["summary"]).split()), liquid=False) + "\n")
    if info.get("description"):  # the home page is not an endpoint's: MkDocs shows it as written
        parts.append(safe_markdown(info["description"], liquid=False) + "\n")
    contact, licence = mapping(info.get("contact")), mapping(info.get("license"))
    facts = []
    if contact:
        reach = [_link(contact.get("name") or contact.get("url"), contact.get("url")),
                 _link(contact.get("email"), f"mailto:{contact['email']}" if isinstance(contact.get("email"), str) else None)]
        facts.append("Contact: " + ", ".join(part for part in dict.fromkeys(reach) if part))
    if licence.get("name"):
        identifier = licence.get("identifier")
        url = licence.get("url") or (f"https://spdx.org/licenses/{identifier}.html"
                                     if isinstance(identifier, str) and re.fullmatch(r"[\w.+-]+", identifier) else None)
        facts.append("Licence: " + _link(licence["name"], url))
    if info.get("termsOfService"):
        facts.append("Terms of service: " + _link(info["termsOfService"], info["termsOfService"]))
    see_also = _external_docs(spec.get("externalDocs"))
    if see_also:
        facts.append("See also: " + see_also)
    facts = [fact for fact in facts if not fact.endswith(": ")]
    if facts:
        parts.append("\n".join(f"- {fact}" for fact in facts) + "\n")
    found: list[str] = []
    text = scrubbed_text("\n".join(parts), {auth.token, *auth.demo_tokens}, auth.token, found)
    notes.extend(_secrets_note(found, "the API's description"))
    return text


def _link(text: Any, url: Any) -> str:
    """Spec text as Markdown text, linked to `url` when it is a plain http(s) or mailto address."""
    if isinstance(url, str) and re.fullmatch(r"(?:https?://|mailto:)[^\s<>()\[\]{}`\\\"']+", url):
        return f"[{_plain_text(text or url)}]({url})"
    return _plain_text(text) if text else ""


# Spec text kept as text in Markdown: its marks escaped, and what Markdown does not escape (`<`,
# `&`) or Liquid would read (`{`, `}`: the page's body is rendered by Liquid) as character references.
_TEXT_MARKS = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "{": "&#123;", "}": "&#125;"}


def _plain_text(text: Any) -> str:
    return re.sub(r"[<>&{}]|([\\`*_\[\]#|!])", lambda found: _TEXT_MARKS.get(found.group(), "\\" + found.group()),
                  one_line(text, 120))


def _external_docs(docs: Any) -> str:
    """An `externalDocs` object as a Markdown link (its description, or its address, as the text)."""
    docs = mapping(docs)
    return _link(docs.get("description") or docs.get("url"), docs.get("url")) if docs.get("url") else ""


# --- writing ---------------------------------------------------------------------------------

def write_under(root: Path, relative: str, text: str) -> None:
    """Write `root/relative`, refusing any path that would leave `root` or go through a symlink."""
    target = root / relative
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not parent.resolve().is_relative_to(root.resolve()):
        raise ConfigError(f"{target}: outside {root}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)


def collect_operations(paths: Any, tag_order: list[str], notes: list[str]) -> list[Operation]:
    operations: list[Operation] = []
    if not isinstance(paths, dict):
        return operations
    routes: dict[tuple[str, str], str] = {}  # (method, path without placeholder names) → the path that has it
    for path, item in paths.items():
        if not isinstance(item, dict):
            notes.append(f"path `{one_line(str(path), 120)}` is not a mapping (a path item) and is left out")
            continue
        if not str(path).startswith("/"):
            notes.append(f"path `{path}` does not start with '/' and is left out")
            continue
        for method in item:
            if method == "trace":
                notes.append(f"TRACE {path}: TRACE is not documented by apidocs")
        for method in METHODS:
            data = item.get(method)
            if not isinstance(data, dict):
                if method in item:
                    notes.append(f"{method.upper()} {one_line(str(path), 120)}: not a mapping (an operation) and is left out")
                continue
            route = (method, re.sub(r"{[^{}/]*}", "{}", str(path)))
            first = routes.setdefault(route, str(path))
            listed = data.get("tags")
            tags = [tag for tag in listed if isinstance(tag, str) and tag.strip()] if isinstance(listed, list) else []
            tag = tags[0] if tags else "Endpoints"
            if tag not in tag_order:
                tag_order.append(tag)
            operation = Operation(method, str(path), data, item, tag, len(operations))
            if len(tags) > 1:
                others = ", ".join(f"`{one_line(other, 60)}`" for other in tags[1:4])
                operation.notes.append(f"listed under its first tag `{one_line(tag, 60)}` only, not under {others}")
            if first != str(path):
                # OpenAPI calls such paths identical, yet real specs have them: both get a page.
                operation.notes.append(f"the same route as {method.upper()} {first} (only the placeholder names differ): "
                                       "the sandbox answers with the first whose parameter types fit a request")
            operations.append(operation)
    return operations


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def _part(spec: Spec, where: tuple[str, ...], budget: Budget, notes: list[str], label: str | None = None) -> Any:
    """A resolved part of the spec, or None (noted) when it is missing or cannot be read."""
    try:
        return spec.plain(where, budget)
    except Exception as error:  # untrusted input: a part that cannot be read is reported, not fatal
        notes.append(f"{label or '/'.join(where) + ': left out'} ({_reason(error)})")
        return None


def _component_name(spec: Spec, operation: tuple[str, ...], where: tuple[str, ...]) -> str | None:
    try:
        return spec.component_name((*operation, *where))
    except Exception:  # untrusted input: a `$ref` that cannot be read names nothing
        return None


def _keys(spec: Spec, key: str, notes: list[str]) -> list[str]:
    """The keys of a top-level mapping (e.g. `paths`), noted when it is not one."""
    try:
        keys = spec.keys((key,))
        if keys is None:
            notes.append(f"`{key}` is not a mapping and is left out")
        return keys or []
    except Exception as error:  # untrusted input, as above
        notes.append(f"`{key}` cannot be read ({_reason(error)})")
        return []


def import_spec(spec_path: Path, dest: Path, *, force: bool = False) -> ImportResult:
    if not spec_path.is_file():
        raise ConfigError(f"{spec_path}: no such file")
    if dest.exists() and any(dest.iterdir()) and not force:
        raise ConfigError(f"{dest}: not empty (pass --force to write into it)")
    try:
        spec = open_spec(spec_path)
    except SpecError as error:
        raise ConfigError(str(error)) from None
    result = ImportResult()
    notes = result.notes
    budget = Budget()
    top: dict[str, Any] = {key: _part(spec, (key,), budget, notes) for key in ("openapi", "info", "servers", "security", "tags", "externalDocs")}
    top["components"] = {"securitySchemes": mapping(_part(spec, ("components", "securitySchemes"), budget, notes))}
    notes.extend(f"{reason}; read as any value" for reason in dict.fromkeys(budget.unresolved))
    tags = top.get("tags")
    named = [tag for tag in tags if isinstance(tag, dict) and isinstance(tag.get("name"), str)] if isinstance(tags, list) else []
    tag_order = list(dict.fromkeys(str(tag["name"]) for tag in named))
    tag_text = {str(tag["name"]): tag.get("description") for tag in named}
    # Each path item is resolved on its own, so one odd operation costs only itself.
    raw_paths: dict[str, Any] = {}
    unresolved: dict[str, list[str]] = {}
    for key in _keys(spec, "paths", notes):
        path_budget = Budget()
        value = _part(spec, ("paths", key), path_budget, notes, f"{key}: left out")
        if value is not None:
            raw_paths[key] = value
            unresolved[key] = [f"{reason}; read as any value" for reason in dict.fromkeys(path_budget.unresolved)]
            if path_budget.trimmed_below is not None:
                unresolved[key].append(f"schemas nested {path_budget.trimmed_below + 1} or more `$ref`s deep are read as any"
                                       f" value (following every `$ref` would exceed {MAX_EXPANDED} values)")
            if path_budget.non_finite:
                where = ", ".join(f"`{one_line(name, 40)}`" for name in list(dict.fromkeys(path_budget.non_finite))[:3])
                unresolved[key].append(f"numbers JSON cannot carry (infinite or NaN, at {where}) are left out")
            recursive = list(dict.fromkeys(path_budget.cut))
            if recursive:
                shown = ", ".join(f"`{one_line(ref, 80)}`" for ref in recursive[:3]) + (" …" if len(recursive) > 3 else "")
                unresolved[key].append(f"recursive schemas ({shown}) are shown down to where they repeat; deeper levels"
                                       " are read as any value")
    operations = collect_operations(raw_paths, tag_order, notes)
    for operation in operations:
        operation.notes.extend(unresolved.get(operation.path, []))
        operation.component_name = functools.partial(_component_name, spec, ("paths", operation.path, operation.method))
    for name in _keys(spec, "webhooks", notes):
        hook = mapping(_part(spec, ("webhooks", name), Budget(), notes, f"webhook `{name}`: left out"))
        for method in (key for key in hook if key in (*METHODS, "trace")):
            notes.append(f"webhook `{one_line(name, 80)}` ({method.upper()}): webhooks (requests the API sends) are not carried over")
    auth = choose_auth(top)
    if auth.note:
        notes.append(auth.note)
    servers = servers_of(top, notes)
    dest.mkdir(parents=True, exist_ok=True)
    docs = dest / "docs"
    folders: dict[str, str] = {}
    used_folders: set[str] = set()
    for tag in tag_order:
        name = slug(tag, "section")
        if name in _EXCLUDED_BY_MKDOCS:
            notes.append(f"tag `{one_line(tag, 60)}`: its pages are in the folder `{name}-endpoints`, as MkDocs leaves `docs/{name}/` out of a site")
            name += "-endpoints"
        while name in used_folders:
            name += "-x"
        used_folders.add(name)
        folders[tag] = name
    files_used: set[str] = set()
    written_tags: set[str] = set()
    for operation in operations:
        folder = folders[operation.tag]
        base = slug(str(operation.data.get("operationId") or ""), "")
        if not re.search("[a-z]", base):  # no operationId, or one of other scripts or digits only
            base = slug(f"{operation.method}-{operation.path}", operation.method)
        name = base
        number = 2
        while f"{folder}/{name}" in files_used:
            name, number = f"{base}-{number}", number + 1
        files_used.add(f"{folder}/{name}")
        try:
            text = definition_text(operation, auth, operation.order + 1)
        except Exception as error:  # untrusted input: an operation we cannot read costs only itself
            notes.append(f"{operation.label}: left out ({_reason(error)})")
            continue
        write_under(docs, f"{folder}/{name}.md", text)
        result.endpoints += 1
        written_tags.add(operation.tag)
        notes.extend(f"{operation.label}: {note}" for note in operation.notes)
    for position, tag in enumerate(tag_order, start=1):
        if tag not in written_tags:
            continue
        section = {"title": one_line(tag, 120), "position": position}
        write_under(docs, f"{folders[tag]}/.section.yml", yaml.safe_dump(section, sort_keys=False, allow_unicode=True))
        if tag_text.get(tag):
            notes.append(f"tag `{one_line(tag, 60)}`: its description is not shown (sections have no text)")
        result.sections += 1
    notes.extend(_local_links_note(mapping(top.get("info")).get("description"), "the API's description"))
    write_under(docs, "index.md", index_page(top, spec_path, auth, notes))
    write_under(dest, "mkdocs.yml", mkdocs_yml(top, servers, auth, spec_path))
    report = [f"apidocs import-openapi {spec_path.name}: {result.endpoints} endpoints in {result.sections} sections", ""]
    report += notes or ["Everything was carried over."]
    write_under(dest, REPORT, "\n".join(report) + "\n")
    return result


def run_import(spec: Path, dest: Path, *, force: bool = False) -> int:
    result = import_spec(spec, dest, force=force)
    print(f"apidocs: {result.endpoints} endpoints in {result.sections} sections written to {dest}"
          f" ({len(result.notes)} notes in {dest / REPORT})", file=sys.stderr)
    return 0

