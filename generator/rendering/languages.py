"""Snippet languages, read from the `snippets/` folder.

A language is a Jinja template (`<name>.<ext>.j2`) plus, optionally, an entry in
`snippets/languages.yml` giving its tab label, highlight name and how to run it. Adding a
template adds a tab; adding its `run` line makes `apidocs check` execute it. No Python change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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
    warm: str | None = None  # "python" or "httpie": the check may run it next to a warm interpreter
    env: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # scratch files a run needs
    # The snippets folder's newest modification when this was loaded: rendered snippets are
    # remembered per Language, so an edited template (a new stamp) is never served from memory.
    stamp: float = 0.0

    @property
    def is_runnable(self) -> bool:
        return bool(self.run)


def _mapping(value: object, manifest: Path, where: str, shape: str) -> dict[object, object]:
    """`value` from languages.yml when it is a mapping (empty when absent); otherwise one clear error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{manifest}: {where} must be a mapping {shape}")
    return value


@lru_cache(maxsize=16)
def _load_languages(folder: Path, stamp: float) -> tuple[Language, ...]:
    declared: dict[object, object] = {}
    manifest = folder / "languages.yml"
    if manifest.is_file():
        try:
            loaded = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ConfigError(f"{manifest}: not valid YAML: {error}") from None
        declared = _mapping(loaded, manifest, "the file", "of language names to their settings")
    templates = {path.name.split(".")[0]: path for path in sorted(folder.glob("*.j2"))}
    order = [name for name in declared if isinstance(name, str) and name in templates]
    order += [name for name in templates if name not in declared]
    languages = []
    for name in order:
        path = templates[name]
        spec = _mapping(declared.get(name), manifest, name, "like {label: curl, run: [bash, '{file}']}")
        parts = path.name.split(".")
        extension = parts[1] if len(parts) > 2 else "txt"
        run = spec.get("run") or []
        if not isinstance(run, list):
            raise ConfigError(f"{manifest}: {name}.run must be a list like [bash, '{{file}}']")
        env = _mapping(spec.get("env"), manifest, f"{name}.env", "of variable names to values")
        files = _mapping(spec.get("files"), manifest, f"{name}.files", "of file names to their content")
        warm = spec.get("warm")
        languages.append(Language(
            name=name, label=str(spec.get("label") or name.title()), template=path.name,
            highlight=str(spec.get("highlight") or _HIGHLIGHT_BY_EXTENSION.get(extension, extension)),
            extension=extension, run=tuple(str(a) for a in run), warm=None if warm is None else str(warm),
            env=tuple(sorted((str(k), str(v)) for k, v in env.items())),
            files=tuple(sorted((str(k), str(v)) for k, v in files.items())),
            stamp=stamp,
        ))
    return tuple(languages)


def load_languages(folder: Path) -> list[Language]:
    """The languages in `folder`, in tab order (languages.yml order, then other templates)."""
    if not folder.is_dir():
        raise ConfigError(f"snippets folder {folder} does not exist")
    stamp = max((p.stat().st_mtime for p in folder.iterdir()), default=0.0)
    return list(_load_languages(folder.resolve(), stamp))
