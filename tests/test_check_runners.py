"""Runners: real bash/node processes and the warm Python worker, including timeouts and leftovers."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from apidocs.check.runners import ProcessRunner, RunOutcome, WarmHttpieRunner, WarmPythonRunner, language_environment, make_runner
from apidocs.model.errors import ConfigError
from apidocs.rendering.languages import Language, load_languages
from process_helpers import survivors

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {language.name: language for language in load_languages(ROOT / "snippets")}
BASH = Language("bash", "bash", "x.sh.j2", "bash", "sh", run=("bash", "{file}"))


R = TypeVar("R", WarmPythonRunner, WarmHttpieRunner)


def _warm_runner(language: str, kind: type[R], tmp_path: Path) -> Iterator[R]:
    runner = make_runner(LANGUAGES[language], ROOT / "snippets", tmp_path)
    assert isinstance(runner, kind)
    yield runner
    runner.close()


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmPythonRunner]:
    yield from _warm_runner("python", WarmPythonRunner, tmp_path)


def test_process_runner_reports_exit_status_and_output(tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    script.write_text("echo out; echo err >&2; exit 3\n")
    outcome = ProcessRunner(BASH, dict(os.environ), tmp_path).run(script, timeout=10)
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (3, "out\n", "err\n")
    assert not outcome.timed_out


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    script = tmp_path / "hang.sh"
    pid_file = tmp_path / "child.pid"
    script.write_text(f"sleep 60 &\necho $! > {pid_file}\nsleep 60\n")
    started = time.monotonic()
    outcome = ProcessRunner(BASH, dict(os.environ), tmp_path).run(script, timeout=0.5)
    assert outcome.timed_out and time.monotonic() - started < 5
    child = int(pid_file.read_text())
    assert survivors([child]) == [], "the snippet's background child survived the timeout"


def test_a_snippet_started_as_the_runner_closes_is_killed_too(tmp_path: Path) -> None:
    # Ctrl-C between a snippet's start and its thread noting it: close() did not see it, and it
    # ran until its timeout (a check that would not stop for 30 s).
    script = tmp_path / "forever.sh"
    script.write_text("sleep 60\n")
    runner = ProcessRunner(BASH, dict(os.environ), tmp_path)
    runner.close()
    started = time.monotonic()
    runner.run(script, timeout=30)
    assert time.monotonic() - started < 5


def test_children_left_behind_after_a_normal_exit_are_killed_too(tmp_path: Path) -> None:
    script = tmp_path / "leak.sh"
    pid_file = tmp_path / "child.pid"
    script.write_text(f"sleep 60 >/dev/null 2>&1 &\necho $! > {pid_file}\n")
    outcome = ProcessRunner(BASH, dict(os.environ), tmp_path).run(script, timeout=5)
    assert outcome.exit_code == 0
    assert survivors([int(pid_file.read_text())]) == []


def test_a_missing_runtime_is_a_failed_run_with_a_clear_message(tmp_path: Path) -> None:
    missing = Language("ghost", "Ghost", "g.txt.j2", "text", "txt", run=("no-such-runtime-xyz", "{file}"))
    outcome = ProcessRunner(missing, dict(os.environ), tmp_path).run(tmp_path / "f", timeout=5)
    assert outcome.exit_code == 127 and "cannot start 'no-such-runtime-xyz'" in outcome.stderr


def test_httpie_runs_with_a_private_config(tmp_path: Path) -> None:
    env = language_environment(LANGUAGES["httpie"], ROOT / "snippets", tmp_path / "httpie")
    config = Path(env["HTTPIE_CONFIG_DIR"]) / "config.json"
    assert '"disable_update_warnings": true' in config.read_text()
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    script = tmp_path / "h.sh"
    script.write_text("http --ignore-stdin --offline --print=B --raw='{\"a\": 1}' POST http://example.invalid/\n")
    outcome = ProcessRunner(LANGUAGES["httpie"], env, tmp_path).run(script, timeout=30)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.strip() == '{"a": 1}'


@pytest.fixture
def warm_httpie(tmp_path: Path) -> Iterator[WarmHttpieRunner]:
    yield from _warm_runner("httpie", WarmHttpieRunner, tmp_path)


def _both(warm_httpie: WarmHttpieRunner, tmp_path: Path, script: str) -> tuple[RunOutcome, RunOutcome]:
    """The same snippet run as an `http` process and next to the warm HTTPie."""
    path = tmp_path / "snippet.sh"
    path.write_text(script)
    plain = make_runner(LANGUAGES["httpie"], ROOT / "snippets", tmp_path, warm=False)
    try:
        return plain.run(path, 30), warm_httpie.run(path, 30)
    finally:
        plain.close()


# What bash must turn into words for HTTPie: quotes of each kind, a quote inside a word, an escaped
# newline, `$'…'` escapes, a continued line, non-ASCII text, an empty argument.
HTTPIE_SNIPPETS = {
    "quoting": "http --ignore-stdin --offline --print=HB --raw='{\"note\": \"it'\\''s \\\"here\\\"\"}' \\\n"
               "  PATCH 'http://example.invalid/a b?q=x y' \\\n  'X-Note:caf\u00e9 \u2603' \"X-Two:\\$HOME\" $'X-Tab:a\\tb'\n",
    "form and empty value": "http --ignore-stdin --offline --print=HB --form POST http://example.invalid/f 'a=1' 'b=' \"c=two words\"\n",
    "two commands": "http --ignore-stdin --offline --print=B --raw=one POST http://example.invalid/1\n"
                    "http --ignore-stdin --offline --print=B --raw=two POST http://example.invalid/2\n",
    "bad option": "http --ignore-stdin --no-such-option GET http://example.invalid/\n",
    "refused connection": "http --ignore-stdin --timeout=5 GET http://127.0.0.1:9/\n",
    "status of the script": "http --ignore-stdin --offline --print=B --raw=x POST http://example.invalid/ && exit 3\n",
}


@pytest.mark.parametrize("name", list(HTTPIE_SNIPPETS))
def test_warm_httpie_prints_and_exits_as_an_httpie_process(warm_httpie: WarmHttpieRunner, tmp_path: Path, name: str) -> None:
    plain, warm = _both(warm_httpie, tmp_path, HTTPIE_SNIPPETS[name])
    assert (warm.exit_code, warm.stdout) == (plain.exit_code, plain.stdout)
    assert warm.stderr.replace("\n", " ").split() == plain.stderr.replace("\n", " ").split()
    assert plain.exit_code is not None and (plain.stdout or plain.stderr)


def test_warm_httpie_reads_files_from_the_snippets_folder(warm_httpie: WarmHttpieRunner, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "body.json").write_text('{"from": "file"}')
    plain, warm = _both(warm_httpie, tmp_path, "cd sub && http --ignore-stdin --offline --print=B POST http://example.invalid/ @body.json\n")
    assert warm.exit_code == plain.exit_code == 0, warm.stderr
    assert warm.stdout == plain.stdout and '{"from": "file"}' in warm.stdout


def test_warm_httpie_timeout_replaces_the_worker(warm_httpie: WarmHttpieRunner, tmp_path: Path) -> None:
    # A server that takes the connection and never answers: HTTPie waits inside the warm worker.
    import socket
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hang = tmp_path / "hang.sh"
        hang.write_text(f"http --ignore-stdin GET http://127.0.0.1:{silent.getsockname()[1]}/\n")
        started = time.monotonic()
        assert warm_httpie.run(hang, 1.0).timed_out and time.monotonic() - started < 10
    ok = tmp_path / "ok.sh"
    ok.write_text("http --ignore-stdin --offline --print=B --raw=next POST http://example.invalid/\n")
    outcome = warm_httpie.run(ok, 30)
    assert (outcome.exit_code, outcome.stdout.strip()) == (0, "next"), outcome.stderr


def _python(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def test_warm_python_runs_the_file_as_main_with_fresh_globals(warm: WarmPythonRunner, tmp_path: Path) -> None:
    first = _python(tmp_path, "a.py", "import sys\nleaked = 1\nprint(__name__, sys.argv[0].endswith('a.py'))\n")
    second = _python(tmp_path, "b.py", "print('leaked' in globals())\n")
    assert warm.run(first, 10).stdout == "__main__ True\n"
    outcome = warm.run(second, 10)
    assert (outcome.exit_code, outcome.stdout) == (0, "False\n")


def test_warm_python_exit_statuses_match_a_python_process(warm: WarmPythonRunner, tmp_path: Path) -> None:
    cases = {
        "sys.exit(4)": 4, "sys.exit()": 0, "sys.exit('bye')": 1, "raise ValueError('boom')": 1, "x = (": 1,
    }
    for source, expected in cases.items():
        outcome = warm.run(_python(tmp_path, "c.py", "import sys\n" + source + "\n"), 10)
        assert outcome.exit_code == expected, source
    outcome = warm.run(_python(tmp_path, "d.py", "raise ValueError('boom')\n"), 10)
    assert "ValueError: boom" in outcome.stderr and 'File "' + str(tmp_path / "d.py") in outcome.stderr


def test_warm_python_timeout_replaces_the_worker(warm: WarmPythonRunner, tmp_path: Path) -> None:
    hang = _python(tmp_path, "hang.py", "import time\ntime.sleep(60)\n")
    outcome = warm.run(hang, 0.5)
    assert outcome.timed_out
    assert warm.run(_python(tmp_path, "ok.py", "print('next')\n"), 10).stdout == "next\n"


def test_warm_python_survives_a_snippet_that_ends_the_interpreter(warm: WarmPythonRunner, tmp_path: Path) -> None:
    outcome = warm.run(_python(tmp_path, "exit.py", "import os\nos._exit(7)\n"), 10)
    assert outcome.exit_code == 7
    assert warm.run(_python(tmp_path, "ok.py", "print('again')\n"), 10).stdout == "again\n"


def test_warm_python_costs_milliseconds(warm: WarmPythonRunner, tmp_path: Path) -> None:
    warm.warm_up(1)
    script = _python(tmp_path, "fast.py", "import requests\nprint(requests.__name__)\n")
    timings = sorted(warm.run(script, 10).elapsed for _ in range(20))
    assert timings[10] < 0.01, f"median {timings[10] * 1000:.1f} ms"


@pytest.mark.parametrize(("manifest", "message"), [
    ("curl: 5\n", "curl must be a mapping"),
    ("curl: {env: [A]}\n", "curl.env must be a mapping"),
    ("curl: {files: x}\n", "curl.files must be a mapping"),
    ("- curl\n", "the file must be a mapping"),
    ("curl: {run: bash}\n", "curl.run must be a list"),
])
def test_a_malformed_languages_yml_is_one_clear_error(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "curl.sh.j2").write_text("curl {{ request.url }}\n")
    (tmp_path / "languages.yml").write_text(manifest)
    with pytest.raises(ConfigError) as raised:
        load_languages(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'languages.yml'}: {message}")
