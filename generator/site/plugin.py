"""The MkDocs plugin: thin glue between MkDocs events and the apidocs model.

- on_config: read settings and the definitions, build the nav (only for a site that has
  definitions or `.section.yml` files and no `nav:` of its own);
- on_files: add our CSS/JS and the OpenAPI document `openapi.json` (only when there are
  endpoint pages), drop files that are not pages (overlays, hidden audiences);
- on_page_markdown: replace each definition's Markdown with the rendered endpoint page, rendered
  with the extensions it needs (restored in on_page_content for the next page);
- on_page_context: before the search plugins, the generated parts as the index needs them
  (`search_view`, much faster to parse); after them, the parts as shown and the request column.

Apidocs owns endpoint definitions, files matching the `definitions` globs and pages with
`apidocs: true`; every other page goes through MkDocs untouched.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

from apidocs.config.loading import settings_from_options
from apidocs.config.options import ApidocsConfig
from apidocs.config.settings import Settings
from apidocs.definitions.audiences import visible_documents
from apidocs.definitions.loader import OVERLAY_SUFFIX, DocsTree, duplicate_endpoints, load_tree, page_of_finding
from apidocs.explorer import SCRIPT_URI as EXPLORER_SCRIPT
from apidocs.explorer import ServeContext, explorer_script, render_panel
from apidocs.model.endpoint import Document, Endpoint
from apidocs.model.errors import ConfigError, Finding
from apidocs.openapi.command import OPENAPI_URI, openapi_json
from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.nav import build_nav
from apidocs.rendering.pages import AsideExtension, RenderedPage, aside_mark, page_meta, render_page, request_column, theme_text
from apidocs.rendering.quoting import html_text, markdown_text
from apidocs.rendering.snippets import SnippetError
from apidocs.site.compact import compact_html
from apidocs.site.incremental import DefinitionCache
from apidocs.site.nav_links import NavLinks
from apidocs.site.nav_window import NavWindow, WindowedNav
from apidocs.site.schemas import response_schema
from apidocs.site.searchable import search_view
from apidocs.site.translations import Translations

log = logging.getLogger("mkdocs.plugins.apidocs")

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PANEL_MARK = "data-apidocs-explorer="  # the attribute of the explorer's panel (explorer/panel.py)
# In HTML apidocs writes, where every attribute is double-quoted. Found by its literal start and
# then checked for the space before it: a pattern opening with `\s` is tried at every position.
_ID_ATTRIBUTE = re.compile(r'id="([^"]+)"')
ASSET_URI = "assets/apidocs"
# Template overrides for Material (a nav bounded per page: see theme/partials/nav-item.html),
# used above this many pages; a smaller site keeps Material's nav with every page in it.
MATERIAL_OVERRIDES = Path(__file__).resolve().parent / "theme"
# Material partials given what assistive technology needs (the search dialog's name), on sites
# with endpoint pages (a site without definitions stays byte for byte MkDocs' own): see
# accessibility/partials/search.html.
ACCESSIBILITY_OVERRIDES = Path(__file__).resolve().parent / "accessibility"
FULL_NAV_PAGES = 100
# Under `apidocs serve`, around each page's request column: a snippet template's change is then
# put into the written pages without rendering them again (site/incremental.py).
REQUEST_COLUMN_START, REQUEST_COLUMN_END = "<!-- apidocs request column -->", "<!-- /apidocs request column -->"

# Extensions the rendered pages need, with the options they need; the user's own options win.
REQUIRED_EXTENSIONS: dict[str, dict[str, Any]] = {
    "attr_list": {},
    "md_in_html": {},
    "tables": {},
    "def_list": {},
    "admonition": {},
    "pymdownx.superfences": {},
    "pymdownx.tabbed": {"alternate_style": True},
    "pymdownx.highlight": {"anchor_linenums": False},
    "apidocs.rendering.safe_links": {},  # prose from definitions is untrusted: no script in links
}


@dataclass
class _Generated:
    """A page's generated HTML: the parts MkDocs' Markdown leaves marks for, and the request column.

    While the search plugins index the page, its content has each part's `search_view`:
    `indexed` is that content, `shown` the one it stands for, `views` each (view, part)."""

    marks: dict[str, str]
    aside_mark: str
    column: Callable[[], str] | None  # the request column, made as the page's template is rendered
    source: Path  # the definition, named in a snippet error
    shown: str | None = None
    indexed: str | None = None
    views: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class BuiltState:
    """What MkDocs made in the last build, for `apidocs serve` to re-render single pages."""

    files: Files
    nav: Navigation
    env: jinja2.Environment


class ApidocsPlugin(BasePlugin[ApidocsConfig]):
    def __init__(self) -> None:
        self.command = "build"
        self.settings: Settings | None = None
        self.tree = DocsTree()
        self.languages: list[Language] = []
        self.hidden: set[str] = set()
        # (extensions, their options): the site's own, and with the ones apidocs' pages need.
        self.site_markdown: tuple[list[Any], dict[str, Any]] = ([], {})
        self.owned_markdown: tuple[list[Any], dict[str, Any]] = ([], {})
        # Set by `apidocs serve` before it builds: the sandbox (and proxy) on the serving origin.
        self.serve_context: ServeContext | None = None
        # Set by `apidocs serve`: definitions kept by content hash from one rebuild to the next.
        self.definition_cache: DefinitionCache | None = None
        self.built_state: BuiltState | None = None
        self._nav: Navigation | None = None
        # Pages carry our bounded nav: our partials were added (a site of more than FULL_NAV_PAGES
        # pages) and the environment's nav-item.html is ours (a site's own custom_dir still wins).
        self.bounded_nav = False
        # The generated HTML of the pages being built, by page: put in after Markdown.
        self._generated: dict[str, _Generated] = {}
        self.nav_from_tree = False  # the site's nav is ours (built from the tree), not its own `nav:`

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command

    @property
    def is_serving(self) -> bool:
        return self.command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            serving_sandbox = None
            if self.is_serving and self.serve_context is not None and self.serve_context.sandbox_path and config.site_url:
                serving_sandbox = config.site_url.rstrip("/") + self.serve_context.sandbox_path
            self.settings = settings_from_options(self.config, config, serving_sandbox)
            self.languages = load_languages(self.settings.snippets_dir)
        except ConfigError as error:
            raise PluginError(str(error)) from None
        cache = self.definition_cache
        read = cache.reader(self.settings.includes_dir, self.settings.site, self.settings.definitions) if cache else None
        self.tree = load_tree(self.settings.docs_dir, self.settings.includes_dir, self.settings.site,
                              definitions=self.settings.definitions, read=read)
        if cache is not None:
            cache.forget_unseen()
            log.debug(f"definitions: {cache.hits} unchanged, {cache.misses} read")
        # The site's own Markdown setup renders every page we do not own; ours add what they need.
        self.site_markdown = (list(config.markdown_extensions), dict(config.mdx_configs))
        self.owned_markdown = _with_required_extensions(*self.site_markdown)
        if self.tree.endpoints:
            self._add_endpoint_assets(config)
        shown = visible_documents(self.tree, self.settings)
        self.bounded_nav = bool(self.tree.endpoints) and len(shown) > FULL_NAV_PAGES
        if self.bounded_nav:
            _bound_material_nav(config)
        if self.tree.endpoints:
            _add_material_overrides(config, ACCESSIBILITY_OVERRIDES)
        self.hidden = _hidden_uris(self.tree, shown)
        # A site without definitions keeps MkDocs' own nav (files, titles, order).
        if not config.nav and self.tree.has_definitions:
            config.nav = build_nav(self.tree, shown)
            self.nav_from_tree = True
        self._report(self.tree.findings + duplicate_endpoints(shown))
        return config

    def _add_endpoint_assets(self, config: MkDocsConfig) -> None:
        assert self.settings is not None
        features = config.theme.get("features")
        if isinstance(features, list):
            for feature in ("content.tabs.link", "content.code.copy"):
                if feature not in features:
                    features.append(feature)
        for css in sorted(ASSETS.glob("*.css")):
            uri = f"{ASSET_URI}/{css.name}"
            if uri not in config.extra_css:
                config.extra_css.append(uri)

    def _report(self, findings: list[Finding]) -> None:
        errors = [f for f in findings if f.is_error]
        for finding in findings:
            if not finding.is_error:
                log.warning(str(finding))
        if errors and not self.is_serving:
            raise PluginError("definition errors:\n" + "\n".join(f"  {finding}" for finding in errors))
        for finding in errors:
            log.error(str(finding))

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        for file in list(files):
            if file.src_uri.endswith(OVERLAY_SUFFIX):
                files.remove(file)
            elif file.src_uri in self.hidden:
                # Excluded, not removed: MkDocs then treats links to the page as another
                # audience's business (info, not a strict-mode warning) and still never writes it.
                file.inclusion = InclusionLevel.EXCLUDED
        if not self.tree.endpoints:
            return files
        for asset in sorted(ASSETS.iterdir()):
            if asset.is_file():
                files.append(File.generated(config, f"{ASSET_URI}/{asset.name}", abs_src_path=str(asset)))
        if self.settings is not None and self.settings.explorer:
            files.append(File.generated(config, EXPLORER_SCRIPT, content=explorer_script()))
        if self.settings is not None and not self.tree.errors and files.get_file_from_path(OPENAPI_URI) is None:
            try:
                content = openapi_json(self.settings, self.tree)
            except SnippetError as error:
                raise PluginError(f"openapi.json: {error}") from None
            files.append(File.generated(config, OPENAPI_URI, content=content))
        return files

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        """Nothing for MkDocs to read on a definition's page: the plugin renders it from the
        definition it loaded, and gives the page its meta. MkDocs would parse the front matter
        once more, with PyYAML's Python loader: an imported spec's examples and schemas made
        that a seventh of a build."""
        document = self.tree.documents.get(page.file.src_uri)
        return "" if document is not None and not document.passthrough else None

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.settings is not None
        document = self.tree.documents.get(page.file.src_uri)
        if document is None:
            broken = [f for f in self.tree.errors
                      if page_of_finding(f.path).resolve() == Path(page.file.abs_src_path or "").resolve()]
            if broken:
                # Only reachable in `serve`: show the writer what is wrong, keep the other pages up.
                page.meta["title"] = theme_text(page.file.name)
                # Messages quote the writer's text (a YAML error shows `<scalar>`): literal, one item each.
                lines = "\n".join(f"    - {markdown_text(str(finding)).strip()}" for finding in broken)
                return f"# {markdown_text(page.file.name).strip()}\n\n!!! failure \"This definition has errors\"\n\n{lines}\n"
            return markdown
        if document.passthrough:
            page.meta = page_meta(document, page.meta)
            return markdown
        try:
            rendered = render_page(document, self.settings, self.languages, self._aside_extensions(), response_schema)
        except SnippetError as error:
            raise PluginError(f"{document.source}: {error}") from None
        # MkDocs renders this page next, with the config's extensions: ours for this page only,
        # put back in on_page_content. Only the writer's prose is Markdown; the generated parts
        # go in as HTML afterwards (see RenderedPage).
        config["markdown_extensions"], config["mdx_configs"] = self.owned_markdown
        # What other plugins gave the page (Material's `meta`: .meta.yml), then the definition's own keys.
        page.meta = page_meta(document, {**page.meta, **document.meta})  # definitions are data: every shown text escaped
        nonce = secrets.token_hex(8)
        markdown, marks = rendered.marked(nonce)
        self._generated[page.file.src_uri] = _Generated(marks, aside_mark(nonce), rendered.column, document.source)
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        config["markdown_extensions"], config["mdx_configs"] = self.site_markdown
        generated = self._generated.get(page.file.src_uri)
        if generated is None:
            return html
        html = RenderedPage.fill(html, generated.marks)
        if page.present_anchor_ids is not None:  # for MkDocs' check of links to anchors
            for part in generated.marks.values():
                page.present_anchor_ids.update(anchor_ids(part))
        return html

    @event_priority(50)
    def _index_search_views(self, context: TemplateContext, *, page: Page, config: MkDocsConfig,
                            nav: Navigation) -> TemplateContext:
        """Before the search plugins index the page: its generated parts as `search_view`s."""
        generated = self._generated.get(page.file.src_uri)
        if generated is None or page.content is None:
            return context
        content, pieces, at = page.content, [], 0
        for part in generated.marks.values():
            view = search_view(part)
            found = content.find(part, at)
            if found < 0 or view == part or not view.strip():
                continue  # moved by another plugin, or nothing to gain (the layout's own tags)
            pieces += [content[at:found], view]
            generated.views.append((view, part))
            at = found + len(part)
        generated.shown, generated.indexed = content, "".join(pieces) + content[at:]
        page.content = generated.indexed
        return context

    @event_priority(-100)
    def _show_generated(self, context: TemplateContext, *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> TemplateContext:
        """Put the generated parts back and the request column in, after the search plugins
        have indexed the page.

        The column is generated: snippets, examples and the explorer's form, alike on every
        page, which would only crowd the search results (parsing it was a fifth of a build).
        The page's prose, parameters and responses are indexed as before. On a large site the
        nav partials also get the page's window of long nav levels.
        """
        if self.bounded_nav:
            window = NavWindow(nav, page)
            context["apidocs_nav_window"] = window  # type: ignore[typeddict-unknown-key]
            context["nav"] = WindowedNav(nav, window)  # type: ignore[typeddict-item]
            context["apidocs_nav_link"] = NavLinks(page, config.extra.get("status"))  # type: ignore[typeddict-unknown-key]
        generated = self._generated.pop(page.file.src_uri, None)
        if generated is None or page.content is None:
            return context
        if page.content is generated.indexed and generated.shown is not None:
            page.content = generated.shown
        else:  # another plugin changed the content meanwhile: keep its change, put our parts back
            content, at = page.content, 0
            for view, part in generated.views:
                found = content.find(view, at)
                if found >= 0:
                    content = content[:found] + part + content[found + len(view):]
                    at = found + len(part)
            page.content = content
        if generated.column is None:
            return context
        try:
            column = generated.column()
        except SnippetError as error:
            raise PluginError(f"{generated.source}: {error}") from None
        shown = REQUEST_COLUMN_START + column + REQUEST_COLUMN_END if self.is_serving else column
        page.content = RenderedPage.fill(page.content, {generated.aside_mark: shown})
        if page.present_anchor_ids is not None:
            page.present_anchor_ids.update(anchor_ids(column))
        if self.settings is not None and self.settings.explorer and PANEL_MARK in column:
            # Only pages with a panel load the explorer. The tag sits in the content, which
            # Material's instant navigation swaps in and whose scripts it runs, so a reader who
            # arrives from a page without a panel gets the script too (it starts once per tab).
            # `defer`: on a page load it runs after Material's bundle, whose document$ it needs.
            page.content += f'\n<script src="{html_text(get_relative_url(EXPLORER_SCRIPT, page.url))}" defer></script>\n'
        return context

    on_page_context = CombinedEvent(_index_search_views, _show_generated)

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        document = self.tree.documents.get(page.file.src_uri)
        if document is None or document.passthrough:
            return output  # the site's own pages stay byte for byte what MkDocs writes
        if not self.is_serving:
            # Written next and not read again: MkDocs would hold every page's HTML to the end
            # of the build (`apidocs serve` keeps it, to render pages again on their own).
            page.content = None
        return compact_html(output)

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self._nav = nav
        self._report_excluded(files)
        return nav

    def _report_excluded(self, files: Files) -> None:
        """A definition MkDocs leaves out (its `exclude_docs`, and always `templates/` at the top of
        the docs) would have no page, yet be in openapi.json, the sandbox and a green build: a
        warning (an error under --strict), so no endpoint is lost silently."""
        for uri, document in self.tree.documents.items():
            if document.passthrough or uri in self.hidden:
                continue  # an ordinary page is MkDocs' own business; another audience's is left out on purpose
            file = files.get_file_from_path(uri)
            if file is not None and file.inclusion.is_excluded():
                log.warning(f"{document.source}: MkDocs leaves this page out of the site (`exclude_docs`, or "
                            "`templates/` at the top of the docs, which it always leaves out); "
                            "move the file, or hide it from readers with `visibility`")

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        self.bounded_nav = self.bounded_nav and _nav_item_is_ours(env)
        if self.bounded_nav:  # our partials are in: theme/partials/language.html reads these
            env.globals["apidocs_translations"] = Translations()
        if self.is_serving and self._nav is not None:
            self.built_state = BuiltState(files, self._nav, env)
        return env

    def _aside_extensions(self) -> list[AsideExtension]:
        return [partial(render_panel, context=self.serve_context)]

    def reload_languages(self) -> None:
        """For `apidocs serve`, after a change in the snippets folder: its templates as they are now."""
        assert self.settings is not None
        self.languages = load_languages(self.settings.snippets_dir)

    def render_request_column(self, endpoint: Endpoint) -> str:
        """An endpoint page's request column, as the page has it (for `apidocs serve`)."""
        assert self.settings is not None
        return request_column(endpoint, self.settings, self.languages, self._aside_extensions())

    def reload_tree(self, config: MkDocsConfig) -> DocsTree | None:
        """For `apidocs serve`: read the docs again (unchanged definitions come from the cache)
        and follow them with the nav and the hidden pages; the tree before.

        None, leaving everything as it was, when the change reaches beyond pages and the nav:
        the audience's pages, the first or last endpoint, the site size that bounds the nav, the
        last error gone from a site first built with errors (it has no openapi.json to update).
        A page gaining or losing errors is the caller's to render again alone.
        """
        assert self.settings is not None
        before, cache = self.tree, self.definition_cache
        read = cache.reader(self.settings.includes_dir, self.settings.site, self.settings.definitions) if cache else None
        tree = load_tree(self.settings.docs_dir, self.settings.includes_dir, self.settings.site,
                         definitions=self.settings.definitions, read=read)
        if cache is not None:
            cache.forget_unseen()
        try:
            shown, shown_before = visible_documents(tree, self.settings), visible_documents(before, self.settings)
        except ConfigError:
            return None
        hidden = _hidden_uris(tree, shown)
        # A definition gaining or losing errors re-renders its page alone (the page shows the
        # errors; IncrementalSite keeps it). Only a site built with errors, which has no
        # openapi.json, takes a full build once they are gone.
        lost_openapi = (not tree.errors and bool(tree.endpoints) and self.built_state is not None
                        and self.built_state.files.get_file_from_path(OPENAPI_URI) is None)
        if (hidden != self.hidden or lost_openapi or bool(tree.endpoints) != bool(before.endpoints)
                or tree.has_definitions != before.has_definitions
                or (len(shown) > FULL_NAV_PAGES) != (len(shown_before) > FULL_NAV_PAGES)):
            return None
        self.tree = tree
        if self.nav_from_tree:
            config.nav = build_nav(tree, shown)
        known = set(map(str, before.findings + duplicate_endpoints(shown_before)))
        self._report([finding for finding in tree.findings + duplicate_endpoints(shown) if str(finding) not in known])
        return before


def anchor_ids(html: str) -> list[str]:
    """The values of the `id` attributes in `html`."""
    return [found.group(1) for found in _ID_ATTRIBUTE.finditer(html)
            if found.start() > 0 and html[found.start() - 1].isspace()]


def _hidden_uris(tree: DocsTree, shown: list[Document]) -> set[str]:
    """The documents another audience's site shows, not this one."""
    shown_uris = {document.src_uri for document in shown}
    return {uri for uri in tree.documents if uri not in shown_uris}


def _nav_item_is_ours(env: jinja2.Environment) -> bool:
    """Whether pages render nav items with our partial (a site's own nav-item.html wins)."""
    try:
        filename = env.get_template("partials/nav-item.html").filename
    except jinja2.TemplateNotFound:
        return False
    return filename is not None and Path(filename).parent.parent == MATERIAL_OVERRIDES


def _bound_material_nav(config: MkDocsConfig) -> None:
    """Put our Material overrides just before Material's own templates.

    After the site's `custom_dir` (a site's own nav-item.html still wins), before Material's
    templates (ours replace the nav that grows with the square of the pages). Other themes are
    left alone.
    """
    _add_material_overrides(config, MATERIAL_OVERRIDES)


def _add_material_overrides(config: MkDocsConfig, folder: Path) -> None:
    """Put a folder of Material partials after the site's `custom_dir`, before Material's own."""
    dirs: list[str] = config.theme.dirs
    overrides = str(folder)
    material = next((i for i, theme_dir in enumerate(dirs) if Path(theme_dir, "partials", "nav-item.html").is_file()
                     and Path(theme_dir).parent.name == "material"), None)
    if material is not None and overrides not in dirs:
        dirs.insert(material, overrides)


def _with_required_extensions(extensions: list[Any], configs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The site's extensions plus those rendered endpoint pages need; the site's own options win."""
    extensions, configs = list(extensions), dict(configs)
    for name, options in REQUIRED_EXTENSIONS.items():
        if name not in extensions:
            extensions.append(name)
        merged = {**options, **configs.get(name, {})}
        if merged:
            configs[name] = merged
    return extensions, configs
