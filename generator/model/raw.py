"""Raw bodies: any media type that is neither JSON nor a form (`text/plain`, `text/csv`,
`application/octet-stream`, `image/png`…), sent as the bytes they are.

The example's body is then text: sent as it is (UTF-8), or, when the definition says
`request.body_file: true`, the name of a file whose bytes are the body (an upload: `curl
--data-binary @photo.png`). The check creates that file as it does a multipart upload's
(`multipart.sample_file`), so its name follows the same rule.
"""

from __future__ import annotations

from apidocs.model.forms import is_form
from apidocs.model.headers import is_json_media_type
from apidocs.model.multipart import is_multipart


def is_raw(content_type: str | None) -> bool:
    """Whether a body of this Content-Type goes as its bytes: not JSON, not a form."""
    return content_type is not None and not (is_json_media_type(content_type) or is_form(content_type)
                                             or is_multipart(content_type))
