"""Running one rendered snippet the way its language's entry in `snippets/languages.yml` says.

`run: [bash, "{file}"]` becomes a process in its own process group (killed as a group after a
timeout, and after every run so nothing a snippet started outlives it). A language marked
`warm: python` runs in a warm interpreter instead (see `worker.py`): the same file, executed as
`__main__` with fresh globals, in a few milliseconds instead of ~150. One marked `warm: httpie`
still runs as its `run` says (bash), but its `http` command is HTTPie's own `main()` in a warm
interpreter (see `httpie_worker.py`): bash parses the snippet, HTTPie parses and sends the request.

Every run gets the environment a user's shell would give it plus what the language declares:
`env` values may use `{scratch}` (a private folder for that language, e.g. a tool's config
dir), and `files` lists files to create inside it first.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypedDict, TypeVar

from apidocs.rendering.languages import Language

WORKER = Path(__file__).with_name("worker.py")
HTTPIE_WORKER = Path(__file__).with_name("httpie_worker.py")
# Bash reads this file first (BASH_ENV) when it runs an HTTPie snippet next to a warm HTTPie: the
# snippet's `http` becomes a call to it. The words go as bash made them, each ended by a NUL.
HTTPIE_FUNCTION = """\
http() {
  printf '%s\\0' "$PWD" "$@" > "$APIDOCS_WARM_HTTPIE/request" || return 126
  local status
  IFS= read -r status < "$APIDOCS_WARM_HTTPIE/reply" || return 126
  cat -- "$APIDOCS_WARM_HTTPIE/stdout"
  cat -- "$APIDOCS_WARM_HTTPIE/stderr" >&2
  return "$status"
}
"""


@dataclass
class RunOutcome:
    exit_code: int | None  # None: killed after the timeout
    stdout: str
    stderr: str
    elapsed: float  # seconds, process start to exit

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


class Runner(Protocol):
    def run(self, file: Path, timeout: float) -> RunOutcome: ...

    def close(self) -> None: ...


def _substitute(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def language_environment(language: Language, snippets_dir: Path, scratch: Path) -> dict[str, str]:
    """The environment a snippet of `language` runs with; creates the language's scratch files."""
    scratch.mkdir(parents=True, exist_ok=True)
    values = {"scratch": str(scratch), "snippets": str(snippets_dir), "python": sys.executable}
    for relative, content in language.files:
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    env = dict(os.environ)
    # The project's interpreter and its tools (`http` from HTTPie) come first, as in an
    # activated virtualenv, even when apidocs was started by its full path.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    # Snippets talk to the loopback relay; a proxy from the environment must not intercept that.
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY") or env.get("no_proxy"), "127.0.0.1", "localhost"]))
    env["NO_PROXY"] = env["no_proxy"] = no_proxy
    env.update({key: _substitute(value, values) for key, value in language.env})
    return env


def _argv(language: Language, file: Path) -> list[str]:
    return [_substitute(arg, {"file": str(file), "python": sys.executable}) for arg in language.run]


def _kill_group(process: subprocess.Popen[Any]) -> None:  # any stream type: only the pid matters
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class ProcessRunner:
    """One fresh process per snippet: `bash file`, `node file`, …"""

    def __init__(self, language: Language, env: dict[str, str], cwd: Path) -> None:
        self.language, self.env, self.cwd = language, env, cwd
        self._live: set[subprocess.Popen[bytes]] = set()  # killed by close(), e.g. on Ctrl-C
        self._closed = False
        self._lock = threading.Lock()

    def run(self, file: Path, timeout: float, more_env: dict[str, str] | None = None) -> RunOutcome:
        started = time.perf_counter()
        argv = _argv(self.language, file)
        env = {**self.env, **more_env} if more_env else self.env
        try:
            process = subprocess.Popen(argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as error:  # e.g. `node` is not installed: a failed run, reported like any other
            return RunOutcome(127, "", f"cannot start {argv[0]!r}: {error.strerror or error}", time.perf_counter() - started)
        with self._lock:
            # A close() between the start and here (Ctrl-C while this thread waited for its
            # turn) did not see it: it would run until its timeout.
            if self._closed:
                _kill_group(process)
            self._live.add(process)
        try:
            out, err = process.communicate(timeout=timeout)
            exit_code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            # Either the snippet hangs, or it exited and left a child holding its output open.
            exit_code = process.poll()
            _kill_group(process)
            out, err = process.communicate()
        elapsed = time.perf_counter() - started
        _kill_group(process)
        with self._lock:
            self._live.discard(process)
        return RunOutcome(exit_code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), elapsed)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            live = list(self._live)
        for process in live:
            _kill_group(process)


class WorkerReply(TypedDict):
    """What `worker.py` answers for one snippet: the exit status and output of a `python file` run."""

    exit: int
    stdout: str
    stderr: str


class _WorkerFailed(Exception):
    """The warm interpreter could not be started (the message says why)."""


class _Worker:
    def __init__(self, python: str, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen([python, str(WORKER)], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                        text=True, encoding="utf-8")
        self.replies: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name="apidocs-warm-python").start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.replies.put(line)
        self.replies.put(None)  # the worker died

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.replies.get(timeout=timeout) is not None
        except queue.Empty:
            return False

    def run(self, file: Path, timeout: float) -> WorkerReply | None:
        """The worker's reply; None when it timed out or died."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"file": str(file)}) + "\n")
            self.process.stdin.flush()
            reply = self.replies.get(timeout=timeout)
        except (OSError, queue.Empty):
            return None
        if not reply:
            return None
        data = json.loads(reply)
        return WorkerReply(exit=int(data["exit"]), stdout=str(data["stdout"]), stderr=str(data["stderr"]))

    def exit_status(self) -> int | None:
        """After its output closed: how the worker process ended (None if it is somehow still alive)."""
        try:
            return self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        _kill_group(self.process)
        self.process.wait()


class _Killable(Protocol):
    def kill(self) -> None: ...


W = TypeVar("W", bound=_Killable)


class _Pool(Generic[W]):
    """Warm workers, one per parallel job, each lent to one snippet at a time."""

    def __init__(self, start: Callable[[], W]) -> None:
        self._start_one = start
        self._idle: list[W] = []
        self._all: list[W] = []
        self._lock = threading.Lock()

    def start(self) -> W:
        worker = self._start_one()
        with self._lock:
            self._all.append(worker)
        return worker

    def warm_up(self, count: int) -> None:
        """Start `count` workers in parallel, so no snippet's time includes an interpreter start."""
        def start_one() -> None:
            with contextlib.suppress(_WorkerFailed):  # reported by each run that needs a worker
                self.release(self.start())

        threads = [threading.Thread(target=start_one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def acquire(self) -> W:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self.start()

    def release(self, worker: W) -> None:
        with self._lock:
            self._idle.append(worker)

    def discard(self, worker: W) -> None:
        """A worker that timed out or ended: it and anything it started go."""
        worker.kill()
        with self._lock:
            if worker in self._all:  # close() may have taken it already
                self._all.remove(worker)

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.kill()


class WarmPythonRunner:
    """A pool of warm interpreters (one per parallel job), each running one snippet at a time."""

    def __init__(self, language: Language, env: dict[str, str], cwd: Path) -> None:
        self.python = _argv(language, Path("-"))[0]
        self.env, self.cwd = env, cwd
        self._pool = _Pool(self._start)

    def _start(self) -> _Worker:
        try:
            worker = _Worker(self.python, self.env, self.cwd)
        except OSError as error:
            raise _WorkerFailed(f"cannot start {self.python!r}: {error.strerror or error}") from None
        if not worker.wait_ready(60.0):
            worker.kill()
            raise _WorkerFailed(f"the warm Python worker did not start: {self.python} {WORKER} "
                                "(is `requests` installed for this interpreter?)")
        return worker

    def warm_up(self, count: int) -> None:
        self._pool.warm_up(count)

    def run(self, file: Path, timeout: float) -> RunOutcome:
        started = time.perf_counter()
        try:
            worker = self._pool.acquire()
        except _WorkerFailed as error:
            return RunOutcome(1, "", str(error), time.perf_counter() - started)
        started = time.perf_counter()
        reply = worker.run(file, timeout)
        elapsed = time.perf_counter() - started
        if reply is None:
            # Timed out, or the snippet ended the interpreter itself (`os._exit`): either way this
            # worker and anything it started go, and a new one replaces it when needed.
            exited = worker.exit_status() if elapsed < timeout else None
            self._pool.discard(worker)
            if exited is not None:
                return RunOutcome(exited, "", "(the snippet ended the Python interpreter)", elapsed)
            return RunOutcome(None, "", "", elapsed)
        self._pool.release(worker)
        return RunOutcome(reply["exit"], reply["stdout"], reply["stderr"], elapsed)

    def close(self) -> None:
        self._pool.close()


class _HttpieWorker:
    """A warm HTTPie (`httpie_worker.py`) and its private folder of FIFOs."""

    def __init__(self, python: str, env: dict[str, str], cwd: Path, home: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="warm-", dir=home))  # 0700: only this user talks to it
        for name in ("request", "reply"):
            os.mkfifo(self.folder / name, 0o600)
        self.process = subprocess.Popen([python, str(HTTPIE_WORKER), str(self.folder)], cwd=cwd, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        start_new_session=True)

    def wait_ready(self, timeout: float) -> bool:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return bool(ready) and self.process.stdout.readline() == b"ready\n"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        _kill_group(self.process)
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class WarmHttpieRunner:
    """Each snippet runs in bash as pasted, next to a warm HTTPie (one per parallel job) that runs
    its `http` commands; where no warm HTTPie can start, the snippet runs as a plain process."""

    def __init__(self, language: Language, env: dict[str, str], cwd: Path, home: Path) -> None:
        self.env, self.cwd, self.home = env, cwd, home
        self.process = ProcessRunner(language, env, cwd)
        self.function = home / "warm-http.bash"
        self.function.write_text(HTTPIE_FUNCTION, encoding="utf-8")
        self._pool = _Pool(self._start)
        self._cannot_start = False  # learnt once: each snippet would pay an interpreter start to learn it again

    def _start(self) -> _HttpieWorker:
        try:
            worker = _HttpieWorker(sys.executable, self.env, self.cwd, self.home)
        except OSError as error:
            raise _WorkerFailed(f"cannot start a warm HTTPie: {error.strerror or error}") from None
        if not worker.wait_ready(60.0):
            worker.kill()
            raise _WorkerFailed("the warm HTTPie did not start (is HTTPie installed for apidocs' interpreter?)")
        return worker

    def warm_up(self, count: int) -> None:
        self._pool.warm_up(count)

    def run(self, file: Path, timeout: float) -> RunOutcome:
        if self._cannot_start:
            return self.process.run(file, timeout)
        try:
            worker = self._pool.acquire()
        except _WorkerFailed:
            self._cannot_start = True
            return self.process.run(file, timeout)  # HTTPie's own `http` command, one process per snippet
        outcome = self.process.run(file, timeout, {"BASH_ENV": str(self.function), "APIDOCS_WARM_HTTPIE": str(worker.folder)})
        if outcome.timed_out or not worker.alive():
            # It may be in the middle of a command, or waiting for a reply no one reads.
            self._pool.discard(worker)
        else:
            self._pool.release(worker)
        return outcome

    def close(self) -> None:
        self.process.close()
        self._pool.close()


def make_runner(language: Language, snippets_dir: Path, scratch: Path, *, warm: bool = True) -> Runner:
    """The runner for `language`; `warm=False` runs the warm languages as plain processes too."""
    # A dot first: no upload can have that name (`model/multipart.is_file_name`), and uploads are
    # created in `scratch`, where the snippets run.
    env = language_environment(language, snippets_dir, scratch / f".{language.name}")
    if warm and language.warm == "python":
        return WarmPythonRunner(language, env, scratch)
    if warm and language.warm == "httpie":
        return WarmHttpieRunner(language, env, scratch, scratch / f".{language.name}")
    return ProcessRunner(language, env, scratch)
