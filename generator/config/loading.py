"""Turn the validated `apidocs` options of a mkdocs.yml into `Settings`.

The plugin calls `settings_from_options()` with the options MkDocs validated; everything outside
MkDocs (sandbox, check, lint, CLI) calls `load_settings()`, so there is one source of truth for
servers, auth and folders.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from mkdocs.config.defaults import MkDocsConfig

import apidocs
from apidocs.config.options import ApidocsConfig
from apidocs.config.settings import LOCAL_SANDBOX, QUERY_KEY_NAME, Auth, Server, Settings
from apidocs.model.errors import ConfigError


def builtin_snippets() -> Path:
    """The default templates: `apidocs/snippets/` in an installed wheel, `snippets/` beside
    `generator/` in the repository (an editable install maps the package to the folders)."""
    package = Path(apidocs.__file__).resolve().parent
    installed = package / "snippets"
    return installed if installed.is_dir() else package.parent / "snippets"


def server_of(url: str, description: str, site_url: str, serving_sandbox: str | None = None) -> Server:
    """A configured server; one given as a path (`/api/v1`, OpenAPI's relative server URL: relative
    to where the API's document is served) is taken on the site's address, where `openapi.json`
    is published, else on the local sandbox (which serves the operations below that path too).
    Under `apidocs serve` (`serving_sandbox`: its sandbox's URL) it is taken on that sandbox."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        if serving_sandbox:
            on = serving_sandbox.rstrip("/") + url
        elif site_url.lower().startswith(("https://", "http://")):
            on = urljoin(site_url, url)
        else:
            on = LOCAL_SANDBOX + url
        return Server(on.rstrip("/"), description, relative=url)
    return Server(url.rstrip("/"), description)


def auth_of(options: ApidocsConfig, config_file: Path) -> Auth:
    auth = options.auth
    if not auth.query.strip():
        return Auth(auth.header, auth.scheme, auth.token, list(auth.demo_tokens))
    if not QUERY_KEY_NAME.fullmatch(auth.query):
        raise ConfigError(f"{config_file}: apidocs.auth.query {auth.query!r} is not a query parameter name")
    if auth.header not in ("", "Authorization"):  # the default stands for "not given"
        raise ConfigError(f"{config_file}: apidocs.auth gives both a header ({auth.header!r}) and a query parameter "
                          f"({auth.query!r}) for the token: keep one")
    return Auth("", "", auth.token, list(auth.demo_tokens), query=auth.query)


def settings_from_options(options: ApidocsConfig, config: MkDocsConfig, serving_sandbox: str | None = None) -> Settings:
    """The settings of the project whose validated mkdocs.yml is `config` (`serving_sandbox`: the
    URL of `apidocs serve`'s sandbox, when it serves the site)."""
    config_file = Path(config.config_file_path or "mkdocs.yml").resolve()
    project = config_file.parent
    snippets = project / options.snippets_dir if options.snippets_dir else project / "snippets"
    if not snippets.is_dir():
        if options.snippets_dir:
            raise ConfigError(f"{config_file}: apidocs.snippets_dir {options.snippets_dir!r} is not a folder")
        snippets = builtin_snippets()
    public_sandbox = (options.public_sandbox or "").strip().rstrip("/") or None
    if public_sandbox and not public_sandbox.lower().startswith(("https://", "http://")):
        raise ConfigError(f"{config_file}: apidocs.public_sandbox must be an http(s) URL, not {public_sandbox!r}")
    return Settings(
        config_file=config_file,
        docs_dir=Path(config.docs_dir),
        servers=[server_of(s.url, s.description, config.site_url or "", serving_sandbox) for s in options.servers],
        auth=auth_of(options, config_file),
        includes_dir=project / options.includes_dir,
        snippets_dir=snippets,
        site=dict(options.site),
        fixtures=project / options.fixtures if options.fixtures else None,
        audience=options.audience,
        audiences=dict(options.audiences),
        explorer=options.explorer,
        proxy=options.proxy,
        public_sandbox=public_sandbox,
        sandbox_workflow=options.sandbox_workflow,
        definitions=list(options.definitions),
        site_url=config.site_url or "",
        site_name=config.site_name or "",
        site_description=config.site_description or "",
        api_version=str(options.api_version).strip(),
    )


def load_config_and_settings(config_file: str | Path = "mkdocs.yml") -> tuple[MkDocsConfig, Settings]:
    """mkdocs.yml read and validated the way MkDocs does, and the apidocs settings in it."""
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
    return config, settings_from_options(plugin.config, config)


def load_settings(config_file: str | Path = "mkdocs.yml") -> Settings:
    """Read mkdocs.yml the way MkDocs does and return the apidocs settings in it."""
    return load_config_and_settings(config_file)[1]
