"""Hostile definitions: each attack is written into a project, then built and linted for real.

Every one must end in the same single `path:line: CODE message` line from `apidocs build` and
`apidocs lint` (and `apidocs check` for the Liquid loop), with no traceback, within a time and
memory ceiling. The bounds themselves are in `apidocs.definitions.format`.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

import pytest

from apidocs.definitions.format import MAX_DEFINITION_BYTES
from apidocs.definitions.loader import DefinitionLoader
from conftest import PYTHON

MEMORY_CEILING = 2 * 1024**3  # address space per process: a YAML or Liquid bomb would need far more

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""
NESTED_MAPPINGS = "".join(" " * level + f"k{level}:\n" for level in range(1000)) + " " * 1000 + "x: 1\n"
NESTED_FLOW = "{a: " * 3000 + "1" + "}" * 3000
LOOP = "{% for i in (1..100000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}"
HUGE = "1" * 5000

# (id, front matter after `title`/`method`, body, code, text on the line the finding must name)
ATTACKS = [
    ("alias-bomb-name", BOMB + "name: *h\n", "", "E013", "e: &e"),
    ("alias-bomb-visibility", BOMB + "visibility: *h\n", "", "E013", "e: &e"),
    ("alias-bomb-query", BOMB + "example:\n  query:\n    q: *h\n", "", "E013", "e: &e"),
    ("binary", "name: !!binary aGVsbG8=\n", "", "E013", "name:"),
    ("set", "name: !!set {a, b}\n", "", "E013", "name:"),
    ("nan", "position: .nan\n", "", "E013", "position:"),
    ("huge-integer", f"position: {HUGE}\n", "", "E013", "position:"),
    ("huge-integer-in-example", f"example:\n  body:\n    n: {HUGE}\n", "", "E013", "    n:"),
    ("deep-flow-list", "name: " + "[" * 50000 + "\n", "", "E013", "name:"),
    ("deep-mappings", "deep:\n" + NESTED_MAPPINGS, "", "E013", "k50:"),
    ("deep-flow-mappings", "deep: " + NESTED_FLOW + "\n", "", "E013", "deep:"),
    # Deeper than the bound but within libyaml's own (a thousand levels): refused from the node tree.
    ("deep-lists-in-bounds", "deep: " + "[" * 60 + "1" + "]" * 60 + "\n", "", "E013", "deep:"),
    ("deep-block-mappings-in-bounds", "deep:\n" + "".join(" " * level + f"k{level}:\n" for level in range(60)) + " " * 60 + "x: 1\n",
     "", "E013", "k50:"),
    ("lone-surrogate", 'name: "\\ud800"\n', "", "E013", "name:"),
    ("right-code-huge-number", f"right_code: |\n  ```json\n  {{\"n\": {HUGE}}}\n  ```\n  {{: title=\"Request\" }}\n", "",
     "E020", '{"n"'),
    ("right-code-nan", "right_code: |\n  ```json\n  [NaN]\n  ```\n  {: title=\"Request\" }\n", "", "E020", "[NaN]"),
    ("liquid-loop", "", "Intro\n\n" + LOOP + "\n", "E011", "{% for"),
    # A name no file can have: the file system raised ValueError, and lint said it could not read the file.
    ("include-name-with-nul", "", "Intro\n\n{% include \x00notes.md %}\n", "E010", "{% include"),
    ("repeated-placeholder", "", "", "E014", "title:"),
    ("header-name-injection", "example:\n  headers:\n    x=@/etc/hostname: a\n", "", "E016", "x=@"),
    ("header-name-space", "example:\n  headers:\n    X Evil: a\n", "", "E016", "X Evil"),
    ("header-name-colon", "example:\n  headers:\n    'X-A:': a\n", "", "E016", "X-A:"),
    ("header-value-list", "example:\n  headers:\n    X-A: [1, 2]\n", "", "E008", "X-A:"),
    ("param-value-mapping", "example:\n  params:\n    id: {a: 1}\n", "", "E008", "id:"),
    ("example-status-huge", "example:\n  status: 99999\n", "", "E008", "status:"),
    ("example-status-bool", "example:\n  status: true\n", "", "E008", "status:"),
    ("response-status-huge", "responses:\n  - status: 99999\n    body: {}\n", "", "E021", "status:"),
    ("response-status-bool", "responses:\n  - status: true\n", "", "E021", "status:"),
    ("name-list", "name: [a, b]\n", "", "E015", "name:"),
    ("parameter-schema-invalid", "request:\n  parameters:\n    query:\n      limit: {minimum: x}\n", "", "E015", "limit:"),
    ("request-required-text", "request:\n  required: maybe\n", "", "E015", "required:"),
    ("request-media-type-bad", "request:\n  media_type: 'json; evil'\n", "", "E015", "media_type:"),
    ("parameter-schema-ref-out", "request:\n  parameters:\n    query:\n      q: {$ref: '#/nope'}\n", "", "E015", "q:"),
    ("body-schema-remote-ref", "request:\n  schema: {$ref: 'http://127.0.0.1:9/x'}\n", "", "E015", "schema:"),
    ("parameter-schema-null-name", "request:\n  parameters:\n    header:\n      null: {type: string}\n", "", "E015", "header:"),
    ("parameter-schema-place", "request:\n  parameters:\n    body:\n      a: {}\n", "", "E015", "parameters:"),
]


def definition(front: str, body: str, title: str = "/x/&lt;id&gt;/") -> str:
    parameters = "\n### URL Parameters:\n\nid\n: (string) The id\n" if "&lt;id&gt;" in title else ""
    return f"---\ntitle: {title}\nmethod: get\n{front}---\n{body}{parameters}"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: Attack\ntheme:\n  name: material\nplugins:\n  - apidocs\n", encoding="utf-8")
    (tmp_path / "docs" / "ok.md").write_text(definition("name: OK\n", "Fine.\n", "/ok/"), encoding="utf-8")
    return tmp_path


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def apidocs(site: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run([PYTHON, "-m", "apidocs", *args], cwd=site, capture_output=True, text=True,
                            timeout=120, preexec_fn=_bounded)
    return result, time.monotonic() - started


def line_with(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if fragment in line)


def assert_one_line(result: subprocess.CompletedProcess[str], where: str, code: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode != 0, output[-3000:]
    errors = [line for line in output.splitlines() if "attack.md:" in line and ": E" in line]
    assert len(errors) == 1, output[-3000:]  # one line per problem; lint may add warnings
    assert f"{where}: {code} " in errors[0], errors


@pytest.mark.parametrize(("front", "body", "code", "fragment"), [attack[1:] for attack in ATTACKS],
                         ids=[attack[0] for attack in ATTACKS])
def test_attack_is_one_line_in_build_and_lint(site: Path, front: str, body: str, code: str, fragment: str) -> None:
    title = "/x/&lt;id&gt;/&lt;id&gt;/" if code == "E014" else "/x/&lt;id&gt;/"
    assert_refused_in_build_and_lint(site, definition(front, body, title), code, fragment)


def assert_refused_in_build_and_lint(site: Path, text: str, code: str, fragment: str) -> None:
    """`text` as docs/attack.md: `build` and `lint` each end in one `attack.md:LINE: CODE` line,
    LINE the one holding `fragment`, soon."""
    (site / "docs" / "attack.md").write_text(text, encoding="utf-8")
    where = f"attack.md:{line_with(text, fragment)}"
    built, build_seconds = apidocs(site, "build")
    assert_one_line(built, where, code)
    linted, lint_seconds = apidocs(site, "lint", "docs/attack.md")
    assert_one_line(linted, where, code)
    assert build_seconds < 30 and lint_seconds < 30


def test_liquid_loop_fails_fast_in_check(site: Path) -> None:
    (site / "docs" / "attack.md").write_text(definition("", LOOP + "\n"), encoding="utf-8")
    result, seconds = apidocs(site, "check", "docs/attack.md", "--base-url", "http://127.0.0.1:9", "--lang", "curl")
    assert seconds < 30
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert "attack.md:5: E011 Liquid: loop iteration limit reached" in result.stderr


def test_oversized_definition_is_refused_before_it_is_read(site: Path) -> None:
    text = definition("name: Big\n", "x" * (MAX_DEFINITION_BYTES + 1))
    (site / "docs" / "attack.md").write_text(text, encoding="utf-8")
    built, _ = apidocs(site, "build")
    assert_one_line(built, "attack.md:1", "E012")
    linted, _ = apidocs(site, "lint", "docs/attack.md")
    assert_one_line(linted, "attack.md:1", "E012")


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-01-31", "2024-01-31"),  # a bare timestamp stays the text it is
    ("2024-01-31 10:00:00", "2024-01-31 10:00:00"),
])
def test_timestamps_are_read_as_text(tmp_path: Path, value: str, expected: str) -> None:
    path = tmp_path / "a.md"
    path.write_text(definition(f"name: {value}\nexample:\n  params:\n    id: {value}\n", ""), encoding="utf-8")
    endpoint = DefinitionLoader(tmp_path, tmp_path).load(path)
    assert endpoint.name == expected  # type: ignore[attr-defined]
    assert endpoint.example.path_params == {"id": expected}  # type: ignore[attr-defined]


def test_anchors_within_bounds_still_work(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(definition("shared: &h {Accept: application/json}\nexample:\n  params: {id: '1'}\n  headers: *h\n", ""),
                    encoding="utf-8")
    endpoint = DefinitionLoader(tmp_path, tmp_path).load(path)
    assert endpoint.example.headers == [("Accept", "application/json")]  # type: ignore[attr-defined]


def test_a_path_repeating_a_placeholder_does_not_stop_the_sandbox(project: Path) -> None:
    from sandbox_helpers import start_sandbox

    orders = project / "docs" / "orders"
    (orders / "twice.md").write_text(definition("name: Twice\n", "", "/x/&lt;id&gt;/&lt;id&gt;/"), encoding="utf-8")
    (orders / "once.md").write_text(definition("name: Once\nexample:\n  params: {id: a}\n", ""), encoding="utf-8")
    server = start_sandbox(project / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        client = server.client()
        assert client.request("GET", "/x/abc/").status_code == 200  # the sound definition is served
        refused = client.request("GET", "/x/a/b/")
        assert refused.status_code == 404 and refused.headers["content-type"].startswith("application/json")
        assert client.order("f7bc1028-844c-44ca-82df-fe76282d2a8b").status_code == 200  # and the rest of the API
        assert server.process.poll() is None
    finally:
        server.stop()


def test_the_router_never_compiles_a_repeated_name_into_a_regex() -> None:
    from apidocs.sandbox.router import Router

    async def handler(call: object) -> None:
        return None

    router = Router()
    router.add("GET", "/x/{id}/{id}/", handler)
    found = router.match("/x/a/b/")
    assert found is not None
    route = found.route_for("GET")
    assert route is not None and found.params(route) == {"id": "a"}


def test_the_schema_is_shipped_beside_the_loader_and_is_a_valid_json_schema() -> None:
    import json

    from jsonschema import Draft202012Validator

    import apidocs.definitions

    path = Path(apidocs.definitions.__file__).parent / "definition.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["example"]["properties"]["status"]["minimum"] == 200  # a final status
    assert {"$ref": "#/$defs/status"} in schema["properties"]["responses"]["items"]["properties"]["status"]["anyOf"]


def test_lint_reports_every_schema_error_of_a_file_at_its_line(site: Path) -> None:
    front = "name: [a]\nexample:\n  status: 0\n  headers:\n    'a b': x\n"
    text = definition(front, "")
    (site / "docs" / "attack.md").write_text(text, encoding="utf-8")
    linted, _ = apidocs(site, "lint", "docs/attack.md")
    errors = [line for line in linted.stdout.splitlines() if ": E" in line]
    assert [line.split(" ", 2)[:2] for line in errors] == [
        [f"docs/attack.md:{line_with(text, 'name:')}:", "E015"],
        [f"docs/attack.md:{line_with(text, 'status:')}:", "E008"],
        [f"docs/attack.md:{line_with(text, 'a b')}:", "E016"],
    ], linted.stdout
    built, _ = apidocs(site, "build")
    assert f"attack.md:{line_with(text, 'name:')}: E015 `name` must be text" in built.stdout + built.stderr


def test_a_segment_of_text_and_placeholders_wins_over_a_bare_placeholder_and_a_shorter_variant() -> None:
    """OData function paths (`/calls/getPstnCalls(from={from},to={to})`) hold more placeholders
    than the `/calls/{id}` beside them, and `image(width={w},height={h})` matches the paths of
    `image(width={w},height={h},mode='{m}')` with `4,mode='fit'` as its height."""
    from apidocs.sandbox.router import Router

    async def handler(call: object) -> None:
        return None

    router = Router()
    templates = ["/calls/{id}", "/calls/getPstnCalls(from={from},to={to})",
                 "/charts/{chart}/image(width={width},height={height})",
                 "/charts/{chart}/image(width={width},height={height},mode='{mode}')", "/calls/recent",
                 "/files/{id}", "/files/{name}{ext}"]  # placeholders only: no more specific than one
    for template in templates:
        router.add("GET", template, handler)
    for path, template, params in [
        ("/calls/getPstnCalls(from=2026-01-31T12:00:00Z,to=2026-02-01)", templates[1],
         {"from": "2026-01-31T12:00:00Z", "to": "2026-02-01"}),
        ("/calls/c-1", templates[0], {"id": "c-1"}),
        ("/calls/recent", templates[4], {}),
        ("/charts/c/image(width=3,height=4,mode='fit')", templates[3], {"chart": "c", "width": "3", "height": "4", "mode": "fit"}),
        ("/charts/c/image(width=3,height=4)", templates[2], {"chart": "c", "width": "3", "height": "4"}),
        ("/files/f-12", templates[5], {"id": "f-12"}),
    ]:
        found = router.match(path)
        assert found is not None
        route = found.route_for("GET")
        assert route is not None and (route.template, found.params(route)) == (template, params)


# Front matter written as one JSON object is read by `json` (see frontmatter.py), within the same
# bounds; what is not strict JSON is read as YAML. (id, members after title/method, code, fragment)
JSON_ATTACKS = [
    ("json-deep-lists", '"deep": ' + "[" * 60 + "1" + "]" * 60, "E013", '"deep"'),
    ("json-deep-mappings", '"example": {"body": ' + '{"a": ' * 60 + "1" + "}" * 60 + "}", "E013", '"example"'),
    ("json-deeper-than-json-reads", '"deep": ' + "[" * 50000 + "]" * 50000, "E013", '"deep"'),
    ("json-infinite-number", '"position": 1e999', "E013", '"position"'),
    ("json-huge-integer", f'"position": {HUGE}', "E013", '"position"'),
    ("json-huge-integer-in-example", f'"example": {{"body": {{"n": {"1" * 200}}}}}', "E013", '"example"'),
    ("json-lone-surrogate", '"name": "\\ud800"', "E013", '"name"'),
    ("json-lone-surrogate-key", '"example": {"body": {"\\udfff": 1}}', "E013", '"example"'),
    ("json-parameter-schema-invalid", '"request": {"parameters": {"query": {\n  "limit": {"minimum": "x"}}}}', "E015", '"limit"'),
]


@pytest.mark.parametrize(("members", "code", "fragment"), [attack[1:] for attack in JSON_ATTACKS],
                         ids=[attack[0] for attack in JSON_ATTACKS])
def test_json_front_matter_attack_is_one_line_in_build_and_lint(site: Path, members: str, code: str, fragment: str) -> None:
    text = f'---\n{{\n"title": "/x/&lt;id&gt;/",\n"method": "get",\n{members}\n}}\n---\n\n### URL Parameters:\n\nid\n: (string) The id\n'
    assert_refused_in_build_and_lint(site, text, code, fragment)
