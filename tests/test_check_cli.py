"""`apidocs check` as a user runs it: a real process, a real sandbox, real snippets."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from process_helpers import children_of, survivors

CONFIRM = "docs/orders-supplier/confirm-order-cancelation.md"
DETAIL = "docs/orders/get-order-detail.md"


def apidocs(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apidocs", "check", *args], cwd=project, capture_output=True,
                          text=True, timeout=timeout)


def test_every_language_gets_fresh_fixture_state_also_in_parallel(project: Path) -> None:
    # Confirming the same cancelation twice is a 422 — unless each snippet has its own sandbox state.
    junit = project / "out" / "check.xml"
    result = apidocs(project, CONFIRM, "-j", "2", "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 snippets: 4 passed, 0 failed, 0 skipped" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "/confirm/" in line)
    assert row.count("ok") == 4
    suite = ET.parse(junit).getroot().find("testsuite")
    # one case per language, and one per documented error answer (401, 403, 404, 409, 422)
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("9", "0")
    names = sorted(case.get("name", "") for case in suite.iter("testcase"))
    assert names == sorted([f"PATCH /timp/orders/cancel/{{order_uuid}}/confirm/ [{label}]"
                            for label in ("curl", "HTTPie", "Python", "Node.js")]
                           + [f"PATCH /timp/orders/cancel/{{order_uuid}}/confirm/ [documented {status}]"
                              for status in (401, 403, 404, 409, 422)])


def test_a_python_template_that_never_sends_fails_with_a_clear_message(project: Path) -> None:
    (project / "snippets" / "python.py.j2").write_text('print("200 OK")\n')
    (project / "snippets" / "node.js.j2").write_text("setInterval(() => {}, 1000);\n")
    junit = project / "check.xml"
    result = apidocs(project, DETAIL, "--lang", "python", "--lang", "node", "--timeout", "2", "--junit", str(junit))
    assert result.returncode == 1
    assert f"{DETAIL} [Python]: GET /timp/orders/{{uuid}}/\n  - sent no request (nothing reached the check's relay)" in result.stdout
    assert f"{DETAIL} [Node.js]: GET /timp/orders/{{uuid}}/\n  - did not finish within 2 s (killed)" in result.stdout
    assert "2 snippets: 0 passed, 2 failed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    failures = [f.get("message") for f in ET.parse(junit).getroot().iter("failure")]
    assert failures == ["sent no request (nothing reached the check's relay)", "did not finish within 2 s (killed)"]


def test_a_snippet_sending_another_request_shows_the_documented_vs_sent_diff(project: Path) -> None:
    template = project / "snippets" / "curl.sh.j2"
    template.write_text(template.read_text().replace("{{ request.url | sh }}", "{{ (request.url + '?debug=1') | sh }}"))
    result = apidocs(project, DETAIL, "--lang", "curl")
    assert result.returncode == 1
    assert "  - query: the sent pairs differ from the documented ones" in result.stdout
    assert '    +query  "debug" = "1"' in result.stdout


def test_docs_that_lie_about_the_response_fail(project: Path) -> None:
    overlay = project / "docs" / "orders-supplier" / "confirm-order-cancelation.apidocs.yml"
    overlay.write_text(overlay.read_text().replace("resolved_by: Stevens, Smith and Krause", "resolved_by: Someone Else"))
    result = apidocs(project, CONFIRM, "--lang", "curl")
    assert result.returncode == 1
    assert ('  - response $.cancelation.resolved_by: documented "Someone Else", got "Stevens, Smith and Krause"'
            in result.stdout)


def test_base_url_checks_requests_against_any_server(project: Path, echo_server: str) -> None:
    result = apidocs(project, "docs/orders-retailer", "--base-url", echo_server, "--lang", "curl", "--lang", "Python")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"against {echo_server}" in result.stdout and "4 snippets: 4 passed" in result.stdout


def test_incomplete_examples_are_skipped_with_the_reason_and_fail_a_strict_run(project: Path, echo_server: str) -> None:
    """A snippet the check cannot run is not proven: said every time, and CI's `--strict` fails on it."""
    page = project / "docs" / "orders" / "no-example.md"
    page.write_text("---\ntitle: /timp/things/&lt;thing_uuid&gt;/\nmethod: get\nname: A thing\n---\nA thing.\n")
    result = apidocs(project, str(page.relative_to(project)), "--base-url", echo_server, "--lang", "curl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 snippet(s) could not be run" in result.stderr and "--strict makes this a failure" in result.stderr
    strict = apidocs(project, str(page.relative_to(project)), "--base-url", echo_server, "--lang", "curl", "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "1 snippet(s) could not be run" in strict.stderr and "example.params" in strict.stderr
    assert "skipped: the example lacks a value for a path parameter of /timp/things/{thing_uuid}/" in result.stdout
    assert "1 snippets: 0 passed, 0 failed, 1 skipped" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--lang", "ruby"], "apidocs: --lang ruby: no such snippet language (known: curl, httpie, python, node)"),
    (["docs/nope.md"], "apidocs: docs/nope.md: no such file or folder"),
    (["docs/index.md"], "apidocs: docs/index.md: not an endpoint definition (no `method` in its front matter)"),
    (["--base-url", "localhost:8001"], "apidocs: --base-url localhost:8001: expected an http:// or https:// URL"),
    (["-j", "0"], "apidocs: -j 0: must be at least 1"),
    (["--timeout", "0"], "apidocs: --timeout 0: must be more than 0 seconds"),
])
def test_user_mistakes_are_one_clear_line(project: Path, args: list[str], message: str) -> None:
    result = apidocs(project, *args)
    assert result.returncode == 1
    assert result.stderr.strip() == message


def _as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_at_once_and_leaves_nothing_running(project: Path, stop: signal.Signals) -> None:
    # SIGTERM (`timeout`, a cancelled CI job) left the check's sandbox running, and its folders.
    pids = project / "pids"
    (project / "snippets" / "node.js.j2").write_text(
        f'require("fs").appendFileSync({str(pids)!r}, process.pid + "\\n");\nsetInterval(() => {{}}, 1000);\n')
    # As from a terminal: SIGINT neither ignored nor blocked, whatever the test runner's process
    # passes on (a process started with SIGINT ignored keeps ignoring it, as `nohup` wants).
    process = subprocess.Popen([sys.executable, "-m", "apidocs", "check", "--lang", "node", "-j", "2"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_as_from_a_terminal)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(pids.read_text().split() if pids.exists() else []) < 2:
        time.sleep(0.05)
    sandboxes = [pid for pid in children_of(process.pid) if b"sandbox" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(sandboxes) == 1
    command = Path(f"/proc/{sandboxes[0]}/cmdline").read_bytes().decode().split("\0")
    workdir = Path(command[command.index("--db") + 1]).parent  # the check's temporary folder
    assert workdir.is_dir()
    dispositions = [line for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                     if line.startswith(("SigBlk", "SigIgn", "SigCgt"))]
    process.send_signal(stop)
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the check did not stop ({dispositions}): {err[-2000:]}") from None
    assert process.returncode == 128 + stop and time.monotonic() - started < 5
    assert "Traceback" not in out + err
    assert survivors([*map(int, pids.read_text().split()), *sandboxes]) == []
    assert not workdir.exists()


def test_a_definition_that_cannot_load_fails_the_run_and_shows_in_junit(project: Path, echo_server: str) -> None:
    (project / "docs" / "orders" / "broken.md").write_text("---\ntitle: /timp/x/\nmethod: fly\n---\n")
    junit = project / "check.xml"
    result = apidocs(project, "docs/orders", "--base-url", echo_server, "--lang", "curl", "--junit", str(junit))
    assert result.returncode == 1
    assert "broken.md:3: E003 unknown method 'fly'" in result.stderr
    assert "1 snippets: 1 passed, 0 failed" in result.stdout  # the other definitions were still checked
    [error] = list(ET.parse(junit).getroot().iter("error"))
    assert "unknown method 'fly'" in (error.get("message") or "")


class _ConfirmOnce(BaseHTTPRequestHandler):
    """A server that keeps state and knows no sessions: the first PATCH confirms (200), every
    later one meets the confirmed order (422), as a real API would answer."""

    protocol_version = "HTTP/1.1"
    confirmed = False

    def do_PATCH(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = 422 if _ConfirmOnce.confirmed else 200
        _ConfirmOnce.confirmed = True
        self._answer(status, b'{"detail": "already confirmed"}' if status == 422 else b'{"status": "canceled"}')

    def do_GET(self) -> None:
        self._answer(404, b'{"detail": "not found"}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_stateful_base_url_is_named_up_front_and_junit_shows_the_url_and_real_times(project: Path) -> None:
    """Against a target that keeps state the second Confirm meets a confirmed order (422): the check
    says so before running and suggests the fresh sandbox; the JUnit report shows the URL that was
    checked (never the relay's per-run URL) and the time each case took."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ConfirmOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        junit = project / "check.xml"
        result = apidocs(project, CONFIRM, "--base-url", url, "--lang", "curl", "--lang", "python", "-j", "1",
                         "--junit", str(junit))
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1, result.stdout + result.stderr
    note = result.stdout.index(f"{url} keeps state between requests")
    assert note < result.stdout.index("2 snippets: 1 passed, 1 failed"), result.stdout
    assert "leave out --base-url" in result.stdout
    assert "run without --base-url for a fresh sandbox" in result.stderr
    suites = ET.parse(junit).getroot()
    text = ET.tostring(suites, encoding="unicode")
    assert "/_apidocs/" not in text and "127.0.0.1:" + url.rsplit(":", 1)[1] in text
    target = suites.find("testsuite/properties/property[@name='target']")
    assert target is not None and target.get("value") == url
    cases = list(suites.iter("testcase"))
    assert len(cases) == 2 and all(float(case.get("time", "0")) > 0 for case in cases), text
    [failure] = [case for case in cases if case.find("failure") is not None]
    assert f"{url}/timp/orders/cancel/" in (failure.findtext("system-out") or "")


def test_a_deployed_sandbox_is_checked_in_sessions_of_its_own_and_its_shared_state_is_untouched(
        project: Path, tmp_path: Path) -> None:
    """`--base-url` naming an apidocs sandbox (a deployed one, without the check's secret): each
    snippet runs in a fresh `Sandbox-Session` of its own, so every language's Confirm gets 200, run
    after run, and the state readers without a session share stays as it was."""
    import requests

    from sandbox_helpers import CONFIRM_SEED, SUPPLIER, start_sandbox

    server = start_sandbox(tmp_path / "deployed.sqlite3")
    try:
        runs = [apidocs(project, CONFIRM, "--base-url", server.url, "-j", "2") for _ in range(2)]
        shared = requests.get(f"{server.url}/timp/orders/{CONFIRM_SEED}/", headers={"Authorization": f"Token {SUPPLIER}"},
                              timeout=10)
    finally:
        server.stop()
    for result in runs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{server.url} is an apidocs sandbox: each snippet runs in a fresh session" in result.stdout
        assert "keeps state" not in result.stdout + result.stderr
        assert "4 snippets: 4 passed, 0 failed" in result.stdout, result.stdout
    assert shared.json()["status"] == "cancelation_requested"


def test_a_long_run_says_how_far_it_is_while_it_runs(project: Path) -> None:
    # The grid comes at the end: a large API's check runs for an hour with nothing to show, and CI
    # services end a job that is silent too long. A line every 10 s says how far it is.
    (project / "snippets" / "node.js.j2").write_text("setTimeout(() => {}, 11000);\n")
    result = apidocs(project, "--lang", "curl,node", "-j", "2", CONFIRM, timeout=60)
    assert result.returncode == 1  # the node snippet never sends its request
    assert "apidocs check: 1 of 2 snippets done, 0 failed" in result.stderr, result.stderr
