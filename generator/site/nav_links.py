"""The nav's plain entries, written here instead of by the theme's macros.

A page's nav shows a few dozen entries, and nearly all of them are a link: to a page, or to the
first page of a closed section. Through the macros of theme/partials/nav-item.html each costs
two macro calls, and the nav was the larger part of rendering Material's template for a page;
here it costs a string format. The markup is the template's, byte for byte: the template asks
for a link and writes the entry itself when it gets none (an icon, a typeset title, the open
section, the current page). Like the template (MkDocs renders themes without autoescape), the
titles go in as they are: apidocs escapes the titles of its pages when it reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url


class NavLinks:
    """Called by the template with a nav item of `page`'s nav: its entry, or None."""

    def __init__(self, page: Page, status_notes: Mapping[str, Any] | None) -> None:
        self.page = page
        self.status_notes = status_notes or {}

    def __call__(self, item: Any) -> str | None:
        meta = getattr(item, "meta", None) or {}
        if meta.get("icon") or getattr(item, "typeset", None) or item.active or item == self.page:
            return None
        if getattr(item, "children", None):
            href = self._first_url(item)
            if href is None:
                return None
            content = self._content(item, meta)
            attribute = f' href="{href}"' if href else ""
            return (f'<li class="md-nav__item md-nav__item--pruned md-nav__item--nested"><a{attribute} class="md-nav__link">'
                    f'{content}<span class="md-nav__icon md-icon"></span></a></li>')
        return f'<li class="md-nav__item"><a href="{self.url(item)}" class="md-nav__link">{self._content(item, meta)}</a></li>'

    def runs(self, items: Iterable[Any], window: Callable[[Any], int]) -> list[str | tuple[int, Any]]:
        """A level's entries in order: each run of plain links as one text, and (its position
        from 1, item) for an entry the template writes itself (`window` not 0: a gap's link).
        The template then makes a call per run, not two per entry: the calls were the cost."""
        runs: list[str | tuple[int, Any]] = []
        plain: list[str] = []
        for position, item in enumerate(items, 1):
            link = self(item) if window(item) == 0 else None
            if link is None:
                if plain:
                    runs.append("".join(plain))
                    plain = []
                runs.append((position, item))
            else:
                plain.append(link)
        if plain:
            runs.append("".join(plain))
        return runs

    def url(self, item: Any) -> str:
        return normalize_url(str(item.url), page=self.page)

    def _first_url(self, section: Any) -> str | None:
        """A closed section's address: its first page, however deep ("" for none; None for an
        empty section inside, which the template writes its own way)."""
        first = section.children[0]
        while getattr(first, "children", None):
            first = first.children[0]
        if not hasattr(first, "url"):
            return None
        return self.url(first).strip()

    def _content(self, item: Any, meta: Mapping[str, Any]) -> str:
        subtitle = meta.get("subtitle")
        text = f'<span class="md-ellipsis">{item.title}{f"<br><small>{subtitle}</small>" if subtitle else ""}</span>'
        kinds = (["encrypted"] if meta and getattr(item, "encrypted", None) else []) + ([meta["status"]] if meta.get("status") else [])
        for kind in kinds:
            note = self.status_notes.get(kind)
            text += f'<span class="md-status md-status--{kind}"{f" title={chr(34)}{note}{chr(34)}" if note else ""}></span>'
        return text
