"""Small projects of hand-written definitions, and the apidocs commands run on them as a
reader would (real processes), for the tests of request bodies."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import PYTHON

CONFIG = """\
site_name: Files API
docs_dir: docs
theme:
  name: material
plugins:
- search
- apidocs:
    servers:
    - url: https://api.example.com
    auth:
      header: Authorization
      scheme: Bearer
      token: your-api-token
    sandbox_workflow: false
markdown_extensions:
- attr_list
- def_list
- md_in_html
- tables
"""


def write_project(folder: Path, pages: dict[str, str]) -> Path:
    """A project in `folder` with an index page and `pages` (file name → text) in `docs/`."""
    (folder / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    (folder / "docs").mkdir()
    (folder / "docs" / "index.md").write_text("# Files API\n", encoding="utf-8")
    for name, text in pages.items():
        (folder / "docs" / name).write_text(text, encoding="utf-8")
    return folder


def apidocs(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`apidocs -f project/mkdocs.yml ARGS`, its output as text."""
    return subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), *args], capture_output=True,
                          text=True, timeout=timeout)


def import_openapi(spec: Path, dest: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`apidocs import-openapi SPEC DEST`, its output as text."""
    return subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(spec), str(dest)], capture_output=True, text=True,
                          timeout=timeout)


def import_spec(folder: Path, spec: dict[str, Any]) -> Path:
    """`spec` written to `folder` and imported as `folder/project` (the import must succeed)."""
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    project = folder / "project"
    result = import_openapi(folder / "spec.json", project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project
