"""`apidocs render DEST`: the site as plain Markdown that `mkdocs build` (no plugin) and
`zensical build` turn into the same endpoint pages; `build --engine zensical`; `verify-site`.

Every build is a real process; Zensical's tests are skipped only where it is not installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from apidocs.rendering.languages import load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet
from apidocs.site.prerender import MANIFEST, relative_links, render_tree
from apidocs.site.verify import page_file, verify_pages

PYTHON = sys.executable
APIDOCS = str(Path(sys.executable).parent / "apidocs")
CONFIRM = "orders-supplier/confirm-order-cancelation.md"
HOSTILE_NAME = 'Detail <img src=x onerror="window.__pwned=1"> & <b>bold</b>'
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}

needs_zensical = pytest.mark.skipif(subprocess.run([PYTHON, "-c", "import zensical"], capture_output=True).returncode != 0,
                                    reason="zensical is not installed (pip install -e .[test])")


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, env=ENV, timeout=600)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def endpoints_of(project: Path) -> list[Endpoint]:
    settings = load_settings(project / "mkdocs.yml")
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    return [document for document in tree.documents.values() if isinstance(document, Endpoint)]


def expected_snippets(project: Path, src_uri: str) -> list[str]:
    settings = load_settings(project / "mkdocs.yml")
    endpoint = next(e for e in endpoints_of(project) if e.src_uri == src_uri)
    request = build_request(endpoint, settings.auth, settings.default_server)
    return [render_snippet(settings.snippets_dir, language, request).rstrip() for language in load_languages(settings.snippets_dir)]


def tab_codes(html: str) -> list[str]:
    """The text of the request column's first tab set: the snippets."""
    import html as html_module

    aside = html.split('class="apidocs-aside"', 1)[1]
    tabs = aside.split('class="tabbed-set', 1)[1].split('class="tabbed-set', 1)[0]
    blocks = re.findall(r"<code[^>]*>(.*?)</code>", tabs, flags=re.S)
    return [html_module.unescape(re.sub(r"<[^>]+>", "", block)).rstrip() for block in blocks]


def set_name(definition: Path, name: str) -> None:
    text = definition.read_text(encoding="utf-8")
    definition.write_text(re.sub(r"^name: .*$", lambda _: f"name: {json.dumps(name)}", text, count=1, flags=re.M), encoding="utf-8")


def test_render_is_deterministic_and_incremental(project: Path, tmp_path: Path) -> None:
    pages = len(list((project / "docs").rglob("*.md")))
    first = render_tree(project / "mkdocs.yml", tmp_path / "a")
    assert first.pages == pages and first.rendered == len(endpoints_of(project))  # ordinary pages are copied
    before = tree_bytes(tmp_path / "a")
    again = render_tree(project / "mkdocs.yml", tmp_path / "a")
    assert (again.rendered, again.written, again.removed) == (0, 0, 0)
    assert tree_bytes(tmp_path / "a") == before
    # another process (its own string hashing), same input: a byte-identical tree, manifest included
    assert run(APIDOCS, "-f", str(project / "mkdocs.yml"), "render", str(tmp_path / "b")).returncode == 0
    assert tree_bytes(tmp_path / "b") == before

    definition = project / "docs" / CONFIRM
    definition.write_text(definition.read_text(encoding="utf-8").replace("Confirm Order cancelation", "Confirm it now"), encoding="utf-8")
    changed = render_tree(project / "mkdocs.yml", tmp_path / "a")
    after = tree_bytes(tmp_path / "a")
    assert changed.rendered == 1
    assert {name for name in after if after[name] != before.get(name)} == {f"docs/{CONFIRM}", "docs/openapi.json", MANIFEST}
    assert "Confirm it now" in after[f"docs/{CONFIRM}"].decode()

    (project / "docs/orders/get-order-detail.md").unlink()
    removed = render_tree(project / "mkdocs.yml", tmp_path / "a")
    assert removed.removed == 1 and removed.rendered == 0
    assert not (tmp_path / "a/docs/orders").exists()  # the emptied folder goes too
    assert "get-order-detail" not in (tmp_path / "a/mkdocs.yml").read_text(encoding="utf-8")


def test_the_rendered_tree_is_plain_markdown_and_config(project: Path, tmp_path: Path) -> None:
    render_tree(project / "mkdocs.yml", tmp_path / "out")
    config = yaml.safe_load((tmp_path / "out/mkdocs.yml").read_text(encoding="utf-8"))
    assert config["plugins"] == ["search"]  # no apidocs plugin left
    assert "assets/apidocs/explorer.js" in config["extra_javascript"]
    assert set(config["extra_css"]) == {"assets/apidocs/apidocs.css", "assets/apidocs/explorer.css"}
    assert "content.tabs.link" in config["theme"]["features"]
    assert {"Orders - Supplier": [{"Confirm Order Cancelation": CONFIRM}, {"Reject Order Cancelation": "orders-supplier/reject-order-cancelation.md"},
                                  {"Confirm Order Item Cancelation": "orders-supplier/confirm-order-item-cancelation.md"},
                                  {"Reject Order Item Cancelation": "orders-supplier/reject-order-item-cancelation.md"}]} in config["nav"]
    page = (tmp_path / "out/docs" / CONFIRM).read_text(encoding="utf-8")
    assert page.startswith("---\ntitle: Confirm Order Cancelation\nstatus: apidocs-patch\n")
    assert '<label for="apidocs_snippets_1">curl</label>' in page and "data-apidocs-explorer=" in page
    assert "{%" not in page and "sessionid" not in page  # includes expanded, pasted snippets (and their cookie) gone
    assert "](../response-codes.md)" in page  # absolute links made relative: zensical does not read absolute_links
    assert json.loads((tmp_path / "out/docs/openapi.json").read_text(encoding="utf-8"))["openapi"].startswith("3.1")
    # ordinary pages are copied byte for byte
    assert (tmp_path / "out/docs/authentication.md").read_bytes() == (project / "docs/authentication.md").read_bytes()


def test_plain_mkdocs_builds_the_rendered_tree(project: Path, tmp_path: Path) -> None:
    render_tree(project / "mkdocs.yml", tmp_path / "out")
    site = tmp_path / "site"
    result = run(PYTHON, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "out/mkdocs.yml"), "-d", str(site))
    assert result.returncode == 0, result.stderr[-3000:]
    assert verify_pages(site, endpoints_of(project), explorer=True) == []
    html = page_file(site, CONFIRM).read_text(encoding="utf-8")
    assert tab_codes(html) == expected_snippets(project, CONFIRM)
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    assert any(doc["location"] == "orders-supplier/confirm-order-cancelation/" for doc in index["docs"])


@needs_zensical
def test_build_engine_zensical_writes_a_verified_site(project: Path) -> None:
    result = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--engine", "zensical", "--strict")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "built" in result.stdout and "with zensical" in result.stdout
    site = project / "site"
    html = page_file(site, CONFIRM).read_text(encoding="utf-8")
    assert tab_codes(html) == expected_snippets(project, CONFIRM)
    assert "data-apidocs-explorer=" in html
    assert (site / "openapi.json").is_file() and (site / "assets/apidocs/explorer.js").is_file()
    verified = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "verify-site")
    assert verified.returncode == 0, verified.stdout
    assert "all 7 endpoint pages carry generated snippets" in verified.stdout
    # a second build renders nothing again
    again = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "--engine", "zensical")
    assert again.returncode == 0 and "0 rendered again" in again.stdout


@needs_zensical
def test_zensical_on_the_project_itself_is_caught(project: Path) -> None:
    """The silent failure: zensical ignores the plugin and publishes raw definitions; verify-site refuses them."""
    built = run(PYTHON, "-m", "zensical", "build", "-f", str(project / "mkdocs.yml"), cwd=project)
    assert built.returncode == 0, built.stdout[-2000:]
    raw = page_file(project / "site", CONFIRM).read_text(encoding="utf-8")
    assert "data-apidocs-explorer" not in raw  # what the issue saw: no panel
    result = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "verify-site")
    assert result.returncode == 1
    assert f"(docs/{CONFIRM}): lacks the endpoint layout" in result.stdout
    assert "unexpanded Liquid ('{% include'" in result.stdout
    assert "7 of 7 endpoint pages are not apidocs pages" in result.stdout


@needs_zensical
def test_hostile_names_are_text_on_both_engines(project: Path, tmp_path: Path) -> None:
    set_name(project / "docs/orders/get-order-detail.md", HOSTILE_NAME)
    render_tree(project / "mkdocs.yml", tmp_path / "out")
    assert run(PYTHON, "-m", "zensical", "build", "-f", str(tmp_path / "out/mkdocs.yml")).returncode == 0
    assert run(PYTHON, "-m", "mkdocs", "build", "-f", str(tmp_path / "out/mkdocs.yml"), "-d", str(tmp_path / "msite")).returncode == 0
    for site in (tmp_path / "out/site", tmp_path / "msite"):
        for page in (site / "index.html", page_file(site, "orders/get-order-detail.md")):
            html = page.read_text(encoding="utf-8")
            assert "<img src=x" not in html and "<b>bold" not in html
            # shown once escaped, as text: `&lt;` in the HTML, never `&amp;lt;`
            assert "Detail &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
            assert "&amp;lt;" not in html


def test_render_of_one_audience(project: Path, tmp_path: Path) -> None:
    internal = project / "docs/orders/internal-report.md"
    text = (project / "docs/orders/get-order-detail.md").read_text(encoding="utf-8")
    internal.write_text(re.sub(r"^visibility: .*$", "visibility: internal", text.replace("Get Order Detail", "Internal Report"), count=1,
                               flags=re.M).replace("/timp/orders/", "/timp/internal/orders/", 1), encoding="utf-8")
    everyone = render_tree(project / "mkdocs.yml", tmp_path / "all")
    public = render_tree(project / "mkdocs.yml", tmp_path / "public", audience="public")
    assert everyone.pages == public.pages + 1
    assert (tmp_path / "all/docs/orders/internal-report.md").is_file()
    assert not (tmp_path / "public/docs/orders/internal-report.md").exists()
    assert "internal-report" not in (tmp_path / "public/mkdocs.yml").read_text(encoding="utf-8")
    assert "internal" not in (tmp_path / "public/docs/openapi.json").read_text(encoding="utf-8")


def test_render_refuses_what_is_not_its_own(project: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine", encoding="utf-8")
    cases = {str(full): "is not empty and was not written by `apidocs render`",
             str(project / "docs/out"): "is inside docs_dir",
             str(project): "would overwrite the project's own files"}
    for dest, message in cases.items():
        result = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "render", dest)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert (full / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (project / "docs/out").exists()


def test_render_reports_definition_errors(project: Path, tmp_path: Path) -> None:
    broken = project / "docs" / CONFIRM
    broken.write_text(broken.read_text(encoding="utf-8").replace("method:", "method: FETCH\nx_method:", 1), encoding="utf-8")
    result = run(APIDOCS, "-f", str(project / "mkdocs.yml"), "render", str(tmp_path / "out"))
    assert result.returncode == 1
    assert re.search(rf"{re.escape(str(broken))}:\d+: E\d+ ", result.stderr), result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_render_does_not_follow_a_link_out_of_docs(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not publish", encoding="utf-8")
    (project / "docs/leak.txt").symlink_to(secret)
    render_tree(project / "mkdocs.yml", tmp_path / "out")
    assert not (tmp_path / "out/docs/leak.txt").exists()


def test_links_after_a_three_backtick_code_span_are_still_made_relative() -> None:
    """"```a```" alone on a line is a code span, not a fence hiding the links below it."""
    markdown = "```x && y```\n\nSee [b](/guides/b.md).\n\n```\n[kept](/guides/c.md)\n```\n"
    assert relative_links(markdown, "api/page.md") == markdown.replace("(/guides/b.md)", "(../guides/b.md)")
