"""Lint of the snippet templates (`snippets/*.j2`): each one compiled and rendered for sample requests.

Without this, a template error (an unknown filter, an undefined name, a syntax error, Python
that defines a function and never calls it) shows only in `apidocs check` or the build, once per
endpoint and without the template's line. Here it is one finding, `template:line: E140 message`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from apidocs.definitions.snippet_checks import python_problems
from apidocs.lint.codes import finding
from apidocs.model.endpoint import NO_BODY
from apidocs.model.errors import ConfigError, Finding
from apidocs.rendering.languages import Language, load_languages
from apidocs.rendering.request import HttpRequest
from apidocs.rendering.snippets import snippet_environment, template_line_of

TEMPLATE_CHECK = 140
MESSAGE_LIMIT = 300  # characters of an error message kept (a template can raise anything)

# Requests with every shape a template must handle: no body and a query; a JSON body with
# nested values, characters each language must quote, and extra headers; a form; a multipart
# body with a file, several files under one name, text fields and an object; a text body sent
# as it is; a body that is a file's bytes.
SAMPLE_REQUESTS = (
    HttpRequest("GET", "https://api.example.com/v1", "/orders/7f1c2f4e-0000-4000-8000-000000000001",
                [("status", "open"), ("limit", "10")], [("Authorization", "Bearer <token>")], NO_BODY, "Get Order"),
    HttpRequest("POST", "https://api.example.com/v1", "/orders/7f1c2f4e-0000-4000-8000-000000000001/cancel", [],
                [("Authorization", "Bearer <token>"), ("Idempotency-Key", "it's \"quoted\" $HOME")],
                {"reason": "Out of stock: it's \"gone\"", "lines": [{"sku": "A-1", "quantity": 2}], "notify": True,
                 "note": None, "price": 12.5},
                "Cancel Order"),
    HttpRequest("POST", "https://api.example.com/v1", "/charges", [],
                [("Authorization", "Bearer <token>"), ("Content-Type", "application/x-www-form-urlencoded")],
                {"amount": 2000, "expand": ["customer", "invoice"], "metadata": {"note": "it's \"fine\" & 100%"}},
                "Create Charge", {"expand": ","}),
    HttpRequest("POST", "https://api.example.com/v1", "/documents", [], [("Authorization", "Bearer <token>")],
                {"title": "Q3 \"report\" it's", "file": "report.csv", "scans": ["a.png", "b.png"], "meta": {"source": "$HOME"}},
                "Upload Document", {}, True, ["file", "scans"]),
    HttpRequest("POST", "https://api.example.com/v1", "/imports", [],
                [("Authorization", "Bearer <token>"), ("Content-Type", "text/csv")], "id,note\r\n1,\"it's $HOME\"\r\n",
                "Import Rows"),
    HttpRequest("PUT", "https://api.example.com/v1", "/avatar", [],
                [("Authorization", "Bearer <token>"), ("Content-Type", "image/png")], "cat.png", "Put Avatar", body_file=True),
)


def check_templates(folder: Path) -> list[Finding]:
    """Every problem of the templates in `folder`, at the template's line."""
    try:
        languages = load_languages(folder)
    except ConfigError as error:
        return [_finding(folder / "languages.yml", 1, str(error).removeprefix(f"{folder / 'languages.yml'}: "))]
    findings: list[Finding] = []
    for language in languages:
        findings += _check_template(folder, language)
    return findings


def _check_template(folder: Path, language: Language) -> list[Finding]:
    path = folder / language.template
    environment = snippet_environment(folder)
    try:
        template = environment.get_template(language.template)
    except jinja2.TemplateSyntaxError as error:  # unknown filters and tests are reported here too
        return [_finding(path, error.lineno or 1, f"does not compile: {_short(error)}")]
    except (jinja2.TemplateError, OSError, UnicodeDecodeError) as error:
        return [_finding(path, 1, f"cannot be read: {_short(error)}")]
    source = path.read_text(encoding="utf-8", errors="replace")
    findings: dict[tuple[int, str], Finding] = {}
    for request in SAMPLE_REQUESTS:
        try:
            text = template.render(request=request)
        except Exception as error:  # a template may raise anything; each is a finding, not a crash
            line = template_line_of(error, path)
            what = "undefined name" if isinstance(error, jinja2.UndefinedError) else type(error).__name__
            message = f"fails to render for a {request.method} request ({what}): {_short(error)}"
            findings.setdefault((line, what), _finding(path, line, message))
            continue
        if language.highlight == "python":
            rendered = text.split("\n")
            for problem in python_problems(text, 1):
                line = _line_in_template(source, rendered[problem.line - 1] if 0 < problem.line <= len(rendered) else "")
                message = f"renders Python for a {request.method} request that cannot work: {problem.message}"
                findings.setdefault((line, problem.kind), _finding(path, line, message))
    return list(findings.values())


def _line_in_template(source: str, rendered_line: str) -> int:
    """The template line a rendered line came from, when it was written literally (else line 1)."""
    wanted = rendered_line.strip()
    if wanted:
        for number, text in enumerate(source.split("\n"), start=1):
            if text.strip() == wanted:
                return number
        for number, text in enumerate(source.split("\n"), start=1):
            if wanted.split("(")[0] and text.strip().startswith(wanted.split("(")[0]):
                return number
    return 1


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "…"


def _finding(path: Path, line: int, message: str) -> Finding:
    return finding(path, line, TEMPLATE_CHECK, f"snippet template {message}", is_error=True)
