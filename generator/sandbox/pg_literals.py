"""A prepared statement's call as SQL text, `EXECUTE name('text', 3, NULL)`, for the PostgreSQL
store's batches (`postgres.py`).

psycopg's client-side binding (`ClientCursor.mogrify`) writes the same text, but it looks up a
dumper and quotes each value through a generator: about 8 µs for a compare-and-set's 19 values,
a tenth of what a worker spends on the whole request. The values of a batched write are only
text, integers, finite floats and NULLs, so this writes them directly, and leaves everything else to psycopg.

The text is only valid on a connection whose `standard_conforming_strings` is on (a backslash is
then an ordinary character in '…') and whose client encoding is UTF-8: `postgres.py` sets both
on each pooled connection and checks them before using this. Text PostgreSQL cannot hold (a NUL,
a lone surrogate) is left to psycopg too, which refuses it for that statement alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _literal(value: object) -> str | None:
    kind = type(value)
    if kind is str:
        text: str = value  # type: ignore[assignment]
        if "\x00" in text:
            return None
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: no text
                return None
        return "'" + text.replace("'", "''") + "'"
    if kind is int:  # exactly int: a bool is no number here
        return str(value)
    if value is None:
        return "NULL"
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return repr(value)  # the shortest text that reads back as the same double
    return None


def execute_text(name: str, parameters: Sequence[object]) -> str | None:
    """`EXECUTE name(…)` with the values as literals; None when one of them is not plain text,
    an integer, a finite float or None (psycopg writes those)."""
    literals = []
    for value in parameters:
        literal = _literal(value)
        if literal is None:
            return None
        literals.append(literal)
    return f"EXECUTE {name}({', '.join(literals)})"
