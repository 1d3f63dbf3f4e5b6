"""Ordering keys for the `position` front-matter value.

`5.2.4` is a dotted string and sorts part by part (5.2.4 before 5.2.10); `8.10` is a YAML number
(8.1) and sorts as a number among numbers, as the source site did. A number compared with a
dotted string is read as dotted (5.2 before 5.2.1). Missing positions sort last.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import total_ordering
from typing import Any

_INFINITY = Decimal("Infinity")


@total_ordering
@dataclass(frozen=True)
class PositionKey:
    parts: tuple[Decimal, ...]  # dotted reading: "5.2.4" -> (5, 2, 4)
    number: Decimal | None = None  # numeric reading, for YAML numbers and "a.b" strings

    def _comparable(self, other: PositionKey) -> tuple[Any, Any]:
        if self.number is not None and other.number is not None:
            return self.number, other.number
        return self.parts, other.parts

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PositionKey):
            return NotImplemented
        mine, theirs = self._comparable(other)
        return mine < theirs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PositionKey):
            return NotImplemented
        mine, theirs = self._comparable(other)
        return mine == theirs

    def __hash__(self) -> int:
        return hash(self.parts)

    def __str__(self) -> str:
        return "" if self == LAST else ".".join(str(part) for part in self.parts)


LAST = PositionKey((_INFINITY,), _INFINITY)


def position_key(value: Any) -> PositionKey:
    """Turn a `position` value into a sortable key; raises ValueError on nonsense."""
    if value is None or value == "":
        return LAST
    if isinstance(value, bool):
        raise ValueError(f"position must be a number or dotted number, not {value!r}")
    text = str(value).strip()
    try:
        parts = tuple(Decimal(int(part)) for part in text.split("."))
    except ValueError:
        raise ValueError(f"position must be a number or dotted number like 5.2.4, not {value!r}") from None
    number = None
    if isinstance(value, (int, float)) or text.count(".") <= 1:
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
    return PositionKey(parts, number)
