"""`apidocs lint`: one `path:line: CODE message` per problem, on this project and on a Jekyll tree.

Expected lines are found in the files themselves (the line holding the offending text), so the
tests say which text each finding must point at rather than repeating numbers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON, ROOT, SAMPLE

APIDOCS = [PYTHON, "-m", "apidocs"]


def lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APIDOCS, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def line_of(path: Path, text: str, after: int = 0) -> int:
    """The 1-based number of the first line (past `after`) where `text` starts or that contains it."""
    content = path.read_text(encoding="utf-8")
    for number, line in enumerate(content.split("\n"), 1):
        rest = "\n".join(content.split("\n")[number - 1:])
        if number > after and (text in line or ("\n" in text and rest.startswith(text))):
            return number
    raise AssertionError(f"{text!r} not in {path}")


def findings(output: str) -> dict[str, list[str]]:
    """`path:line` → the codes reported there."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        where, _, rest = line.partition(": ")
        found.setdefault(where, []).append(rest.split(" ", 1)[0])
    return found


@pytest.fixture(scope="module")
def sample_lint() -> subprocess.CompletedProcess[str]:
    return lint("lint", str(SAMPLE), cwd=SAMPLE)


def at(name: str, text: str, after: int = 0) -> str:
    return f"{name}:{line_of(SAMPLE / name, text, after)}"


# --- this project -------------------------------------------------------------------------

def test_shipped_docs_lint_without_errors() -> None:
    result = lint("lint", "docs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(code.startswith("W") for codes in findings(result.stdout).values() for code in codes)


def test_verbatim_seed_cookie_is_a_warning_since_pasted_snippets_are_not_published() -> None:
    result = lint("lint", "docs")
    seed = ROOT / "docs/orders-supplier/confirm-order-cancelation.md"
    where = f"docs/orders-supplier/confirm-order-cancelation.md:{line_of(seed, 'Cookie: sessionid')}"
    assert "W301" in findings(result.stdout)[where]
    assert f"docs/orders-supplier/confirm-order-cancelation.md:{line_of(seed, 'def send_request')}" in findings(result.stdout)


def test_lint_without_paths_reads_the_project_of_the_config_file() -> None:
    result = lint("-f", str(ROOT / "mkdocs.yml"), "lint", cwd=ROOT / "docs")
    assert result.returncode == 0
    assert "orders-supplier/confirm-order-cancelation.md" in result.stdout
    assert "0 errors" in result.stderr


def test_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    result = lint("lint", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"apidocs: {tmp_path / 'nope'}: no such file or folder"]


# --- the unconverted Jekyll sample --------------------------------------------------------

def test_jekyll_tree_lints_with_errors_and_exit_status_1(sample_lint: subprocess.CompletedProcess[str]) -> None:
    assert sample_lint.returncode == 1
    assert "Traceback" not in sample_lint.stderr


@pytest.mark.parametrize(("where", "code"), [
    (("_internal_tools/acknowledge_order.md", "Cookie: sessionid"), "E301"),  # the cookie in a pasted curl
    (("_order/get_order_detail.md", "data=json.dumps()"), "E203"),
    (("_order/get_order_detail.md", "title: /timp/orders/&ltuuid&gt/"), "W101"),
    (("_order_retailer/cancel_order_item.md", "/timp/orders/items/cancel//"), "E110"),
    (("_order_retailer/cancel_order_item.md", "order_item_uuid>"), "E007"),
    (("_order_retailer/create_order.md", "Token 45e4123d"), "E302"),  # a real-looking token
    (("_order_retailer/cancel_order.md", "def send_request"), "E204"),
    (("_internal_tools/acknowledge_order.md", 'data=json.dumps(    uuids:="['), "E202"),
    (("_order/get_order_detail.md", 'curl "https://'), "E201"),  # curl -d without -X sends POST
    (("_internal_tools/update_discovery_participation.md", "/catalog/update"), "E111"),
    (("_internal_tools/update_discovery_participation.md", "title:"), "W102"),
    (("_order/get_orders.md", "timp/objects/sort.md"), "E010"),
    (("_internal_tools/acknowledge_order.md", "visibility: public"), "W404"),  # public page in an internal collection
])
def test_jekyll_sample_defects_are_reported_at_their_line(sample_lint: subprocess.CompletedProcess[str],
                                                          where: tuple[str, str], code: str) -> None:
    location = at(*where)
    assert code in findings(sample_lint.stdout).get(location, []), f"{location} {code} not in:\n{sample_lint.stdout}"


def test_one_finding_per_secret_value_and_file(sample_lint: subprocess.CompletedProcess[str]) -> None:
    cookie_lines = [line for line in sample_lint.stdout.splitlines()
                    if line.startswith("_order_supplier/update_order_invoice.md") and " E301 " in line]
    assert len(cookie_lines) == 1
    assert "sessionid=h9qj…" in cookie_lines[0] and "h9qjyhleectu7aef5pkwma0jn2gxgitz" not in sample_lint.stdout


def test_linting_one_file_of_a_jekyll_tree_uses_the_tree() -> None:
    result = lint("lint", "_order_retailer/cancel_order_item.md", cwd=SAMPLE)
    assert result.returncode == 1
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"_order_retailer/cancel_order_item.md"}
    assert at("_order_retailer/cancel_order_item.md", "/timp/orders/items/cancel//") in result.stdout


# --- checks on small projects ------------------------------------------------------------

ENDPOINT = """---
title: {title}
name: {name}
position: {position}
visibility: public
method: {method}
{extra}---
Does something.

### URL Parameters:

order_uuid
: (string) The order

### Request Parameters:

reason
: (string) ***Required*** Why
"""


MULTIPART = "example:\n  params:\n    order_uuid: abc\n  headers:\n    Content-Type: multipart/form-data\n  body:\n    reason: late\n"


def write(project: Path, name: str, **values: str) -> Path:
    values = {"title": "/timp/orders/&lt;order_uuid&gt;/hold/", "name": "Hold", "position": "7.1", "method": "post",
              "extra": "example:\n  params:\n    order_uuid: abc\n  body: {reason: late}\n", **values}
    path = project / "docs" / "orders" / name
    path.write_text(ENDPOINT.format(**values), encoding="utf-8")
    return path


def project_findings(project: Path) -> tuple[int, dict[str, list[str]], str]:
    result = lint("lint", "docs", cwd=project)
    return result.returncode, findings(result.stdout), result.stdout


def test_duplicate_method_and_path_is_an_error_on_each_copy_naming_the_other(project: Path) -> None:
    first = write(project, "hold.md")
    second = write(project, "hold-again.md", position="7.2")
    status, _, out = project_findings(project)
    assert status == 1
    reported = sorted(line for line in out.splitlines() if " E017 " in line)
    assert len(reported) == 2, out
    for line, (mine, other) in zip(reported, [(second, first), (first, second)], strict=True):
        where, message = line.split(" E017 ")
        assert where == f"docs/orders/{mine.name}:{line_of(mine, 'title:')}:"
        assert f"POST /timp/orders/{{order_uuid}}/hold/ is also defined in {other}" in message


def test_paths_differing_only_in_placeholder_names_are_a_warning_found_from_a_folder_without_the_other(project: Path) -> None:
    """Both are served (the sandbox picks by parameter types, the check names the operation), so
    the build passes; lint still tells the writer, in case the second is a forgotten copy."""
    (project / "docs" / "elsewhere").mkdir()
    write(project, "hold.md")
    other = project / "docs" / "elsewhere" / "hold.md"
    other.write_text(write(project, "hold-copy.md").read_text(encoding="utf-8").replace("order_uuid", "uuid"), encoding="utf-8")
    (project / "docs" / "orders" / "hold-copy.md").unlink()
    result = lint("lint", "docs/elsewhere", cwd=project)
    assert result.returncode == 0, result.stdout
    [line] = [line for line in result.stdout.splitlines() if " W017 " in line]
    assert line.startswith(f"docs/elsewhere/hold.md:{line_of(other, 'title:')}: W017 POST /timp/orders/{{uuid}}/hold/ is also "
                           f"defined in {project / 'docs/orders/hold.md'} as /timp/orders/{{order_uuid}}/hold/: only the "
                           "placeholder names differ"), line
    built = subprocess.run([PYTHON, "-m", "apidocs", "build", "--strict"], cwd=project, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    assert " E017 " not in built.stdout + built.stderr


def test_duplicate_position_in_a_section_is_a_warning(project: Path) -> None:
    write(project, "hold.md", position="7.1")
    other = write(project, "release.md", title="/timp/orders/&lt;order_uuid&gt;/release/", position="7.10")
    status, found, out = project_findings(project)
    # 7.1 and 7.10 are YAML numbers, the same position.
    assert "W402" in found[f"docs/orders/release.md:{line_of(other, 'position:')}"], out
    assert status == 0


def test_required_request_parameter_missing_from_example_body(project: Path) -> None:
    path = write(project, "hold.md", extra="example:\n  params:\n    order_uuid: abc\n  body: {note: x}\n")
    status, found, out = project_findings(project)
    assert status == 1
    assert "E403" in found[f"docs/orders/hold.md:{line_of(path, 'example:')}"], out


def test_secret_in_published_example_is_an_error(project: Path) -> None:
    path = write(project, "hold.md", extra="example:\n  params:\n    order_uuid: abc\n  body: {reason: late}\n"
                                            "  headers:\n    Cookie: sessionid=abcdefgh12345\n")
    status, found, out = project_findings(project)
    assert status == 1
    assert "E301" in found[f"docs/orders/hold.md:{line_of(path, 'Cookie:')}"], out


def test_empty_example_value_makes_an_empty_segment(project: Path) -> None:
    path = write(project, "hold.md", extra="example:\n  params:\n    order_uuid: ''\n  body: {reason: late}\n")
    _, found, out = project_findings(project)
    assert "E110" in found[f"docs/orders/hold.md:{line_of(path, 'example:')}"], out


@pytest.mark.parametrize(("values", "code", "text"), [
    ({"method": "fetch"}, "E003", "method:"),
    ({"extra": "description: a: b\n"}, "E001", "description:"),
    ({"title": "/timp/orders/&lt;order_uuid&gt;/&lt;line_uuid&gt;/hold/"}, "W102", "title:"),
    ({"title": "/timp/orders/hold/"}, "E007", "order_uuid\n:"),
    # How a form's lists travel, on a body sent as JSON: it changes nothing.
    ({"extra": "example:\n  params:\n    order_uuid: abc\n  body: {reason: late}\n"
               "request:\n  encoding:\n    reason: {style: deepObject}\n"}, "W114", "  encoding:"),
    # Which members of a multipart body are files, on a body sent as JSON: it changes nothing.
    ({"extra": "example:\n  params:\n    order_uuid: abc\n  body: {reason: late, scan: scan.pdf}\n"
               "request:\n  files:\n    - scan\n"}, "W116", "  files:"),
    # A body that is a file, on a body sent as JSON: it changes nothing.
    ({"extra": "example:\n  params:\n    order_uuid: abc\n  body: scan.pdf\n"
               "request:\n  body_file: true\n"}, "W117", "  body_file:"),
    # A multipart body: each file named by `request.files` is in the body and holds a file name,
    # and each part's name can be written (curl reads a name up to its first `=`).
    ({"extra": MULTIPART + "    scan: scan.pdf\nrequest:\n  files:\n    - scan\n    - stamp\n"}, "E008", "    - stamp"),
    ({"extra": MULTIPART + "    scan: a scan\nrequest:\n  files:\n    - scan\n"}, "E008", "    scan: a scan"),
    ({"extra": MULTIPART + "    a=b: x\n"}, "E008", "    a=b: x"),
    ({"extra": MULTIPART + "    meta:\n      'x\"y': x\n"}, "E008", "    meta:"),
])
def test_definition_problems_point_at_the_offending_line(project: Path, values: dict[str, str], code: str, text: str) -> None:
    path = write(project, "hold.md", **values)
    _, found, out = project_findings(project)
    assert code in found.get(f"docs/orders/hold.md:{line_of(path, text)}", []), out


def test_a_misspelt_key_is_a_warning_at_its_line_and_other_keys_pass(project: Path) -> None:
    """`respones:` was read as nothing at all: the page lost its answers without a word."""
    path = write(project, "hold.md", extra="example:\n  params:\n    order_uuid: abc\n  body: {reason: late}\n"
                                            "respones:\n  - status: 404\nlayout: default\nhide: [toc]\n")
    status, found, out = project_findings(project)
    assert status == 0, out
    assert "W122" in found[f"docs/orders/hold.md:{line_of(path, 'respones:')}"], out
    assert "did you mean `responses`?" in out
    assert out.count("W122") == 1, out  # Jekyll's `layout`, Material's `hide`: not apidocs' keys, not near one


def test_missing_method_on_a_path_title(project: Path) -> None:
    path = project / "docs" / "orders" / "hold.md"
    path.write_text("---\ntitle: /timp/orders/hold/\nposition: 7\nvisibility: public\n---\nHold.\n", encoding="utf-8")
    _, found, out = project_findings(project)
    assert "E002" in found["docs/orders/hold.md:2"], out


def test_pasted_snippet_on_another_host_than_the_servers_is_a_warning(project: Path) -> None:
    seed = project / "docs/orders-supplier/reject-order-cancelation.md"
    seed.write_text(seed.read_text(encoding="utf-8").replace("api-dev.cruxconnect.com", "api-old.example.com"), encoding="utf-8")
    _, found, out = project_findings(project)
    assert "W310" in found[f"docs/orders-supplier/reject-order-cancelation.md:{line_of(seed, 'curl -X')}"], out


# --- snippet templates (E140) ---------------------------------------------------------------

def break_template(project: Path, name: str, old: str, new: str) -> Path:
    path = project / "snippets" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_shipped_templates_render_without_findings(project: Path) -> None:
    result = lint("lint", "snippets", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "E140" not in result.stdout


@pytest.mark.parametrize(("name", "old", "new", "marker", "says"), [
    ("python.py.j2", "request.url | py_str", "request.url | pystr", "pystr", "No filter named 'pystr'"),
    ("node.js.j2", "req.end(", "{{ request.hostname }}\nreq.end(", "request.hostname", "no attribute 'hostname'"),
    ("httpie.sh.j2", "\n", "\n{% for header in request.headers %}\n", "{% for header", "'endfor'"),
    ("curl.sh.j2", "\n", "\n{{ request.method | upper(3) }}\n", "upper(3)", "TypeError"),
])
def test_template_errors_are_reported_at_the_template_line(project: Path, name: str, old: str, new: str,
                                                           marker: str, says: str) -> None:
    path = break_template(project, name, old, new)
    result = lint("lint", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if " E140 " in line]
    assert len(lines) == 1, result.stdout
    where = f"snippets/{name}:"
    if "{% for" in marker:  # an unclosed block is reported where the template ends
        assert lines[0].startswith(where), lines
    else:
        assert lines[0].startswith(f"{where}{line_of(path, marker)}: E140 "), lines
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_a_python_template_whose_function_is_never_called_is_an_error(project: Path) -> None:
    path = project / "snippets" / "python.py.j2"
    path.write_text("import requests\n\n\ndef send():\n"
                    "    response = requests.{{ request.method | lower }}({{ request.url | py_str }}, timeout=30)\n"
                    "    print(response.status_code, response.reason)\n", encoding="utf-8")
    result = lint("lint", "snippets", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"snippets/python.py.j2:{line_of(path, 'def send')}: E140 " in result.stdout
    assert "never calls it" in result.stdout


def test_templates_are_not_linted_for_a_single_definition(project: Path) -> None:
    break_template(project, "curl.sh.j2", "\n", "\n{{ request.nope }}\n")
    result = lint("lint", "docs/orders-retailer/cancel-order.md", cwd=project)
    assert "E140" not in result.stdout, result.stdout


def test_python_after_a_three_backtick_code_span_is_still_linted(project: Path) -> None:
    """"```a```" alone on a line is a code span, not a fence that hides the next block from lint."""
    page = project / "docs" / "orders-retailer" / "code-span.md"
    page.write_text("---\ntitle: /timp/orders/\nmethod: get\n---\nFor example:\n\n```status == 'open'```\n\n"
                    "```python\nrequests.get('https://example.com',\n```\n", encoding="utf-8")
    result = lint("lint", "docs/orders-retailer/code-span.md", cwd=project)
    assert f"docs/orders-retailer/code-span.md:{line_of(page, '```python') + 1}: E202 " in result.stdout, result.stdout


def test_a_form_bodys_encoding_is_no_finding(project: Path) -> None:
    write(project, "hold.md", extra="example:\n  params:\n    order_uuid: abc\n  headers:\n"
                                    "    Content-Type: application/x-www-form-urlencoded\n  body: {reason: [late, again]}\n"
                                    "request:\n  encoding:\n    reason: {style: deepObject}\n")
    status, found, out = project_findings(project)
    assert status == 0 and not any("W114" in codes for codes in found.values()), out


def test_a_multipart_bodys_files_and_encoding_are_no_finding(project: Path) -> None:
    write(project, "hold.md", extra=MULTIPART + "    scans: [a.png, b.png]\n    tags: [x, y]\n"
                                    "request:\n  files: [scans]\n  encoding:\n    tags: {style: form, explode: false}\n")
    status, found, out = project_findings(project)
    assert status == 0 and not any("W114" in codes or "W116" in codes for codes in found.values()), out


def test_an_example_value_its_parameters_schema_refuses_is_a_warning(project: Path) -> None:
    # The sandbox lets the example win and stops checking the parameter: the page would promise
    # a check that is not made. A value the schema takes is no finding.
    path = project / "docs" / "orders" / "list.md"
    path.write_text("---\ntitle: /timp/orders/\nname: List\nposition: 7.3\nvisibility: public\nmethod: get\n"
                    "example:\n  query:\n    limit: 50\n    page: 2\n"
                    "request:\n  parameters:\n    query:\n      limit: {type: integer, maximum: 10}\n"
                    "      page: {type: integer, minimum: 1}\n---\nLists orders.\n\n"
                    "### Query Parameters\n\nlimit\n: (integer) How many\n\npage\n: (integer) Which page\n", encoding="utf-8")
    _, found, out = project_findings(project)
    assert found.get(f"docs/orders/list.md:{line_of(path, 'limit: {type')}") == ["W115"], out
    assert "query parameter `limit`" in out and "50" in out
    assert not any(where.startswith("docs/orders/list.md") and where != f"docs/orders/list.md:{line_of(path, 'limit: {type')}"
                   for where in found), out


def test_a_nested_required_field_is_required_only_where_its_parent_is_sent(project: Path) -> None:
    # As JSON Schema and the sandbox read it: Stripe's import had 73 E403 for optional objects with required members.
    fields = "\n\nfeatures\n: (object)\n\nfeatures.card.requested\n: (boolean) ***Required*** Whether\n"
    path = write(project, "hold.md")
    path.write_text(path.read_text(encoding="utf-8") + fields, encoding="utf-8")
    status, found, out = project_findings(project)
    assert status == 0 and "E403" not in out, out
    path = write(project, "hold.md", extra="example:\n  params:\n    order_uuid: abc\n  body: {reason: late, features: {card: {}}}\n")
    path.write_text(path.read_text(encoding="utf-8") + fields, encoding="utf-8")
    status, found, out = project_findings(project)
    assert status == 1 and "E403" in found[f"docs/orders/hold.md:{line_of(path, 'example:')}"], out
    assert "`features.card.requested`" in out
