"""The recording relay: real curl in front, the echo server behind, over loopback HTTP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from apidocs.check.relay import SANDBOX_SESSION_HEADER, RecordingRelay


@pytest.fixture
def relay(echo_server: str) -> Iterator[RecordingRelay]:
    with RecordingRelay(echo_server + "/base/", sandbox_secret="s3cret") as running:
        yield running


def curl(*args: str) -> tuple[int, str]:
    completed = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    body, _, status = completed.stdout.rpartition("\n")
    return int(status), body


def test_records_the_exact_request_and_forwards_it_with_the_session_tag(relay: RecordingRelay) -> None:
    run = relay.open_run()
    status, body = curl("-X", "PATCH", relay.base_url(run) + "/a%20b/c?x=1&x=&y=%26", "-H", "X-One: 'quoted' value",
                        "-H", "X-Empty;", "--data-raw", '{"k": "\\\\"}')
    assert status == 200
    [exchange] = relay.take(run)
    assert (exchange.method, exchange.target) == ("PATCH", "/a%20b/c?x=1&x=&y=%26")
    assert exchange.header_values("x-one") == ["'quoted' value"]
    assert exchange.header_values("X-Empty") == [""]
    assert exchange.body == b'{"k": "\\\\"}'
    assert exchange.status == 200
    echoed = json.loads(body)
    assert echoed["target"] == "/base/a%20b/c?x=1&x=&y=%26"  # the target's base path is kept
    assert echoed["body"] == '{"k": "\\\\"}'
    headers = {name.lower(): value for name, value in echoed["headers"]}
    assert headers[SANDBOX_SESSION_HEADER.lower()] == f"s3cret:{run}"
    assert headers["host"] == echo_host(relay)


def echo_host(relay: RecordingRelay) -> str:
    return relay.target_url.split("//", 1)[1].split("/", 1)[0]


def test_chunked_request_bodies_are_recorded_whole(relay: RecordingRelay) -> None:
    run = relay.open_run()
    status, body = curl("-X", "POST", relay.base_url(run) + "/upload", "-H", "Transfer-Encoding: chunked",
                        "--data-binary", "x" * 70000)
    assert status == 200
    [exchange] = relay.take(run)
    assert exchange.body == b"x" * 70000
    assert json.loads(body)["body"] == "x" * 70000


def test_runs_are_kept_apart_and_taking_a_run_closes_it(relay: RecordingRelay) -> None:
    first, second = relay.open_run(), relay.open_run()
    curl(relay.base_url(first) + "/one")
    curl(relay.base_url(second) + "/two")
    curl(relay.base_url(second) + "?only=query")
    assert [e.target for e in relay.take(first)] == ["/one"]
    assert [e.target for e in relay.take(second)] == ["/two", "/?only=query"]
    status, body = curl(relay.base_url(first) + "/late")
    assert status == 404 and "does not belong to a running snippet" in body
    assert [e.target for e in relay.strays] == [f"/_apidocs/{first}/late"]


def test_keep_alive_connections_carry_several_recorded_requests(relay: RecordingRelay) -> None:
    run = relay.open_run()
    url = relay.base_url(run)
    completed = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects} ",
                                url + "/1", url + "/2"], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["1", "0"]  # the second request reused the connection
    assert [e.target for e in relay.take(run)] == ["/1", "/2"]


def test_an_unreachable_target_is_reported_not_raised() -> None:
    with RecordingRelay("http://127.0.0.1:9") as relay:
        run = relay.open_run()
        status, body = curl(relay.base_url(run) + "/x")
        assert status == 502 and "could not reach" in body
        [exchange] = relay.take(run)
        assert exchange.error and "http://127.0.0.1:9" in exchange.error


def test_only_http_targets_are_accepted() -> None:
    with pytest.raises(ValueError, match="not an http"):
        RecordingRelay("ftp://example.com")
