"""Fixtures shared by the whole suite: the shipped project and throwaway copies of it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SAMPLE = SHARED / "crux-docs-sample"
PYTHON = sys.executable


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the shipped project (mkdocs.yml, docs/, includes/, snippets/)."""
    for name in ("docs", "includes", "snippets"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory):
    """One `apidocs sandbox` process per test worker, with per-session private state on."""
    from sandbox_helpers import start_sandbox

    server = start_sandbox(tmp_path_factory.mktemp("sandbox") / "state.sqlite3", secret="test-secret")
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """A client of a fresh sandbox (its own session on the shared server): fixtures as shipped."""
    return sandbox_server.session()
