"""Which `Host` a request to `apidocs serve`'s sandbox and proxy may name (DNS rebinding).

A page on another site can make the reader's browser resolve its own name to 127.0.0.1 and then
call `apidocs serve` as if it were that site: same origin as far as the browser can tell, so the
proxy would reach the configured (maybe internal) servers for it. The `Host` header still names
the attacker's site, so only the names this server is really reached by are accepted:
localhost names, loopback addresses, and the host it was started with (with `--host 0.0.0.0`,
also this machine's own names).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def allowed_hosts(bind_host: str) -> frozenset[str]:
    """The host names accepted for a server started with `--host bind_host`."""
    names = set(LOCAL_NAMES)
    bind = bind_host.strip().strip("[]").lower()
    if bind in WILDCARDS:
        for name in (socket.gethostname(), socket.getfqdn()):
            names.add(name.lower())
    else:
        names.add(bind)
    return frozenset(names)


def host_name(header: str) -> str:
    """The name in a Host header, without port or brackets, lower-case ('' when malformed)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        return name if bracket and (not rest or (rest.startswith(":") and rest[1:].isdigit())) else ""
    name, colon, port = header.partition(":")
    if colon and not port.isdigit():
        return ""
    return name.rstrip(".")


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    if not header:
        return False
    name = host_name(header)
    if not name:
        return False
    if name in allowed or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostGuard:
    """A WSGI app answering 403 unless the request's Host is an allowed one, else `app`."""

    def __init__(self, app: WsgiApp, allowed: frozenset[str], marker: tuple[str, str] | None = None) -> None:
        self.app = app
        self.allowed = allowed
        self.marker = marker  # an extra header on refusals (the proxy's X-Apidocs-Proxy)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host_allowed(host, self.allowed):
            return self.app(environ, start_response)
        shown = (host or "(none)")[:100]
        content = json.dumps({"detail": f"Host {shown} is not a name of this server (accepted: "
                                        f"{', '.join(sorted(self.allowed))}, *.localhost, loopback addresses)"}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(content)))]
        if self.marker:
            headers.append(self.marker)
        start_response("403 Forbidden", headers)
        return [content]
