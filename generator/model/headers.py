"""What an HTTP header can carry: the rules the definitions are checked by (lint E009, E016) and
that the OpenAPI import writes definitions to."""

from __future__ import annotations

import re
from collections.abc import Iterable

# The sandbox's session headers, one protocol between the sandbox and those who talk to it: a
# reader's own session (the explorer sends it, its snippets show it) and the check's private
# sessions (with a secret the check holds).
READER_SESSION_HEADER = "Sandbox-Session"
CHECK_SESSION_HEADER = "X-Apidocs-Sandbox"
# A header name is a token (RFC 9110): letters, digits and !#$%&'*+-.^_`|~.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Headers an HTTP client sends on its own, with its own value, when the request does not set them
# (Python's requests and HTTPie always send `Accept-Encoding: gzip, deflate`; a browser lets no
# page set it at all).
ADDED_BY_CLIENTS = frozenset({"accept", "accept-encoding", "connection", "content-length", "expect", "host", "keep-alive", "te",
                              "transfer-encoding", "user-agent"})
# A media type a Content-Type can name (RFC 6838's restricted names): `type/subtype`, no wildcard.
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
# A range of media types an OpenAPI body may be keyed by: RFC 9110's `*/*` and `text/*`, and the
# structured-suffix form ASP.NET writes for every JSON body, `application/*+json`. No
# Content-Type names one: a request is taken by the range that holds its media type.
MEDIA_RANGE = re.compile(r"\*/\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/\*(?:\+[A-Za-z0-9][A-Za-z0-9!#$&^_.-]{0,126})?")


def carried_in_a_header(value: str) -> bool:
    """Whether `value` is visible ASCII and spaces only, as a header value the snippets send must be."""
    return all(32 <= ord(character) <= 126 for character in value)


def is_media_type(text: str) -> bool:
    """Whether `text` names a media type a Content-Type can carry, parameters and all
    (`application/json; charset=utf-8`)."""
    essence = text.split(";", 1)[0].strip()
    return bool(MEDIA_TYPE.fullmatch(essence)) and carried_in_a_header(text) and text == text.strip()


def media_type_essence(content_type: str) -> str:
    """A Content-Type's media type without its parameters, in lower case (`Application/JSON;
    charset=utf-8` → `application/json`)."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or a `+json` type (`application/vnd.api+json`), whatever its parameters;
    not a range (`application/*+json` names no type a body is sent as)."""
    media = media_type_essence(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json") and "*" not in media)


def media_type_taken(content_type: str, taken: Iterable[str]) -> str | None:
    """The media type or range among `taken` (essences, in lower case) that a request sent with
    `content_type` comes under: its own media type first, then the narrowest range holding it."""
    media = media_type_essence(content_type)
    ranges = []
    for entry in taken:
        if entry == media:
            return entry
        if "*" in entry:
            ranges.append(entry)
    kind, _, subtype = media.partition("/")
    for entry in sorted(ranges, key=lambda entry: (entry == "*/*", entry.endswith("/*"))):  # `a/*+json`, `a/*`, `*/*`
        range_kind, _, range_subtype = entry.partition("/")
        if range_kind == "*" or (range_kind == kind and (
                range_subtype == "*" or (subtype.endswith(range_subtype[1:]) and len(subtype) > len(range_subtype) - 1))):
            return entry
    return None
