"""The loader: seed files verbatim, entities, definition lists, includes, harvested examples, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from apidocs.definitions.frontmatter import json_front_matter, split_front_matter
from apidocs.definitions.loader import DefinitionLoader, load_tree, path_from_title
from apidocs.model.endpoint import NO_BODY, Endpoint
from apidocs.model.errors import DefinitionError
from apidocs.model.positions import position_key
from conftest import ROOT, SAMPLE, SEEDS

CONFIRM_SEED = SEEDS / "000_8c6020ccc077dd06.txt"
REJECT_SEED = SEEDS / "002_7688b74335608a28.txt"


def loader(tmp_path: Path, includes: Path = ROOT / "includes") -> DefinitionLoader:
    return DefinitionLoader(tmp_path, includes, {"baseurl": ""})


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Endpoint:
    return load_file(tmp_path, write(tmp_path, text))


def load_file(tmp_path: Path, path: Path) -> Endpoint:
    document = loader(tmp_path).load(path)
    assert isinstance(document, Endpoint)
    return document


def test_shipped_seeds_are_byte_for_byte_the_originals() -> None:
    assert (ROOT / "docs/orders-supplier/confirm-order-cancelation.md").read_bytes() == CONFIRM_SEED.read_bytes()
    assert (ROOT / "docs/orders-supplier/reject-order-cancelation.md").read_bytes() == REJECT_SEED.read_bytes()


def test_confirm_seed_loads_as_an_endpoint(tmp_path: Path) -> None:
    shutil.copy(CONFIRM_SEED, tmp_path / "confirm.md")
    endpoint = load_file(tmp_path, tmp_path / "confirm.md")
    assert isinstance(endpoint, Endpoint)
    assert endpoint.method == "PATCH"
    assert endpoint.path == "/timp/orders/cancel/{order_uuid}/confirm/"
    assert endpoint.name == "Confirm Order Cancelation"
    assert str(endpoint.position) == "5.2.4"
    assert endpoint.visibility == ["public"]


def test_seed_url_parameters_become_a_parameter_group_with_source_lines(tmp_path: Path) -> None:
    shutil.copy(CONFIRM_SEED, tmp_path / "confirm.md")
    endpoint = load_file(tmp_path, tmp_path / "confirm.md")
    group = endpoint.group_of_kind("path")
    assert group is not None and group.title == "URL Parameters"
    (parameter,) = group.parameters
    assert parameter.name == "order_uuid"
    assert parameter.type == "string"
    assert parameter.description == "Universal Unique Identifier for the canceled order"
    assert CONFIRM_SEED.read_text().splitlines()[parameter.line - 1] == "order_uuid"


def test_seed_pasted_snippets_are_harvested_and_not_shown(tmp_path: Path) -> None:
    shutil.copy(REJECT_SEED, tmp_path / "reject.md")
    endpoint = load_file(tmp_path, tmp_path / "reject.md")
    assert endpoint.example.path_params == {"order_uuid": "3f756137-f575-4337-b61f-d55b917b146b"}
    assert [s.title for s in endpoint.pasted] == ["Curl", "HTTPie", "Python (requests)", "Node.js"]
    assert endpoint.example.headers == []  # the session cookie is dropped, the auth header is site-wide
    assert endpoint.harvested is not None and endpoint.harvested.dropped_headers == ["Cookie"]
    shown = "".join(block.markdown for block in endpoint.blocks)
    assert "sessionid" not in shown and "send_request" not in shown and "{: title" not in shown


def test_seed_include_is_resolved_with_site_values(tmp_path: Path) -> None:
    includes = tmp_path / "inc"
    (includes / "timp/links").mkdir(parents=True)
    (includes / "timp/links/response_codes.md").write_text('<a href="{{ site.baseurl }}/#codes">Codes</a>\n')
    shutil.copy(CONFIRM_SEED, tmp_path / "confirm.md")
    endpoint = DefinitionLoader(tmp_path, includes, {"baseurl": "/base"}).load(tmp_path / "confirm.md")
    shown = "".join(block.markdown for block in endpoint.blocks)
    assert '<a href="/base/#codes">Codes</a>' in shown


@pytest.mark.parametrize(("title", "path"), [
    ("/timp/orders/cancel/&lt;order_uuid&gt;/confirm/", "/timp/orders/cancel/{order_uuid}/confirm/"),
    ("/timp/orders/&ltuuid&gt/", "/timp/orders/{uuid}/"),  # the broken form real trees have
    ("/a/<id>/b/{other}/", "/a/{id}/b/{other}/"),
])
def test_path_from_title_reads_entities_and_placeholders(title: str, path: str) -> None:
    assert path_from_title(title) == path


def test_sample_get_order_detail_with_broken_entities_loads(tmp_path: Path) -> None:
    tree = load_tree(SAMPLE / "_order", SAMPLE / "_includes", {"baseurl": ""}, only=[SAMPLE / "_order/get_order_detail.md"])
    # The sample lacks most includes; the finding names the include line, not the file start.
    (finding,) = tree.findings
    assert finding.code == "E010"
    text = (SAMPLE / "_order/get_order_detail.md").read_text().splitlines()
    assert "include timp/objects/fees.md" in text[finding.line - 1]


def test_definition_lists_read_type_and_required_markers(tmp_path: Path) -> None:
    endpoint = load(tmp_path, """---
title: /orders/
method: post
---
### Request Parameters:

po_number
: (string) ***Required*** The PO number

notes
: (string) **Optional** Free text
  that continues here

#### Fees Object:

order_fee
: (number) **Required** The fee
""")
    request = endpoint.group_of_kind("request")
    assert request is not None
    assert [(p.name, p.type, p.is_required) for p in request.parameters] == [("po_number", "string", True), ("notes", "string", False)]
    assert request.parameters[0].description == "The PO number"
    assert request.parameters[1].description == "Free text that continues here"
    fees = endpoint.group_of_kind("object")
    assert fees is not None and fees.title == "Fees Object" and fees.parameters[0].is_required


def test_a_code_span_of_three_backticks_alone_on_a_line_does_not_open_a_fence(tmp_path: Path) -> None:
    """"```a && b```" is inline code (a backtick fence's info string holds no backtick); read as a
    fence that is never closed it hid every parameter list below it."""
    endpoint = load(tmp_path, """---
title: /events/triggers
method: post
---
The condition, for example:

```changeType == 'UPDATE' && Invoice.Amount > 1000```

### Headers

Zuora-Track-Id
: (string) An id for tracing the call.

```json
{"kept": "as a block"}
```
""")
    headers = endpoint.group_of_kind("header")
    assert headers is not None and [p.name for p in headers.parameters] == ["Zuora-Track-Id"]
    prose = "".join(block.markdown or "" for block in endpoint.blocks)
    assert "```changeType == 'UPDATE'" in prose and '``` json\n{"kept": "as a block"}\n```' in prose  # a real block stays one


def test_right_code_request_block_is_the_body_and_responses_are_kept(tmp_path: Path) -> None:
    endpoint = load(tmp_path, """---
title: /orders/
method: post
right_code: |
  ~~~ json
  {"po": "x"}
  ~~~
  {: title="Request" }

  ~~~ json
  {"uuid": "u"}
  ~~~
  {: title="Response 201" }
---
Create.
""")
    assert endpoint.example.body == {"po": "x"}
    assert ("Content-Type", "application/json") in endpoint.example.headers
    assert [(r.status, r.body) for r in endpoint.responses] == [(201, {"uuid": "u"})]
    assert endpoint.expected_status == 201


def test_example_front_matter_wins_over_pasted_snippets(tmp_path: Path) -> None:
    text = CONFIRM_SEED.read_text().replace("right_code: |", "example:\n  params: {order_uuid: abc}\n  query: {tag: [a, b], flag: false, n: 0, empty: ''}\n  headers: {X-Trace: t1}\n  body: null\n  status: 202\nright_code: |", 1)
    endpoint = load(tmp_path, text)
    assert endpoint.example.path_params == {"order_uuid": "abc"}
    assert endpoint.example.query == [("tag", "a"), ("tag", "b"), ("flag", "false"), ("n", "0"), ("empty", "")]
    assert ("X-Trace", "t1") in endpoint.example.headers
    assert endpoint.example.body is None and endpoint.example.has_body  # JSON null is a body
    assert endpoint.expected_status == 202


def test_curl_body_with_ansi_c_quoting_is_harvested(tmp_path: Path) -> None:
    endpoint = load(tmp_path, """---
title: /timp/orders/cancel/
method: patch
---
~~~ bash
curl -X "PATCH" "https://api.example.com/timp/orders/cancel/?a=1&b=x%20y" \\
     -H 'Authorization: Token 1234567890' \\
     -H 'Content-Type: application/json; charset=utf-8' \\
     -d $'{
  "order_uuid": "it\\'s"
}'
~~~
{: title="Curl" }
""")
    assert endpoint.example.body == {"order_uuid": "it's"}
    assert endpoint.example.query == [("a", "1"), ("b", "x y")]
    assert endpoint.example.headers == [("Content-Type", "application/json; charset=utf-8")]


def test_overlay_file_adds_keys_to_a_verbatim_definition(tmp_path: Path) -> None:
    shutil.copy(CONFIRM_SEED, tmp_path / "confirm.md")
    (tmp_path / "confirm.apidocs.yml").write_text("responses:\n  - status: 200\n    body: {ok: true}\n")
    endpoint = load_file(tmp_path, tmp_path / "confirm.md")
    assert [(r.status, r.body) for r in endpoint.responses] == [(200, {"ok": True})]


def test_missing_path_value_marks_the_example_incomplete(tmp_path: Path) -> None:
    endpoint = load(tmp_path, "---\ntitle: /orders/&lt;uuid&gt;/\nmethod: get\n---\nText\n")
    assert not endpoint.is_example_complete
    assert endpoint.example.body is NO_BODY


@pytest.mark.parametrize(("text", "line", "code", "words"), [
    ("---\ntitle: /a/\nmethod: get\nname: [broken\n---\n", 5, "E001", "not valid YAML"),
    ("---\ntitle: /a/\nname: [broken\nmethod: get\n---\n", 4, "E001", "(while parsing a flow sequence that starts on line 3)"),
    ("---\ntitle: /a/\nname: \"open\nmethod: get\n---\n", 5, "E001", "(while scanning a quoted scalar that starts on line 3)"),
    ("---\ntitle: /a/\nname: A\n---\n", 2, "E002", "`method` is missing"),
    ("---\ntitle: /a/\nname: A\nmethod: fetch\n---\n", 4, "E003", "unknown method 'fetch'"),
    ("---\ntitle: /a/&lt;id&gt;/\nmethod: get\n---\n### URL Parameters:\n\nother\n: (string) Not in the path\n", 7, "E007", "`other` is documented but not in the path"),
    ("---\ntitle: /a/\nmethod: get\nposition: x.y\n---\n", 4, "E004", "position"),
    ("---\ntitle: /a/\nmethod: get\nexample: {status: ok}\n---\n", 4, "E008", "example.status"),
    # A form sends an object's members as its fields: a list or a text cannot be one.
    ("---\ntitle: /a/\nmethod: post\nexample:\n  headers:\n    Content-Type: application/x-www-form-urlencoded\n"
     "  body:\n    - amount\n---\n", 7, "E008", "sent as a form"),
    ("---\ntitle: /a/\nmethod: get\n---\n{% include missing.md %}\n", 5, "E010", "include not found"),
    ("---\ntitle: /a/\nmethod: get\n", 1, "E001", "never ends"),
])
def test_bad_definitions_fail_with_file_and_line(tmp_path: Path, text: str, line: int, code: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        loader(tmp_path).load(path)
    finding = caught.value.finding
    assert (Path(finding.path), finding.line, finding.code) == (path, line, code)
    assert words in finding.message
    assert str(finding).startswith(f"{path}:{line}: {code} ")


def test_one_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path, "---\ntitle: /a/\nmethod: nope\n---\n", "bad.md")
    write(tmp_path, "---\ntitle: /b/\nmethod: get\n---\n", "good.md")
    tree = load_tree(tmp_path, tmp_path, {})
    assert list(tree.documents) == ["good.md"]
    assert [f.code for f in tree.errors] == ["E003"]


@pytest.mark.parametrize(("smaller", "larger"), [
    ("5.2.4", "5.2.10"), (8.1, 8.2), ("5.2", "5.2.1"), (4.01, 4.1), (2, "5.1.3"), (1, None),
])
def test_positions_sort_as_dotted_numbers(smaller: object, larger: object) -> None:
    assert position_key(smaller) < position_key(larger)


def test_yaml_number_position_sorts_as_a_number() -> None:
    assert position_key(8.10) == position_key("8.1")
    assert position_key(8.10) < position_key(8.9)


@pytest.mark.parametrize("heading, kind", [
    ("Cookies", "cookie"), ("Cookie Parameters:", "cookie"), ("Cookie Object:", "object"), ("Session Cookie Fields", "object"),
    ("Headers", "header"), ("Query Parameters:", "query"), ("Address Object:", "object"),
])
def test_headings_name_the_parameter_list_they_hold(heading: str, kind: str) -> None:
    from apidocs.definitions.body import group_kind

    assert group_kind(heading) == kind


def test_a_term_escaped_for_markdown_is_the_name_markdown_shows(tmp_path: Path) -> None:
    endpoint = load(tmp_path, """---
title: /nodes
method: post
---
### Query Parameters

\\:operation
: (string) What to do

\\\\path
: (string)

a\\:b
: (string)
""")
    query = endpoint.group_of_kind("query")
    assert query is not None
    assert [p.name for p in query.parameters] == [":operation", "\\path", "a\\:b"]


# --- front matter written as JSON (import-openapi writes its long definitions so) ----------------

JSON_DEFINITION = """---
{
  "title": "/things/&lt;id&gt;/",
  "name": "Get a thing",
  "method": "get",
  "example": {
    "params": {"id": "t-1"},
    "query": {"tags": ["a", "b"], "limit": 5}
  },
  "request": {
    "parameters": {
      "query": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "limit": {"type": "integer"}
      }
    }
  },
  "responses": [
    {"status": 200, "body": {"id": "t-1", "note": "caf\\u00e9 \\ud83d\\ude00", "deep": {"a": {"b": {"c": 1.5e3}}}}}
  ]
}
---
Reads a thing.

### URL Parameters:

id
: (string) The thing
"""


def test_json_front_matter_reads_as_yaml_does_with_the_lines_of_its_keys(tmp_path: Path) -> None:
    front = split_front_matter(JSON_DEFINITION, "page.md")
    lines = JSON_DEFINITION.split("\n")
    as_yaml = split_front_matter("---\n" + yaml.safe_dump(front.data, sort_keys=False) + "---\n" + front.body, "page.md")
    assert front.data == as_yaml.data
    assert front.data["responses"][0]["body"]["deep"]["a"]["b"]["c"] == 1500.0  # JSON's number, not YAML 1.1's text
    assert front.data["responses"][0]["body"]["note"] == "café \U0001F600"
    assert front.body.startswith("Reads a thing.") and lines[front.body_line - 1] == "Reads a thing."
    for where, fragment in [(("title",), '"title"'), (("example", "query", "tags"), '"tags": ["a"'),
                            (("request", "parameters", "query", "limit"), '"limit": {"type"'),
                            (("responses", "0"), '{"status": 200')]:
        assert fragment in lines[front.path_lines[where] - 1], where
    assert front.line_of("request") == next(number for number, line in enumerate(lines, 1) if '"request"' in line)
    endpoint = load(tmp_path, JSON_DEFINITION)
    assert endpoint.example.query == [("tags", "a"), ("tags", "b"), ("limit", "5")]
    assert endpoint.parameter_schemas[("query", "tags")] == {"type": "array", "items": {"type": "string"}}


@pytest.mark.parametrize(("front", "n"), [('{title: /x/, method: get, n: 1e3}', "1e3"), ('{"title": "/x/", "method": "get", "n": NaN}', "NaN"),
                                          ('{"title": "/x/", "method": "get", "n": 1e3} # a YAML comment', "1e3")])
def test_front_matter_that_is_not_strict_json_is_read_as_yaml(tmp_path: Path, front: str, n: str) -> None:
    data = split_front_matter(f"---\n{front}\n---\nBody\n", "page.md").data
    assert data == {"title": "/x/", "method": "get", "n": n}  # YAML 1.1's plain text, as before (JSON would read 1000.0)


def test_a_json_front_matter_error_names_the_line_of_its_key(tmp_path: Path) -> None:
    text = JSON_DEFINITION.replace('"limit": {"type": "integer"}', '"limit": {"type": "integer", "minimum": "x"}')
    with pytest.raises(DefinitionError) as raised:
        load(tmp_path, text)
    assert raised.value.finding.code == "E015"
    assert '"limit": {"type": "integer", "minimum"' in text.split("\n")[raised.value.finding.line - 1]


# The lines below the top level are read only when a message needs one: each place that checks a
# schema still names the line of its key (a JSON front matter as import-openapi writes it).
@pytest.mark.parametrize(("mistake", "fragment", "code"), [
    ({"request": {"schema": {"type": "thing"}}}, '"schema": {', "E015"),
    ({"request": {"parameters": {"query": {"limit": {"minimum": "x"}}}}}, '"limit": {"minimum": "x"}', "E015"),
    ({"request": {"parameters": {"cookies": {"a": {}}}}}, '"parameters": {', "E015"),  # the key whose members are wrong
    ({"request": {"other_media_types": {"text/plain": {"type": 5}}}}, '"text/plain": {', "E015"),
    ({"request": {"other_media_types": {"not a type": None}}}, '"not a type": null', "E015"),
    ({"responses": [{"status": 200}, {"status": 404, "schema": {"type": []}}]}, '"schema": {', "E021"),
    ({"responses": [{"status": 200, "body": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]},
     '"a": [[[', "E013"),
])
def test_a_json_front_matter_mistake_below_the_top_names_the_line_of_its_key(tmp_path: Path, mistake: dict[str, Any],
                                                                          fragment: str, code: str) -> None:
    text = "---\n" + json_front_matter({"title": "/things", "method": "post", "example": {"body": {"a": 1}}, **mistake}) + "---\nBody\n"
    with pytest.raises(DefinitionError) as raised:
        load(tmp_path, text)
    assert raised.value.finding.code == code
    assert fragment in text.split("\n")[raised.value.finding.line - 1]


def test_json_front_matter_is_written_with_a_line_for_each_key_the_reader_keeps() -> None:
    data = {"title": "/x/", "method": "post", "empty": {}, "none": [], "café": "naïve \u2028 \"quoted\"",
            "request": {"parameters": {"query": {"limit": {"type": "integer", "maximum": 10}}},
                        "schema": {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}},
            "responses": [{"status": 200, "body": [1, 2.5, None, True]}]}
    text = json_front_matter(data)
    front = split_front_matter(f"---\n{text}---\nBody\n", "page.md")
    assert front.data == data
    lines = f"---\n{text}".split("\n")
    keys = [where for where in front.path_lines if not where[-1].isdigit()]
    assert ("request", "parameters", "query", "limit") in keys and ("request", "schema", "properties", "a") in keys
    for where in keys:
        assert lines[front.path_lines[where] - 1].lstrip().startswith(json.dumps(where[-1], ensure_ascii=False) + ":"), where
    assert '"limit": {"type": "integer", "maximum": 10}' in text  # below the kept levels: one line
    with pytest.raises(ValueError):
        json_front_matter({"n": float("nan")})


def test_json_front_matter_escapes_what_splitlines_reads_as_a_line_break() -> None:
    data = {"title": "/x/", "text": "a\u2028b\u2029c\x85d"}
    text = json_front_matter(data)
    assert len(text.splitlines()) == len(text.split("\n")) - 1 == 4
    assert split_front_matter(f"---\n{text}---\nBody\n", "page.md").data == data
