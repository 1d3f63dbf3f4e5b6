"""An OpenAPI 3.1 document from the definitions, for every tool that speaks OpenAPI.

Each endpoint becomes one operation: its parameters, request body and responses with their
examples and schemas (documented fields first, the examples' shape for the rest), the auth
header as a security scheme, and the snippets of the pages as `x-codeSamples`. The snippets are
rendered by the same functions as the pages, so the document shows exactly the code the check
executes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from referencing.exceptions import Unresolvable

from apidocs.config.settings import Auth, Settings
from apidocs.model.endpoint import Document, Endpoint, ExampleResponse, Parameter
from apidocs.model.forms import FORM_MEDIA_TYPE, form_value
from apidocs.model.headers import HEADER_NAME
from apidocs.model.multipart import MULTIPART_MEDIA_TYPE
from apidocs.model.paths import PLACEHOLDER
from apidocs.model.raw import is_raw
from apidocs.model.types import Schema, schema_of_type_word
from apidocs.model.validation import pointed_at, schema_validator
from apidocs.openapi.components import share_schemas
from apidocs.openapi.examples import UNPORTABLE_PATTERN
from apidocs.openapi.multipart import exported_schema
from apidocs.openapi.schemas import fields_schema, merge_schemas, object_schema, schema_of_value
from apidocs.rendering.languages import Language
from apidocs.rendering.request import base_url_of, build_request
from apidocs.rendering.snippets import render_snippet

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "apiToken"
# The `lang` names Redoc and Scalar know for each of our snippet languages.
_SAMPLE_LANGS = {"curl": "Shell", "httpie": "Shell", "python": "Python", "node": "JavaScript"}
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 415: "Unsupported Media Type",
            422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error"}


def operation_id(endpoint: Endpoint, taken: set[str], given: frozenset[str] = frozenset()) -> str:
    """The definition's `operation_id`, else camelCase of the endpoint's name (or method and
    path); unique in the document. A made one never takes an id another definition `given`."""
    if endpoint.operation_id and endpoint.operation_id not in taken:
        taken.add(endpoint.operation_id)
        return endpoint.operation_id
    words = re.findall(r"[A-Za-z0-9]+", endpoint.name) or re.findall(r"[A-Za-z0-9]+", f"{endpoint.method} {endpoint.path}")
    base = words[0].lower() + "".join(word[:1].upper() + word[1:].lower() for word in words[1:])
    if not base[:1].isalpha():
        base = endpoint.method.lower() + base[:1].upper() + base[1:]
    candidate, number = base, 2
    while candidate in taken or candidate in given:
        candidate, number = f"{base}{number}", number + 1
    taken.add(candidate)
    return candidate


# Keywords whose value is a schema, a list of schemas or a mapping of names to schemas.
_SUBSCHEMA = {"items", "not", "additionalProperties", "contains", "propertyNames", "if", "then", "else",
              "unevaluatedItems", "unevaluatedProperties"}
_SUBSCHEMAS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_NAMED_SCHEMAS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}


def portable_patterns(schema: Any) -> Any:
    """`schema` as OpenAPI tools written in Python read it, the spec validator among them (they
    call the document invalid otherwise):

    - each `pattern` that Python's `re` cannot read (ECMA-262's `\\p{L}`, common in AWS's specs)
      kept as `x-apidocs-pattern`, which the import reads back as `pattern`;
    - without a `default` that its own schema refuses (`default: null` on a field that is not
      nullable, as some real specs have): it tells readers nothing true.
    """
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str) and not _python_reads(value):
            result[UNPORTABLE_PATTERN] = value
        elif key == "default" and not _fits_schema(value, schema):
            continue
        elif key in _SUBSCHEMA or (key == "items" and isinstance(value, list)):
            result[key] = [portable_patterns(item) for item in value] if isinstance(value, list) else portable_patterns(value)
        elif key in _SUBSCHEMAS and isinstance(value, list):
            result[key] = [portable_patterns(item) for item in value]
        elif key in _NAMED_SCHEMAS and isinstance(value, dict):
            result[key] = {name: portable_patterns(item) for name, item in value.items()}
        else:
            result[key] = value
    return result


def _fits_schema(value: Any, schema: dict[str, Any]) -> bool:
    """Whether the schema (its own keywords, without the examples beside them) takes `value`;
    True when that cannot be told (a `$ref` that points out of it)."""
    bare = {key: item for key, item in schema.items() if key not in ("default", "example", "examples")}
    try:
        return bool(schema_validator(bare).is_valid(value))
    except Unresolvable:
        return True


def _python_reads(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return False
    return True


def _parameter_schema(endpoint: Endpoint, place: str, name: str, parameter: Parameter | None) -> Schema:
    """The definition's JSON Schema of the parameter (`request.parameters`), else one of its `(type)`."""
    given = endpoint.parameter_schema(place, name)
    if given is not None:
        return dict(portable_patterns(given))
    # Path, query and header values are strings on the wire unless the writer says otherwise.
    return schema_of_type_word(parameter.type if parameter else None) or {"type": "string"}


_INTEGER = re.compile(r"-?[0-9]{1,300}")
_NUMBER = re.compile(r"-?(?:[0-9]{1,300}(?:\.[0-9]{0,300})?|\.[0-9]{1,300})(?:[eE][-+]?[0-9]{1,3})?")


def _typed_example(value: str, schema: Schema) -> Any:
    """A parameter's example as a value of its schema's type: a definition keeps what the URL or
    header carries (`7`, `true`), an OpenAPI example should fit its schema (the integer 7)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return value  # `"007"` stays the text it may be
    if "integer" in kinds and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in kinds and _NUMBER.fullmatch(value):
        number = float(value)
        return int(value) if _INTEGER.fullmatch(value) else number if math.isfinite(number) else value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _parameters(endpoint: Endpoint, auth_header: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    documented = {(group.kind, p.name): p for group in endpoint.groups for p in group.parameters}
    for name in endpoint.path_parameters:
        parameter = documented.get(("path", name))
        value = endpoint.example.path_params.get(name)
        entry: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                 "schema": _parameter_schema(endpoint, "path", name, parameter)}
        if parameter and parameter.description:
            entry["description"] = parameter.description
        if value and endpoint.is_example_complete:
            entry["example"] = _typed_example(value, entry["schema"])
        result.append(entry)
    query_values: dict[str, list[str]] = {}
    for name, value in endpoint.example.query:
        query_values.setdefault(name, []).append(value)
    suffix_placeholders = [name for name in PLACEHOLDER.findall(endpoint.template.suffix) if name not in endpoint.path_parameters]
    for name in suffix_placeholders:
        # `/search?query={query}`: OpenAPI wants a path parameter for every `{name}` of a path
        # key, though the value travels in the query (where the definition documents it).
        parameter = documented.get(("query", name))
        entry = {"name": name, "in": "path", "required": True, "schema": _parameter_schema(endpoint, "query", name, parameter)
                 if parameter else {"type": "string"},
                 "description": parameter.description if parameter and parameter.description
                 else f"Named in the path's suffix; sent as the query parameter `{name}`."}
        if name in query_values:
            entry["example"] = _typed_example(query_values[name][0], entry["schema"])
        result.append(entry)
    # What the path's own `?` suffix names (`/request?view=collection`, `/search?kind={kind}`) is in
    # the path key already: a query parameter only when the definition documents one.
    suffix = endpoint.template.suffix
    in_path_key = {unquote(item.partition("=")[0]) for item in suffix[1:].split("&")} if suffix.startswith("?") else set()
    # A documented parameter the example sends as its members (`search[name]=…`): OpenAPI's deepObject.
    members: dict[str, list[tuple[str, str]]] = {}
    for name, values in query_values.items():
        base = name.split("[", 1)[0]
        if name != base and ("query", base) in documented and base not in query_values and ("query", name) not in documented:
            members.setdefault(base, []).extend((name, value) for value in values)
    deep = {pair[0] for pairs in members.values() for pair in pairs}
    query_names = [name for name in query_values if (name not in in_path_key or ("query", name) in documented) and name not in deep]
    query_names += [p.name for (kind, _), p in documented.items() if kind == "query" and p.name not in query_values]
    query_names = [name for name in query_names if name not in suffix_placeholders]  # the path parameters above
    for name in query_names:
        parameter = documented.get(("query", name))
        values = query_values.get(name, [])
        schema = _parameter_schema(endpoint, "query", name, parameter)
        entry = {"name": name, "in": "query", "required": bool(parameter and parameter.is_required), "schema": schema}
        is_list = schema.get("type") == "array"
        if values and (len(values) > 1 or is_list):  # sent as the parameter repeated
            items = schema.get("items") if is_list else schema
            entry["schema"] = schema if is_list else {"type": "array", "items": schema}
            entry["explode"] = True
            entry["example"] = [_typed_example(value, items if isinstance(items, dict) else {}) for value in values]
        elif values:
            entry["example"] = _typed_example(values[0], schema)
        elif name in members:
            entry.update({"style": "deepObject", "explode": True, "example": form_value(members[name]).get(name)})
        if parameter and parameter.description:
            entry["description"] = parameter.description
        result.append(entry)
    skipped = {"authorization", "content-type", "accept"}  # header parameters OpenAPI ignores
    # The auth header is the security scheme's, unless the definition lists it among its headers
    # (as specs with an API key header often do: import-openapi keeps it there).
    if not any(kind == "header" and p.name.lower() == auth_header.lower() for (kind, _), p in documented.items()):
        skipped.add(auth_header.lower())
    header_values = {name.lower(): (name, value) for name, value in endpoint.example.headers}
    header_names = [name for name, _ in endpoint.example.headers]
    header_names += [p.name for (kind, _), p in documented.items() if kind == "header" and p.name.lower() not in header_values]
    for name in header_names:
        if name.lower() in skipped:
            continue
        parameter = documented.get(("header", name))
        entry = {"name": name, "in": "header", "required": bool(parameter and parameter.is_required),
                 "schema": _parameter_schema(endpoint, "header", name, parameter)}
        if name.lower() in header_values:
            entry["example"] = _typed_example(header_values[name.lower()][1], entry["schema"])
        if parameter and parameter.description:
            entry["description"] = parameter.description
        result.append(entry)
    for (kind, name), parameter in documented.items():
        if kind == "cookie":
            entry = {"name": name, "in": "cookie", "required": parameter.is_required,
                     "schema": _parameter_schema(endpoint, "cookie", name, parameter)}
            if parameter.description:
                entry["description"] = parameter.description
            result.append(entry)
    return result


def _request_body(endpoint: Endpoint) -> dict[str, Any] | None:
    group = endpoint.group_of_kind("request")
    if not endpoint.example.has_body and group is None and endpoint.request_schema is None:
        return None
    body = endpoint.example.body if endpoint.example.has_body else None
    if endpoint.request_schema is not None:
        schema = portable_patterns(endpoint.request_schema)
    elif group is not None:
        schema = fields_schema(group.parameters, [body]) if endpoint.example.has_body else object_schema(group.parameters)
    else:
        schema = schema_of_value(body)
    media_type = endpoint.request_content_type
    body_file = endpoint.request_body_file and is_raw(media_type)
    if body_file and endpoint.request_schema is None:
        schema = {"type": "string", "contentMediaType": media_type}  # bytes, as OpenAPI 3.1 writes a file
    media: dict[str, Any] = {"schema": schema}
    if endpoint.example.has_body and not body_file:  # a file's example is its name, not its bytes
        media["example"] = body
    required = endpoint.example.has_body if endpoint.request_required is None else endpoint.request_required
    if media_type == MULTIPART_MEDIA_TYPE:
        # Its files as OpenAPI 3.1 writes them; its other members travel as a form's do.
        media["schema"] = schema = exported_schema(schema, endpoint.request_files)
    if media_type in (FORM_MEDIA_TYPE, MULTIPART_MEDIA_TYPE) and isinstance(schema, dict):
        encoding = _form_encoding(endpoint, schema, body)
        for name in endpoint.request_files if media_type == MULTIPART_MEDIA_TYPE else []:
            encoding.pop(name, None)
        if encoding:
            media["encoding"] = encoding
    # A body documented by a range (`*/*`) is exported by it: the example's own media type is one it holds.
    content: dict[str, Any] = {endpoint.request_media_range or endpoint.request_media_type_written: media}
    for other, other_schema in endpoint.request_other_media_types.items():
        if other != media_type:
            content.setdefault(endpoint.request_other_media_types_written.get(other, other), {"schema": portable_patterns(other_schema)})
    for written, variant_schema in endpoint.request_media_type_variants.items():
        content.setdefault(written, {"schema": portable_patterns(variant_schema)})
    return {"required": required, "content": content}


_MAX_SCHEMA_STEPS = 10_000  # schemas looked at to tell whether one form member may be an object


def _form_encoding(endpoint: Endpoint, schema: Schema, body: Any) -> dict[str, Any]:
    """How the form's members travel (`model/forms.py`): the definition's `request.encoding`,
    and OpenAPI's `deepObject` for every other member that may be an object or a list holding
    objects (sent as `name[key]` fields; OpenAPI's default would drop the member's name)."""
    encoding: dict[str, Any] = {name: dict(how) for name, how in endpoint.request_encoding.items()}
    declared = schema.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    sample: dict[str, Any] = body if isinstance(body, dict) else {}
    for name in [*properties, *(key for key in sample if key not in properties)]:
        value = sample.get(name)
        holds_containers = isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value)
        nested = isinstance(value, dict) or holds_containers or _may_hold_objects(properties.get(name), schema)
        # A member that may also be a list of plain values keeps the default: it repeats its name,
        # where deepObject would index it (and an import of this document would then do so).
        plain_list = (isinstance(value, list) and not holds_containers) or _may_be_plain_list(properties.get(name), schema)
        if nested and not plain_list and name not in encoding:
            encoding[name] = {"style": "deepObject", "explode": True}
    return encoding


def _may_be_plain_list(member: Any, root: Schema, seen: frozenset[str] = frozenset(), budget: list[int] | None = None) -> bool:
    """Whether a member's schema allows a list whose items are not objects (as `_may_hold_objects`
    follows `$ref`s and alternatives)."""
    budget = [_MAX_SCHEMA_STEPS] if budget is None else budget
    kinds = _kinds_within(member, budget)
    if kinds is None:
        return False
    if "array" in kinds or "items" in member:
        return not _may_hold_objects(member.get("items"), root, seen, budget)
    return _through(member, root, seen, ("anyOf", "oneOf"),
                    lambda schema, followed: _may_be_plain_list(schema, root, followed, budget))


def _may_hold_objects(member: Any, root: Schema, seen: frozenset[str] = frozenset(), budget: list[int] | None = None) -> bool:
    """Whether a member's schema (its local `$ref`s, alternatives and parts followed, each `$ref`
    once along a path, within a step budget: definitions are anyone's) allows an object, or a
    list of objects."""
    budget = [_MAX_SCHEMA_STEPS] if budget is None else budget
    kinds = _kinds_within(member, budget)
    if kinds is None:
        return False
    if "object" in kinds or "properties" in member or "additionalProperties" in member:
        return True
    if "array" in kinds or "items" in member:
        return _may_hold_objects(member.get("items"), root, seen, budget)
    return _through(member, root, seen, ("anyOf", "oneOf", "allOf"),
                    lambda schema, followed: _may_hold_objects(schema, root, followed, budget))


def _kinds_within(member: Any, budget: list[int]) -> list[str] | None:
    """A schema's `type` as a list; None when it is no schema or the step budget is spent."""
    budget[0] -= 1
    if not isinstance(member, dict) or budget[0] < 0:
        return None
    kinds = member.get("type")
    return [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []


def _through(member: dict[str, Any], root: Schema, seen: frozenset[str], alternatives: tuple[str, ...],
             look: Callable[[Any, frozenset[str]], bool]) -> bool:
    """`look` at what `member`'s local `$ref` names (once along a path: `seen`) and at its
    `alternatives`; whether it holds for any."""
    reference = member.get("$ref")
    if isinstance(reference, str) and reference not in seen and look(pointed_at(root, reference), seen | {reference}):
        return True
    return any(look(part, seen) for key in alternatives for part in member.get(key) or [])


_HEADING = re.compile(r" {0,3}#{1,6}(?:\s|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# The note import-openapi puts first on a deprecated operation's page; left out of the
# description (OpenAPI says so in `deprecated`).
DEPRECATED_NOTE = '!!! warning "Deprecated"\n    This operation is deprecated.\n'


def _heading_at(markdown: str) -> int | None:
    """Where the first heading outside fenced code starts, if any."""
    fence = ""
    offset = 0
    for line in markdown.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) and not line[opened.end():].strip():
                fence = ""
        elif opened:
            fence = opened.group(1)
        elif _HEADING.match(line):
            return offset
        offset += len(line)
    return None


# Line starts import-openapi writes as entities (a `: ` line, a `{:` line), which the definition
# format would read as its own: given back as the spec's text.
_ESCAPED_LINE_START = re.compile(r"^&#58;|^([ \t]*)&#123;:", re.M)


def _spec_text(markdown: str) -> str:
    return _ESCAPED_LINE_START.sub(lambda start: ":" if start.group(1) is None else f"{start.group(1)}{{:", markdown)


def _lead_prose(endpoint: Endpoint) -> str:
    """What the page says of the operation before its first heading or parameter list: the whole
    of it (the front matter's `description` is one line, cut short when longer)."""
    lead = []
    for block in endpoint.blocks:
        if block.group is not None:
            break
        heading = _heading_at(block.markdown)
        lead.append(block.markdown[:heading] if heading is not None else block.markdown)
        if heading is not None:
            break
    return "\n\n".join(part.strip() for part in (_spec_text(text.replace(DEPRECATED_NOTE, "")) for text in lead) if part.strip())


def _description(key: str, examples: list[ExampleResponse]) -> str:
    """What the writer said the answer means, else its block title, else the reason phrase."""
    given = next((r.description for r in examples if r.description), None)
    titled = next((r.title for r in examples if r.title and r.title not in ("Response", f"Response {key}")), None)
    return given or titled or (_REASONS.get(int(key), "Response") if key.isdigit() else "Response")


def _response(endpoint: Endpoint, key: str, examples: list[ExampleResponse]) -> dict[str, Any]:
    """The response documented under `key`: a status, `default` or a range such as `4XX`."""
    answer: dict[str, Any] = {"description": _description(key, examples)}
    headers = {name: {"schema": {"type": "string"}, "example": value} for r in examples for name, value in r.headers}
    if headers:
        answer["headers"] = headers
    with_body = [r for r in examples if r.has_body]
    given = next((portable_patterns(r.schema) for r in examples if r.schema is not None), None)
    if not with_body:
        if given is not None:
            answer["content"] = {"application/json": {"schema": given}}
        return answer
    # The response fields describe the success answer (the expected status's, or its range's).
    success = endpoint.success_response
    group = endpoint.group_of_kind("response") if success is not None and success.key == key else None
    # A string example is a text answer (the sandbox sends it as text/plain), any other JSON.
    content: dict[str, Any] = {}
    for media_type, examples in (("text/plain", [r for r in with_body if isinstance(r.body, str)]),
                                 ("application/json", [r for r in with_body if not isinstance(r.body, str)])):
        if not examples:
            continue
        bodies = [r.body for r in examples]
        if given is not None:
            schema = given
        elif group is not None and media_type == "application/json":
            schema = fields_schema(group.parameters, bodies)
        else:
            schema = merge_schemas([schema_of_value(body) for body in bodies])
        media: dict[str, Any] = {"schema": schema}
        if len(bodies) == 1:
            media["example"] = bodies[0]
        else:
            media["examples"] = {f"example{index + 1}": {"summary": r.title, "value": r.body} for index, r in enumerate(examples)}
        content[media_type] = media
    answer["content"] = content
    return answer


def _responses(endpoint: Endpoint) -> dict[str, Any]:
    by_key: dict[str, list[ExampleResponse]] = {}
    for response in endpoint.responses:
        by_key.setdefault(response.key, []).append(response)
    # Unless the definition lists its responses, the sandbox's answer too: under its own status
    # unless `default` or its range documents it and it is 200 (what the examples expect when
    # nothing says otherwise).
    success = endpoint.success_response
    if not endpoint.responses_listed and (success is None or (success.status is None and endpoint.expected_status != 200)):
        by_key.setdefault(str(endpoint.expected_status), [])
    return {key: _response(endpoint, key, by_key[key]) for key in sorted(by_key, key=ExampleResponse.key_order)}


def _code_samples(endpoint: Endpoint, settings: Settings, languages: list[Language]) -> list[dict[str, str]]:
    request = build_request(endpoint, settings.auth, base_url_of(endpoint, settings.default_server))
    return [{"lang": _SAMPLE_LANGS.get(language.name, language.label), "label": language.label,
             "source": render_snippet(settings.snippets_dir, language, request)} for language in languages]


def _security_scheme(settings: Settings) -> dict[str, Any] | None:
    auth = settings.auth
    if not (auth.header or auth.query):
        return None
    scheme = auth.scheme.strip()
    # What OpenAPI has no words for (a `Token` scheme, the documented demo tokens), kept as an
    # extension so that importing this document gives the same site back.
    extension = {"x-apidocs-auth": {"scheme": scheme, "token": auth.token, "demo_tokens": list(auth.demo_tokens)}}
    if auth.query:
        return {"type": "apiKey", "in": "query", "name": auth.query,
                "description": f"`?{auth.query}=<token>`; the examples use `{auth.token}`.", **extension}
    if auth.header.lower() == "authorization" and scheme.lower() in ("bearer", "basic"):
        return {"type": "http", "scheme": scheme.lower(),
                "description": f"`Authorization: {scheme} <token>`; the examples use `{auth.token}`.", **extension}
    cookie = api_key_cookie(auth)
    if cookie is not None:
        return {"type": "apiKey", "in": "cookie", "name": cookie,
                "description": f"The cookie `{cookie}`; the examples send `Cookie: {auth.token}`.", **extension}
    shown = f"{scheme} <token>" if scheme else "<token>"
    return {"type": "apiKey", "in": "header", "name": auth.header,
            "description": f"`{auth.header}: {shown}`; the examples use `{auth.header_value()}`.", **extension}


def api_key_cookie(auth: Auth) -> str | None:
    """The cookie's name when the site's auth is an API key in a cookie (`Cookie: key=<token>`,
    how `import-openapi` carries an `apiKey` scheme `in: cookie`)."""
    name, equals, _ = auth.token.partition("=")
    if auth.header.lower() == "cookie" and not auth.scheme.strip() and equals and HEADER_NAME.fullmatch(name):
        return name
    return None


def build_openapi(documents: Iterable[Document], settings: Settings, languages: list[Language], *,
                  title: str, description: str = "", version: str = "1.0.0",
                  tags: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `documents` (non-endpoints are skipped).

    `tags` maps a document's `src_uri` to its section title; the tags are listed in the order of
    first use, which is the nav order when `documents` come in nav order.
    """
    scheme = _security_scheme(settings)
    servers = [{"url": server.relative or server.url, **({"description": server.description} if server.description else {})}
               for server in settings.servers] or [{"url": settings.default_server, "description": "Local sandbox"}]
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION,
                                "info": {"title": title, "version": version, **({"description": description} if description else {})},
                                "servers": servers, "paths": {}}
    tag_names: list[str] = []
    taken: set[str] = set()
    documents = list(documents)
    given_ids = frozenset(item.operation_id for item in documents if isinstance(item, Endpoint) and item.operation_id)
    for item in documents:
        if not isinstance(item, Endpoint):
            continue
        operation: dict[str, Any] = {"operationId": operation_id(item, taken, given_ids), "summary": item.name}
        if item.servers:
            operation["servers"] = [{"url": url, **({"description": described} if described else {})} for url, described in item.servers]
        description = _lead_prose(item) or item.description
        if description:
            operation["description"] = description
        tag = (tags or {}).get(item.src_uri)
        if tag:
            operation["tags"] = [tag]
            if tag not in tag_names:
                tag_names.append(tag)
        parameters = _parameters(item, settings.auth.header)
        if parameters:
            operation["parameters"] = parameters
        body = _request_body(item)
        if body is not None:
            operation["requestBody"] = body
        responses = _responses(item)
        if responses:  # OpenAPI 3.1 lets an operation document none
            operation["responses"] = responses
        if scheme is not None:
            operation["security"] = [{SECURITY_SCHEME: []}]
            if item.example.token:
                operation["x-apidocs-token"] = item.example.token  # this example's demo token (another role's)
        operation["x-codeSamples"] = _code_samples(item, settings, languages)
        document["paths"].setdefault(item.path, {})[item.method.lower()] = operation
    if tag_names:
        document["tags"] = [{"name": name} for name in tag_names]
    if scheme is not None:
        document["components"] = {"securitySchemes": {SECURITY_SCHEME: scheme}}
    return share_schemas(document)
