"""Secrets in examples and snippets: cookies, tokens, passwords and keys that must not be published.

Snippets pasted from a desktop HTTP client carry whatever the writer's session had: the cookie
of a logged-in browser, the writer's own API token, a `-u user:password`. `find_secrets` points
at each of them by line; `scrub_lines` / `scrub_line` replace them with a clear placeholder in
text that is kept (the importer uses them), `scrub_value` does the same inside a JSON value.

What is recognised (the Security page of the docs repeats this list):
- cookies: `Cookie:`/`Set-Cookie:` headers, session cookies written bare (`sessionid=…`);
- `Authorization` headers of any scheme (`Token`, `Bearer`, `Basic`, `Digest …`, `AWS4-HMAC-SHA256 …`)
  or none, in curl, HTTPie, JSON, Python and plain `Header: value` form;
- credential-named settings in query strings, forms, JSON, YAML, Python and shell
  (`?api_key=`, `access_token=`, `"password": "…"`, `client_secret: …`, `API_TOKEN=…`);
- credentials in URLs (`https://user:pass@host`) and curl's `-u/--user`, `-U/--proxy-user`,
  `--oauth2-bearer`;
- well-known key formats anywhere, prose included: AWS access key ids and secret keys, GitHub,
  GitLab, Slack, Stripe, Google, SendGrid, npm, PyPI, OpenAI and Twilio keys, JWTs, private key blocks.
A value is kept when it is a placeholder: made only of words like `your`, `token`, `api`, `key`,
`here` (`YOUR_API_KEY`, `your-token-here`), written `<…>`, `{…}`, `$…`, or a run like `1234567890`.
A real value that merely contains such a word (`token_9f8a7c…`) is no placeholder.

Every line is tested once against one cheap pattern before the precise ones, so the cost is
linear in the size of the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# A Cookie header in any client's spelling: `-H 'Cookie: a=b'`, `'Cookie':'a=b'`, `"Cookie": "a=b"`.
# Its value starts with a cookie-pair, `name=` (RFC 6265 §4.1.1): a JSON member merely named
# `cookie` (`"cookie": "https://…/1f36a.png"`, GitHub's emoji list) holds no session.
_COOKIE = re.compile(r"""(?i)(?<![\w-])(?:set-)?cookie["']?\s*:\s*["']?(?P<value>[!#$%&*+.^_`|~\w-]+=[^"'\n\\]*)""")
# Session cookies written without a header name (`curl -b 'sessionid=…'`).
_SESSION = re.compile(r"(?i)\b(?P<value>(?:sessionid|csrftoken|phpsessid|jsessionid|connect\.sid|_session)=[A-Za-z0-9%._-]{6,})")
_COOKIE_ITEM_JSON = re.compile(r""",?\s*["']Cookie["']\s*:\s*["'][^"'\n]*["']\s*,?""", re.I)

# One cheap test per line before the precise patterns: most lines mention none of these. Plain
# substring tests on the lower-cased line (a regular expression alternation costs ten times more).
_HINTS = ("cookie", "authori", "session", "csrftoken", "connect.sid", "token", "key", "secret", "pass", "pwd", "sig",
          "user", "oauth2", "@", "akia", "asia", "abia", "acca", "a3t", "gh", "glpat-", "gldt-", "glft-", "glrt-", "glcbt-",
          "glptt-", "gloas-", "xox", "hooks.slack", "k_live_", "k_test_", "aiza", "eyj", "private key", "sg.", "npm_", "sk-",
          "pypi-", "sk", "credential", " -", "\t-")


def _mentions(text: str) -> bool:
    lowered = text.lower()
    return lowered.startswith("-") or any(hint in lowered for hint in _HINTS)

# Names under which a value is a credential (`api_key`, `X-Api-Token`, `client_secret`, `PASSWORD`).
_SECRET_NAME = (r"(?:[\w-]*?[_-])?(?:pass(?:word|wd|phrase)?|pwd|secret(?:[_-]?(?:access[_-]?)?key)?|api[_-]?key|apikey"
                r"|(?:api|access|auth|refresh|id|bearer|private|session|oauth|csrf)?[_-]?token|private[_-]?key|access[_-]?key"
                r"|signature|sig|sessionid|session[_-]id|credentials?)")
# Token-named values that are not credentials: pagination cursors and the like.
_NOT_SECRET_NAME = re.compile(r"(?i)(page|next|cursor|sync|continuation|type|expires?|count|length|url|uri|name)")
_NAME_WORDS = ("pass", "pwd", "secret", "key", "token", "sig", "session", "credential")
_SECRET_NAME_ONLY = re.compile(rf"(?i){_SECRET_NAME}")

# Any `name = value` in the forms below; the name is then judged by `is_secret_name` (one simple
# pattern per form, cheaper than one pattern per secret name).
# `"password": "x"`, `'api_key' = 'x'`, `client_secret: "x"`, `password="x"` (value quoted).
_QUOTED_SETTING = re.compile(r"""(?<![\w-])(?P<kq>["']?)(?P<name>[\w-]+)(?P=kq)\s*(?::=|=>|[:=])\s*(?P<vq>\\?["'])(?P<value>[^"'\n\\]*)(?P=vq)""")
# `password: hunter2` as a YAML line (one word to the end of the line).
_YAML_SETTING = re.compile(r"""^\s*(?:-\s+)?(?P<name>[\w-]+)\s*:\s+(?P<value>[^\s"'#][^\s#]*)\s*$""")
# `?api_key=x`, `&token=x`, `-d 'password=x'`, `export API_TOKEN=x` (value unquoted).
_BARE_SETTING = re.compile(r"""(?:^|(?<=[?&\s'";]))(?P<name>[\w-]+)=(?P<value>[^&\s'"#;]+)""")
# Authorization as a header name in any client's spelling; the value is read by `_header_value`.
_AUTHORIZATION = re.compile(r"""(?i)(?P<q>["']?)\b(?:proxy-)?authori[sz]ation(?P=q)\s*[:=]\s*(?P<vq>\\?["']?)""")
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][\w-]*)\s+(?P<rest>\S.*)$", re.S)
_TOKEN_SCHEMES = {"token", "bearer", "jwt", "api-key", "apikey", "key"}
_URL_CREDENTIALS = re.compile(r"""://(?P<value>[^/\s:@'"<>{}]+:[^/\s@'"]+)@""")
# curl's user options, attached (`-uuser:pw`), grouped after flags (`-su user:pw`) or spaced.
_CURL_USER = re.compile(
    r"""(?:(?<=\s)|^)(?:-[0-9aBfGgIiJjkLlMNnOpqRsSvVZ#]*[uU]\s*|--(?:proxy-)?user(?:\s+|=))(?P<vq>["']?)(?P<value>[^\s'":]*:[^\s'"]+)(?P=vq)""")
_CURL_BEARER = re.compile(r"""--oauth2-bearer(?:\s+|=)(?P<vq>["']?)(?P<value>[^\s'"]+)(?P=vq)""")


@dataclass(frozen=True)
class _Format:
    kind: str
    pattern: re.Pattern[str]
    placeholder: str


# Key formats that are secret wherever they appear, prose included.
_FORMATS = [
    _Format("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
            "YOUR_AWS_ACCESS_KEY_ID"),
    _Format("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"), "YOUR_GITHUB_TOKEN"),
    _Format("GitLab token", re.compile(r"\bgl(?:pat|dt|ft|rt|cbt|ptt|oas)-[A-Za-z0-9_-]{20,}"), "YOUR_GITLAB_TOKEN"),
    _Format("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "YOUR_SLACK_TOKEN"),
    _Format("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]+"), "YOUR_SLACK_WEBHOOK_URL"),
    _Format("Stripe key", re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"), "YOUR_STRIPE_KEY"),
    _Format("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), "YOUR_GOOGLE_API_KEY"),
    _Format("SendGrid key", re.compile(r"\bSG\.[\w-]{16,}\.[\w-]{30,}"), "YOUR_SENDGRID_KEY"),
    _Format("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}"), "YOUR_NPM_TOKEN"),
    _Format("PyPI token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"), "YOUR_PYPI_TOKEN"),
    _Format("OpenAI key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"), "YOUR_OPENAI_KEY"),
    _Format("Twilio key", re.compile(r"\bSK[0-9a-f]{32}\b"), "YOUR_TWILIO_KEY"),
    _Format("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "YOUR_JWT"),
]
# What every format above starts with: one search tells whether any of them can be on a line.
_FORMAT_HINT = re.compile(r"A(?:KIA|SIA|BIA|CCA|3T|Iza)|gh[pousr]_|github_pat_|gl(?:pat|dt|ft|rt|cbt|ptt|oas)-|xox[abprs]-"
                          r"|hooks\.slack|[sr]k_(?:live|test)_|SG\.|npm_|pypi-|sk-|SK[0-9a-f]|eyJ")
# A 40-character AWS secret access key, on a line that speaks of AWS.
_AWS_LINE = re.compile(r"(?i)aws|amazon|amz")
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")

# Words a placeholder is made of: `YOUR_API_KEY`, `your-token-here`, `<user>:<password>`.
PLACEHOLDER_WORDS = {
    "your", "my", "the", "a", "an", "token", "api", "key", "apikey", "access", "auth", "authorization", "bearer", "basic",
    "secret", "password", "passwd", "pass", "pwd", "user", "username", "login", "email", "example", "sample", "placeholder",
    "dummy", "fake", "test", "here", "insert", "replace", "with", "redacted", "removed", "changeme", "value", "string",
    "client", "private", "session", "jwt", "refresh", "id", "credentials", "credential", "xxx", "foo", "bar", "demo",
    "aws", "account", "app", "application", "personal", "new", "old", "valid", "invalid", "dev", "prod", "sandbox",
}


@dataclass(frozen=True)
class Secret:
    line: int
    kind: str  # "cookie" | "token" | "credential" | "password" | "private key" | a key format ("AWS access key id", …)
    value: str

    @property
    def masked(self) -> str:
        """Enough to find the value again, never enough to use it: a short value shows none of it."""
        name, sep, rest = self.value.partition("=")
        if sep and self.kind == "cookie":
            return f"{name}={rest[:4]}…"
        if len(self.value) < 16:
            return f"…({len(self.value)} characters)"
        return f"{self.value[:4]}…"


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    replacement: str


_NAME_LIKE = re.compile(r"[A-Z][A-Z_-]*")
_WORD_SEPARATORS = re.compile(r"[-_.\s:/]+")
_FILLER = re.compile(r"x+|\*+|\.+|_+|-+|0+|#+")


def _is_placeholder_word(part: str) -> bool:
    return part in PLACEHOLDER_WORDS or bool(_FILLER.fullmatch(part))


# The UUIDs documentation shows: Swagger UI's and the importer's made-up one, and RFC 4122's.
SAMPLE_UUIDS = frozenset({"3fa85f64-5717-4562-b3fc-2c963f66afa6", "123e4567-e89b-12d3-a456-426614174000"})


def looks_like_placeholder(token: str) -> bool:
    """`YOUR_AUTH_TOKEN`, `<auth_token>`, `your-token-here`, `1234567890`, a documentation UUID:
    values no server ever issued."""
    text = token.strip().strip("\\").strip("\"'").strip()
    if not text or any(ch in text for ch in "<>{}[]$") or text.lower() in SAMPLE_UUIDS:
        return True
    if _NAME_LIKE.fullmatch(text):  # YOUR_TOKEN, API_KEY: a name, no value
        return True
    parts = [part for part in _WORD_SEPARATORS.split(text.lower()) if part]
    if parts and all(_is_placeholder_word(part) for part in parts):
        return True
    if text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(text)}
        return len(steps) <= 1 and steps <= {0, 1, 9}
    return False


def placeholder_for(name: str) -> str:
    """`api_key` → `YOUR_API_KEY`: says what goes there, and no server ever issues it."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "SECRET"
    return cleaned if cleaned.startswith("YOUR_") else f"YOUR_{cleaned}"


def is_secret_name(name: str) -> bool:
    """Whether a setting, query parameter, header or JSON key of this name holds a credential."""
    lowered = name.lower()
    if not any(word in lowered for word in _NAME_WORDS):
        return False
    return bool(_SECRET_NAME_ONLY.fullmatch(name)) and not _NOT_SECRET_NAME.search(name)


def _kind_of_name(name: str) -> str:
    lowered = name.lower()
    if "pass" in lowered or "pwd" in lowered:
        return "password"
    return "token" if "token" in lowered else "credential"


def _header_value(text: str, match: re.Match[str]) -> tuple[int, int]:
    """Where an Authorization header's value ends: at the quote that opened it, or the line's end."""
    start = match.end()
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end  # a header never continues on the next line
    before = text[match.start() - 1 : match.start()]
    closing = match.group("vq").lstrip("\\") or match.group("q") or (before if before in ("'", '"') else "")
    if closing:
        end = start
        while end < line_end and text[end] != closing:
            end += 2 if text[end] == "\\" else 1
        end = min(end, line_end)
        if match.group("vq").startswith("\\") and text[end - 1 : end] == "\\":
            end -= 1
    else:
        end = line_end
    while end > start and text[end - 1] in " \t\\,;":
        end -= 1
    return start, end


def _authorization_spans(text: str, known_tokens: set[str], placeholder: str) -> Iterator[_Span]:
    for match in _AUTHORIZATION.finditer(text):
        start, end = _header_value(text, match)
        value = text[start:end]
        if not value.strip():
            continue
        scheme = _SCHEME.match(value)
        if scheme:
            start += scheme.start("rest")
            value = scheme.group("rest")
        if value in known_tokens or looks_like_placeholder(value):
            continue
        is_token = scheme is None or scheme.group("scheme").lower() in _TOKEN_SCHEMES
        yield _Span(start, end, "token" if is_token else "credential", placeholder if is_token else "YOUR_CREDENTIALS")


def _named_spans(text: str, known_tokens: set[str]) -> Iterator[_Span]:
    for pattern in (_QUOTED_SETTING, _YAML_SETTING, _BARE_SETTING):
        for match in pattern.finditer(text):
            name, value = match.group("name"), match.group("value")
            if not is_secret_name(name) or value in known_tokens or looks_like_placeholder(value):
                continue
            if value.lower() in ("true", "false", "null", "none", "required", "optional"):
                continue
            yield _Span(match.start("value"), match.end("value"), _kind_of_name(name), placeholder_for(name))


def _credential_spans(text: str, known_tokens: set[str]) -> Iterator[_Span]:
    for pattern in (_URL_CREDENTIALS, _CURL_USER):
        for match in pattern.finditer(text):
            password = match.group("value").partition(":")[2]
            if looks_like_placeholder(password) or match.group("value") in known_tokens:
                continue
            yield _Span(match.start("value"), match.end("value"), "credential", "YOUR_USER:YOUR_PASSWORD")
    for match in _CURL_BEARER.finditer(text):
        if match.group("value") not in known_tokens and not looks_like_placeholder(match.group("value")):
            yield _Span(match.start("value"), match.end("value"), "token", "YOUR_TOKEN")


def _format_spans(text: str) -> Iterator[_Span]:
    if _FORMAT_HINT.search(text):
        yield from _known_format_spans(text)
    if _AWS_LINE.search(text):
        for match in _AWS_SECRET.finditer(text):
            yield _Span(match.start(), match.end(), "AWS secret access key", "YOUR_AWS_SECRET_ACCESS_KEY")


# Sixteen of one character in a row: filler no issuer's random key holds (Twilio's documented
# sample ids `SK00000000000000000000000000000000`, `sk_test_xxxxxxxxxxxxxxxxxxxxxxxx`).
_FILLER_RUN = re.compile(r"(.)\1{15}")


def _known_format_spans(text: str) -> Iterator[_Span]:
    for known_format in _FORMATS:
        for match in known_format.pattern.finditer(text):
            if not _FILLER_RUN.search(match.group(0)):
                yield _Span(match.start(), match.end(), known_format.kind, known_format.placeholder)


def _spans(text: str, known_tokens: set[str], placeholder: str) -> list[_Span]:
    """Secret values of one line, left to right, none overlapping (the earliest, then longest, wins)."""
    if not _mentions(text):
        return []
    lowered = text.lower()
    candidates = list(_format_spans(text))
    if "authori" in lowered:
        candidates += _authorization_spans(text, known_tokens, placeholder)
    if "=" in text or ":" in text:
        candidates += _named_spans(text, known_tokens)
    if "@" in text or "-" in text:
        candidates += _credential_spans(text, known_tokens)
    found = sorted(candidates, key=lambda span: (span.start, -span.end))
    kept: list[_Span] = []
    for span in found:
        if span.end > span.start and (not kept or span.start >= kept[-1].end):
            kept.append(span)
    return kept


_COOKIE_HINTS = ("cookie", "session", "csrftoken", "connect.sid")


def _cookies(text: str) -> list[str]:
    lowered = text.lower()
    if not any(hint in lowered for hint in _COOKIE_HINTS):
        return []
    cookies = [m.group("value").strip() for m in _COOKIE.finditer(text)]
    cookies += [m.group("value") for m in _SESSION.finditer(text) if not any(m.group("value") in c for c in cookies)]
    return [value for value in cookies if value]


class _PrivateKeyBlock:
    """Whether the lines read so far left us inside a `-----BEGIN … PRIVATE KEY-----` block."""

    def __init__(self) -> None:
        self.inside = False

    def key_material(self, text: str) -> str | None:
        """The part of this line that is key material (None: none of it)."""
        if self.inside:
            end = _PRIVATE_KEY_END.search(text)
            self.inside = end is None
            material = text[: end.start()] if end else text
            return material if material.strip() else None
        begin = _PRIVATE_KEY_BEGIN.search(text)
        if begin is None:
            return None
        end = _PRIVATE_KEY_END.search(text, begin.end())
        self.inside = end is None
        material = text[begin.end() : end.start() if end else len(text)]
        key = material.strip(" \t\\n\"',")
        # A block on one line around a placeholder (`-----BEGIN … KEY-----REDACTED-----END …`, what
        # `scrub_line` leaves) holds no key.
        return material if key and not (end is not None and looks_like_placeholder(key)) else None


def find_secrets(lines: Iterable[tuple[int, str]], known_tokens: set[str]) -> list[Secret]:
    """Every cookie, and every other secret that is neither known nor a placeholder, with its line."""
    found: list[Secret] = []
    block = _PrivateKeyBlock()
    for number, text in lines:
        material = block.key_material(text)
        if material is not None:
            found.append(Secret(number, "private key", material.strip()))
            continue
        if not _mentions(text):
            continue
        found.extend(Secret(number, "cookie", value) for value in _cookies(text))
        rest = _without_cookies(text)  # a cookie's value is reported once, as a cookie
        if rest is not None:
            found.extend(Secret(number, span.kind, rest[span.start : span.end]) for span in _spans(rest, known_tokens, ""))
    return found


def authorization_tokens(text: str) -> list[tuple[str, str]]:
    """(scheme, token) of every `Authorization: Scheme token` header written in the text."""
    tokens = []
    for match in _AUTHORIZATION.finditer(text):
        start, end = _header_value(text, match)
        scheme = _SCHEME.match(text[start:end])
        if scheme and re.fullmatch(r"\S+", scheme.group("rest")):
            tokens.append((scheme.group("scheme"), scheme.group("rest")))
    return tokens


def _without_cookies(text: str) -> str | None:
    lowered = text.lower()
    if not any(hint in lowered for hint in _COOKIE_HINTS):
        return text
    if _COOKIE.search(text):
        stripped = text.strip().rstrip("\\").strip().rstrip(",")
        # A line that is nothing but the header (`-H 'Cookie: …' \`, `"Cookie": "…",`) goes entirely.
        if re.fullmatch(r"""(?i)(?:-H\s+|--header\s+|-b\s+|--cookie\s+)?["']?(?:set-)?cookie["']?\s*:\s*.*""", stripped):
            return None
        text = _COOKIE_ITEM_JSON.sub(lambda m: "," if m.group(0).startswith(",") and m.group(0).rstrip().endswith(",") else "", text)
    return _SESSION.sub("sessionid=REMOVED", text)


def scrub_line(text: str, known_tokens: set[str], placeholder: str) -> str | None:
    """The line without its secrets: None when the whole line is a cookie header; other secrets
    become a placeholder (an Authorization token becomes `placeholder`, the documented one)."""
    if not _mentions(text):
        return text
    without = _without_cookies(text)
    if without is None:
        return None
    block = _PrivateKeyBlock()
    material = block.key_material(without)
    if material is not None:  # a whole key on one line (JSON with `\n`), or the start of a block
        without = without.replace(material, "" if block.inside else "REDACTED", 1)
    return _replaced(without, _spans(without, known_tokens, placeholder))


def _replaced(text: str, spans: list[_Span]) -> str:
    for span in reversed(spans):
        text = text[: span.start] + span.replacement + text[span.end :]
    return text


def scrub_lines(lines: Iterable[tuple[int, str]], known_tokens: set[str],
                placeholder: str) -> Iterator[tuple[int, str | None, list[Secret]]]:
    """(line number, the line without its secrets or None to drop it, the secrets it had), for the
    lines that had any. Private key blocks lose their key material; their BEGIN/END lines stay."""
    block = _PrivateKeyBlock()
    for number, text in lines:
        was_inside = block.inside
        material = block.key_material(text)
        if material is not None:
            secret = Secret(number, "private key", material.strip())
            if was_inside:
                yield number, (text.replace(material, "", 1) if _PRIVATE_KEY_END.search(text) else None), [secret]
            else:
                yield number, text.replace(material, "REDACTED" if not block.inside else "", 1), [secret]
            continue
        if not _mentions(text):
            continue
        cookies = _cookies(text)
        rest = _without_cookies(text)
        spans = _spans(rest, known_tokens, placeholder) if rest is not None else []
        if cookies or spans:
            secrets = [Secret(number, "cookie", value) for value in cookies]
            secrets += [Secret(number, span.kind, (rest or "")[span.start : span.end]) for span in spans]
            yield number, None if rest is None else _replaced(rest, spans), secrets


def scrub_value(value: Any, known_tokens: set[str]) -> tuple[Any, list[str]]:
    """A JSON value with each credential-named string replaced by a placeholder, and the names replaced."""
    names: list[str] = []

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            out = {}
            for key, inner in item.items():
                if (isinstance(inner, str) and is_secret_name(str(key)) and inner not in known_tokens
                        and not looks_like_placeholder(inner)):
                    names.append(str(key))
                    out[key] = placeholder_for(str(key))
                else:
                    out[key] = walk(inner)
            return out
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        if isinstance(item, str):
            cleaned = scrub_line(item, known_tokens, "YOUR_TOKEN")
            if cleaned != item:
                names.append("(a value)")
                return cleaned if cleaned is not None else ""
        return item

    return walk(value), names
