"""`apidocs serve --proxy`: the explorer reaches the configured servers without CORS.

The browser sends the request to the docs origin, `/_apidocs/proxy/<path>?<query>`, naming the
server in `X-Apidocs-Server`; the proxy forwards it only when that server is one of those in
mkdocs.yml (anything else is refused), without hop-by-hop headers and without cookies. Its own
refusals and failures carry `X-Apidocs-Proxy` so the panel can tell them from the API's answers.
Nothing about the request (headers, token) is logged.

What it promises (each tested against a real upstream):
- **only below the configured server**: the path may hold no `.`/`..` segment, whether spelled
  plainly, percent-encoded (`%2e%2e`, `%2f`, `%5c`) or doubly encoded, so a server configured as
  `http://api/v1` is never asked for anything outside `/v1/`;
- **no cookies either way**: the reader's `Cookie` is never forwarded (the docs origin's cookies
  are not the API's), an upstream `Set-Cookie` never reaches the browser and is never kept: the
  upstream session has a jar that refuses every cookie, so one reader's cookies never ride on
  another reader's request;
- **bounded answers**: the upstream body is read in pieces up to `MAX_RESPONSE` bytes (decoded),
  and within `DEADLINE` seconds in all; past either the reader gets 502/504 JSON, never a
  half-held gigabyte;
- request bodies within `MAX_REQUEST_BODY`, read like the sandbox's (chunked too; 413/408).
The Host check against DNS rebinding is `apidocs.site.hosts.HostGuard`, in front of this app.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit
from wsgiref.util import is_hop_by_hop

import requests

from apidocs.site.asgi_bridge import reason
from apidocs.site.request_limits import BodyRefused, read_body

StartResponse = Callable[..., Any]
PREFIX = "/_apidocs/proxy"
SERVER_HEADER = "X-Apidocs-Server"
TIMEOUT = 25.0  # below the explorer's 30 s, so the reader learns which side gave up
DEADLINE = 28.0  # the whole upstream answer, body included (a server dripping bytes is cut off)
MAX_RESPONSE = 16 * 1024 * 1024
MAX_REQUEST_BODY = 10 * 1024 * 1024
READ_SIZE = 64 * 1024

log = logging.getLogger("apidocs.proxy")

# Never forwarded: the connection's own headers, and what belongs to the docs origin.
_DROPPED_REQUEST = {"host", "cookie", "cookie2", "origin", "referer", SERVER_HEADER.lower(), "content-length",
                    "transfer-encoding"}
_DROPPED_RESPONSE = {"content-length", "content-encoding", "set-cookie", "set-cookie2", "transfer-encoding"}


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that neither keeps nor returns any cookie."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def escapes_base(path: str) -> bool:
    """Whether a raw request path holds a dot segment in any spelling (plain, percent-encoded,
    doubly encoded, between backslashes), or a raw character no request target may hold."""
    if any(ord(char) < 0x21 or char in "#\x7f" for char in path):
        return True
    decoded = path
    for _ in range(4):  # %252e%252e → %2e%2e → ..
        decoded_again = unquote(decoded, errors="replace") if "%" in decoded else decoded
        if decoded_again == decoded:
            break
        decoded = decoded_again
    else:
        return True  # still encoded after four rounds: nobody needs that
    segments = decoded.replace("\\", "/").split("/")
    return any(segment in (".", "..") for segment in segments)


def _hop_by_hop(name: str, listed: set[str]) -> bool:
    return is_hop_by_hop(name) or name.lower() in listed or name.lower() in ("proxy-connection", "te", "trailer")


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class Proxy:
    """A WSGI app forwarding to the configured servers only."""

    def __init__(self, servers: list[str], timeout: float = TIMEOUT, max_response: int = MAX_RESPONSE,
                 deadline: float = DEADLINE) -> None:
        self.servers = {server.rstrip("/") for server in servers}
        self.timeout = timeout
        self.max_response = max_response
        self.deadline = deadline
        self.session = requests.Session()
        self.session.cookies.set_policy(NoCookies())  # shared by every reader: it must remember nothing

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        server = (environ.get("HTTP_X_APIDOCS_SERVER") or "").strip().rstrip("/")
        raw_target = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
        raw_path = raw_target.split("?", 1)[0]
        path = raw_path[len(PREFIX):] if raw_path.startswith(PREFIX) else ""
        if not server:
            return self._refuse(start_response, 400, "refused", f"name the target server in the {SERVER_HEADER} header")
        if server not in self.servers:
            allowed = ", ".join(sorted(self.servers)) or "none"
            return self._refuse(start_response, 403, "refused",
                                f"{server} is not a server configured in mkdocs.yml (configured: {allowed})")
        if not path.startswith("/"):
            return self._refuse(start_response, 400, "refused", "the path must start with /")
        if escapes_base(path):
            return self._refuse(start_response, 400, "refused",
                                "the path may not hold . or .. segments (plain or percent-encoded): it stays below the server's base path")
        query = environ.get("QUERY_STRING", "")
        url = server + path + (f"?{query}" if query else "")
        if urlsplit(url).netloc != urlsplit(server).netloc:  # no userinfo or host tricks in the path
            return self._refuse(start_response, 400, "refused", "the path may not change the host")
        try:
            body = read_body(environ, MAX_REQUEST_BODY)
        except BodyRefused as refused:
            return self._refuse(start_response, refused.status, "refused", refused.detail)
        connection_listed = {h.strip().lower() for h in environ.get("HTTP_CONNECTION", "").split(",")}
        headers = {}
        for key, value in environ.items():
            if key.startswith("HTTP_") or key == "CONTENT_TYPE":
                name = (key[5:] if key.startswith("HTTP_") else key).replace("_", "-").title()
                if name.lower() not in _DROPPED_REQUEST and not _hop_by_hop(name, connection_listed):
                    headers[name] = value
        started = time.monotonic()
        try:
            answer = self.session.request(environ["REQUEST_METHOD"], url, headers=headers, data=body or None,
                                          timeout=self.timeout, allow_redirects=False, stream=True)
        except requests.Timeout:
            return self._refuse(start_response, 504, "timed out", f"{server} did not answer within {self.timeout:g} s")
        except requests.RequestException as error:
            log.warning("proxy: %s unreachable (%s)", server, type(error).__name__)
            return self._refuse(start_response, 502, "unreachable", f"could not reach {server}: {type(error).__name__}")
        with answer:
            try:
                content = self._read_capped(answer, started)
            except _TooLarge:
                return self._refuse(start_response, 502, "too large",
                                    f"{server} answered more than {self.max_response // (1024 * 1024)} MiB; "
                                    "the proxy passes on smaller answers only")
            except _TooSlow:
                return self._refuse(start_response, 504, "timed out", f"{server} did not finish its answer within {self.deadline:g} s")
            except requests.RequestException as error:
                return self._refuse(start_response, 502, "unreachable", f"{server} broke off its answer: {type(error).__name__}")
        listed = {h.strip().lower() for h in answer.headers.get("Connection", "").split(",")}
        out = [(name, value) for name, value in answer.headers.items()
               if name.lower() not in _DROPPED_RESPONSE and not _hop_by_hop(name, listed)]
        out.append(("Content-Length", str(len(content))))
        start_response(f"{answer.status_code} {answer.reason or reason(answer.status_code)}", out)
        return [content]

    def _read_capped(self, answer: requests.Response, started: float) -> bytes:
        """The decoded body in pieces, never more than the cap in memory, within the deadline."""
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response and not answer.headers.get("Content-Encoding"):
            raise _TooLarge()
        parts: list[bytes] = []
        size = 0
        for piece in answer.iter_content(READ_SIZE):  # decoded, hence no Content-Encoding passed on
            size += len(piece)
            if size > self.max_response:
                raise _TooLarge()
            if time.monotonic() - started > self.deadline:
                raise _TooSlow()
            parts.append(piece)
        return b"".join(parts)

    @staticmethod
    def _refuse(start_response: StartResponse, status: int, kind: str, detail: str) -> Iterable[bytes]:
        content = json.dumps({"detail": detail}).encode()
        start_response(f"{status} {reason(status)}", [("Content-Type", "application/json"), ("X-Apidocs-Proxy", kind),
                                                      ("Content-Length", str(len(content)))])
        return [content]


def proxy_disabled(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """What `/_apidocs/proxy` answers when `apidocs serve` runs without `--proxy`."""
    return Proxy._refuse(start_response, 404, "off", "the proxy is off: start `apidocs serve --proxy`")
