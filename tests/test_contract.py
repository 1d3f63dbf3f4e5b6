"""Contract testing: Schemathesis, driven by the exported OpenAPI document, against a real sandbox.

The document says which statuses, media types and body schemas each operation answers; the
sandbox must keep to it for the examples, for generated and for invalid requests alike.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
