"""What the page knows about the process serving it: set by `apidocs serve`, absent in a build.

`apidocs serve` builds the pages in its own process, so it tells the explorer here that a
sandbox answers on the same origin (and whether the proxy is on) before the first build. A
static build leaves this unset and the explorer offers the configured servers only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeContext:
    sandbox_path: str | None = "/sandbox"  # the same-origin sandbox, absolute path on the origin
    proxy_path: str | None = None  # the proxy for configured servers, when `--proxy` is given


_current: ServeContext | None = None


def set_serve_context(context: ServeContext | None) -> None:
    global _current
    _current = context


def serve_context() -> ServeContext | None:
    return _current
