"""Which route a concrete path is, from path templates like `/timp/orders/{uuid}/`.

Templates are tried most specific first (fewest placeholders, then most literal text), so
`/timp/orders/cancel/` is the Cancel Order route even though `/timp/orders/{uuid}/` matches it
too; like Django, a path belongs to one template and a wrong method there is a 405 with the
template's `Allow`, not a fall-through to another template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from apidocs.model.endpoint import PLACEHOLDER, Endpoint

Handler = Callable[[Any], Awaitable[Any]]


def template_key(template: str) -> str:
    """Templates that differ only in placeholder names are the same route."""
    return PLACEHOLDER.sub("{}", template)


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex with one named group per placeholder (matching one path segment)."""
    pattern, last = "", 0
    for match in PLACEHOLDER.finditer(template):
        pattern += re.escape(template[last : match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
        last = match.end()
    return re.compile("^" + pattern + re.escape(template[last:]) + "$")


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    endpoint: Endpoint | None = None


@dataclass
class PathGroup:
    """All the methods of one path template."""

    key: str
    routes: dict[str, Route] = field(default_factory=dict)

    @property
    def allow(self) -> str:
        methods = list(self.routes)
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        if "OPTIONS" not in methods:
            methods.append("OPTIONS")
        return ", ".join(methods)

    @property
    def specificity(self) -> tuple[int, int]:
        placeholders = self.key.count("{}")
        return placeholders, -len(self.key.replace("{}", ""))


@dataclass
class Match:
    group: PathGroup
    path: str

    def route_for(self, method: str) -> Route | None:
        route = self.group.routes.get(method)
        if route is None and method == "HEAD":
            route = self.group.routes.get("GET")
        return route

    def params(self, route: Route) -> dict[str, str]:
        match = route.pattern.match(self.path)
        return match.groupdict() if match else {}


class Router:
    def __init__(self) -> None:
        self._groups: dict[str, PathGroup] = {}
        self._ordered: list[tuple[re.Pattern[str], PathGroup]] = []

    def add(self, method: str, template: str, handler: Handler, endpoint: Endpoint | None = None) -> None:
        """Register a route; a later route for the same method and template replaces the earlier."""
        key = template_key(template)
        group = self._groups.setdefault(key, PathGroup(key))
        group.routes[method] = Route(method, template, template_pattern(template), handler, endpoint)
        self._ordered = sorted(((self._pattern(g.key), g) for g in self._groups.values()), key=lambda pair: pair[1].specificity)

    def has(self, method: str, template: str) -> bool:
        group = self._groups.get(template_key(template))
        return group is not None and method in group.routes

    @staticmethod
    def _pattern(key: str) -> re.Pattern[str]:
        return re.compile("^" + "[^/]+".join(re.escape(part) for part in key.split("{}")) + "$")

    def match(self, path: str) -> Match | None:
        for pattern, group in self._ordered:
            if pattern.match(path):
                return Match(group, path)
        return None

    def suggest(self, path: str) -> str | None:
        """The path with or without its trailing slash, when that one exists."""
        other = path[:-1] if path.endswith("/") else path + "/"
        return other if other != path and self.match(other) else None
