"""A Jekyll (Aviator) docs tree as found on disk: `_config.yml`, its collections, their folders.

Both the importer and `apidocs lint` on an unconverted tree read the tree through this one
object, so they agree on what a collection, a document and an include are.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apidocs.definitions.format import split_visibility
from apidocs.definitions.secrets import find_secrets, is_secret_name, looks_like_placeholder, placeholder_for, scrub_line
from apidocs.model.errors import ConfigError

CONFIG_FILE = "_config.yml"
INCLUDES_FOLDER = "_includes"
# Folders Jekyll itself gives a meaning to; none of them holds documents of a collection.
JEKYLL_FOLDERS = {"_includes", "_layouts", "_sass", "_site", "_data", "_plugins", "_drafts", "_posts", ".jekyll-cache"}
DOCUMENT_SUFFIXES = {".md", ".markdown"}
# A collection with documents but a blank visibility was listed on no audience's page; as a
# section it gets this name, which no audience's default rule shows.
HIDDEN = "hidden"


def regular_files(folder: Path) -> list[Path]:
    """Every regular file below a folder, sorted, without following a symbolic link (to a file or
    a folder: `list_symlinks` names those)."""
    if folder.is_symlink() or not folder.is_dir():
        return []
    found = []
    for current, folders, files in os.walk(folder, followlinks=False):
        folders[:] = [name for name in folders if not os.path.islink(os.path.join(current, name))]
        found += [Path(current, name) for name in files if not os.path.islink(os.path.join(current, name))]
    return sorted(path for path in found if path.is_file())


def list_symlinks(root: Path) -> list[tuple[Path, str]]:
    """(link, where it points) for every symbolic link in the tree; none is followed."""
    found = []
    for current, folders, files in os.walk(root, followlinks=False):
        for name in (*folders, *files):
            path = Path(current, name)
            if path.is_symlink():
                found.append((path, os.readlink(path)))
        folders[:] = [name for name in folders if not os.path.islink(os.path.join(current, name))]
    return sorted(found)


@dataclass
class Collection:
    """One entry of `collections:` in `_config.yml`, with the folder holding its documents."""

    name: str
    values: dict[str, Any]  # every key as written (title, position, visibility, type, ...)
    line: int  # line of the collection's name in _config.yml
    folder: Path

    @property
    def title(self) -> str:
        return str(self.values.get("title") or self.name.replace("_", " ").title())

    @property
    def position(self) -> Any:
        return self.values.get("position")

    @property
    def visibility(self) -> list[str]:
        return split_visibility(self.values.get("visibility"))

    @property
    def listed_visibility(self) -> list[str]:
        """The visibility as a section: blank means no audience lists it, which is `hidden`."""
        return self.visibility or [HIDDEN]

    @property
    def documents(self) -> list[Path]:
        return [p for p in regular_files(self.folder) if p.suffix in DOCUMENT_SUFFIXES]


@dataclass
class JekyllTree:
    root: Path
    config: dict[str, Any]
    collections: dict[str, Collection] = field(default_factory=dict)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line of _config.yml, why a collection was left out)
    setting_lines: dict[str, int] = field(default_factory=dict)  # top-level setting → its line in _config.yml

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def includes_dir(self) -> Path:
        return self.root / INCLUDES_FOLDER

    @property
    def site_values(self) -> dict[str, Any]:
        """The `{{ site.* }}` values a page can use: the scalar settings of `_config.yml`, with a
        placeholder in place of each credential (`api_token: …` becomes `YOUR_API_TOKEN`)."""
        secret = dict(self.secret_settings)
        return {key: secret.get(key, value) for key, value in self.config.items()
                if isinstance(value, (str, int, float, bool)) or value is None}

    @property
    def secret_settings(self) -> list[tuple[str, str]]:
        """(setting, its placeholder) for each scalar setting of `_config.yml` that holds a credential."""
        found = []
        for key, value in self.config.items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                continue
            text = str(value)
            if is_secret_name(str(key)) and not looks_like_placeholder(text):
                found.append((str(key), placeholder_for(str(key))))
            elif isinstance(value, str) and find_secrets([(1, text)], set()):
                found.append((str(key), scrub_line(text, set(), placeholder_for(str(key))) or ""))
        return found

    def line_of_setting(self, key: str) -> int:
        return self.setting_lines.get(key, 1)

    @property
    def stray_folders(self) -> list[Path]:
        """`_something/` folders that are no collection: Jekyll never published their files."""
        known = {collection.folder.name for collection in self.collections.values()}
        return sorted(p for p in self.root.iterdir()
                      if p.is_dir() and not p.is_symlink() and p.name.startswith("_") and p.name not in known and p.name not in JEKYLL_FOLDERS)

    @property
    def documents(self) -> list[tuple[Collection, Path]]:
        return [(collection, path) for collection in self.collections.values() for path in collection.documents]

    def collection_of(self, path: Path) -> Collection | None:
        for collection in self.collections.values():
            if collection.folder in path.parents:
                return collection
        return None

    @classmethod
    def read(cls, root: Path) -> JekyllTree:
        config_file = root / CONFIG_FILE
        if config_file.is_symlink():
            raise ConfigError(f"{config_file}: a symbolic link (to {os.readlink(config_file)}): not followed")
        if not config_file.is_file():
            raise ConfigError(f"{root}: not a Jekyll site (no {CONFIG_FILE})")
        text = config_file.read_text(encoding="utf-8")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            config = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            raise ConfigError(f"{config_file}:{line}: not valid YAML: {getattr(error, 'problem', None) or error}") from None
        if not isinstance(config, dict):
            raise ConfigError(f"{config_file}:1: must be a mapping of settings")
        tree = cls(root, config)
        if isinstance(node, yaml.MappingNode):
            tree.setting_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        raw = config.get("collections") or {}
        if isinstance(raw, list):  # the short form: `collections: [a, b]`
            raw = {str(name): {} for name in raw}
        if not isinstance(raw, dict):
            raise ConfigError(f"{config_file}: `collections` must be a mapping of name: settings")
        lines = _collection_lines(node)
        for name, values in raw.items():
            if not re.fullmatch(r"[\w.-]+", str(name)) or str(name) in (".", ".."):
                tree.refused.append((lines.get(str(name), 1), f"collection name {str(name)!r} is no plain folder name: "
                                                              "its documents are not read"))
                continue
            tree.collections[str(name)] = Collection(str(name), dict(values or {}) if isinstance(values, dict) else {},
                                                     lines.get(str(name), 1), root / f"_{name}")
        return tree


def _collection_lines(node: Any) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if key.value == "collections" and isinstance(value, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 1 for k, _ in value.value}
    return {}


def find_jekyll_root(path: Path) -> Path | None:
    """The Jekyll site a path belongs to: the nearest folder up with a `_config.yml`, unless an
    apidocs project (`mkdocs.yml`) is found first."""
    folder = path.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "mkdocs.yml").is_file():
            return None
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    return None
