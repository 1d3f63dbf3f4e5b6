"""`apidocs verify-site [SITE_DIR]`: refuse a built site whose endpoint pages lack what apidocs renders.

An engine without MkDocs' plugin API (Zensical ignores plugins it does not know) builds a project
that lists the apidocs plugin without a word: every definition comes out as its raw front matter
and pasted snippets. This command looks at the HTML that was built, page by page, for what only
apidocs writes (the endpoint layout, the generated snippet tabs, the Try-it panel) and for Liquid
that nothing expanded, so CI fails instead of publishing raw definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apidocs.model.endpoint import Endpoint

# Markup only apidocs' rendering writes into an endpoint page.
ENDPOINT_MARK = 'class="apidocs-endpoint"'
SNIPPET_TABS_MARK = "tabbed-set"
EXPLORER_MARK = "data-apidocs-explorer="
LIQUID_MARKS = ("{% include", "{{ site.")
MAX_PAGE_BYTES = 64 * 1024 * 1024  # a page larger than this is not read (and reported)


@dataclass
class SiteProblem:
    page: Path
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.page} ({self.source}): {self.message}"


def page_file(site_dir: Path, src_uri: str, use_directory_urls: bool = True) -> Path:
    """Where MkDocs (and Zensical) write the page of `src_uri`."""
    stem, _, _ = src_uri.rpartition(".")
    folder, _, name = stem.rpartition("/")
    if name in ("index", "README"):
        return site_dir / folder / "index.html"
    if use_directory_urls:
        return site_dir / stem / "index.html"
    return site_dir / f"{stem}.html"


def verify_pages(site_dir: Path, endpoints: list[Endpoint], *, explorer: bool, use_directory_urls: bool = True,
                 docs_name: str = "docs") -> list[SiteProblem]:
    problems: list[SiteProblem] = []
    for endpoint in endpoints:
        page = page_file(site_dir, endpoint.src_uri, use_directory_urls)
        source = f"{docs_name}/{endpoint.src_uri}"
        if not page.is_file():
            problems.append(SiteProblem(page, source, "not built"))
            continue
        if page.stat().st_size > MAX_PAGE_BYTES:
            problems.append(SiteProblem(page, source, f"over {MAX_PAGE_BYTES // (1024 * 1024)} MiB, not read"))
            continue
        html = page.read_text(encoding="utf-8", errors="replace")
        missing = [what for what, mark, wanted in (("the endpoint layout", ENDPOINT_MARK, True),
                                                   ("generated snippets", SNIPPET_TABS_MARK, True),
                                                   ("the Try-it panel", EXPLORER_MARK, explorer))
                   if wanted and mark not in html]
        if missing:
            problems.append(SiteProblem(page, source, "lacks " + " and ".join(missing)
                                        + ": it was built by an engine that did not run the apidocs plugin"))
        liquid = [mark for mark in LIQUID_MARKS if mark in html]
        if liquid:
            problems.append(SiteProblem(page, source, f"holds unexpanded Liquid ({liquid[0]!r} ...)"))
    return problems


def run_verify(config_file: str | Path, site_dir: str | Path | None = None, *, audience: str | None = None) -> int:
    """The command: 0 when every endpoint page of the audience carries apidocs' output, else 1 with one line per page."""
    from apidocs.site.prerender import load_project

    project = load_project(Path(config_file), audience)
    raw = project.raw_config
    site = Path(site_dir) if site_dir else project.config_file.parent / str(raw.get("site_dir") or "site")
    if not site.is_dir():
        print(f"apidocs: {site}: no such folder (build the site first, or pass its folder)", flush=True)
        return 1
    endpoints = [document for document in project.shown if isinstance(document, Endpoint)]
    problems = verify_pages(site, endpoints, explorer=project.settings.explorer,
                            use_directory_urls=raw.get("use_directory_urls", True) is not False,
                            docs_name=str(raw.get("docs_dir") or "docs"))
    for problem in problems:
        print(f"apidocs: {problem}", flush=True)
    if problems:
        pages = len({problem.page for problem in problems})
        print(f"apidocs: {pages} of {len(endpoints)} endpoint pages are not apidocs pages; build with "
              "`apidocs build` (`--engine zensical` for Zensical), or `apidocs render DEST` and build DEST", flush=True)
        return 1
    print(f"apidocs: {site}: all {len(endpoints)} endpoint pages carry generated snippets"
          + (" and the Try-it panel" if project.settings.explorer else ""), flush=True)
    return 0
