"""`apidocs serve` after a change, on a site with the bounded nav (over 100 pages, sections of 20):

- a renamed, new or deleted page re-renders the pages whose nav shows it (its section, its
  neighbours; every page when the first page of a section changes) and no other page;
- when over 100 pages' nav changes (a section's title), the pages of the changed folder are
  rendered at once and every other page when requested (or in the background): each page
  served shows the nav as it is;
- the search index and openapi.json follow a saved page;
- a snippet template change puts each endpoint page's request column in again, page by page,
  without a full build, and pages rendered later for their nav keep it; a template that fails
  on some endpoints changes no page and is reported at its line;
- a definition gaining an error shows it on its page, and losing it shows the page again, each
  without a full build;
- a config change rebuilds the whole site while the previous one is still served, complete.

Speed is measured by bench/serve.py, not here.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from apidocs.site.incremental import CHILD_GRACE_SECONDS, PARALLEL_AT_LEAST, render_in_parallel
from process_helpers import children_of
from serve_helpers import ROOT, Served, start_serve, stop_serve
from test_scale import definition, page_bytes, poll, write_project

ENDPOINTS = 120  # over FULL_NAV_PAGES: each page carries its own section's nav only


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Served]]:
    project = write_project(tmp_path_factory.mktemp("serve-incremental"), ENDPOINTS)
    shutil.copytree(ROOT / "snippets", project / "snippets")  # its own templates, to change one
    server = start_serve(project, timeout=300)
    yield project, server
    stop_serve(server)


def search_locations(server: Served) -> dict[str, list[str]]:
    """Page address -> titles of its search entries."""
    index = requests.get(f"{server.url}/search/search_index.json", timeout=60).json()
    entries: dict[str, list[str]] = {}
    for entry in index["docs"]:
        entries.setdefault(entry["location"].split("#")[0], []).append(entry["title"])
    return entries


def test_a_renamed_page_reaches_its_sections_nav_and_no_other_page(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    others = ("", "section-00/endpoint-0001/", "section-05/endpoint-0110/")
    before = {url: page_bytes(server, url) for url in others}
    source = project / "docs" / "section-02" / "endpoint-0045.md"
    source.write_text(definition(45).replace("name: Endpoint 0045", "name: Renamed Forty-Five"), encoding="utf-8")
    poll(lambda: b"Renamed Forty-Five" in page_bytes(server, "section-02/endpoint-0046/"), "a neighbour's nav shows the new name")
    for url in ("section-02/endpoint-0040/", "section-02/endpoint-0059/", "section-02/endpoint-0045/"):
        assert b"Renamed Forty-Five" in page_bytes(server, url), url  # the whole section's nav
    assert {url: page_bytes(server, url) for url in others} == before  # other sections show one link for it
    assert re.search(r"Rebuilt 1 page\(s\) alone: section-02/endpoint-0045\.md; the nav of \d+ page", server.output())


def test_a_new_page_joins_the_nav_sitemap_and_search(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    text = definition(65).replace("name: Endpoint 0065", "name: Freshly Added").replace("/n65/", "/n65-added/")
    (project / "docs" / "section-03" / "endpoint-0065-added.md").write_text(text, encoding="utf-8")
    poll(lambda: requests.get(f"{server.url}/section-03/endpoint-0065-added/", timeout=60).status_code == 200, "the new page is served")
    assert b"Freshly Added" in page_bytes(server, "section-03/endpoint-0070/")
    assert b'href="../endpoint-0065-added/"' in page_bytes(server, "section-03/endpoint-0070/")
    assert "section-03/endpoint-0065-added/" in requests.get(f"{server.url}/sitemap.xml", timeout=60).text
    assert "section-03/endpoint-0065-added/" in search_locations(server)
    poll(lambda: "/n65-added/" in requests.get(f"{server.url}/openapi.json", timeout=60).text, "openapi.json has the new path")


def test_deleting_the_first_page_of_a_section_moves_every_pages_link_to_it(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    assert b'href="../../section-04/endpoint-0080/"' in page_bytes(server, "section-00/endpoint-0001/")
    (project / "docs" / "section-04" / "endpoint-0080.md").unlink()
    poll(lambda: requests.get(f"{server.url}/section-04/endpoint-0080/", timeout=60).status_code == 404, "the page is gone")
    # Every other section links to a section by its first page: now the next one, on every page.
    for url in ("section-00/endpoint-0001/", "section-05/endpoint-0119/", "section-04/endpoint-0081/"):
        page = page_bytes(server, url)
        assert b"section-04/endpoint-0081/" in page and b"endpoint-0080/" not in page, url
    assert b"endpoint-0080" not in page_bytes(server, "")
    assert "section-04/endpoint-0080/" not in search_locations(server)
    assert "endpoint-0080" not in requests.get(f"{server.url}/sitemap.xml", timeout=60).text


def test_search_and_openapi_follow_a_saved_page(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    source = project / "docs" / "section-01" / "endpoint-0030.md"
    source.write_text(definition(30, note="Searchable new words. ", path_word="widgets"), encoding="utf-8")
    poll(lambda: b"Searchable new words." in page_bytes(server, "section-01/endpoint-0030/"), "the page shows the change")
    index = requests.get(f"{server.url}/search/search_index.json", timeout=60).json()
    texts = [entry["text"] for entry in index["docs"] if entry["location"].startswith("section-01/endpoint-0030/")]
    assert any("Searchable new words." in text for text in texts)
    assert len([entry for entry in index["docs"] if entry["location"] == "section-01/endpoint-0030/"]) == 1  # replaced, not added
    # openapi.json is made again right after the page is served.
    poll(lambda: "/widgets/{thing_id}/n30/" in requests.get(f"{server.url}/openapi.json", timeout=60).json()["paths"],
         "openapi.json has the new path")
    assert "/things/{thing_id}/n30/" not in requests.get(f"{server.url}/openapi.json", timeout=60).json()["paths"]


def test_a_section_title_reaches_every_page_first_requested(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    (project / "docs" / "section-03" / ".section.yml").write_text(
        'title: Retitled Section\nposition: "5.3"\n', encoding="utf-8")
    poll(lambda: b"Retitled Section" in page_bytes(server, "section-03/endpoint-0061/"), "the section's own pages show it")
    # The other pages' nav is rendered on request: whichever is asked for first shows the new title.
    for url in ("section-05/endpoint-0117/", "", "section-00/endpoint-0002/", "section-01/endpoint-0033/", "404.html"):
        assert b"Retitled Section" in page_bytes(server, url), url
    assert re.search(r"the nav of \d+ page\(s\); \d+ more on request or in the background", server.output())


def test_a_snippet_template_change_reaches_every_request_column_without_a_full_build(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    urls = ("section-00/endpoint-0007/", "section-05/endpoint-0107/", "section-02/endpoint-0050/")
    before = {url: page_bytes(server, url) for url in urls}
    template = project / "snippets" / "curl.sh.j2"
    logged = len(server.output())
    template.write_text("# Edited snippet line\n" + template.read_text(encoding="utf-8"), encoding="utf-8")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # Each page is replaced whole: an answer is the page before the change or after it.
        pages = {url: page_bytes(server, url) for url in urls}
        for url, page in pages.items():
            if b"Edited snippet line" not in page:
                assert page == before[url], url
        if all(b"Edited snippet line" in page for page in pages.values()):
            break
        time.sleep(0.05)
    # (logged once every page is through: the pages asked for may be replaced before)
    poll(lambda: re.search(r"Rendered the request column of \d+ page\(s\) again", server.output()[logged:]),
         "the update is logged")
    assert "Cleaning site directory" not in server.output()[logged:]  # no full build
    # Only the column changed; and it is the column a whole render of the page gives.
    spliced = page_bytes(server, urls[0])
    assert spliced.split(b'<div class="apidocs-aside">')[0] == before[urls[0]].split(b'<div class="apidocs-aside">')[0]
    source = project / "docs" / "section-00" / "endpoint-0007.md"
    logged = len(server.output())
    # A comment in the front matter: read again and rendered whole, to the same page.
    source.write_text(source.read_text(encoding="utf-8").replace("---\n", "---\n# saved again\n", 1), encoding="utf-8")
    poll(lambda: "Rebuilt 1 page(s) alone: section-00/endpoint-0007.md" in server.output()[logged:], "the page is rendered again")
    assert page_bytes(server, urls[0]) == spliced
    poll(lambda: "# Edited snippet line" in requests.get(f"{server.url}/openapi.json", timeout=60).text,
         "openapi.json's code samples follow the templates")


def test_request_columns_render_on_two_cores_and_the_same_as_on_one() -> None:
    """The second half in a forked process; its result is checked, and what it could not do
    (here: it fails on purpose) is rendered in this process instead."""
    parent = os.getpid()
    endpoints: list[Any] = list(range(2 * PARALLEL_AT_LEAST + 7))
    pids: set[int] = set()

    def render(endpoint: Any) -> str:
        pids.add(os.getpid())
        return f"<column {endpoint} by {'parent' if os.getpid() == parent else 'child'}>"

    columns = render_in_parallel(render, endpoints)
    assert [column.split(" by ")[0] for column in columns] == [f"<column {index}" for index in endpoints]
    if (os.cpu_count() or 1) > 1:
        assert any("by child" in column for column in columns)  # the second half came from the fork

    def failing_in_the_child(endpoint: Any) -> str:
        if os.getpid() != parent:
            raise RuntimeError("a template that fails in the fork")
        return f"<column {endpoint}>"

    assert render_in_parallel(failing_in_the_child, endpoints) == [f"<column {index}>" for index in endpoints]


def test_a_failing_or_stuck_fork_leaves_nothing_behind_and_the_columns_complete() -> None:
    """A template that fails in this process's half raises, with the fork ended and reaped; a
    fork stuck on a lock another thread held when it was forked is given up after a grace."""
    parent = os.getpid()
    endpoints: list[Any] = list(range(2 * PARALLEL_AT_LEAST))
    others = set(children_of(parent))  # a served site of this module's, say

    def failing_here(endpoint: Any) -> str:
        if os.getpid() == parent and endpoint == 3:
            raise RuntimeError("the template fails on endpoint 3")
        return "x" * 5000  # more than a pipe holds: the fork would wait for a reader forever

    with pytest.raises(RuntimeError, match="endpoint 3"):
        render_in_parallel(failing_here, endpoints)
    assert set(children_of(parent)) <= others

    def stuck_in_the_fork(endpoint: Any) -> str:
        if os.getpid() != parent:
            time.sleep(3600)
        return f"<column {endpoint}>"

    started = time.monotonic()
    assert render_in_parallel(stuck_in_the_fork, endpoints) == [f"<column {index}>" for index in endpoints]
    assert time.monotonic() - started < CHILD_GRACE_SECONDS + 10 and set(children_of(parent)) <= others


def test_under_serve_excluded_files_stay_out_and_other_markdown_spellings_stay_pages(tmp_path: Path) -> None:
    project = write_project(tmp_path, 3)
    config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    config["exclude_docs"] = "secret.txt\n"
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    secret, notes = project / "docs" / "secret.txt", project / "docs" / "notes.markdown"
    secret.write_text("first secret", encoding="utf-8")
    notes.write_text("# Notes\n\nFirst *words*.\n", encoding="utf-8")
    server = start_serve(project, timeout=300)
    try:
        assert status_of(server, "secret.txt") == 404
        secret.write_text("second secret", encoding="utf-8")
        notes.write_text("# Notes\n\nSecond *words*.\n", encoding="utf-8")
        poll(lambda: b"<em>words</em>" in page_bytes(server, "notes/") and b"Second" in page_bytes(server, "notes/"),
             "the other spelling of Markdown is rendered again as a page")
        assert status_of(server, "secret.txt") == 404  # excluded in the build, excluded after a save
    finally:
        stop_serve(server)


def test_during_a_template_change_the_site_is_all_before_or_all_after(served_site: tuple[Path, Served]) -> None:
    """Every page is replaced while page requests wait: once one page shows the change, every
    page asked for after it does (before, the site was a mix for seconds)."""
    project, server = served_site
    urls = [f"section-{index // 20:02d}/endpoint-{index:04d}/" for index in range(1, 119, 7)]
    template = project / "snippets" / "httpie.sh.j2"
    template.write_text("# Second edited snippet line\n" + template.read_text(encoding="utf-8"), encoding="utf-8")
    seen_new = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for url in urls:
            answer = requests.get(f"{server.url}/{url}", timeout=60)
            if answer.status_code != 200:
                continue  # a page another test of the module moved
            new = b"Second edited snippet line" in answer.content
            assert new or not seen_new, f"{url}: the page before the change, after another showed it"
            seen_new = seen_new or new
        if seen_new:
            break
    assert seen_new, "the change never came"


def test_a_page_rendered_again_for_its_nav_keeps_the_changed_snippet_template(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    template = project / "snippets" / "node.js.j2"
    logged = len(server.output())
    template.write_text("// Edited node line\n" + template.read_text(encoding="utf-8"), encoding="utf-8")
    poll(lambda: re.search(r"Rendered the request column of \d+ page\(s\) again", server.output()[logged:]),
         "the template change is through", timeout=120)
    assert b"Edited node line" in page_bytes(server, "section-01/endpoint-0036/")
    # A renamed page: the pages of its section are rendered again for their nav, from what
    # MkDocs kept of each page, which must hold the new request column too.
    source = project / "docs" / "section-01" / "endpoint-0035.md"
    source.write_text(definition(35).replace("name: Endpoint 0035", "name: Renamed Thirty-Five"), encoding="utf-8")
    poll(lambda: b"Renamed Thirty-Five" in page_bytes(server, "section-01/endpoint-0036/"), "a neighbour's nav shows the new name")
    for url in ("section-01/endpoint-0036/", "section-01/endpoint-0021/", "section-01/endpoint-0035/"):
        assert b"Edited node line" in page_bytes(server, url), url


def test_a_template_failing_on_some_endpoints_changes_no_page_and_names_its_line(tmp_path: Path) -> None:
    # A site of its own: the broken template leaves a change for the server to take after the
    # full build it starts, which would fall into another test's change.
    project = write_project(tmp_path, 8)
    shutil.copytree(ROOT / "snippets", project / "snippets")
    server = start_serve(project, timeout=120)
    try:
        template = project / "snippets" / "httpie.sh.j2"
        urls = ("section-00/endpoint-0001/", "section-00/endpoint-0003/")  # a POST and a DELETE endpoint
        before = {url: page_bytes(server, url) for url in urls}
        # Fails for DELETE requests only, on line 2: rendered one page at a time, the pages of
        # other methods would get line 1 before the error stops the update.
        template.write_text("# Half-applied line\n{% if request.method == 'DELETE' %}{{ request.nope }}{% endif %}\n"
                            + template.read_text(encoding="utf-8"), encoding="utf-8")
        poll(lambda: "Aborted with a BuildError" in server.output(), "the full build after the update fails too", timeout=120)
        assert "httpie.sh.j2:2:" in server.output()  # the line of the template that failed
        assert {url: page_bytes(server, url) for url in urls} == before
    finally:
        stop_serve(server)


def test_a_definition_error_shows_on_its_page_and_goes_without_a_full_build(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    source = project / "docs" / "section-05" / "endpoint-0112.md"
    good = definition(112)
    source.write_text(good, encoding="utf-8")
    poll(lambda: b"Endpoint 0112" in page_bytes(server, "section-05/endpoint-0113/"), "the page is in its section's nav")
    logged = len(server.output())
    broken = good.replace("\nmethod: ", "\nbroken: [unclosed\nmethod: ", 1)
    line = broken.splitlines().index("method: get") + 1  # where the parser finds the list unclosed
    source.write_text(broken, encoding="utf-8")
    poll(lambda: b"This definition has errors" in page_bytes(server, "section-05/endpoint-0112/"), "the page shows the error")
    page = page_bytes(server, "section-05/endpoint-0112/").decode()
    assert f"endpoint-0112.md:{line}" in page and "not valid YAML" in page
    assert b"Endpoint 0112" not in page_bytes(server, "section-05/endpoint-0113/")  # out of the nav, as a full build leaves it
    source.write_text(good, encoding="utf-8")
    poll(lambda: b"Does thing 112." in page_bytes(server, "section-05/endpoint-0112/"), "the page is back")
    poll(lambda: b"Endpoint 0112" in page_bytes(server, "section-05/endpoint-0113/"), "and back in the nav")
    assert "Cleaning site directory" not in server.output()[logged:]  # no full build either way


def test_an_overlay_error_shows_on_its_definitions_page_without_a_full_build(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    overlay = project / "docs" / "section-05" / "endpoint-0114.apidocs.yml"
    logged = len(server.output())
    overlay.write_text("responses: [unclosed\n", encoding="utf-8")
    poll(lambda: b"This definition has errors" in page_bytes(server, "section-05/endpoint-0114/"), "the page shows the error")
    assert b"endpoint-0114.apidocs.yml" in page_bytes(server, "section-05/endpoint-0114/")
    overlay.unlink()
    poll(lambda: b"Does thing 114." in page_bytes(server, "section-05/endpoint-0114/"), "the page is back")
    assert "Cleaning site directory" not in server.output()[logged:]  # no full build either way


def status_of(server: Served, url: str) -> int:
    return requests.get(f"{server.url}/{url}", timeout=60).status_code


def test_a_renamed_section_folder_moves_its_pages_without_a_full_build(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    logged = len(server.output())
    (project / "docs" / "section-04").rename(project / "docs" / "section-04-renamed")  # its pages, gone and new
    poll(lambda: status_of(server, "section-04-renamed/endpoint-0085/") == 200, "the pages are at their new address")
    assert status_of(server, "section-04/endpoint-0085/") == 404
    first = min(path.stem for path in (project / "docs" / "section-04-renamed").glob("endpoint-*.md"))  # as the module's tests left it
    link = f"section-04-renamed/{first}/".encode()
    poll(lambda: link in page_bytes(server, "section-00/endpoint-0003/"), "every nav links there")
    assert "Cleaning site directory" not in server.output()[logged:]


def test_a_section_folder_moved_out_of_the_tree_leaves_the_site(served_site: tuple[Path, Served], tmp_path: Path) -> None:
    """A folder moved to the trash is one event for all it held."""
    project, server = served_site
    logged = len(server.output())
    folder = project / "docs" / "section-04-renamed"
    if not folder.is_dir():  # run alone
        folder = project / "docs" / "section-04"
    url = f"{folder.name}/endpoint-0085/"
    assert status_of(server, url) == 200
    folder.rename(tmp_path / "trash")
    poll(lambda: status_of(server, url) == 404, "the folder's pages are gone")
    poll(lambda: f"{folder.name}/".encode() not in page_bytes(server, "section-00/endpoint-0003/"), "and out of every nav")
    assert folder.name not in requests.get(f"{server.url}/sitemap.xml", timeout=60).text
    (tmp_path / "trash").rename(folder)  # and back
    poll(lambda: status_of(server, url) == 200, "the folder's pages are back")
    assert "Cleaning site directory" not in server.output()[logged:]


def test_static_files_and_editor_backups_are_copied_without_a_full_build(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    logged = len(server.output())
    page = project / "docs" / "section-00" / "endpoint-0009.md"
    backup = page.with_name(page.name + "~")  # what Emacs leaves beside a file it saves
    backup.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    picture = project / "docs" / "section-00" / "diagram.svg"
    picture.write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>first</title></svg>', encoding="utf-8")
    poll(lambda: status_of(server, "section-00/diagram.svg") == 200, "a new static file is served")
    picture.write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>second</title></svg>', encoding="utf-8")
    poll(lambda: b"second" in requests.get(f"{server.url}/section-00/diagram.svg", timeout=60).content, "and its change")
    page.write_text(definition(9, note="Saved beside a backup. "), encoding="utf-8")
    poll(lambda: b"Saved beside a backup." in page_bytes(server, "section-00/endpoint-0009/"), "the page shows the change")
    assert status_of(server, "section-00/endpoint-0009.md~") == 200  # copied, as a full build copies it
    picture.unlink()
    backup.unlink()
    poll(lambda: status_of(server, "section-00/diagram.svg") == 404, "a deleted static file is gone")
    assert "Cleaning site directory" not in server.output()[logged:]


def test_a_config_change_serves_the_previous_site_until_the_new_one_is_complete(served_site: tuple[Path, Served]) -> None:
    project, server = served_site
    config = project / "mkdocs.yml"
    logged = len(server.output())
    config.write_text(re.sub(r"^site_name: .*$", "site_name: Edited Site Name", config.read_text(encoding="utf-8"),
                             count=1, flags=re.M), encoding="utf-8")
    poll(lambda: "Cleaning site directory" in server.output()[logged:], "the full build starts")
    during = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        # Each answer comes whole from one site: the previous one while the build runs, then the new one.
        pages = [page_bytes(server, url) for url in ("section-00/endpoint-0007/", "section-05/endpoint-0107/")]
        built = "Documentation built" in server.output()[logged:]
        shown = [b"Edited Site Name" in page for page in pages]
        if not built:
            during += 1
            assert shown == [False, False]
        elif all(shown):
            break
        else:
            poll(lambda: "Reloading browsers" in server.output()[logged:], "the new site is switched to")
    assert all(shown), "the new site never came"
    assert during >= 1  # answered while the build ran, not after it


def test_with_its_own_nav_a_fixed_definition_and_openapi_json_come_back_whole(tmp_path: Path) -> None:
    # A site with a `nav:` of its own keeps a broken page in it: once fixed, the page has its
    # neighbours again. And openapi.json, not written while the tree has errors, follows a path
    # changed meanwhile as soon as the last error (here a section file's) is gone.
    project = write_project(tmp_path, 6)
    config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))
    config["nav"] = ["index.md", {"Things": [f"section-00/endpoint-{index:04d}.md" for index in range(6)]}]
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    server = start_serve(project, timeout=120)
    try:
        source = project / "docs" / "section-00" / "endpoint-0003.md"
        next_link = b'<link rel="next" href="../endpoint-0004/">'
        assert next_link in page_bytes(server, "section-00/endpoint-0003/")
        source.write_text(definition(3).replace("\nmethod: ", "\nbroken: [unclosed\nmethod: ", 1), encoding="utf-8")
        poll(lambda: b"This definition has errors" in page_bytes(server, "section-00/endpoint-0003/"), "the page shows the error")
        source.write_text(definition(3), encoding="utf-8")
        poll(lambda: b"Does thing 3." in page_bytes(server, "section-00/endpoint-0003/"), "the page is back")
        assert next_link in page_bytes(server, "section-00/endpoint-0003/")

        section = project / "docs" / "section-00" / ".section.yml"
        kept = section.read_text(encoding="utf-8")
        section.write_text("title: [unclosed\n", encoding="utf-8")
        poll(lambda: ".section.yml" in server.output(), "the section file's error is reported")
        (project / "docs" / "section-00" / "endpoint-0002.md").write_text(definition(2, path_word="gadgets"), encoding="utf-8")
        poll(lambda: b"/gadgets/" in page_bytes(server, "section-00/endpoint-0002/"), "the page shows the new path")
        section.write_text(kept, encoding="utf-8")
        poll(lambda: "/gadgets/{thing_id}/n2/" in requests.get(f"{server.url}/openapi.json", timeout=60).text,
             "openapi.json has the path changed while there were errors")
    finally:
        stop_serve(server)
