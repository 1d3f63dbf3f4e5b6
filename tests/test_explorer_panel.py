"""The explorer's build-time side: templates as slots, the panel markup and the data it carries."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree
from apidocs.explorer.bundle import non_printable_table
from apidocs.explorer.context import ServeContext
from apidocs.explorer.panel import explorer_data, render_panel
from apidocs.explorer.slots import fill, render_parts, slot_values
from apidocs.model.endpoint import Block, Endpoint, Parameter, ParameterGroup
from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.request import build_request
from apidocs.rendering.snippets import render_snippet
from serve_helpers import APIDOCS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> tuple[Any, dict[str, Endpoint], list[Language]]:
    settings = load_settings(ROOT / "mkdocs.yml")
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    endpoints = {uri: doc for uri, doc in tree.documents.items() if isinstance(doc, Endpoint)}
    return settings, endpoints, load_languages(settings.snippets_dir)


def test_every_shipped_template_is_live_and_fills_back_to_the_snippet(shipped: Any) -> None:
    settings, endpoints, languages = shipped
    assert endpoints
    for endpoint in endpoints.values():
        request = build_request(endpoint, settings.auth, settings.default_server)
        for language in languages:
            parts = render_parts(settings.snippets_dir, language, request)
            assert parts is not None, f"{endpoint.src_uri} {language.name} is not live"
            assert fill(parts, slot_values(request)) == render_snippet(settings.snippets_dir, language, request)
            assert any(not isinstance(part, str) for part in parts)


def _language(folder: Path, source: str) -> Language:
    (folder / "custom.sh.j2").write_text(source, encoding="utf-8")
    return Language(name="custom", label="Custom", template="custom.sh.j2", highlight="bash", extension="sh")


@pytest.mark.parametrize("source", [
    "{{ request.url | upper }}",  # a Jinja filter the browser has no twin of
    "{% for name, value in request.query %}{{ name }}{% endfor %}",  # a loop over a changeable list
    "{% if request.url == 'x' %}x{% endif %}",  # a decision on a changeable value
    "{{ request.body }}",  # a dict printed as Python's repr
    "{{ request.url.startswith('https') }}",
    "{{ request.url ~ '/' | length }}{{ request.url | length }}",
])
def test_templates_the_browser_cannot_replay_stay_static(tmp_path: Path, shipped: Any, source: str) -> None:
    settings, endpoints, _ = shipped
    request = build_request(endpoints["orders-retailer/cancel-order.md"], settings.auth, settings.default_server)
    assert render_parts(tmp_path, _language(tmp_path, source), request) is None


@pytest.mark.parametrize("source", [
    "{{ request.url | sh }} {{ request.header('Authorization') | sh }}",
    "{{ request.body | py(indent=2) }}",  # keyword arguments reach the browser as positions
    "{{ request.method | lower }} {{ request.scheme }}://{{ request.target }}",
    "{{ (request.headers[0]) | curl_header }} {{ request.body | json_text(None) | sh }}",
])
def test_supported_templates_are_live(tmp_path: Path, shipped: Any, source: str) -> None:
    settings, endpoints, _ = shipped
    request = build_request(endpoints["orders-retailer/cancel-order.md"], settings.auth, settings.default_server)
    parts = render_parts(tmp_path, _language(tmp_path, source), request)
    assert parts is not None
    if "indent=2" in source:
        assert parts[0] == {"f": "py", "a": [{"slot": "body"}, {"j": "2"}]}


def test_parts_are_shared_by_endpoints_of_one_shape_yet_each_fills_back_to_its_own_snippet(tmp_path: Path, shipped: Any) -> None:
    """Parts are recorded once per shape (method, body or not, header names); a template that
    shows the endpoint's name is recorded for each endpoint."""
    settings, endpoints, _ = shipped
    for source in ("{{ request.method }} {{ request.url | sh }}", "# {{ request.name }}\n{{ request.url | sh }}"):
        folder = tmp_path / ("name" if "name" in source else "plain")
        folder.mkdir()
        language = _language(folder, source)
        filled = set()
        for endpoint in endpoints.values():
            request = build_request(endpoint, settings.auth, settings.default_server)
            parts = render_parts(folder, language, request)
            assert parts is not None, (source, endpoint.src_uri)
            filled.add(fill(parts, slot_values(request)))
            assert fill(parts, slot_values(request)) == render_snippet(folder, language, request)
        assert len(filled) == len(endpoints) > 1


UPLOAD = {"title": "Q3 report", "file": "report.csv", "tags": ["a", "b"], "attachments": ["notes.txt", "logo.png"],
          "meta": {"k": "v w"}}
UPLOAD_FILES = ["file", "attachments"]


def multipart(endpoint: Endpoint, body: dict[str, Any] = UPLOAD, files: list[str] = UPLOAD_FILES) -> Endpoint:
    """The endpoint sending `body` as multipart/form-data, its `files` members as files."""
    headers = [(name, value) for name, value in endpoint.example.headers if name.lower() != "content-type"]
    example = dataclasses.replace(endpoint.example, body=body, headers=[*headers, ("Content-Type", "multipart/form-data")])
    return dataclasses.replace(endpoint, request_files=files, example=example)


# Bodies the reader may write in place of the example's: no part, no file, files only, fields
# and files in another order, names and texts every snippet language must quote.
EDITED_UPLOADS: list[dict[str, Any]] = [
    {}, {"title": "only text"}, {"file": "a.txt", "attachments": []}, {"attachments": ["x.bin"], "n": 1e16, "file": "y.csv"},
    {"it's": "$(id) `x` \\ :@;", "file": "q.txt", "日本": ["😀", None, True], "attachments": ["a", "b", "c"],
     "rows": [{"id": 1}], "line": "a\nb\u2028"},
]


def test_shipped_templates_are_live_for_a_multipart_body(shipped: Any) -> None:
    """The templates loop over the body's parts: recorded once per case (a field, a file), they
    fill back to the snippet for any body of the shape, whatever its parts."""
    settings, endpoints, languages = shipped
    endpoint = multipart(endpoints["orders-retailer/cancel-order.md"])
    request = build_request(endpoint, settings.auth, settings.default_server)
    assert request.is_multipart
    for language in languages:
        parts = render_parts(settings.snippets_dir, language, request)
        assert parts is not None, f"{language.name} is not live for a multipart body"
        loops = [part for part in parts if isinstance(part, dict) and "each" in part]
        assert loops or language.name == "python", language.name  # python.py.j2 hands the parts to py_fields and py_files
        for loop in loops:
            assert [case["when"] for case in loop["cases"]] == [{"is_file": False}, {"is_file": True}]
        for body in [UPLOAD, *EDITED_UPLOADS]:
            edited = build_request(multipart(endpoint, body), settings.auth, settings.default_server)
            assert fill(parts, slot_values(edited)) == render_snippet(settings.snippets_dir, language, edited), (language.name, body)


@pytest.mark.parametrize("source", [
    "{% for part in request.body | multipart_parts(request.files) %}{{ loop.index }} {{ part | curl_part }}\n{% endfor %}",
    "{% for part in request.body | multipart_parts(request.files) %}{{ part.value | upper }}{% endfor %}",
    "{% for part in request.body | multipart_parts(request.files) %}{% if part.name == 'file' %}x{% endif %}{% endfor %}",
    "{% for part in request.body | multipart_parts(request.files) %}{{ part.size }}{% endfor %}",
    "{% for part in request.body | multipart_parts(request.files) %}x{% else %}none{% endfor %}",
    "{% macro each(parts) %}{% for part in parts %}{{ part.name | sh }}{% endfor %}{% endmacro %}"
    "{{ each(request.body | multipart_parts(request.files)) | trim }}",
])
def test_loops_the_browser_cannot_replay_stay_static(tmp_path: Path, shipped: Any, source: str) -> None:
    settings, endpoints, _ = shipped
    request = build_request(multipart(endpoints["orders-retailer/cancel-order.md"]), settings.auth, settings.default_server)
    assert render_parts(tmp_path, _language(tmp_path, source), request) is None


@pytest.mark.parametrize("source", [
    "{% for part in request.body | multipart_parts(request.files) %}{{ part.name | sh }}={{ part.value | sh }}\n{% endfor %}",
    "{% for part in request.body | multipart_parts(request.files) if part.is_file %}{{ part | curl_part }} {% endfor %}",
    "{% set parts = request.body | multipart_parts(request.files, request.form_lists) %}"
    "{% for part in parts %}{% for other in parts %}{{ part.name | sh }}{{ other | httpie_part }}{% endfor %}{% endfor %}",
])
def test_loops_over_parts_are_live(tmp_path: Path, shipped: Any, source: str) -> None:
    settings, endpoints, _ = shipped
    language = _language(tmp_path, source)
    endpoint = multipart(endpoints["orders-retailer/cancel-order.md"])
    parts = render_parts(tmp_path, language, build_request(endpoint, settings.auth, settings.default_server))
    assert parts is not None
    for body in [UPLOAD, *EDITED_UPLOADS]:
        edited = build_request(multipart(endpoint, body), settings.auth, settings.default_server)
        assert fill(parts, slot_values(edited)) == render_snippet(tmp_path, language, edited)


class _Accessible(HTMLParser):
    """Labels (by their `for`), buttons and roles of a fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, str] = {}
        self.ids: set[str] = set()
        self.buttons: list[str] = []
        self.roles: list[str] = []
        self._label: str | None = None
        self._button = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        if attributes.get("role"):
            self.roles.append(attributes["role"] or "")
        if tag == "label":
            self._label, self._text = attributes.get("for"), ""
        if tag == "button":
            self._button, self._text = True, ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label:
            self.labels[self._label] = self._text
            self._label = None
        if tag == "button" and self._button:
            self.buttons.append(self._text)
            self._button = False


def test_panel_meets_the_accessibility_contract(shipped: Any) -> None:
    settings, endpoints, languages = shipped
    markup = render_panel(endpoints["orders-retailer/cancel-order.md"], settings, languages)
    parser = _Accessible()
    parser.feed(markup)
    assert {"Server", "Token", "Body", "Content-Type"} <= set(parser.labels.values())
    assert all(target in parser.ids for target in parser.labels)  # every label points at a control
    assert "Send" in parser.buttons
    assert "status" in parser.roles
    confirm = _Accessible()
    confirm.feed(render_panel(endpoints["orders-supplier/confirm-order-cancelation.md"], settings, languages))
    assert "order_uuid" in confirm.labels.values()
    assert "Body" not in confirm.labels.values()  # no body editor without a body


def _data(markup: str) -> dict[str, Any]:
    match = re.search(r'data-apidocs-explorer=(["\'])(.*?)\1', markup)
    assert match
    return json.loads(html.unescape(match.group(2)))


def test_hostile_example_values_stay_data(shipped: Any) -> None:
    settings, endpoints, languages = shipped
    endpoint = endpoints["orders-supplier/confirm-order-cancelation.md"]
    hostile = '"></section><script>alert(1)</script>&amp;'
    endpoint = dataclasses.replace(endpoint, example=dataclasses.replace(endpoint.example, path_params={"order_uuid": hostile}))
    markup = render_panel(endpoint, settings, languages)
    assert "<script" not in markup and "</section><" not in markup.replace("</section>\n", "")
    assert _data(markup)["params"] == [{"name": "order_uuid", "value": hostile}]


def test_servers_in_a_build_and_under_serve(shipped: Any) -> None:
    settings, endpoints, languages = shipped
    endpoint = endpoints["orders/get-order-detail.md"]
    static = explorer_data(endpoint, settings, languages)
    assert (static["sandbox"], static["proxy"]) == (None, None)
    assert [s["url"] for s in static["servers"]] == [s.url for s in settings.servers]
    served = explorer_data(endpoint, settings, languages, ServeContext(sandbox_path="/sandbox", proxy_path="/_apidocs/proxy"))
    assert (served["sandbox"], served["proxy"]) == ("/sandbox", "/_apidocs/proxy")
    assert 'data-key="sandbox"' not in render_panel(endpoint, settings, languages)


def test_documented_query_parameters_become_inputs(shipped: Any) -> None:
    settings, endpoints, languages = shipped
    endpoint = endpoints["orders/get-order-detail.md"]
    group = ParameterGroup("Query Parameters", "query", [Parameter("page", "integer", False, "Page"),
                                                         Parameter("status", "string", True, "State")])
    endpoint = dataclasses.replace(endpoint, blocks=[*endpoint.blocks, Block(group=group)],
                                   example=dataclasses.replace(endpoint.example, query=[("status", "open")]))
    data = explorer_data(endpoint, settings, languages)
    assert data["query"] == [{"name": "status", "value": "open", "required": True, "auth": False},
                             {"name": "page", "value": "", "required": False, "auth": False}]
    assert 'data-label="status"' in render_panel(endpoint, settings, languages)


def test_printable_table_matches_this_python() -> None:
    ranges = []
    at = 0
    for item in non_printable_table().split(","):
        gap, length = (int(part, 36) for part in item.split("+"))
        ranges.append((at + gap, at + gap + length))
        at = at + gap + length + 1
    flagged = bytearray(0x110000)
    for start, end in ranges:
        flagged[start : end + 1] = b"\x01" * (end + 1 - start)
    expected = bytes(0 if chr(code).isprintable() else 1 for code in range(0x110000))
    assert bytes(flagged) == expected


def test_explorer_can_be_turned_off(project: Path, tmp_path: Path) -> None:
    config_file = project / "mkdocs.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "apidocs" in plugin:
            plugin["apidocs"]["explorer"] = False
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    site = tmp_path / "site"
    subprocess.run([APIDOCS, "-f", str(config_file), "build", "-d", str(site)], check=True, capture_output=True, timeout=120)
    page = (site / "orders-supplier" / "confirm-order-cancelation" / "index.html").read_text(encoding="utf-8")
    assert "data-apidocs-explorer" not in page and "explorer.js" not in page


def test_kept_non_printable_table_equals_a_fresh_scan_of_unicode() -> None:
    from apidocs.explorer.bundle import non_printable_table, scan_non_printable

    assert non_printable_table() == scan_non_printable()
