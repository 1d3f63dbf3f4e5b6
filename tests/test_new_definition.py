"""`apidocs new METHOD PATH`: a skeleton lint refuses until every placeholder is replaced, and
lint telling the skeleton's text from an API's own (a field really called `field_name`)."""

from __future__ import annotations

import re
from pathlib import Path

from bodies_helpers import apidocs, write_project

ORDERS = """\
---
title: /orders/&lt;order_id&gt;/
name: Get Order
method: get
example:
  params:
    order_id: "17"
responses:
  - status: 200
    body: {"id": "17"}
---
Reads one order.
"""

# A real endpoint whose words look like the skeleton's.
FORM_FIELDS = """\
---
title: /forms/fields/
name: Add A Field
method: post
example:
  body: {"field_name": "colour", "label": "Colour"}
responses:
  - status: 200
    body: {"field_name": "colour"}
---
Describe what you want the field to hold in its label.

### Request Parameters:

field_name
: (string) ***Required*** The field's key in the submitted form

label
: (string) What the reader sees

### Response Parameters:

field_name
: (string) The key, as stored
"""


def lint_lines(project: Path, name: str) -> dict[int, list[str]]:
    """Line → the codes lint reports for `docs/<name>`."""
    result = apidocs(project, "lint")
    found: dict[int, list[str]] = {}
    wanted = (project / "docs" / name).resolve()
    for line in result.stdout.splitlines():
        # Lint shows a path relative to the working folder when that is shorter: where this
        # checkout is decides which, so the path is compared resolved.
        reported = re.match(r"(?P<path>.+?):(?P<number>[0-9]+): (?P<code>[EW][0-9]+) ", line)
        if reported and Path(reported["path"]).resolve() == wanted:
            found.setdefault(int(reported["number"]), []).append(reported["code"])
    return found


def numbers_of(path: Path, text: str) -> list[int]:
    return [number for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line]


def test_the_skeleton_is_written_beside_the_nearest_path_and_lint_points_at_each_placeholder(tmp_path: Path) -> None:
    project = write_project(tmp_path, {})
    (project / "docs" / "orders").mkdir()
    (project / "docs" / "orders" / "get-order.md").write_text(ORDERS, encoding="utf-8")
    made = apidocs(project, "new", "post", "/orders/{order_id}/notes/")
    assert made.returncode == 0, made.stderr
    skeleton = project / "docs" / "orders" / "create-notes.md"
    assert skeleton.is_file(), made.stdout

    found = lint_lines(project, "orders/create-notes.md")
    placeholders = sorted({*numbers_of(skeleton, "REPLACE-WITH"), *numbers_of(skeleton, "Describe what"),
                           *numbers_of(skeleton, "What this"), *numbers_of(skeleton, "field_name")})
    assert len(placeholders) == 7
    assert sorted(number for number, codes in found.items() if "E120" in codes) == placeholders
    assert not any("E121" in codes for codes in found.values())  # nothing asked of the writer but the placeholders

    filled = (skeleton.read_text(encoding="utf-8")
              .replace("REPLACE-WITH-AN-EXAMPLE-VALUE", '"17"')
              .replace("body: {}", 'body: {"text": "Leave at the door"}', 1)
              .replace("Describe what Create Notes does and who may call it.", "Adds a note to an order.")
              .replace("What this identifies", "The order's id")
              .replace("field_name\n: (string) ***Required*** What this field means", "text\n: (string) ***Required*** The note")
              .replace("field_name\n: (string) What this field means", "id\n: (string) The note's id"))
    skeleton.write_text(filled, encoding="utf-8")
    assert not any("E120" in codes for codes in lint_lines(project, "orders/create-notes.md").values())
    built = apidocs(project, "build", "--strict", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stderr
    page = (tmp_path / "site" / "orders" / "create-notes" / "index.html").read_text(encoding="utf-8")
    assert "Adds a note to an order." in page and "Leave at the door" in page


def test_an_apis_own_field_name_and_prose_are_not_taken_for_the_skeleton(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"add-field.md": FORM_FIELDS})
    found = lint_lines(project, "add-field.md")
    assert not any("E120" in codes for codes in found.values()), found
    assert apidocs(project, "lint").returncode == 0


def test_a_left_field_name_term_is_still_found_where_the_api_has_no_such_field(tmp_path: Path) -> None:
    text = FORM_FIELDS.replace('"field_name": "colour", ', "").replace('{"field_name": "colour"}', '{"label": "Colour"}')
    project = write_project(tmp_path, {"add-field.md": text})
    found = lint_lines(project, "add-field.md")
    path = project / "docs" / "add-field.md"
    assert sorted(number for number, codes in found.items() if "E120" in codes) == numbers_of(path, "field_name")


def test_new_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"get-order.md": ORDERS})
    again = apidocs(project, "new", "get", "/orders/{order_id}/")
    assert again.returncode != 0 and "already defines GET /orders/{order_id}/" in again.stderr
    assert "Traceback" not in again.stderr
    unknown = apidocs(project, "new", "fetch", "/orders/")
    assert unknown.returncode != 0 and "unknown method" in unknown.stderr
    relative = apidocs(project, "new", "get", "orders/")
    assert relative.returncode != 0 and "must start with '/'" in relative.stderr
    assert sorted(path.name for path in (project / "docs").iterdir()) == ["get-order.md", "index.md"]
