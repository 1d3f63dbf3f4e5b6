"""JSON answers: compact, UTF-8, errors always `{"detail": ...}`."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from .errors import ApiError

JSON = "application/json"


def dump_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dump_json(payload), status, headers, media_type=JSON)


def raw_json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type=JSON)


def error_response(error: ApiError) -> Response:
    return json_response({"detail": error.detail}, error.status, error.headers)
