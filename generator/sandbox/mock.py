"""The generic mock: any documented endpoint answers its documented example.

For an endpoint without a stateful handler, after routing (404/405) and auth (401): the body
must be JSON when there is one (415/400), documented `Required` request fields must be there
and documented types must fit (400 naming the field), then the documented success response
comes back with the documented status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from apidocs.model.endpoint import NO_BODY, Endpoint
from apidocs.sandbox.body import matches_type
from apidocs.sandbox.call import Call
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.responses import JSON, Answer, dump_json

NO_CONTENT = frozenset({204, 205, 304})


def check_request_body(endpoint: Endpoint, body: object) -> None:
    group = endpoint.group_of_kind("request")
    if group is None or not group.parameters:
        return
    required = [p.name for p in group.parameters if p.is_required]
    if body is NO_BODY:
        if required:
            raise ApiError(400, f"the body is missing: send a JSON object with {', '.join(required)}")
        return
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    missing = [name for name in required if name not in body]
    if missing:
        fields = "field" if len(missing) == 1 else "fields"
        raise ApiError(400, f"missing required body {fields}: {', '.join(missing)}")
    for parameter in group.parameters:
        if parameter.name in body and not matches_type(body[parameter.name], parameter.type):
            raise ApiError(400, f"`{parameter.name}` must be a {parameter.type}")


def mock_handler(endpoint: Endpoint) -> Callable[[Call], Awaitable[Answer]]:
    """A handler answering `endpoint`'s documented success example."""
    status = endpoint.expected_status
    documented = endpoint.success_response
    if status in NO_CONTENT or documented is None or not documented.has_body:
        content, media_type = b"", None
    else:
        content, media_type = dump_json(documented.body), JSON

    async def handle(call: Call) -> Answer:
        check_request_body(endpoint, await call.json())
        return Answer(status, content, [], media_type)

    return handle
