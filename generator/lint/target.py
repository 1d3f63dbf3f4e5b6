"""What `apidocs lint PATH…` reads: an apidocs project (its mkdocs.yml) or an unconverted Jekyll tree.

A target is one tree with the settings its files are read with. Cross-file checks (duplicates,
positions, hosts) need the whole tree, so every file of a target is read; only findings about
the files the user named are printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidocs.config.loading import load_settings
from apidocs.config.settings import Auth
from apidocs.definitions.jekyll_tree import INCLUDES_FOLDER, JekyllTree, find_jekyll_root

# The loader's own reading of `.section.yml`, so lint and build agree on every section.
from apidocs.definitions.loader import SECTION_FILE, Section, load_section
from apidocs.model.errors import ConfigError, DefinitionError, Finding
from apidocs.model.positions import position_key

PROJECT_FILE = "mkdocs.yml"
EVERY_FILE = "**"


@dataclass
class LintTarget:
    root: Path  # the docs folder, or the Jekyll site's root
    includes_dir: Path
    site: dict[str, Any]
    all_files: list[Path]
    sections: dict[str, Section]
    is_jekyll: bool
    known_tokens: set[str] = field(default_factory=set)
    server_hosts: list[str] = field(default_factory=list)
    audience: str | None = None
    audiences: dict[str, Any] = field(default_factory=dict)
    definitions: list[str] = field(default_factory=list)  # globs of files read as definitions without `method`
    selected: set[Path] = field(default_factory=set)  # the files findings are printed for
    findings: list[Finding] = field(default_factory=list)  # about the tree itself (a broken .section.yml)
    definitions_read: int = 0  # selected files apidocs reads as its own (set by lint_target)
    snippets_dir: Path | None = None  # the project's snippet templates (`lint/templates.py`)
    templates_selected: bool = False  # the whole project or its snippets folder was named
    auth_header: str = ""  # the project's auth header: checked by the sandbox's authenticator, not as a parameter

    @property
    def snippets_are_published(self) -> bool:
        """Jekyll shows pasted snippets to readers; apidocs drops them and generates its own."""
        return self.is_jekyll

    @property
    def builds_per_audience(self) -> bool:
        return self.is_jekyll or bool(self.audience) or bool(self.audiences)

    def select(self, path: Path) -> None:
        path = path.resolve()
        if path.is_dir():
            self.selected |= {f for f in self.all_files if path == f or path in f.parents}
        else:
            self.selected.add(path)
            if path not in self.all_files:
                self.all_files.append(path)


def _project_target(config_file: Path) -> LintTarget:
    settings = load_settings(config_file)
    docs = settings.docs_dir.resolve()
    files = sorted(p.resolve() for p in docs.rglob("*.md") if not any(part.startswith(".") for part in p.relative_to(docs).parts))
    target = LintTarget(docs, settings.includes_dir, settings.site, files, {}, False, set(settings.known_tokens),
                        [s.url for s in settings.servers], settings.audience, dict(settings.audiences),
                        list(settings.definitions), snippets_dir=settings.snippets_dir.resolve(),
                        auth_header=settings.auth.header)
    _read_sections(target)
    return target


def _read_sections(target: LintTarget) -> None:
    for meta in sorted({target.root / SECTION_FILE, *target.root.rglob(SECTION_FILE)}):
        if meta.is_file():
            try:
                section = load_section(meta.parent, target.root)
            except DefinitionError as error:
                target.findings.append(error.finding)
                continue
            target.sections[section.path] = section


def _folder_target(folder: Path) -> LintTarget:
    """Definitions with no project around them: read with the defaults a new project gets."""
    auth = Auth()
    includes = next((p for p in (folder / "includes", folder.parent / "includes", folder / INCLUDES_FOLDER) if p.is_dir()),
                    folder / "includes")
    files = sorted(p.resolve() for p in folder.rglob("*.md") if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    target = LintTarget(folder.resolve(), includes, {}, files, {}, False, {auth.token, *auth.demo_tokens})
    _read_sections(target)
    return target


def _jekyll_target(root: Path) -> LintTarget:
    jekyll = JekyllTree.read(root)
    sections: dict[str, Section] = {}
    for collection in jekyll.collections.values():
        folder = collection.folder.name
        try:
            position = position_key(collection.position)
        except ValueError:
            position = position_key(None)
        sections[folder] = Section(folder, collection.title, position, collection.listed_visibility)
    files = [path.resolve() for _, path in jekyll.documents]
    files += [p.resolve() for folder in jekyll.stray_folders for p in folder.rglob("*.md")]
    # Jekyll renders Liquid on every page, and the importer makes every page an apidocs page.
    return LintTarget(root.resolve(), jekyll.includes_dir, {"baseurl": "", **jekyll.site_values}, sorted(files), sections, True,
                      {Auth().token}, definitions=[EVERY_FILE])


def resolve_targets(config_file: str | Path, paths: list[str]) -> list[LintTarget]:
    """One target per tree the paths belong to; no paths means the project of `config_file`."""
    config = Path(config_file)
    targets: dict[Path, LintTarget] = {}

    def target_for(path: Path) -> LintTarget:
        jekyll_root = find_jekyll_root(path)
        if jekyll_root is not None:
            key, make = jekyll_root.resolve(), lambda: _jekyll_target(jekyll_root)
        else:
            project = _project_file(path, config)
            if project is not None:
                key, make = project.resolve(), lambda: _project_target(project)
            else:
                folder = path if path.is_dir() else path.parent
                key, make = folder.resolve(), lambda: _folder_target(folder)
        if key not in targets:
            targets[key] = make()
        return targets[key]

    if not paths:
        if not config.is_file():
            raise ConfigError(f"{config}: no such file (pass -f path/to/mkdocs.yml, or the folders to lint)")
        target = target_for(config.parent)
        target.selected = set(target.all_files)
        target.templates_selected = True
        return [target]
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise ConfigError(f"{name}: no such file or folder")
        target = target_for(path)
        if (path.is_dir() and (path / PROJECT_FILE).is_file()) or path.resolve() == target.root:
            target.selected |= set(target.all_files)
            target.templates_selected = True
        elif target.snippets_dir is not None and (path.resolve() == target.snippets_dir or target.snippets_dir in path.resolve().parents):
            target.templates_selected = True  # templates are checked together: they share one folder's languages.yml
        else:
            target.select(path)
    return list(targets.values())


def _project_file(path: Path, config: Path) -> Path | None:
    """The mkdocs.yml a path belongs to: one in the path or above it, else `-f`'s if the path is in its docs."""
    folder = path.resolve() if path.is_dir() else path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / PROJECT_FILE
    return config if config.is_file() else None
