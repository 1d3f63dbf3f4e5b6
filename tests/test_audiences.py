"""Audiences: a site per audience from section and page `visibility`, the source site's rule by default."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from apidocs.definitions.audiences import AudienceError, AudienceRule, audience_rule, is_shown, visible_documents
from apidocs.definitions.loader import DocsTree, Section
from apidocs.model.endpoint import Document
from apidocs.model.positions import LAST
from conftest import PYTHON

APIDOCS = [PYTHON, "-m", "apidocs"]


def document(uri: str, *visibility: str) -> Document:
    return Document(Path(uri), uri, uri, LAST, list(visibility), [])


def tree(*documents: Document, **sections: list[str]) -> DocsTree:
    return DocsTree(documents={d.src_uri: d for d in documents},
                    sections={"": Section("", "Home"), **{name: Section(name, name.title(), LAST, vis) for name, vis in sections.items()}})


def shown(docs: DocsTree, audience: str | None, audiences: dict | None = None) -> list[str]:
    settings = SimpleNamespace(audience=audience, audiences=audiences or {})
    return sorted(d.src_uri for d in visible_documents(docs, settings))


SAMPLE_LIKE = tree(
    document("index.md", "all"),
    document("orders/get.md", "public"),
    document("orders/staff-note.md", "internal"),  # in a public section: no site lists it
    document("tools/ack.md", "public"),  # in an internal section: no site lists it either
    document("tools/participation.md", "internal"),
    document("tools/both.md", "all"),
    document("v1/cancel.md", "v1"),
    orders=["public"], tools=["internal"], v1=["v1"],
)


def test_default_rule_is_the_source_sites() -> None:
    rule = AudienceRule.default("internal")
    assert rule.sections == {"internal"} and rule.pages == {"all", "internal"}


@pytest.mark.parametrize(("audience", "expected"), [
    ("public", ["index.md", "orders/get.md"]),
    ("internal", ["index.md", "tools/both.md", "tools/participation.md"]),
    ("v1", ["index.md", "v1/cancel.md"]),
])
def test_an_audience_sees_its_sections_and_in_them_pages_naming_it_or_all(audience: str, expected: list[str]) -> None:
    assert shown(SAMPLE_LIKE, audience) == expected


def test_no_audience_builds_every_page() -> None:
    assert len(shown(SAMPLE_LIKE, None)) == len(SAMPLE_LIKE.documents)


def test_configured_audience_widens_one_site_and_keeps_defaults_for_missing_lists() -> None:
    staff = {"internal": {"sections": ["internal", "public"]}}
    assert shown(SAMPLE_LIKE, "internal", staff) == ["index.md", "orders/staff-note.md", "tools/both.md", "tools/participation.md"]
    staff = {"internal": {"sections": ["internal", "public"], "pages": ["all", "internal", "public"]}}
    assert "orders/get.md" in shown(SAMPLE_LIKE, "internal", staff) and "tools/ack.md" in shown(SAMPLE_LIKE, "internal", staff)
    assert audience_rule("public", staff) == AudienceRule.default("public")


def test_nested_sections_must_all_belong_to_the_audience() -> None:
    docs = tree(document("tools/deep/page.md", "public"), tools=["internal"], **{"tools/deep": ["public"]})
    assert not is_shown(docs.documents["tools/deep/page.md"], docs, AudienceRule.default("public"))


def test_an_audience_that_shows_nothing_is_one_clear_error() -> None:
    with pytest.raises(AudienceError, match=r"audience 'interal' is named by no section or page, nor under `audiences` "
                                            r"\(audiences named in this project: internal, public, v1\)"):
        shown(SAMPLE_LIKE, "interal")
    with pytest.raises(AudienceError, match=r"audience 'v2' shows no page"):
        shown(tree(document("v2/a.md", "v2"), v2=["other"]), "v2")


def test_bad_audience_mapping_is_reported_with_its_option_name() -> None:
    with pytest.raises(AudienceError, match=r"apidocs\.audiences\.internal\.sections must be a list"):
        audience_rule("internal", {"internal": {"sections": [1, 2]}})


def build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, "-f", str(project / "mkdocs.yml"), "build", "-d", str(project / "site"), *args],
                          capture_output=True, text=True, timeout=120)


def test_shipped_project_public_audience_has_every_page(project: Path) -> None:
    result = build(project, "--strict", "--audience", "public")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = {p.relative_to(project / "docs").with_suffix("").as_posix() for p in (project / "docs").rglob("*.md")}
    index = json.loads((project / "site/search/search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0].rstrip("/") for doc in index["docs"]}
    assert {p for p in pages if not p.endswith("index")} <= locations


def test_unknown_audience_fails_the_build_in_one_line(project: Path) -> None:
    result = build(project, "--audience", "internal")
    assert result.returncode == 1
    assert "audience 'internal' shows no page (audiences named in this project: public)" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_page_outside_the_audience_is_absent_from_html_nav_search_and_sitemap(project: Path) -> None:
    page = project / "docs/orders-retailer/cancel-order-item.md"
    page.write_text(page.read_text(encoding="utf-8").replace("visibility: public", "visibility: internal", 1), encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("strict: false", "strict: false\nsite_url: https://docs.example.com/"),
                      encoding="utf-8")
    result = build(project, "--audience", "public")
    assert result.returncode == 0, result.stdout + result.stderr
    site = project / "site"
    assert not (site / "orders-retailer/cancel-order-item").exists()
    assert "cancel-order-item" not in (site / "search/search_index.json").read_text(encoding="utf-8")
    assert "cancel-order-item" not in (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "Cancel Order Item" not in (site / "orders-retailer/cancel-order/index.html").read_text(encoding="utf-8")  # the nav
    assert (site / "orders-retailer/cancel-order/index.html").is_file()
