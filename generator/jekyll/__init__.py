"""Jekyll (Aviator) API docs trees: read them (`tree.py`) and import them (`importer.py`)."""

from __future__ import annotations
