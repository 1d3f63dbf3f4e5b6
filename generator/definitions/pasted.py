"""Snippets pasted into definitions by hand (from a desktop HTTP client).

They are never shown: generated snippets replace them. They are read for the example request
they carry (path values, query, headers, JSON body) and kept for lint to judge.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from apidocs.model.endpoint import NO_BODY

# Titles the source site gave its pasted snippets, lower-cased.
SNIPPET_TITLES = {"curl", "httpie", "python", "python (requests)", "node", "node.js", "javascript", "js", "ruby", "php", "go", "java"}
# Headers that never belong in an example: they are per-session or per-machine.
SECRET_HEADERS = {"cookie", "set-cookie"}


@dataclass
class PastedSnippet:
    title: str
    language: str
    code: str
    line: int  # line of the opening fence
    end_line: int  # line of the attribute line (or closing fence)


@dataclass
class HarvestedRequest:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = NO_BODY
    body_text: str | None = None
    line: int = 0
    dropped_headers: list[str] = field(default_factory=list)

    @property
    def path(self) -> str | None:
        return unquote(urlsplit(self.url).path) if self.url else None

    @property
    def raw_path(self) -> str | None:
        return urlsplit(self.url).path if self.url else None

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True) if self.url else []

    @property
    def host(self) -> str | None:
        if not self.url:
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def is_snippet_title(title: str) -> bool:
    return title.strip().lower() in SNIPPET_TITLES


_ANSI_C = re.compile(r"\$'((?:[^'\\]|\\.)*)'", re.S)
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "e": "\x1b", "a": "\a", "b": "\b"}


def _decode_ansi_c(match: re.Match[str]) -> str:
    text = re.sub(r"\\(.)", lambda m: _ANSI_ESCAPES.get(m.group(1), "\\" + m.group(1)), match.group(1), flags=re.S)
    return shlex.quote(text)


def _shell_words(code: str) -> list[str]:
    joined = re.sub(r"\\\r?\n", " ", code)
    joined = _ANSI_C.sub(_decode_ansi_c, joined)
    return shlex.split(joined, comments=False)


def _parse_json(text: str | None) -> Any:
    if text is None:
        return NO_BODY
    try:
        return json.loads(text)
    except ValueError:
        return NO_BODY


def harvest_curl(snippet: PastedSnippet) -> HarvestedRequest | None:
    try:
        words = _shell_words(snippet.code)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    request = HarvestedRequest(line=snippet.line)
    data: str | None = None
    index = 1
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else None
        if word in ("-X", "--request") and value is not None:
            request.method = value.upper()
            index += 2
        elif word in ("-H", "--header") and value is not None:
            name, _, header_value = value.partition(":")
            name = name.strip()
            if name.lower() in SECRET_HEADERS:
                request.dropped_headers.append(name)
            else:
                request.headers.append((name, header_value.strip()))
            index += 2
        elif word in ("-d", "--data", "--data-raw", "--data-binary", "--json") and value is not None:
            data = value
            index += 2
        elif word.startswith("-"):
            index += 1
        else:
            request.url = request.url or word
            index += 1
    if request.method is None:
        request.method = "POST" if data is not None else "GET"
    request.body_text = data
    request.body = _parse_json(data)
    return request


_PY_URL = re.compile(r"""url\s*=\s*["']([^"']+)["']""")
_PY_METHOD = re.compile(r"requests\.(get|post|put|patch|delete|head|options)\(")


def harvest_python(snippet: PastedSnippet) -> HarvestedRequest | None:
    url = _PY_URL.search(snippet.code)
    if not url:
        return None
    method = _PY_METHOD.search(snippet.code)
    return HarvestedRequest(method=method.group(1).upper() if method else None, url=url.group(1), line=snippet.line)


def harvest(snippets: list[PastedSnippet]) -> HarvestedRequest | None:
    """The example request the pasted snippets carry: curl first, then Python's URL."""
    for snippet in snippets:
        if snippet.title.lower() == "curl" or snippet.code.lstrip().startswith("curl "):
            found = harvest_curl(snippet)
            if found and found.url:
                return found
    for snippet in snippets:
        if snippet.language == "python":
            found = harvest_python(snippet)
            if found:
                return found
    return None
