"""What a snippet asks for, and whether it can work at all.

`request_of()` reads the method and URL a snippet sends (curl, HTTPie, Python requests, Node
https), with the line each was written on; `python_problems()` finds Python that cannot run or
does nothing: a syntax error, `json.dumps()` with no argument, a function never called.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from apidocs.definitions.pasted import PastedSnippet, harvest_curl, harvest_python

_HTTPIE = re.compile(r"""^https?\s+(?:-[-\w=]+\s+)*(?:(?P<method>[A-Za-z]+)\s+)?(?P<q>['"]?)(?P<url>[^'"\s]+)(?P=q)""")
_NODE_HOST = re.compile(r"""hostname\s*:\s*['"](?P<host>[^'"]+)['"]""")
_NODE_PATH = re.compile(r"""\bpath\s*:\s*['"](?P<path>[^'"]*)['"]""")
_NODE_METHOD = re.compile(r"""\bmethod\s*:\s*['"](?P<method>[A-Za-z]+)['"]""")
_EMPTY_DUMPS = re.compile(r"\bjson\.dumps\(\s*\)")


@dataclass(frozen=True)
class SnippetRequest:
    """The request line of one snippet."""

    label: str  # the snippet's title, e.g. "Curl"
    method: str | None
    url: str
    line: int  # line of the URL in the file
    is_method_implied: bool = False  # curl with -d and no -X: it sends POST

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.url).path)

    @property
    def host(self) -> str | None:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


@dataclass(frozen=True)
class Problem:
    line: int
    kind: str  # "syntax" | "empty-dumps" | "never-called"
    message: str


def line_of(snippet: PastedSnippet, needle: str) -> int:
    """The file line of the first code line containing `needle` (the fence line if none)."""
    for index, text in enumerate(snippet.code.split("\n")):
        if needle and needle in text:
            return snippet.line + 1 + index
    return snippet.line


def _httpie(snippet: PastedSnippet) -> tuple[str | None, str] | None:
    """`http [--options] [METHOD] URL items…`: only the words up to the URL are read, since the
    items after it may be multi-line JSON no tokenizer agrees on."""
    match = _HTTPIE.match(snippet.code.strip())
    if not match:
        return None
    return (match.group("method").upper() if match.group("method") else None), match.group("url")


def request_of(snippet: PastedSnippet) -> SnippetRequest | None:
    """The method and URL one pasted snippet sends, if it is a request we can read."""
    code = snippet.code.lstrip()
    language = snippet.language
    if code.startswith("curl"):
        found = harvest_curl(snippet)
        if found and found.url:
            return SnippetRequest(snippet.title, found.method, found.url, line_of(snippet, found.url), not found.method_given)
        return None
    if code.startswith(("http ", "https ")):
        found_httpie = _httpie(snippet)
        if found_httpie:
            method, url = found_httpie
            if not url.startswith(("http://", "https://")):
                url = "https://" + url.lstrip(":/") if "." in url.split("/")[0] else url
            return SnippetRequest(snippet.title, method, url, line_of(snippet, url.split("://")[-1]))
        return None
    if language == "python" or "requests." in code:
        found = harvest_python(snippet)
        if found and found.url:
            assignment = f'url="{found.url}"'  # not the `# PATCH https://…` comment above it
            needle = assignment if assignment in snippet.code else found.url
            return SnippetRequest(snippet.title, found.method, found.url, line_of(snippet, needle))
        return None
    host, path = _NODE_HOST.search(snippet.code), _NODE_PATH.search(snippet.code)
    if host and path:
        node_method = _NODE_METHOD.search(snippet.code)
        return SnippetRequest(snippet.title, node_method.group("method").upper() if node_method else None,
                              f"https://{host.group('host')}{path.group('path')}", line_of(snippet, path.group(0)))
    return None


def python_problems(code: str, first_line: int) -> list[Problem]:
    """Why this Python cannot work; `first_line` is the file line of the code's first line."""
    source = textwrap.dedent(code)
    problems: list[Problem] = []
    for index, text in enumerate(source.split("\n")):
        if _EMPTY_DUMPS.search(text):
            problems.append(Problem(first_line + index, "empty-dumps",
                                    "`json.dumps()` has no argument: the snippet raises TypeError before sending anything"))
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        line = first_line + (error.lineno or 1) - 1
        message = re.sub(r"\s*\(detected at line \d+\)", "", error.msg)  # a line of the snippet, not of the file
        problems.append(Problem(line, "syntax", f"Python snippet does not compile: {message}"))
        return problems + _never_called_by_text(source, first_line)
    return problems + _never_called(tree, first_line)


def _never_called(tree: ast.Module, first_line: int) -> list[Problem]:
    """Top-level functions nobody calls, in a snippet whose only statements are imports and defs."""
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    does_something = any(not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom, ast.Expr))
                         or (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant))
                         for node in tree.body)
    if not functions or does_something:
        return []
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return [Problem(first_line + node.lineno - 1, "never-called",
                    f"defines `{node.name}()` but never calls it: running the snippet sends nothing")
            for node in functions if node.name not in called]


def _never_called_by_text(source: str, first_line: int) -> list[Problem]:
    """The same judgement for code that does not parse, read from the text."""
    problems = []
    for index, text in enumerate(source.split("\n")):
        match = re.match(r"def\s+(\w+)\s*\(", text)
        if match and len(re.findall(rf"\b{re.escape(match.group(1))}\s*\(", source)) == 1:
            problems.append(Problem(first_line + index, "never-called",
                                    f"defines `{match.group(1)}()` but never calls it: running the snippet sends nothing"))
    return problems
