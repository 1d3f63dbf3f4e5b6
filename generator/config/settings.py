"""The project's settings as plain data: servers, auth, folders and switches.

Read from the `apidocs` options in mkdocs.yml by `loading.py`; every stage (rendering, sandbox,
check, lint, explorer) takes a `Settings` and never reads mkdocs.yml itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_SANDBOX = "http://127.0.0.1:8000/sandbox"  # where `apidocs serve` runs the sandbox by default


@dataclass
class Server:
    url: str  # absolute: what the snippets and Try it call
    description: str = ""
    # A server mkdocs.yml gives as a path (`/api/v1`: OpenAPI's relative server URL) as written;
    # `url` is then that path on the site's address, or on the local sandbox.
    relative: str = ""

    @property
    def base_path(self) -> str:
        """The path a relative server puts before every operation's (`/api/v1`), else empty."""
        return self.relative.rstrip("/")


# The name of a query parameter an API key may travel in (`api_key`, `X-API-KEY`): nothing in it
# to escape in a URL.
QUERY_KEY_NAME = re.compile(r"[A-Za-z0-9_.~\-\[\]]{1,100}")


@dataclass
class Auth:
    header: str = "Authorization"
    scheme: str = "Token"
    token: str = "1234567890"
    demo_tokens: list[str] = field(default_factory=list)
    query: str = ""  # the query parameter an API key travels in (OpenAPI's apiKey `in: query`); `header` is then ""

    def header_value(self, token: str | None = None) -> str:
        return f"{self.scheme} {token or self.token}".strip()


@dataclass
class Settings:
    config_file: Path
    docs_dir: Path
    servers: list[Server]
    auth: Auth
    includes_dir: Path
    snippets_dir: Path
    site: dict[str, Any]  # `site.*` for Liquid: whatever YAML mkdocs.yml holds there
    fixtures: Path | None = None
    audience: str | None = None
    audiences: dict[str, Any] = field(default_factory=dict)  # as written; definitions/audiences.py validates it
    explorer: bool = True
    proxy: bool = False
    public_sandbox: str | None = None  # URL of a sandbox the static site's explorer may call
    sandbox_workflow: bool = True
    site_url: str = ""
    definitions: list[str] = field(default_factory=list)  # globs of files that are apidocs' own pages
    site_name: str = ""
    site_description: str = ""
    api_version: str = ""  # `info.version` of openapi.json (empty: 1.0.0)

    @property
    def project_dir(self) -> Path:
        return self.config_file.parent

    @property
    def default_server(self) -> str:
        return self.servers[0].url if self.servers else LOCAL_SANDBOX

    @property
    def known_tokens(self) -> set[str]:
        return {self.auth.token, *self.auth.demo_tokens}
