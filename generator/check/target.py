"""The check's target: a fresh sandbox for one check run (its own process, its own database,
its own secret), or a server given as `--base-url`, which may be an apidocs sandbox with sessions.

The sandbox is started exactly as a user would start it (`apidocs sandbox --port P --db PATH`)
with `APIDOCS_SANDBOX_SECRET` set. The relay then tags each snippet run with that secret and a
run id, and the sandbox serves every run from a private fresh copy of its fixtures: the Confirm
example answers 200 in every language, in any order, with any `-j`.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from apidocs.model.errors import ConfigError
from apidocs.model.headers import READER_SESSION_HEADER

_URL = re.compile(r"https?://[^\s'\"<>]+")


class Sandbox:
    """`with Sandbox(config_file, workdir) as sandbox:` → `sandbox.url`, `sandbox.secret`."""

    def __init__(self, config_file: Path, workdir: Path, *, startup_timeout: float = 30.0) -> None:
        self.config_file = config_file
        self.workdir = workdir
        self.secret = secrets.token_hex(16)
        self.url = ""
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log = workdir / "sandbox.log"

    def start(self) -> Sandbox:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Port 0: the sandbox binds a free port before printing its URL, so there is no race.
        argv = [sys.executable, "-m", "apidocs", "-f", str(self.config_file), "sandbox",
                "--port", "0", "--db", str(self.workdir / "sandbox.sqlite3")]
        env = dict(os.environ, APIDOCS_SANDBOX_SECRET=self.secret, PYTHONUNBUFFERED="1")
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             env=env, cwd=self.config_file.parent, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self._log_tail()
                self.close()
                raise ConfigError(f"the sandbox exited before serving: {tail}")
            match = _URL.search(self._log.read_text(encoding="utf-8", errors="replace"))
            if match:
                self.url = match.group(0).rstrip("/.,)")
                return self
            time.sleep(0.02)
        self.close()
        raise ConfigError(f"the sandbox did not start within {self.startup_timeout:.0f} s ({self._log_tail()})")

    def _log_tail(self) -> str:
        lines = self._log.read_text(encoding="utf-8", errors="replace").strip().splitlines() if self._log.exists() else []
        return lines[-1] if lines else "no output"

    def close(self) -> None:
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        except ProcessLookupError:
            pass
        self._process = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def reader_sessions_at(base_url: str, timeout: float) -> str | None:
    """A session-id prefix for the check's runs when `base_url` is an apidocs sandbox (it names
    back the `Sandbox-Session` it is sent), else None (a server whose state the snippets share).

    Asked with a GET of the sandbox's reset path, which changes nothing anywhere: the sandbox
    answers 405 (reset is a POST) naming the session; another server, whatever it answers
    (or not at all), does not name it."""
    prefix = f"check-{secrets.token_hex(4)}"
    probe = f"{prefix}-probe"
    request = urllib.request.Request(f"{base_url.rstrip('/')}/_sandbox/reset",
                                     headers={READER_SESSION_HEADER: probe})
    try:
        with urllib.request.urlopen(request, timeout=min(timeout, 10.0)) as answer:
            named = answer.headers.get(READER_SESSION_HEADER)
    except urllib.error.HTTPError as answer:
        named = answer.headers.get(READER_SESSION_HEADER)
    except (OSError, ValueError):
        return None
    return prefix if named == probe else None
