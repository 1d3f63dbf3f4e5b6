"""The files lint reads, read by the loader itself in its collecting mode.

The build stops at a file's first error; lint wants every problem of the file. The loader's
`read()` gives both: every finding (an include that fails is a finding and an empty line, and
the reading goes on), and whatever it could read of a file it refused, for the checks that
need no model. So lint reports every error the build would stop at, with the same code and line.
"""

from __future__ import annotations

from pathlib import Path

from apidocs.definitions.loader import DefinitionLoader, LoadedFile
from apidocs.lint.target import LintTarget
from apidocs.model.errors import Finding

# The name lint's checks use for a file they inspect.
SourceFile = LoadedFile


def read_sources(target: LintTarget) -> list[SourceFile]:
    loader = DefinitionLoader(target.root, target.includes_dir, {"baseurl": "", **target.site}, target.definitions,
                              lax_liquid=target.is_jekyll)
    return [_read(loader, path) for path in target.all_files]


def _read(loader: DefinitionLoader, path: Path) -> SourceFile:
    try:
        return loader.read(path)
    except Exception as error:
        message = f"lint could not read this file ({type(error).__name__}: {str(error)[:200]}); please report it"
        return LoadedFile(path, findings=[Finding(path, 1, "E000", message)])
