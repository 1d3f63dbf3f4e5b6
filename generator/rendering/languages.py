"""Snippet languages, read from the `snippets/` folder.

A language is a Jinja template (`<name>.<ext>.j2`) plus, optionally, an entry in
`snippets/languages.yml` giving its tab label, highlight name and how to run it. Adding a
template adds a tab; adding its `run` line makes `apidocs check` execute it. No Python change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from apidocs.model.errors import ConfigError

_HIGHLIGHT_BY_EXTENSION = {"sh": "bash", "py": "python", "js": "javascript", "rb": "ruby", "php": "php", "go": "go"}


@dataclass(frozen=True)
class Language:
    name: str
    label: str
    template: str  # file name inside the snippets folder
    highlight: str
    extension: str
    run: tuple[str, ...] = ()  # argv; `{file}` is the snippet file, `{python}` this interpreter
    warm: str | None = None  # "python": the check may exec it in a warm interpreter
    env: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # scratch files a run needs

    @property
    def is_runnable(self) -> bool:
        return bool(self.run)


@lru_cache(maxsize=16)
def _load_languages(folder: Path, stamp: float) -> tuple[Language, ...]:
    declared: dict[str, Any] = {}
    manifest = folder / "languages.yml"
    if manifest.is_file():
        try:
            declared = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{manifest}: not valid YAML: {error}") from None
        if not isinstance(declared, dict):
            raise ConfigError(f"{manifest}: must map language names to their settings")
    templates = {path.name.split(".")[0]: path for path in sorted(folder.glob("*.j2"))}
    order = [name for name in declared if name in templates] + [name for name in templates if name not in declared]
    languages = []
    for name in order:
        path = templates[name]
        spec = declared.get(name) or {}
        parts = path.name.split(".")
        extension = parts[1] if len(parts) > 2 else "txt"
        run = spec.get("run") or []
        if not isinstance(run, list):
            raise ConfigError(f"{manifest}: {name}.run must be a list like [bash, '{{file}}']")
        languages.append(Language(
            name=name, label=str(spec.get("label") or name.title()), template=path.name,
            highlight=str(spec.get("highlight") or _HIGHLIGHT_BY_EXTENSION.get(extension, extension)),
            extension=extension, run=tuple(str(a) for a in run), warm=spec.get("warm"),
            env=tuple(sorted((str(k), str(v)) for k, v in (spec.get("env") or {}).items())),
            files=tuple(sorted((str(k), str(v)) for k, v in (spec.get("files") or {}).items())),
        ))
    return tuple(languages)


def load_languages(folder: Path) -> list[Language]:
    """The languages in `folder`, in tab order (languages.yml order, then other templates)."""
    if not folder.is_dir():
        raise ConfigError(f"snippets folder {folder} does not exist")
    stamp = max((p.stat().st_mtime for p in folder.iterdir()), default=0.0)
    return list(_load_languages(folder.resolve(), stamp))
