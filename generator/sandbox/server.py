"""`apidocs sandbox`: the sandbox app on a real port, with its base URL and tokens printed.

Environment:
- `APIDOCS_SANDBOX_SECRET`: enables per-session private state (`X-Apidocs-Sandbox`);
- `APIDOCS_SANDBOX_BODY_TIMEOUT`: seconds of silence after which a half-sent body is refused
  (default 5);
- `APIDOCS_SANDBOX_HEAD_TIMEOUT`: seconds within which the request headers must all arrive
  (default 10).

The other bounds are fixed: see `apidocs.sandbox.limits`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import importlib.util
import json
import logging
import mmap
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from apidocs.config.loading import load_settings
from apidocs.model.errors import ConfigError
from apidocs.sandbox.app import SandboxInfo, create_app
from apidocs.sandbox.limits import BODY_IDLE_TIMEOUT, HEAD_TIMEOUT, KEEP_ALIVE_TIMEOUT, MAX_HEAD, MAX_HEADER_LINE, MAX_HEADERS
from apidocs.sandbox.postgres import is_postgres_url
from apidocs.sandbox.protocol import fast_protocol

DEFAULT_DB = Path(".apidocs") / "sandbox.sqlite3"

log = logging.getLogger("apidocs.sandbox")


def uvicorn_options(app: ASGIApp, head_timeout: float = HEAD_TIMEOUT) -> tuple[ASGIApp, dict[str, object]]:
    """The app to serve and uvicorn's options: the fastest stack installed, with the limits of
    `apidocs.sandbox.limits`, quiet.

    The fast path is uvicorn's private httptools protocol with the head limits of `protocol.py`;
    when that class is not what the sandbox was written against (a uvicorn upgrade), uvicorn's
    public h11 path serves instead: a head still arriving is capped at `MAX_HEAD` by h11 (uvicorn
    answers a plain 400 past it), the header count, line length and total are checked before the
    app (431) and the body limits are the app's own, as always. Only the head timeout is lost there
    (uvicorn has no option for it).
    """
    protocol, reason = fast_protocol(head_timeout)
    http: object = protocol
    if protocol is None:
        log.warning("apidocs sandbox: uvicorn's httptools protocol is not usable (%s); serving with "
                    "uvicorn's h11 instead (slower; no timeout on slow request headers)", reason)
        http = "h11"
        app = HeadLimits(app)
    options: dict[str, object] = {
        "http": http,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "auto",
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "ws": "none",
        "server_header": False,
        "proxy_headers": False,  # a local sandbox: no X-Forwarded-* to trust, and one layer less
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "h11_max_incomplete_event_size": MAX_HEAD,
    }
    return app, options


class HeadLimits:
    """The header limits as ASGI, for servers that do not enforce them (h11 bounds only a head
    still arriving, not one that came in a single read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            detail = None
            if len(headers) > MAX_HEADERS:
                detail = f"more than {MAX_HEADERS} headers"
            elif any(len(name) + len(value) + 4 > MAX_HEADER_LINE for name, value in headers):
                detail = f"a header line is over {MAX_HEADER_LINE // 1024} KiB"
            elif sum(len(name) + len(value) + 4 for name, value in headers) > MAX_HEAD:
                detail = f"the request headers are over {MAX_HEAD // 1024} KiB; send less"
            if detail:
                body = json.dumps({"detail": detail}).encode()
                await send({"type": "http.response.start", "status": 431, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"access-control-allow-origin", b"*"), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """Listen now, so a taken port is one clear error (and port 0 picks a free one)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error} (pass another --port or --host)") from None
    sock.set_inheritable(True)
    return sock


def _seconds(variable: str, default: float) -> float:
    raw = os.environ.get(variable, f"{default:g}")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{variable} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{variable} must be more than 0 seconds")
    return value


def banner(base_url: str, db_path: Path | str, info: SandboxInfo, credentials: str, isolated: bool,
           reset: bool, workers: int = 1) -> str:
    """What the sandbox says when it starts (`credentials`: how a token is sent, `Authorization: Token <token>`)."""
    state = "fixtures just restored" if reset else "--reset restores the fixtures"
    sessions = info.sessions
    lines = [f"Sandbox running at {base_url}  (Ctrl-C to stop)",
             f"  {info.endpoint_count} endpoints ({info.stateful_count} stateful); fixtures {info.fixtures.source}",
             f"  state in {db_path} ({state})" + (f"; {workers} workers" if workers > 1 else ""),
             f"  per-reader sessions: Sandbox-Session: <id> (idle {sessions.idle:g} s ends one; at most {sessions.capacity})"]
    if isolated:
        lines.append("  the check's private sessions on (X-Apidocs-Sandbox)")
    lines.append(f"  Demo tokens ({credentials}):")
    for user in info.fixtures.users.values():
        organisation = user.organisation
        who = f"{organisation.kind} user of {organisation.name}" if organisation else "no organisation"
        rights = "" if user.can_manage_orders else ", no order-management permission"
        lines.append(f"    {user.token}  {user.name}, {who}{rights}")
    return "\n".join(lines)


MAX_WORKERS = 64


def run_sandbox(config_file: str | Path = "mkdocs.yml", host: str = "127.0.0.1", port: int = 8001,
                db: str | Path | None = None, reset: bool = False, *, database: str | None = None, workers: int = 1,
                session_idle: float = 3600.0, max_sessions: int = 10_000,
                cors_origins: Sequence[str] | None = None) -> int:
    settings = load_settings(config_file)
    if database is not None and not is_postgres_url(database):
        raise ConfigError(f"--database must be a postgresql://user:password@host:port/name URL, not {database[:40]!r}"
                          " (the SQLite file is --db)")
    if database is not None and db:
        raise ConfigError("pass either --db (a SQLite file) or --database (PostgreSQL), not both")
    if not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be 1 to {MAX_WORKERS}")
    if not session_idle > 0 or max_sessions < 1:
        raise ConfigError("--session-idle must be more than 0 seconds and --max-sessions at least 1")
    for origin in cors_origins or ():
        if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") != 2:
            raise ConfigError(f"--cors-origin {origin!r} must be an origin like https://docs.example.com (no path)")
    db_path = Path(db) if db else settings.project_dir / DEFAULT_DB
    if db and not db_path.parent.is_dir():  # the default folder is ours to create; another is not
        raise ConfigError(f"--db {db}: the folder {db_path.parent} does not exist (create it, or pass another --db)")
    secret = os.environ.get("APIDOCS_SANDBOX_SECRET") or None
    head_timeout = _seconds("APIDOCS_SANDBOX_HEAD_TIMEOUT", HEAD_TIMEOUT)
    app = create_app(settings, db_path, secret, reset=reset, body_timeout=_seconds("APIDOCS_SANDBOX_BODY_TIMEOUT", BODY_IDLE_TIMEOUT),
                     database=database, session_idle=session_idle, max_sessions=max_sessions, cors_origins=cors_origins)
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{bound_port}"
    info: SandboxInfo = app.state.sandbox
    where = info.store.name if database else db_path
    print(banner(base_url, where, info, app.endpoint.authenticator.example(), secret is not None, reset, workers),
          flush=True)
    # The endpoint itself, not the Starlette app around it (kept for `apidocs serve`, which
    # mounts it): one call less on every request, and nothing of Starlette's is used here.
    served_app, options = uvicorn_options(app.endpoint, head_timeout)
    # Everything loaded so far lives as long as the process: keep the garbage collector from
    # walking it again (a full pass over the definitions would stall every request for ms).
    # Frozen before forking, it also stays shared between the workers' memory pages.
    gc.collect()
    gc.freeze()
    try:
        if workers == 1:
            return serve(served_app, options, sock)
        info.store.close()  # each worker opens its own connections
        return supervise(workers, lambda beat: _worker(served_app, options, sock, info, beat))
    finally:
        info.store.close()
        sock.close()


def serve(app: ASGIApp, options: dict[str, object], sock: socket.socket, beat: Callable[[], None] | None = None) -> int:
    config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
    server = uvicorn.Server(config) if beat is None else _BeatingServer(config, beat)
    server.run(sockets=[sock])
    return 0 if server.started else 1


class _BeatingServer(uvicorn.Server):
    """uvicorn's server, telling its supervisor on every tick of its loop (ten a second) that the
    loop runs (`Heartbeats`)."""

    def __init__(self, config: uvicorn.Config, beat: Callable[[], None]) -> None:
        super().__init__(config)
        self._beat = beat

    async def on_tick(self, counter: int) -> bool:
        self._beat()
        return await super().on_tick(counter)


def _worker(app: ASGIApp, options: dict[str, object], sock: socket.socket, info: SandboxInfo,
            beat: Callable[[], None]) -> int:
    info.store.after_fork()
    return serve(app, options, sock, beat)


class Heartbeats:
    """When each worker's event loop last ran, in memory the supervisor and its workers share (an
    anonymous shared mapping made before they fork; the monotonic clock is the machine's). A
    worker whose loop stopped (SIGSTOP, a call that never returns) still holds the connections the
    kernel gave it and answers none of them: its beat stops, and the supervisor replaces it."""

    def __init__(self, slots: int) -> None:
        self._memory = mmap.mmap(-1, 8 * slots)

    def beat(self, slot: int) -> None:
        struct.pack_into("d", self._memory, 8 * slot, time.monotonic())

    def last(self, slot: int) -> float:
        return float(struct.unpack_from("d", self._memory, 8 * slot)[0])

    def silent_for(self, slot: int) -> float:
        return time.monotonic() - self.last(slot)


HUNG_SECONDS = 10.0  # a worker whose loop has not run for this long is killed and replaced
STOP_SECONDS = 15.0  # a worker still there this long after SIGTERM is killed
_POLL_SECONDS = 0.2  # the supervisor's look at its workers


def supervise(count: int, work: Callable[[Callable[[], None]], int]) -> int:
    """Fork `count` workers running `work(beat)` on the inherited listening socket (the kernel
    spreads the connections), start a new one whenever one dies or its loop stops running (it
    calls `beat()` while it runs: `Heartbeats`), and stop them all on SIGTERM/SIGINT. A worker
    killed mid-request loses only that request: every change is one committed compare-and-set,
    so none is half-applied."""
    children: dict[int, tuple[int, float]] = {}  # worker → its heartbeat slot, and the beat it started with
    free_slots = list(range(count))
    heartbeats = Heartbeats(count)
    stopping_since: float | None = None
    supervisor = os.getpid()

    def spawn() -> None:
        slot = free_slots.pop()
        heartbeats.beat(slot)  # a fresh worker has its first `HUNG_SECONDS` to start
        pid = os.fork()
        if pid == 0:  # the worker: uvicorn installs its own signal handlers
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 1
            try:
                _end_with_parent(supervisor)
                code = work(functools.partial(heartbeats.beat, slot))
            except BaseException:  # a worker must never return into the supervisor's loop
                log.exception("apidocs sandbox worker failed")
            finally:
                os._exit(code)
        children[pid] = slot, heartbeats.last(slot)  # the worker beats after this once its loop runs

    def signal_all(signum: int) -> None:
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping_since
        if stopping_since is None:
            stopping_since = time.monotonic()
        signal_all(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        spawn()
    recent_deaths: list[float] = []
    broken = False
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == 0:  # none ended: look for stopped loops, or workers slow to stop
            if stopping_since is None:
                for hung, (slot, _) in list(children.items()):
                    if heartbeats.silent_for(slot) > HUNG_SECONDS:
                        log.warning("apidocs sandbox: worker %d has not run for %g s; killing it", hung, HUNG_SECONDS)
                        heartbeats.beat(slot)  # one kill: it is replaced once reaped
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(hung, signal.SIGKILL)
            elif time.monotonic() - stopping_since > STOP_SECONDS:
                signal_all(signal.SIGKILL)  # a stopped (SIGSTOP) worker never handles SIGTERM
            time.sleep(_POLL_SECONDS)
            continue
        if pid not in children:
            continue
        slot, first_beat = children.pop(pid)
        free_slots.append(slot)
        was_up = heartbeats.last(slot) > first_beat  # its loop ran: it started fine
        if stopping_since is not None:
            continue
        now = time.monotonic()
        # Only workers that die before their loop runs tell of a broken setup (and would fork in
        # a loop): one that was up is replaced however often it is killed (an operator, the
        # OOM killer, a probe), or a few kills in a row would take the whole sandbox down.
        if not was_up:
            recent_deaths = [at for at in recent_deaths if now - at < 10] + [now]
            if len(recent_deaths) > 5 * count:
                log.error("apidocs sandbox: workers keep exiting as soon as they start; stopping")
                broken = True
                stop(signal.SIGTERM, None)
                continue
        log.warning("apidocs sandbox: worker %d exited (%s); starting another", pid, _exit_reason(status))
        spawn()
    return 1 if broken else 0


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent ends


def _end_with_parent(parent: int) -> None:
    """A worker gets SIGTERM (a graceful stop) when its supervisor ends, however it ends: a
    supervisor killed with SIGKILL cannot stop its workers, which would keep the port and
    never be replaced. Linux's prctl where there is one, else a thread that watches."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        asked = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        asked = False
    if os.getppid() != parent:  # it ended before the request: nothing would tell this worker
        os._exit(1)
    if not asked:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="apidocs-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


if __name__ == "__main__":
    sys.exit(run_sandbox())
