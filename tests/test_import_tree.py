"""The whole-tree import on a tree with every defect class a real Aviator tree has.

`tests/fixtures/crux-docs-defects/` is written in the CruxConnect sample's style (its `_config.yml`
and includes) with one document per defect class: a placeholder with a hyphen, URL parameters
not in the path, Liquid Jekyll renders in its lax mode, front matter never closed or not YAML,
every link form of the theme, includes of many lines and one that does not exist, an empty
Authorization header, and documents for every audience. Expectations are computed from the tree
with the rule the Jekyll site used (shared README), not copied from the importer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from apidocs.definitions.jekyll_tree import JekyllTree
from conftest import FIXTURES, PYTHON

DEFECTS = FIXTURES / "crux-docs-defects"
APIDOCS = [PYTHON, "-m", "apidocs"]
pytestmark = pytest.mark.xdist_group("import-jekyll")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, *args], capture_output=True, text=True, timeout=600)


def front_matter(path: Path) -> dict | None:
    """The data Jekyll read from a document: None when it had no readable front matter."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(\n|$)", text, re.S)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def names(value: object) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def shown_to(audience: str) -> set[str]:
    """Documents (collection/stem) the Jekyll site listed on the audience's page (README's rule)."""
    tree = JekyllTree.read(DEFECTS)
    shown = set()
    for collection in tree.collections.values():
        if str(collection.values.get("visibility") or "").strip() != audience:
            continue
        for path in collection.documents:
            visibility = names((front_matter(path) or {}).get("visibility"))
            if "all" in visibility or audience in visibility:
                shown.add(f"{collection.name}/{path.stem}")
    return shown


HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def endpoint_documents() -> list[Path]:
    """Documents an endpoint page can be made of: a path title and an HTTP method (the defect
    tree has no document whose missing method only its pasted snippets give)."""
    tree = JekyllTree.read(DEFECTS)
    return [path for _, path in tree.documents
            if (data := front_matter(path)) is not None and str(data.get("method") or "").strip().lower() in HTTP_METHODS
            and str(data.get("title") or "").startswith("/")]


def looks_like_endpoint_documents() -> list[Path]:
    """Documents with a method or a path title that are no endpoint: Jekyll published them all the same."""
    tree = JekyllTree.read(DEFECTS)
    return [path for _, path in tree.documents
            if (data := front_matter(path)) is not None and path not in endpoint_documents()
            and (data.get("method") or str(data.get("title") or "").startswith("/"))]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    dest = tmp_path_factory.mktemp("defects") / "project"
    result = run("import-jekyll", str(DEFECTS), str(dest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return dest, result.stdout


def audiences() -> list[str]:
    return sorted({name for c in JekyllTree.read(DEFECTS).collections.values() for name in c.visibility})


def test_nothing_is_set_aside_and_every_endpoint_document_is_an_endpoint_page(imported: tuple[Path, str]) -> None:
    dest, output = imported
    assert not (dest / "unconverted").exists()
    assert "set aside" not in output
    expected = len(endpoint_documents())
    assert expected == 9
    assert f"imported {expected} endpoint(s)" in output
    for path in endpoint_documents():
        page = dest / "docs" / slug(path.parent.name) / (slug(path.stem) + ".md")
        assert re.search(r"^method: \w+$", page.read_text(encoding="utf-8"), re.M), page


@pytest.mark.parametrize("audience", audiences())
def test_every_audience_builds_strictly_and_shows_what_the_jekyll_site_showed(imported: tuple[Path, str], audience: str) -> None:
    dest, _ = imported
    site = dest / f"site-{audience}"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "--audience", audience, "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    built = {f"{page.parent.parent.name}/{page.parent.name}" for page in site.glob("*/*/index.html")
             if not page.parent.parent.name.startswith(("assets", "search"))}
    expected = {f"{slug(name.split('/')[0])}/{slug(name.split('/')[1])}" for name in shown_to(audience)}
    assert built == expected


def test_every_theme_link_form_points_at_the_new_page(imported: tuple[Path, str]) -> None:
    dest, _ = imported
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(dest / "site-links"))
    assert result.returncode == 0, result.stdout + result.stderr
    html = (dest / "site-links/product/get-products/index.html").read_text(encoding="utf-8")
    # `/#product_retailerinventory_add_item`, the relative `../_product_retailer/….md`: one page.
    article = html[html.index("<article"):html.index("</article>")]
    assert article.count('href="../../product-retailer/inventory-add-item/"') == 2
    # `{{ site.baseurl }}/#productget_product`, the `<a href>` form and `get_product.html`.
    assert article.count('href="../get-product/"') == 3
    assert 'href="#url-parameters"' in html  # an anchor within the page stays one
    assert "/#product" not in html and "site.baseurl" not in html
    overview = (dest / "docs/internal-documentation/overview.md").read_text(encoding="utf-8")
    assert "(/internal-tools/reindex.md)" in overview


def test_a_placeholder_with_a_hyphen_is_a_path_parameter(imported: tuple[Path, str]) -> None:
    dest, _ = imported
    page = (dest / "docs/order-supplier/get-export.md").read_text(encoding="utf-8")
    assert "export-uuid: 6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f" in page  # the pasted URL's value, matched by position


def test_url_parameters_not_in_the_path_are_shown_and_reported_at_their_line(imported: tuple[Path, str]) -> None:
    dest, output = imported
    assert "_product/get_product.md:16: fixed: URL parameter `uuid_format` is documented but not in the path" in output
    assert "_product/get_products.md:18: fixed: URL parameter `page`" in output
    assert "_product/get_products.md:21: fixed: URL parameter `page_size`" in output
    page = (dest / "docs/product/get-product.md").read_text(encoding="utf-8")
    assert re.search(r"### URL Parameters\n\nproduct_uuid\n: .*\n\n+### Parameters not in the path\n\nuuid_format\n: \(string\) Not a path", page)
    lint = run("lint", str(DEFECTS / "_product"))
    assert "get_product.md:16: E007" in lint.stdout and "get_products.md:18: E007" in lint.stdout


def test_front_matter_jekyll_could_not_read_is_imported_as_jekyll_showed_the_page(imported: tuple[Path, str]) -> None:
    dest, output = imported
    assert "_organization/retreive_auth_token.md:1: kept: front matter starts with '---' but never ends" in output
    unclosed = (dest / "docs/organization/retreive-auth-token.md").read_text(encoding="utf-8")
    assert unclosed.startswith("---\napidocs: true\n---\n---\ntitle: /timp/auth/token/\n")
    assert "_organization/get_organization.md:8: kept: front matter is not valid YAML" in output
    broken = (dest / "docs/organization/get-organization.md").read_text(encoding="utf-8")
    assert "# description: [Your organization]\n#  as it is\napidocs: true\n---\nThe front matter above" in broken
    lint = run("lint", str(DEFECTS / "_organization"))
    assert "retreive_auth_token.md:1: E001" in lint.stdout and "get_organization.md:8: E001" in lint.stdout


def test_liquid_jekyll_renders_is_written_as_jekyll_rendered_it(imported: tuple[Path, str]) -> None:
    dest, output = imported
    page = (dest / "docs/files/liquid-oddities.md").read_text(encoding="utf-8")
    assert "the typo'd\n renders as nothing in Jekyll, and so does ." in page
    assert "pass the value through: CRUX Docs." in page
    assert "{% include timp/links/response_codes.md %}" in page  # `/timp/...`: from _includes/ all the same
    assert "_files/liquid_oddities.md:10: fixed: Liquid `{{ /files }}` written as ''" in output
    site = dest / "site-liquid"
    assert run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(site)).returncode == 0
    html = (site / "files/liquid-oddities/index.html").read_text(encoding="utf-8")
    assert "crux-docs" in html  # `{{ site.title | slugify }}`, a Jekyll filter
    assert '<a href="../../documentation/response-codes/">Response Codes</a>' in html


def test_an_empty_authorization_header_is_reported_not_a_crash(imported: tuple[Path, str]) -> None:
    _, output = imported
    assert "_product/get_product.md:25: dropped: an Authorization header without a value: not carried over" in output


def test_check_passes_on_the_imported_tree(imported: tuple[Path, str]) -> None:
    dest, _ = imported
    result = run("-f", str(dest / "mkdocs.yml"), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"(\d+) snippets: \1 passed, 0 failed", result.stdout), result.stdout


def test_lint_lines_are_exact_after_includes_of_any_length_and_missing_ones(tmp_path: Path) -> None:
    result = run("lint", str(DEFECTS / "_internal_tools/reindex.md"))
    lines = (DEFECTS / "_internal_tools/reindex.md").read_text(encoding="utf-8").split("\n")
    by_code = {code: int(line) for line, code in re.findall(r"reindex\.md:(\d+): (E\d+)", result.stdout)}
    assert lines[by_code["E203"] - 1].strip() == "data=json.dumps()"
    assert lines[by_code["E204"] - 1].startswith("def send_request")
    assert lines[by_code["E010"] - 1] == "{% include timp/missing/nowhere.md %}"
    # Includes inside a line, inside blocks, and tags over several lines shift nothing either.
    tree = tmp_path / "tree"
    (tree / "_internal_tools").mkdir(parents=True)
    (tree / "_config.yml").write_text((DEFECTS / "_config.yml").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(DEFECTS / "_includes", tree / "_includes")
    text = "\n".join([*lines[:8], "See {% include timp/objects/address_business.md %} above.", "{% comment %}", "gone", "{% endcomment %}", "{% if site.title %}", "shown", "{% endif %}", "{%", "  include timp/snippets/auth_note.md", "%}", *lines[8:]])
    (tree / "_internal_tools/reindex.md").write_text(text, encoding="utf-8")
    result = run("lint", str(tree / "_internal_tools/reindex.md"))
    moved = text.split("\n")
    found = {code: int(line) for line, code in re.findall(r"reindex\.md:(\d+): (E\d+)", result.stdout)}
    assert moved[found["E203"] - 1].strip() == "data=json.dumps()", result.stdout
    assert moved[found["E204"] - 1].startswith("def send_request"), result.stdout


def test_lint_on_a_folder_without_definitions_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\nPlain text.\n", encoding="utf-8")
    result = run("lint", str(tmp_path))
    assert result.returncode == 1
    assert "no definitions in" in result.stderr and "0 errors" not in result.stderr


def test_include_parameters_and_include_relative_render_as_jekyll_renders_them(imported: tuple[Path, str]) -> None:
    dest, output = imported
    assert ("_product/get_product_images.md:22: moved: include_relative partials/image_fields.md now includes "
            "_relative/_product/partials/image_fields.md") in output
    assert (dest / "includes/_relative/_product/partials/image_fields.md").is_file()
    site = dest / "site-includes"
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "--audience", "public", "-d", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    html = (site / "product/get-product-images/index.html").read_text(encoding="utf-8")
    # `things="images" default="25" max=site.title`: quoted values and a variable, as include.*
    assert "How many images on a page &#40;25 by default, at most CRUX Docs&#41;" in html
    assert "Where the product image can be downloaded" in html  # include_relative with kind="product"
    # In lint on the tree itself, the same includes render and a finding below them keeps its line.
    lint = run("lint", str(DEFECTS / "_product/get_product_images.md"))
    lines = (DEFECTS / "_product/get_product_images.md").read_text(encoding="utf-8").split("\n")
    found = {code: int(line) for line, code in re.findall(r"get_product_images\.md:(\d+): (E\d+)", lint.stdout)}
    assert set(found) == {"E203"}, lint.stdout
    assert lines[found["E203"] - 1] == "data=json.dumps()"


def test_documents_with_no_usable_path_or_method_are_published_as_plain_pages(imported: tuple[Path, str]) -> None:
    dest, output = imported
    documents = {f"{path.parent.name}/{path.name}" for path in looks_like_endpoint_documents()}
    assert documents == {"_product/about_product_data.md", "_product/product_webhooks.md", "_v1_product/get_product.md"}
    assert "_product/about_product_data.md:2: kept: `method` is set but the title 'About Product Data' is not a path" in output
    assert "_product/product_webhooks.md:6: kept: `method` is unknown ('subscribe')" in output
    assert "_v1_product/get_product.md:2: kept: `method` is missing" in output
    for name in documents:
        folder, file = name.split("/")
        page = (dest / "docs" / slug(folder.lstrip("_")) / (slug(file[:-3]) + ".md")).read_text(encoding="utf-8")
        assert "\napidocs: true\n" in page and not re.search(r"^(method|title: /)", page, re.M), page
    webhooks = (dest / "docs/product/product-webhooks.md").read_text(encoding="utf-8")
    assert "---\n# /timp/products/webhooks/\n\nSubscribe" in webhooks  # the title, as the theme showed it
    lint = run("lint", str(DEFECTS / "_product"), str(DEFECTS / "_v1_product"))
    for expected in ("about_product_data.md:2: E005", "product_webhooks.md:6: E003", "_v1_product/get_product.md:2: E002"):
        assert expected in lint.stdout, lint.stdout


def test_lint_reads_liquid_as_jekyll_lax_mode_does(tmp_path: Path) -> None:
    result = run("lint", str(DEFECTS / "_files"))
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = re.findall(r"liquid_oddities\.md:(\d+): (W150) Liquid `([^`]*)`", result.stdout)
    assert warnings == [("10", "W150", "{{ site.baseurl/#filesget_file }}"), ("10", "W150", "{{ /files }}"),
                        ("11", "W150", "{{ site.title | shout }}")]
    assert "E010" not in result.stdout  # nor `{% link %}`, which Jekyll resolves
    # Liquid Jekyll refuses too stays an error: an unknown tag, a link to no document.
    tree = tmp_path / "tree"
    shutil.copytree(DEFECTS, tree, ignore=shutil.ignore_patterns("_[a-eg-z]*"))
    shutil.copytree(DEFECTS / "_includes", tree / "_includes")
    page = tree / "_files/liquid_oddities.md"
    page.write_text(page.read_text(encoding="utf-8").replace("_product/get_product.md", "_product/nothing.md")
                    + "{% frobnicate %}\n", encoding="utf-8")
    result = run("lint", str(page))
    assert result.returncode == 1
    assert re.search(r"liquid_oddities\.md:13: E010 .*_product/nothing\.md", result.stdout) or \
        re.search(r"liquid_oddities\.md:\d+: E010", result.stdout), result.stdout
