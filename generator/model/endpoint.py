"""The model every consumer shares: endpoints, their parameters and their examples.

Definitions are loaded into these objects once (see `definitions.py`); the site, the snippets,
the sandbox, the check and the explorer read them and never go back to the Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Re-exported for the renderers and clients that import them from here; the template type is `PathTemplate`.
from apidocs.model.headers import media_type_essence
from apidocs.model.paths import PLACEHOLDER as PLACEHOLDER
from apidocs.model.paths import PathTemplate, path_template
from apidocs.model.paths import encode_path_segment as encode_path_segment
from apidocs.model.positions import PositionKey

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class _NoBody:
    """Marker for "this request has no body" (JSON `null` is a body)."""

    def __repr__(self) -> str:
        return "NO_BODY"

    def __bool__(self) -> bool:
        return False


NO_BODY: Any = _NoBody()


_FIELD_PARTS = re.compile(r"\[\]|[^.\[\]]+")
MAX_FIELD_DEPTH = 32  # parts of a field's path: deeper names stay whole (schemas and trees are built by recursion)


def field_name(path: list[str]) -> str:
    """A field's path as its table writes it: [a, [], b] → `a[].b` (the reverse of `Parameter.path`)."""
    text = path[0]
    for part in path[1:]:
        text += part if part == "[]" else f".{part}"
    return text


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str | None
    is_required: bool
    description: str
    line: int = 0

    @property
    def path(self) -> list[str]:
        """Where a body field sits, as its table names it: `format.pages` → [format, pages],
        `items[].id` → [items, [], id] (imported specs list nested fields this way). A name of
        more than `MAX_FIELD_DEPTH` parts is one field's name."""
        parts = _FIELD_PARTS.findall(self.name)
        return parts if 0 < len(parts) <= MAX_FIELD_DEPTH else [self.name]


@dataclass
class ParameterGroup:
    """A documented list of parameters, e.g. `### URL Parameters:` or `#### Fees Object:`."""

    title: str
    kind: str  # "path" | "query" | "header" | "cookie" | "request" | "response" | "object"
    parameters: list[Parameter]
    line: int = 0


@dataclass
class ExampleRequest:
    """The request the docs show. Headers here are the documented ones; auth is added per site."""

    path_params: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = NO_BODY
    token: str | None = None  # overrides the site's placeholder token for this endpoint

    @property
    def has_body(self) -> bool:
        return self.body is not NO_BODY


@dataclass
class ExampleResponse:
    """One documented answer: its status, example body and, when given, what it means, the JSON
    Schema of its body and example headers (as data, so export and check can read them)."""

    status: int | None  # None for a response documented for no status of its own (`code`)
    body: Any = NO_BODY
    title: str = "Response"
    description: str = ""
    schema: dict[str, Any] | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    # OpenAPI's `default` (any status not listed) or a range such as `4XX`; empty for a status.
    code: str = ""

    @property
    def has_body(self) -> bool:
        return self.body is not NO_BODY

    @property
    def key(self) -> str:
        """How OpenAPI names it: the status, `default` or the range."""
        return self.code or str(self.status)

    @staticmethod
    def key_order(key: str) -> tuple[int, int, str]:
        """Keys in the order pages and the export list them: statuses, then ranges, then `default`."""
        if key.isdigit():
            return 0, int(key), ""
        return (2 if key == "default" else 1), 0, key

    def covers(self, status: int) -> bool:
        """Whether this response documents `status`: its own, its range's, or `default`'s."""
        if self.status is not None:
            return self.status == status
        return self.code == "default" or self.code == f"{status // 100}XX"


@dataclass
class Block:
    """A piece of the page body, in order: Markdown text or a parameter group."""

    markdown: str = ""
    group: ParameterGroup | None = None


@dataclass
class Document:
    """Any page in the docs tree; endpoints are documents with a method and a path."""

    source: Path
    src_uri: str  # path relative to docs/, with forward slashes
    title: str
    position: PositionKey
    visibility: list[str]
    blocks: list[Block]
    meta: dict[str, Any] = field(default_factory=dict)  # front matter keys we keep as they are
    # An ordinary page of the site (no definition, no opt-in): only its front matter was read, for
    # the nav and audiences; MkDocs renders its Markdown untouched.
    passthrough: bool = False

    @property
    def is_endpoint(self) -> bool:
        return False


@dataclass
class Endpoint(Document):
    method: str = "GET"
    path: str = "/"  # template with `{name}` placeholders
    name: str = ""
    description: str = ""
    operation_id: str | None = None  # the operationId openapi.json gives it (else made from the name)
    # Where this operation is served when not at the site's servers (OpenAPI's operation or path
    # `servers`): (url, description), the first one the snippets' base.
    servers: list[tuple[str, str]] = field(default_factory=list)
    example: ExampleRequest = field(default_factory=ExampleRequest)
    expected_status: int = 200
    responses: list[ExampleResponse] = field(default_factory=list)
    # The definition lists its responses (`responses:`, even an empty list): those are all it
    # documents. Otherwise the sandbox's answer is documented beside what `right_code` shows.
    responses_listed: bool = False
    request_example_title: str | None = None
    request_schema: dict[str, Any] | None = None  # JSON Schema of the request body, when given
    request_required: bool | None = None  # whether the operation needs a body (None: when the example sends one)
    # The body's media type when no example sends its Content-Type; its parameters (`; charset=utf-8`)
    # as the API documents them, which the export keeps.
    request_media_type: str | None = None
    # A form body's members → {style, explode}, as OpenAPI's `encoding` (how their lists travel: `forms.py`).
    request_encoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A multipart body's members that are files, their example values file names (`multipart.py`).
    request_files: list[str] = field(default_factory=list)
    # A raw body (`raw.py`) that is a file: the example's body is the file's name.
    request_body_file: bool = False
    # Other media types the operation takes a body in (beside the example's), with their JSON
    # Schemas (`{}`: any): documented and exported; the sandbox reads and checks them too.
    request_other_media_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Those of them written with parameters (`text/plain; charset=utf-8`), by media type: as the export names them.
    request_other_media_types_written: dict[str, str] = field(default_factory=dict)
    # Those whose media type is the body's or another's already, with other parameters (`application/json;
    # version=2` beside `…; version=1`), as written → their JSON Schemas: the sandbox takes them as
    # that one, the export gives them back.
    request_media_type_variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The range the body is documented by (`*/*`, as Kubernetes' evictions are), which holds the
    # media type the snippets send: exported as the body's key, taken whole by the sandbox.
    request_media_range: str | None = None
    # JSON Schemas of path, query, header and cookie parameters, when given, by (where, name);
    # header names in lower case (HTTP's are case-blind).
    parameter_schemas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    pasted: list[Any] = field(default_factory=list)  # PastedSnippet, kept for lint
    harvested: Any = None  # HarvestedRequest read from the pasted snippets, if any
    raw_title: str = ""  # the `title` as written (entities and all)
    is_example_complete: bool = True  # every path parameter has an example value
    title_line: int = 1  # where the path is written, for findings about the endpoint as a whole

    @property
    def is_endpoint(self) -> bool:
        return True

    def parameter_schema(self, place: str, name: str) -> dict[str, Any] | None:
        """The JSON Schema `request.parameters` gives a parameter, if any (header names case-blind)."""
        return self.parameter_schemas.get((place, name.lower() if place == "header" else name))

    @property
    def request_content_type(self) -> str:
        """The request body's media type (without parameters): the example's Content-Type, else
        `request.media_type`, else JSON."""
        given = next((value for name, value in self.example.headers if name.lower() == "content-type"), None)
        if given is None or not self.example.has_body:
            given = self.request_media_type or given or "application/json"
        return media_type_essence(given) or "application/json"

    @property
    def request_media_type_written(self) -> str:
        """The request body's media type as documented, parameters and all: `request.media_type`
        when it names `request_content_type` (`application/json; charset=utf-8`), else that."""
        written = self.request_media_type
        return written if written and media_type_essence(written) == self.request_content_type else self.request_content_type

    @property
    def template(self) -> PathTemplate:
        return path_template(self.path)

    @property
    def path_parameters(self) -> list[str]:
        return list(self.template.names)

    @property
    def groups(self) -> Iterator[ParameterGroup]:
        return (block.group for block in self.blocks if block.group is not None)

    def group_of_kind(self, kind: str) -> ParameterGroup | None:
        return next((group for group in self.groups if group.kind == kind), None)

    @property
    def required_body_fields(self) -> list[Parameter]:
        group = self.group_of_kind("request")
        return [p for p in group.parameters if p.is_required] if group else []

    @property
    def success_response(self) -> ExampleResponse | None:
        """The documented response for the expected status, if any: its own, else its range's
        (`2XX`), else `default`'s."""
        return self.response_for(self.expected_status)

    def response_for(self, status: int) -> ExampleResponse | None:
        """The documented response for `status`: its own, else its range's, else `default`'s."""
        ranked = [(0 if r.status == status else 1 if r.code.endswith("XX") else 2, index)
                  for index, r in enumerate(self.responses) if r.covers(status)]
        return self.responses[min(ranked)[1]] if ranked else None


def json_type(value: Any) -> str:
    """The JSON name of a value's type (`true` is a boolean, not a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def encode_path_template(path: str) -> str:
    """Encode the literal parts of a path template, leaving `/` and placeholders."""
    return path_template(path).encoded()
