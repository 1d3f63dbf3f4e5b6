"""Errors about user input carry the file and line they are about, so they print as `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Finding:
    """One problem found in a definition: an error stops the build, a warning fails only `--strict`."""

    path: Path | str
    line: int
    code: str
    message: str
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


class DefinitionError(Exception):
    """A definition file that cannot be turned into a page."""

    def __init__(self, path: Path | str, line: int, message: str, code: str = "E000") -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.finding = Finding(path, line, code, message)

    @classmethod
    def of(cls, finding: Finding) -> DefinitionError:
        return cls(finding.path, finding.line, finding.message, finding.code)

    @property
    def path(self) -> Path | str:
        return self.finding.path

    @property
    def line(self) -> int:
        return self.finding.line


class ConfigError(Exception):
    """The apidocs section of mkdocs.yml is wrong; the message says which option and why."""
