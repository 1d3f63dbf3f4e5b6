"""Secrets in examples and snippets: session cookies and tokens that are not the documented placeholder.

Snippets pasted from a desktop HTTP client carry whatever the writer's session had: the cookie
of a logged-in browser, the writer's own API token. `find_secrets` points at each of them by
line; `scrub_line` removes them from text that is kept (the importer uses it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# A Cookie header in any client's spelling: `-H 'Cookie: a=b'`, `'Cookie':'a=b'`, `"Cookie": "a=b"`.
_COOKIE = re.compile(r"""(?i)(?<![\w-])(?:set-)?cookie["']?\s*:\s*["']?(?P<value>[^"'\n\\]+)""")
# Session cookies written without a header name (`curl -b 'sessionid=…'`).
_SESSION = re.compile(r"(?i)\b(?P<value>(?:sessionid|csrftoken|phpsessid|jsessionid|connect\.sid|_session)=[A-Za-z0-9%._-]{6,})")
_AUTHORIZATION = re.compile(
    r"""(?i)\bauthorization["']?\s*:\s*["']?(?P<scheme>token|bearer|basic|jwt|api-key)\s+(?P<value>[^\s"'\\,}]+)""")
_QUERY_TOKEN = re.compile(r"""(?i)[?&](?P<name>access_token|api_key|apikey|auth_token|token)=(?P<value>[^&\s'"#]+)""")

# One cheap test per line before the precise patterns: almost no line mentions any of these.
_MENTIONS = re.compile(r"(?i)cookie|authorization|session|csrftoken|jsessionid|connect\.sid|token=|api_?key=")

PLACEHOLDER_WORDS = ("your", "token", "example", "placeholder", "xxx", "redacted", "changeme")


@dataclass(frozen=True)
class Secret:
    line: int
    kind: str  # "cookie" | "token"
    value: str

    @property
    def masked(self) -> str:
        """Enough to recognise the value, not enough to use it."""
        name, sep, rest = self.value.partition("=")
        if sep and self.kind == "cookie":
            return f"{name}={rest[:4]}…"
        return f"{self.value[:4]}…"


def looks_like_placeholder(token: str) -> bool:
    """`YOUR_AUTH_TOKEN`, `<auth_token>`, `1234567890`: values no server ever issued."""
    text = token.strip().strip("\\")
    if not text or any(ch in text for ch in "<>{}[]$"):
        return True
    if re.fullmatch(r"[A-Z][A-Z0-9_-]*", text):
        return True
    lowered = text.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    if text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in zip(text, text[1:])}
        return len(steps) <= 1 and steps <= {0, 1, 9}
    return False


def find_secrets(lines: Iterable[tuple[int, str]], known_tokens: set[str]) -> list[Secret]:
    """Every cookie, and every token that is neither known nor a placeholder, with its line."""
    found: list[Secret] = []
    for number, text in lines:
        if not _MENTIONS.search(text):
            continue
        cookies = [m.group("value").strip() for m in _COOKIE.finditer(text)]
        cookies += [m.group("value") for m in _SESSION.finditer(text) if not any(m.group("value") in c for c in cookies)]
        found.extend(Secret(number, "cookie", value) for value in cookies if value)
        for match in (*_AUTHORIZATION.finditer(text), *_QUERY_TOKEN.finditer(text)):
            value = match.group("value")
            if value not in known_tokens and not looks_like_placeholder(value):
                found.append(Secret(number, "token", value))
    return found


def authorization_tokens(text: str) -> list[tuple[str, str]]:
    """(scheme, token) of every Authorization header written in the text."""
    return [(m.group("scheme"), m.group("value")) for m in _AUTHORIZATION.finditer(text)]


_COOKIE_ITEM_JSON = re.compile(r""",?\s*["']Cookie["']\s*:\s*["'][^"'\n]*["']\s*,?""", re.I)


def scrub_line(text: str, known_tokens: set[str], placeholder: str) -> str | None:
    """The line without its secrets: None when the whole line is a cookie header; unknown tokens
    become the placeholder."""
    if _COOKIE.search(text):
        stripped = text.strip().rstrip("\\").strip().rstrip(",")
        # A line that is nothing but the header (`-H 'Cookie: …' \`, `"Cookie": "…",`) goes entirely.
        if re.fullmatch(r"""(?i)(?:-H\s+|--header\s+)?["']?(?:set-)?cookie["']?\s*:\s*.*""", stripped):
            return None
        text = _COOKIE_ITEM_JSON.sub(lambda m: "," if m.group(0).startswith(",") and m.group(0).rstrip().endswith(",") else "", text)
    text = _SESSION.sub("sessionid=REMOVED", text)

    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if value in known_tokens or looks_like_placeholder(value):
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start()] + placeholder

    text = _AUTHORIZATION.sub(replace, text)
    return _QUERY_TOKEN.sub(replace, text)
