"""What a handler answers, and how it goes out as ASGI messages (JSON; errors `{"detail": ...}`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Send

from apidocs.sandbox.errors import ApiError

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    media_type: bytes | None = JSON


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dump_json(payload: Any) -> bytes:
    return _ENCODER.encode(payload).encode("utf-8")


def documented_content(body: Any) -> tuple[bytes, bytes]:
    """A documented example body as an answer's content and media type: a string is text (as
    the exported OpenAPI document describes it), anything else JSON."""
    return (body.encode("utf-8"), TEXT) if isinstance(body, str) else (dump_json(body), JSON)


# A field value holds no control characters (RFC 9110 5.5); uvicorn refuses to send one that does.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAKS = str.maketrans("\t\r\n", "   ")


def header_text(text: str, limit: int = 1000) -> bytes:
    """`text` as a header value: one line of printable ASCII, any other character escaped as
    Python writes it (`\\x08`, `\\u2028`). Reasons quote what the request held, which may be anything."""
    spaced = text.translate(_LINE_BREAKS)
    escaped = _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", spaced).encode("ascii", "backslashreplace")
    return b" ".join(escaped.split())[:limit].strip(b" ")


def json_answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return Answer(status, dump_json(payload), extra)


def error_answer(error: ApiError) -> Answer:
    return json_answer({"detail": error.detail}, error.status, error.headers)


async def send_answer(send: Send, answer: Answer, extra_headers: list[tuple[bytes, bytes]], head_only: bool) -> None:
    headers = [(b"content-length", str(len(answer.body)).encode())]
    if answer.media_type is not None:  # an empty text answer is text too
        headers.append((b"content-type", answer.media_type))
    headers += answer.headers
    headers += extra_headers
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else answer.body})
