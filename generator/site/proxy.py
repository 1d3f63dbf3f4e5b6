"""`apidocs serve --proxy`: the explorer reaches the configured servers without CORS.

The browser sends the request to the docs origin, `/_apidocs/proxy/<path>?<query>`, naming the
server in `X-Apidocs-Server`; the proxy forwards it only when that server is one of those in
mkdocs.yml (anything else is refused), without hop-by-hop headers and without the docs
origin's cookies. Its own refusals and failures carry `X-Apidocs-Proxy` so the panel can tell
them from the API's answers. Nothing about the request (headers, token) is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit
from wsgiref.util import is_hop_by_hop

import requests

from apidocs.site.asgi_bridge import read_body, reason

StartResponse = Callable[..., Any]
PREFIX = "/_apidocs/proxy"
SERVER_HEADER = "X-Apidocs-Server"
TIMEOUT = 25.0  # below the explorer's 30 s, so the reader learns which side gave up

log = logging.getLogger("apidocs.proxy")

# Never forwarded: the connection's own headers, and what belongs to the docs origin.
_DROPPED_REQUEST = {"host", "cookie", "origin", "referer", SERVER_HEADER.lower(), "content-length"}
_DROPPED_RESPONSE = {"content-length", "content-encoding", "set-cookie"}


def _hop_by_hop(name: str, listed: set[str]) -> bool:
    return is_hop_by_hop(name) or name.lower() in listed or name.lower() in ("proxy-connection", "te", "trailer")


class Proxy:
    """A WSGI app forwarding to the configured servers only."""

    def __init__(self, servers: list[str], timeout: float = TIMEOUT) -> None:
        self.servers = {server.rstrip("/") for server in servers}
        self.timeout = timeout
        self.session = requests.Session()

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
        query = environ.get("QUERY_STRING", "")
        url = server + path + (f"?{query}" if query else "")
        if urlsplit(url).netloc != urlsplit(server).netloc:  # no userinfo or host tricks in the path
            return self._refuse(start_response, 400, "refused", "the path may not change the host")
        body = read_body(environ)
        if body is None:
            return self._refuse(start_response, 413, "refused", "request body too large")
        connection_listed = {h.strip().lower() for h in environ.get("HTTP_CONNECTION", "").split(",")}
        headers = {}
        for key, value in environ.items():
            if key.startswith("HTTP_") or key == "CONTENT_TYPE":
                name = (key[5:] if key.startswith("HTTP_") else key).replace("_", "-").title()
                if name.lower() not in _DROPPED_REQUEST and not _hop_by_hop(name, connection_listed):
                    headers[name] = value
        try:
            answer = self.session.request(environ["REQUEST_METHOD"], url, headers=headers, data=body or None,
                                          timeout=self.timeout, allow_redirects=False)
        except requests.Timeout:
            return self._refuse(start_response, 504, "timed out", f"{server} did not answer within {self.timeout:g} s")
        except requests.RequestException as error:
            log.warning("proxy: %s unreachable (%s)", server, type(error).__name__)
            return self._refuse(start_response, 502, "unreachable", f"could not reach {server}: {type(error).__name__}")
        listed = {h.strip().lower() for h in answer.headers.get("Connection", "").split(",")}
        out = [(name, value) for name, value in answer.headers.items()
               if name.lower() not in _DROPPED_RESPONSE and not _hop_by_hop(name, listed)]
        content = answer.content  # decompressed, hence no Content-Encoding above
        out.append(("Content-Length", str(len(content))))
        start_response(f"{answer.status_code} {answer.reason or reason(answer.status_code)}", out)
        return [content]

    @staticmethod
    def _refuse(start_response: StartResponse, status: int, kind: str, detail: str) -> Iterable[bytes]:
        content = json.dumps({"detail": detail}).encode()
        start_response(f"{status} {reason(status)}", [("Content-Type", "application/json"), ("X-Apidocs-Proxy", kind),
                                                      ("Content-Length", str(len(content)))])
        return [content]


def proxy_disabled(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """What `/_apidocs/proxy` answers when `apidocs serve` runs without `--proxy`."""
    return Proxy._refuse(start_response, 404, "off", "the proxy is off: start `apidocs serve --proxy`")
