"""`apidocs build`: MkDocs' own build with our plugin, errors as one clear message."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from apidocs.explorer.context import ServeContext
from apidocs.model.errors import ConfigError
from apidocs.site.plugin import ApidocsPlugin

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

# The commands MkDocs tells its plugins about in `on_startup`.
Command = Literal["build", "gh-deploy", "serve"]


class _LogOutput(logging.StreamHandler):
    """The handler `configure_logging` adds, recognisable so it is added once."""


def build_site(config_file: str | Path, *, strict: bool = False, site_dir: str | Path | None = None,
               audience: str | None = None, engine: str = "mkdocs") -> int:
    """Build the site; 1 on definition errors (or warnings with `strict`), with no traceback.

    `engine="zensical"` builds the pre-rendered tree with Zensical (`zensical.py`), no plugin involved."""
    if engine == "zensical":
        from apidocs.site.zensical import build_with_zensical

        return build_with_zensical(config_file, strict=strict, site_dir=site_dir, audience=audience)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    path = Path(config_file)
    if not path.is_file():
        raise ConfigError(f"{config_file}: no such file (pass -f path/to/mkdocs.yml)")
    configure_logging()
    try:
        # MkDocs ignores overrides that are None: the config file's values stay.
        loaded = load_config(str(path), strict=True if strict else None,
                             site_dir=str(Path(site_dir).resolve()) if site_dir else None)
        config = prepare_config(loaded, "build", audience)
        build(config)
    except (ConfigurationError, PluginError) as error:
        message = str(error).strip()
        print(f"apidocs: {message}", file=sys.stderr, flush=True)
        return 1
    except Abort:
        print("apidocs: build failed (the errors are listed above)", file=sys.stderr, flush=True)
        return 1
    return 0


def prepare_config(config: MkDocsConfig, command: Command, audience: str | None = None,
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
    if not any(isinstance(handler, _LogOutput) for handler in logger.handlers):
        handler = _LogOutput()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
