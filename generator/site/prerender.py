"""`apidocs render DEST`: the site as a plain docs tree that needs no plugin.

Every page is rendered by the same functions the MkDocs plugin calls (`render_markdown` with the
explorer's panel, `page_meta`, `build_nav`), and written as ordinary Markdown that
Python-Markdown and pymdown-extensions turn into the same HTML: snippet content tabs, parameter
tables, the Try-it panel as a marked-up placeholder carrying its data. Beside the pages go the
assets (explorer script and stylesheets, listed in `extra_javascript` / `extra_css`), the
OpenAPI document, and a `mkdocs.yml` without the apidocs plugin, which both `mkdocs build` and
`zensical build` read:

    DEST/mkdocs.yml            the project's config: nav, extensions and assets filled in
    DEST/docs/...              the pages of one audience, rendered; the other files copied
    DEST/.apidocs-render.json  content hashes: what the next render may keep

The output is deterministic (same input, byte-identical tree) and incremental: a page whose
inputs (its definition as loaded, settings, snippet templates, apidocs' own code) hash as before
is not rendered again, and a file whose bytes did not change is not written again, so the
engine's own cache sees only real changes. Only files listed in the manifest are ever removed;
a DEST that holds anything else and no manifest is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup

import apidocs
from apidocs.config.loading import load_config_and_settings
from apidocs.config.settings import Settings
from apidocs.definitions.audiences import visible_documents
from apidocs.definitions.body import FENCE_OPENING
from apidocs.definitions.loader import OVERLAY_SUFFIX, SECTION_FILE, DocsTree, duplicate_endpoints, load_tree
from apidocs.explorer import SCRIPT_URI as EXPLORER_SCRIPT
from apidocs.explorer import ServeContext, explorer_script, render_panel
from apidocs.model.endpoint import Document
from apidocs.model.errors import ConfigError, Finding
from apidocs.openapi.command import OPENAPI_URI, dump, openapi_document
from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.nav import NavItem, build_nav
from apidocs.rendering.pages import page_meta, render_markdown
from apidocs.rendering.snippets import SnippetError
from apidocs.site.plugin import ASSET_URI, ASSETS, REQUIRED_EXTENSIONS

MANIFEST = ".apidocs-render.json"
MANIFEST_VERSION = 1
CONFIG_NAME = "mkdocs.yml"
DOCS = "docs"
SITE = "site"
# Theme features the endpoint pages rely on: one snippet language across pages, copy buttons.
REQUIRED_FEATURES = ("content.tabs.link", "content.code.copy")
# apidocs' own code that shapes a page: a change in it renders every page again.
CODE_FOLDERS = ("rendering", "explorer", "assets", "model", "openapi")


class RenderError(ConfigError):
    """The tree cannot be rendered: definition errors, an unsafe DEST, an unreadable config."""


@dataclass
class RenderResult:
    dest: Path
    config_file: Path  # DEST/mkdocs.yml
    pages: int = 0  # pages in the tree
    rendered: int = 0  # pages rendered this time (the others were unchanged)
    written: int = 0  # files whose bytes changed
    removed: int = 0  # files of the previous render no longer produced
    warnings: list[Finding] = field(default_factory=list)


# --- mkdocs.yml as data, tags kept ------------------------------------------------------------

@dataclass(frozen=True)
class Tagged:
    """A YAML value with a tag we do not interpret (`!ENV`, `!!python/name:...`): written back as read."""

    tag: str
    value: Any


class _ConfigLoader(yaml.SafeLoader):
    pass


class _ConfigDumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return Tagged(node.tag, value)


def _represent_tagged(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


_ConfigLoader.add_multi_constructor("!", _construct_tagged)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
_ConfigDumper.add_representer(Tagged, _represent_tagged)
_ConfigDumper.add_representer(Markup, lambda dumper, data: dumper.represent_str(str(data)))


def yaml_text(data: Any) -> str:
    return yaml.dump(data, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=1 << 16)


def read_config(config_file: Path) -> dict[str, Any]:
    try:
        data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_ConfigLoader)  # a SafeLoader: no Python objects
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RenderError(f"{config_file}: cannot be read as YAML ({error})") from None
    if not isinstance(data, dict):
        raise RenderError(f"{config_file}: not a mapping of settings")
    if "INHERIT" in data:
        raise RenderError(f"{config_file}: INHERIT is not supported by `apidocs render` (merge the parent config into this file)")
    return data


# --- what the project holds -------------------------------------------------------------------

@dataclass
class Project:
    config_file: Path
    raw_config: dict[str, Any]
    mkdocs_nav: list[Any] | None
    settings: Settings
    tree: DocsTree
    shown: list[Document]
    languages: list[Language]


def load_project(config_file: Path, audience: str | None = None) -> Project:
    """The project as the plugin sees it: MkDocs validates the config, apidocs reads the definitions."""
    config_file = config_file.resolve()
    if not config_file.is_file():
        raise RenderError(f"{config_file}: no such file (pass -f path/to/mkdocs.yml)")
    raw = read_config(config_file)
    try:
        config, settings = load_config_and_settings(config_file)
    except ConfigError as error:
        raise RenderError(str(error)) from None
    if audience:
        settings = replace(settings, audience=audience)
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site, definitions=settings.definitions)
    if tree.errors:
        raise RenderError("definition errors:\n" + "\n".join(f"  {finding}" for finding in tree.errors))
    shown = visible_documents(tree, settings)
    return Project(config_file, raw, list(config.nav) if config.nav else None, settings, tree, shown,
                   load_languages(settings.snippets_dir))


# --- fingerprints -----------------------------------------------------------------------------

def _digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def canonical(value: Any) -> str:
    """A stable text of a value for hashing: like repr, but sets sorted (their order changes with
    each process's string hashing) and dataclasses spelled field by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(f"{item.name}={canonical(getattr(value, item.name))}" for item in dataclasses.fields(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{canonical(key)}: {canonical(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(canonical(item) for item in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(canonical(item) for item in value)) + "}"
    return repr(value)


def _files_under(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def shared_fingerprint(project: Project, context: ServeContext | None) -> str:
    """What every page depends on besides its own definition."""
    package = Path(apidocs.__file__).resolve().parent
    parts: list[bytes | str] = [canonical(project.settings), canonical(project.languages), canonical(context), canonical(project.raw_config),
                               Path(__file__).read_bytes()]
    for folder in (project.settings.snippets_dir, *(package / name for name in CODE_FOLDERS)):
        for path in _files_under(folder):
            parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return _digest(*parts)


# --- the tree ---------------------------------------------------------------------------------

def _front_matter(meta: dict[str, Any]) -> str:
    return "---\n" + yaml_text(meta) + "---\n\n" if meta else ""


# `[text](/page.md#anchor)` and `[id]: /page.md`: links MkDocs resolves from docs_dir when
# `validation.links.absolute_links` is `relative_to_docs`; other engines need them relative.
_ABSOLUTE_MD_LINK = re.compile(r"(\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)/([^\s)>#?]+\.md)(?=[#?)>\s]|$)", re.M)
_FENCE = re.compile(rf"^[ \t]*({FENCE_OPENING})")


def relative_links(markdown: str, src_uri: str) -> str:
    """Absolute links to pages made relative to `src_uri`, outside fenced code."""
    start = posixpath.dirname(src_uri) or "."
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and opened and opened.group(1).startswith(fence[0] * len(fence)):
            fence = None
        elif fence is None and "/" in line and ".md" in line:
            line = _ABSOLUTE_MD_LINK.sub(lambda m: m.group(1) + posixpath.relpath(m.group(2), start), line)
        out.append(line)
    return "".join(out)


def _absolute_links_relative_to_docs(raw_config: dict[str, Any]) -> bool:
    validation = raw_config.get("validation")
    links = validation.get("links") if isinstance(validation, dict) else None
    return isinstance(links, dict) and links.get("absolute_links") == "relative_to_docs"


def _passthrough_page(document: Document, fix_links: bool) -> bytes:
    """An ordinary page byte for byte, unless the plugin would escape a title in its front matter
    (or an absolute link to a page needs to be relative for engines other than MkDocs)."""
    from mkdocs.utils.meta import get_data

    raw = document.source.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    body, meta = get_data(text)
    escaped = page_meta(document, meta)
    linked = relative_links(body, document.src_uri) if fix_links else body
    if escaped == meta and linked == body:
        return raw
    return ((_front_matter(escaped) if escaped != meta else text[:len(text) - len(body)]) + linked).encode("utf-8")


def _endpoint_page(document: Document, project: Project, context: ServeContext | None, fix_links: bool) -> bytes:
    panel = partial(render_panel, context=context)
    try:
        markdown = render_markdown(document, project.settings, project.languages, [panel])
    except SnippetError as error:
        raise RenderError(f"{document.source}: {error}") from None
    if fix_links:
        markdown = relative_links(markdown, document.src_uri)
    # Definitions are data: page_meta escapes every text the theme prints.
    return (_front_matter(page_meta(document, document.meta)) + markdown).encode("utf-8")


def _plain_nav(items: list[NavItem]) -> list[Any]:
    """The nav with its (escaped) titles as plain strings, for YAML."""
    plain: list[Any] = []
    for item in items:
        plain.append({str(title): _plain_nav(value) if isinstance(value, list) else value for title, value in item.items()})
    return plain


def _extension_name(entry: Any) -> str:
    return next(iter(entry)) if isinstance(entry, dict) else str(entry)


def _with_required_extensions(entries: list[Any]) -> list[Any]:
    """The site's extensions plus those the rendered pages need; the site's own options win."""
    merged: list[Any] = []
    named: set[str] = set()
    for entry in entries:
        name = _extension_name(entry)
        named.add(name)
        options = entry[name] if isinstance(entry, dict) else None
        required = REQUIRED_EXTENSIONS.get(name)
        if required and isinstance(options, dict):
            entry = {name: {**required, **options}}
        elif required and options is None:
            entry = {name: dict(required)}
        merged.append(entry)
    for name, options in REQUIRED_EXTENSIONS.items():
        if name not in named:
            merged.append({name: dict(options)} if options else name)
    return merged


def _without_apidocs(plugins: Any) -> Any:
    if isinstance(plugins, dict):
        return {name: options for name, options in plugins.items() if name != "apidocs"}
    if isinstance(plugins, list):
        return [entry for entry in plugins if _extension_name(entry) != "apidocs"]
    return plugins


def rendered_config(project: Project, has_endpoints: bool, theme_dir: str | None) -> dict[str, Any]:
    """The project's mkdocs.yml for the rendered tree: no apidocs plugin, everything it added spelled out."""
    config = dict(project.raw_config)
    config["docs_dir"] = DOCS
    config["site_dir"] = SITE
    if "plugins" in config:
        config["plugins"] = _without_apidocs(config["plugins"])
    if project.mkdocs_nav is None and project.tree.has_definitions:
        config["nav"] = _plain_nav(build_nav(project.tree, project.shown))
    theme = config.get("theme")
    theme = {"name": theme} if isinstance(theme, str) else dict(theme or {"name": "material"})
    if theme_dir is not None:
        theme["custom_dir"] = theme_dir
    if has_endpoints:
        features = list(theme.get("features") or [])
        features += [feature for feature in REQUIRED_FEATURES if feature not in features]
        theme["features"] = features
        config["markdown_extensions"] = _with_required_extensions(list(config.get("markdown_extensions") or []))
        css = list(config.get("extra_css") or [])
        css += [uri for uri in (f"{ASSET_URI}/{path.name}" for path in sorted(ASSETS.glob("*.css"))) if uri not in css]
        config["extra_css"] = css
        if project.settings.explorer:
            scripts = list(config.get("extra_javascript") or [])
            if EXPLORER_SCRIPT not in scripts:
                scripts.append(EXPLORER_SCRIPT)
            config["extra_javascript"] = scripts
    config["theme"] = theme
    return config


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


class _Writer:
    """Writes DEST's files, each only when its bytes changed, and remembers their hashes."""

    def __init__(self, dest: Path, previous: dict[str, str]) -> None:
        self.dest = dest
        self.previous = previous
        self.files: dict[str, str] = {}
        self.written = 0

    def put(self, relative: str, data: bytes) -> None:
        if relative in self.files:
            raise RenderError(f"{relative}: produced twice (a docs file has the name of a generated one)")
        digest = hashlib.sha256(data).hexdigest()
        self.files[relative] = digest
        target = self.dest / relative
        if not _inside(target.parent if target.parent.exists() else self.dest, self.dest):
            raise RenderError(f"{target}: leads out of {self.dest} (a symbolic link?)")
        if target.is_symlink():
            target.unlink()
        elif self.previous.get(relative) == digest and target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and target.read_bytes() == data:
            return
        temporary = target.with_name(f".{target.name}.apidocs-tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        self.written += 1

    def has(self, relative: str, digest: str) -> bool:
        """Whether DEST still holds `relative` as the previous render wrote it (so it can be kept)."""
        target = self.dest / relative
        return self.previous.get(relative) == digest and target.is_file() and not target.is_symlink()


def _read_manifest(dest: Path) -> dict[str, Any] | None:
    path = dest / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else {}


def _check_dest(dest: Path, project: Project) -> dict[str, Any]:
    """The previous manifest; refuses a DEST that is not ours to write or that overlaps the sources."""
    project_dir = project.config_file.parent.resolve()
    docs_dir = project.settings.docs_dir.resolve()
    resolved = dest.resolve()
    for source in (project_dir, docs_dir):
        if resolved == source or source.is_relative_to(resolved):
            raise RenderError(f"{dest}: would overwrite the project's own files (pass a folder of its own)")
    if resolved.is_relative_to(docs_dir):
        raise RenderError(f"{dest}: is inside docs_dir {docs_dir} (it would be rendered into itself)")
    if dest.exists() and not dest.is_dir():
        raise RenderError(f"{dest}: is not a folder")
    manifest = _read_manifest(dest) if dest.is_dir() else None
    if manifest is None and dest.is_dir() and any(dest.iterdir()):
        raise RenderError(f"{dest}: is not empty and was not written by `apidocs render` (pass an empty or new folder)")
    return manifest or {}


def render_tree(config_file: str | Path, dest: str | Path, *, audience: str | None = None,
                context: ServeContext | None = None, project: Project | None = None) -> RenderResult:
    """Write the pre-rendered tree of the project (one audience) into `dest`."""
    project = project or load_project(Path(config_file), audience)
    dest = Path(dest)
    previous = _check_dest(dest, project)
    dest.mkdir(parents=True, exist_ok=True)
    result = RenderResult(dest=dest, config_file=dest / CONFIG_NAME)
    result.warnings = duplicate_endpoints(project.shown)
    writer = _Writer(dest, dict(previous.get("files") or {}))
    old_pages: dict[str, dict[str, str]] = dict(previous.get("pages") or {})
    shared = shared_fingerprint(project, context)
    docs_dir = project.settings.docs_dir
    shown = {document.src_uri: document for document in project.shown}
    pages: dict[str, dict[str, str]] = {}
    fix_links = _absolute_links_relative_to_docs(project.raw_config)

    # Pages: ours rendered (or kept, when nothing they depend on changed); ordinary pages as written.
    for src_uri in sorted(shown):
        document = shown[src_uri]
        relative = f"{DOCS}/{src_uri}"
        if document.passthrough:
            writer.put(relative, _passthrough_page(document, fix_links))
            continue
        key = _digest(shared, canonical(document))
        old = old_pages.get(src_uri)
        if old and old.get("key") == key and writer.has(relative, old.get("sha256", "")):
            data = (dest / relative).read_bytes()
        else:
            data = _endpoint_page(document, project, context, fix_links)
            result.rendered += 1
        writer.put(relative, data)
        pages[src_uri] = {"key": key, "sha256": writer.files[relative]}
    result.pages = len(shown)

    # Every other file of docs_dir as it is (images, downloads), except what only the plugin reads.
    for path in _files_under(docs_dir):
        relative_path = path.relative_to(docs_dir)
        uri = relative_path.as_posix()
        if (_is_hidden(relative_path) or uri in project.tree.documents or uri.endswith(OVERLAY_SUFFIX)
                or path.name == SECTION_FILE or path.suffix == ".md"):
            continue
        if not _inside(path, docs_dir):
            continue  # a symbolic link out of docs_dir is not followed
        writer.put(f"{DOCS}/{uri}", path.read_bytes())

    endpoints = [document for document in project.shown if document.is_endpoint]
    if endpoints:
        for asset in sorted(ASSETS.iterdir()):
            if asset.is_file():
                writer.put(f"{DOCS}/{ASSET_URI}/{asset.name}", asset.read_bytes())
        if project.settings.explorer:
            writer.put(f"{DOCS}/{EXPLORER_SCRIPT}", explorer_script().encode("utf-8"))
        if not (docs_dir / OPENAPI_URI).is_file():
            try:
                openapi = openapi_document(project.settings, project.tree)
            except SnippetError as error:
                raise RenderError(f"openapi.json: {error}") from None
            writer.put(f"{DOCS}/{OPENAPI_URI}", dump(openapi, None).encode("utf-8"))

    theme_dir = _copy_theme_dir(project, writer)
    writer.put(CONFIG_NAME, yaml_text(rendered_config(project, bool(endpoints), theme_dir)).encode("utf-8"))

    # What the previous render wrote and this one did not: removed (and nothing else ever is).
    for relative in sorted(set(writer.previous) - set(writer.files)):
        target = dest / relative
        if (target.is_file() or target.is_symlink()) and _inside(target.parent, dest):
            target.unlink()
            result.removed += 1
            _prune_empty(target.parent, dest)
    manifest = {"version": MANIFEST_VERSION, "shared": shared, "pages": pages, "files": writer.files}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    result.written = writer.written
    return result


def _copy_theme_dir(project: Project, writer: _Writer) -> str | None:
    """The site's `theme.custom_dir` (template overrides) copied beside the docs; its new name."""
    theme = project.raw_config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if not isinstance(custom, str) or not custom:
        return None
    project_dir = project.config_file.parent
    folder = (project_dir / custom)
    if not folder.is_dir() or not _inside(folder, project_dir):
        raise RenderError(f"{project.config_file}: theme.custom_dir {custom!r} is not a folder inside the project")
    for path in _files_under(folder):
        if _inside(path, folder):
            writer.put(f"overrides/{path.relative_to(folder).as_posix()}", path.read_bytes())
    return "overrides"


def _prune_empty(folder: Path, root: Path) -> None:
    root = root.resolve()
    while folder.resolve() != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def run_render(config_file: str | Path, dest: str | Path, *, audience: str | None = None, strict: bool = False,
               report: Callable[[str], None] = print) -> int:
    """The command: render, print one summary line (and warnings); 1 on errors or strict warnings."""
    result = render_tree(config_file, dest, audience=audience)
    for warning in result.warnings:
        report(f"WARNING -  {warning}")
    report(f"apidocs: rendered {result.dest} ({result.pages} pages, {result.rendered} rendered, "
           f"{result.written} files written, {result.removed} removed); build it with "
           f"`mkdocs build -f {result.config_file}` or `zensical build -f {result.config_file}`")
    return 1 if strict and result.warnings else 0


def remove_tree(dest: Path) -> None:
    """Delete a rendered tree (only one that has our manifest)."""
    if (dest / MANIFEST).is_file():
        shutil.rmtree(dest)
