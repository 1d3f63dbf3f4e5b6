"""A stateful sandbox of the documented API: `create_app()` (ASGI) and `run_sandbox()` (CLI)."""

from __future__ import annotations

from .app import create_app
from .sessions import HEADER as SESSION_HEADER

__all__ = ["create_app", "SESSION_HEADER"]
