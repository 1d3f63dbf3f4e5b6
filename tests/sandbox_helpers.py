"""Real sandbox processes for black-box tests: `apidocs sandbox` on a free port, over HTTP."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from apidocs.sandbox.store import Backend, Entry

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SUPPLIER = "1234567890"  # Stevens, Smith and Krause, may manage orders
RETAILER = "0987654321"  # projectthanos
STRANGER = "1111111111"  # another supplier, party to no order
NO_PERMISSION = "2222222222"  # Stevens, Smith and Krause, may not manage orders

CONFIRM_SEED = "db5a0c25-ff08-4a24-ab63-9530213219b9"  # cancelation requested
REJECT_SEED = "3f756137-f575-4337-b61f-d55b917b146b"  # cancelation requested
OPEN_ORDER = "521a91e5-058d-4474-aeee-f0c148594a00"
DETAIL_ORDER = "f7bc1028-844c-44ca-82df-fe76282d2a8b"
DETAIL_ITEM = "5e91d918-67e8-4957-a69a-df9d2072ad9b"
ITEMS_ORDER = "0b7d3c52-6a0e-4d3b-9d52-6f1f3e0c2a11"
CONFIRM_ITEM = "2350a349-2441-4c32-b7f6-99b7e4540b94"  # cancelation requested
REJECT_ITEM = "4efca041-22e1-4e35-96d1-8495273a5868"  # cancelation requested
UNKNOWN = "00000000-0000-4000-8000-000000000000"


class SandboxClient:
    """Requests to one sandbox with a default token; `session` picks private state."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers.update(headers or {})

    def request(self, method: str, path: str, token: str | None = SUPPLIER, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers.setdefault("Authorization", f"Token {token}")
        return self.http.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)

    def order(self, order_uuid: str, token: str | None = SUPPLIER) -> requests.Response:
        return self.request("GET", f"/timp/orders/{order_uuid}/", token)

    def cancel_order(self, order_uuid: str, token: str | None = RETAILER) -> requests.Response:
        return self.request("PATCH", "/timp/orders/cancel/", token, json={"order_uuid": order_uuid})

    def confirm_order(self, order_uuid: str, token: str | None = SUPPLIER) -> requests.Response:
        return self.request("PATCH", f"/timp/orders/cancel/{order_uuid}/confirm/", token)

    def reject_order(self, order_uuid: str, token: str | None = SUPPLIER, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", f"/timp/orders/cancel/{order_uuid}/reject/", token, **kwargs)

    def cancel_item(self, item_uuid: str, token: str | None = RETAILER) -> requests.Response:
        return self.request("DELETE", f"/timp/orders/items/cancel/{item_uuid}/", token)

    def confirm_item(self, item_uuid: str, token: str | None = SUPPLIER) -> requests.Response:
        return self.request("PATCH", f"/timp/orders/items/cancel/{item_uuid}/confirm/", token)

    def reject_item(self, item_uuid: str, token: str | None = SUPPLIER, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", f"/timp/orders/items/cancel/{item_uuid}/reject/", token, **kwargs)


@dataclass
class RunningSandbox:
    process: subprocess.Popen[bytes]
    url: str
    banner: str
    secret: str | None
    log: Path
    sessions: list[str] = field(default_factory=list)

    def client(self, headers: dict[str, str] | None = None) -> SandboxClient:
        """A client of the main (shared) state."""
        return SandboxClient(self.url, headers)

    def session(self) -> SandboxClient:
        """A client of a fresh private state (needs the server to have a secret)."""
        assert self.secret, "start the sandbox with a secret to use sessions"
        return SandboxClient(self.url, {"X-Apidocs-Sandbox": f"{self.secret}:{uuid.uuid4().hex}"})

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def sandbox_command(config: Path, db: Path | None, *extra: str, launcher: list[str] | None = None) -> list[str]:
    """`launcher` replaces `python -m apidocs` (e.g. `python -c CODE` that alters uvicorn first);
    `db` None for a sandbox whose `extra` names its store (`--database postgresql://…`)."""
    start = launcher or [sys.executable, "-m", "apidocs"]
    return [*start, "-f", str(config), "sandbox", "--port", "0", *(["--db", str(db)] if db is not None else []), *extra]


def start_sandbox(db: Path | None, *extra: str, secret: str | None = None, config: Path = ROOT / "mkdocs.yml",
                  env: dict[str, str] | None = None, timeout: float = 20.0,
                  launcher: list[str] | None = None) -> RunningSandbox:
    """`apidocs sandbox --port 0 --db DB`, waiting until it prints its URL and answers."""
    environment = {**os.environ, **(env or {})}
    environment.pop("APIDOCS_SANDBOX_SECRET", None)
    if secret:
        environment["APIDOCS_SANDBOX_SECRET"] = secret
    with tempfile.NamedTemporaryFile("w", prefix="sandbox-", suffix=".log", delete=False) as stderr:
        log = Path(stderr.name)
        process = subprocess.Popen(sandbox_command(config, db, *extra, launcher=launcher), cwd=ROOT, env=environment, bufsize=0,
                                   stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    output = b""
    while b"Sandbox running at " not in output or not output.endswith(b"\n") or select.select([fd], [], [], 0.1)[0]:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"sandbox did not start: {output.decode()}{log.read_text()}")
        if select.select([fd], [], [], 0.1)[0]:
            output += os.read(fd, 65536)
    banner = output.decode()
    url = banner.split("Sandbox running at ", 1)[1].split()[0]
    while time.monotonic() < deadline:  # the banner is printed just before uvicorn serves
        try:
            requests.get(url + "/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.02)
    return RunningSandbox(process, url, banner, secret, log)


def stale_write_after_another_worker_reset(writer: Backend, resetter: Backend) -> tuple[bool, Entry]:
    """`writer` changes an order; `resetter` (another worker) drops the session; `writer` then
    tries a change from what it had seen: it must be refused, and the row stay deleted."""
    from apidocs.sandbox.timp.workflow import Cancelation, State

    async def run() -> tuple[bool, Entry]:
        try:
            return await steps()
        finally:
            await writer.aclose()
            await resetter.aclose()

    async def steps() -> tuple[bool, Entry]:
        session = "stale-guess"
        seen = (await writer.read(session, [DETAIL_ORDER]))[0]
        requested = State("cancelation_requested", Cancelation("requested", "R", "2020-01-01T00:00:00Z"))
        assert await writer.replace(session, DETAIL_ORDER, "order", seen, requested)
        await resetter.drop(session)
        confirmed = State("canceled", Cancelation("confirmed", "R", "2020-01-01T00:00:00Z", "S", "2020-01-02T00:00:00Z"))
        changed = await writer.replace(session, DETAIL_ORDER, "order", (requested, seen[1] + 1), confirmed)
        return changed, (await resetter.read(session, [DETAIL_ORDER]))[0]

    return run_coroutine(run())


def run_coroutine(coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
    """`asyncio.run` in a thread of its own: a browser test in the same worker (Playwright's
    sync API) may have left an event loop set in this one, where `asyncio.run` refuses to start.
    Bounded: a coroutine that hangs fails the test instead of the run."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)
    finally:
        pool.shutdown(wait=False)
