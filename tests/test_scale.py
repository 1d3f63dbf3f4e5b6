"""Large sites: a generated project of 300 endpoints in sections of 20.

- every page's nav is bounded: its own section open, every other section one link, so a page's
  size does not grow with the site; search still indexes every page;
- the explorer's script is on pages with a panel only, and a reader arriving by instant
  navigation from a page without one still gets a working panel (real Chromium);
- `apidocs serve`: saving one definition re-renders that page alone (the others stay byte for
  byte), and the sandbox answers on the definition's new path at once; a new name reaches the
  nav of every page (this site is small enough for the full nav) without a full build.

Speed is measured by bench/build.py and bench/serve.py, not here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
import yaml
from playwright.sync_api import Page

from apidocs.site.nav_window import NEAR
from apidocs.site.plugin import FULL_NAV_PAGES
from conftest import ROOT
from serve_helpers import APIDOCS, Served, start_serve, stop_serve

PER_SECTION = 20
ENDPOINTS = 300
NAV = re.compile(r'<nav class="md-nav md-nav--primary".*?<div class="md-content"', re.S)  # the whole primary sidebar
LINK = re.compile(r'<a href="([^"]*)" class="md-nav__link')
LIVERELOAD = re.compile(rb"<script>[^<]*livereload[^<]*</script>", re.S)


def definition(index: int, *, note: str = "", path_word: str = "things") -> str:
    method = ("get", "post", "patch", "delete")[index % 4]
    front = {
        "title": f"/{path_word}/<thing_id>/n{index}/",
        "name": f"Endpoint {index:04d}",
        "position": f"5.{index // PER_SECTION}.{index % PER_SECTION}",
        "method": method,
        "description": f"Endpoint number {index}",
        "example": {"params": {"thing_id": "t-1"}, "query": {"page": index},
                    **({"body": {"reason": f"because {index}"}} if method in ("post", "patch") else {})},
        "responses": [{"status": 200, "body": {"id": "t-1", "n": index}}],
    }
    body = f"{note}Does thing {index}.\n\n### URL Parameters:\n\nthing_id\n: (string) The thing\n"
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body


def write_project(root: Path, count: int) -> Path:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "apidocs" in plugin:
            plugin["apidocs"].pop("includes_dir", None)
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("---\ntitle: Home\nposition: 1\n---\n# Home\n\nWelcome.\n", encoding="utf-8")
    for index in range(count):
        section = docs / f"section-{index // PER_SECTION:02d}"
        if not section.is_dir():
            section.mkdir()
            (section / ".section.yml").write_text(yaml.safe_dump({"title": f"Section {index // PER_SECTION:02d}",
                                                                  "position": f"5.{index // PER_SECTION}"}), encoding="utf-8")
        (section / f"endpoint-{index:04d}.md").write_text(definition(index), encoding="utf-8")
    return root


def section_of(index: int) -> str:
    return f"section-{index // PER_SECTION:02d}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_project(tmp_path_factory.mktemp("scale"), ENDPOINTS)
    result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--strict", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "site"


def nav_links(page: Path, url: str) -> list[str]:
    """The primary nav's links as site paths (the page's own headings aside)."""
    html = page.read_text(encoding="utf-8")
    nav = NAV.search(html)
    assert nav is not None, page
    return [urljoin(f"http://site/{url}", link).removeprefix("http://site")
            for link in LINK.findall(nav.group(0)) if not link.startswith("#")]


def test_each_page_carries_its_own_section_and_one_link_per_other_section(built: Path) -> None:
    sections = (ENDPOINTS + PER_SECTION - 1) // PER_SECTION
    for index in (0, 45, 299):
        url = f"{section_of(index)}/endpoint-{index:04d}/"
        page = built / url / "index.html"
        links = nav_links(page, url)
        # Home, the other sections (one link each, to their first page), the own section's pages.
        assert len(links) == 1 + (sections - 1) + PER_SECTION, links
        own = [link for link in links if link.startswith(f"/{section_of(index)}/")]
        assert len(own) == PER_SECTION
        others = [link for link in links if link.startswith("/section-") and link not in own]
        assert sorted(others) == sorted(f"/section-{n:02d}/endpoint-{n * PER_SECTION:04d}/"
                                        for n in range(sections) if f"section-{n:02d}" != section_of(index))
        assert "md-nav__item--pruned" in page.read_text(encoding="utf-8")


def test_page_size_does_not_grow_with_the_site(built: Path) -> None:
    pages = sorted(built.glob("section-*/endpoint-*/index.html"))
    assert len(pages) == ENDPOINTS
    sizes = [page.stat().st_size for page in pages]
    assert max(sizes) < 60 * 1024, max(sizes)
    # 15 sections of 20: both sidebars (nav, table of contents) under 12 KB; Material's full nav of
    # 300 pages alone is over 100 KB.
    navs = [NAV.search(page.read_text(encoding="utf-8")) for page in pages]
    assert max(len(nav.group(0)) if nav else 10**9 for nav in navs) < 12 * 1024


def test_search_still_indexes_every_page(built: Path) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for number in range(ENDPOINTS):
        assert f"{section_of(number)}/endpoint-{number:04d}/" in locations


def test_the_explorer_script_loads_only_where_there_is_a_panel(built: Path) -> None:
    home = (built / "index.html").read_text(encoding="utf-8")
    endpoint = (built / "section-03/endpoint-0061/index.html").read_text(encoding="utf-8")
    assert "explorer.js" not in home and "data-apidocs-explorer" not in home
    assert endpoint.count('<script src="../../assets/apidocs/explorer.js" defer></script>') == 1
    assert "data-apidocs-explorer=" in endpoint


def test_a_long_flat_level_shows_a_window_and_every_page_stays_reachable(tmp_path: Path) -> None:
    """150 endpoints in one folder: each page lists the pages near it, the first and the last,
    and a link per gap; following nav links from the home page reaches every page."""
    project = write_project(tmp_path, 0)
    count = 150
    for index in range(count):
        (project / "docs" / f"endpoint-{index:04d}.md").write_text(definition(index), encoding="utf-8")
    result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--strict", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    site = project / "site"
    middle = (site / "endpoint-0075/index.html").read_text(encoding="utf-8")
    nav = NAV.search(middle)
    assert nav is not None
    links = nav_links(site / "endpoint-0075/index.html", "endpoint-0075/")
    assert len(links) <= 1 + (2 * NEAR + 1) + 2 + 2, links  # home, the window, first and last, two gaps
    assert re.findall(r'<span class="md-ellipsis">… (\d+) more</span>', nav.group(0))  # the gaps say what they stand for
    seen, todo = {"/"}, ["/"]
    while todo:
        url = todo.pop()
        page = site / url.strip("/") / "index.html"
        for link in nav_links(page, url.lstrip("/")):
            if link not in seen:
                seen.add(link)
                todo.append(link)
    assert {f"/endpoint-{index:04d}/" for index in range(count)} <= seen


def test_small_sites_keep_materials_full_nav(built: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path, FULL_NAV_PAGES - 1)  # with the home page: FULL_NAV_PAGES pages
    result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    url = "section-00/endpoint-0001/"
    links = nav_links(project / "site" / url / "index.html", url)
    assert len(links) == FULL_NAV_PAGES and "md-nav__item--pruned" not in (project / "site" / url / "index.html").read_text()


def built_with_own_partial(tmp_path: Path, name: str, text: str, page_url: str) -> str:
    """A site with more pages than the full nav shows, built with its own `partials/<name>`; a page's HTML."""
    project = write_project(tmp_path, FULL_NAV_PAGES + 1)
    config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    config["theme"]["custom_dir"] = "overrides"
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (project / "overrides/partials").mkdir(parents=True)
    (project / "overrides/partials" / name).write_text(text, encoding="utf-8")
    result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return (project / "site" / page_url / "index.html").read_text(encoding="utf-8")


def test_a_sites_own_nav_item_override_still_wins(tmp_path: Path) -> None:
    page = built_with_own_partial(
        tmp_path, "nav-item.html",
        '{% macro render(nav_item, path, level, parent) %}<li class="site-own-nav">{{ nav_item.title }}</li>{% endmacro %}\n',
        "section-00/endpoint-0001")
    top_level = 1 + (FULL_NAV_PAGES + 1 + PER_SECTION - 1) // PER_SECTION  # home and the sections
    assert page.count('class="site-own-nav"') == top_level and "md-nav__item--pruned" not in page


def test_a_sites_own_nav_override_still_wins(tmp_path: Path) -> None:
    """apidocs' nav.html writes the top level's plain links itself; a site's own wins over it."""
    page = built_with_own_partial(
        tmp_path, "nav.html",
        '{% import "partials/nav-item.html" as item with context %}<nav class="site-own-primary-nav"><ul>'
        '{% for nav_item in nav.items %}{{ item.render(nav_item, "n" ~ loop.index, 1) }}{% endfor %}</ul></nav>\n',
        "section-01/endpoint-0021")
    assert 'class="site-own-primary-nav"' in page and 'class="md-nav md-nav--primary"' not in page
    top_level = 1 + (FULL_NAV_PAGES + 1 + PER_SECTION - 1) // PER_SECTION  # home and the sections
    own_nav = page[page.index("site-own-primary-nav"):]
    assert own_nav.count("md-nav__item--pruned") == top_level - 2  # the bounded nav items still: all but home and its own


def test_interface_texts_are_materials_own_in_the_sites_language(tmp_path: Path) -> None:
    """apidocs' language.html looks each text up once per build: the pages are byte for byte
    those built with Material's own language.html (German, with English where it has none)."""
    spec = importlib.util.find_spec("material")
    assert spec is not None and spec.origin is not None
    original = (Path(spec.origin).parent / "templates/partials/language.html").read_text(encoding="utf-8")
    pages = []
    for name, partial in (("ours", None), ("materials", original)):
        (tmp_path / name).mkdir()
        project = write_project(tmp_path / name, FULL_NAV_PAGES + 1)
        config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
        config["theme"]["language"] = "de"
        if partial is not None:
            config["theme"]["custom_dir"] = "overrides"
            (project / "overrides/partials").mkdir(parents=True)
            (project / "overrides/partials/language.html").write_text(partial, encoding="utf-8")
        (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(project / "site")],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        pages.append((project / "site/section-01/endpoint-0021/index.html").read_text(encoding="utf-8"))
    assert 'placeholder="Suche"' in pages[0] and "md-nav__item--pruned" in pages[0]
    assert pages[0] == pages[1]


def test_nav_entries_keep_subtitles_status_notes_and_icons(tmp_path: Path) -> None:
    """Plain entries are written by site/nav_links.py, the others by the theme's macros: both
    carry what Material's nav shows (a subtitle, a status with its note, an icon)."""
    project = write_project(tmp_path, FULL_NAV_PAGES + 1)
    config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    config.setdefault("extra", {})["status"] = {"apidocs-get": "Reads only"}
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    docs = project / "docs"
    (docs / "guide.md").write_text("---\ntitle: Guide\nsubtitle: How to start\nposition: 2\n---\n# Guide\n", encoding="utf-8")
    (docs / "tour.md").write_text("---\ntitle: Tour\nicon: material/rocket\nposition: 3\n---\n# Tour\n", encoding="utf-8")
    result = subprocess.run([APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--strict", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    url = "section-01/endpoint-0021/"
    nav = NAV.search((project / "site" / url / "index.html").read_text(encoding="utf-8"))
    assert nav is not None and "md-nav__item--pruned" in nav.group(0)
    assert ('<li class="md-nav__item"><a href="../../guide/" class="md-nav__link"><span class="md-ellipsis">Guide'
            '<br><small>How to start</small></span></a></li>') in nav.group(0)
    tour = re.search(r'<a href="../../tour/" class="md-nav__link">(.*?)</a>', nav.group(0), re.S)
    assert tour is not None and "<svg" in tour.group(1) and "Tour" in tour.group(1)
    get_entry = '<span class="md-ellipsis">Endpoint 0020</span><span class="md-status md-status--apidocs-get" title="Reads only"></span>'
    assert get_entry in nav.group(0)
    assert '<span class="md-status md-status--apidocs-post"></span>' in nav.group(0)  # no note: no title


# --- apidocs serve ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served_scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Served]]:
    project = write_project(tmp_path_factory.mktemp("scale-serve"), 60)
    server = start_serve(project, timeout=300)
    yield project, server
    stop_serve(server)


def page_bytes(server: Served, url: str) -> bytes:
    answer = requests.get(f"{server.url}/{url}", timeout=60)
    assert answer.status_code == 200
    return LIVERELOAD.sub(b"", answer.content)  # the reload script carries the build's epoch


def poll(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_saving_one_definition_rerenders_that_page_alone(served_scale: tuple[Path, Served]) -> None:
    project, server = served_scale
    edited, neighbour, elsewhere = "section-01/endpoint-0025/", "section-01/endpoint-0026/", "section-02/endpoint-0041/"
    before = {url: page_bytes(server, url) for url in (neighbour, elsewhere, "")}
    source = project / "docs" / "section-01" / "endpoint-0025.md"
    source.write_text(definition(25, note="Freshly saved words. "), encoding="utf-8")
    poll(lambda: b"Freshly saved words." in page_bytes(server, edited), "the edited page shows the change")
    assert {url: page_bytes(server, url) for url in before} == before
    assert "Rebuilt 1 page(s) alone: section-01/endpoint-0025.md" in server.output()


def test_a_new_path_answers_in_the_sandbox_after_a_save(served_scale: tuple[Path, Served]) -> None:
    project, server = served_scale
    source = project / "docs" / "section-00" / "endpoint-0004.md"
    assert requests.get(f"{server.url}/sandbox/gadgets/t-1/n4/?page=4", timeout=30).status_code == 404
    source.write_text(definition(4, path_word="gadgets"), encoding="utf-8")
    poll(lambda: b"/gadgets/" in page_bytes(server, "section-00/endpoint-0004/"), "the page shows the new path")
    # The routes follow in a thread of their own, right after the page.
    poll(lambda: requests.get(f"{server.url}/sandbox/gadgets/t-1/n4/?page=4", headers={"Authorization": "Token 1234567890"},
                              timeout=30).status_code == 200, "the sandbox answers on the new path", timeout=30)
    answer = requests.get(f"{server.url}/sandbox/gadgets/t-1/n4/?page=4", headers={"Authorization": "Token 1234567890"}, timeout=30)
    assert answer.json() == {"id": "t-1", "n": 4}
    assert requests.get(f"{server.url}/sandbox/things/t-1/n4/?page=4", headers={"Authorization": "Token 1234567890"},
                        timeout=30).status_code == 404  # the old path is gone


def test_a_title_change_reaches_every_page_of_a_small_site_without_a_full_build(served_scale: tuple[Path, Served]) -> None:
    project, server = served_scale
    source = project / "docs" / "section-02" / "endpoint-0042.md"
    source.write_text(definition(42).replace("name: Endpoint 0042", "name: Renamed Endpoint"), encoding="utf-8")
    # The neighbour's nav lists its section's pages: it must learn the new name too; on a site
    # under 100 pages each page carries the whole nav, so does a page of another section.
    poll(lambda: b"Renamed Endpoint" in page_bytes(server, "section-02/endpoint-0043/"), "the neighbour's nav shows the new name")
    assert b"Renamed Endpoint" in page_bytes(server, "section-00/endpoint-0003/")
    assert "Rebuilt 1 page(s) alone: section-02/endpoint-0042.md; the nav of" in server.output()


@pytest.mark.browser
def test_instant_navigation_from_a_page_without_a_panel_starts_the_explorer(served_scale: tuple[Path, Served], page: Page) -> None:
    _, server = served_scale
    page.goto(f"{server.url}/")
    assert page.evaluate("window.apidocsExplorerLoaded === undefined")
    page.locator(".md-nav--primary").get_by_role("link", name="Endpoint 0020").first.click()
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert page.evaluate("location.pathname") == "/section-01/endpoint-0020/"
    page.locator(".md-nav--primary").get_by_role("link", name="Endpoint 0021").first.click()
    page.wait_for_function("location.pathname === '/section-01/endpoint-0021/'")
    page.locator("[data-apidocs-explorer][data-ready]").wait_for()
    assert page.locator("[data-apidocs-explorer]").count() == 1
