"""Escaping for every snippet language, in one place.

Each function turns a value into source text that, pasted into that language, means exactly the
value: no shell expansion, no lost backslashes, no files uploaded by a leading `@`. Templates in
`snippets/` use these as Jinja filters (see `FILTERS`); the explorer ships a JavaScript twin of
this module that the tests hold to the same output.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from json.encoder import encode_basestring  # json's own string encoder (in C)

from apidocs.model.endpoint import NO_BODY
from apidocs.model.forms import form_map, form_pieces, form_text
from apidocs.model.multipart import FILE_NAME_RULE, Part, is_file_name, multipart_parts


class QuotingError(ValueError):
    """A value that a language cannot express (the message says which and why)."""


# --- POSIX shell (bash) -------------------------------------------------------------------------

# Control characters a page cannot carry as they are: HTML reads a CR as a line break, and the
# others are not text a reader can copy. A word holding one is written `$'…'`, with escapes.
_UNSHOWN = re.compile(r"[\x01-\x08\x0b-\x1f\x7f]")
_ANSI_C_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def shell_quote(text: str) -> str:
    """Single-quote for bash: nothing inside single quotes is special but the quote itself. A
    word holding a control character other than a tab or a line feed is written `$'…'` (bash's
    ANSI-C quoting: a CR as backslash-r, others as backslash-x and two hex digits). A NUL cannot
    be in a process's argument at all."""
    text = str(text)
    if "\x00" in text:
        raise QuotingError("a shell word cannot hold a NUL character")
    if _UNSHOWN.search(text):
        return "$'" + "".join(_ANSI_C_ESCAPES.get(char) or (f"\\x{ord(char):02x}" if _UNSHOWN.match(char) else char)
                              for char in text) + "'"
    return "'" + text.replace("'", "'\\''") + "'"


def sh_joined(words: list[str], separator: str) -> str:
    """Each word quoted for bash, joined by `separator` (the template's layout, such as
    ` \\\n  --data-raw `); no words are one empty word, so an option never lacks its value."""
    return separator.join(shell_quote(word) for word in words) if words else shell_quote("")


def curl_header(header: tuple[str, str]) -> str:
    """A `-H` argument. curl drops a header given as `Name:` so an empty value is `Name;`."""
    name, value = header
    return shell_quote(f"{name};" if value == "" else f"{name}: {value}")


_HTTPIE_SPECIAL = set(":;=@")


def httpie_header(header: tuple[str, str]) -> str:
    """An HTTPie request item `Name:value`, with HTTPie's separator characters escaped."""
    name, value = header
    if value == "":
        return shell_quote(f"{name};")
    return shell_quote(f"{name}:{_httpie_escaped(value, f'header {name}')}")


def _httpie_escaped(text: str, what: str) -> str:
    for index, char in enumerate(text[:-1]):
        if char == "\\" and text[index + 1] in _HTTPIE_SPECIAL:
            raise QuotingError(f"{what}: HTTPie cannot send a backslash followed by {text[index + 1]!r}")
    return "".join("\\" + char if char in _HTTPIE_SPECIAL else char for char in text)


def httpie_part(part: Part) -> str:
    """A multipart request item: `name=text` for a field, `name@file` for a file upload."""
    name = _httpie_escaped(part.name, f"field {part.name}")
    if part.is_file:
        return shell_quote(f"{name}@{part.value}")
    return shell_quote(f"{name}={_httpie_escaped(part.value, f'field {part.name}')}")


def at_file(name: str) -> str:
    """`@name`: curl's and HTTPie's way to send a file's bytes as the body."""
    if not is_file_name(name):
        raise QuotingError(f"{name!r} is not {FILE_NAME_RULE}")
    return f"@{name}"


def curl_part(part: Part) -> str:
    """A multipart part for curl: `-F name=@file` for a file, `--form-string name=text` for a
    field (no `@`, `<` or `;type=` read into the text)."""
    if part.is_file:
        return f"-F {shell_quote(f'{part.name}=@{part.value}')}"
    return f"--form-string {shell_quote(f'{part.name}={part.value}')}"


# --- JSON text ----------------------------------------------------------------------------------

def json_text(value: object, indent: int | None = 2) -> str:
    """Pretty JSON, non-ASCII kept readable; the bytes a shell snippet sends as the body."""
    if value is NO_BODY:
        return ""
    if indent is not None:
        written: list[str] = []
        if _indented_json(value, " " * indent, "\n", written, 0):
            return "".join(written)
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)


_MAX_FAST_DEPTH = 64


def _indented_json(value: object, step: str, line: str, written: list[str], depth: int) -> bool:
    """`json.dumps(value, indent=len(step), ensure_ascii=False)` written into `written`, or False
    (with `written` unfinished) for what only `json.dumps` should judge: a key that is not text,
    a number JSON has not, a type it cannot write, a depth a cycle could reach. With `indent`,
    `json` encodes in Python, a generator per level; this is a plain recursion, about twice as
    fast, and a test holds the two to the same text."""
    if isinstance(value, str):
        written.append(encode_basestring(value))
    elif value is None:
        written.append("null")
    elif value is True:
        written.append("true")
    elif value is False:
        written.append("false")
    elif type(value) is int:
        written.append(int.__repr__(value))
    elif type(value) is float:
        if value != value or value in (math.inf, -math.inf):
            return False
        written.append(float.__repr__(value))
    elif type(value) is list or type(value) is dict:
        if not value:
            written.append("[]" if type(value) is list else "{}")
            return True
        if depth == _MAX_FAST_DEPTH:
            return False
        inner = line + step
        if type(value) is list:
            written.append("[")
            for index, item in enumerate(value):
                written.append(inner if index == 0 else "," + inner)
                if not _indented_json(item, step, inner, written, depth + 1):
                    return False
            written.append(line + "]")
        else:
            written.append("{")
            for index, (key, item) in enumerate(value.items()):  # type: ignore[union-attr]
                if type(key) is not str:
                    return False
                written.append((inner if index == 0 else "," + inner) + encode_basestring(key) + ": ")
                if not _indented_json(item, step, inner, written, depth + 1):
                    return False
            written.append(line + "}")
    else:
        return False
    return True


# --- Python -------------------------------------------------------------------------------------

_PY_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The only escapes a printable text can need, in a Python or a JavaScript "…" string (U+2028 and
# U+2029, which JavaScript escapes too, are not printable).
_PRINTABLE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def python_string(text: str) -> str:
    text = str(text)
    if text.isprintable():  # most text (no line breaks or controls): one pass in C, same result
        return '"' + text.translate(_PRINTABLE_ESCAPES) + '"'
    out = []
    for char in text:
        if char in _PY_ESCAPES:
            out.append(_PY_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def python_literal(value: object, indent: int = 4, level: int = 0) -> str:
    """A Python expression equal to a JSON value (True/False/None, exact ints, round-trip floats)."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QuotingError("JSON has no NaN or Infinity")
        return repr(value)
    if isinstance(value, str):
        return python_string(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = ",\n".join(inner + python_literal(item, indent, level + 1) for item in value)
        return "[\n" + items + ",\n" + pad + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ",\n".join(f"{inner}{python_string(str(k))}: {python_literal(v, indent, level + 1)}" for k, v in value.items())
        return "{\n" + items + ",\n" + pad + "}"
    raise QuotingError(f"not a JSON value: {type(value).__name__}")


# --- JavaScript ---------------------------------------------------------------------------------

_JS_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def python_files(parts: list[Part]) -> str:
    """The `files=` argument of `requests` for a multipart body's file parts: a dict, or a list
    of pairs when a field holds several files. Without a file, `requests` would send `data=` as
    a URL-encoded form: the text parts then go here, as `(None, text)` (a part without a file name)."""
    uploads = any(part.is_file for part in parts)
    files = [(python_string(part.name), f'open({python_string(part.value)}, "rb")' if part.is_file
              else f"(None, {python_string(part.value)})") for part in parts if part.is_file or not uploads]
    if len({name for name, _ in files}) == len(files):
        return "{" + ", ".join(f"{name}: {opened}" for name, opened in files) + "}"
    return "[" + ", ".join(f"({name}, {opened})" for name, opened in files) + "]"


def python_fields(parts: list[Part]) -> str:
    """The `data=` argument of `requests` for a multipart body's text parts: a dict whose
    repeated names hold lists (empty without a file: `python_files` holds them then)."""
    fields: dict[str, str | list[str]] = {}
    for part in parts if any(part.is_file for part in parts) else []:
        if not part.is_file:
            held = fields.get(part.name)
            fields[part.name] = part.value if held is None else [*held, part.value] if isinstance(held, list) else [held, part.value]
    return python_literal(fields)


def js_string(text: str) -> str:
    text = str(text)
    if text.isprintable():  # most text (no line breaks or controls): one pass in C, same result
        return '"' + text.translate(_PRINTABLE_ESCAPES) + '"'
    out = []
    for char in text:
        if char in _JS_ESCAPES:
            out.append(_JS_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        else:
            out.append(f"\\u{{{ord(char):x}}}")
    return '"' + "".join(out) + '"'


def js_template_literal(text: str) -> str:
    """A backtick string holding text byte for byte (used for JSON bodies: no number rounding)."""
    escaped = str(text).replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
    return "`" + escaped + "`"


def js_body(value: object) -> str:
    """The request body for Node: the JSON text itself, so big numbers are not rounded."""
    return js_template_literal(json_text(value))


# --- The table templates see --------------------------------------------------------------------

FILTERS: dict[str, Callable[..., object]] = {
    "sh": shell_quote,
    "sh_joined": sh_joined,
    "curl_header": curl_header,
    "httpie_header": httpie_header,
    "json_text": json_text,
    "py": python_literal,
    "py_str": python_string,
    "js_str": js_string,
    "js_body": js_body,
    # A form body (`model/forms.py`): its encoded text, its fields as a name → text(s) mapping,
    # and each field as it goes in the text (`name=value`).
    "form_text": form_text,
    "form_map": form_map,
    "form_pieces": form_pieces,
    # A multipart body (`model/multipart.py`): its parts, and each as its client writes it.
    "multipart_parts": multipart_parts,
    "curl_part": curl_part,
    "httpie_part": httpie_part,
    "py_files": python_files,
    "py_fields": python_fields,
    "at_file": at_file,  # a raw body that is a file (`model/raw.py`)
}


# --- The pages: definition fields shown as text in HTML and Markdown ---------------------------
# Not snippet filters: definitions are data, so a name or a description must read as the
# characters typed, never as markup, wherever the theme or Markdown puts it.

def html_text(text: str) -> str:
    """Text for HTML content or a quoted attribute value: `& < > " '` as references."""
    return html.escape(str(text), quote=True)


def html_attribute(text: str) -> str:
    """An attribute value with its quotes: the quote the text holds fewer of, the other kept
    as typed (a JSON value in `'…'` stays a fifth shorter than with every `"` a reference)."""
    text = html.escape(str(text), quote=False)
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + text.replace(quote, "&#39;" if quote == "'" else "&quot;") + quote


# What Markdown and the extensions apidocs enables read as syntax inside a line: raw HTML and
# entities, backslash escapes, code, emphasis (an underscore only at a word's edge, as Markdown
# reads it), links and images, attr_list's `{: ...}`, table pipes, heading hashes, pymdownx's
# ~ ^ = + marks and $ maths. Quotes and colons mean nothing outside those constructs.
_AS_REFERENCES = str.maketrans({character: f"&#{ord(character)};" for character in "\\`*{}[]()!<>&|#~^=+$"})
# Underscores next, in a search of their own (one class alone is scanned far faster than an
# alternation with look-arounds). A reference's `&` and `;` are no letters either, so an
# underscore is at a word's edge exactly when it was before.
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_WHITE_SPACE = re.compile(r"\s+")


def markdown_text(text: str) -> str:
    """Literal text for one line of Markdown (a heading, a table cell).

    Each active character becomes a numeric character reference: Python-Markdown passes those
    through untouched and the browser shows the character, so nothing can open a tag, a link,
    an attribute list or a new line.
    """
    line = _WHITE_SPACE.sub(" ", str(text)).translate(_AS_REFERENCES)
    return _EDGE_UNDERSCORE.sub("&#95;", line) if "_" in line else line
