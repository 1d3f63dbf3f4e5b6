"""Jekyll (Aviator) API docs trees: read them (`tree.py`) and import them (`importer.py`)."""

from __future__ import annotations

from apidocs.jekyll.importer import import_tree, run_import

__all__ = ["import_tree", "run_import"]
