"""Sessions: each reader's own copy of the fixtures, named by a request header.

- `Sandbox-Session: <id>` (1–64 of `[A-Za-z0-9_-]`, else 400): the reader's session, created
  on first use; responses carry the same header back. The explorer sends a random id per reader.
- `X-Apidocs-Sandbox: <secret>:<run>`: the check's private session per snippet run, only when
  the sandbox has a secret (`APIDOCS_SANDBOX_SECRET`); the same mechanism under a key no reader
  can name (it holds a colon).
- Neither: the shared default session, as before sessions existed.

A session idle longer than `idle` seconds starts again from the fixtures; beyond `capacity`
sessions the least recently used is dropped. Both are decided in the database, so they hold
across worker processes. To keep requests cheap, a process marks a session used at most once
every `touch_every` seconds (a fraction of `idle`), and sweeps expired sessions away at most
once every `sweep_every` seconds.
"""

from __future__ import annotations

import hmac
import re
import time

from apidocs.model.headers import CHECK_SESSION_HEADER, READER_SESSION_HEADER
from apidocs.sandbox.errors import ApiError
from apidocs.sandbox.store import DEFAULT_SESSION, Backend, SessionState

HEADER = CHECK_SESSION_HEADER  # the check's private sessions
READER_HEADER = READER_SESSION_HEADER
RESET_PATH = "/_sandbox/reset"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_ID_LENGTH = 200  # of a check's run id
DEFAULT_IDLE = 3600.0
DEFAULT_CAPACITY = 10_000
_READER_KEY = READER_HEADER.lower()
_CHECK_KEY = HEADER.lower()


class Sessions:
    def __init__(self, secret: str | None, backend: Backend, *, idle: float = DEFAULT_IDLE,
                 capacity: int = DEFAULT_CAPACITY) -> None:
        self.secret = secret.encode() if secret else None
        self.backend = backend
        self.idle = idle
        self.capacity = capacity
        self.touch_every = min(1.0, idle / 4)
        self.sweep_every = min(60.0, idle / 2)
        self.default = SessionState(backend, DEFAULT_SESSION)
        self._touched: dict[str, float] = {}  # session → when this process last marked it used
        self._next_sweep = 0.0

    @staticmethod
    def reader_id(headers: dict[str, str]) -> str | None:
        """The reader's `Sandbox-Session` id, checked (400 when malformed); None without one."""
        value = headers.get(_READER_KEY)
        if value is None:
            return None
        if not SESSION_ID.fullmatch(value):
            raise ApiError(400, f"{READER_HEADER} must be 1 to 64 letters, digits, '-' or '_' "
                                f"(e.g. {READER_HEADER}: reader-3f9a2c)")
        return value

    def key_for(self, headers: dict[str, str]) -> str:
        """The session a request acts on (`headers` by lower-case name)."""
        reader = self.reader_id(headers)
        if reader is not None:
            return reader
        if self.secret is None:
            return DEFAULT_SESSION
        value = headers.get(_CHECK_KEY)
        if value is None:
            return DEFAULT_SESSION
        secret, _, run = value.partition(":")
        if not hmac.compare_digest(secret.encode(), self.secret):
            raise ApiError(400, f"{HEADER} does not carry this sandbox's secret")
        if not run or len(run) > MAX_ID_LENGTH:
            raise ApiError(400, f"{HEADER} needs a session id of 1 to {MAX_ID_LENGTH} characters after the secret")
        return "check:" + run

    async def state_for(self, headers: dict[str, str]) -> SessionState:
        """The request's session, marked used (a new or expired one starts from the fixtures)."""
        if _READER_KEY not in headers and (self.secret is None or _CHECK_KEY not in headers):
            return self.default  # the hot path: no session header
        key = self.key_for(headers)
        if key == DEFAULT_SESSION:
            return self.default
        await self.mark_used(key)
        return SessionState(self.backend, key, self.capacity)

    async def mark_used(self, key: str) -> None:
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_every
            await self.backend.sweep(now, self.idle)
            self._touched = {session: at for session, at in self._touched.items() if now - at < self.touch_every}
        if now - self._touched.get(key, 0.0) >= self.touch_every:
            await self.backend.touch(key, now, self.idle, self.capacity)
            if len(self._touched) >= self.capacity:
                self._touched.clear()
            self._touched[key] = now

    async def reset(self, headers: dict[str, str]) -> str:
        """`POST /_sandbox/reset`: the session named in the headers back to the fixtures."""
        key = self.key_for(headers)
        if key == DEFAULT_SESSION:
            raise ApiError(400, f"send {READER_HEADER}: <your session id> to reset your session "
                                "(the shared state is reset by restarting the sandbox with --reset)")
        await self.mark_used(key)
        await self.backend.drop(key)
        return key

    def close(self) -> None:
        self._touched.clear()
