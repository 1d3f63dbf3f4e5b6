"""`apidocs serve`'s definition cache: a save reads its own file again, not every definition.

The cache kept definitions by content hash, so each save read and hashed every file of the
site; now a file whose stat is unchanged is taken as it was, unless the file watcher reported
it (a quick second save on a file system with coarse times keeps the stat)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apidocs.definitions.loader import load_tree
from apidocs.site import incremental
from apidocs.site.incremental import DefinitionCache

DEFINITION = """---
title: /things/{n}/
name: Thing {n}
position: 1.{n}
visibility: public
method: get
---
Gets thing {n}.
"""


def tree_with(tmp_path: Path, count: int) -> tuple[Path, Path]:
    docs, includes = tmp_path / "docs", tmp_path / "includes"
    (docs / "things").mkdir(parents=True)
    includes.mkdir()
    for n in range(count):
        (docs / "things" / f"thing-{n}.md").write_text(DEFINITION.replace("{n}", str(n)), encoding="utf-8")
    return docs, includes


def read_all(cache: DefinitionCache, docs: Path, includes: Path) -> dict[str, str]:
    """The name of every definition, by page."""
    tree = load_tree(docs, includes, read=cache.reader(includes, None, []))
    cache.forget_unseen()
    assert not tree.errors
    return {uri: getattr(document, "name", "") for uri, document in tree.documents.items()}


def rewrite(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_only_changed_files_are_read_again(tmp_path: Path) -> None:
    docs, includes = tree_with(tmp_path, 5)
    cache = DefinitionCache()
    read_all(cache, docs, includes)
    assert cache.misses == 5
    read_all(cache, docs, includes)
    assert (cache.hits, cache.misses) == (5, 0)
    rewrite(docs / "things" / "thing-2.md", "Thing 2", "Thing two")
    names = read_all(cache, docs, includes)
    assert (cache.hits, cache.misses) == (4, 1)
    assert names["things/thing-2.md"] == "Thing two" and names["things/thing-3.md"] == "Thing 3"


def test_a_save_that_keeps_size_and_modification_time_is_still_seen(tmp_path: Path) -> None:
    docs, includes = tree_with(tmp_path, 3)
    cache = DefinitionCache()
    read_all(cache, docs, includes)
    changed = docs / "things" / "thing-1.md"
    before = changed.stat()
    rewrite(changed, "Thing 1", "Thing I")  # the same size
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` or a copy keeping times
    assert (changed.stat().st_size, changed.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert read_all(cache, docs, includes)["things/thing-1.md"] == "Thing I"  # its change time moved
    assert cache.misses == 1


def test_a_path_the_watcher_reported_is_compared_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a file system whose clock is too coarse to tell two quick saves apart, the stat stays
    as it was: the watcher's report of the path is what makes the cache look at its content."""
    monkeypatch.setattr(incremental, "_stat_signature", lambda path: (path.stat().st_size,))  # a clock that never moves
    docs, includes = tree_with(tmp_path, 3)
    cache = DefinitionCache()
    read_all(cache, docs, includes)
    saved = docs / "things" / "thing-0.md"
    rewrite(saved, "Thing 0", "Thing O")
    assert read_all(cache, docs, includes)["things/thing-0.md"] == "Thing 0"  # unreported: the stat cannot tell
    cache.verify([str(saved)])
    assert read_all(cache, docs, includes)["things/thing-0.md"] == "Thing O"
    assert (cache.hits, cache.misses) == (2, 1)
    cache.verify([str(docs / "things" / "thing-1.md")])  # reported, unchanged: hashed, and still the cached one
    read_all(cache, docs, includes)
    assert (cache.hits, cache.misses) == (3, 0)
