"""`apidocs serve` as a user runs it: one process, the docs, a fresh sandbox and the proxy on one origin."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from serve_helpers import APIDOCS, GROUP, Echo, Served, start_serve, stop_serve

pytestmark = pytest.mark.xdist_group(GROUP)

CONFIRM = "/timp/orders/cancel/db5a0c25-ff08-4a24-ab63-9530213219b9/confirm/"
REJECT = "/timp/orders/cancel/3f756137-f575-4337-b61f-d55b917b146b/reject/"
SUPPLIER = {"Authorization": "Token 1234567890"}


def test_docs_and_a_fresh_sandbox_share_one_origin(served_proxy: Served) -> None:
    served = served_proxy  # the browser tests use the other process's sandbox state
    page = requests.get(f"{served.url}/orders-supplier/reject-order-cancelation/", timeout=10)
    assert page.status_code == 200
    assert 'data-key="sandbox"' in page.text  # the explorer offers the same-origin sandbox
    assert "/livereload/" in page.text
    first = requests.patch(served.url + "/sandbox" + REJECT, headers=SUPPLIER, timeout=10)
    again = requests.patch(served.url + "/sandbox" + REJECT, headers=SUPPLIER, timeout=10)
    assert (first.status_code, again.status_code) == (200, 422)
    assert first.json()["cancelation"]["status"] == "rejected"
    assert again.reason == "Unprocessable Entity"


def test_sandbox_answers_preflight_for_other_origins(served: Served) -> None:
    answer = requests.options(served.url + "/sandbox" + CONFIRM, timeout=10, headers={
        "Origin": "https://docs.example.com", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] in ("*", "https://docs.example.com")


def test_proxy_is_off_unless_asked(served: Served) -> None:
    answer = requests.get(served.url + "/_apidocs/proxy/anything", headers={"X-Apidocs-Server": "http://x"}, timeout=10)
    assert answer.status_code == 404
    assert "--proxy" in answer.json()["detail"]
    assert answer.headers["X-Apidocs-Proxy"] == "off"


@pytest.mark.parametrize("server", ["http://evil.example", "http://127.0.0.1:1", "https://api-dev.cruxconnect.com.evil.example",
                                    "", "file:///etc/passwd"])
def test_proxy_refuses_servers_not_in_the_config(served_proxy: Served, echo: Echo, server: str) -> None:
    before = len(echo.seen)
    answer = requests.get(served_proxy.url + "/_apidocs/proxy/timp/orders/", headers={"X-Apidocs-Server": server}, timeout=10)
    assert answer.status_code in (400, 403)
    assert answer.headers["X-Apidocs-Proxy"] == "refused"
    assert len(echo.seen) == before


def test_proxy_path_cannot_change_the_host(served_proxy: Served, echo: Echo) -> None:
    # Raw socket: an HTTP client library would normalise the request target.
    import socket

    host, port = served_proxy.url.removeprefix("http://").split(":")
    before = len(echo.seen)
    for target in ("/_apidocs/proxy@evil.example/", "/_apidocs/proxy?@evil.example/"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.0\r\nX-Apidocs-Server: {echo.url}\r\n\r\n".encode())
            answer = sock.recv(65536).decode("latin-1")
        assert answer.split(" ", 2)[1].startswith("4"), answer
    assert len(echo.seen) == before


def test_proxy_forwards_to_a_configured_server_without_hop_by_hop_headers(served_proxy: Served, echo: Echo) -> None:
    answer = requests.patch(served_proxy.url + "/_apidocs/proxy/timp/orders/cancel/a%2Fb/confirm/?x=1&y=%20",
                            data=b'{"a": 1}', timeout=10, headers={
                                "X-Apidocs-Server": echo.url + "/", "Authorization": "Token secret-value",
                                "Content-Type": "application/json", "Cookie": "docs=session", "Connection": "keep-alive, X-Private",
                                "X-Private": "hop", "Keep-Alive": "timeout=5", "X-Kept": "yes"})
    assert answer.status_code == 200
    seen = answer.json()
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/timp/orders/cancel/a%2Fb/confirm/?x=1&y=%20"
    assert seen["body"] == '{"a": 1}'
    sent = {name.lower(): value for name, value in seen["headers"].items()}
    assert sent["authorization"] == "Token secret-value"
    assert sent["x-kept"] == "yes"
    for dropped in ("cookie", "x-apidocs-server", "x-private", "keep-alive"):
        assert dropped not in sent
    assert answer.headers["X-Echo"] == "kept"
    assert "X-Hop" not in answer.headers
    assert "X-Apidocs-Proxy" not in answer.headers
    log = served_proxy.output()
    assert "secret-value" not in log and "docs=session" not in log  # never logged


def test_proxy_reports_an_unreachable_configured_server(served_proxy: Served, dead_server: str) -> None:
    answer = requests.get(served_proxy.url + "/_apidocs/proxy/timp/", headers={"X-Apidocs-Server": dead_server}, timeout=30)
    assert answer.status_code == 502
    assert answer.headers["X-Apidocs-Proxy"] == "unreachable"


def test_pages_announce_the_proxy(served_proxy: Served) -> None:
    page = requests.get(f"{served_proxy.url}/orders-supplier/confirm-order-cancelation/", timeout=10).text
    match = re.search(r'data-apidocs-explorer=(["\'])(.*?)\1', page)
    assert match
    data = json.loads(html.unescape(match.group(2)))
    assert (data["sandbox"], data["proxy"]) == ("/sandbox", "/_apidocs/proxy")


def test_a_taken_port_is_one_clear_line(served: Served, serve_project: Path) -> None:
    port = served.url.rsplit(":", 1)[1]
    result = subprocess.run([APIDOCS, "-f", str(serve_project / "mkdocs.yml"), "serve", "--port", port],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot listen" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_config_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run([APIDOCS, "-f", str(tmp_path / "nope.yml"), "serve", "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_live_reload_rebuilds_and_stop_cleans_up(serve_project: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    served = start_serve(serve_project, env={"TMPDIR": str(temp)})
    try:
        assert [p.name for p in temp.iterdir() if p.name.startswith("apidocs_")]  # the built site
        epoch = re.search(r"livereload\((\d+),", requests.get(served.url + "/", timeout=10).text)
        assert epoch
        page = serve_project / "docs" / "authentication.md"
        original = page.read_text(encoding="utf-8")
        page.write_text(original + "\n\nA sentence added while serving.\n", encoding="utf-8")
        try:
            # The live-reload poll answers with a newer epoch once the rebuild is visible.
            newer = requests.get(f"{served.url}/livereload/{epoch.group(1)}/1", timeout=60).text
            assert int(newer) > int(epoch.group(1))
            assert "added while serving" in requests.get(served.url + "/authentication/", timeout=10).text
        finally:
            page.write_text(original, encoding="utf-8")
    finally:
        stop_serve(served)
    assert served.process.returncode == 0
    assert "Traceback" not in served.output()
    assert not [p.name for p in temp.iterdir() if p.name.startswith("apidocs_")]  # removed on stop


def test_serve_is_the_make_target() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^serve:.*\n\t\$\(BIN\)/apidocs serve", makefile, re.MULTILINE)
