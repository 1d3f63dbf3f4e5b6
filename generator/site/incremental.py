"""Incremental rebuilds for `apidocs serve`: a saved definition re-renders its own page only.

A full MkDocs build of a large site takes seconds (every page read, rendered and written); a
writer saving one definition wants that page back at once. After a full build the plugin keeps
what MkDocs made (files, nav, Jinja environment). On the next change:

- one or more existing definitions changed, with the same place in the nav (title, position,
  visibility, method, no errors before or after): each is read again, its page rendered
  through MkDocs' own page steps and plugin events, and written over the old one;
- anything else (a new, moved or deleted file, a section file, an include, a snippet template,
  mkdocs.yml, an overlay, a definition gaining or losing errors): a full build, with every
  definition whose content did not change taken from the cache (by content hash).

The search index and openapi.json keep the state of the last full build until the next one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apidocs.definitions.loader import OVERLAY_SUFFIX, DefinitionLoader, LoadedFile
from apidocs.model.endpoint import Endpoint

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from apidocs.site.plugin import ApidocsPlugin

log = logging.getLogger("mkdocs.apidocs.serve")

# Above this many changed files at once (a checkout, a search-and-replace), a full build is
# as fast as page by page and certainly consistent.
MAX_PAGES_ALONE = 20


class DefinitionCache:
    """Definitions read before, kept by the hash of their file and overlay.

    Entries are valid for one reading context (includes folder contents, `site` variables,
    definition globs); a change of context empties the cache. Entries of files that no longer
    exist are dropped after each build, so it holds at most the project's definitions.
    """

    def __init__(self) -> None:
        self._context = ""
        self._entries: dict[Path, tuple[str, LoadedFile]] = {}
        self._seen: set[Path] = set()
        self.hits = self.misses = 0

    def reader(self, includes_dir: Path, site: Any, definitions: Iterable[str]) -> Callable[[DefinitionLoader, Path], LoadedFile]:
        """The `read` function for one build; call `forget_unseen` after it."""
        context = _context_key(includes_dir, site, definitions)
        if context != self._context:
            self._context, self._entries = context, {}
        self._seen = set()
        self.hits = self.misses = 0
        return self.read

    def read(self, loader: DefinitionLoader, path: Path) -> LoadedFile:
        key = _content_key(path)
        self._seen.add(path)
        cached = self._entries.get(path)
        if key is not None and cached is not None and cached[0] == key:
            self.hits += 1
            return cached[1]
        self.misses += 1
        loaded = loader.read(path)
        if key is not None:
            self._entries[path] = (key, loaded)
        return loaded

    def attach(self, config: MkDocsConfig) -> None:
        """Hand the cache to the config's apidocs plugin, before its build."""
        plugin = apidocs_plugin(config)
        if plugin is not None:
            plugin.definition_cache = self

    def forget_unseen(self) -> None:
        self._entries = {path: entry for path, entry in self._entries.items() if path in self._seen}


def _content_key(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        digest.update(path.read_bytes())
        overlay = path.with_name(path.stem + OVERLAY_SUFFIX)
        if overlay.is_file():
            digest.update(b"\0overlay\0" + overlay.read_bytes())
    except OSError:
        return None  # unreadable: the loader reports it, nothing is cached
    return digest.hexdigest()


def _context_key(includes_dir: Path, site: Any, definitions: Iterable[str]) -> str:
    """What a definition's reading depends on besides its own files."""
    parts = [repr(site), repr(list(definitions)), str(includes_dir)]
    if includes_dir.is_dir():
        for path in sorted(includes_dir.rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class ChangeLog:
    """Paths the file watcher reported since the last build (filled from the watcher's thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[str] = set()

    def record(self, event: Any) -> None:
        with self._lock:
            for path in (getattr(event, "src_path", None), getattr(event, "dest_path", None)):
                if path:
                    self._paths.add(os.fsdecode(path))

    def take(self) -> set[str]:
        with self._lock:
            paths, self._paths = self._paths, set()
        return paths


class IncrementalSite:
    """The last full build's config (and through its plugin, MkDocs' files, nav and Jinja
    environment), and the page-only rebuild of definitions that changed in place."""

    def __init__(self) -> None:
        self.config: MkDocsConfig | None = None

    def built(self, config: MkDocsConfig) -> None:
        """A full build finished with `config`: the next changes start from it."""
        plugin = apidocs_plugin(config)
        self.config = config if plugin is not None and plugin.built_state is not None else None

    def failed(self) -> None:
        self.config = None

    @property
    def endpoints(self) -> list[Endpoint] | None:
        """Every endpoint as last read (None before a build went through)."""
        plugin = self.plugin
        return plugin.tree.endpoints if plugin is not None else None

    @property
    def plugin(self) -> ApidocsPlugin | None:
        return apidocs_plugin(self.config) if self.config is not None else None

    def rebuild_pages(self, changed: set[str]) -> bool:
        """Re-render the pages of `changed` alone; False when the change needs a full build."""
        config, plugin = self.config, self.plugin
        if config is None or plugin is None or plugin.built_state is None or not changed or len(changed) > MAX_PAGES_ALONE:
            return False
        docs_dir = Path(config.docs_dir).resolve()
        files = plugin.built_state.files
        pages = []
        for name in changed:
            path = Path(name).resolve()
            if not path.is_relative_to(docs_dir) or not path.is_file() or path.suffix != ".md":
                return False  # outside the pages (mkdocs.yml, snippets, includes), gone, or not a page
            file = files.get_file_from_path(path.relative_to(docs_dir).as_posix())
            if file is None or file.page is None or not plugin.reload_in_place(path):
                return False
            pages.append(file.page)
        for page in pages:
            render_page(config, plugin, page)
        log.info(f"Rebuilt {len(pages)} page(s) alone: " + ", ".join(page.file.src_uri for page in pages))
        return True


def apidocs_plugin(config: MkDocsConfig) -> ApidocsPlugin | None:
    from apidocs.site.plugin import ApidocsPlugin

    return next((plugin for plugin in config.plugins.values() if isinstance(plugin, ApidocsPlugin)), None)


def render_page(config: MkDocsConfig, plugin: ApidocsPlugin, page: Any) -> None:
    """One page through the steps and plugin events MkDocs' build runs for each page."""
    from mkdocs import utils
    from mkdocs.commands.build import get_context
    from mkdocs.structure.files import InclusionLevel

    state = plugin.built_state
    assert state is not None
    files, nav, env = state.files, state.nav, state.env
    doc_files = files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
    config._current_page = page
    try:
        page = config.plugins.on_pre_page(page, config=config, files=files)
        page.read_source(config)
        page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
        page.render(config, files)
        page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
        page.active = True
        context = get_context(nav, doc_files, config, page)
        template = env.get_template(page.meta.get("template", "main.html"))
        context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
        output = template.render(context)
        output = config.plugins.on_post_page(output, page=page, config=config)
        utils.write_file(output.encode("utf-8", errors="xmlcharrefreplace"), page.file.abs_dest_path)
    finally:
        page.active = False
        config._current_page = None
