"""Multipart bodies (`multipart/form-data`, RFC 7578): a form whose fields may be files.

A definition's example body stays a JSON object. When the example's Content-Type is
`multipart/form-data`, `request.files` names the members that are files; their example values
are the names of the files to upload (a list of names: several files under one field). Every
other member travels as a form's fields do (`model/forms.py`: `tag` repeated for a list,
`meta[key]` for an object, text at the leaves), each as a text part, as Stripe's and most
servers' readers expect.

Clients write the Content-Type themselves, with the boundary they chose, so the snippets never
send the documented one (`requests` would send it without a boundary, which no server reads).

The check uploads files it creates (`sample_file`), so a file name is a plain name in the
working folder: letters, digits, `.`, `_` and `-`, not starting with a dot (hidden) or a dash
(curl reads `@-` as standard input).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from apidocs.model.forms import REPEAT, FormError, form_fields
from apidocs.model.headers import media_type_essence

MULTIPART_MEDIA_TYPE = "multipart/form-data"
MAX_PARTS = 1000  # parts read from one body
MAX_PART_HEADERS = 16  # header lines of one part
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
_UNSENDABLE_IN_NAME = re.compile(r'[="\\\r\n\x00]')
FILE_NAME_RULE = "a plain file name: letters, digits, `.`, `_` and `-`, at most 100, not starting with a dot or a dash"


# The parser logs what it refuses; the refusal reaches the caller as MultipartError instead.
_UNHEARD = logging.Logger("apidocs.multipart", level=logging.CRITICAL + 1)


class MultipartError(ValueError):
    """Bytes that are not a multipart body, or one past the bounds (the message says why)."""


def is_multipart(content_type: str | None) -> bool:
    """Whether a Content-Type value is `multipart/form-data` (its parameters aside)."""
    return content_type is not None and media_type_essence(content_type) == MULTIPART_MEDIA_TYPE


def is_file_name(text: object) -> bool:
    return isinstance(text, str) and _FILE_NAME.fullmatch(text) is not None


def file_names(value: object) -> list[str] | None:
    """The file names a file member's example value gives (one name, or a list), or None when
    it is not that."""
    names = value if isinstance(value, list) else [value]
    return [name for name in names if isinstance(name, str)] if all(is_file_name(name) for name in names) else None


@dataclass(frozen=True)
class Part:
    """One part of a multipart body: a text field, or a file (`value` is then its name)."""

    name: str
    value: str
    is_file: bool = False


def multipart_parts(value: Any, files: Collection[str], lists: Mapping[str, str] | None = None) -> list[Part]:
    """The parts, in member order, that send the JSON object `value`: members named in `files`
    as files, the others as form fields (`form_fields`)."""
    if not isinstance(value, dict):
        raise FormError("a multipart body must be a JSON object (its fields), not " +
                        ("a list" if isinstance(value, list) else "text" if isinstance(value, str) else repr(value)))
    parts: list[Part] = []
    for key, member in value.items():
        name = str(key)
        if name in files:
            names = file_names(member)
            if names is None:
                raise FormError(f"the file field {name!r} must hold a file name ({FILE_NAME_RULE}) or a list of them")
            parts += [Part(name, file_name, True) for file_name in names]
        else:
            parts += [Part(field, text) for field, text in form_fields({name: member}, {name: (lists or {}).get(name, REPEAT)})]
    for part in parts:
        if "\x00" in part.value:
            raise FormError(f"the field {part.name!r} holds a NUL character, which no shell snippet can send")
        if _UNSENDABLE_IN_NAME.search(part.name):
            raise FormError(f"the field name {part.name!r} cannot be a part's name: curl reads a name up to its first `=`, "
                            "a `\"` or a line break would end the part's header, and clients write a `\\` differently")
    return parts


def upload_names(value: Any, files: Collection[str]) -> list[str]:
    """The names of the files a body uploads (each once), for the check to create."""
    if not isinstance(value, dict):
        return []
    found: dict[str, None] = {}
    for name in files:
        for file_name in file_names(value.get(name)) or []:
            found[file_name] = None
    return list(found)


def sample_file(name: str) -> bytes:
    """The content of the file the check creates and uploads under `name`: the same for the
    same name, so concurrent snippets can share it."""
    return f"apidocs sample upload: {name}\n".encode()


@dataclass(frozen=True)
class ReceivedPart:
    name: str
    content: bytes
    filename: str | None  # None for a text field

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def read_multipart(raw: bytes, content_type: str, max_parts: int = MAX_PARTS) -> list[ReceivedPart]:
    """The parts of a multipart body, in order; MultipartError when the bytes are not one (no
    boundary, a part without a name, a broken delimiter) or hold more than `max_parts` parts.
    The body is whole and already bounded in size, so parts are kept in memory."""
    media, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media.decode("latin-1").lower() != MULTIPART_MEDIA_TYPE or not boundary:
        raise MultipartError("the Content-Type has no boundary: let the client write it (curl -F, requests files=, FormData)")
    parts: list[ReceivedPart] = []
    headers: dict[bytes, bytes] = {}
    field: list[bytes] = []
    value: list[bytes] = []
    data: list[bytes] = []
    ended = False

    def header_field(chunk: bytes, start: int, end: int) -> None:
        field.append(chunk[start:end])

    def header_value(chunk: bytes, start: int, end: int) -> None:
        value.append(chunk[start:end])

    def header_end() -> None:
        headers[b"".join(field).lower()] = b"".join(value)
        field.clear()
        value.clear()

    def part_data(chunk: bytes, start: int, end: int) -> None:
        data.append(chunk[start:end])

    def part_end() -> None:
        disposition, params = parse_options_header(headers.get(b"content-disposition", b""))
        name = params.get(b"name")
        if disposition.lower() != b"form-data" or name is None:
            raise MultipartError("a part has no `Content-Disposition: form-data; name=…`")
        if len(parts) >= max_parts:
            raise MultipartError(f"more than {max_parts} parts")
        filename = params.get(b"filename")
        parts.append(ReceivedPart(name.decode("utf-8", errors="replace"), b"".join(data),
                                  None if filename is None else filename.decode("utf-8", errors="replace")))
        headers.clear()
        data.clear()

    def end() -> None:
        nonlocal ended
        ended = True

    try:
        parser = MultipartParser(boundary, {"on_header_field": header_field, "on_header_value": header_value,
                                            "on_header_end": header_end, "on_part_data": part_data,
                                            "on_part_end": part_end, "on_end": end},
                                 max_header_count=MAX_PART_HEADERS)
        parser.logger = _UNHEARD
        parser.write(raw)
        parser.finalize()
    except FormParserError as error:
        raise MultipartError(f"it is not a multipart body: {str(error).splitlines()[0][:200]}") from None
    if not ended:
        raise MultipartError("it ends before its closing boundary")
    return parts
