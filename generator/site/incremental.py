"""Incremental rebuilds for `apidocs serve`: a saved page re-renders that page, and the pages
whose navigation shows it.

A full MkDocs build of a large site takes many seconds; a writer saving one definition wants it
back at once. After a full build the plugin keeps what MkDocs made (files, nav, Jinja
environment). On the next change to pages, definitions, overlays or section files:

1. the docs are read again, every unchanged definition from the cache (by content hash), and the
   nav follows the tree (a new, deleted, renamed or moved page, a section's title or order);
2. the changed and new pages are rendered again (Markdown, plugin events, template);
3. every other page is compared by what the theme shows of the nav on it (the items shown, with
   their titles, addresses and the page's previous and next page); only those that differ are
   rendered again, from their Markdown already rendered (a page's content does not depend on the
   nav). With apidocs' bounded nav (theme/partials/nav-item.html) a page shows its own section,
   so a renamed page re-renders its section; with the full nav every page shows every title;
4. the search index loses the entries of re-rendered and deleted pages and gains their new ones;
   404.html and the sitemap follow the nav; openapi.json is regenerated after the page is served.

The server holds page requests while this runs, so no reader gets half of an update.
A page gaining or losing errors is re-rendered alone (out of a nav made from the tree while
broken); a change in the snippets folder puts every endpoint page's request column in again
(rendered on two cores while the site is served as it was, then every page replaced at once);
a static file is copied alone. Anything else (mkdocs.yml, an include) takes a full build.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
from mkdocs.structure.files import File, Files, set_exclusions
from mkdocs.utils import is_markdown_file

from apidocs.definitions.loader import OVERLAY_SUFFIX, SECTION_FILE, DefinitionLoader, DocsTree, LoadedFile, page_of_finding
from apidocs.model.endpoint import Endpoint
from apidocs.site.compact import compact_html

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.nav import Navigation

    from apidocs.site.plugin import ApidocsPlugin, BuiltState

log = logging.getLogger("mkdocs.apidocs.serve")

# Above this many changed files at once (a checkout, a search-and-replace), a full build is
# as fast as page by page and certainly consistent. A section's folder renamed is twice its
# pages (gone, and new): at 25 ms a page, a hundred paths stay well under the 3 s of a nav change.
MAX_PAGES_ALONE = 100
# At most this many pages are re-rendered for their nav before the change is served; beyond it
# (a section's title, its first page: every page's nav changes, 4 ms each), pages outside the
# changed pages' folders are rendered when requested, and meanwhile in the background.
EAGER_NAV_PAGES = 100
# A template change renders every request column: in a second process from this many
# endpoints on each side (below it, a fork costs more than it saves).
PARALLEL_AT_LEAST = 50
CHILD_GRACE_SECONDS = 5.0  # beyond the time this process took for its half: then it renders the other half too


class DefinitionCache:
    """Definitions read before, kept by the hash of their file and overlay.

    Entries are valid for one reading context (includes folder contents, `site` variables,
    definition globs); a change of context empties the cache. Entries of files that no longer
    exist are dropped after each build, so it holds at most the project's definitions.
    """

    def __init__(self) -> None:
        self._context = ""
        # path → (stat signature, content hash, what was read)
        self._entries: dict[Path, tuple[tuple[int, ...], str, LoadedFile]] = {}
        self._seen: set[Path] = set()
        self._verify: set[Path] = set()  # hashed on their next read, whatever their stat
        self.hits = self.misses = 0

    def verify(self, paths: Iterable[str]) -> None:
        """Paths the file watcher reported: their next read compares content, not stat alone
        (a file system's coarse times can keep a quick second save's stat as it was)."""
        for name in paths:
            path = Path(name)
            if path.name.endswith(OVERLAY_SUFFIX):  # an overlay changes its definition
                path = path.with_name(path.name[: -len(OVERLAY_SUFFIX)] + ".md")
            self._verify.update((path, path.resolve()))

    def reader(self, includes_dir: Path, site: Any, definitions: Iterable[str]) -> Callable[[DefinitionLoader, Path], LoadedFile]:
        """The `read` function for one build; call `forget_unseen` after it."""
        context = _context_key(includes_dir, site, definitions)
        if context != self._context:
            self._context, self._entries = context, {}
        self._seen = set()
        self.hits = self.misses = 0
        return self.read

    def read(self, loader: DefinitionLoader, path: Path) -> LoadedFile:
        self._seen.add(path)
        cached = self._entries.get(path)
        signature = _stat_signature(path)
        # A file whose stat is as it was, and that the watcher did not report, is not read again
        # (each save read and hashed every definition of the site). The loader's path may be
        # spelled otherwise than the watcher's (a link in docs_dir): compared resolved too.
        checked = bool(self._verify) and (path in self._verify or (
            any(path.name == other.name for other in self._verify) and path.resolve() in self._verify))
        if signature is not None and cached is not None and cached[0] == signature and not checked:
            self.hits += 1
            return cached[2]
        key = _content_key(path)
        if key is not None and signature is not None and cached is not None and cached[1] == key:
            self.hits += 1
            self._entries[path] = (signature, key, cached[2])
            return cached[2]
        self.misses += 1
        loaded = loader.read(path)
        if key is not None and signature is not None:
            self._entries[path] = (signature, key, loaded)
        return loaded

    def attach(self, config: MkDocsConfig) -> None:
        """Hand the cache to the config's apidocs plugin, before its build."""
        plugin = apidocs_plugin(config)
        if plugin is not None:
            plugin.definition_cache = self

    def forget_unseen(self) -> None:
        self._entries = {path: entry for path, entry in self._entries.items() if path in self._seen}
        self._verify = set()


def _stat_signature(path: Path) -> tuple[int, ...] | None:
    """The file's and its overlay's identity, size and times; None when it cannot be read."""
    overlay = path.with_name(path.stem + OVERLAY_SUFFIX)
    signature: list[int] = []
    for part in (path, overlay):
        try:
            stat = part.stat()
        except FileNotFoundError:
            if part is path:
                return None
            signature.append(-1)  # no overlay
            continue
        except OSError:
            return None
        signature += [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    return tuple(signature)


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


@dataclass
class Update:
    """What an incremental update did, for the log and the work that follows it."""

    rendered: list[str] = field(default_factory=list)  # src_uris whose Markdown was rendered again
    relaid: list[str] = field(default_factory=list)  # src_uris re-rendered for their nav alone
    removed: list[str] = field(default_factory=list)
    stale: int = 0  # pages whose nav is rendered on request or in the background
    endpoints_changed: bool = False
    request_columns: int = 0  # pages whose request column was put in again (a snippet template changed)

    def describe(self) -> str:
        parts = [f"Rebuilt {len(self.rendered)} page(s) alone: " + ", ".join(self.rendered)] if self.rendered else []
        if self.request_columns:
            parts.append(f"Rendered the request column of {self.request_columns} page(s) again")
        if self.relaid:
            parts.append(f"the nav of {len(self.relaid)} page(s)")
        if self.stale:
            parts.append(f"{self.stale} more on request or in the background")
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        return "; ".join(parts) or "Nothing shown changed"


class IncrementalSite:
    """The last full build's config (and through its plugin, MkDocs' files, nav and Jinja
    environment), and the update of the pages a change reaches.

    Pages whose nav lags the model (`stale`) are rendered before a request for them is answered,
    so every page served shows the nav as it is; one lock keeps renders and updates apart."""

    def __init__(self) -> None:
        self.config: MkDocsConfig | None = None
        self._lock = threading.RLock()
        self._stale: dict[str, tuple[MkDocsConfig, ApidocsPlugin, Any]] = {}  # by page address
        self._holding = False  # an update is replacing every page: requests wait for it

    def built(self, config: MkDocsConfig) -> None:
        """A full build finished with `config`, and is served: the next changes start from it."""
        plugin = apidocs_plugin(config)
        with self._lock:
            self.config = config if plugin is not None and plugin.built_state is not None else None
            self._stale = {}  # pages of the previous site

    def render_stale(self, path: str) -> None:
        """Before answering a request for `path` (a page's address): render the page if its nav
        lags, or wait while an update replaces every page."""
        if not self._stale and not self._holding:
            return
        url = path.lstrip("/")
        with self._lock:
            entry = self._stale.pop(url, None) or self._stale.pop(url.removesuffix("index.html"), None)
            if entry is not None:
                config, plugin, page = entry
                write_page(config, plugin, page, skip=_search_index(config))

    def render_all_stale(self) -> None:
        """Every page whose nav lags, one at a time (requests and updates take turns)."""
        while self._stale:
            with self._lock:
                if self._stale:
                    _, (config, plugin, page) = self._stale.popitem()
                    write_page(config, plugin, page, skip=_search_index(config))
            # A lock is not fair: without a pause this thread takes it again at once, and a
            # request waiting for its page would wait for all of them.
            time.sleep(0.001)

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

    def openapi_writer(self) -> Callable[[], None] | None:
        """The writing of openapi.json from the definitions as they are now (None when the build
        made none: the site has its own, or no endpoints)."""
        from apidocs.openapi.command import OPENAPI_URI

        config, plugin = self.config, self.plugin
        if config is None or plugin is None or plugin.built_state is None or plugin.settings is None or plugin.tree.errors:
            return None  # with errors: the last openapi.json made without stays
        file = plugin.built_state.files.get_file_from_path(OPENAPI_URI)
        if file is None or file.generated_by is None:
            return None
        settings, tree, site_dir = plugin.settings, plugin.tree, config.site_dir
        return lambda: write_openapi(settings, tree, site_dir)

    def is_request_column_change(self, changed: set[str]) -> bool:
        """Whether `changed` is all in the snippets folder: a change of every endpoint page's
        request column alone (`update` puts the columns in again)."""
        plugin = self.plugin
        return bool(changed) and plugin is not None and plugin.settings is not None and all(
            _is_inside(Path(name), plugin.settings.snippets_dir) for name in changed)

    def update(self, changed: set[str]) -> Update | None:
        """Bring the pages `changed` reaches up to date; None when the change needs a full build."""
        config, plugin = self.config, self.plugin
        if (config is not None and plugin is not None and plugin.built_state is not None
                and len(changed) <= MAX_PAGES_ALONE and self.is_request_column_change(changed)):
            # Rendered without the lock (seconds on a large site: requests go on meanwhile).
            return self._update_request_columns(config, plugin, plugin.built_state.files)
        with self._lock:
            return self._update(changed)

    def _update(self, changed: set[str]) -> Update | None:
        config, plugin = self.config, self.plugin
        if config is None or plugin is None or plugin.built_state is None or not changed:
            return None
        state = plugin.built_state
        changed = _files_of_folders(changed, state.files)
        if len(changed) > MAX_PAGES_ALONE:
            return None
        docs_dir = Path(config.docs_dir).resolve()
        kinds = {name: _change_kind(Path(name), docs_dir) for name in changed}
        if OUTSIDE in kinds.values():
            return None
        for name, kind in kinds.items():
            if kind == STATIC:
                _update_static_file(config, state.files, Path(name), docs_dir)
        if not any(kind == PAGE for kind in kinds.values()):
            return Update()  # static files copied, or files the site does not show (an editor's temporary files)
        bounded = plugin.bounded_nav
        views_before = _nav_views(state.nav, state.files, bounded)
        nav_before = config.nav  # replaced, not changed, by reload_tree
        before = plugin.reload_tree(config)
        if before is None:
            return None
        self.config = None  # until this update is through, the next change takes a full build
        documents, documents_before = plugin.tree.documents, before.documents
        # A definition that does not load is still a page (showing its errors), out of a nav made from the tree.
        broken = _broken_pages(plugin.tree, docs_dir) - documents.keys()
        broken_before = _broken_pages(before, docs_dir) - documents_before.keys()
        shown, shown_before = documents.keys() | broken, documents_before.keys() | broken_before
        removed = sorted(shown_before - shown)
        added = sorted(shown - shown_before)
        rewritten = sorted(uri for uri in shown & shown_before
                           if uri in broken or documents.get(uri) is not documents_before.get(uri))
        if any((docs_dir / uri).is_file() for uri in removed):
            return None  # a page gone from the tree whose file is still there (an error not tied to it): a full build
        update = Update(removed=removed, endpoints_changed=any(
            isinstance(document, Endpoint) for uri in removed + added + rewritten
            for document in (documents.get(uri), documents_before.get(uri)))
            # openapi.json is not written while the tree has errors: the first update without brings it up to date.
            or (bool(before.errors) and not plugin.tree.errors))
        files = state.files
        for uri in removed:
            _remove_page(files, uri)
        for uri in added:
            file = File(uri, config.docs_dir, config.site_dir, config.use_directory_urls)
            set_exclusions([file], config)
            files.append(file)
        if added or removed or config.nav != nav_before or broken != broken_before:
            state.nav = _navigation(config, files)
        pages = {file.src_uri: file.page for file in _shown_pages(files) if file.page is not None}
        in_nav = {id(page) for page in state.nav.pages}
        for page in pages.values():  # a page out of the nav keeps no links from an earlier one, as in a full build
            if id(page) not in in_nav:
                page.parent = page.previous_page = page.next_page = None
        for uri in rewritten + added:
            if uri in pages:
                populate_page(config, files, pages[uri])
        views = _nav_views(state.nav, files, bounded)
        update.rendered = [uri for uri in rewritten + added if uri in pages]
        relaid = [uri for uri in pages if uri not in update.rendered and views.get(uri) != views_before.get(uri)]
        near = {_folder(uri) for uri in rewritten + added + removed} | {_folder(path) for path in _docs_paths(changed, docs_dir)}
        update.relaid = [uri for uri in relaid if len(relaid) <= EAGER_NAV_PAGES or _folder(uri) in near]
        later = [uri for uri in relaid if uri not in update.relaid]
        update.stale = len(later)
        for uri in removed:
            self._stale.pop(_url_of(uri, config), None)
        for uri in update.rendered + update.relaid:
            self._stale.pop(pages[uri].url, None)
        self._stale.update((pages[uri].url, (config, plugin, pages[uri])) for uri in later)
        search = _search_index(config)
        indexed = len(search.entries) if search is not None else 0
        for uri in update.rendered:
            write_page(config, plugin, pages[uri])
        for uri in update.relaid:  # the same content and title: the same search entries (indexing is most of a render)
            write_page(config, plugin, pages[uri], skip=search)
        if search is not None:
            _replace_search_entries(search, indexed, {pages[uri].url for uri in update.rendered},
                                    {_url_of(uri, config) for uri in removed}, config)
        if added or removed or views.get(None) != views_before.get(None):
            for name in config.theme.static_templates:
                write_theme_template(config, state, name)
        self.config = config
        return update

    def _update_request_columns(self, config: MkDocsConfig, plugin: ApidocsPlugin, files: Files) -> Update:
        """After a change in the snippets folder: each endpoint page's request column (snippets,
        examples, Try it) rendered again and put into the page as written, the rest of the page
        kept. The columns are rendered first, on every core, while the pages as they were are
        served; then every page is replaced while page requests wait (a second at 1,000
        endpoints), so the site a reader sees is all before the change or all after it. A page
        without its column marked is rendered whole."""
        from apidocs.site.plugin import REQUEST_COLUMN_END, REQUEST_COLUMN_START

        plugin.reload_languages()  # a broken languages.yml raises: the full build reports it
        with self._lock:
            self.config = None  # until this update is through, the next change takes a full build
        pages = []
        for file in _shown_pages(files):
            endpoint = plugin.tree.documents.get(file.src_uri)
            if isinstance(endpoint, Endpoint) and not endpoint.passthrough and file.page is not None:
                pages.append((file, file.page, endpoint))
        # Every column first: a template that fails on one endpoint leaves every page as it
        # was (the full build then reports it), not some pages with the new template.
        columns = render_in_parallel(plugin.render_request_column, [endpoint for _, _, endpoint in pages])
        update = Update()
        with self._lock:
            self._holding = True  # page requests wait for the lock, not for one page each
            try:
                for (file, page, _), fresh in zip(pages, columns, strict=True):
                    path = Path(file.abs_dest_path)
                    # The page's rendered content keeps the column too: a later render of the page
                    # for its nav alone (write_page from page.content) must not bring the old one back.
                    content = page.content or ""
                    at = content.rfind(REQUEST_COLUMN_START)
                    until = content.find(REQUEST_COLUMN_END, at)
                    if at >= 0 and until >= 0:
                        page.content = content[:at + len(REQUEST_COLUMN_START)] + fresh + content[until:]
                    try:
                        html = path.read_text(encoding="utf-8")
                    except OSError:
                        html = ""
                    start = html.rfind(REQUEST_COLUMN_START)
                    end = html.find(REQUEST_COLUMN_END, start)
                    if start < 0 or end < 0:
                        populate_page(config, files, page)
                        write_page(config, plugin, page, skip=_search_index(config))
                    else:
                        write_atomically(path, (html[:start + len(REQUEST_COLUMN_START)] + compact_html(fresh) + html[end:]).encode("utf-8"))
                    update.request_columns += 1
                self.config = config
            finally:
                self._holding = False
        return update


def render_in_parallel(render: Callable[[Endpoint], str], endpoints: list[Endpoint]) -> list[str]:
    """`render` of each endpoint, the second half in a forked process when there is more than
    one core and enough work. The fork inherits everything `render` reads; its answers come
    back through a pipe, and whatever goes wrong there (it died, or waits for a lock another
    thread held when it was forked) is rendered here instead, so the result never depends on it:
    it gets as long again as this process took for its own half, and a few seconds more."""
    half = len(endpoints) // 2
    if half < PARALLEL_AT_LEAST or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return [render(endpoint) for endpoint in endpoints]
    first, second = endpoints[:half], endpoints[half:]
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, send, leave without running anything of the parent's
        code = 1
        try:
            os.close(reading)
            with os.fdopen(writing, "wb") as out:
                pickle.dump([render(endpoint) for endpoint in second], out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    theirs: list[str] | None = None
    try:
        started = time.monotonic()
        mine = [render(endpoint) for endpoint in first]  # an error here is the template's: raised, after the cleanup
        try:
            waiting = select.poll()
            waiting.register(reading, select.POLLIN | select.POLLHUP)
            if waiting.poll(1000 * (CHILD_GRACE_SECONDS + time.monotonic() - started)):
                with os.fdopen(os.dup(reading), "rb") as answers:
                    received = pickle.load(answers)
                if isinstance(received, list) and len(received) == len(second) and all(isinstance(c, str) for c in received):
                    theirs = received
        except Exception:  # the child died mid-answer, or sent nothing: its half is rendered here
            theirs = None
    finally:
        os.close(reading)
        if theirs is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return mine + (theirs if theirs is not None else [render(endpoint) for endpoint in second])


def _is_inside(path: Path, folder: Path) -> bool:
    if not path.is_absolute():
        path = Path.cwd() / path
    for candidate in (path, path.resolve()):
        with contextlib.suppress(ValueError):
            candidate.relative_to(folder.resolve())
            return True
    return False


# What a changed path is to the site (`_change_kind`).
PAGE = "page"  # what pages and the nav are made of: a page, definition, overlay or section file
STATIC = "static"  # a file the site copies as it is (an image, a style sheet, an editor's backup)
IGNORED = "ignored"  # a file the site leaves out (dot files: an editor's swap file)
OUTSIDE = "outside"  # beyond the pages (mkdocs.yml, snippets, includes): a full build


def _in_docs(path: Path, docs_dir: Path) -> Path | None:
    """`path` relative to docs_dir (as written, else resolved), or None when it is outside."""
    if not path.is_absolute():
        path = Path.cwd() / path
    for candidate in (path, path.resolve()):
        with contextlib.suppress(ValueError):
            return candidate.relative_to(docs_dir)
    return None


def _change_kind(path: Path, docs_dir: Path) -> str:
    relative = _in_docs(path, docs_dir)
    if relative is None:
        return OUTSIDE  # mkdocs.yml, snippets, includes
    if any(part.startswith(".") for part in relative.parts[:-1]) or (relative.name.startswith(".") and relative.name != SECTION_FILE):
        return IGNORED  # MkDocs and the definitions leave dot files out
    if relative.name == SECTION_FILE or relative.suffix == ".md" or relative.name.endswith(OVERLAY_SUFFIX):
        return PAGE
    if is_markdown_file(relative.name):
        return OUTSIDE  # a page of MkDocs' own in another spelling (`.markdown`): a full build
    return STATIC


def _update_static_file(config: MkDocsConfig, files: Files, path: Path, docs_dir: Path) -> None:
    """Copy a static file the site shows into it again, or take a deleted one out: no page
    changes for it (a full build did that, at every editor's backup file)."""
    relative = _in_docs(path, docs_dir)
    assert relative is not None  # a STATIC change is inside docs_dir
    uri = relative.as_posix()
    known = files.get_file_from_path(uri)
    if path.is_file() and not path.is_symlink():
        if known is None:
            known = File(uri, config.docs_dir, config.site_dir, config.use_directory_urls)
            set_exclusions([known], config)
            files.append(known)  # excluded or not, as a build keeps it
        if known.inclusion.is_in_serve():  # what a build under serve copies (not `exclude_docs`)
            known.copy_file()
    elif known is not None:
        files.remove(known)
        if known.inclusion.is_in_serve():
            Path(known.abs_dest_path).unlink(missing_ok=True)


def _files_of_folders(changed: set[str], files: Files) -> set[str]:
    """`changed` with each folder that went away (moved out of the tree, deleted whole: one
    event for all it held) as the files the site had in it. A folder that is there is left out:
    the watcher reports each of its files (a folder moved in) on its own."""
    expanded = set()
    for name in changed:
        path = Path(name) if Path(name).is_absolute() else Path.cwd() / name
        if path.is_dir():
            continue
        if path.exists() or path.is_symlink():
            expanded.add(name)
            continue
        folder = str(path) + os.sep
        inside = [file.abs_src_path for file in files if file.abs_src_path and file.abs_src_path.startswith(folder)]
        expanded.update(inside or [name])
    return expanded


def _broken_pages(tree: DocsTree, docs_dir: Path) -> set[str]:
    """The src_uris of pages under docs_dir with errors (a definition that loaded despite one is
    taken out by the caller)."""
    uris = set()
    for finding in tree.errors:
        with contextlib.suppress(ValueError):
            relative = page_of_finding(finding.path).resolve().relative_to(docs_dir)
            if relative.suffix == ".md":
                uris.add(relative.as_posix())
    return uris


def _docs_paths(changed: Iterable[str], docs_dir: Path) -> Iterator[str]:
    """The changed paths under docs_dir, relative to it (a section file's folder is its section)."""
    for name in changed:
        with contextlib.suppress(ValueError):
            yield Path(name).resolve().relative_to(docs_dir).as_posix()


def _folder(src_uri: str) -> str:
    return src_uri.rsplit("/", 1)[0] if "/" in src_uri else ""


def _shown_pages(files: Files) -> Sequence[File]:
    from mkdocs.structure.files import InclusionLevel

    return files.documentation_pages(inclusion=InclusionLevel.is_in_serve)


def _url_of(src_uri: str, config: MkDocsConfig) -> str:
    return File(src_uri, config.docs_dir, config.site_dir, config.use_directory_urls).url


def _remove_page(files: Files, src_uri: str) -> None:
    """Take a deleted page out of the files and its HTML out of the site."""
    file = files.get_file_from_path(src_uri)
    if file is None:
        return
    files.remove(file)
    output = Path(file.abs_dest_path)
    output.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the page's own folder (`use_directory_urls`), when nothing else is in it
        output.parent.rmdir()


def _navigation(config: MkDocsConfig, files: Files) -> Navigation:
    """MkDocs' navigation made again from `config.nav` (or the files), keeping the pages (and their
    rendered content); each page in the nav takes its title from there, as in a build."""
    from mkdocs.structure.nav import get_navigation

    nav = get_navigation(files, config)
    for title, src_uri in _nav_entries(config.nav):
        file = files.get_file_from_path(src_uri)
        if file is not None and file.page is not None and title is not None:
            file.page.title = title
    result: Navigation = config.plugins.on_nav(nav, config=config, files=files)
    return result


def _nav_entries(items: Any) -> Iterator[tuple[str | None, str]]:
    """(title, path) of each page in a `nav:` setting (a list, a mapping, a path)."""
    if isinstance(items, str):
        yield None, items
    elif isinstance(items, list):
        for item in items:
            yield from _nav_entries(item)
    elif isinstance(items, dict):
        for title, value in items.items():
            if isinstance(value, str):
                yield title, value
            else:
                yield from _nav_entries(value)


NavView = tuple[Any, ...]


def _nav_views(nav: Navigation, files: Files, bounded: bool) -> dict[str | None, NavView]:
    """What the nav shows on each page (by src_uri; None: on a page outside the nav, like 404.html).

    Two pages with equal views render the same nav: the items shown (with the bounded nav, the
    sections on the way to the page open and the others one link to their first page), their
    titles, addresses and the badges Material takes from their meta, the breadcrumbs, the previous
    and next page, and the page's own title."""
    opened: dict[tuple[int, ...], NavView] = {}

    def shown(open_sections: tuple[Any, ...]) -> NavView:
        key = tuple(map(id, open_sections))
        if key not in opened:
            opened[key] = tuple(_item_view(item, open_sections, bounded) for item in nav.items)
        return opened[key]

    homepage = nav.homepage.url if nav.homepage is not None else None
    views: dict[str | None, NavView] = {None: (shown(()), homepage)}
    for file in _shown_pages(files):
        page = file.page
        if page is None:
            continue
        ancestors = tuple(page.ancestors)
        views[file.src_uri] = (shown(ancestors), homepage, page.title, tuple(section.title for section in ancestors),
                               _link_view(page.previous_page), _link_view(page.next_page))
    return views


def _item_view(item: Any, open_sections: tuple[Any, ...], bounded: bool) -> NavView:
    if item.is_section:
        if not bounded or any(item is section for section in open_sections):
            return "section", item.title, tuple(_item_view(child, open_sections, bounded) for child in item.children)
        return "pruned", item.title, _first_url(item)
    if item.is_page:
        meta = item.meta or {}
        return ("page", item.title, item.url, meta.get("icon"), meta.get("subtitle"), meta.get("status"),
                getattr(item, "encrypted", None))
    return "link", item.title, item.url


def _first_url(section: Any) -> str | None:
    for child in section.children:
        return _first_url(child) if child.is_section else child.url
    return None


def _link_view(page: Any) -> tuple[str, str] | None:
    return (page.title, page.url) if page is not None else None


def _search_index(config: MkDocsConfig) -> Any:
    """Material's search index (entries of {location, title, text}), if the site has it."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if isinstance(getattr(index, "entries", None), list) and hasattr(index, "generate_search_index"):
            return index
    return None


def _replace_search_entries(index: Any, count: int, rendered: set[str], removed: set[str], config: MkDocsConfig) -> None:
    """The entries of pages rendered again replace theirs (added at the end since `count`); the
    entries of removed pages go; search/search_index.json is written again."""
    gone = rendered | removed
    fresh = index.entries[count:]
    index.entries[:] = [entry for entry in index.entries[:count] if entry["location"].split("#", 1)[0] not in gone] + fresh
    write_atomically(Path(config.site_dir) / "search" / "search_index.json", index.generate_search_index(None).encode("utf-8"))


def write_atomically(path: Path, content: bytes) -> None:
    """Readers of the served site see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{threading.get_ident()}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def write_openapi(settings: Any, tree: Any, site_dir: str) -> None:
    """openapi.json from the definitions as they are now (half a second at 1,000 endpoints: run
    after the changed page is served)."""
    from apidocs.openapi.command import OPENAPI_URI, openapi_json

    if not Path(site_dir).is_dir():
        return  # a full build has replaced that site since
    write_atomically(Path(site_dir) / OPENAPI_URI, openapi_json(settings, tree).encode("utf-8"))


def apidocs_plugin(config: MkDocsConfig) -> ApidocsPlugin | None:
    from apidocs.site.plugin import ApidocsPlugin

    return next((plugin for plugin in config.plugins.values() if isinstance(plugin, ApidocsPlugin)), None)


def populate_page(config: MkDocsConfig, files: Files, page: Any) -> None:
    """A page's Markdown read and rendered, through the plugin events MkDocs' build runs for it."""
    config._current_page = page
    try:
        page = config.plugins.on_pre_page(page, config=config, files=files)
        page.read_source(config)
        page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
        page.render(config, files)
        page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
    finally:
        config._current_page = None


def write_page(config: MkDocsConfig, plugin: ApidocsPlugin, page: Any, skip: Any = None) -> None:
    """A page's rendered content through the theme's template, as MkDocs' build writes it;
    without the `page_context` event of the plugin that owns `skip` (the search index)."""
    from mkdocs.commands.build import get_context

    state = plugin.built_state
    assert state is not None
    config._current_page = page
    try:
        page.active = True
        context = get_context(state.nav, _shown_pages(state.files), config, page)
        template = state.env.get_template(page.meta.get("template", "main.html"))
        for event in config.plugins.events["page_context"]:
            if skip is not None and getattr(getattr(event, "__self__", None), "search_index", None) is skip:
                continue
            result = event(context, page=page, config=config, nav=state.nav)
            context = context if result is None else result
        output = config.plugins.on_post_page(template.render(context), page=page, config=config)
        write_atomically(Path(page.file.abs_dest_path), output.encode("utf-8", errors="xmlcharrefreplace"))
    finally:
        page.active = False
        config._current_page = None


def write_theme_template(config: MkDocsConfig, state: BuiltState, name: str) -> None:
    """One of the theme's static templates (404.html, sitemap.xml) again, as MkDocs' build makes it."""
    import gzip

    from mkdocs import utils
    from mkdocs.commands.build import get_context

    try:
        template = state.env.get_template(name)
    except jinja2.TemplateNotFound:
        return
    template = config.plugins.on_pre_template(template, template_name=name, config=config)
    if utils.is_error_template(name):  # absolute addresses, as MkDocs gives error pages
        base_url = urlsplit(config.site_url or "/").path
    else:
        base_url = utils.get_relative_url(".", name)
    context = get_context(state.nav, state.files, config, base_url=base_url)
    context = config.plugins.on_template_context(context, template_name=name, config=config)
    output = config.plugins.on_post_template(template.render(context), template_name=name, config=config)
    if not output.strip():
        return
    path = Path(config.site_dir) / name
    write_atomically(path, output.encode("utf-8"))
    if name == "sitemap.xml":
        write_atomically(path.with_name(name + ".gz"), gzip.compress(output.encode("utf-8"), mtime=0))
