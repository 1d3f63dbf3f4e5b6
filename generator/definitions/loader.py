"""Load definition files (Markdown + front matter) into the model.

`DefinitionLoader.read()` reads one file as far as it can, collecting every finding (what
`apidocs lint` prints); `load()` is the build's view of the same reading: the document, or the
first error. `load_tree()` reads a docs folder, collecting errors per file so that one broken
definition never hides the others. Codes, known keys and bounds are in `format.py`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from apidocs.definitions.body import ParsedBody, RightCodeExample, parse_body, parse_right_code, responses_from_right_code
from apidocs.definitions.format import EXAMPLE_KEYS, KNOWN_KEYS, MAX_DEFINITION_BYTES, schema_findings, split_visibility
from apidocs.definitions.frontmatter import FrontMatter, parse_yaml, split_front_matter
from apidocs.definitions.liquid import Line, LiquidRenderer
from apidocs.definitions.pasted import HarvestedRequest, PastedSnippet, harvest
from apidocs.model.endpoint import HTTP_METHODS, NO_BODY, Document, Endpoint, ExampleRequest, ExampleResponse
from apidocs.model.errors import DefinitionError, Finding
from apidocs.model.forms import FormError, is_form, list_styles
from apidocs.model.headers import MEDIA_RANGE, carried_in_a_header, is_media_type, media_type_essence, media_type_taken
from apidocs.model.multipart import FILE_NAME_RULE, file_names, is_file_name, is_multipart, multipart_parts
from apidocs.model.paths import PLACEHOLDER_NAME, PathTemplate
from apidocs.model.positions import LAST, PositionKey, position_key
from apidocs.model.raw import is_raw

_ANGLE_PARAM = re.compile(r"<\s*(" + PLACEHOLDER_NAME + r")\s*>")
_COLON_PARAM = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)")
SECTION_FILE = ".section.yml"
# `page.apidocs.yml` beside `page.md` adds front-matter keys (e.g. `example`, `responses`) to a
# definition that must stay verbatim, such as a file shared with another site.
OVERLAY_SUFFIX = ".apidocs.yml"
# `apidocs: true` in a page's front matter: apidocs renders it like a definition (Liquid,
# parameter tables) although it is not an endpoint. Pages without it pass through untouched.
OPT_IN_KEY = "apidocs"
# A front matter that does not parse still shows whether it was meant for apidocs (as YAML or JSON).
_CLAIMS_DEFINITION = re.compile(r"""^(?:method|apidocs)[ \t]*:|^title[ \t]*:[ \t]*['"]?(?:/|&lt;)"""
                                r"""|^[ \t{]*"(?:method|apidocs)"[ \t]*:|^[ \t{]*"title"[ \t]*:[ \t]*"(?:/|&lt;)""", re.M)


def page_of_finding(path: Path | str) -> Path:
    """The page file a finding is about: an overlay's (`x.apidocs.yml`) is its definition's (`x.md`)."""
    path = Path(path)
    if path.name.endswith(OVERLAY_SUFFIX):
        return path.with_name(path.name[: -len(OVERLAY_SUFFIX)] + ".md")
    return path


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A docs-relative glob (`api/**/*.md`): `**/` spans folders, `*` and `?` stay inside one."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", glob.strip().lstrip("/"))
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts) + r"\Z")


def path_from_title(title: str) -> str:
    """`/timp/orders/cancel/&lt;order_uuid&gt;/confirm/` → `/timp/orders/cancel/{order_uuid}/confirm/`.

    `html.unescape` also repairs the semicolon-less `&ltuuid&gt` seen in real trees. A `:name`
    segment is read before unescaping, so a colon written `&#58;` stays a literal one (an OpenAPI
    path such as `/webhooks/:id` has no placeholder there).
    """
    path = _COLON_PARAM.sub(r"{\1}", title.strip())
    return _ANGLE_PARAM.sub(r"{\1}", html.unescape(path))


def read_definition_text(path: Path) -> str:
    """A definition, overlay or section file's text, refusing files over the size bound."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DefinitionError(path, 1, f"cannot be read ({error.strerror})", "E001") from None
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionError(path, 1, f"file is {size:,} bytes, more than the {MAX_DEFINITION_BYTES:,} a definition may have", "E012")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DefinitionError(path, 1, f"not UTF-8 text ({error.reason})", "E001") from None
    except OSError as error:
        raise DefinitionError(path, 1, f"cannot be read ({error.strerror})", "E001") from None


def _scalar_text(value: Any) -> str:
    """Example values in the URL are text; JSON-ish scalars keep their JSON spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


@dataclass
class LoadedFile:
    """One file read as far as it can be, whatever is wrong with it.

    The build wants `document` (None when an error stopped it); lint wants every finding, and the
    front matter, lines and pasted snippets for the checks that need no model.
    """

    path: Path
    text: str = ""
    front: FrontMatter | None = None
    lines: list[Line] = field(default_factory=list)  # the body after Liquid, numbered as in the file
    body: ParsedBody = field(default_factory=ParsedBody)
    right_code: list[RightCodeExample] = field(default_factory=list)
    document: Document | None = None
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

    @property
    def first_error(self) -> Finding | None:
        return next((finding for finding in self.findings if finding.is_error), None)


@dataclass
class Section:
    """A folder of docs/: a nav section (a Jekyll collection after import)."""

    path: str  # relative to docs/, '' for the root
    title: str
    position: PositionKey = LAST
    visibility: list[str] = field(default_factory=list)


@dataclass
class DocsTree:
    documents: dict[str, Document] = field(default_factory=dict)  # by src_uri
    sections: dict[str, Section] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    section_files: int = 0  # folders with a `.section.yml`

    @property
    def endpoints(self) -> list[Endpoint]:
        return [doc for doc in self.documents.values() if isinstance(doc, Endpoint)]

    @property
    def has_definitions(self) -> bool:
        """Whether apidocs owns any page here (endpoints or opted-in pages), or any section file."""
        return self.section_files > 0 or any(not doc.passthrough for doc in self.documents.values())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]


class DefinitionLoader:
    def __init__(self, docs_dir: Path, includes_dir: Path, site: dict[str, Any] | None = None,
                 definitions: Sequence[str] = (), *, lax_liquid: bool = False) -> None:
        self.docs_dir = docs_dir
        self.resolved_docs_dir = docs_dir.resolve()
        # `lax_liquid`: a Jekyll tree, read as Jekyll reads its Liquid (lint on an unconverted tree).
        self.liquid = LiquidRenderer(includes_dir, site or {}, relative_root=docs_dir, lax=lax_liquid)
        # Globs (the plugin's `definitions` option): matching files are apidocs' own pages.
        self.definition_globs = [glob_pattern(glob) for glob in definitions]

    def matches_definitions(self, src_uri: str) -> bool:
        return any(pattern.match(src_uri) for pattern in self.definition_globs)

    def load(self, path: Path) -> Document:
        """The document of a file, or its first error raised."""
        return self._document_of(self.read(path))

    def load_text(self, text: str, path: Path) -> Document:
        return self._document_of(self.read_text(text, path))

    @staticmethod
    def _document_of(loaded: LoadedFile) -> Document:
        error = loaded.first_error
        if error is not None:
            raise DefinitionError.of(error)
        assert loaded.document is not None  # a read without errors always makes a document
        return loaded.document

    def read(self, path: Path) -> LoadedFile:
        """Every finding of one file, and as much of it as could be read."""
        try:
            text = read_definition_text(path)
        except DefinitionError as error:
            return LoadedFile(path, findings=[error.finding])
        return self.read_text(text, path)

    @staticmethod
    def _apply_overlay(front: FrontMatter, overlay_path: Path) -> None:
        _, overlay, _ = parse_yaml(read_definition_text(overlay_path), overlay_path, 1, "overlay")
        if overlay is None:
            return
        if not isinstance(overlay, dict):
            raise DefinitionError(overlay_path, 1, "an overlay must be a mapping of front-matter keys", "E001")
        for key, value in overlay.items():
            front.data[key] = value
            front.key_lines[key] = 1  # findings about overlay keys point at the page's first line
            front.path_lines = {where: line for where, line in front.path_lines.items() if where[:1] != (key,)}

    def read_text(self, text: str, path: Path) -> LoadedFile:
        text = text.replace("\r\n", "\n").lstrip("\ufeff")
        loaded = LoadedFile(path, text)
        try:
            src_uri = path.resolve().relative_to(self.resolved_docs_dir).as_posix()
        except ValueError:
            src_uri = path.name
        claimed = self.matches_definitions(src_uri)
        if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
            loaded.findings.append(Finding(path, 1, "E012", f"more than the {MAX_DEFINITION_BYTES:,} bytes a definition may have"))
            return loaded
        try:
            front = split_front_matter(text, path)
        except DefinitionError as error:
            if claimed or _CLAIMS_DEFINITION.search(text.split("\n---", 1)[0]):
                loaded.findings.append(error.finding)
            else:
                # Not ours to judge: MkDocs reads this page's front matter its own way.
                loaded.document = Document(path, src_uri, path.stem.replace("_", " ").title(), LAST, [], [], passthrough=True)
            return loaded
        loaded.front = front
        overlay_path = path.with_name(path.stem + OVERLAY_SUFFIX)
        if overlay_path.is_file():
            loaded.overlay = overlay_path
            try:
                self._apply_overlay(front, overlay_path)
            except DefinitionError as error:
                loaded.findings.append(error.finding)
                return loaded
        data = front.data
        raw_title = data.get("title")
        title = str(raw_title).strip() if raw_title is not None else ""
        method = data.get("method")
        is_endpoint = method not in (None, "") or title.startswith("/")
        opted_in = data.get(OPT_IN_KEY, False)
        if not isinstance(opted_in, bool):
            loaded.findings.append(Finding(path, front.line_of(OPT_IN_KEY), "E001", f"`{OPT_IN_KEY}` must be true or false, not {opted_in!r}"))
            return loaded
        if not (is_endpoint or opted_in or claimed):
            # An ordinary page: title, position and visibility place it in the nav; nothing else is read.
            # Its raw lines are kept for lint's checks that need no Liquid (secrets, Python blocks).
            loaded.lines = [Line(front.body_line + i, t) for i, t in enumerate(front.body.split("\n"))]
            loaded.body = parse_body(loaded.lines)
            try:
                position = position_key(data.get("position"))
            except ValueError:
                position = LAST
            loaded.document = Document(path, src_uri, title or _title_from_body(front.body) or path.stem.replace("_", " ").title(),
                                       position, split_visibility(data.get("visibility")), [], passthrough=True)
            return loaded

        # A definition: every check runs and records; the document is made when nothing fatal was found.
        fatal = schema_findings(data, path, front.path_lines)
        try:
            loaded.lines = self.liquid.render_lines(front.body, front.body_line, path, loaded.findings)
        except DefinitionError as error:
            fatal.append(error.finding)
            loaded.lines = [Line(front.body_line + i, t) for i, t in enumerate(front.body.split("\n"))]
        loaded.body = parse_body(loaded.lines)
        right_code_text = data.get("right_code")
        if isinstance(right_code_text, str):
            try:
                loaded.right_code = parse_right_code(right_code_text, front.line_of("right_code") + 1, path)
            except DefinitionError as error:
                fatal.append(error.finding)
        loaded.findings.extend(fatal)
        if not fatal:
            try:
                loaded.document = self._definition(loaded, front, src_uri, title, is_endpoint)
            except DefinitionError as error:
                loaded.findings.append(error.finding)
        return loaded

    def _definition(self, loaded: LoadedFile, front: FrontMatter, src_uri: str, title: str, is_endpoint: bool) -> Document:
        path, data, body, right_code = loaded.path, front.data, loaded.body, loaded.right_code
        try:
            position = position_key(data.get("position"))
        except ValueError as error:
            raise DefinitionError(path, front.line_of("position"), str(error), "E004") from None
        meta = {key: value for key, value in data.items() if key not in KNOWN_KEYS | {OPT_IN_KEY}}
        if not is_endpoint:
            return Document(path, src_uri, title or _title_from_body(front.body) or path.stem.replace("_", " ").title(),
                            position, split_visibility(data.get("visibility")), body.blocks, meta)

        method = data.get("method")
        if method in (None, ""):
            raise DefinitionError(path, front.line_of("title"), f"`method` is missing: {title} looks like an endpoint path (add e.g. `method: get`)", "E002")
        method_name = str(method).strip().upper()
        if method_name not in HTTP_METHODS:
            raise DefinitionError(path, front.line_of("method"), f"unknown method {method!r} (one of {', '.join(m.lower() for m in HTTP_METHODS)})", "E003")
        if not title.startswith("/"):
            raise DefinitionError(path, front.line_of("title"), f"`title` must be the endpoint path starting with '/', not {title!r}", "E005")
        endpoint_path = path_from_title(title)
        # A `&` left over is a broken entity; one written `&amp;` is a literal `&` of the path.
        if "<" in endpoint_path or ">" in endpoint_path or "&" in path_from_title(title.replace("&amp;", "")):
            raise DefinitionError(path, front.line_of("title"), f"malformed path parameter in {title!r} (write &lt;name&gt;)", "E006")
        repeated = PathTemplate(endpoint_path).repeated_names
        if repeated:
            raise DefinitionError(path, front.line_of("title"), f"the path {endpoint_path} uses {', '.join(f'`{name}`' for name in repeated)} "
                                  "more than once: give each path parameter its own name", "E014")
        if data.get("right_code") is not None and not isinstance(data.get("right_code"), str):
            raise DefinitionError(path, front.line_of("right_code"), "`right_code` must be a block of text (`right_code: |`)", "E020")
        harvested = harvest(body.pasted)

        endpoint = Endpoint(
            source=path, src_uri=src_uri, title=endpoint_path, position=position,
            visibility=split_visibility(data.get("visibility")), blocks=body.blocks, meta=meta,
            method=method_name, path=endpoint_path, name=str(data.get("name") or endpoint_path),
            description=str(data.get("description") or ""), pasted=body.pasted, harvested=harvested,
            operation_id=data["operation_id"] if isinstance(data.get("operation_id"), str) else None,
            servers=[(str(server["url"]).rstrip("/"), str(server.get("description") or "")) for server in data.get("servers") or []],
            raw_title=title, title_line=front.line_of("title"),
        )
        _check_path_parameters(endpoint, path)
        endpoint.example, status = _build_example(endpoint, front, right_code, harvested, path)
        documented_2xx = [r.status for r in responses_from_right_code(right_code, 200) if r.status and 200 <= r.status < 300]
        endpoint.expected_status = status or (documented_2xx[0] if documented_2xx else 200)
        endpoint.responses = responses_from_right_code(right_code, endpoint.expected_status if endpoint.expected_status < 300 else 200)
        endpoint.responses += _structured_responses(front, path)
        endpoint.responses_listed = data.get("responses") is not None
        if status is None and not documented_2xx:
            successes = [r.status for r in endpoint.responses if r.status and 200 <= r.status < 300]
            endpoint.expected_status = successes[0] if successes else 200
        request_block = next((e for e in right_code if e.title.lower().startswith("request")), None)
        endpoint.request_example_title = request_block.title if request_block else None
        request = data.get("request")
        if isinstance(request, dict) and request.get("schema") is not None:
            endpoint.request_schema = _json_schema(request["schema"], "request.schema", path,
                                                   lambda: front.path_lines.get(("request", "schema"), front.line_of("request")), "E015")
        if isinstance(request, dict) and isinstance(request.get("parameters"), dict):
            endpoint.parameter_schemas = _parameter_schemas(request["parameters"], front, path)
        if isinstance(request, dict) and request.get("required") is not None:
            if not isinstance(request["required"], bool):
                raise DefinitionError(path, front.path_lines.get(("request", "required"), front.line_of("request")),
                                      "`request.required` must be true or false", "E015")
            endpoint.request_required = request["required"]
        if isinstance(request, dict) and request.get("media_type") is not None:
            media_type = request["media_type"]
            if not isinstance(media_type, str) or not is_media_type(media_type):
                raise DefinitionError(path, front.path_lines.get(("request", "media_type"), front.line_of("request")),
                                      "`request.media_type` must be a media type such as application/vnd.api+json", "E015")
            endpoint.request_media_type = media_type
        if isinstance(request, dict) and request.get("media_range") is not None:
            media_range = request["media_range"]
            line = front.path_lines.get(("request", "media_range"), front.line_of("request"))
            if not isinstance(media_range, str) or not MEDIA_RANGE.fullmatch(media_range):
                raise DefinitionError(path, line, "`request.media_range` must be a media type range such as */* or text/*", "E015")
            if media_type_taken(endpoint.request_content_type, [media_type_essence(media_range)]) is None:
                raise DefinitionError(path, line, f"`request.media_range` {media_range} does not hold the media type the "
                                      f"example is sent as ({endpoint.request_content_type})", "E015")
            endpoint.request_media_range = media_type_essence(media_range)
        if isinstance(request, dict) and isinstance(request.get("encoding"), dict):  # its shape: definition.schema.json
            endpoint.request_encoding = {str(name): dict(how) for name, how in request["encoding"].items()}
        if isinstance(request, dict) and isinstance(request.get("files"), list):  # a list of names: definition.schema.json
            endpoint.request_files = [str(name) for name in request["files"]]
        if isinstance(request, dict) and request.get("body_file") is True:  # a boolean: definition.schema.json
            endpoint.request_body_file = True
            body = endpoint.example.body
            if endpoint.example.has_body and is_raw(endpoint.request_content_type) and not is_file_name(body):
                raise DefinitionError(path, front.path_lines.get(("example", "body"), front.line_of("example")),
                                      f"`example.body` is the file to send (`request.body_file`): it must be {FILE_NAME_RULE}, "
                                      f"not {body!r}", "E008")
        _check_multipart(endpoint, front, path)
        if isinstance(request, dict) and isinstance(request.get("other_media_types"), dict):  # its shape: definition.schema.json
            for media_type, schema in request["other_media_types"].items():
                def media_type_line(media_type: Any = media_type) -> int:
                    return front.path_lines.get(("request", "other_media_types", str(media_type)), front.line_of("request"))

                if not (is_media_type(str(media_type)) or MEDIA_RANGE.fullmatch(str(media_type))):
                    raise DefinitionError(path, media_type_line(), f"`request.other_media_types`: {str(media_type)!r} is not a media type "
                                          "such as application/x-www-form-urlencoded, or a range such as text/* or "
                                          "application/*+json", "E015")
                # Nothing: the body's own schema (an API taking the same fields as JSON, a form and parts).
                checked = (endpoint.request_schema or {}) if schema is None else _json_schema(
                    schema, f"request.other_media_types.{media_type}", path, media_type_line, "E015")
                essence = media_type_essence(str(media_type))
                if essence == endpoint.request_content_type or essence in endpoint.request_other_media_types:
                    endpoint.request_media_type_variants[str(media_type)] = checked
                    continue
                endpoint.request_other_media_types[essence] = checked
                if media_type_essence(str(media_type)) != str(media_type):
                    endpoint.request_other_media_types_written[media_type_essence(str(media_type))] = str(media_type)
        return endpoint


def _charset(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type, in lower case, if any."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _check_multipart(endpoint: Endpoint, front: FrontMatter, path: Path) -> None:
    """A multipart example can be sent: its file members hold file names (the check creates and
    uploads them), and every part's name can be written (`model/multipart.py`: no `=`, `"`, `\\`
    nor line break)."""
    body = endpoint.example.body
    if not (endpoint.example.has_body and isinstance(body, dict) and is_multipart(endpoint.request_content_type)):
        return  # lint says that `request.files` changes nothing here (W116)
    files_line = front.path_lines.get(("request", "files"), front.line_of("request"))
    for index, name in enumerate(endpoint.request_files):
        if name not in body:
            raise DefinitionError(path, front.path_lines.get(("request", "files", str(index)), files_line),
                                  f"`request.files` names `{name}`, which `example.body` does not have", "E008")
        if file_names(body[name]) is None:
            raise DefinitionError(path, front.path_lines.get(("example", "body", name), files_line),
                                  f"`example.body.{name}` is a file: it must be {FILE_NAME_RULE} (or a list of them), "
                                  f"not {body[name]!r}", "E008")
    lists = list_styles(endpoint.request_encoding)
    for name, member in body.items():
        try:
            multipart_parts({name: member}, endpoint.request_files, lists)
        except FormError as error:
            line = front.path_lines.get(("example", "body", str(name)), front.path_lines.get(("example", "body"), front.line_of("example")))
            raise DefinitionError(path, line, f"`example.body` is sent as multipart parts: {error}", "E008") from None


PARAMETER_PLACES = ("path", "query", "header", "cookie")


def _parameter_schemas(given: dict[str, Any], front: FrontMatter, path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """`request.parameters`: {where: {name: JSON Schema}} → {(where, name): schema}, header names in lower case."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for place, named in given.items():
        def line(place: Any = place) -> int:
            return front.path_lines.get(("request", "parameters", place), front.line_of("request"))

        if place not in PARAMETER_PLACES or not isinstance(named, dict):
            raise DefinitionError(path, line(), f"`request.parameters` maps {', '.join(PARAMETER_PLACES)} to parameter "
                                  f"names and their JSON Schemas, not {str(place)[:40]!r}", "E015")
        for name, schema in named.items():
            if not isinstance(name, str) or not name.strip():
                raise DefinitionError(path, line(), f"`request.parameters.{place}` names its parameters with text, "
                                      f"not {name!r}", "E015")
            where = f"request.parameters.{place}.{name}"

            def at(place: Any = place, name: str = name, line: Callable[[], int] = line) -> int:
                return front.path_lines.get(("request", "parameters", place, name), line())

            schemas[(place, str(name).lower() if place == "header" else str(name))] = _json_schema(schema, where, path, at, "E015")
    return schemas


def _json_schema(value: Any, where: str, path: Path, line_of: Callable[[], int], code: str) -> dict[str, Any]:
    """A JSON Schema (2020-12, OpenAPI 3.1's dialect) given in front matter, checked as one;
    `line_of` gives the line a refusal names (asked for only then: see `LinesWhenAsked`)."""
    from apidocs.model.validation import (  # first use only: jsonschema takes a tenth of a second to import
        SchemaError,
        check_schema,
        ref_outside,
    )

    if value is True or value is False:
        return {} if value else {"not": {}}
    if not isinstance(value, dict):
        raise DefinitionError(path, line_of(), f"`{where}` must be a JSON Schema mapping", code)
    try:
        check_schema(value)
    except SchemaError as error:
        raise DefinitionError(path, line_of(), f"`{where}` is not a valid JSON Schema: {error.message}", code) from None
    outside = ref_outside(value)
    if outside is not None:
        raise DefinitionError(path, line_of(), f"`{where}` has a `$ref` that does not point inside it ({outside[:80]}): "
                                          "only refs such as `#/$defs/Name` are read", code)
    return value


RESPONSE_CODE = re.compile(r"default|[1-5]XX", re.IGNORECASE)  # OpenAPI's keys that are no status


def _structured_responses(front: FrontMatter, path: Path) -> list[ExampleResponse]:
    """`responses:` in front matter: a list of {status, title, description, body, schema, headers}."""
    raw = front.data.get("responses")
    if raw is None:
        return []
    line = front.line_of("responses")
    if not isinstance(raw, list):
        raise DefinitionError(path, line, "`responses` must be a list of {status, body, title}", "E021")
    responses = []
    for index, item in enumerate(raw):
        written = item.get("status") if isinstance(item, dict) else None
        code = written.strip() if isinstance(written, str) and RESPONSE_CODE.fullmatch(written.strip()) else ""
        if not isinstance(item, dict) or not ((isinstance(written, int) and not isinstance(written, bool)) or code):
            raise DefinitionError(path, line, "each of `responses` needs a `status`: a number, `default` or a range "
                                  "such as `4XX` (and usually a `body`)", "E021")
        status = None if code else cast(int, written)
        code = "default" if code.lower() == "default" else code.upper()
        response = ExampleResponse(status, item.get("body", NO_BODY), str(item.get("title") or f"Response {code or status}"),
                                   str(item.get("description") or ""), code=code)
        if item.get("schema") is not None:
            def where(index: int = index) -> int:
                return front.path_lines.get(("responses", str(index), "schema"), line)

            response.schema = _json_schema(item["schema"], f"responses[{index}].schema", path, where, "E021")
        headers = item.get("headers") or {}
        if isinstance(headers, dict):
            response.headers = [(str(name), _scalar_text(value)) for name, value in headers.items()]
        responses.append(response)
    return responses


def _title_from_body(body: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", body, re.M)
    return match.group(1).strip() if match else None


def _check_path_parameters(endpoint: Endpoint, path: Path) -> None:
    group = endpoint.group_of_kind("path")
    if group is None:
        return
    in_path = set(endpoint.path_parameters)
    for parameter in group.parameters:
        if parameter.name not in in_path:
            where = ", ".join(sorted(in_path)) or "no parameters"
            raise DefinitionError(path, parameter.line, f"URL parameter `{parameter.name}` is documented but not in the path {endpoint.path} ({where})", "E007")


def _as_mapping(value: Any, what: str, path: Path, line: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DefinitionError(path, line, f"`example.{what}` must be a mapping of name: value", "E008")
    return value


def _build_example(endpoint: Endpoint, front: FrontMatter, right_code: list[RightCodeExample],
                   harvested: HarvestedRequest | None, path: Path) -> tuple[ExampleRequest, int | None]:
    """The example request: `example:` in front matter wins, then right_code, then pasted snippets."""
    line = front.line_of("example")
    raw = front.data.get("example") or {}
    if not isinstance(raw, dict):
        raise DefinitionError(path, line, "`example` must be a mapping with params, query, headers, body, status", "E008")
    unknown = set(raw) - EXAMPLE_KEYS
    if unknown:
        raise DefinitionError(path, line, f"unknown key(s) in `example`: {', '.join(sorted(map(str, unknown)))} (known: {', '.join(sorted(EXAMPLE_KEYS))})", "E008")

    example = ExampleRequest()
    if harvested is not None:
        match = endpoint.template.match(harvested.path or "")
        if match is not None:
            example.path_params = dict(match)
        example.query = harvested.query
        example.headers = [(n, v) for n, v in harvested.headers if n.lower() not in ("authorization",)]
        if harvested.body is not NO_BODY:
            example.body = harvested.body
    request_block = next((e for e in right_code if e.title.lower().startswith("request")), None)
    if request_block is not None and request_block.value is not NO_BODY:
        example.body = request_block.value

    params = _as_mapping(raw.get("params"), "params", path, line)
    example.path_params.update({str(k): _scalar_text(v) for k, v in params.items()})
    if "query" in raw:
        query: list[tuple[str, str]] = []
        for name, value in _as_mapping(raw["query"], "query", path, line).items():
            values = value if isinstance(value, list) else [value]
            query.extend((str(name), _scalar_text(item)) for item in values)
        example.query = query
    if "headers" in raw:
        headers = _as_mapping(raw["headers"], "headers", path, line)
        example.headers = [(str(k), _scalar_text(v)) for k, v in headers.items()]
    if "body" in raw:
        example.body = raw["body"]
    if "token" in raw:
        example.token = _scalar_text(raw["token"])
    for name, value in example.headers:
        if not carried_in_a_header(value):
            raise DefinitionError(path, line, f"header {name} has a value HTTP cannot carry (control or non-ASCII characters)", "E009")
    content_type = next((v for n, v in example.headers if n.lower() == "content-type"), None)
    if example.has_body and content_type is None:
        example.headers.append(("Content-Type", "application/json"))
    elif example.has_body and (is_form(content_type) or is_multipart(content_type)) and not isinstance(example.body, dict):
        raise DefinitionError(path, front.path_lines.get(("example", "body"), line),
                              f"`example.body` is sent as a form ({content_type}): it must be a mapping of its fields", "E008")
    elif example.has_body and is_raw(content_type) and not isinstance(example.body, str):
        raise DefinitionError(path, front.path_lines.get(("example", "body"), line),
                              f"`example.body` is sent as {content_type}, as it is: it must be text (or, with "
                              "`request.body_file: true`, the name of the file to send)", "E008")
    elif example.has_body and is_raw(content_type) and "\x00" in example.body:
        raise DefinitionError(path, front.path_lines.get(("example", "body"), line),
                              "`example.body` holds a NUL character, which no shell snippet can send", "E008")
    elif example.has_body and is_raw(content_type) and example.body == "":
        raise DefinitionError(path, front.path_lines.get(("example", "body"), line),
                              "`example.body` is empty, which is no body at all: leave `body` out", "E008")
    elif example.has_body and is_raw(content_type) and _charset(content_type) not in (None, "utf-8", "utf8"):
        raise DefinitionError(path, line, f"the Content-Type says {_charset(content_type)}, but the snippets send "
                              "the text as UTF-8: say charset=utf-8, or no charset", "E008")

    missing = [name for name in endpoint.path_parameters if not example.path_params.get(name)]
    for name in missing:
        example.path_params[name] = name.upper()
    endpoint.is_example_complete = not missing

    status = raw.get("status")
    if status is not None and not (isinstance(status, int) and 200 <= status <= 599):
        raise DefinitionError(path, line, f"`example.status` must be a final HTTP status code (200 to 599), not {status!r}", "E008")
    return example, status


def load_section(folder: Path, docs_dir: Path) -> Section:
    rel = folder.relative_to(docs_dir).as_posix()
    rel = "" if rel == "." else rel
    section = Section(rel, folder.name.replace("_", " ").replace("-", " ").title() if rel else "")
    meta_file = folder / SECTION_FILE
    if meta_file.is_file():
        _, data, _ = parse_yaml(read_definition_text(meta_file), meta_file, 1, "section file")
        data = data or {}
        if not isinstance(data, dict):
            raise DefinitionError(meta_file, 1, "must be a mapping with title, position, visibility", "E001")
        section.title = str(data.get("title") or section.title)
        try:
            section.position = position_key(data.get("position"))
        except ValueError as error:
            raise DefinitionError(meta_file, 1, str(error), "E004") from None
        section.visibility = split_visibility(data.get("visibility"))
    return section


def load_tree(docs_dir: Path, includes_dir: Path, site: dict[str, Any] | None = None, only: list[Path] | None = None,
              definitions: Sequence[str] = (), read: Callable[[DefinitionLoader, Path], LoadedFile] | None = None) -> DocsTree:
    """Every Markdown file under docs_dir (or just `only`), with errors collected per file.

    `read` replaces `DefinitionLoader.read` (`apidocs serve` passes a cache by content hash).
    """
    loader = DefinitionLoader(docs_dir, includes_dir, site, definitions)
    tree = DocsTree()
    files = sorted(only) if only else sorted(p for p in docs_dir.rglob("*.md") if not _is_hidden(p, docs_dir))
    folders = {docs_dir} | {p.parent for p in files}
    for folder in sorted(folders):
        try:
            section = load_section(folder, docs_dir)
        except (DefinitionError, ValueError) as error:
            if isinstance(error, DefinitionError):
                tree.findings.append(error.finding)
            continue
        tree.sections[section.path] = section
        tree.section_files += (folder / SECTION_FILE).is_file()
    for path in files:
        loaded = read(loader, path) if read is not None else loader.read(path)
        first_error = loaded.first_error
        if first_error is not None:
            tree.findings.append(first_error)  # the build reports a file's first error; lint prints them all
        elif loaded.document is not None:
            tree.findings.extend(loaded.findings)
            tree.documents[loaded.document.src_uri] = loaded.document
    return tree


def _same_route(documents: Iterable[Document]) -> list[tuple[Endpoint, Endpoint]]:
    """(page, other page) for every two pages with one method and path, placeholder names aside
    (`/orders/{id}/` and `/orders/{uuid}/` are one route): each page of a pair appears first once."""
    by_route: dict[tuple[str, str], list[Endpoint]] = {}
    for document in documents:
        if isinstance(document, Endpoint):
            by_route.setdefault((document.method, document.template.key), []).append(document)
    return [(endpoint, other) for copies in by_route.values() for endpoint in copies for other in copies if other is not endpoint]


def duplicate_pairs(documents: Iterable[Document]) -> list[tuple[Endpoint, Endpoint]]:
    """Pages with one method and the very same path: only one of them can be served."""
    return [(endpoint, other) for endpoint, other in _same_route(documents) if endpoint.path == other.path]


def alternative_pairs(documents: Iterable[Document]) -> list[tuple[Endpoint, Endpoint]]:
    """Pages with one method whose paths differ only in placeholder names (`/files/{id}` and
    `/files/{name}`, as real specs have them): both are served, the sandbox telling them apart
    by their parameters (sandbox/router.py). Paths told apart by a suffix (`/#Action=A`,
    `/#Action=B`) are meant to share their route."""
    return [(endpoint, other) for endpoint, other in _same_route(documents)
            if endpoint.path != other.path and endpoint.template.suffix == other.template.suffix]


def duplicate_finding(endpoint: Endpoint, other: Endpoint, severity: str = "warning") -> Finding:
    return Finding(endpoint.source, endpoint.title_line, "E017",
                   f"{endpoint.method} {endpoint.path} is also defined in {other.source}", severity)


def alternative_finding(endpoint: Endpoint, other: Endpoint) -> Finding:
    return Finding(endpoint.source, endpoint.title_line, "E017",
                   f"{endpoint.method} {endpoint.path} is also defined in {other.source} as {other.path}: only the "
                   "placeholder names differ, so the sandbox answers a request with the first whose parameter types "
                   "fit its values (give them distinct types, or paths)", "warning")


def duplicate_endpoints(documents: Iterable[Document]) -> list[Finding]:
    """A warning on each page that shares its method and path with another: the sandbox, the
    check and the explorer can serve only one of them. `build --strict` fails on these; lint
    reports them too."""
    return [duplicate_finding(endpoint, other) for endpoint, other in duplicate_pairs(documents)]


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def load_endpoints(settings: Any, only: list[Path] | None = None) -> tuple[list[Endpoint], list[Finding]]:
    """The endpoints of a project (for the sandbox, the check, the explorer)."""
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site, only, settings.definitions)
    return tree.endpoints, tree.findings

