"""`apidocs sandbox`: the sandbox app on a real port, with its base URL and tokens printed.

Environment:
- `APIDOCS_SANDBOX_SECRET`: enables per-session private state (`X-Apidocs-Sandbox`);
- `APIDOCS_SANDBOX_BODY_TIMEOUT`: seconds of silence after which a half-sent body is refused
  (default 5).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import socket
import sys
from pathlib import Path

import uvicorn

from apidocs.config.loading import load_settings
from apidocs.model.errors import ConfigError
from apidocs.sandbox.app import SandboxInfo, create_app

DEFAULT_DB = Path(".apidocs") / "sandbox.sqlite3"


def uvicorn_options() -> dict[str, object]:
    """The fastest server stack installed, quiet."""
    if importlib.util.find_spec("httptools"):
        from apidocs.sandbox.protocol import CoalescingHttpToolsProtocol

        http: object = CoalescingHttpToolsProtocol
    else:
        http = "auto"
    return {
        "http": http,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "auto",
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "server_header": False,
        "proxy_headers": False,  # a local sandbox: no X-Forwarded-* to trust, and one layer less
    }


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


def _body_timeout() -> float:
    raw = os.environ.get("APIDOCS_SANDBOX_BODY_TIMEOUT", "5")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"APIDOCS_SANDBOX_BODY_TIMEOUT must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError("APIDOCS_SANDBOX_BODY_TIMEOUT must be more than 0 seconds")
    return value


def banner(base_url: str, db_path: Path, info: SandboxInfo, header: str, scheme: str, isolated: bool,
           reset: bool) -> str:
    state = "fixtures just restored" if reset else "--reset restores the fixtures"
    lines = [f"Sandbox running at {base_url}  (Ctrl-C to stop)",
             f"  {info.endpoint_count} endpoints ({info.stateful_count} stateful); fixtures {info.fixtures.source}",
             f"  state in {db_path} ({state})"]
    if isolated:
        lines.append("  per-session state on (X-Apidocs-Sandbox)")
    lines.append(f"  Demo tokens ({header}: {scheme} <token>):".replace("  <", " <"))
    for user in info.fixtures.users.values():
        organisation = user.organisation
        who = f"{organisation.kind} user of {organisation.name}" if organisation else "no organisation"
        rights = "" if user.can_manage_orders else ", no order-management permission"
        lines.append(f"    {user.token}  {user.name}, {who}{rights}")
    return "\n".join(lines)


def run_sandbox(config_file: str | Path = "mkdocs.yml", host: str = "127.0.0.1", port: int = 8001,
                db: str | Path | None = None, reset: bool = False) -> int:
    settings = load_settings(config_file)
    db_path = Path(db) if db else settings.project_dir / DEFAULT_DB
    secret = os.environ.get("APIDOCS_SANDBOX_SECRET") or None
    app = create_app(settings, db_path, secret, reset=reset, body_timeout=_body_timeout())
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{bound_port}"
    info: SandboxInfo = app.state.sandbox
    print(banner(base_url, db_path, info, settings.auth.header, settings.auth.scheme, secret is not None, reset), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options()))  # type: ignore[arg-type]
    # Everything loaded so far lives as long as the process: keep the garbage collector from
    # walking it again (a full pass over the definitions would stall every request for ms).
    gc.collect()
    gc.freeze()
    try:
        server.run(sockets=[sock])
    finally:
        info.store.close()
        sock.close()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(run_sandbox())
