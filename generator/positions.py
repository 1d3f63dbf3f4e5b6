"""Ordering keys for the `position` front-matter value.

`5.2.4` is a dotted string and sorts part by part (5.2.4 before 5.2.10); `8.10` is a YAML number
(8.1) and sorts as a number, as the source site did. Missing positions sort last.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Union

PositionKey = tuple[Union[int, Decimal], ...]

LAST: PositionKey = (Decimal("Infinity"),)


def position_key(value: Any) -> PositionKey:
    """Turn a `position` value into a sortable key; raises ValueError on nonsense."""
    if value is None or value == "":
        return LAST
    if isinstance(value, bool):
        raise ValueError(f"position must be a number or dotted number, not {value!r}")
    if isinstance(value, (int, float)):
        return (Decimal(str(value)),)
    text = str(value).strip()
    parts = text.split(".")
    if len(parts) == 2:
        try:
            return (Decimal(text),)
        except InvalidOperation:
            pass
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"position must be a number or dotted number like 5.2.4, not {value!r}") from None


def format_position(key: PositionKey) -> str:
    return ".".join(str(part) for part in key)
