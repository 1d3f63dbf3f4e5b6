"""Which nav items a page shows, when a level of the nav is long.

The bounded nav (theme/partials/nav-item.html) opens only the sections on the way to the
current page, but a level with hundreds of entries (a flat folder of endpoints, or a site of
hundreds of sections) would still put every one of them into every page: N pages times N
entries. On such a level a page shows the first and last entries, the entries near its own,
and in each gap one link that names how many entries it stands for and leads to the first of
them, so a reader can walk the whole nav from any page. Search and the prev/next links reach
every page as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

LONG_LEVEL = 24  # entries on a level above which a page shows a window of them
NEAR = 8  # entries shown on each side of the page's own


class NavWindow:
    """Called by the template with a nav item: 0 to show it, -1 to leave it out, n > 0 to show
    in its place a link to it standing for the n entries left out from there on."""

    def __init__(self, nav: Navigation, page: Page) -> None:
        self.state: dict[int, int] = {}  # by id(): pages and sections compare by value, unhashable
        siblings: Sequence[Any] = nav.items
        for item in [*reversed(list(page.ancestors)), page]:
            at = next((index for index, sibling in enumerate(siblings) if sibling is item), None)
            if at is None:
                break
            if len(siblings) > LONG_LEVEL:
                self._window(siblings, at)
            siblings = getattr(item, "children", None) or []

    def _window(self, siblings: Sequence[Any], at: int) -> None:
        shown = {0, len(siblings) - 1, *range(max(0, at - NEAR), min(len(siblings), at + NEAR + 1))}
        run_start = None
        for index, item in enumerate([*siblings, None]):
            if index < len(siblings) and index not in shown:
                if run_start is None:
                    run_start = index
                self.state[id(item)] = -1
            elif run_start is not None:
                self.state[id(siblings[run_start])] = index - run_start
                run_start = None

    def __call__(self, item: Any) -> int:
        return self.state.get(id(item), 0)

    def shown(self, items: Sequence[Any]) -> list[Any]:
        """The entries of a level the template goes through: those shown, and the first of each
        gap (rendered as the gap's link). The template then costs the window, not the level."""
        return [item for item in items if self.state.get(id(item), 0) >= 0]


class WindowedNav:
    """The site's nav as a page's templates see it: the top level through the page's window
    (Material's nav partial loops over `nav.items`), everything else the nav itself."""

    def __init__(self, nav: Navigation, window: NavWindow) -> None:
        self._nav = nav
        self.items = window.shown(nav.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nav, name)
