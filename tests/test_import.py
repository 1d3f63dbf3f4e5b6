"""`apidocs import-jekyll`: the shared Jekyll sample becomes a project that builds strictly, as is.

Expectations are read from the sample itself (its `_config.yml`, its files, the secrets in
them), so the tests state what the import must do with whatever the tree holds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from apidocs.definitions.jekyll_tree import JekyllTree
from apidocs.definitions.loader import load_tree
from apidocs.definitions.secrets import find_secrets
from apidocs.model.positions import position_key
from apidocs.rendering.nav import build_nav
from conftest import PYTHON, SAMPLE

APIDOCS = [PYTHON, "-m", "apidocs"]
pytestmark = pytest.mark.xdist_group("import-jekyll")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def import_into(src: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    result = run("import-jekyll", str(src), str(dest))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("imported") / "project"
    import_into(SAMPLE, dest)
    return dest


@pytest.fixture(scope="module")
def public_site(imported: Path) -> Path:
    result = run("-f", str(imported / "mkdocs.yml"), "build", "--strict", "-d", str(imported / "site-public"))
    assert result.returncode == 0, result.stdout + result.stderr
    return imported / "site-public"


@pytest.fixture(scope="module")
def internal_site(imported: Path) -> Path:
    # Strict too: an internal page links to the public Response Codes page, which the internal
    # site excludes; MkDocs reports that link as info, not as a broken link.
    result = run("-f", str(imported / "mkdocs.yml"), "build", "--strict", "--audience", "internal", "-d", str(imported / "site-internal"))
    assert result.returncode == 0, result.stdout + result.stderr
    return imported / "site-internal"


def sample_tree() -> JekyllTree:
    return JekyllTree.read(SAMPLE)


def report_lines(imported: Path) -> list[str]:
    return [line for line in (imported / "import-report.txt").read_text(encoding="utf-8").splitlines() if not line.startswith("#")]


def test_public_site_builds_strictly_with_no_hand_edit(public_site: Path) -> None:
    assert (public_site / "index.html").is_file()


def test_every_collection_with_documents_is_a_section_with_its_title_position_and_visibility(imported: Path) -> None:
    for collection in sample_tree().collections.values():
        section = imported / "docs" / collection.name.replace("_", "-") / ".section.yml"
        if not collection.documents:
            assert not section.exists()
            continue
        values = yaml.safe_load(section.read_text(encoding="utf-8"))
        assert values["title"] == collection.title
        assert values["position"] == collection.position
        assert values["visibility"] == (", ".join(collection.visibility) or "hidden")


def test_endpoint_files_become_endpoint_pages_and_others_plain_pages(imported: Path) -> None:
    tree = load_tree(imported / "docs", imported / "includes", {})
    assert not tree.errors
    for collection, path in sample_tree().documents:
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        uri = f"{collection.name.replace('_', '-')}/{path.stem.replace('_', '-')}.md"
        assert tree.documents[uri].is_endpoint == bool(front.get("method")), uri


def test_nav_follows_collection_positions_then_page_positions(imported: Path) -> None:
    tree = load_tree(imported / "docs", imported / "includes", {})
    titles = [next(iter(item)) for item in build_nav(tree)]
    collections = [c for c in sample_tree().collections.values() if c.documents]
    expected = [c.title for c in sorted(collections, key=lambda c: (position_key(c.position), c.title.lower()))]
    assert titles[1:] == expected  # after the home page
    supplier = next(item for item in build_nav(tree) if "Orders - Supplier" in item)["Orders - Supplier"]
    pages = [next(iter(page.values())) for page in supplier]
    positions = [tree.documents[uri].position for uri in pages]
    assert positions == sorted(positions)


def test_no_secret_of_the_tree_reaches_the_project(imported: Path) -> None:
    secrets = {secret.value for _, path in sample_tree().documents
               for secret in find_secrets(enumerate(path.read_text(encoding="utf-8").split("\n"), 1), {"1234567890"})}
    assert any(value.startswith("sessionid=") for value in secrets) and len(secrets) >= 3
    for path in imported.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".yml", ".txt"):
            text = path.read_text(encoding="utf-8")
            for value in secrets:
                assert value.split("=")[-1] not in text, f"{value[:12]}… in {path}"


def test_pasted_snippets_become_structured_examples(imported: Path) -> None:
    page = imported / "docs/order-supplier/order-cancelation-confirmation.md"
    front = yaml.safe_load(page.read_text(encoding="utf-8").split("---")[1])
    source = (SAMPLE / "_order_supplier/order_cancelation_confirmation.md").read_text(encoding="utf-8")
    uuid = re.search(r"/cancel/([0-9a-f-]{36})/confirm/", source).group(1)  # type: ignore[union-attr]
    assert front["example"]["params"] == {"order_uuid": uuid}
    assert "{: title=\"Curl\" }" not in page.read_text(encoding="utf-8")
    assert "right_code" in front  # kept as written


def test_generated_snippets_replace_pasted_ones_in_the_html(public_site: Path) -> None:
    html = (public_site / "order-supplier/order-cancelation-confirmation/index.html").read_text(encoding="utf-8")
    assert "sessionid" not in html and "send_request" not in html
    assert "db5a0c25-ff08-4a24-ab63-9530213219b9" in html  # the pasted example value, in the generated snippets


def test_include_link_points_at_the_imported_response_codes_page(public_site: Path) -> None:
    html = (public_site / "order/get-order-detail/index.html").read_text(encoding="utf-8")
    assert 'href="../../documentation/response-codes/"' in html
    assert (public_site / "documentation/response-codes/index.html").is_file()
    assert "{{" not in html and "{%" not in html


def test_plain_page_keeps_its_right_code_examples_in_the_page(public_site: Path) -> None:
    html = (public_site / "documentation/authentication/index.html").read_text(encoding="utf-8")
    assert "YOUR_AUTH_TOKEN" in html and "Examples" in html


def test_what_could_not_be_converted_is_reported_per_file_and_line(imported: Path) -> None:
    lines = report_lines(imported)
    cancel_item = (SAMPLE / "_order_retailer/cancel_order_item.md").read_text(encoding="utf-8").split("\n")
    fence = next(n for n, text in enumerate(cancel_item, 1) if text.startswith("~~~ bash"))
    assert any(line.startswith(f"_order_retailer/cancel_order_item.md:{fence}: unconverted: ") and "no value for order_item_uuid" in line
               for line in lines)
    detail = (SAMPLE / "_order/get_order_detail.md").read_text(encoding="utf-8").split("\n")
    fees = next(n for n, text in enumerate(detail, 1) if "timp/objects/fees.md" in text)
    assert any(line.startswith(f"_order/get_order_detail.md:{fees}: dropped: include timp/objects/fees.md") for line in lines)
    reported = {line.split(":")[0] for line in lines}
    for _, path in sample_tree().documents:
        assert path.relative_to(SAMPLE).as_posix() in (imported / "import-report.txt").read_text(encoding="utf-8")
    assert "_order_supplier/update_order_invoice.md" in reported  # its title's missing semicolons were fixed


def test_servers_and_token_come_from_the_snippets(imported: Path) -> None:
    config = yaml.safe_load((imported / "mkdocs.yml").read_text(encoding="utf-8"))
    options = config["plugins"][1]["apidocs"]
    hosts = set(re.findall(r"https://[a-z0-9.-]+\.com", "".join(p.read_text(encoding="utf-8") for _, p in sample_tree().documents)))
    assert options["servers"][0]["url"] in hosts
    assert options["auth"]["token"] == "1234567890"
    assert options["audience"] == "public"
    # Every audience _config.yml names has its site, those whose collections are empty too (as on Jekyll).
    assert set(options["audiences"]) == {name for c in sample_tree().collections.values() for name in c.visibility}


def test_internal_endpoint_is_absent_from_the_public_site(public_site: Path, internal_site: Path) -> None:
    internal_page = "internal-tools/update-discovery-participation"
    assert (internal_site / internal_page / "index.html").is_file()
    assert not (public_site / internal_page).exists()
    public_index = json.loads((public_site / "search/search_index.json").read_text(encoding="utf-8"))
    assert not any(doc["location"].startswith(internal_page) for doc in public_index["docs"])
    assert "Update Discovery Participation" not in json.dumps(public_index)
    assert internal_page not in (public_site / "sitemap.xml").read_text(encoding="utf-8")
    internal_index = json.loads((internal_site / "search/search_index.json").read_text(encoding="utf-8"))
    assert any(doc["location"].startswith(internal_page) for doc in internal_index["docs"])
    assert "update-discovery-participation" not in (public_site / "index.html").read_text(encoding="utf-8")


def test_public_pages_are_absent_from_the_internal_site(internal_site: Path) -> None:
    assert not (internal_site / "order-supplier").exists()
    assert "order-supplier" not in (internal_site / "sitemap.xml").read_text(encoding="utf-8")


def test_imported_project_lints_and_points_at_what_is_left_to_do(imported: Path) -> None:
    result = run("lint", str(imported))
    assert "Traceback" not in result.stderr
    codes = {line.split(" ")[1] for line in result.stdout.splitlines()}
    assert not codes & {"E301", "E302", "E010", "E007", "E001"}  # no secrets, includes resolve, no broken definitions


def test_check_passes_for_every_endpoint_with_a_complete_example(imported: Path) -> None:
    result = run("-f", str(imported / "mkdocs.yml"), "check", "-j", "4")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert " 0 failed" in result.stdout


# --- the style, not the sample: odd trees ---------------------------------------------------

def odd_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    reject = src / "_order_supplier/order_item_cancelation_reject.md"
    text = reject.read_text(encoding="utf-8")
    text = text.replace("position: 5.2.7\n", "position: last\nowner: team-orders\n").replace("method: patch\n", "")
    text = text.replace("visibility: public\n", "visibility: publc\n")
    reject.write_text(text, encoding="utf-8")
    broken = src / "_order_supplier/broken.md"
    broken.write_text("---\ntitle: /timp/orders/broken/\nmethod: fetch\nvisibility: public\n---\nBroken.\n", encoding="utf-8")
    codes = src / "_documentation/response_codes.md"
    codes.write_text(codes.read_text(encoding="utf-8") + "\nAsk {{ site.title }} at {{ site.url }} for others.\n", encoding="utf-8")
    (src / "_drafts_api").mkdir()
    (src / "_drafts_api/idea.md").write_text("---\ntitle: Idea\n---\nLater.\n", encoding="utf-8")
    return src


def test_odd_values_are_reported_unknown_keys_kept_and_the_build_still_passes(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    import_into(odd_tree(tmp_path), dest)
    page = (dest / "docs/order-supplier/order-item-cancelation-reject.md").read_text(encoding="utf-8")
    assert "owner: team-orders" in page  # unknown key kept
    assert "method: patch" in page  # taken from the pasted snippets, which say PATCH
    lines = report_lines(dest)
    reject = [line for line in lines if line.startswith("_order_supplier/order_item_cancelation_reject.md:")]
    assert any("fixed: position 'last'" in line for line in reject)
    assert any("kept: front-matter key `owner`" in line for line in reject)
    assert any("kept: visibility publc is no audience" in line for line in reject)
    assert any("fixed: `method` was missing: set to patch" in line for line in reject)
    # Jekyll published it: a plain page (no method a page could use), reported at the method's line.
    assert any(line.startswith("_order_supplier/broken.md:3: kept: `method` is unknown ('fetch')") for line in lines)
    assert "# method: fetch" in (dest / "docs/order-supplier/broken.md").read_text(encoding="utf-8")
    assert not (dest / "unconverted").exists()
    assert any(line.startswith("_drafts_api/idea.md:0: unconverted:") for line in lines)
    result = run("-f", str(dest / "mkdocs.yml"), "build", "--strict", "-d", str(dest / "site"))
    assert result.returncode == 0, result.stdout + result.stderr
    config = sample_tree().config
    html = (dest / "site/documentation/response-codes/index.html").read_text(encoding="utf-8")
    assert f"Ask {config['title']} at {config['url']} for others." in html  # `{{ site.* }}` from _config.yml


def test_destination_that_is_not_empty_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x", encoding="utf-8")
    result = run("import-jekyll", str(SAMPLE), str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"apidocs: {tmp_path}: not empty (pass --force to write into it)"]


def test_source_that_is_not_a_jekyll_site_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run("import-jekyll", str(tmp_path), str(tmp_path / "dest"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"apidocs: {tmp_path}: not a Jekyll site (no _config.yml)"
