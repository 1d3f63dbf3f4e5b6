"""The explorer's one script: the quoting twin, Python's idea of "printable", the panel code.

The twin escapes non-printable characters exactly where Python's `str.isprintable()` says so;
browsers know newer (or older) Unicode versions than the Python rendering the site, so the
table of non-printable code points is taken from this Python and written into the script.
"""

from __future__ import annotations

import contextlib
import unicodedata
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT_URI = "assets/apidocs/explorer.js"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


@lru_cache(maxsize=1)
def non_printable_table() -> str:
    """Ranges of code points `str.isprintable()` rejects: `gap+length` in base 36, comma separated.

    `gap` counts from the code point after the previous range; `length` is end minus start.
    Scanning all of Unicode costs a build ~0.2 s, so the table for this Python's Unicode version
    is kept beside this module once computed (it depends on nothing else).
    """
    cached = HERE / f"nonprintable-{unicodedata.unidata_version}.txt"
    if cached.is_file():
        return cached.read_text(encoding="ascii").strip()
    table = scan_non_printable()
    with contextlib.suppress(OSError):  # a read-only install computes it per build
        cached.write_text(table + "\n", encoding="ascii")
    return table


def scan_non_printable() -> str:
    items = []
    at = 0
    start: int | None = None
    for code in range(0x110001):
        printable = code == 0x110000 or chr(code).isprintable()
        if not printable and start is None:
            start = code
        elif printable and start is not None:
            end = code - 1
            items.append(f"{_base36(start - at)}+{_base36(end - start)}")
            at = end + 1
            start = None
    return ",".join(items)


def quoting_script() -> str:
    """The quoting twin, ready to use (what the tests run in Node)."""
    return (HERE / "quoting.js").read_text(encoding="utf-8") + \
        \
        '(typeof window !== "undefined" ? window.apidocsQuoting : module.exports)' \
        f'.setNonPrintable("{non_printable_table()}");\n'


def explorer_script() -> str:
    return quoting_script() + (HERE / "explorer.js").read_text(encoding="utf-8")
