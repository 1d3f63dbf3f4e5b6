"""`apidocs lint [PATH…]`: every problem of the definitions, one line each, `path:line: CODE message`.

Works on this project's docs and on an unconverted Jekyll tree alike (see `target.py`); the
checks and their codes are listed in `codes.py`. Exit status 1 when any finding is an error.
"""

from __future__ import annotations

from pathlib import Path


def run_lint(config_file: str | Path, paths: list[str]) -> int:
    # Loaded here, not above: the importer borrows `secrets.py` and `snippets.py` and should not
    # pay for the whole linter.
    from apidocs.lint.run import run_lint as run

    return run(config_file, paths)


__all__ = ["run_lint"]
