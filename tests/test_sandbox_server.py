"""`apidocs sandbox` as a process: persistence, --reset, isolation, concurrency, mounting, errors."""

from __future__ import annotations

import dataclasses
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_endpoints
from apidocs.sandbox import create_app
from apidocs.sandbox.app import refresh_routes
from sandbox_helpers import (
    CONFIRM_SEED,
    DETAIL_ORDER,
    ITEMS_ORDER,
    REJECT_ITEM,
    REJECT_SEED,
    RETAILER,
    ROOT,
    SUPPLIER,
    RunningSandbox,
    SandboxClient,
    sandbox_command,
    start_sandbox,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()  # the sandbox creates no folder but its default one
    return tmp_path / "state" / "sandbox.sqlite3"


def test_banner_prints_the_base_url_and_the_demo_tokens(db: Path) -> None:
    server = start_sandbox(db)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        for token in ("1234567890", "0987654321", "1111111111", "2222222222"):
            assert token in server.banner
        assert str(db) in server.banner
    finally:
        server.stop()


def test_state_survives_a_restart_with_the_same_db_until_reset(db: Path) -> None:
    server = start_sandbox(db)
    try:
        assert server.client().confirm_order(CONFIRM_SEED).status_code == 200
    finally:
        server.stop()
    server = start_sandbox(db)
    try:
        client = server.client()
        assert client.confirm_order(CONFIRM_SEED).status_code == 422
        assert client.order(CONFIRM_SEED).json()["status"] == "canceled"
    finally:
        server.stop()
    server = start_sandbox(db, "--reset")
    try:
        assert "fixtures just restored" in server.banner
        assert server.client().confirm_order(CONFIRM_SEED).status_code == 200
    finally:
        server.stop()


def test_without_a_secret_the_isolation_header_is_ignored(db: Path) -> None:
    server = start_sandbox(db)
    try:
        first = SandboxClient(server.url, {"X-Apidocs-Sandbox": "any:one"})
        second = SandboxClient(server.url, {"X-Apidocs-Sandbox": "any:two"})
        assert first.confirm_order(CONFIRM_SEED).status_code == 200
        assert second.confirm_order(CONFIRM_SEED).status_code == 422
    finally:
        server.stop()


def test_requests_without_the_header_use_the_main_state_not_a_session(sandbox_server: RunningSandbox) -> None:
    session = sandbox_server.session()
    assert session.reject_item(REJECT_ITEM).status_code == 200
    items = sandbox_server.client().order(ITEMS_ORDER).json()["line_items"]
    assert [i["status"] for i in items if i["line_item_uuid"] == REJECT_ITEM] == ["cancelation_requested"]


def _race(calls: Sequence[Callable[[], requests.Response]]) -> list[int]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> int:
        barrier.wait()
        return call().status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_fifty_concurrent_confirms_give_one_200_and_forty_nine_422(db: Path) -> None:
    server = start_sandbox(db)
    try:
        clients = [server.client() for _ in range(50)]
        statuses = _race([partial(c.confirm_order, CONFIRM_SEED) for c in clients])
        assert sorted(statuses) == [200] + [422] * 49
        assert "database is locked" not in server.log.read_text()
    finally:
        server.stop()


def test_two_sandboxes_sharing_one_db_still_confirm_only_once(db: Path) -> None:
    first, second = start_sandbox(db), start_sandbox(db)
    try:
        clients = [first.client() for _ in range(10)] + [second.client() for _ in range(10)]
        statuses = _race([partial(c.confirm_order, CONFIRM_SEED) for c in clients])
        assert sorted(statuses) == [200] + [422] * 19
        assert first.client().order(CONFIRM_SEED).json() == second.client().order(CONFIRM_SEED).json()
    finally:
        first.stop()
        second.stop()


def test_rejects_racing_confirms_give_exactly_one_200(sandbox_server: RunningSandbox) -> None:
    clients = [sandbox_server.client() for _ in range(40)]
    session = sandbox_server.session()
    calls: list[Callable[[], requests.Response]] = [partial(c.confirm_order, REJECT_SEED) for c in clients[:20]]
    calls += [partial(c.reject_order, REJECT_SEED) for c in clients[20:]]
    calls += [partial(session.confirm_order, CONFIRM_SEED)] * 10 + [partial(session.reject_order, CONFIRM_SEED)] * 10
    statuses = _race(calls)
    assert sorted(statuses[:40]) == [200] + [422] * 39  # the main state
    assert sorted(statuses[40:]) == [200] + [422] * 19  # one session


def test_a_stalled_body_is_refused_after_the_body_timeout(db: Path) -> None:
    server = start_sandbox(db, env={"APIDOCS_SANDBOX_BODY_TIMEOUT": "0.3"})
    try:
        parts = urlsplit(server.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as connection:
            connection.sendall((f"PATCH /timp/orders/cancel/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token {RETAILER}\r\n"
                                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ord").encode())
            started = time.monotonic()
            answer = connection.recv(65536)  # the connection stays open: only the timeout answers
            while not answer.endswith(b"}"):
                answer += connection.recv(65536) or b"}"
        assert answer.startswith(b"HTTP/1.1 408")
        assert b"stopped arriving" in answer
        assert time.monotonic() - started < 3
    finally:
        server.stop()


def test_a_taken_port_is_one_clear_error(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = sandbox_command(ROOT / "mkdocs.yml", db)
        command[command.index("--port") + 1] = str(port)
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_db_that_is_not_a_sandbox_database_is_one_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("my notes, not a database\n" * 100)
    result = subprocess.run(sandbox_command(ROOT / "mkdocs.yml", not_a_db), cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "is not a sandbox database" in result.stderr and "Traceback" not in result.stderr
    assert not_a_db.read_text().startswith("my notes")


def test_a_broken_fixture_file_is_one_clear_error(project: Path, db: Path) -> None:
    config = project / "mkdocs.yml"
    text = re.sub(r"^ +fixtures:.*\n", "", config.read_text(), flags=re.M)
    config.write_text(text.replace("  - apidocs:\n", "  - apidocs:\n      fixtures: world.yml\n", 1))
    (project / "world.yml").write_text("organisations: {}\nusers: {}\norders:\n  - order_uuid: nope\n")
    result = subprocess.run(sandbox_command(config, db), cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "world.yml: orders[0]" in result.stderr and "Traceback" not in result.stderr


WIDGET = """---
title: /widgets/&lt;shop&gt;/
name: Create Widget
position: 9
method: post
example:
  params:
    shop: main
  body:
    name: sprocket
  status: 201
responses:
  - status: 201
    body: {id: 7, name: sprocket}
---
Make a widget.

### Request Parameters:

name
: (string) ***Required*** What to call it

size
: (integer) How big

parts
: (array of object) What it is made of

parts[].sku
: (string) ***Required*** Each part's stock number

parts[].count
: (integer) How many of that part
"""


def sandbox_serving(project: Path, db: Path, name: str, definition: str) -> RunningSandbox:
    """A sandbox of `project` with one more definition, at docs/`name`."""
    path = project / "docs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(definition)
    return start_sandbox(db, config=project / "mkdocs.yml")


def test_any_documented_endpoint_is_mocked_from_its_definition(project: Path, db: Path) -> None:
    server = sandbox_serving(project, db, "widgets/create-widget.md", WIDGET)
    try:
        client = server.client()
        created = client.request("POST", "/widgets/main/", json={"name": "sprocket"})
        assert created.status_code == 201 and created.json() == {"id": 7, "name": "sprocket"}
        assert client.request("POST", "/widgets/other/", json={"name": "x", "size": 3}).status_code == 201
        missing = client.request("POST", "/widgets/main/", json={"size": 3})
        assert missing.status_code == 400 and missing.json()["detail"] == "missing required body field: name"
        mistyped = client.request("POST", "/widgets/main/", json={"name": "x", "size": "big"})
        assert mistyped.status_code == 400 and "`size`" in mistyped.json()["detail"]
        # nested fields, as field tables name them: required where their parent is present
        parts = [{"sku": "A1", "count": 2}, {"sku": "B2"}]
        assert client.request("POST", "/widgets/main/", json={"name": "x", "parts": parts}).status_code == 201
        no_sku = client.request("POST", "/widgets/main/", json={"name": "x", "parts": [{"count": 2}]})
        assert no_sku.status_code == 400 and no_sku.json()["detail"] == "missing required body field: parts[].sku"
        bad_count = client.request("POST", "/widgets/main/", json={"name": "x", "parts": [{"sku": "A1", "count": "two"}]})
        assert bad_count.status_code == 400 and "`parts[].count`" in bad_count.json()["detail"]
        assert client.request("POST", "/widgets/main/").json()["detail"] == "the body is missing: send a JSON object with name"
        wrong_method = client.request("GET", "/widgets/main/")
        assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST, OPTIONS"
        assert client.request("POST", "/widgets/main/", token=None, json={"name": "x"}).status_code == 401
        assert client.order(DETAIL_ORDER).status_code == 200  # the workflow routes are still stateful
    finally:
        server.stop()


MAINTENANCE = """---
title: /windows/&lt;day&gt;/
name: Set Maintenance Window
position: 10
method: put
example:
  params:
    day: monday
  query:
    after: '2025-10-15T13:51:00Z'
  body:
    hour: 840
  status: 204
---
The field list below says `hour` is text and `after` a date; the example, as imported specs
often do, says otherwise. Every snippet sends the example: the sandbox must take it.

### Query Parameters

after
: (date) Only after this day

### Request Parameters

hour
: (string) ***Required*** The hour of the day
"""


def test_a_documented_example_is_accepted_even_where_the_field_list_says_otherwise(project: Path, db: Path) -> None:
    server = sandbox_serving(project, db, "windows/set-window.md", MAINTENANCE)
    try:
        client = server.client()
        answer = client.request("PUT", "/windows/monday/?after=2025-10-15T13:51:00Z", json={"hour": 840})
        assert answer.status_code == 204, answer.text  # (a list the example keeps to is enforced: see above)
    finally:
        server.stop()


def test_mounted_under_a_prefix_routes_relative_to_the_mount(tmp_path: Path) -> None:
    sandbox_app = create_app(load_settings(ROOT / "mkdocs.yml"), None, "s3cret")
    site = Starlette(routes=[Mount("/sandbox", app=sandbox_app)])
    listener = socket.socket()  # bound here and handed over: no window for another process to take the port
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(site, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start in 10 s"
        client = SandboxClient(f"http://127.0.0.1:{port}/sandbox")
        assert client.order(DETAIL_ORDER).status_code == 200
        assert client.confirm_order(CONFIRM_SEED, token=SUPPLIER).status_code == 200
        missing = client.request("GET", "/timp/nothing/")
        assert missing.status_code == 404 and missing.json()["detail"] == "no endpoint at /timp/nothing/"
        session = SandboxClient(client.base_url, {"X-Apidocs-Sandbox": "s3cret:a"})
        assert session.confirm_order(CONFIRM_SEED).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/elsewhere", timeout=5).status_code == 404
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def test_routing_again_reuses_the_mocks_of_unchanged_definitions() -> None:
    # `apidocs serve` routes every definition again after each save: the mocks of definitions it
    # kept (the same objects) are reused, a changed definition gets its own.
    settings = load_settings(ROOT / "mkdocs.yml")
    timp, _ = load_endpoints(settings)
    mocked = [dataclasses.replace(timp[0], path=f"/mocked/{{thing}}/n{index}/") for index in range(5)]  # no workflow route
    endpoints = [*timp, *mocked]
    sandbox_app = create_app(endpoints)
    info = sandbox_app.state.sandbox
    before = dict(info.mocks)
    assert set(before) == {id(endpoint) for endpoint in mocked}
    changed = dataclasses.replace(mocked[0], path="/mocked/{thing}/moved/")
    now = [changed if endpoint is mocked[0] else endpoint for endpoint in endpoints]
    assert refresh_routes(sandbox_app, settings, now) == len(endpoints)
    assert all(info.mocks[id(endpoint)] is before[id(endpoint)] for endpoint in mocked[1:])
    assert info.mocks[id(changed)].endpoint is changed and id(mocked[0]) not in info.mocks
    found = info.router.match("/mocked/x/moved/")
    assert found is not None and found.route_for(changed.method).endpoint is changed
    assert info.router.match("/mocked/x/n0/") is None


def test_a_method_goes_to_the_most_specific_template_that_has_it() -> None:
    # GitLab documents `PUT /services/asana` and `GET`, `DELETE /services/{service_slug}`: a GET
    # of `/services/asana` got 405 (allowed: PUT), and so did every snippet of those two pages.
    from apidocs.sandbox.router import Router

    async def handler(call: object) -> None:
        return None

    router = Router()
    router.add("PUT", "/projects/{id}/services/asana", handler)
    router.add("GET", "/projects/{id}/services/{service_slug}", handler)
    router.add("DELETE", "/projects/{id}/services/{service_slug}", handler)
    for method, template in (("GET", "/projects/{id}/services/{service_slug}"), ("HEAD", "/projects/{id}/services/{service_slug}"),
                             ("DELETE", "/projects/{id}/services/{service_slug}"), ("PUT", "/projects/{id}/services/asana")):
        found = router.match("/projects/1/services/asana", method)
        route = found.route_for(method) if found else None
        assert route is not None and route.template == template, method
    refused = router.match("/projects/1/services/asana", "POST")  # no template has it: the most specific one's Allow
    assert refused is not None and refused.route_for("POST") is None and refused.group.allow == "PUT, OPTIONS"


def test_a_path_matched_before_a_route_is_added_finds_that_route_after() -> None:
    # The router keeps each path's match: a route added since (`apidocs serve` adds none, it
    # builds a new router, but `Router.add` must not leave an outdated match behind) is found.
    from apidocs.sandbox.router import MAX_MATCHED_PATH_LENGTH, Router

    async def handler(call: object) -> None:
        return None

    router = Router()
    router.add("GET", "/orders/{id}/", handler)
    assert router.match("/orders/cancel/", "PATCH") is not None  # the `{id}` route (no PATCH: a 405)
    router.add("PATCH", "/orders/cancel/", handler)
    found = router.match("/orders/cancel/", "PATCH")
    assert found is not None and found.route_for("PATCH") is not None
    route = found.route_for("PATCH")
    assert route is not None and found.choose(route, {}, b"") == (route, {})
    first = router.match("/orders/7/", "GET")
    assert first is not None and first is router.match("/orders/7/", "GET")  # kept
    get = first.route_for("GET")
    assert get is not None
    chosen, values = first.choose(get, {}, b"")
    values["id"] = "changed by a handler"
    assert first.choose(get, {}, b"") == (chosen, {"id": "7"})  # each request has its own values
    long_path = "/orders/" + "x" * MAX_MATCHED_PATH_LENGTH + "/"
    assert router.match(long_path, "GET") is not router.match(long_path, "GET")  # matched each time, not kept
