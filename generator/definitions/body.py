"""The Markdown body of a definition, cut into blocks: prose, parameter groups, pasted snippets.

Kramdown definition lists under parameter headings become `ParameterGroup`s (rendered as
tables); fenced blocks followed by `{: title="Curl" }` are pasted snippets (removed, harvested).
"""

from __future__ import annotations

import json
import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidocs.definitions.format import MAX_NUMBER_DIGITS, MAX_YAML_DEPTH
from apidocs.definitions.liquid import Line
from apidocs.definitions.pasted import PastedSnippet, is_snippet_title
from apidocs.model.endpoint import NO_BODY, Block, ExampleResponse, Parameter, ParameterGroup
from apidocs.model.errors import DefinitionError

# A fence's opening, as lint and the pre-rendered tree read it too. A backtick fence's info string
# holds no backtick (CommonMark): "```a && b```" alone on a line is a code span, not a block that
# would run to the end of the page.
FENCE_OPENING = r"~{3,}|`{3,}(?=[^`]*$)"
_FENCE = re.compile(rf"^(?P<indent>\s*)(?P<fence>{FENCE_OPENING})\s*(?P<lang>[\w+.#-]*)\s*(?P<rest>.*)$")
_ATTRIBUTES = re.compile(r"^\s*{:\s*(?P<body>.*?)\s*}\s*$")
_TITLE_ATTRIBUTE = re.compile(r"""title\s*=\s*["'](?P<title>[^"']*)["']""")
_HEADING = re.compile(r"^(?P<hashes>#{2,6})\s+(?P<title>.+?)\s*#*\s*$")
_TYPE = re.compile(r"^\(\s*(?P<type>[^)]+?)\s*\)\s*")
_REQUIRED = re.compile(r"\*{2,3}\s*required\s*\*{2,3}", re.I)
_OPTIONAL = re.compile(r"\*{1,3}\s*optional\s*\*{1,3}", re.I)
_SPACES = re.compile(r"\s{2,}")


def group_kind(title: str) -> str | None:
    """What a heading's definition list documents, or None when it is not a parameter list."""
    lowered = title.lower()
    if "url param" in lowered or "path param" in lowered:
        return "path"
    if "query" in lowered:
        return "query"
    if re.search(r"\bcookies\b|\bcookie param", lowered):  # not a `Cookie Object`
        return "cookie"
    if "header" in lowered:
        return "header"
    if "request" in lowered or "body param" in lowered:
        return "request"
    if "response" in lowered and ("param" in lowered or "field" in lowered):
        return "response"
    if "object" in lowered or "param" in lowered or "field" in lowered or "attribute" in lowered:
        return "object"
    return None


@dataclass
class ParsedBody:
    blocks: list[Block] = field(default_factory=list)
    pasted: list[PastedSnippet] = field(default_factory=list)


def _attribute_title(line: str) -> str | None:
    match = _ATTRIBUTES.match(line)
    if not match:
        return None
    title = _TITLE_ATTRIBUTE.search(match.group("body"))
    return title.group("title") if title else ""


def _find_fence_end(lines: list[Line], start: int, fence: str) -> int:
    for index in range(start + 1, len(lines)):
        stripped = lines[index].text.strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) <= {fence[0]}:
            return index
    return len(lines) - 1


def _parse_description(text: str) -> tuple[str | None, bool, str]:
    type_match = _TYPE.match(text)
    kind = type_match.group("type") if type_match else None
    rest = text[type_match.end() :] if type_match else text
    is_required = False
    if "*" in rest:  # both markers are emphasis: most descriptions have none (imported ones are long)
        is_required = bool(_REQUIRED.search(rest))
        rest = _OPTIONAL.sub("", _REQUIRED.sub("", rest))
    return kind, is_required, _SPACES.sub(" ", rest).strip()


def _term_name(text: str) -> str:
    """A term's parameter name. A name that Markdown would read as something else at the start of
    a line (`:name`, `#tag`, `-x`) is written with a backslash before it, `\\:name`, which
    Markdown shows as `:name`: the name is that."""
    name = text.strip().strip("`")
    if len(name) > 1 and name[0] == "\\" and name[1] in string.punctuation:
        return name[1:]
    return name


def _is_term(lines: list[Line], index: int) -> bool:
    """A definition-list term: a plain line directly followed by a `: ` description line."""
    text = lines[index].text
    if not text.strip() or text.startswith((":", "#", "|", "~", "`", " ", "\t", "{", "<", "-", "*", ">")):
        return False
    return index + 1 < len(lines) and lines[index + 1].text.startswith(":")


def parse_body(lines: list[Line]) -> ParsedBody:
    parsed = ParsedBody()
    prose: list[str] = []
    heading: str | None = None
    heading_line = 0

    def flush() -> None:
        text = "\n".join(prose).strip("\n")
        if text.strip():
            parsed.blocks.append(Block(markdown=text + "\n"))
        prose.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line.text)
        if fence:
            end = _find_fence_end(lines, index, fence.group("fence"))
            after = end + 1
            while after < len(lines) and not lines[after].text.strip() and after - end <= 1:
                after += 1
            title = _attribute_title(lines[after].text) if after < len(lines) else None
            code = "\n".join(item.text for item in lines[index + 1 : end])
            language = fence.group("lang").lower()
            if title is not None and (is_snippet_title(title) or _looks_like_request(code)):
                parsed.pasted.append(PastedSnippet(title, language, code + "\n", line.number, lines[after].number))
                index = after + 1
                continue
            header = f"{fence.group('indent')}{fence.group('fence')} {fence.group('lang')}".rstrip()
            extra = fence.group("rest")
            if title:
                extra = f'{extra} title="{title}"'.strip()
            prose.append(f"{header} {extra}".rstrip() if extra else header)
            prose.extend(item.text for item in lines[index + 1 : end + 1])
            index = (after + 1) if title is not None else (end + 1)
            continue
        heading_match = _HEADING.match(line.text)
        if heading_match:
            heading = heading_match.group("title").rstrip(":").strip()
            heading_line = line.number
            prose.append(line.text)
            index += 1
            continue
        kind = group_kind(heading) if heading else None
        if kind and _is_term(lines, index):
            flush()
            group = ParameterGroup(heading or "", kind, [], heading_line)
            while index < len(lines) and (_is_term(lines, index) or not lines[index].text.strip()):
                if not lines[index].text.strip():
                    # A blank line ends the list unless another term follows.
                    nxt = index + 1
                    while nxt < len(lines) and not lines[nxt].text.strip():
                        nxt += 1
                    if nxt < len(lines) and _is_term(lines, nxt):
                        index = nxt
                        continue
                    break
                term = lines[index]
                description = lines[index + 1].text[1:].strip()
                index += 2
                while index < len(lines) and lines[index].text.startswith(("  ", "\t")) and lines[index].text.strip():
                    description += " " + lines[index].text.strip()
                    index += 1
                kind_name, is_required, text = _parse_description(description)
                group.parameters.append(Parameter(_term_name(term.text), kind_name, is_required, text, term.number))
            parsed.blocks.append(Block(group=group))
            continue
        if _ATTRIBUTES.match(line.text):
            index += 1  # a stray kramdown attribute line means nothing to Python-Markdown
            continue
        prose.append(line.text)
        index += 1
    flush()
    return parsed


def _looks_like_request(code: str) -> bool:
    start = code.lstrip()
    return start.startswith(("curl ", "http ")) or "requests." in code or "httpTransport" in code


@dataclass
class RightCodeExample:
    title: str
    language: str
    text: str
    line: int
    value: Any = NO_BODY  # parsed JSON when the block is JSON


_STATUS_IN_TITLE = re.compile(r"\b([1-5]\d\d)\b")


class JsonValueError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line  # 1-based, in the parsed text
        self.message = message


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number with {len(text.lstrip('-')):,} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_depth(text: str) -> int:
    """How deeply brackets nest outside strings (json.loads would recurse that deep)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(text: str) -> Any:
    """Strict JSON: no NaN or Infinity, integers of at most MAX_NUMBER_DIGITS digits, no lone
    surrogates, bounded nesting. Raises JsonValueError with the line of the problem."""
    if _json_depth(text) > MAX_YAML_DEPTH:
        raise JsonValueError(1, f"nested more than {MAX_YAML_DEPTH} levels deep")
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise JsonValueError(error.lineno, error.msg) from None
    except (ValueError, RecursionError) as error:
        raise JsonValueError(1, str(error) or type(error).__name__) from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonValueError(1, "a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)") from None
    return value


def parse_right_code(text: str, first_line: int, path: Path | str) -> list[RightCodeExample]:
    """Examples in `right_code`: fenced blocks, each followed by `{: title="Request" }` or similar."""
    lines = [Line(first_line + i, item) for i, item in enumerate(text.split("\n"))]
    examples: list[RightCodeExample] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index].text)
        if not fence:
            index += 1
            continue
        end = _find_fence_end(lines, index, fence.group("fence"))
        after = end + 1
        while after < len(lines) and not lines[after].text.strip() and after - end <= 1:
            after += 1
        title = _attribute_title(lines[after].text) if after < len(lines) else None
        block = "\n".join(item.text for item in lines[index + 1 : end])
        example = RightCodeExample(title or "Example", fence.group("lang").lower(), block, lines[index].number)
        if example.language in ("json", "javascript", "js", "") and block.strip():
            try:
                example.value = parse_json(block)
            except JsonValueError as error:
                if example.language == "json":
                    raise DefinitionError(path, lines[index].number + error.line,
                                          f"right_code {example.title} example is not valid JSON: {error.message}", "E020") from None
        examples.append(example)
        index = (after + 1) if title is not None else end + 1
    return examples


def responses_from_right_code(examples: list[RightCodeExample], default_status: int) -> list[ExampleResponse]:
    responses = []
    for example in examples:
        if not example.title.lower().startswith("response"):
            continue
        status = _STATUS_IN_TITLE.search(example.title)
        body = example.value if example.value is not NO_BODY else (example.text if example.text.strip() else NO_BODY)
        responses.append(ExampleResponse(int(status.group(1)) if status else default_status, body, example.title))
    return responses
