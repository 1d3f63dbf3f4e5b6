"""What the page knows about the process serving it: given by `apidocs serve`, absent in a build.

`apidocs serve` builds the pages in its own process and hands the plugin a `ServeContext` (a
sandbox answers on the same origin, the proxy is on or off); the plugin passes it to
`render_panel()`. A static build has none and the explorer offers the configured servers only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeContext:
    sandbox_path: str | None = "/sandbox"  # the same-origin sandbox, absolute path on the origin
    proxy_path: str | None = None  # the proxy for configured servers, when `--proxy` is given

