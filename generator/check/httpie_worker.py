"""A warm HTTPie that runs the `http` commands of published HTTPie snippets one after another.

Starting Python and importing HTTPie costs ~300 ms of CPU per snippet; the request itself a few
milliseconds. The snippet file still runs in bash, as a reader pastes it: bash reads its quoting
and line continuations, and its `http` command (a shell function from `runners.HTTPIE_FUNCTION`,
loaded through BASH_ENV) hands the words bash made, with its working folder, to this interpreter.
Here HTTPie's own `main()` parses them and sends the request. What it printed goes to two files
that the function prints as its own stdout and stderr, and it returns HTTPie's exit status.

Each command gets a fresh HTTPie `Environment` whose streams are not terminals and whose stdin is
empty, as for an `http` process the check starts. Nothing of apidocs is imported here.

Started as `python httpie_worker.py FOLDER`. FOLDER holds the FIFOs `request` (the working folder
and the words, each ended by a NUL) and `reply` (the exit status, one line), and the files
`stdout` and `stderr`. "ready" on stdout says HTTPie is imported.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from httpie.context import Environment  # type: ignore[import-untyped]
from httpie.core import main as httpie_main  # type: ignore[import-untyped]


def _status(value: object) -> int:
    """An exit status as a process would have it: HTTPie's `ExitStatus`, or a `sys.exit` code."""
    if value is None:
        return 0
    code = getattr(value, "value", value)
    return code & 0xFF if isinstance(code, int) else 1


def run(folder: Path, cwd: str, words: list[str]) -> int:
    """One `http` command, as an `http` process started in `cwd` with these arguments would run it."""
    encoding, errors = sys.stdout.encoding, sys.stdout.errors  # what a process's piped stdout would use
    with open(folder / "stdout", "w", encoding=encoding, errors=errors, newline="") as stdout, \
            open(folder / "stderr", "w", encoding=encoding, errors=errors, newline="") as stderr, \
            open(os.devnull, encoding="utf-8") as stdin:
        try:
            os.chdir(cwd)
            env = Environment(stdin=stdin, stdin_isatty=False, stdout=stdout, stdout_isatty=False,
                              stderr=stderr, stderr_isatty=False)
            return _status(httpie_main(args=["http", *words], env=env))
        except SystemExit as error:
            if isinstance(error.code, str):
                print(error.code, file=stderr)
            return _status(error.code)
        except KeyboardInterrupt:
            return 130
        except BaseException:  # anything else is the snippet's failure, not the worker's end
            traceback.print_exc(file=stderr)
            return 1


def main() -> None:
    folder = Path(sys.argv[1])
    print("ready", flush=True)
    while True:
        with open(folder / "request", "rb") as request:  # waits for a writer; ends when it closes
            data = request.read()
        if not data:
            continue
        cwd, *words = (os.fsdecode(part) for part in data.split(b"\0")[:-1])
        status = run(folder, cwd, words)
        with open(folder / "reply", "w", encoding="ascii") as reply:  # waits for the function to read it
            reply.write(f"{status}\n")


if __name__ == "__main__":
    main()
