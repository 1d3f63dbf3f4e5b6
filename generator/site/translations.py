"""Material's interface texts, each looked up once per build (theme/partials/language.html)."""

from __future__ import annotations

from typing import Any


class Translations:
    """Called by the template with a key and the two language modules: the text, remembered.

    One per build: the site's language, and so every text, can change between two builds of
    `apidocs serve`."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    def __call__(self, key: str, language: Any, fallback: Any) -> Any:
        text = self.found.get(key)
        if text is None:
            text = self.found[key] = language.t(key) or fallback.t(key) or key
        return text
