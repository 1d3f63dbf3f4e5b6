"""Contract testing: Schemathesis, driven by the exported OpenAPI document, against a real sandbox.

The document says which statuses, media types and body schemas each operation answers; the
sandbox must keep to it for the examples, for generated and for invalid requests alike.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PYTHON, ROOT
from sandbox_helpers import SUPPLIER, start_sandbox

ST = Path(sys.executable).with_name("st")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_sandbox_keeps_to_the_exported_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    exported = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(ROOT / "mkdocs.yml"), "export-openapi", "-o", str(document)],
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    sandbox = start_sandbox(tmp_path / "state.sqlite3")
    try:
        result = subprocess.run([str(ST), "run", str(document), "--url", sandbox.url, "-H", f"Authorization: Token {SUPPLIER}",
                                 "--checks", CHECKS, "--max-examples", "40", "--seed", "20261130", "--no-color"],
                                capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        sandbox.stop()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 7" in result.stdout  # every operation
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None, result.stdout[-2000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed > 100


# Imported specs: the document exported from the imported pages against the mock those pages make.
# Status conformance is left out: these specs document no 400 or 401, which a request that leaves
# out a required value or the credentials rightly gets.
IMPORTED = ["museum.yaml", "oai-petstore-expanded.yaml", "library/openapi.yaml", "oai-uspto.yaml"]
IMPORTED_CHECKS = "not_a_server_error,content_type_conformance,response_schema_conformance"


@pytest.mark.parametrize("spec", IMPORTED)
def test_an_imported_specs_mock_keeps_to_its_exported_document(tmp_path: Path, spec: str) -> None:
    project = tmp_path / "project"
    imported = subprocess.run([PYTHON, "-m", "apidocs", "import-openapi", str(ROOT / "tests" / "fixtures" / "openapi" / spec),
                               str(project)], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    document = tmp_path / "openapi.json"
    exported = subprocess.run([PYTHON, "-m", "apidocs", "-f", str(project / "mkdocs.yml"), "export-openapi", "-o", str(document)],
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    auth = next(plugin["apidocs"] for plugin in yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))["plugins"]
                if isinstance(plugin, dict) and "apidocs" in plugin).get("auth") or {}
    credentials = (["-H", f"{auth['header']}: {auth['scheme'] + ' ' if auth.get('scheme') else ''}{auth.get('token', '')}"]
                   if auth.get("header") else [])
    sandbox = start_sandbox(tmp_path / "state.sqlite3", config=project / "mkdocs.yml")
    try:
        result = subprocess.run([str(ST), "run", str(document), "--url", sandbox.url, *credentials, "--checks", IMPORTED_CHECKS,
                                 "--max-examples", "20", "--seed", "20261201", "--no-color"],
                                capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        sandbox.stop()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    paths = len(json.loads(document.read_text(encoding="utf-8"))["paths"])
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None and int(counts[1]) == int(counts[2]) >= 10 * paths, result.stdout[-2000:]
