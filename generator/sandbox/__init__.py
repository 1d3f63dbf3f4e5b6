"""A stateful sandbox of the documented API: `create_app()` (ASGI) and `run_sandbox()` (CLI)."""

from __future__ import annotations

from apidocs.sandbox.app import create_app
from apidocs.sandbox.sessions import HEADER as SESSION_HEADER

__all__ = ["SESSION_HEADER", "create_app"]
