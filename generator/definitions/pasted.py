"""Snippets pasted into definitions by hand (from a desktop HTTP client).

They are never shown: generated snippets replace them. They are read for the example request
they carry (path values, query, headers, JSON body) and kept for lint to judge.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from apidocs.definitions.secrets import is_secret_name, looks_like_placeholder
from apidocs.model.endpoint import NO_BODY

# Titles the source site gave its pasted snippets, lower-cased.
SNIPPET_TITLES = {"curl", "httpie", "python", "python (requests)", "node", "node.js", "javascript", "js", "ruby", "php", "go", "java"}
# Headers that never belong in an example: they are per-session or per-machine.
SECRET_HEADERS = {"cookie", "set-cookie"}


@dataclass
class PastedSnippet:
    title: str
    language: str
    code: str
    line: int  # line of the opening fence
    end_line: int  # line of the attribute line (or closing fence)


@dataclass
class HarvestedRequest:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = NO_BODY
    body_text: str | None = None
    line: int = 0
    dropped_headers: list[str] = field(default_factory=list)
    method_given: bool = False  # -X/--request was written (otherwise curl implies the method)
    credentials: list[str] = field(default_factory=list)  # curl options that carried one (`user`, `oauth2-bearer`)
    data_from_file: bool = False  # `-d @file`: the body is not in the snippet

    @property
    def path(self) -> str | None:
        return unquote(urlsplit(self.url).path) if self.url else None

    @property
    def raw_path(self) -> str | None:
        return urlsplit(self.url).path if self.url else None

    @property
    def all_query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True) if self.url else []

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query an example may show: without credentials (`?api_key=…`, `access_token=…`)."""
        return [(name, value) for name, value in self.all_query if not _is_credential(name, value)]

    @property
    def secret_query(self) -> list[str]:
        """Names of the query parameters left out of `query` because they carry a credential."""
        return [name for name, value in self.all_query if _is_credential(name, value)]

    @property
    def host(self) -> str | None:
        if not self.url:
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def _is_credential(name: str, value: str) -> bool:
    return is_secret_name(name) and not looks_like_placeholder(value)


def is_snippet_title(title: str) -> bool:
    return title.strip().lower() in SNIPPET_TITLES


_ANSI_C = re.compile(r"\$'((?:[^'\\]|\\.)*)'", re.S)
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "e": "\x1b", "a": "\a", "b": "\b"}


def _decode_ansi_c(match: re.Match[str]) -> str:
    text = re.sub(r"\\(.)", lambda m: _ANSI_ESCAPES.get(m.group(1), "\\" + m.group(1)), match.group(1), flags=re.S)
    return shlex.quote(text)


def _shell_words(code: str) -> list[str]:
    joined = re.sub(r"\\\r?\n", " ", code)
    joined = _ANSI_C.sub(_decode_ansi_c, joined)
    return shlex.split(joined, comments=False)


def _parse_json(text: str | None) -> Any:
    if text is None:
        return NO_BODY
    try:
        return json.loads(text)
    except ValueError:
        return NO_BODY


# curl's options that take an argument, by their real arity (curl 8's manual). Any other option
# is a flag; `--name=value` always carries its own value.
CURL_SHORT_WITH_ARGUMENT = set("AbcCdDeEFHhKmoPQrtTuUwxXyYz")
CURL_LONG_WITH_ARGUMENT = {
    "abstract-unix-socket", "alt-svc", "aws-sigv4", "cacert", "capath", "cert", "cert-type", "ciphers", "config",
    "connect-timeout", "connect-to", "continue-at", "cookie", "cookie-jar", "create-file-mode", "crlfile", "curves",
    "data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "delegation", "dns-interface", "dns-ipv4-addr",
    "dns-ipv6-addr", "dns-servers", "doh-url", "dump-header", "ech", "egd-file", "engine", "etag-compare", "etag-save",
    "expect100-timeout", "form", "form-string", "ftp-account", "ftp-alternative-to-user", "ftp-method", "ftp-port",
    "ftp-ssl-ccc-mode", "happy-eyeballs-timeout-ms", "haproxy-clientip", "header", "help", "hostpubmd5", "hostpubsha256",
    "hsts", "interface", "ip-tos", "ipfs-gateway", "json", "keepalive-cnt", "keepalive-time", "key", "key-type", "krb",
    "libcurl", "limit-rate", "local-port", "login-options", "mail-auth", "mail-from", "mail-rcpt", "max-filesize",
    "max-redirs", "max-time", "netrc-file", "noproxy", "oauth2-bearer", "output", "output-dir", "pass", "pinnedpubkey",
    "preproxy", "proto", "proto-default", "proto-redir", "proxy", "proxy-cacert", "proxy-capath", "proxy-cert",
    "proxy-cert-type", "proxy-ciphers", "proxy-crlfile", "proxy-header", "proxy-key", "proxy-key-type", "proxy-pass",
    "proxy-pinnedpubkey", "proxy-service-name", "proxy-tls13-ciphers", "proxy-tlsauthtype", "proxy-tlspassword",
    "proxy-tlsuser", "proxy-user", "proxy1.0", "quote", "random-file", "range", "rate", "referer", "request",
    "request-target", "resolve", "retry", "retry-delay", "retry-max-time", "sasl-authzid", "service-name", "socks4",
    "socks4a", "socks5", "socks5-gssapi-service", "socks5-hostname", "speed-limit", "speed-time", "stderr",
    "telnet-option", "tftp-blksize", "time-cond", "tls-max", "tls13-ciphers", "tlsauthtype", "tlspassword", "tlsuser",
    "trace", "trace-ascii", "trace-config", "unix-socket", "upload-file", "url", "url-query", "user", "user-agent",
    "variable", "vlan-priority", "write-out",
}
_CURL_SHORT_NAMES = {"A": "user-agent", "b": "cookie", "d": "data", "F": "form", "H": "header", "I": "head", "G": "get",
                     "T": "upload-file", "u": "user", "U": "proxy-user", "X": "request", "e": "referer", "o": "output"}
_CURL_DATA = {"data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "json"}


def curl_options(words: list[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """curl's command line read as curl reads it: (long option name, its value) pairs and the
    positional words (URLs), up to `--next`. Short options are named by their long name where
    it matters (`-u` → `user`); `-sSL` is three flags; `-XPOST` and `-sXPOST` carry their value."""
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--":
            positionals.extend(words[index:])
            break
        if word.startswith("--") and len(word) > 2:
            name, has_value, value = word[2:].partition("=")
            if name == "next":
                break
            if has_value:
                options.append((name, value))
            elif name in CURL_LONG_WITH_ARGUMENT:
                options.append((name, words[index] if index < len(words) else None))
                index += 1
            else:
                options.append((name, None))
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            for position, letter in enumerate(letters):
                name = _CURL_SHORT_NAMES.get(letter, letter)
                if letter == ":":  # `-:` is --next
                    return options, positionals
                if letter in CURL_SHORT_WITH_ARGUMENT:
                    attached = letters[position + 1 :]
                    if attached:
                        options.append((name, attached))
                    else:
                        options.append((name, words[index] if index < len(words) else None))
                        index += 1
                    break
                options.append((name, None))
        else:
            positionals.append(word)
    return options, positionals


def _urlencoded(value: str) -> str | None:
    """One `--data-urlencode` argument as curl sends it (None: content read from a file)."""
    name, sep, content = value.partition("=")
    if sep:
        return f"{name}={quote(content, safe='')}" if name else quote(content, safe="")
    if "@" in value:
        return None
    return quote(value, safe="")


def harvest_curl(snippet: PastedSnippet) -> HarvestedRequest | None:
    try:
        words = _shell_words(snippet.code)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    options, positionals = curl_options(words[1:])
    request = HarvestedRequest(line=snippet.line)
    data: list[str] = []
    url_query: list[str] = []
    is_get = is_head = is_form = is_upload = False
    for name, value in options:
        if name == "request" and value:
            request.method = value.upper()
            request.method_given = True
        elif name == "header" and value and not value.startswith("@"):
            header_name, _, header_value = value.partition(":")
            header_name = header_name.strip()
            lowered = header_name.lower()
            if lowered in SECRET_HEADERS or (lowered != "authorization" and _is_credential(header_name, header_value.strip())):
                request.dropped_headers.append(header_name)
            elif header_name:
                request.headers.append((header_name, header_value.strip()))
        elif name in _CURL_DATA and value is not None:
            if name == "data-urlencode":
                encoded = _urlencoded(value)
                if encoded is None:
                    request.data_from_file = True
                    continue
                value = encoded
            elif value.startswith("@") and name != "data-raw":
                request.data_from_file = True
                continue
            data.append(value)
            if name == "json":
                request.headers += [("Content-Type", "application/json"), ("Accept", "application/json")]
        elif name == "url" and value:
            positionals.insert(0, value)
        elif name == "url-query" and value:
            url_query.append(value.lstrip("+"))
        elif name == "get":
            is_get = True
        elif name == "head":
            is_head = True
        elif name in ("form", "form-string"):
            is_form = True
        elif name == "upload-file":
            is_upload = True
        elif name in ("user", "proxy-user", "oauth2-bearer") and value:
            request.credentials.append(name)
        elif name == "cookie" and value:
            request.dropped_headers.append("Cookie")
    request.url = next((word for word in positionals if "://" in word), positionals[0] if positionals else None)
    body = "&".join(data) if data else None
    if request.url and ((is_get and body is not None) or url_query):
        moved = [*([body] if is_get and body is not None else []), *url_query]
        separator = "&" if "?" in request.url else "?"
        request.url += separator + "&".join(moved)
        if is_get:
            body = None
    if request.method is None:
        if is_head:
            request.method = "HEAD"
        elif is_get:
            request.method = "GET"
        elif body is not None or is_form:
            request.method = "POST"
        elif is_upload:
            request.method = "PUT"
        else:
            request.method = "GET"
    request.body_text = body
    request.body = _parse_json(body)
    return request


_PY_URL = re.compile(r"""url\s*=\s*["']([^"']+)["']""")
_PY_METHOD = re.compile(r"requests\.(get|post|put|patch|delete|head|options)\(")


def harvest_python(snippet: PastedSnippet) -> HarvestedRequest | None:
    url = _PY_URL.search(snippet.code)
    if not url:
        return None
    method = _PY_METHOD.search(snippet.code)
    return HarvestedRequest(method=method.group(1).upper() if method else None, url=url.group(1), line=snippet.line)


def harvest(snippets: list[PastedSnippet]) -> HarvestedRequest | None:
    """The example request the pasted snippets carry: curl first, then Python's URL."""
    for snippet in snippets:
        if snippet.title.lower() == "curl" or snippet.code.lstrip().startswith("curl "):
            found = harvest_curl(snippet)
            if found and found.url:
                return found
    for snippet in snippets:
        if snippet.language == "python":
            found = harvest_python(snippet)
            if found:
                return found
    return None
