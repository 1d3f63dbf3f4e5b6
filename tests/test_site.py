"""The built site: endpoint pages, snippet tabs, nav from folders and positions, clear build errors."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from pathlib import Path

import pytest

from conftest import PYTHON, ROOT

APIDOCS = [PYTHON, "-m", "apidocs"]


def build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(project / "site"), *args],
                          capture_output=True, text=True, timeout=120, cwd=project)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([*APIDOCS, "-f", str(ROOT / "mkdocs.yml"), "build", "--strict", "-d", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def page(site: Path, uri: str) -> str:
    return (site / uri / "index.html").read_text(encoding="utf-8")


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


ENDPOINT_PAGES = [
    "orders-supplier/confirm-order-cancelation", "orders-supplier/reject-order-cancelation",
    "orders-supplier/confirm-order-item-cancelation", "orders-supplier/reject-order-item-cancelation",
    "orders-retailer/cancel-order", "orders-retailer/cancel-order-item", "orders/get-order-detail",
]


@pytest.mark.parametrize("uri", ENDPOINT_PAGES)
def test_every_endpoint_page_has_four_snippet_tabs(site: Path, uri: str) -> None:
    html = page(site, uri)
    labels = re.findall(r'<label for="apidocs_snippets_\d+">([^<]+)</label>', html)
    assert labels[:4] == ["curl", "HTTPie", "Python", "Node.js"]
    assert 'class="apidocs-endpoint"' in html and 'class="apidocs-aside"' in html


def test_seed_page_shows_method_path_and_parameter_table_but_no_pasted_snippets(site: Path) -> None:
    html = page(site, "orders-supplier/confirm-order-cancelation")
    assert 'apidocs-method--patch">PATCH</span>' in html
    assert '/timp/orders/cancel/<span class="apidocs-param">{order_uuid}</span>/confirm/' in html
    assert '<td><code class="apidocs-name" id="param-path-order_uuid">order_uuid</code>' in html
    assert "sessionid" not in html and "send_request" not in html and "Paw Store" not in html
    assert "db5a0c25-ff08-4a24-ab63-9530213219b9/confirm/" in html  # the harvested example value


def test_generated_python_snippet_calls_the_api_at_top_level(site: Path) -> None:
    html = page(site, "orders-supplier/confirm-order-cancelation")
    assert "response = requests.patch(" in text_of(html)


def test_nav_follows_sections_and_positions_with_method_badges(site: Path) -> None:
    html = page(site, "orders-supplier/confirm-order-cancelation")
    nav = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('class="md-nav md-nav--primary"', 1)[1].split('class="md-content"', 1)[0]))
    order = ["Overview", "Authentication", "Response Codes", "Order cancelation workflow", "Orders", "Get Order Detail",
             "Orders - Retailer", "Cancel Order", "Cancel Order Item", "Orders - Supplier", "Confirm Order Cancelation",
             "Reject Order Cancelation", "Confirm Order Item Cancelation", "Reject Order Item Cancelation"]
    positions = [nav.index(f" {title} ") for title in order]
    assert positions == sorted(positions)
    assert html.count("md-status--apidocs-patch") == 6 and "md-status--apidocs-delete" in html


WRITER_GUIDES = {"writing-definitions": "Writing endpoint definitions", "publishing": "Publish the docs with a live sandbox"}


def test_the_readers_site_leaves_out_the_writers_guides(site: Path) -> None:
    """The guides for writers live in writers/, linked from the README: not pages of the site, not
    in its nav, overview or search, and the overview does not tell readers to run `make serve`."""
    overview = page(site, "")
    for uri, title in WRITER_GUIDES.items():
        assert (ROOT / "writers" / f"{uri}.md").read_text(encoding="utf-8").startswith(f"# {title}\n")
        assert f"](writers/{uri}.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
        assert not (site / uri).exists()
        assert title not in overview and f"{uri}/" not in overview
    assert "make serve" not in overview
    index = json.loads((site / "search/search_index.json").read_text())
    assert not [doc["location"] for doc in index["docs"] if doc["location"].split("/")[0] in WRITER_GUIDES]


def test_include_link_points_at_the_response_codes_page(site: Path) -> None:
    assert 'href="../../response-codes/">Response Codes</a>' in page(site, "orders-supplier/reject-order-cancelation")


def test_search_index_has_the_endpoint_pages(site: Path) -> None:
    index = json.loads((site / "search/search_index.json").read_text())
    titles = {doc["title"] for doc in index["docs"]}
    assert {"Confirm Order Cancelation", "Reject Order Cancelation", "Cancel Order"} <= titles


def test_search_indexes_a_response_tree_no_table_lists(site: Path) -> None:
    index = {doc["location"]: doc["text"] for doc in json.loads((site / "search/search_index.json").read_text())["docs"]}
    assert "resolved_by" in index["orders-supplier/confirm-order-cancelation/#responses"]  # its only list of fields


def test_plain_mkdocs_build_works_through_the_entry_point(project: Path) -> None:
    result = subprocess.run([str(Path(PYTHON).parent / "mkdocs"), "build", "--strict", "-d", str(project / "site")],
                            capture_output=True, text=True, timeout=120, cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "site/orders-supplier/confirm-order-cancelation/index.html").is_file()


def test_a_new_template_adds_a_tab_with_no_python_change(project: Path) -> None:
    (project / "snippets/wget.sh.j2").write_text("wget --method={{ request.method }} {{ request.url | sh }}\n")
    result = build(project, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    html = page(project / "site", "orders-supplier/confirm-order-cancelation")
    assert re.findall(r'<label for="apidocs_snippets_\d+">([^<]+)</label>', html)[:5] == ["curl", "HTTPie", "Python", "Node.js", "Wget"]
    assert "wget --method=PATCH" in text_of(html)


def test_a_template_failing_on_one_endpoint_names_the_definition_and_the_template_line(project: Path) -> None:
    """The request column is rendered as its page is written (not held for the whole build):
    a template error there still names both files. The site ships its own openapi.json, so
    the pages are the first to render the snippets."""
    (project / "docs" / "openapi.json").write_text('{"openapi": "3.1.0"}', encoding="utf-8")
    template = project / "snippets" / "curl.sh.j2"
    template.write_text(template.read_text(encoding="utf-8")
                        + '{% if request.method == "GET" %}{{ request.no_such_field }}{% endif %}\n', encoding="utf-8")
    lines = template.read_text(encoding="utf-8").count("\n")
    result = build(project, "--strict")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"get-order-detail.md: {template}:{lines}: " in result.stderr, result.stderr
    assert "no_such_field" in result.stderr


def test_a_dropped_in_definition_becomes_a_page_with_no_other_edit(project: Path) -> None:
    (project / "docs/orders/hold-order.md").write_text(
        "---\ntitle: /timp/orders/&lt;order_uuid&gt;/hold/\nname: Hold Order\nposition: 5.5\nmethod: post\n"
        "example:\n  params: {order_uuid: abc}\n  body: {until: '2027-01-01'}\n---\nHold it.\n")
    result = build(project, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    html = page(project / "site", "orders/hold-order")
    assert "Hold Order" in html and "--data-raw" in text_of(html)
    assert "Hold Order" in page(project / "site", "orders/get-order-detail")  # in everyone's nav


def test_a_definition_mkdocs_leaves_out_fails_the_strict_build(project: Path) -> None:
    folder = "templates"  # MkDocs leaves it out of every site
    (project / "docs" / folder).mkdir()
    (project / "docs" / folder / "hold-order.md").write_text(
        "---\ntitle: /timp/orders/&lt;order_uuid&gt;/hold/\nname: Hold Order\nmethod: post\n---\nHold it.\n")
    result = build(project, "--strict")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{folder}/hold-order.md: MkDocs leaves this page out of the site" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(("text", "expected"), [
    ("---\ntitle: /x/\nmethod: fetch\n---\n", "broken.md:3: E003 unknown method 'fetch'"),
    ("---\ntitle: /x/\nname: [oops\nmethod: get\n---\n", "broken.md:4: E001 front matter is not valid YAML"),
    ("---\ntitle: /x/\n---\n", "broken.md:2: E002 `method` is missing"),
    ("---\ntitle: /x/\nmethod: get\n---\n### URL Parameters:\n\nid\n: (string) nope\n", "broken.md:7: E007 URL parameter `id`"),
])
def test_bad_definition_fails_the_build_with_file_and_line_and_no_traceback(project: Path, text: str, expected: str) -> None:
    (project / "docs/broken.md").write_text(text)
    result = build(project)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert expected in output
    assert "Traceback" not in output


def test_missing_config_file_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run([*APIDOCS, "-f", str(tmp_path / "nope.yml"), "build"], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == f"apidocs: {tmp_path / 'nope.yml'}: no such file (pass -f path/to/mkdocs.yml)"
