"""`apidocs check [PATHS…] [--lang …] [--base-url URL] [-j N] [--timeout S] [--junit FILE]`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from apidocs.check.report import render_report, write_junit
from apidocs.check.session import FAIL, SKIP, SnippetResult, display_path, open_session
from apidocs.check.statuses import FAIL as STATUS_FAIL
from apidocs.check.statuses import NOT_REACHED, StatusResult, render_statuses
from apidocs.check.target import reader_sessions_at
from apidocs.config.loading import load_settings
from apidocs.config.settings import Settings
from apidocs.definitions.loader import load_tree
from apidocs.model.endpoint import Endpoint
from apidocs.model.errors import ConfigError, Finding
from apidocs.rendering.languages import Language, load_languages


def default_jobs() -> int:
    return os.cpu_count() or 1


def select_languages(settings: Settings, wanted: list[str] | None) -> list[Language]:
    """The runnable languages, or those named by `--lang` (by name or tab label, any case)."""
    available = load_languages(settings.snippets_dir)
    runnable = [language for language in available if language.is_runnable]
    if not wanted:
        if not runnable:
            raise ConfigError(f"{settings.snippets_dir}/languages.yml declares no `run` for any language, nothing to execute")
        return runnable
    chosen: list[Language] = []
    for name in (part.strip() for item in wanted for part in item.split(",") if part.strip()):
        match = next((language for language in available if name.lower() in (language.name.lower(), language.label.lower())), None)
        if match is None:
            known = ", ".join(language.name for language in available)
            raise ConfigError(f"--lang {name}: no such snippet language (known: {known})")
        if not match.is_runnable:
            raise ConfigError(f"--lang {name}: {settings.snippets_dir}/languages.yml gives it no `run` command")
        if match not in chosen:
            chosen.append(match)
    return chosen


def _definition_files(settings: Settings, paths: list[str]) -> tuple[list[Path], set[Path]]:
    """All Markdown files named or inside named folders, and the set of files named directly."""
    docs = settings.docs_dir.resolve()
    files: list[Path] = []
    named: set[Path] = set()
    for given in paths:
        path = Path(given).resolve()
        if not path.exists():
            raise ConfigError(f"{given}: no such file or folder")
        if path != docs and docs not in path.parents:
            raise ConfigError(f"{given}: not inside the docs folder {display_path(settings.docs_dir)}")
        if path.is_dir():
            files += sorted(path.rglob("*.md"))
        else:
            files.append(path)
            named.add(path)
    return files, named


def select_endpoints(settings: Settings, paths: list[str] | None) -> tuple[list[Endpoint], list[Finding]]:
    """The endpoints to check (all of docs/ without `paths`) and the findings of loading them."""
    files, named = _definition_files(settings, paths) if paths else (None, set())
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site, files)
    for document in tree.documents.values():
        if not document.is_endpoint and document.source.resolve() in named:
            raise ConfigError(f"{display_path(document.source)}: not an endpoint definition (no `method` in its front matter)")
    return tree.endpoints, tree.findings


# Said before a run against --base-url: the snippets change what they act on (an order confirmed
# is no longer cancellable), so only the first run against a fresh state can pass them all.
STATEFUL_TARGET = ("apidocs check: note: {url} keeps state between requests. The snippets change it (a confirmed "
                   "cancelation cannot be rejected), so they may fail once earlier ones (or an earlier run) "
                   "acted on it. For a fresh state on every run, leave out --base-url: the check starts its own "
                   "sandbox (or restart the target's sandbox before checking).")

SESSIONS_TARGET = ("apidocs check: {url} is an apidocs sandbox: each snippet runs in a fresh session of its own "
                   "(Sandbox-Session: {prefix}-<run>), so the shared state is not touched.")


def _validate(base_url: str | None, jobs: int, timeout: float) -> None:
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--base-url {base_url}: expected an http:// or https:// URL")
    if jobs < 1:
        raise ConfigError(f"-j {jobs}: must be at least 1")
    if timeout <= 0:
        raise ConfigError(f"--timeout {timeout:g}: must be more than 0 seconds")


PROGRESS_SECONDS = 10.0


class Progress:
    """A line on standard error every `PROGRESS_SECONDS` of a long run (the grid comes at its
    end: a large API's check takes an hour, and CI services end a job that is silent too long)."""

    def __init__(self, total: int, every: float = PROGRESS_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.every = every
        self.clock = clock
        self.next_line = clock() + every

    def __call__(self, done: list[SnippetResult]) -> None:
        now = self.clock()
        if now < self.next_line or len(done) >= self.total:
            return
        self.next_line = now + self.every
        failed = sum(1 for result in done if result.outcome == FAIL)
        print(f"apidocs check: {len(done):,} of {self.total:,} snippets done, {failed:,} failed", file=sys.stderr, flush=True)


def run_check(config_file: str | Path = "mkdocs.yml", *, paths: list[str] | None = None,
              languages: list[str] | None = None, base_url: str | None = None, jobs: int | None = None,
              timeout: float = 30.0, junit: str | Path | None = None, strict: bool = False) -> int:
    """Check every snippet of the selected definitions; print the grid; 0 when all passed (and,
    with `strict`, none was left unrun)."""
    jobs = default_jobs() if jobs is None else jobs
    _validate(base_url, jobs, timeout)
    settings = load_settings(config_file)
    chosen = select_languages(settings, languages)
    endpoints, findings = select_endpoints(settings, paths)
    errors = [finding for finding in findings if finding.is_error]
    for finding in errors:
        print(f"apidocs: {finding}", file=sys.stderr)
    if not endpoints:
        print("apidocs check: no endpoint definitions to check")
        return 1 if errors else 0

    if not languages:
        idle = [language.name for language in load_languages(settings.snippets_dir) if not language.is_runnable]
        if idle:
            print(f"apidocs check: not executed (no `run` in languages.yml): {', '.join(idle)}")
    pairs = [(endpoint, language) for endpoint in endpoints for language in chosen]
    target = base_url or "a fresh sandbox"
    print(f"apidocs check: {len(endpoints)} endpoint(s) × {len(chosen)} language(s) against {target}, -j {jobs}",
          flush=True)
    sessions = reader_sessions_at(base_url, timeout) if base_url else None
    if sessions:
        print(SESSIONS_TARGET.format(url=base_url, prefix=sessions), flush=True)
    elif base_url:
        print(STATEFUL_TARGET.format(url=base_url), flush=True)
    started = time.perf_counter()
    with open_session(settings, base_url=base_url, reader_sessions=sessions, timeout=timeout) as session:
        session.warm_up(chosen, jobs)
        results: list[SnippetResult] = session.check_all(pairs, jobs, Progress(len(pairs)))
        statuses: list[StatusResult] = session.check_statuses(endpoints)
    elapsed = time.perf_counter() - started
    print(render_report(results, chosen, elapsed, jobs))
    if statuses:
        reached = sum(1 for result in statuses if result.outcome != NOT_REACHED)
        print(f"\ndocumented answers ({reached} of {len(statuses)} reached by a probe):")
        print(render_statuses(statuses, lambda endpoint: display_path(endpoint.source)))
    if junit:
        try:
            write_junit(Path(junit), results, elapsed, errors, statuses, target=base_url or "a fresh sandbox")
        except OSError as error:
            raise ConfigError(f"--junit {junit}: cannot write it: {error.strerror or error}") from None
    failed = any(result.outcome == FAIL for result in results) or any(r.outcome == STATUS_FAIL for r in statuses)
    # A snippet the check could not run is not proven to work (a reader copying it gets a
    # placeholder where the path needs a value): said always, a failure with --strict (for CI).
    unproven = sum(1 for result in results if result.outcome == SKIP)
    if unproven:
        print(f"apidocs check: {unproven} snippet(s) could not be run (see \"skipped\" above): give every path "
              "parameter an example value (example.params) so the check can prove them"
              + ("" if strict else "; --strict makes this a failure"), file=sys.stderr)
    if failed and base_url and not sessions:
        print(f"apidocs check: {base_url} keeps state: a failure may come from an earlier snippet's change "
              "(run without --base-url for a fresh sandbox)", file=sys.stderr)
    if errors:
        print(f"apidocs check: {len(errors)} definition(s) could not be loaded (see above)", file=sys.stderr)
    return 1 if failed or errors or (strict and unproven) else 0
