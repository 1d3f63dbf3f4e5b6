"""A warm Python interpreter that runs published Python snippets one after another.

Starting Python and importing `requests` costs ~150 ms; the snippet itself a few. This worker
pays the start once, then for each snippet file it is sent it executes that exact file as
`__main__` with fresh globals, `sys.argv` and captured stdout/stderr, and answers with the exit
status a `python file` run would have had. It is started by `runners.WarmPythonRunner` as a
plain script (not `-m apidocs…`) so that nothing of apidocs is imported into the snippets'
interpreter.

Protocol: one JSON object per line on stdin (`{"file": path}`), one JSON object per line on the
original stdout (`{"exit": n, "stdout": s, "stderr": s}`). fd 1 itself is pointed at stderr so
stray low-level writes cannot corrupt the protocol.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import sys
import traceback
from typing import TextIO

# Pre-import what published Python snippets use, so their `import` is a dictionary lookup.
import requests  # noqa: F401


def _exit_code(error: SystemExit, stderr: TextIO) -> int:
    """What `python file` exits with for `sys.exit(code)`."""
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=stderr)
    return 1


def run_file(path: str) -> dict[str, int | str]:  # runners.WorkerReply (this script imports no apidocs)
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, sys.argv
    sys.stdout, sys.stderr, sys.argv = stdout, stderr, [path]
    exit_code = 0
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        code = compile(source, path, "exec")
        exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": builtins})
    except SystemExit as error:
        exit_code = _exit_code(error, stderr)
    except BaseException:
        traceback.print_exc(file=stderr)
        exit_code = 1
    finally:
        # Globals are fresh per snippet; imported modules stay (dropping them would split class
        # identities inside `requests`, and library modules are not the snippet's state).
        sys.stdout, sys.stderr, sys.argv = saved
    return {"exit": exit_code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        protocol.write(json.dumps(run_file(request["file"])) + "\n")


if __name__ == "__main__":
    main()
