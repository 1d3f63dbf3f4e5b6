"""Raw bodies: any media type that is neither JSON nor a form (`text/plain`, `text/csv`,
`application/octet-stream`, `image/png`…), sent as the bytes they are.

The example's body is then text: sent as it is (UTF-8), or, when the definition says
`request.body_file: true`, the name of a file whose bytes are the body (an upload: `curl
--data-binary @photo.png`). The check creates that file as it does a multipart upload's
(`multipart.sample_file`), so its name follows the same rule.
"""

from __future__ import annotations

from apidocs.model.forms import is_form
from apidocs.model.headers import is_json_media_type, media_type_essence


def is_raw(content_type: str | None) -> bool:
    """Whether a body of this Content-Type goes as its bytes: not JSON, not a form."""
    # Other multipart types (`multipart/mixed`, `/related`) are parts too, which only a boundary
    # the client chooses can delimit: not bytes a snippet can send as they are.
    return content_type is not None and not (is_json_media_type(content_type) or is_form(content_type)
                                             or media_type_essence(content_type).startswith("multipart/"))


# Media types whose bodies are text though not `text/…`.
_TEXT_APPLICATION_TYPES = frozenset(("application/xml", "application/yaml", "application/x-yaml", "application/x-ndjson",
                                     "application/graphql", "application/javascript", "application/sql", "application/csv"))


def is_text_media_type(content_type: str) -> bool:
    """Whether a body of this media type is text (`text/csv`, `application/xml`, `…+xml`), not bytes."""
    media = media_type_essence(content_type)
    return (media.startswith("text/") or media.endswith(("+xml", "+yaml")) or media in _TEXT_APPLICATION_TYPES)
