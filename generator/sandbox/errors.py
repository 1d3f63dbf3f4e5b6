"""Every answer the sandbox refuses with: a status, a human-readable `detail`, maybe headers."""

from __future__ import annotations


class ApiError(Exception):
    """Raised anywhere while handling a request; the app answers `{"detail": ...}` with `status`."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    """Unknown, malformed, or not visible to the caller: all look the same (nothing leaks)."""
    return ApiError(404, f"{what} not found")
