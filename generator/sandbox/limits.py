"""The bounds every request to the sandbox (and to `apidocs serve`) lives within.

One table, enforced the same way by the standalone sandbox (uvicorn) and under `apidocs serve`
(the docs server, the ASGI bridge and the proxy), and stated on the Security page:

- the request head (request line and headers): each line at most `MAX_HEADER_LINE` bytes, at most
  `MAX_HEADERS` headers and `MAX_HEAD` bytes in all, else 431 (414 for an overlong request line
  under serve); the whole head must arrive within `HEAD_TIMEOUT` seconds of its first byte (or of
  the connection), else 408 and the connection is closed;
- the body: at most `MAX_BODY` bytes (413), nothing for `BODY_IDLE_TIMEOUT` seconds or the whole
  body not in within `BODY_DEADLINE` seconds is 408; chunked bodies are accepted within the same
  bounds;
- an idle keep-alive connection is closed after `KEEP_ALIVE_TIMEOUT` seconds: long enough for a
  reader (or a client that reuses its connection without looking whether the server closed it)
  who pauses between requests, as nginx's 75 s is; uvicorn's own 5 s closed connections under
  clients that paused a few seconds, and their next request met a reset.
"""

from __future__ import annotations

MAX_HEADER_LINE = 16 * 1024
MAX_HEAD = 64 * 1024
MAX_HEADERS = 100
HEAD_TIMEOUT = 10.0
MAX_BODY = 1024 * 1024
BODY_IDLE_TIMEOUT = 5.0
BODY_DEADLINE = 30.0
KEEP_ALIVE_TIMEOUT = 60

# Headers a request may carry once: two of them are ambiguous (which token? which length?),
# and servers disagree on which one wins, so the sandbox refuses the request (400).
SINGLE_HEADERS = frozenset({"authorization", "content-length", "content-type", "host", "sandbox-session", "x-apidocs-sandbox"})
