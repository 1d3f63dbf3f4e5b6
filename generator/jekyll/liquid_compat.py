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

from liquid import Environment
from liquid.exceptions import LiquidError

from apidocs.definitions.liquid import BoundedEnvironment, jekyll_filters

_OUTPUT = re.compile(r"{{-?(?P<expression>.*?)-?}}", re.S)
_RAW_BLOCK = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S)
_LINK_TAG = re.compile(r"{%-?\s*(?:link|post_url)\s+(?P<target>[^\s%]+)\s*-?%}")
# Ruby Liquid's QuotedFragment and VariableParser: what its lax mode reads out of an output.
_FRAGMENT = re.compile(r""""[^"]*"|'[^']*'|(?:[^\s,|'"]|"[^"]*"|'[^']*')+""")
_LOOKUP_PART = re.compile(r"\[[^\]]+\]|[\w-]+\??")
_FILTER = re.compile(r"\|\s*(?P<name>[\w-]+)(?P<arguments>\s*:(?:[^|'\"]|\"[^\"]*\"|'[^']*')*)?")


@dataclass(frozen=True)
class LiquidChange:
    old: str
    new: str
    why: str


class JekyllLiquid:
    """Rewrites the Liquid of one page's lines as Jekyll rendered it, where strict Liquid would refuse it."""

    def __init__(self, site: dict[str, Any], link_of: Callable[[str], str | None]) -> None:
        self.site = {"baseurl": "", **site}
        self.environment: Environment = BoundedEnvironment()
        for name, function in jekyll_filters(self.site).items():
            self.environment.add_filter(name, function)
        self.link_of = link_of  # `_collection/doc.md` → the new page's link

    def renders(self, source: str) -> bool:
        try:
            self.environment.from_string(source).render(site=self.site)
        except (LiquidError, RecursionError, ValueError, TypeError):
            return False
        return True

    def lax_value(self, expression: str) -> str:
        """What Jekyll's lax parser makes of an output: its first fragment, looked up, unknown filters left out."""
        known = "".join(match.group(0) for match in _FILTER.finditer(expression) if match.group("name") in self.environment.filters)
        head = _FRAGMENT.search(expression.split("|", 1)[0])
        if head is not None and known and self.renders("{{ " + head.group(0) + " " + known + " }}"):
            return str(self.environment.from_string("{{ " + head.group(0) + " " + known + " }}").render(site=self.site))
        if head is None:
            return ""
        fragment = head.group(0)
        if fragment[:1] in ("'", '"'):
            return fragment[1:-1]
        parts = _LOOKUP_PART.findall(fragment)
        if len(parts) == 2 and parts[0] == "site":
            value = self.site.get(parts[1])
            return "" if value is None or isinstance(value, (dict, list)) else str(value)
        return ""

    def rewrite(self, text: str) -> tuple[str, list[LiquidChange]]:
        """One line (or block) with each output strict Liquid refuses replaced by Jekyll's rendering."""
        if "{{" not in text and "{%" not in text:
            return text, []
        changes: list[LiquidChange] = []
        kept = [(match.start(), match.end()) for match in _RAW_BLOCK.finditer(text)]

        def in_raw(position: int) -> bool:
            return any(start <= position < end for start, end in kept)

        def output(match: re.Match[str]) -> str:
            if in_raw(match.start()) or self.renders(match.group(0)):
                return match.group(0)
            value = self.lax_value(match.group("expression"))
            changes.append(LiquidChange(match.group(0), value, "Jekyll's lax Liquid renders it so; strict Liquid refuses it"))
            return _literal(value)

        def link(match: re.Match[str]) -> str:
            if in_raw(match.start()):
                return match.group(0)
            target = self.link_of(match.group("target"))
            if target is None:
                return match.group(0)
            changes.append(LiquidChange(match.group(0), target, "Jekyll's link tag: the URL of that document"))
            return target

        text = _OUTPUT.sub(output, text)
        text = _LINK_TAG.sub(link, text)
        return text, changes


def _literal(value: str) -> str:
    """Text that Liquid outputs as it is."""
    return "{% raw %}" + value + "{% endraw %}" if ("{{" in value or "{%" in value) else value
