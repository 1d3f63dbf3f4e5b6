"""The check proves the documented error answers too: each status is reached by a probe and its
example compared, in a private sandbox session, through the real `apidocs check` command."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import PYTHON

CONFIRM_OVERLAY = Path("docs/orders-supplier/confirm-order-cancelation.apidocs.yml")


def check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "apidocs", "check", "--lang", "curl", "-j", "2", *args], cwd=project,
                          capture_output=True, text=True, timeout=300)


def test_every_documented_answer_of_the_shipped_docs_is_reached_and_matches(project: Path) -> None:
    junit = project / "junit.xml"
    result = check(project, "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "documented answers (33 of 33 reached by a probe)" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("docs/orders-supplier/confirm-order-cancelation.md:"))
    for status in ("401 ok", "403 ok", "404 ok (with unknown path values)", "409 ok", "422 ok (sent twice)"):
        assert status in line
    cases = ET.parse(junit).getroot().iter("testcase")
    documented = [case for case in cases if "[documented " in case.get("name", "")]
    assert len(documented) == 33 and not any(case.find("failure") is not None for case in documented)


def test_a_documented_body_that_the_api_does_not_answer_fails_the_check(project: Path) -> None:
    overlay = project / CONFIRM_OVERLAY
    text = overlay.read_text(encoding="utf-8")
    overlay.write_text(text.replace("Order 00000000-0000-4000-8000-000000000000 not found", "No such order"), encoding="utf-8")
    result = check(project, str(project / "docs/orders-supplier/confirm-order-cancelation.md"))
    assert result.returncode == 1
    assert "404 FAIL" in result.stdout
    assert "404 answered, unlike the documented example" in result.stdout
    assert "No such order" in result.stdout and "Traceback" not in result.stderr


def test_a_status_no_probe_reaches_is_reported_not_failed(project: Path) -> None:
    overlay = project / CONFIRM_OVERLAY
    overlay.write_text(overlay.read_text(encoding="utf-8") + "  - status: 418\n    body: {detail: teapot}\n", encoding="utf-8")
    result = check(project, str(project / "docs/orders-supplier/confirm-order-cancelation.md"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "418 not reached" in result.stdout
    assert "(5 of 6 reached by a probe)" in result.stdout
