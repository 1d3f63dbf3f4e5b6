"""`apidocs check` over every shipped page: one test per endpoint × language, one shared sandbox.

Each test renders the published snippet for the real site configuration, runs it with the real
runtime through the recording relay against a fresh sandbox, and fails with the check's own
message (file, language, documented-vs-sent diff) when the docs and reality disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apidocs.check.session import SKIP, CheckSession, open_session
from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_endpoints
from apidocs.model.endpoint import Endpoint
from apidocs.rendering.languages import load_languages

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = load_settings(ROOT / "mkdocs.yml")
ENDPOINTS, FINDINGS = load_endpoints(SETTINGS)
LANGUAGES = [language for language in load_languages(SETTINGS.snippets_dir) if language.is_runnable]
CASES = [pytest.param(endpoint, language, id=f"{endpoint.src_uri}:{language.name}")
         for endpoint in ENDPOINTS for language in LANGUAGES]

# All cases share one sandbox, so under xdist they run in one worker.
pytestmark = pytest.mark.xdist_group("apidocs-check-docs")


@pytest.fixture(scope="module")
def session() -> Iterator[CheckSession]:
    with open_session(SETTINGS, timeout=30) as check:
        check.warm_up(LANGUAGES, 1)
        yield check


def test_the_shipped_docs_load_without_errors() -> None:
    assert [str(finding) for finding in FINDINGS if finding.is_error] == []
    assert len(ENDPOINTS) >= 7 and len(LANGUAGES) == 4


@pytest.mark.parametrize(("endpoint", "language"), CASES)
def test_published_snippet_sends_the_documented_request(session: CheckSession, endpoint: Endpoint, language) -> None:
    result = session.check(endpoint, language)
    if result.outcome == SKIP:
        pytest.skip(result.message)
    assert result.passed, result.message
