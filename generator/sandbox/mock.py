"""The generic mock: any documented endpoint answers its documented example.

For an endpoint without a stateful handler, after routing (404/405) and auth (401): path and
query values must fit their documented types and required query parameters must be there
(400); the body must be JSON when there is one, or a form where the endpoint documents one
(415/400); it must satisfy the endpoint's
request schema when one is given (400, or 422 when that is the status the endpoint documents
for invalid input), else the documented `Required` request fields must be there and fit their
types (400 naming the field). Then the documented success response comes back with the
documented status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qsl

from apidocs.model.endpoint import NO_BODY, Endpoint
from apidocs.model.forms import FormError, indexed_lists, is_form, list_styles
from apidocs.model.headers import ADDED_BY_CLIENTS, media_type_essence, media_type_taken
from apidocs.model.multipart import is_multipart
from apidocs.model.raw import is_raw, is_text_media_type
from apidocs.model.types import schema_of_type_word
from apidocs.model.validation import Validator, schema_validator
from apidocs.model.values import ValueCheck, example_values, field_values
from apidocs.sandbox.body import matches_type
from apidocs.sandbox.call import Call
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.forms import typed_form
from apidocs.sandbox.responses import Answer, documented_content, header_text

REASON_HEADER = "X-Apidocs-Reason"  # why the mock refused, when it answers with a documented body

NO_CONTENT = frozenset({204, 205, 304})
_MAX_REASONS = 3


def _where(error: Any) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"body{path}"


class ParameterChecks(NamedTuple):
    path: list[ValueCheck]
    query: list[ValueCheck]
    header: list[ValueCheck]


def check_parameters(endpoint: Endpoint, params: dict[str, str], query_string: bytes, checks: ParameterChecks,
                     headers: dict[str, str]) -> None:
    """`headers` by lower-case name."""
    path_checks, query_checks, header_checks = checks
    for check in path_checks:
        problem = check.problem(params.get(check.name, ""))
        if problem:
            raise ApiError(400, problem)
    for check in header_checks:
        value = headers.get(check.name.lower())
        if value is None:
            if check.required:
                raise ApiError(400, f"header `{check.name}` is required")
            continue
        problem = check.problem(value)
        if problem:
            raise ApiError(400, problem)
    if not query_checks:
        return
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        query.setdefault(name, []).append(value)
    for check in query_checks:
        values = query.get(check.name)
        if not values:
            # A deepObject parameter comes as its members (`search[name]=…`).
            if check.required and not any(name.startswith(f"{check.name}[") for name in query):
                raise ApiError(400, f"query parameter `{check.name}` is required")
            continue
        for value in values:
            problem = check.problem(value)
            if problem:
                raise ApiError(400, problem)


def check_request_body(endpoint: Endpoint, body: object, validator: Validator | None = None, form: bool = False) -> None:
    """`form`: the body was sent as a form, its leaves are text (typed by the schema, when there
    is one, before this check)."""
    if validator is not None:
        _check_against_schema(endpoint, body, validator, form)
        return
    group = endpoint.group_of_kind("request")
    if group is None or not group.parameters:
        return
    required = [p.name for p in group.parameters if p.is_required]
    if body is NO_BODY:
        if required and endpoint.request_required is not False:
            top = [p.name for p in group.parameters if p.is_required and len(p.path) == 1] or required
            sent_as = "form fields" if form else "a JSON object with"
            raise ApiError(400, f"the body is missing: send {sent_as} {', '.join(top)}")
        return
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    missing = [p.name for p in group.parameters if p.is_required and field_values(body, p)[1]]
    if missing:
        fields = "field" if len(missing) == 1 else "fields"
        raise ApiError(400, f"missing required body {fields}: {', '.join(missing)}")
    for parameter in group.parameters:
        values = field_values(body, parameter)[0]
        if form:  # text, as a form sends every value: read as the field's type where it can be
            values = [_form_typed(value, parameter.type) for value in values]
        if not all(matches_type(value, parameter.type) for value in values):
            raise ApiError(400, f"`{parameter.name}` must be a {parameter.type}")


def _form_typed(value: object, kind: str | None) -> object:
    schema = schema_of_type_word(kind)
    return typed_form(value, schema) if schema else value


def _example_passes(endpoint: Endpoint) -> bool:
    """Whether the documented request body passes the field-list check."""
    try:
        check_request_body(endpoint, endpoint.example.body if endpoint.example.has_body else NO_BODY)
    except ApiError:
        return False
    return True


def _invalid_status(endpoint: Endpoint) -> int:
    """422 when the endpoint documents it for invalid input and not 400; else 400."""
    documented = {response.status for response in endpoint.responses}
    return 422 if 422 in documented and 400 not in documented else 400


def _check_against_schema(endpoint: Endpoint, body: object, validator: Validator, form: bool = False) -> None:
    if body is NO_BODY:
        if endpoint.example.has_body and endpoint.request_required is not False:
            sent_as = "the form fields" if form else "a JSON body"
            raise ApiError(_invalid_status(endpoint), f"the body is missing: send {sent_as} as documented")
        return
    errors = sorted(validator.iter_errors(cast(Any, body)), key=lambda error: list(error.absolute_path))[:_MAX_REASONS]
    if errors:
        reasons = "; ".join(f"{_where(error)}: {error.message}" for error in errors)
        raise ApiError(_invalid_status(endpoint), f"the body does not match the documented schema: {reasons}")


def _parameter_checks(endpoint: Endpoint, auth_header: str = "") -> ParameterChecks:
    """The checks of the endpoint's documented parameters; the auth header is the authenticator's
    to check (a schema of its own would refuse every demo token)."""
    checks = ParameterChecks([], [], [])
    for kind, target in (("path", checks.path), ("query", checks.query), ("header", checks.header)):
        group = endpoint.group_of_kind(kind)
        for parameter in group.parameters if group else []:
            if kind == "header" and auth_header and parameter.name.lower() == auth_header.lower():
                continue
            schema = endpoint.parameter_schema(kind, parameter.name)
            if not (parameter.type or parameter.is_required or schema is not None):
                continue
            check = ValueCheck(parameter, kind, schema)
            # As for the body: a documented example value the parameter's schema or type does
            # not allow wins (lint W115 says so). So does the example, for a header it does not send.
            shown = example_values(endpoint, kind, parameter.name)
            if kind == "header" and not shown and parameter.name.lower() in ADDED_BY_CLIENTS:
                continue  # its value is the reader's client's, not the reader's (Conjur's `Accept-Encoding: base64`)
            if kind == "header":
                check.required = check.required and bool(shown)
            if any(check.problem(value) is not None for value in shown):
                check.validator = None
            target.append(check)
    return checks


def suffix_pairs(endpoint: Endpoint) -> list[tuple[str, str | None]]:
    """The pairs of the path's suffix (`/#Action=Describe`) that the example sends, in its query
    or its headers: what a request for this operation carries. (A `#overload=x` naming nothing
    sent only names the operation.)"""
    sent = {name for name, _ in endpoint.example.query} | {name.lower() for name, _ in endpoint.example.headers}
    return [(name, value) for name, value in endpoint.template.fixed_query if name in sent or name.lower() in sent]


def parameters_fit(endpoint: Endpoint, auth_header: str = "") -> Callable[[dict[str, str], bytes, dict[str, str]], bool]:
    """Whether a request's path, query and header values fit `endpoint`'s parameters (and its
    Content-Type a media type it takes): how the sandbox picks among definitions whose paths
    differ only in placeholder names or suffix."""
    checks = _parameter_checks(endpoint, auth_header)
    fixed = suffix_pairs(endpoint)
    # The media types its body may come in: ContentModerator's `#overload=url` takes JSON, its
    # `#overload=stream` an image, on one path.
    takes_body = endpoint.example.has_body or endpoint.request_schema is not None or bool(endpoint.request_other_media_types)
    media_types = {endpoint.request_content_type, *endpoint.request_other_media_types, *taken_ranges(endpoint)}

    def fits(params: dict[str, str], query_string: bytes, headers: dict[str, str]) -> bool:
        sent_as = headers.get("content-type")
        if takes_body and sent_as and media_type_taken(sent_as, media_types) is None:
            return False
        if fixed:
            query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
            for name, value in fixed:
                in_query = any(name == key and value in (None, given) for key, given in query)
                in_header = name.lower() in headers and value in (None, headers[name.lower()])
                if not (in_query or in_header):
                    return False
        try:
            check_parameters(endpoint, params, query_string, checks, headers)
        except ApiError:
            return False
        return True

    return fits


_ERROR_STATUSES = [status.value for status in HTTPStatus if status.value >= 400]


def documented_errors(endpoint: Endpoint) -> dict[int, tuple[bytes, bytes]]:
    """The documented example body of each error status (4xx/5xx) that has one: its own, else
    its range's (`4XX`), else `default`'s (unless `default` is the success answer)."""
    success = endpoint.success_response
    statuses = {r.status for r in endpoint.responses if r.status and r.status >= 400}
    if any(r.status is None for r in endpoint.responses):  # a range or `default` stands for the others
        statuses.update(_ERROR_STATUSES)
    bodies: dict[int, tuple[bytes, bytes]] = {}
    for status in sorted(statuses):
        response = endpoint.response_for(status)
        if response is not None and response.has_body and response is not success:
            bodies[status] = documented_content(response.body)
    return bodies


def documented_error(error: ApiError, documented: tuple[bytes, bytes]) -> Answer:
    """The documented answer (content, media type) for `error`'s status; the sandbox's reason
    travels in a header."""
    body, media_type = documented
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1", "replace")) for name, value in error.headers.items()]
    return Answer(error.status, body, [*headers, (REASON_HEADER.lower().encode(), header_text(error.detail))], media_type)


def _check_files(endpoint: Endpoint, body: Any, sent_as_files: set[str]) -> None:
    """A multipart body's file fields came as files (parts with a filename), its documented text
    fields as text; what else came is the schema's to judge."""
    if not isinstance(body, dict):
        return
    documented = endpoint.example.body if isinstance(endpoint.example.body, dict) else {}
    for name in body:
        if name in endpoint.request_files and name not in sent_as_files:
            raise ApiError(400, f"`{name}` must be sent as a file (a part with a filename), not as text")
        if name not in endpoint.request_files and name in sent_as_files and name in documented:
            raise ApiError(400, f"`{name}` must be sent as text, not as a file")


def describes_text(schema: Any) -> bool:
    """Whether a raw body's schema is about its text (a string's length, pattern, enum), not
    about the document the text holds (an XML body's object schema)."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    return "string" in kinds or (not kinds and not any(key in schema for key in ("properties", "items", "allOf", "anyOf",
                                                                                   "oneOf", "$ref")))


def _check_raw(endpoint: Endpoint, body: object, validator: Validator | None, expected: bool) -> None:
    """A body sent as it is: there when the example sends one (and it is not optional), and
    text that its schema takes (a file's bytes are not checked, nor a document, such as XML,
    whose schema describes what it holds rather than its text)."""
    if body is NO_BODY:
        if expected:
            what = "the file's bytes" if endpoint.request_body_file else f"{endpoint.request_content_type} text"
            raise ApiError(400, f"the body is missing: send {what}")
    elif validator is not None and isinstance(body, str) and describes_text(endpoint.request_schema):
        _check_against_schema(endpoint, body, validator)


async def _check_other_body(endpoint: Endpoint, call: Call, media: str, validator: Validator | None,
                            schema: dict[str, Any]) -> None:
    """A body sent in another media type the operation takes (`request.other_media_types`): read
    as that type says, and checked against its schema when it has one."""
    form = False
    if is_multipart(media):
        body: Any = (await call.multipart())[0]
        form = True
    elif is_form(media):
        body, form = await call.form(), True
    elif is_raw(media):
        body = await call.raw(media, text=is_text_media_type(media))
        if body is not NO_BODY and not (isinstance(body, str) and describes_text(schema)):
            return  # bytes, or a document whose schema describes what it holds
    else:
        body = await call.json()
    if body is NO_BODY and endpoint.example.has_body and endpoint.request_required is not False and call.method not in ("GET", "HEAD"):
        raise ApiError(400, f"the body is missing: send it as {media}")
    if form and validator is not None and isinstance(body, dict):
        body = typed_form(body, schema)
    if validator is not None and body is not NO_BODY:
        _check_against_schema(endpoint, body, validator, form)


def taken_ranges(endpoint: Endpoint) -> list[str]:
    """The range the body is documented by, if any (`request.media_range`)."""
    return [endpoint.request_media_range] if endpoint.request_media_range else []


def mock_handler(endpoint: Endpoint, auth_header: str = "") -> Callable[[Call], Awaitable[Answer]]:
    """A handler answering `endpoint`'s documented success example (`auth_header`: the site's, not checked here)."""
    status = endpoint.expected_status
    documented = endpoint.success_response
    if status in NO_CONTENT or documented is None or not documented.has_body:
        content, media_type = b"", None
    else:
        content, media_type = documented_content(documented.body)
    # Built once per route: compiling a schema costs more than answering.
    validator = schema_validator(endpoint.request_schema) if endpoint.request_schema is not None else None
    checks = _parameter_checks(endpoint, auth_header)
    # The documented example is what every snippet sends. Without a schema the body is checked
    # against the field list; where that list contradicts the example (a type or a required
    # field the example does not have, as imported specs often do), the example wins.
    body_checked = validator is not None or _example_passes(endpoint)
    # An operation that documents 422 and not 400 for what it refuses (FastAPI's way) gets 422
    # for every refused value, a body that is not JSON included.
    invalid = _invalid_status(endpoint)
    multipart = is_multipart(endpoint.request_content_type)
    raw = is_raw(endpoint.request_content_type)
    form = multipart or is_form(endpoint.request_content_type)  # else JSON, as the snippets send
    lists = list_styles(endpoint.request_encoding)
    # Whether a request sending no bytes means a form without fields: when the example sends
    # one (and the body is not optional); otherwise no bytes are no body, as for JSON.
    fields_expected = endpoint.example.has_body and endpoint.request_required is not False

    # The other media types the operation takes a body in, each with its schema's validator.
    others = {media: (schema_validator(schema) if schema else None, schema)
              for media, schema in endpoint.request_other_media_types.items()}
    for media_range in taken_ranges(endpoint):  # the range the body is documented by: the body's own schema
        others.setdefault(media_range, (validator, endpoint.request_schema or {}))

    async def handle(call: Call) -> Answer:
        try:
            if checks.path or checks.query or checks.header:
                check_parameters(endpoint, call.params, call.query_string, checks, call.headers)
            sent_as = media_type_essence(call.headers.get("content-type", ""))
            other = media_type_taken(sent_as, others) if others and sent_as and sent_as != endpoint.request_content_type else None
            if other is not None:  # read as what it was sent as, checked by the schema of the type or range it comes under
                await _check_other_body(endpoint, call, sent_as, *others[other])
                return Answer(status, content, [], media_type)
            if form:
                if multipart:
                    body, sent_as_files = await call.multipart()
                    _check_files(endpoint, body, sent_as_files)
                else:
                    body = await call.form()
                if body is NO_BODY and call.method not in ("GET", "HEAD") and fields_expected:
                    body = {}  # a form without fields sends no bytes
                try:
                    if validator is not None and body is not NO_BODY:
                        body = typed_form(body, endpoint.request_schema, lists)
                    elif isinstance(body, dict):
                        body = typed_form(indexed_lists(body), {}, lists)  # no schema to say which `name[0]` are lists
                except FormError as error:
                    raise ApiError(400, f"the body is not a usable form: {error}") from None
            elif raw:
                body = await call.raw(endpoint.request_content_type, text=not endpoint.request_body_file)
                _check_raw(endpoint, body, validator, fields_expected and call.method not in ("GET", "HEAD"))
            else:
                body = await call.json()
            # A body documented on GET is checked when sent; a browser (Try it) cannot send one.
            if body_checked and not raw and not (body is NO_BODY and call.method in ("GET", "HEAD")):
                check_request_body(endpoint, body, validator, form)
        except ApiError as error:
            if error.status == 400 and invalid != 400:
                raise ApiError(invalid, error.detail, error.headers) from None
            raise
        return Answer(status, content, [], media_type)

    return handle
