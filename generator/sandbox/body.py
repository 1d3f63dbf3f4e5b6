"""Request bodies: read within limits (size and time), then parse as JSON (or as a form, where
the endpoint documents one) or refuse clearly.

Nothing here can hang or raise past the handler: an oversized body is 413 (by Content-Length
before reading, or by counting a streamed or chunked body), a body that stops arriving is 408
after `idle_timeout` seconds of silence or when it is not all in after `BODY_DEADLINE` seconds,
a body that is not JSON (or JSON holding a lone surrogate, which is no text, or a NUL, which
PostgreSQL cannot store as text) is 415 or 400.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.types import Receive, Scope

from apidocs.model.endpoint import NO_BODY, json_type
from apidocs.model.forms import FORM_MEDIA_TYPE, FormError, form_value, is_form, read_form
from apidocs.model.headers import is_json_media_type, media_type_essence
from apidocs.model.multipart import MULTIPART_MEDIA_TYPE, MultipartError, is_multipart, read_multipart
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.limits import BODY_DEADLINE, BODY_IDLE_TIMEOUT, MAX_BODY

# A `\ud800`-`\udfff` escape or its raw UTF-8 form (json.loads passes both through), or a
# UTF-16/32 body: only such a body needs the full check for lone surrogates.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
JSON_TYPES: dict[str, type | tuple[type, ...]] = {"integer": int, "number": (int, float), "string": str, "boolean": bool, "array": list,
              "object": dict, "int": int, "float": (int, float), "str": str, "bool": bool, "list": list, "dict": dict}


class ClientGone(Exception):
    """The client disconnected while sending its body: there is nobody to answer."""


# The rest of a refused body may still be on its way: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}
# A scope extension the sandbox's own server sets once the request's whole body has come
# (`protocol.py`): the first `receive()` then cannot wait, and needs no timer.
BODY_ARRIVED = "apidocs.body_arrived"


def body_arrived(scope: Scope) -> bool:
    """Whether the server says the whole body is in (any other server: never)."""
    extensions = scope.get("extensions")
    return bool(extensions and extensions.get(BODY_ARRIVED))


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is over {limit // 1024} KiB ({limit} bytes); send less", _CLOSE)


async def read_body(headers: dict[str, str], receive: Receive, limit: int = MAX_BODY,
                    idle_timeout: float = BODY_IDLE_TIMEOUT, deadline: float = BODY_DEADLINE,
                    arrived: bool = False) -> bytes:
    """The whole body; `headers` by lower-case name. `arrived`: the server holds all of it
    (`body_arrived`), so the first `receive()` is not timed (a timer cost 5 µs a request)."""
    length = headers.get("content-length")
    if length is None and "transfer-encoding" not in headers:
        return b""
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, f"Content-Length {length!r} is not a number of bytes")
        if int(length) > limit:
            raise _too_large(limit)
        if length == "0":
            return b""
    chunks: list[bytes] = []
    size = 0
    give_up = time.monotonic() + deadline
    while True:
        if arrived:
            arrived = False  # only the first: were there more, they would be timed
            message = await receive()
        else:
            message = await _receive_within(receive, give_up, idle_timeout, deadline, size)
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _receive_within(receive: Receive, give_up: float, idle_timeout: float, deadline: float, size: int) -> Any:
    """The next message, or 408 after `idle_timeout` of silence or at `give_up` (monotonic)."""
    left = give_up - time.monotonic()
    try:
        async with asyncio.timeout(min(idle_timeout, max(left, 0.001))):  # a timer, not a task like wait_for
            return await receive()
    except TimeoutError:
        if left <= idle_timeout:
            raise ApiError(408, f"the request body did not all arrive within {deadline:g} s ({size} bytes came)", _CLOSE) from None
        raise ApiError(408, f"the request body stopped arriving ({size} bytes came, then nothing for {idle_timeout:g} s)", _CLOSE) from None


def _unsupported(content_type: str, wanted: str, how: str) -> ApiError:
    media = media_type_essence(content_type)
    sent = f"the body is {media}" if media else "the Content-Type is empty"
    return ApiError(415, f"{sent}, not {wanted}: {how}")


def parse_json(raw: bytes, content_type: str | None) -> Any:
    """The body as JSON, or NO_BODY when there is none (whatever the Content-Type)."""
    if not raw.strip():
        return NO_BODY
    if content_type is not None and not is_json_media_type(content_type):
        raise _unsupported(content_type, "JSON", "send JSON with Content-Type: application/json")
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not valid JSON: it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ApiError(400, f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (ValueError, RecursionError) as error:  # e.g. a 5000-digit number, or nesting 100 000 deep
        raise ApiError(400, f"the body is not usable JSON: {str(error).splitlines()[0][:200] or 'nested too deep'}") from None
    if (_MAYBE_SURROGATE.search(raw) or b"\x00" in raw[:4]) and _holds_string(body, _is_not_utf8):
        raise ApiError(400, "the body is not usable JSON: it holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")
    # JSON holds a NUL only as an escape (raw control characters are refused above), or in a
    # UTF-16/32 body.
    if (b"\\u0000" in raw or b"\x00" in raw[:4]) and _holds_string(body, lambda text: "\x00" in text):
        raise ApiError(400, "the body is not usable JSON: a string in it holds a NUL character (\\u0000); send text without it")
    return body


def parse_form(raw: bytes, content_type: str | None) -> Any:
    """The form body as an object (`model/forms.py`), or NO_BODY when there is none. Without a
    Content-Type the bytes are read as a form, which is what they were sent as by HTML's rules."""
    if not raw.strip():
        return NO_BODY
    if content_type is not None and not is_form(content_type):
        raise _unsupported(content_type, "a form", f"send its fields with Content-Type: {FORM_MEDIA_TYPE}")
    try:
        return read_form(raw)
    except FormError as error:
        raise ApiError(400, f"the body is not a usable form: {error}") from None


def parse_multipart(raw: bytes, content_type: str | None) -> tuple[Any, set[str]]:
    """A multipart body as an object (text at its leaves, a file as its content read as text,
    `model/multipart.py`) and the names of the fields that came as files; (NO_BODY, set()) when
    there is none. Any other media type is a 415."""
    if not raw.strip():
        return NO_BODY, set()
    if content_type is None or not is_multipart(content_type):
        raise _unsupported(content_type or "", "multipart/form-data",
                           f"send its fields and files as {MULTIPART_MEDIA_TYPE} (curl -F, requests files=, FormData)")
    try:
        parts = read_multipart(raw, content_type)
        return form_value([(part.name, part.text) for part in parts]), {part.name for part in parts if part.filename is not None}
    except (MultipartError, FormError) as error:
        raise ApiError(400, f"the body is not a usable multipart form: {error}") from None


def parse_raw(raw: bytes, content_type: str | None, documented: str, text: bool) -> Any:
    """A body sent as it is (`model/raw.py`): the documented media type, else a 415; as text when
    it is text (UTF-8, else a 400), as bytes when it is a file's. NO_BODY when there is none."""
    if not raw:
        return NO_BODY
    if content_type is None or media_type_essence(content_type) != documented:
        sent = f"the body is {media_type_essence(content_type)}" if content_type else "the body has no Content-Type"
        raise ApiError(415, f"{sent}, not {documented}: send it with Content-Type: {documented}")
    if not text:
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, f"the body is not {documented} text: it is not UTF-8") from None


def _is_not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_string(value: Any, test: Callable[[str], bool]) -> bool:
    """Whether `test` holds for a string anywhere in `value` (keys included)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if test(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def json_object(body: Any, required: bool = False) -> dict[str, Any]:
    """The body as an object; no body is an empty object unless `required`."""
    if body is NO_BODY:
        if required:
            raise ApiError(400, "the body is missing: send a JSON object")
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object, not {_json_kind(body)}")
    return body


def field_of(body: dict[str, Any], name: str, kind: str, required: bool = False) -> Any:
    """`body[name]`, checked against a documented type (`string`, `integer`, …); None when absent."""
    if name not in body:
        if required:
            raise ApiError(400, f"`{name}` is required in the body")
        return None
    value = body[name]
    if not matches_type(value, kind) or (value is None and required):
        raise ApiError(400, f"`{name}` must be a {kind}, not {_json_kind(value)}")
    return value


def matches_type(value: Any, kind: str | None) -> bool:
    """Whether a JSON value fits a documented type; unknown types and null always fit."""
    if value is None or not kind:
        return True
    expected = JSON_TYPES.get(kind.strip().lower().split()[0] if kind.strip() else "")
    if expected is None:
        return True
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, expected)


def _json_kind(value: Any) -> str:
    kind = json_type(value)
    if kind == "null":
        return kind
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
