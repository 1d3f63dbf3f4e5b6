"""`apidocs build`: MkDocs' own build with our plugin, errors as one clear message."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from apidocs.explorer.context import ServeContext
from apidocs.model.errors import ConfigError
from apidocs.site.plugin import ApidocsPlugin

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig


class _CountWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def build_site(config_file: str | Path, *, strict: bool = False, site_dir: str | Path | None = None,
               audience: str | None = None) -> int:
    """Build the site; 1 on definition errors (or warnings with `strict`), with no traceback."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    path = Path(config_file)
    if not path.is_file():
        raise ConfigError(f"{config_file}: no such file (pass -f path/to/mkdocs.yml)")
    overrides: dict[str, object] = {"strict": True} if strict else {}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    configure_logging()
    try:
        config = prepare_config(load_config(str(path), **overrides), "build", audience)
        build(config)
    except (ConfigurationError, PluginError) as error:
        message = str(error).strip()
        print(f"apidocs: {message}", flush=True)
        return 1
    except Abort:
        print("apidocs: build failed (the errors are listed above)", flush=True)
        return 1
    return 0


def prepare_config(config: MkDocsConfig, command: str, audience: str | None = None,
                   serve_context: ServeContext | None = None) -> MkDocsConfig:
    """Tell the plugin, through its own objects, what the command line chose; then start it."""
    for plugin in config.plugins.values():
        if isinstance(plugin, ApidocsPlugin):
            if audience:
                plugin.config["audience"] = audience
            plugin.serve_context = serve_context
    config.plugins.on_startup(command=command, dirty=False)
    return config


def configure_logging() -> None:
    """MkDocs' CLI sets up its log output; when we call its build directly we do it ourselves."""
    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "_apidocs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        handler._apidocs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
