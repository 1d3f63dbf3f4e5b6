"""The concrete HTTP request an example stands for: what snippets send and the check expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from apidocs.config.settings import Auth
from apidocs.model.endpoint import NO_BODY, PLACEHOLDER, Endpoint, encode_path_segment, encode_path_template
from apidocs.model.forms import is_form, list_styles
from apidocs.model.multipart import is_multipart
from apidocs.model.raw import is_raw


@dataclass
class HttpRequest:
    method: str
    base_url: str
    path: str  # percent-encoded
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)  # the auth header included
    body: object = NO_BODY  # a JSON value, or NO_BODY
    name: str = ""
    form_lists: dict[str, str] = field(default_factory=dict)  # a form's members whose lists do not repeat the name
    # A multipart body (`model/multipart.py`): its members that are files. Its Content-Type is
    # not among `headers`: each client writes its own, with the boundary it chose.
    multipart: bool = False
    files: list[str] = field(default_factory=list)
    # A raw body (`model/raw.py`) that is the bytes of the file its text names.
    body_file: bool = False

    @property
    def has_body(self) -> bool:
        return self.body is not NO_BODY

    @property
    def is_form(self) -> bool:
        """Whether the body goes as form fields (its Content-Type says so), not as JSON text."""
        return self.has_body and is_form(self.header("content-type"))

    @property
    def is_multipart(self) -> bool:
        """Whether the body goes as multipart parts, some of them files."""
        return self.has_body and self.multipart

    @property
    def is_raw(self) -> bool:
        """Whether the body goes as the bytes it is (text, or a file's with `body_file`), not as JSON."""
        return self.has_body and is_raw(self.header("content-type"))

    @property
    def query_string(self) -> str:
        return urlencode(self.query, quote_via=quote, safe="")

    @property
    def target(self) -> str:
        """Path plus query, as on the request line."""
        return self.path + (f"?{self.query_string}" if self.query else "")

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.target

    @property
    def scheme(self) -> str:
        return "https" if self.base_url.lower().startswith("https:") else "http"

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


def base_url_of(endpoint: Endpoint, site_server: str) -> str:
    """Where the snippets send this endpoint's request: its own first server (OpenAPI's operation
    `servers`), else the site's (`site_server`, as a rule `Settings.default_server`)."""
    return endpoint.servers[0][0] if endpoint.servers else site_server


def build_request(endpoint: Endpoint, auth: Auth, base_url: str, *, path_params: dict[str, str] | None = None,
                  token: str | None = None) -> HttpRequest:
    """The example request of `endpoint` against `base_url`, with the auth header first."""
    values = endpoint.example.path_params if path_params is None else path_params
    concrete = PLACEHOLDER.sub(lambda m: encode_path_segment(values.get(m.group(1), "")), encode_path_template(endpoint.path))
    headers = [(auth.header, auth.header_value(token or endpoint.example.token))] if auth.header else []
    headers += [(n, v) for n, v in endpoint.example.headers if n.lower() != auth.header.lower()]
    query = list(endpoint.example.query)
    if auth.query:  # an API key in the query: first, as the auth header is
        query = [(auth.query, token or endpoint.example.token or auth.token), *((n, v) for n, v in query if n != auth.query)]
    multipart = endpoint.example.has_body and is_multipart(endpoint.request_content_type)
    if multipart:
        headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
    return HttpRequest(endpoint.method, base_url, concrete, query, headers,
                       endpoint.example.body, endpoint.name, list_styles(endpoint.request_encoding),
                       multipart, list(endpoint.request_files) if multipart else [],
                       endpoint.example.has_body and endpoint.request_body_file and is_raw(endpoint.request_content_type))
