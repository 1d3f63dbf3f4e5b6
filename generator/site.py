"""`apidocs build`: MkDocs' own build with our plugin, errors as one clear message."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import ConfigError


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
    if audience:
        os.environ["APIDOCS_AUDIENCE"] = audience
    overrides: dict[str, object] = {"strict": True} if strict else {}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    _configure_logging()
    try:
        config = load_config(str(path), **overrides)
        config.plugins.on_startup(command="build", dirty=False)
        build(config)
    except (ConfigurationError, PluginError) as error:
        message = str(error).strip()
        print(f"apidocs: {message}", flush=True)
        return 1
    except Abort:
        print("apidocs: build failed (the errors are listed above)", flush=True)
        return 1
    finally:
        if audience:
            os.environ.pop("APIDOCS_AUDIENCE", None)
    return 0


def _configure_logging() -> None:
    """MkDocs' CLI sets up its log output; when we call its build directly we do it ourselves."""
    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "_apidocs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        handler._apidocs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
