"""Render an `HttpRequest` into each language's snippet from the templates in `snippets/`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.quoting import FILTERS
from apidocs.rendering.request import HttpRequest


class SnippetError(Exception):
    """A template that fails to render; names the template and the reason."""


@lru_cache(maxsize=8)
def snippet_environment(folder: Path) -> jinja2.Environment:
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


def render_snippet(folder: Path, language: Language, request: HttpRequest) -> str:
    try:
        template = snippet_environment(folder.resolve()).get_template(language.template)
        text = template.render(request=request)
    except jinja2.TemplateError as error:
        where = f"{folder / language.template}:{getattr(error, 'lineno', None) or 1}"
        raise SnippetError(f"{where}: {error}") from None
    except ValueError as error:  # a value the language cannot express (QuotingError)
        raise SnippetError(f"{language.label}: {error}") from None
    return text.strip("\n") + "\n"


def render_snippets(folder: Path, request: HttpRequest) -> list[tuple[Language, str]]:
    return [(language, render_snippet(folder, language, request)) for language in load_languages(folder)]
