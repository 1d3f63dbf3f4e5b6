"""The request column's answers: an answer many operations share is highlighted once, and reads
exactly as one highlighted on its own (long ones, which are not kept, too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apidocs.model.endpoint import Endpoint, ExampleRequest, ExampleResponse
from apidocs.model.positions import position_key
from apidocs.rendering.blocks import code_block
from apidocs.rendering.pages import response_examples
from apidocs.rendering.quoting import json_text


def endpoint_answering(*responses: ExampleResponse) -> Endpoint:
    return Endpoint(source=Path("e.md"), src_uri="e.md", title="/things", position=position_key(None), visibility=[], blocks=[],
                    method="GET", path="/things", name="things", example=ExampleRequest(),
                    responses=list(responses))


@pytest.mark.parametrize("body", [
    {"title": "Not valid", "status": 400},
    "<p>a text answer & <b>markup</b></p>",
    {"items": ["x" * 60] * 100},  # longer than the answers kept
])
def test_a_shared_answer_reads_as_one_highlighted_alone(body: Any) -> None:
    title = 'Error <script>alert("x")</script>'
    alone = code_block(json_text(body) if not isinstance(body, str) else body, "json" if not isinstance(body, str) else "text", title)
    pages = [response_examples(endpoint_answering(ExampleResponse(status, body, title))) for status in (400, 404, 400)]
    assert all(alone in page for page in pages)
    assert pages[0] == pages[2]
