"""Process checks for tests that prove a snippet left nothing running."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path


def alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def survivors(pids: Iterable[int], within: float = 5.0) -> list[int]:
    """The processes still running once `within` seconds have passed; returns as soon as all are gone.

    A kill signal lands asynchronously, so a process may need a moment to die: poll, with a deadline.
    """
    remaining = list(pids)
    deadline = time.monotonic() + within
    while True:
        remaining = [pid for pid in remaining if alive(pid)]
        if not remaining or time.monotonic() >= deadline:
            return remaining
        time.sleep(0.02)


def children_of(parent: int) -> list[int]:
    """The live child processes of `parent` (a sandbox's workers), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children
