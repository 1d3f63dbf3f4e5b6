"""Liquid as Jekyll renders it, written so that strict Liquid renders it the same.

Jekyll parses Liquid in its lax mode: an output it cannot parse (`{{ site.baseurl/#x }}`,
`{{ /files }}`) renders as what its lax parser finds in it (usually nothing), an unknown filter
passes the value through, and `{% include /path %}` is read from `_includes/` all the same. The
loader's Liquid is strict, so the import writes each such place as the text Jekyll showed, and
says so in the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apidocs.definitions.liquid import LaxOutputs

_LINK_TAG = re.compile(r"{%-?\s*(?:link|post_url)\s+(?P<target>[^\s%]+)\s*-?%}")
_RAW_BLOCK = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S)


@dataclass(frozen=True)
class LiquidChange:
    old: str
    new: str
    why: str


class JekyllLiquid:
    """Rewrites the Liquid of one page's lines as Jekyll rendered it, where strict Liquid would refuse it."""

    def __init__(self, site: dict[str, Any], link_of: Callable[[str], str | None]) -> None:
        self.lax = LaxOutputs(site)  # the same reading as lint's on a Jekyll tree
        self.link_of = link_of  # `_collection/doc.md` → the new page's link

    def rewrite(self, text: str) -> tuple[str, list[LiquidChange]]:
        """One line (or block) with each output strict Liquid refuses replaced by Jekyll's rendering."""
        if "{{" not in text and "{%" not in text:
            return text, []
        text, lax_changes = self.lax.rewrite(text)
        changes = [LiquidChange(change.old, change.new, "Jekyll's lax Liquid renders it so; strict Liquid refuses it")
                   for change in lax_changes]
        kept = [(match.start(), match.end()) for match in _RAW_BLOCK.finditer(text)]

        def link(match: re.Match[str]) -> str:
            if any(start <= match.start() < end for start, end in kept):
                return match.group(0)
            target = self.link_of(match.group("target"))
            if target is None:
                return match.group(0)
            changes.append(LiquidChange(match.group(0), target, "Jekyll's link tag: the URL of that document"))
            return target

        return _LINK_TAG.sub(link, text), changes
