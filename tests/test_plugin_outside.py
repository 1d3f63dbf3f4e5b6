"""The plugin in someone else's Material site: it renders its own pages and leaves every other page
exactly as MkDocs alone renders it (Liquid- and Jinja-looking text, code blocks titled like
snippets, definition lists under parameter headings)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON

pytestmark = pytest.mark.xdist_group("plugin-outside")  # the module's sites are built once, on one worker

ORDINARY_PAGES = {
    "index.md": """\
# Deploying

Set the token in CI as `${{ secrets.TOKEN }}` and reference `{{ site.baseurl }}` in templates.
A Liquid tag such as {% include footer.html %} stays text here, as does {%- raw -%} and {{ page.title | upcase }}.

```jinja
{% for user in users %}
  <li>{{ user.name | e }}</li>
{% endfor %}
```

~~~ python
import requests
requests.get("https://example.com/things/1")
~~~
{: title="Python" }

~~~ bash
curl -X GET "https://example.com/things/1" -H "Authorization: Token abc"
~~~
{: title="curl" }
""",
    "guide/parameters.md": """\
---
title: Parameters & options
description: The writer's guide to parameters & options
position: 2
---

# Parameters

### URL Parameters:

thing_id
: (string) ***Required*** The thing's identifier

### Query Parameters

verbose
: (boolean) Say more

```liquid
{% include timp/links/response_codes.md %}
{{ site.baseurl }}/things/
```
""",
    "guide/notes.md": """\
Notes without front matter or a heading: {{ not.jinja }} and {% not_liquid %}.

```python title="Python"
print("a titled code block that is not a pasted snippet")
```
""",
}

ENDPOINT = """\
---
title: /things/&lt;thing_id&gt;/
name: Get Thing
method: get
description: One thing
example:
  params:
    thing_id: 42
---
Returns one thing.

### URL Parameters:

thing_id
: (string) The thing's identifier
"""

MKDOCS_YML = """\
site_name: Outside Site
theme:
  name: material
markdown_extensions:
  - toc:
      permalink: true
  - admonition
plugins:
  - search
{plugin}"""

ARTICLE = re.compile(r"<article\b.*?</article>", re.S)


def make_project(root: Path, *, plugin: bool, endpoint: bool = False, extra: dict[str, str] | None = None,
                 plugin_options: str = "") -> Path:
    pages = {**ORDINARY_PAGES, **(extra or {})}
    if endpoint:
        pages["api/get-thing.md"] = ENDPOINT
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(plugin=f"  - apidocs{plugin_options}\n" if plugin else ""), encoding="utf-8")
    return root


def mkdocs_build(project: Path) -> Path:
    result = subprocess.run([PYTHON, "-m", "mkdocs", "build", "--strict", "-q", "-d", "site"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "site"


def page_html(site: Path, source: str) -> str:
    stem = source.removesuffix(".md")
    path = site / ("index.html" if stem == "index" else f"{stem}/index.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plain_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    without = mkdocs_build(make_project(tmp_path_factory.mktemp("without"), plugin=False))
    with_plugin = mkdocs_build(make_project(tmp_path_factory.mktemp("with"), plugin=True))
    return without, with_plugin


def test_a_site_without_definitions_is_byte_identical_with_the_plugin(plain_sites: tuple[Path, Path]) -> None:
    without, with_plugin = plain_sites
    for source in ORDINARY_PAGES:
        assert page_html(with_plugin, source) == page_html(without, source), source
    # Not a vacuous comparison: the text the plugin used to rewrite is in the pages as written.
    index = page_html(with_plugin, "index.md")
    assert "${{ secrets.TOKEN }}" in index and "{% for user in users %}" in index
    assert "requests.get(" in index and "curl -X GET" in index
    parameters = page_html(with_plugin, "guide/parameters.md")
    assert "thing_id" in parameters and "<table>" not in parameters
    assert not (with_plugin / "assets/apidocs").exists()


@pytest.fixture(scope="module")
def endpoint_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # MkDocs alone renders the definition as a plain page; the ordinary pages must not notice either way.
    without = mkdocs_build(make_project(tmp_path_factory.mktemp("without-endpoint"), plugin=False, endpoint=True))
    with_plugin = mkdocs_build(make_project(tmp_path_factory.mktemp("with-endpoint"), plugin=True, endpoint=True))
    return without, with_plugin


def test_with_an_endpoint_the_ordinary_pages_articles_are_identical(endpoint_sites: tuple[Path, Path]) -> None:
    without, with_plugin = endpoint_sites
    for source in ORDINARY_PAGES:
        ours, theirs = ARTICLE.findall(page_html(with_plugin, source)), ARTICLE.findall(page_html(without, source))
        assert len(ours) == 1 and ours == theirs, source


def test_with_an_endpoint_its_page_gets_the_snippet_tabs(endpoint_sites: tuple[Path, Path]) -> None:
    _, with_plugin = endpoint_sites
    html = page_html(with_plugin, "api/get-thing.md")
    labels = re.findall(r'<label for="apidocs_snippets_\d+">([^<]+)</label>', html)
    assert labels == ["curl", "HTTPie", "Python", "Node.js"]
    assert "/things/42/" in html and "apidocs-signature" in html
    assert (with_plugin / "assets/apidocs/apidocs.css").is_file()


def test_a_page_that_opts_in_is_read_like_a_definition(tmp_path: Path) -> None:
    opted_in = {"opted-in.md": "---\napidocs: true\n---\n# Opted in\n\nProduct {{ site.product }}.\n\n"
                               "### URL Parameters:\n\nthing_id\n: (string) The thing\n"}
    project = make_project(tmp_path, plugin=True, extra=opted_in, plugin_options=":\n      site: {product: Widget}")
    site = mkdocs_build(project)
    html = page_html(site, "opted-in.md")
    assert "Product Widget." in html and "<table>" in html
    assert "{{ not.jinja }}" in page_html(site, "guide/notes.md")


def test_a_definitions_glob_claims_pages_without_method(tmp_path: Path) -> None:
    extra = {"reference/overview.md": "# Overview\n\nBase URL: {{ site.base }}\n"}
    project = make_project(tmp_path, plugin=True, extra=extra,
                           plugin_options=":\n      site: {base: https://api.example.com}\n      definitions: [\"reference/**/*.md\"]")
    site = mkdocs_build(project)
    assert "Base URL: https://api.example.com" in page_html(site, "reference/overview.md")
    assert "{{ site.baseurl }}" in page_html(site, "index.md")
