"""Which route a concrete path is, from path templates like `/timp/orders/{uuid}/`.

Templates are tried most specific first (segment by segment, literal text before placeholders;
then most literal text), so `/timp/orders/cancel/` is the Cancel Order route even though
`/timp/orders/{uuid}/` matches it too. A request goes to the most specific template that has
its method: GitLab documents `PUT /services/asana` and `GET /services/{service_slug}`, and a GET
of `/services/asana` is the latter's. Only when no matching template has the method is it a 405,
with the most specific one's `Allow`.

Two definitions of one method may share a template that differs only in placeholder names
(`/files/{id}` and `/files/{path}`: OpenAPI calls them identical, real specs have them). The
later is kept as an *alternative* of the first: a request goes to the one it names in
`X-Apidocs-Route` (the check names the operation whose snippet it runs), else to the first whose
`accepts` takes its path, query and header values (those whose path suffix asks for values of
their own tried first: `/{bucket}?uploads` before `/{bucket}`), else to the first. Paths told
apart only by a suffix (`/#Action=A`, `/#Action=B`) are alternatives the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from apidocs.model.endpoint import Endpoint
from apidocs.model.paths import ROUTE_HEADER, PathTemplate

Handler = Callable[[Any], Awaitable[Any]]
Accepts = Callable[[dict[str, str], bytes, dict[str, str]], bool]  # (path values, query, headers) → whether they fit
# The matches a router keeps: of at most this many (path, method) pairs, of paths at most this
# long (readers' paths are short; a flood of long made-up ones must not fill the memory).
MAX_MATCHED_PATHS = 10_000
MAX_MATCHED_PATH_LENGTH = 256


def template_key(template: str) -> str:
    """Templates that differ only in placeholder names are the same route."""
    return PathTemplate(template).key


@dataclass
class Route:
    method: str
    template: str
    pattern: PathTemplate
    handler: Handler
    endpoint: Endpoint | None = None
    # For a mocked endpoint: the documented body of each error status, answered instead of the
    # sandbox's own `{"detail": …}` so the mock keeps to the documented contract.
    error_bodies: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)  # (content, media type)
    accepts: Accepts | None = None  # None: any values
    constrained: bool = False  # whether `accepts` asks for query or header values of its own (`?uploads`)
    # Later routes of this method whose templates differ from this one's in placeholder names only.
    alternatives: list[Route] = field(default_factory=list)

    def choose(self, path: str, headers: dict[str, str], query_string: bytes) -> tuple[Route, dict[str, str]]:
        """The route among this one and its alternatives that serves a request (`headers` by
        lower-case name), with its path values."""
        named = headers.get(ROUTE_HEADER.lower())
        candidates = [self, *self.alternatives]
        if len(candidates) > 1:
            wanted = unquote(named) if named is not None else None
            chosen = next((route for route in candidates if route.template == wanted), None)
            if chosen is None:
                # Those whose suffix asks something of the request (`?uploads`) first, as a plain one
                # takes any; then the plain path before one only named by a suffix (`#overload=x`).
                ranked = sorted(candidates, key=lambda route: (not route.constrained, bool(route.pattern.suffix)))
                for route in ranked:
                    values = route.fitting(path, headers, query_string)
                    if values is not None:
                        return route, values
                chosen = self
            return chosen, chosen.values(path, headers, query_string)
        return self, self.values(path, headers, query_string)

    def fitting(self, path: str, headers: dict[str, str], query_string: bytes) -> dict[str, str] | None:
        """The path values with which `accepts` takes the request, trying each way the path splits
        among placeholders sharing a segment (`/{a}-{b}`); None when it takes it with none."""
        splits = self.pattern.splits(path)
        if self.accepts is None:
            return splits[0] if splits else {}
        return next((values for values in splits if self.accepts(values, query_string, headers)), None)

    def values(self, path: str, headers: dict[str, str], query_string: bytes) -> dict[str, str]:
        """The path values the route serves the request with: the first split `accepts` takes,
        else `match`'s (whose faults the handler then answers)."""
        if self.pattern.shares_segments:
            fitting = self.fitting(path, headers, query_string)
            if fitting is not None:
                return fitting
        return self.pattern.match(path) or {}


@dataclass
class PathGroup:
    """All the methods of one path template."""

    key: str
    template: PathTemplate  # the first registered; its placeholder names do not matter for matching
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
    def specificity(self) -> tuple[tuple[int, ...], int, int]:
        """Most specific first: segment by segment, literal text before text with placeholders in
        it before a bare placeholder, as `/calls/getPstnCalls(from={from},to={to})` holds more
        placeholders than `/calls/{id}` yet is the one meant for its own paths, which `{id}` also
        matches; then more literal text, so `image(width={w},height={h},mode={m})` goes before
        `image(width={w},height={h})`, whose `{h}` would take `4,mode=fit`; then fewer placeholders."""
        kinds = tuple(0 if "{}" not in segment else 2 if not segment.replace("{}", "") else 1 for segment in self.key.split("/"))
        return kinds, -self.template.literal_length, len(self.template.names)


@dataclass
class Match:
    group: PathGroup
    path: str
    # The path values of each route that needs nothing but the path to choose (see `choose`),
    # by template: a match is kept by the router for its path, so they are found once.
    _path_values: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    def route_for(self, method: str) -> Route | None:
        route = self.group.routes.get(method)
        if route is None and method == "HEAD":
            route = self.group.routes.get("GET")
        return route

    def params(self, route: Route) -> dict[str, str]:
        return route.pattern.match(self.path) or {}

    def choose(self, route: Route, headers: dict[str, str], query_string: bytes) -> tuple[Route, dict[str, str]]:
        """`route.choose` for this match's path; a route without alternatives whose placeholders
        each have a segment of their own has the same values for every request of the path."""
        if route.alternatives or route.pattern.shares_segments:
            return route.choose(self.path, headers, query_string)
        values = self._path_values.get(route.template)
        if values is None:
            values = self._path_values[route.template] = route.values(self.path, headers, query_string)
        return route, dict(values)  # the handler's own copy


class Router:
    def __init__(self) -> None:
        self._groups: dict[str, PathGroup] = {}
        # Matching runs on every request: templates are looked up by their number of `/` (a
        # placeholder is one segment, so a path matches only templates with as many), most
        # specific first; built on the first match after a change.
        self._by_depth: dict[int, list[PathGroup]] | None = None
        # The match of each (path, method) asked for since the last change: readers ask for the
        # same few orders again and again. Emptied when full (`MAX_MATCHED_PATHS`).
        self._matched: dict[tuple[str, str | None], Match | None] = {}

    def add(self, method: str, template: str, handler: Handler, endpoint: Endpoint | None = None,
            error_bodies: dict[int, tuple[bytes, bytes]] | None = None, accepts: Accepts | None = None, constrained: bool = False) -> None:
        """Register a route; a later route for the same method and template replaces the earlier,
        one whose placeholder names differ becomes an alternative of the first."""
        parsed = PathTemplate(template)
        group = self._groups.setdefault(parsed.key, PathGroup(parsed.key, parsed))
        route = Route(method, template, parsed, handler, endpoint, error_bodies or {}, accepts, constrained)
        first = group.routes.get(method)
        if first is None or first.template == template:
            if first is not None:
                route.alternatives = first.alternatives
            group.routes[method] = route
        else:
            first.alternatives = [*(kept for kept in first.alternatives if kept.template != template), route]
        self._by_depth = None
        self._matched = {}

    def has(self, method: str, template: str) -> bool:
        group = self._groups.get(template_key(template))
        return group is not None and method in group.routes

    def match(self, path: str, method: str | None = None) -> Match | None:
        """The most specific template `path` matches that has `method` (any method: None), else
        the most specific it matches."""
        key = (path, method)
        try:
            return self._matched[key]
        except KeyError:
            pass
        found = self._find(path, method)
        if len(path) <= MAX_MATCHED_PATH_LENGTH:
            if len(self._matched) >= MAX_MATCHED_PATHS:
                self._matched = {}
            self._matched[key] = found
        return found

    def _find(self, path: str, method: str | None) -> Match | None:
        by_depth = self._by_depth
        if by_depth is None:
            by_depth = {}
            for group in sorted(self._groups.values(), key=lambda group: group.specificity):
                by_depth.setdefault(group.key.count("/"), []).append(group)
            self._by_depth = by_depth  # whole, for a request that reads it meanwhile
        first: Match | None = None
        for group in by_depth.get(path.count("/"), ()):
            if group.template.matches(path):
                found = Match(group, path)
                if method is None or found.route_for(method) is not None:
                    return found
                first = first or found
        return first

    def suggest(self, path: str) -> str | None:
        """The path with or without its trailing slash, when that one exists."""
        other = path[:-1] if path.endswith("/") else path + "/"
        return other if other != path and self.match(other) else None
