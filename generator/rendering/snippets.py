"""Render an `HttpRequest` into each language's snippet from the templates in `snippets/`."""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import jinja2

from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.quoting import FILTERS
from apidocs.rendering.request import HttpRequest


class SnippetError(Exception):
    """A template that fails to render; names the template and the reason."""


def snippet_environment(folder: Path) -> jinja2.Environment:
    # Kept by the absolute folder, not resolved: resolving (a system call per part of the path)
    # for every snippet rendered was about 1% of a build.
    return _environment(folder if folder.is_absolute() else folder.absolute())


@lru_cache(maxsize=8)
def _environment(folder: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters.update(FILTERS)
    return environment


class _RecentSnippets:
    """Snippets rendered lately, so a build renders each template once per endpoint.

    The OpenAPI export's code samples, the page's tab and the explorer's check of its slots
    (`explorer/slots.py`) all need the snippet of the same request. The key holds the request's
    full value and the Language, whose stamp is the templates' newest modification when it was
    loaded, so an edited template (under `apidocs serve`) is rendered afresh once the languages
    are loaded again. Bounded by total text (oldest dropped first).
    """

    def __init__(self, budget: int = 16 * 1024 * 1024) -> None:
        self.budget = budget  # characters kept at most
        self.held = 0
        self.entries: OrderedDict[tuple[str, Language, str], str] = OrderedDict()
        self.lock = threading.Lock()

    def key(self, folder: Path, language: Language, request: HttpRequest) -> tuple[str, Language, str]:
        return str(folder), language, repr(request)

    def get(self, key: tuple[str, Language, str]) -> str | None:
        with self.lock:
            text = self.entries.get(key)
            if text is not None:
                self.entries.move_to_end(key)
            return text

    def put(self, key: tuple[str, Language, str], text: str) -> None:
        cost = len(text) + len(key[2])
        if cost > self.budget:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = text
            self.held += cost
            while self.held > self.budget:
                old_key, old_text = self.entries.popitem(last=False)
                self.held -= len(old_text) + len(old_key[2])


_recent = _RecentSnippets()


def render_snippet(folder: Path, language: Language, request: HttpRequest) -> str:
    key = _recent.key(folder, language, request)
    text = _recent.get(key)
    if text is None:
        text = _render_snippet(folder, language, request)
        _recent.put(key, text)
    return text


@lru_cache(maxsize=64)
def _template(folder: Path, name: str, stamp: float) -> jinja2.Template:
    """The compiled template, kept per stamp of the snippets folder (`Language.stamp`): Jinja
    would otherwise ask the file system whether it changed at every render (1% of a build)."""
    return snippet_environment(folder).get_template(name)


def _render_snippet(folder: Path, language: Language, request: HttpRequest) -> str:
    try:
        template = _template(folder, language.template, language.stamp)
        text = template.render(request=request)
    except jinja2.TemplateError as error:
        where = f"{folder / language.template}:{template_line_of(error, folder / language.template)}"
        raise SnippetError(f"{where}: {error}") from None
    except ValueError as error:  # a value the language cannot express (QuotingError)
        raise SnippetError(f"{language.label}: {error}") from None
    return text.strip("\n") + "\n"


def render_snippets(folder: Path, request: HttpRequest) -> list[tuple[Language, str]]:
    return [(language, render_snippet(folder, language, request)) for language in load_languages(folder)]


def template_line_of(error: BaseException, path: Path) -> int:
    """The line of the template at `path` that raised: Jinja rewrites its traceback to point into
    the template (an error while rendering has no `lineno` of its own; a syntax error has)."""
    name = path.resolve()
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if frame.lineno and Path(frame.filename).resolve() == name]
    return lines[-1] if lines else getattr(error, "lineno", None) or 1
