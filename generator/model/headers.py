"""What an HTTP header can carry: the rules the definitions are checked by (lint E009, E016) and
that the OpenAPI import writes definitions to."""

from __future__ import annotations

import re

# A header name is a token (RFC 9110): letters, digits and !#$%&'*+-.^_`|~.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A media type a Content-Type can name (RFC 6838's restricted names): `type/subtype`, no wildcard.
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


def carried_in_a_header(value: str) -> bool:
    """Whether `value` is visible ASCII and spaces only, as a header value the snippets send must be."""
    return all(32 <= ord(character) <= 126 for character in value)


def media_type_essence(content_type: str) -> str:
    """A Content-Type's media type without its parameters, in lower case (`Application/JSON;
    charset=utf-8` → `application/json`)."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or a `+json` type (`application/vnd.api+json`), whatever its parameters."""
    media = media_type_essence(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
