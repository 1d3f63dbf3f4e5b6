"""Checks on one definition file: its path, its example, its snippets, its secrets.

Each check returns findings; the file's own context decides their severity (a pasted snippet
is published by Jekyll, dropped by apidocs).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apidocs.definitions.body import FENCE_OPENING
from apidocs.definitions.format import definition_schema
from apidocs.definitions.loader import OPT_IN_KEY, path_from_title
from apidocs.definitions.scaffold import FIELD_PLACEHOLDER, SKELETON_TEXT
from apidocs.definitions.secrets import Secret, find_secrets
from apidocs.definitions.snippet_checks import SnippetRequest, python_problems, request_of
from apidocs.lint.codes import finding
from apidocs.lint.source import SourceFile
from apidocs.lint.target import LintTarget
from apidocs.model.endpoint import HTTP_METHODS, NO_BODY, Endpoint
from apidocs.model.errors import Finding
from apidocs.model.forms import FORM_MEDIA_TYPE, is_form
from apidocs.model.multipart import MULTIPART_MEDIA_TYPE, is_multipart
from apidocs.model.positions import LAST
from apidocs.model.raw import is_raw
from apidocs.model.values import ValueCheck, example_values, field_values

_BROKEN_ENTITY = re.compile(r"&(lt|gt)(?!;)")
_FENCE = re.compile(rf"^\s*(?P<fence>{FENCE_OPENING})\s*(?P<lang>[\w+.#-]*)")


def shape_of(source: SourceFile) -> Endpoint | None:
    """The endpoint a file describes: the loaded one, or (if the loader refused the file) one
    built from its title and method, good enough to compare snippets against."""
    if source.endpoint is not None:
        return source.endpoint
    title = source.raw_title
    if not title.startswith("/"):
        return None
    path = path_from_title(title)
    if "<" in path or ">" in path or "&" in path:
        return None
    method = str((source.front.data.get("method") if source.front else None) or "").upper()
    return Endpoint(source.path, "", path, LAST, [], [], method=method if method in HTTP_METHODS else "", path=path)


def check_file(source: SourceFile, target: LintTarget) -> list[Finding]:
    findings = list(source.findings)
    if source.front is None:
        return findings + list(_secrets(source, target))
    endpoint = shape_of(source)
    findings += _placeholders(source)
    findings += _skeleton_left(source)
    findings += _empty_keys(source)
    findings += _misspelt_keys(source)
    if endpoint is not None:
        findings += _path_parameters(source, endpoint)
        findings += _snippet_requests(source, endpoint, target)
        findings += _example(source, target)
        findings += _encoding_unused(source, endpoint)
        findings += _refused_examples(source, endpoint, target)
    findings += _python(source, target)
    findings += _right_code_on_plain_page(source, target)
    findings += list(_secrets(source, target))
    return findings


# Keys a definition gives only to say something: present and empty is a slip (a skeleton not filled in).
_KEYS_NEEDING_A_VALUE = ("title", "name", "position", "visibility", "method", "description")


def _skeleton_left(source: SourceFile) -> list[Finding]:
    """The skeleton's own words still in the file: the page would publish them."""
    findings = []
    # A field the example or a response names `field_name` is the API's own, not the skeleton's.
    field_is_real = source.front is not None and _names_key(source.front.data, FIELD_PLACEHOLDER)
    for number, line in source.numbered_lines:
        found = SKELETON_TEXT.search(line.strip())
        if found is not None and not (field_is_real and found.group() == FIELD_PLACEHOLDER):
            findings.append(finding(source.path, number, 120,
                                    f"the skeleton's {found.group()!r} is still here: replace it with this endpoint's own",
                                    is_error=True))
    return findings


def _names_key(data: Any, name: str) -> bool:
    """Whether a mapping anywhere in the front matter has the key `name` (iteratively, each value
    once: YAML aliases can make a list hold itself)."""
    stack, seen = [data], set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            if name in value:
                return True
            stack += value.values()
        elif isinstance(value, list):
            stack += value
    return False


def _empty_keys(source: SourceFile) -> list[Finding]:
    data = source.front.data if source.front else {}
    return [finding(source.path, source.line_of(key), 121, f"`{key}` has no value: give it one or remove the line",
                    is_error=True)
            for key in _KEYS_NEEDING_A_VALUE if key in data and (data[key] is None or str(data[key]).strip() == "")]


def _misspelt_keys(source: SourceFile) -> list[Finding]:
    """Keys apidocs does not read that are near one it does (`respones`, `exmaple`): the page is
    built without what the writer meant, silently. Other keys (Jekyll's `layout`, Material's
    `hide`) are the site's own business and pass."""
    data = source.front.data if source.front else {}
    known = sorted({*definition_schema().get("properties", {}), OPT_IN_KEY})
    findings = []
    for key in data if isinstance(data, dict) else ():
        if not isinstance(key, str) or key in known:
            continue
        near = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.8)
        if near:
            findings.append(finding(source.path, source.line_of(key), 122,
                                    f"unknown key `{key}` is ignored: did you mean `{near[0]}`?", is_error=False))
    return findings


def _placeholders(source: SourceFile) -> list[Finding]:
    title = source.raw_title
    if not _BROKEN_ENTITY.search(title):
        return []
    fixed = _BROKEN_ENTITY.sub(lambda m: f"&{m.group(1)};", title)
    return [finding(source.path, source.line_of("title"), 101,
                    f"malformed path placeholder in {title!r}: write {fixed!r} (the semicolons are missing)", is_error=False)]


def _path_parameters(source: SourceFile, endpoint: Endpoint) -> list[Finding]:
    documented = {p.name for group in endpoint.groups if group.kind == "path" for p in group.parameters}
    if source.endpoint is None:  # the loader refused the file: read its URL Parameters ourselves
        documented = {p.name for block in source.body.blocks if block.group and block.group.kind == "path"
                      for p in block.group.parameters}
    if any(f.code == "E007" for f in source.findings):
        return []  # the loader's finding names the misspelt parameter already
    missing = [name for name in endpoint.path_parameters if name not in documented]
    return [finding(source.path, source.line_of("title"), 102,
                    f"path parameter `{name}` is not documented (add it under `### URL Parameters`)", is_error=False)
            for name in missing]


def _empty_segment_names(endpoint: Endpoint, path: str) -> list[str] | None:
    """The parameters whose value is empty in `path`, or None when the path has another shape."""
    found = endpoint.template.match(path, allow_empty=True)
    if found is None:
        return None
    return [name for name, value in found.items() if not value]


def _snippet_requests(source: SourceFile, endpoint: Endpoint, target: LintTarget) -> list[Finding]:
    """Each pasted snippet must send the definition's method to a path of the definition's shape."""
    published = target.snippets_are_published
    grouped: dict[tuple[int, str], list[SnippetRequest]] = {}
    for snippet in source.pasted:
        request = request_of(snippet)
        if request is None:
            continue
        if request.method and endpoint.method and request.method != endpoint.method:
            how = " (curl's method when given -d and no -X)" if request.is_method_implied else ""
            grouped.setdefault((201, f"snippet sends {request.method}{how}, the definition says {endpoint.method}"), []).append(request)
        path = request.path
        if endpoint.template.matches(path):
            continue
        empty = _empty_segment_names(endpoint, path)
        if empty:
            names = ", ".join(f"`{name}`" for name in empty)
            grouped.setdefault((110, f"example URL {path} has an empty path segment: no value for {names}"), []).append(request)
        elif "//" in path.lstrip("/"):
            grouped.setdefault((110, f"example URL {path} has an empty path segment"), []).append(request)
        else:
            grouped.setdefault((111, f"snippet calls {path}, which does not fit the path {endpoint.path}"), []).append(request)
    return [finding(source.path, requests[0].line, number, _with_others(message, requests), is_error=published)
            for (number, message), requests in grouped.items()]


def _with_others(message: str, requests: list[SnippetRequest]) -> str:
    labels = [r.label for r in requests]
    if len(labels) == 1:
        return f"{message} ({labels[0]} snippet)"
    return f"{message} ({', '.join(labels)} snippets; lines {', '.join(str(r.line) for r in requests)})"


def _example(source: SourceFile, target: LintTarget) -> list[Finding]:
    endpoint = source.endpoint
    if endpoint is None:
        return []
    findings = _example_params(source)
    snippets_explain = any(not endpoint.template.matches(request.path)
                           for request in map(request_of, source.pasted) if request is not None)
    if not endpoint.is_example_complete and not findings and not snippets_explain:
        # The loader stands `NAME` in for a missing value; say which ones, unless 110/111 said it.
        missing = [name for name in endpoint.path_parameters if endpoint.example.path_params.get(name) == name.upper()]
        findings.append(finding(source.path, source.line_of("title"), 112,
                                f"no example value for {', '.join(f'`{n}`' for n in missing)}: snippets show a placeholder "
                                "and `apidocs check` skips this endpoint (add `example: params:`)", is_error=False))
    if endpoint.method in ("GET", "HEAD") and endpoint.example.has_body:
        findings.append(finding(source.path, _body_line(source), 113,
                                f"{endpoint.method} example sends a body ({_short(endpoint.example.body)}): "
                                "most servers ignore or refuse it", is_error=False))
    return findings + _required_fields(source, endpoint)


def _example_params(source: SourceFile) -> list[Finding]:
    """`example.params` values that cannot be one path segment."""
    raw = source.front.data.get("example") if source.front else None
    params = raw.get("params") if isinstance(raw, dict) else None
    if not isinstance(params, dict):
        return []
    findings = []
    for name, value in params.items():
        text = "" if value is None else str(value)
        if not text.strip():
            findings.append(finding(source.path, source.line_of("example"), 110,
                                    f"example value of `{name}` is empty: the URL gets an empty path segment", is_error=True))
        elif "/" in text:
            findings.append(finding(source.path, source.line_of("example"), 111,
                                    f"example value of `{name}` contains '/': it does not fit one path segment", is_error=True))
    return findings


def _required_fields(source: SourceFile, endpoint: Endpoint) -> list[Finding]:
    """Fields the Request Parameters mark required must be in the example body the snippets send."""
    required = endpoint.required_body_fields
    body = endpoint.example.body
    if not required or (body is not NO_BODY and not isinstance(body, dict)):
        return []  # nothing required, or a list/scalar body the parameter list does not describe
    if body is NO_BODY and endpoint.request_required is False:
        return []  # the operation takes no body too, and the example sends none
    # A nested field is required only where its parent is there, as the sandbox reads it.
    missing = [p.name for p in required if field_values(body if isinstance(body, dict) else {}, p)[1]]
    if not missing:
        return []
    return [finding(source.path, _body_line(source), 403,
                    f"required request parameter(s) {', '.join(f'`{n}`' for n in missing)} missing from the example body",
                    is_error=True)]


def _encoding_unused(source: SourceFile, endpoint: Endpoint) -> list[Finding]:
    """`request.encoding` says how a form's (or a multipart body's) lists travel, `request.files`
    which members of a multipart body are files, `request.body_file` that a raw body is a file:
    on a body sent as anything else they do nothing."""
    front = source.front
    found = []
    sent_as = endpoint.request_content_type
    if endpoint.request_encoding and not (is_form(sent_as) or is_multipart(sent_as)):
        line = front.path_lines.get(("request", "encoding"), front.line_of("request")) if front else 1
        found.append(finding(source.path, line, 114, f"`request.encoding` is for form bodies ({FORM_MEDIA_TYPE} or "
                             f"{MULTIPART_MEDIA_TYPE}); this body is sent as {sent_as}, so it changes nothing", is_error=False))
    if endpoint.request_files and not is_multipart(sent_as):
        line = front.path_lines.get(("request", "files"), front.line_of("request")) if front else 1
        found.append(finding(source.path, line, 116, f"`request.files` is for multipart bodies ({MULTIPART_MEDIA_TYPE}); this "
                             f"body is sent as {sent_as}, so it changes nothing", is_error=False))
    if endpoint.request_body_file and not is_raw(sent_as):
        line = front.path_lines.get(("request", "body_file"), front.line_of("request")) if front else 1
        found.append(finding(source.path, line, 117, "`request.body_file` is for a body sent as it is (its Content-Type neither "
                             f"JSON nor a form); this body is sent as {sent_as}, so it changes nothing", is_error=False))
    return found


def _refused_examples(source: SourceFile, endpoint: Endpoint, target: LintTarget) -> list[Finding]:
    """Example values their parameter's schema or `(type)` refuses: the sandbox lets the example
    win and stops checking that parameter, so the page would promise a check it does not make."""
    found = []
    places = ("query", "header") if not endpoint.is_example_complete else ("path", "query", "header")
    for place in places:
        group = endpoint.group_of_kind(place)
        for parameter in group.parameters if group else []:
            if place == "header" and parameter.name.lower() == (target.auth_header or "authorization").lower():
                continue
            check = ValueCheck(parameter, place, endpoint.parameter_schema(place, parameter.name))
            problem = next(filter(None, (check.problem(value) for value in example_values(endpoint, place, parameter.name))), None)
            if problem is not None:
                line = (source.front.path_lines.get(("request", "parameters", place, parameter.name), source.line_of("example"))
                        if source.front else 1)
                found.append(finding(source.path, line, 115, f"the example's {problem}: the sandbox lets the example win and "
                                     "does not check this parameter (fix the example or the schema)", is_error=False))
    return found


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _body_line(source: SourceFile) -> int:
    """Where the example body was written: `example.body`, the right_code Request, or the pasted curl."""
    raw = source.front.data.get("example") if source.front else None
    if isinstance(raw, dict) and "body" in raw:
        return source.line_of("example")
    request = next((e for e in source.right_code if e.title.lower().startswith("request") and e.value is not NO_BODY), None)
    if request is not None:
        return request.line
    endpoint = source.endpoint
    if endpoint is not None and endpoint.harvested is not None and endpoint.harvested.body is not NO_BODY:
        return endpoint.harvested.line
    return source.line_of("title")


def _python_blocks(source: SourceFile) -> Iterator[tuple[int, str, bool]]:
    """(first code line, code, is_pasted) for every Python request snippet of the file."""
    for snippet in source.pasted:
        if snippet.language == "python" or "requests." in snippet.code:
            yield snippet.line + 1, snippet.code, True
    for example in source.right_code:
        if example.language == "python":
            yield example.line + 1, example.text, True
    index = 0
    lines = source.lines
    while index < len(lines):
        match = _FENCE.match(lines[index].text)
        if not match:
            index += 1
            continue
        end = next((j for j in range(index + 1, len(lines)) if lines[j].text.strip().startswith(match.group("fence"))), len(lines))
        code = "\n".join(line.text for line in lines[index + 1 : end])
        if match.group("lang").lower() == "python" and "requests." in code and not source.is_pasted_line(lines[index].number):
            yield lines[index].number + 1, code, False
        index = end + 1


_PROBLEM_NUMBERS = {"syntax": 202, "empty-dumps": 203, "never-called": 204}


def _python(source: SourceFile, target: LintTarget) -> list[Finding]:
    findings = []
    for first_line, code, is_pasted in _python_blocks(source):
        is_published = target.snippets_are_published or not is_pasted
        for problem in python_problems(code, first_line):
            findings.append(finding(source.path, problem.line, _PROBLEM_NUMBERS[problem.kind], problem.message, is_error=is_published))
    return findings


def _right_code_on_plain_page(source: SourceFile, target: LintTarget) -> list[Finding]:
    if target.is_jekyll or source.document is None or source.document.is_endpoint or not source.right_code:
        return []
    return [finding(source.path, source.line_of("right_code"), 130,
                    "`right_code` on a page without `method` is not shown: move its examples into the page", is_error=False)]


def _secrets(source: SourceFile, target: LintTarget) -> Iterator[Finding]:
    """Cookies and unknown tokens, once per value and file, at the first line that matters: the
    first published one if there is one (an error), else the first pasted one."""
    seen: dict[tuple[str, str], list[int]] = {}
    for secret in find_secrets(source.numbered_lines, target.known_tokens):
        seen.setdefault((secret.kind, secret.value), []).append(secret.line)
    for (kind, value), lines in seen.items():
        published = lines if target.snippets_are_published else [n for n in lines if not source.is_pasted_line(n)]
        first = (published or lines)[0]
        others = [n for n in lines if n != first]
        more = f" (also line{'s' * (len(others) > 1)} {', '.join(map(str, others))})" if others else ""
        where = "page" if published and not target.snippets_are_published else "pasted snippet"
        yield _secret_finding(source.path, first, kind, value, where, more, bool(published))
    if source.overlay is not None:
        overlay_lines = enumerate(source.overlay.read_text(encoding="utf-8").split("\n"), 1)
        for secret in find_secrets(overlay_lines, target.known_tokens):
            yield _secret_finding(source.overlay, secret.line, secret.kind, secret.value, "page", "", True)


def _secret_finding(path: Path, line: int, kind: str, value: str, where: str, more: str, is_published: bool) -> Finding:
    masked = Secret(line, kind, value).masked
    if kind == "cookie":
        return finding(path, line, 301, f"session cookie `{masked}` in a {where}{more}: remove it", is_error=is_published)
    return finding(path, line, 302, f"token `{masked}` in a {where} is not the documented placeholder{more}: "
                                    "use the placeholder (or list it under auth.demo_tokens)", is_error=is_published)
