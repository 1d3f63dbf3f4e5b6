"""The `apidocs` options in mkdocs.yml: declared once, validated by MkDocs, read as `Settings`.

Everything outside MkDocs (sandbox, check, lint, CLI) gets the same `Settings` through
`load_settings()`, so there is one source of truth for servers, auth and folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from .errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent
BUILTIN_SNIPPETS = PACKAGE_ROOT.parent / "snippets"


class ServerConfig(base.Config):
    url = c.Type(str)
    description = c.Type(str, default="")


class AuthConfig(base.Config):
    header = c.Type(str, default="Authorization")
    scheme = c.Type(str, default="Token")
    token = c.Type(str, default="1234567890")
    # Other demo tokens the docs may use in examples (e.g. a retailer's); not secrets.
    demo_tokens = c.ListOfItems(c.Type(str), default=[])


class AudienceConfig(base.Config):
    # Sections (folders) shown: those whose visibility is one of these (default: the audience's name).
    sections = c.Optional(c.ListOfItems(c.Type(str)))
    # Pages shown inside them: those whose visibility names one of these (default: `all` and the name).
    pages = c.Optional(c.ListOfItems(c.Type(str)))


class ApidocsConfig(base.Config):
    servers = c.ListOfItems(c.SubConfig(ServerConfig), default=[])
    auth = c.SubConfig(AuthConfig)
    includes_dir = c.Type(str, default="includes")
    snippets_dir = c.Optional(c.Type(str))
    site = c.Type(dict, default={})  # values for `{{ site.* }}` in Liquid
    fixtures = c.Optional(c.Type(str))  # sandbox fixture file (stateful sandbox)
    audience = c.Optional(c.Type(str))
    audiences = c.DictOfItems(c.SubConfig(AudienceConfig), default={})  # see generator/audiences.py
    explorer = c.Type(bool, default=True)
    # The sandbox's stateful TIMP order-cancelation handlers; off, every endpoint is the generic mock.
    sandbox_workflow = c.Type(bool, default=True)
    proxy = c.Type(bool, default=False)


@dataclass
class Server:
    url: str
    description: str = ""


@dataclass
class Auth:
    header: str = "Authorization"
    scheme: str = "Token"
    token: str = "1234567890"
    demo_tokens: list[str] = field(default_factory=list)

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
    site: dict[str, Any]
    fixtures: Path | None = None
    audience: str | None = None
    audiences: dict[str, Any] = field(default_factory=dict)
    explorer: bool = True
    proxy: bool = False
    sandbox_workflow: bool = True
    site_url: str = ""

    @property
    def project_dir(self) -> Path:
        return self.config_file.parent

    @property
    def default_server(self) -> str:
        return self.servers[0].url if self.servers else "http://127.0.0.1:8000/sandbox"

    @property
    def known_tokens(self) -> set[str]:
        return {self.auth.token, *self.auth.demo_tokens}

    @classmethod
    def from_plugin_config(cls, options: ApidocsConfig, config_file: Path, docs_dir: Path, site_url: str = "") -> Settings:
        project = config_file.parent
        snippets = project / options.snippets_dir if options.snippets_dir else project / "snippets"
        if not snippets.is_dir():
            if options.snippets_dir:
                raise ConfigError(f"{config_file}: apidocs.snippets_dir {options.snippets_dir!r} is not a folder")
            snippets = BUILTIN_SNIPPETS
        return cls(
            config_file=config_file,
            docs_dir=docs_dir,
            servers=[Server(s.url.rstrip("/"), s.description) for s in options.servers],
            auth=Auth(options.auth.header, options.auth.scheme, options.auth.token, list(options.auth.demo_tokens)),
            includes_dir=project / options.includes_dir,
            snippets_dir=snippets,
            site=dict(options.site),
            fixtures=project / options.fixtures if options.fixtures else None,
            audience=options.audience,
            audiences=dict(options.audiences),
            explorer=options.explorer,
            proxy=options.proxy,
            sandbox_workflow=options.sandbox_workflow,
            site_url=site_url,
        )


def load_settings(config_file: str | Path = "mkdocs.yml") -> Settings:
    """Read mkdocs.yml the way MkDocs does and return the apidocs settings in it."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    path = Path(config_file).resolve()
    if not path.is_file():
        raise ConfigError(f"{config_file}: no such file (pass -f path/to/mkdocs.yml)")
    try:
        config = load_config(str(path))
    except ConfigurationError as error:
        raise ConfigError(f"{config_file}: {error}") from None
    plugin = config.plugins.get("apidocs")
    if plugin is None:
        raise ConfigError(f"{config_file}: the apidocs plugin is not enabled (add `- apidocs` under `plugins:`)")
    return Settings.from_plugin_config(plugin.config, path, Path(config.docs_dir), config.site_url or "")
