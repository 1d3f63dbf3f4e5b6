"""Definitions are data: hostile names, titles and descriptions show as text and never run.

A project whose definition `name`, `description`, response title, parameter fields, section
title and page titles carry markup is built; the HTML is parsed for anything the payloads
could have introduced, and the pages (and Material's search and instant navigation) are loaded
in real Chromium with traps for dialogs and for the requests an injected element would make.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from html import unescape
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from apidocs.model.endpoint import Parameter, ParameterGroup
from apidocs.rendering.pages import described, parameter_table
from apidocs.rendering.quoting import markdown_text
from apidocs.site.plugin import REQUIRED_EXTENSIONS
from serve_helpers import APIDOCS, GROUP

ROOT = Path(__file__).resolve().parent.parent
markdown: Any = importlib.import_module("markdown")  # Python-Markdown, as MkDocs runs it (no type stubs)

# Each payload names its own trap: a dialog saying its number, or a request for /x or /stolen.
NAME = "<img src=x onerror=alert(1)> \"><script>alert(2)</script> {{7*7}} </textarea> *a*{: onclick=alert(3)}"
DESCRIPTION = "\"><script>alert(4)</script><img src=x onerror=fetch('/stolen?'+sessionStorage.length)> </textarea>"
SECTION = "Evil <img src=x onerror=alert(5)> \"><script>alert(6)</script>"
PAGE_TITLE = "\"><script>alert(7)</script> {{7*7}} </textarea> <img src=x onerror=alert(8)>"
PLAIN_TITLE = "Plain <img src=x onerror=alert(9)> \"><svg onload=alert(10)>"
RESPONSE_TITLE = "Response <img src=x onerror=alert(11)> \" ' x"
FIELD = "x<img src=x onerror=alert(12)>"
FIELD_TYPE = "string|<b>bold</b>"
FIELD_DESCRIPTION = ("`code <i>` then <script>alert(13)</script> *a*{: onmouseover=alert(14)} "
                     "[c](javascript:alert(15)) ![i](x) | pipe &amp; {{7*7}}")
QUERY_NAME = "*a*{: onclick=alert(17)} [c](javascript:alert(18)) <b>q</b>"
QUERY_VALUE = "v <img src=x onerror=alert(19)>"
SITE = "XSS probe"  # the body is Liquid: it carries {{7*7}} inside {% raw %}

ENDPOINT = f"""---
title: /probe/&lt;id&gt;/
name: {json.dumps(NAME)}
position: 1
method: post
description: {json.dumps(DESCRIPTION)}
responses:
  - status: 200
    title: {json.dumps(RESPONSE_TITLE)}
    body: {{"a": "<img src=x onerror=alert(16)>"}}
example:
  params:
    id: abc
  query:
    {json.dumps(QUERY_NAME)}: {json.dumps(QUERY_VALUE)}
  body: {{"a": 1}}
---
Prose written by the writer stays Markdown: **bold**.

### URL Parameters

id
: (string) The probe

### Response Parameters

{FIELD}
: ({FIELD_TYPE}) {FIELD_DESCRIPTION.replace("{{7*7}}", "{% raw %}{{7*7}}{% endraw %}")}
"""


def write_project(project: Path, site_url: str) -> None:
    shutil.copytree(ROOT / "snippets", project / "snippets")
    shutil.copytree(ROOT / "includes", project / "includes")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["site_name"] = SITE
    config["site_url"] = f"{site_url}/"
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    docs = project / "docs"
    (docs / "evil").mkdir(parents=True)
    (docs / "index.md").write_text("---\ntitle: Home\nposition: 1\n---\n# Home\n\nStart here.\n", encoding="utf-8")
    (docs / "page.md").write_text(f"---\ntitle: {json.dumps(PAGE_TITLE)}\nposition: 2\napidocs: true\n"
                                  f"description: {json.dumps(DESCRIPTION)}\n---\nOwned page.\n", encoding="utf-8")
    (docs / "plain.md").write_text(f"---\ntitle: {json.dumps(PLAIN_TITLE)}\nposition: 3\nsubtitle: {json.dumps(NAME)}\n"
                                   f"description: {json.dumps(DESCRIPTION)}\n---\nAn ordinary page.\n", encoding="utf-8")
    (docs / "evil/.section.yml").write_text(f"title: {json.dumps(SECTION)}\nposition: 4\n", encoding="utf-8")
    (docs / "evil/probe.md").write_text(ENDPOINT, encoding="utf-8")


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The hostile project and the URL its site is served at (known before the build: Material's
    instant navigation only follows links under `site_url`)."""
    project = tmp_path_factory.mktemp("xss")
    (project / "site").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(project / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    write_project(project, url)
    yield project, url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(project: tuple[Path, str]) -> Path:
    folder = project[0]
    result = subprocess.run([APIDOCS, "-f", str(folder / "mkdocs.yml"), "build", "-d", str(folder / "site")],
                            capture_output=True, text=True, timeout=120, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder / "site"


@pytest.fixture(scope="module")
def site_url(site: Path, project: tuple[Path, str]) -> str:
    return project[1]


PAGES = ["evil/probe/index.html", "page/index.html", "plain/index.html", "index.html", "404.html"]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each script (no browser leniency)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parsed(site: Path, uri: str) -> Elements:
    parser = Elements()
    parser.feed((site / uri).read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.mark.parametrize("uri", PAGES)
def test_no_element_or_attribute_comes_from_a_payload(site: Path, uri: str) -> None:
    found = parsed(site, uri)
    for tag, attrs in found.elements:
        assert tag not in ("img", "svg", "textarea") or attrs.get("src") != "x", (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not attrs.get("href", "").lower().startswith("javascript:"), (tag, attrs)
    assert not [tag for tag, _ in found.elements if tag in ("img", "i", "b")]  # svg: Material's icons
    assert not [text for text in found.scripts if "alert" in text or "stolen" in text]


def test_titles_and_description_are_the_text_typed(site: Path) -> None:
    html = (site / "evil/probe/index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and unescape(title.group(1)) == f"{NAME} - {SITE}"
    description = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert description and unescape(description.group(1)) == DESCRIPTION
    plain = (site / "plain/index.html").read_text(encoding="utf-8")
    description = re.search(r'<meta name="description" content="([^"]*)">', plain)
    assert description and unescape(description.group(1)) == DESCRIPTION


def test_search_index_carries_escaped_text(site: Path) -> None:
    """Material's search shows titles and text as HTML: the index must hold them escaped."""
    docs = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))["docs"]
    for doc in docs:
        for key in ("title", "text"):
            assert not re.search(r"<(?!/?(?:p|code|pre|strong|em|ul|ol|li|table|thead|tbody|tr|th|td|dl|dt|dd|a)\b)",
                                 doc[key]), doc[key]
            assert "<script" not in doc[key] and "<img" not in doc[key]
    titles = {unescape(doc["title"]) for doc in docs}
    assert NAME in titles and PAGE_TITLE in titles


# --- The Markdown side, without a build ----------------------------------------------------------

HOSTILE = [NAME, DESCRIPTION, FIELD, FIELD_TYPE, "\\*not em\\*", "line\nbreak\n===", "# not a heading #",
           "<https://x.example>", "[a](javascript:alert(1))", "&amp; stays &amp;", "a | b", "__init__ _x_ x_y",
           "==mark== ++kbd++ ~~del~~ ^^ins^^ $x$"]


def render(text: str) -> str:
    return markdown.markdown(text, extensions=list(REQUIRED_EXTENSIONS), extension_configs={
        name: options for name, options in REQUIRED_EXTENSIONS.items() if options})


def visible(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_is_read_as_the_characters_typed(text: str) -> None:
    heading = render(f"# {markdown_text(text).strip()}")
    assert re.fullmatch(r"<h1[^>]*>[^<]*</h1>", heading), heading
    assert visible(heading) == " ".join(text.split())
    cell = render(parameter_table(ParameterGroup("Fields", "response", [Parameter(text, text, False, text)])))
    tags = set(re.findall(r"<(\w+)", cell))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "code", "a"}, cell
    assert all(link.startswith('<a class="apidocs-anchor" href="#param-response-') for link in re.findall(r"<a [^>]*>", cell))
    row = re.findall(r"<td>(.*?)</td>", cell, re.S)
    name = re.sub(r'<a class="apidocs-anchor".*?</a>', "", row[0])  # the anchor link shown on hover
    assert [visible(name), visible(row[1])] == [" ".join(text.split())] * 2


def test_a_description_keeps_its_code_spans_and_nothing_else() -> None:
    html = render(described(FIELD_DESCRIPTION))
    assert re.findall(r"<(\w+)", html) == ["p", "code"]
    assert visible(re.search(r"<code>.*?</code>", html).group()) == "code <i>"  # type: ignore[union-attr]
    assert visible(html) == FIELD_DESCRIPTION.replace("`", "")


# --- In Chromium ---------------------------------------------------------------------------------

class Traps:
    """What a payload would do if it ran: open a dialog, load `x`, send to `/stolen`."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", lambda request: self.requests.append(request.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_nothing_ran(self) -> None:
        assert self.dialogs == []
        assert not [url for url in self.requests if re.search(r"/(x|stolen)(\?|$)", url)]


HEADING = re.compile(re.escape(NAME) + "¶?")  # the permalink's pilcrow follows


def loaded(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")  # every injected image would have been requested by now


@pytest.mark.browser
@pytest.mark.xdist_group(GROUP)
@pytest.mark.parametrize("uri", ["evil/probe/", "page/", "plain/", ""])
def test_pages_show_the_payloads_as_text_in_chromium(page: Page, site_url: str, uri: str) -> None:
    traps = Traps(page)
    loaded(page, f"{site_url}/{uri}")
    assert page.locator(".md-nav--primary").get_by_text(SECTION, exact=True).count() >= 1
    assert page.locator(".md-nav--primary").get_by_text(PAGE_TITLE, exact=True).count() >= 1
    assert page.locator(".md-nav--primary").get_by_text(NAME, exact=True).count() >= 1
    if uri == "evil/probe/":
        assert page.title() == f"{NAME} - {SITE}"
        expect(page.locator("h1").first).to_have_text(HEADING)
        expect(page.locator(".md-header__topic").last).to_have_text(NAME)
        expect(page.locator(".highlight .filename").first).to_have_text(RESPONSE_TITLE)
        cells = page.locator(".apidocs-main table").last.locator("td")
        expect(cells.nth(0).locator("code.apidocs-name")).to_have_text(FIELD)
        field = page.locator(".apidocs-responses .apidocs-field").filter(has=page.locator("code.apidocs-name", has_text=FIELD))
        expect(field.locator(".apidocs-field-description").first).to_have_text(FIELD_DESCRIPTION.replace("`", ""))
        expect(cells.nth(1)).to_have_text(FIELD_TYPE)
        expect(cells.nth(2)).to_have_text(FIELD_DESCRIPTION.replace("`", ""))
        expect(page.get_by_label(QUERY_NAME, exact=True)).to_have_value(QUERY_VALUE)  # the Try it panel
    traps.assert_nothing_ran()
    assert page.evaluate("""() => [...document.querySelectorAll('*')].filter(el =>
        [...el.attributes].some(a => a.name.startsWith('on')) || (el.tagName === 'IMG' && el.getAttribute('src') === 'x')
    ).length""") == 0


@pytest.mark.browser
@pytest.mark.xdist_group(GROUP)
def test_instant_navigation_and_search_keep_the_payloads_inert(page: Page, site_url: str) -> None:
    traps = Traps(page)
    loaded(page, f"{site_url}/")
    page.evaluate("window.__sameDocument = true")
    page.locator('.md-nav--primary a[href$="evil/probe/"]').first.click()
    page.wait_for_url("**/evil/probe/")
    expect(page.locator("h1").first).to_have_text(HEADING)
    assert page.evaluate("window.__sameDocument") is True  # Material swapped the content in place
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator(".md-search__input").press_sequentially("onerror", delay=20)  # Material reads key events
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    expect(page.locator(".md-search-result")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator(".md-search-result img, .md-search-result script, .md-search-result svg[onload]").count() == 0
    page.wait_for_load_state("networkidle")
    traps.assert_nothing_ran()
