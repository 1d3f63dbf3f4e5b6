"""`-f path/to/mkdocs.yml` is taken before the command and after it, as `mkdocs build -f` reads."""

from __future__ import annotations

import pytest

from apidocs.cli import build_parser


@pytest.mark.parametrize("argv", [
    ["-f", "site/mkdocs.yml", "lint"],
    ["lint", "-f", "site/mkdocs.yml"],
    ["lint", "--config-file", "site/mkdocs.yml", "docs/a.md"],
    ["build", "--strict", "-f", "site/mkdocs.yml"],
    ["sandbox", "-f", "site/mkdocs.yml", "--port", "8001"],
])
def test_the_config_file_is_taken_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).config_file == "site/mkdocs.yml"


def test_without_it_the_default_stays() -> None:
    assert build_parser().parse_args(["lint"]).config_file == "mkdocs.yml"
    assert build_parser().parse_args(["lint", "docs/a.md"]).paths == ["docs/a.md"]


def test_after_the_command_it_wins_over_before() -> None:
    assert build_parser().parse_args(["-f", "a.yml", "build", "-f", "b.yml"]).config_file == "b.yml"
