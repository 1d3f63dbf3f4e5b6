"""One snippet, end to end: render it for a fresh relay run, execute it, judge what it sent.

A `CheckSession` owns the relay, a scratch folder and one runner per language, so a whole
grid of endpoints × languages shares them (in `apidocs check`, in pytest, in the benchmark).
`open_session()` adds the target: a fresh sandbox, or the server given as `--base-url`.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from apidocs.check.compare import compare_exchanges, response_problems
from apidocs.check.relay import Exchange, RecordingRelay
from apidocs.check.runners import Runner, RunOutcome, WarmHttpieRunner, WarmPythonRunner, make_runner
from apidocs.check.statuses import StatusResult, check_statuses, sandbox_sender
from apidocs.check.target import Sandbox
from apidocs.config.settings import Auth, Settings
from apidocs.model.endpoint import Endpoint
from apidocs.model.multipart import sample_file, upload_names
from apidocs.rendering.languages import Language
from apidocs.rendering.request import base_url_of, build_request
from apidocs.rendering.snippets import SnippetError, render_snippet

PASS, FAIL, SKIP = "pass", "fail", "skip"

_LOOK_EVERY = 0.02  # seconds between two looks for finished snippets (check_all)


def display_path(path: Path) -> str:
    """A definition file as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class SnippetResult:
    endpoint: Endpoint
    language: Language
    outcome: str  # PASS | FAIL | SKIP
    elapsed: float = 0.0
    problems: list[str] = field(default_factory=list)
    diff: str = ""
    snippet: str = ""
    run: RunOutcome | None = None
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def where(self) -> str:
        return f"{display_path(self.endpoint.source)} [{self.language.label}]"

    @property
    def message(self) -> str:
        """Everything a reader needs to fix a failure, starting with file and language."""
        if self.outcome == SKIP:
            return f"{self.where}: skipped: {'; '.join(self.problems)}"
        if self.outcome == PASS:
            return f"{self.where}: ok"
        lines = [f"{self.where}: {self.endpoint.method} {self.endpoint.path}"]
        lines += [f"  - {problem}" for problem in self.problems]
        if self.diff:
            lines += ["  documented vs sent:"] + ["    " + line for line in self.diff.splitlines()]
        if self.run is not None and self.run.stderr.strip():
            tail = self.run.stderr.strip().splitlines()[-12:]
            lines += ["  stderr:"] + ["    " + line for line in tail]
        return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "snippet"


class CheckSession:
    """Runs snippets against `target_url` through a recording relay."""

    def __init__(self, snippets_dir: Path, auth: Auth, target_url: str, *, sandbox_secret: str | None = None,
                 reader_sessions: str | None = None, compare_responses: bool = False, timeout: float = 30.0,
                 warm: bool = True, shown_url: str | None = None) -> None:
        self.snippets_dir = snippets_dir
        # What reports show as the snippets' server: the relay's per-run URL means nothing to a
        # reader of a CI report.
        self.shown_url = shown_url or target_url
        # Shown as the pages show them: an endpoint with servers of its own at its first one.
        self.shows_pages = shown_url is not None
        self.auth = auth
        self.timeout = timeout
        self.compare_responses = compare_responses
        self.warm = warm
        self.target_url = target_url
        self.sandbox_secret = sandbox_secret
        self.reader_sessions = reader_sessions
        self.relay = RecordingRelay(target_url, sandbox_secret=sandbox_secret, reader_sessions=reader_sessions)
        self._scratch = tempfile.TemporaryDirectory(prefix="apidocs-check-")
        self.scratch = Path(self._scratch.name)
        self._runners: dict[str, Runner] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> CheckSession:
        self.relay.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for runner in self._runners.values():
            runner.close()
        self.relay.close()
        self._scratch.cleanup()

    def runner(self, language: Language) -> Runner:
        with self._lock:
            if language.name not in self._runners:
                self._runners[language.name] = make_runner(language, self.snippets_dir, self.scratch, warm=self.warm)
            return self._runners[language.name]

    def warm_up(self, languages: list[Language], jobs: int) -> None:
        """Start warm interpreters before timing anything."""
        for language in languages:
            runner = self.runner(language)
            if isinstance(runner, WarmPythonRunner | WarmHttpieRunner):
                runner.warm_up(jobs)

    def check(self, endpoint: Endpoint, language: Language) -> SnippetResult:
        if not endpoint.is_example_complete:
            return SnippetResult(endpoint, language, SKIP, problems=[
                f"the example lacks a value for a path parameter of {endpoint.path} (add example.params)"])
        started = time.perf_counter()
        run_id = self.relay.open_run(endpoint.path)
        relay_url = self.relay.base_url(run_id)
        request = build_request(endpoint, self.auth, relay_url)
        try:
            text = render_snippet(self.snippets_dir, language, request)
            shown_url = base_url_of(endpoint, self.shown_url) if self.shows_pages else self.shown_url
            shown = render_snippet(self.snippets_dir, language, build_request(endpoint, self.auth, shown_url))
        except SnippetError as error:
            self.relay.take(run_id)
            return SnippetResult(endpoint, language, FAIL, time.perf_counter() - started,
                                 problems=[f"cannot render the snippet: {error}"])
        file = self.scratch / f"{_slug(endpoint.src_uri)}-{run_id}.{language.extension}"
        file.write_text(text, encoding="utf-8")
        if request.is_multipart:
            self._create_uploads(upload_names(request.body, request.files))
        elif request.body_file and isinstance(request.body, str):
            self._create_uploads([request.body])
        outcome = self.runner(language).run(file, self.timeout)
        exchanges = self.relay.take(run_id)
        problems: list[str] = []
        if outcome.timed_out:
            problems.append(f"did not finish within {self.timeout:g} s (killed)")
        elif outcome.exit_code != 0:
            problems.append(f"exited with status {outcome.exit_code}")
        request_issues, diff = compare_exchanges(request, exchanges, endpoint.expected_status)
        problems += request_issues
        if not problems and self.compare_responses and endpoint.success_response is not None:
            problems += response_problems(endpoint.success_response.body, exchanges[0].response_text)
        problems = [problem.replace(relay_url, shown_url) for problem in problems]
        return SnippetResult(endpoint, language, FAIL if problems else PASS, time.perf_counter() - started, problems,
                             diff.replace(relay_url, shown_url), shown, outcome, exchanges)

    def _create_uploads(self, names: list[str]) -> None:
        """The files a multipart snippet uploads, in its working folder: each name's content is
        fixed (`sample_file`), so snippets running at once share them; written whole, then moved
        into place, so no snippet reads half a file."""
        for name in names:
            target = self.scratch / name
            if not target.exists():
                partial = self.scratch / f".{name}.{threading.get_ident()}.part"
                partial.write_bytes(sample_file(name))
                os.replace(partial, target)

    def check_statuses(self, endpoints: list[Endpoint]) -> list[StatusResult]:
        """The documented error answers, probed in private sessions (only against our sandbox:
        a real server's state is not ours to change)."""
        if not self.sandbox_secret:
            return []
        send = sandbox_sender(self.sandbox_secret, self.timeout)
        return [result for endpoint in endpoints for result in check_statuses(endpoint, self.auth, self.target_url, send)]

    def check_all(self, pairs: list[tuple[Endpoint, Language]], jobs: int,
                  progress: Callable[[list[SnippetResult]], None] | None = None) -> list[SnippetResult]:
        """All pairs, `jobs` at a time, results in the order of `pairs`; `progress` is told the
        results so far as they come, and at least once a second."""
        # Process-per-snippet languages first, warm ones last: the tail of the run is then made of
        # millisecond snippets instead of a lone slow process start.
        order = sorted(range(len(pairs)), key=lambda i: pairs[i][1].warm is not None)
        results: list[SnippetResult | None] = [None] * len(pairs)
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        # Finished futures are handed over in a deque the workers append to, and this thread
        # sleeps between looks: Ctrl-C (KeyboardInterrupt, raised wherever this thread is) then
        # lands in a sleep. Raised inside `concurrent.futures.wait`, which locks every pending
        # future in turn, it could leave some locked: their workers then hung as they finished.
        finished: deque[Future[SnippetResult]] = deque()
        try:
            futures: dict[Future[SnippetResult], int] = {}
            for index in order:
                future = pool.submit(self.check, *pairs[index])
                futures[future] = index
                future.add_done_callback(finished.append)
            done: list[SnippetResult] = []
            told = time.monotonic()
            while len(done) < len(futures):
                came = bool(finished)
                while finished:
                    future = finished.popleft()
                    results[futures[future]] = result = future.result()
                    done.append(result)
                if progress is not None and (came or time.monotonic() - told >= 1.0):
                    progress(done)
                    told = time.monotonic()
                if len(done) < len(futures) and not finished:
                    time.sleep(_LOOK_EVERY)
        except BaseException:
            # Ctrl-C (or a bug): drop what has not started and kill what runs, instead of
            # waiting up to a timeout per running snippet.
            pool.shutdown(wait=False, cancel_futures=True)
            for runner in list(self._runners.values()):
                runner.close()
            raise
        pool.shutdown()
        return [result for result in results if result is not None]


@contextmanager
def open_session(settings: Settings, *, base_url: str | None = None, reader_sessions: str | None = None,
                 timeout: float = 30.0, warm: bool = True) -> Iterator[CheckSession]:
    """A session against `base_url` (each run in a session of its own named `<reader_sessions>-<run>`
    when given: `target.reader_sessions_at`), or against a fresh sandbox started for it (and stopped after)."""
    if base_url:
        with CheckSession(settings.snippets_dir, settings.auth, base_url, reader_sessions=reader_sessions,
                          timeout=timeout, warm=warm) as session:
            yield session
        return
    # The sandbox reads every definition before it serves: a large project needs longer to start.
    pages = sum(1 for _ in Path(settings.docs_dir).rglob("*.md")) if Path(settings.docs_dir).is_dir() else 0
    with (tempfile.TemporaryDirectory(prefix="apidocs-sandbox-") as workdir,
          Sandbox(settings.config_file, Path(workdir), startup_timeout=30.0 + 0.05 * pages) as sandbox,
          CheckSession(settings.snippets_dir, settings.auth, sandbox.url, sandbox_secret=sandbox.secret,
                       compare_responses=True, timeout=timeout, warm=warm, shown_url=settings.default_server) as session):
        yield session

