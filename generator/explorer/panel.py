"""The "Try it" panel appended to each endpoint's request column: form markup plus its data.

Everything the browser needs travels as JSON in the panel's `data-apidocs-explorer` attribute
(example values, servers, the snippet templates as slots), so the script is the same file on every page and instant
navigation needs no extra request. The form is hidden until the script brings it to life: a
form that cannot send would only mislead.
"""

from __future__ import annotations

import dataclasses
import html
import json
from typing import Any

from apidocs.config.settings import Server, Settings
from apidocs.explorer.context import ServeContext
from apidocs.explorer.slots import render_parts, slot_values
from apidocs.model.endpoint import Endpoint, encode_path_template
from apidocs.model.forms import FORM_MEDIA_TYPE
from apidocs.model.headers import READER_SESSION_HEADER
from apidocs.model.multipart import MULTIPART_MEDIA_TYPE, file_names, sample_file
from apidocs.model.paths import ROUTE_HEADER, route_header_value
from apidocs.rendering.languages import Language
from apidocs.rendering.quoting import html_attribute, json_text
from apidocs.rendering.request import HttpRequest, base_url_of, build_request

ID = "apidocs-x"
# The sandbox's per-reader session header (writers/publishing.md): the explorer sends a random id
# of its own to sandbox servers, so one reader's changes never reach another's page.
SESSION_HEADER = READER_SESSION_HEADER
EXAMPLE_SESSION = "reader-example"  # stands for the reader's id in the sandbox snippets' templates


def _json_data(value: Any) -> str:
    # `<`, `>` and `&` escaped as JSON, so nothing in the data reads as markup to Markdown.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _servers(endpoint: Endpoint, settings: Settings, has_sandbox: bool) -> list[Server]:
    # An operation's own servers stand for the site's (OpenAPI's operation servers), as in its snippets.
    servers = [Server(url, description) for url, description in endpoint.servers] or list(settings.servers)
    if settings.public_sandbox and not has_sandbox:
        # A static site has no sandbox of its own: the public one the project names comes first.
        servers.insert(0, Server(settings.public_sandbox, "Public sandbox"))
    if servers or has_sandbox:
        return servers
    return [Server(settings.default_server, "Local sandbox")]  # what the static snippets show


def explorer_data(endpoint: Endpoint, settings: Settings, languages: list[Language],
                  context: ServeContext | None = None) -> dict[str, Any]:
    sandbox = context.sandbox_path if context else None
    servers = _servers(endpoint, settings, bool(sandbox))
    request = build_request(endpoint, settings.auth, base_url_of(endpoint, settings.default_server))
    values = slot_values(request)  # the same for every language's snippet
    auth_name = settings.auth.header.lower() if settings.auth.header else None
    headers = [{"name": name, "value": value, "auth": name.lower() == auth_name} for name, value in request.headers]
    # The example's query, after the API key when the site sends one there (as the snippets do):
    # the key is the panel's token field (masked, remembered only on consent), not a query field.
    key_name = settings.auth.query or None
    query = [{"name": name, "value": value, "required": False, "auth": index == 0 and name == key_name}
             for index, (name, value) in enumerate(request.query)]
    group = endpoint.group_of_kind("query")
    for parameter in group.parameters if group else []:
        known = [item for item in query if item["name"] == parameter.name]
        for item in known:
            item["required"] = parameter.is_required
        if not known:
            query.append({"name": parameter.name, "value": "", "required": parameter.is_required, "auth": False})
    return {
        "method": endpoint.method,
        "path": encode_path_template(endpoint.path),
        "params": [{"name": name, "value": endpoint.example.path_params.get(name, "")} for name in endpoint.path_parameters],
        "query": query,
        "headers": headers,
        # `own`: the endpoint documents a token of its own (another role's), not the site's.
        "auth": {"scheme": "" if key_name else settings.auth.scheme, "query": key_name,
                 "token": endpoint.example.token or settings.auth.token,
                 "own": bool(endpoint.example.token and endpoint.example.token != settings.auth.token)}
        if settings.auth.header or key_name else None,
        "body": json_text(_edited_body(request)) if endpoint.example.has_body else None,
        # The body is sent as form fields (the example's Content-Type is a form): the reader still
        # edits it as a JSON object, and the page sends its `form_text`.
        "form": request.is_form,
        # How the form's lists travel, member by member (model/forms.py's `list_styles`): Send
        # passes them to `form_text` as the snippets do.
        "form_lists": request.form_lists,
        # A multipart body: the reader edits its fields as JSON (`body`) and chooses its files
        # (`uploads`); Send sends the parts `multipart_parts` gives, as the snippets do.
        "multipart": request.is_multipart,
        "uploads": _uploads(request),
        # A body sent as it is (model/raw.py): the reader edits the text itself, not JSON (`body`
        # stays the JSON of it, as the snippets' slot takes it); `crlf`: the example's line
        # breaks are CRLF, as the edited text's then go (a text box holds LF only).
        "raw": request.is_raw and not request.body_file,
        "crlf": request.is_raw and not request.body_file and _crlf(request.body),
        # A body that is a file (`request.body_file`): a file input stands for the body editor;
        # until the reader chooses a file, Send uploads a placeholder named as in the example.
        "body_file": _body_file(request),
        "servers": [{"url": server.url, "description": server.description,
                     "sandbox": bool(settings.public_sandbox) and server.url == settings.public_sandbox}
                    for server in servers],
        "exampleBase": base_url_of(endpoint, settings.default_server),
        "sandbox": sandbox,
        "publicSandbox": bool(settings.public_sandbox) and not sandbox,
        "proxy": context.proxy_path if context else None,
        "snippets": [{"label": language.label, "parts": render_parts(settings.snippets_dir, language, request, values)}
                     for language in languages],
        "sessionHeader": SESSION_HEADER,
        # Sent to a sandbox beside the snippet's headers: which operation this page is, among
        # those sharing its route (`/files/{id}`, `/files/{name}`).
        "route": {"header": ROUTE_HEADER, "value": route_header_value(endpoint.path)},
    } | _sandbox_snippets(settings, languages, request, servers)


def _edited_body(request: HttpRequest) -> Any:
    """The body as the reader edits it: a multipart body's file members have inputs of their own."""
    if request.is_multipart and isinstance(request.body, dict):
        return {name: value for name, value in request.body.items() if name not in request.files}
    return request.body


def _crlf(text: Any) -> bool:
    """Whether a text's line breaks are all CRLF (and it has some)."""
    return isinstance(text, str) and "\n" in text and text.count("\r\n") == text.count("\n") == text.count("\r")


def _body_file(request: HttpRequest) -> dict[str, str] | None:
    """The example's file name and the placeholder Send uploads for it (the check's sample file)."""
    if not (request.body_file and request.has_body and isinstance(request.body, str)):
        return None
    return {"name": request.body, "placeholder": sample_file(request.body).decode()}  # the loader made sure it is a name


def _uploads(request: HttpRequest) -> list[dict[str, Any]]:
    """A multipart body's file members in the body's order: the member's place among the
    body's (where the page puts it back among the edited fields), the example's file names with
    the placeholder Send uploads for each until the reader chooses files (the check's sample
    file), and whether it takes several files (its example is a list)."""
    if not (request.is_multipart and isinstance(request.body, dict)):
        return []
    uploads = []
    for at, (name, value) in enumerate(request.body.items()):
        if name in request.files:
            names = file_names(value) or []  # the loader made sure they are names
            uploads.append({"field": name, "at": at, "names": names, "multiple": isinstance(value, list),
                            "placeholders": [sample_file(file_name).decode() for file_name in names]})
    return uploads


def _sandbox_snippets(settings: Settings, languages: list[Language], request: HttpRequest,
                      servers: list[Server]) -> dict[str, Any]:
    """For a sandbox server the snippets also carry the reader's session header (last of the
    headers), so a copied snippet acts on the reader's own data; other servers keep the page's."""
    if not any(settings.public_sandbox and server.url == settings.public_sandbox for server in servers):
        return {}
    with_session = dataclasses.replace(request, headers=[*request.headers, (SESSION_HEADER, EXAMPLE_SESSION)])
    return {"sandboxSnippets": [render_parts(settings.snippets_dir, language, with_session) for language in languages]}


def _input(key: str, label: str, value: str, *, required: bool = False, kind: str = "text") -> str:
    identifier = f"{ID}-{key}"
    extra = f' data-required data-label="{html.escape(label)}" aria-required="true"' if required else ""
    return (f'<div class="apidocs-explorer-field"><label for="{identifier}">{html.escape(label)}</label>'
            f'<input id="{identifier}" data-field="{key}" type="{kind}" value="{html.escape(value)}"'
            f' autocomplete="off" autocapitalize="off" spellcheck="false"{extra}></div>')


def _group(legend: str, fields: list[str]) -> str:
    if not fields:
        return ""
    return f'<fieldset class="apidocs-explorer-group"><legend>{legend}</legend>{"".join(fields)}</fieldset>'


def _server_field(data: dict[str, Any]) -> str:
    options = []
    if data["sandbox"]:
        options.append('<option value="sandbox" data-key="sandbox">Sandbox on this docs server (fresh data)</option>')
    for index, server in enumerate(data["servers"]):
        label = f'{server["description"]} — {server["url"]}' if server["description"] else server["url"]
        options.append(f'<option value="{index}" data-key="{html.escape(server["url"])}">{html.escape(label)}</option>')
    via = ('<p class="apidocs-explorer-via" hidden>Sent through the proxy of <code>apidocs serve --proxy</code>'
           ' (same origin, no CORS); it only reaches the servers configured in mkdocs.yml.</p>')
    return (f'<div class="apidocs-explorer-field"><label for="{ID}-server">Server</label>'
            f'<select id="{ID}-server" data-field="server">{"".join(options)}</select></div>{via}')


def _token_field(data: dict[str, Any]) -> str:
    """The token: masked like a password, kept in this tab's memory unless the reader ticks Remember."""
    if not data["auth"]:
        return ""
    identifier = f"{ID}-token"
    key_name = data["auth"]["query"]
    label = f"Token (query {html.escape(key_name)})" if key_name else "Token"
    return (f'<div class="apidocs-explorer-field"><label for="{identifier}">{label}</label>'
            '<span class="apidocs-explorer-secret">'
            f'<input id="{identifier}" data-field="token" type="password" value="{html.escape(data["auth"]["token"])}"'
            f' autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="{identifier}-source">'
            f'<button type="button" class="apidocs-explorer-reveal" data-action="reveal" aria-controls="{identifier}"'
            ' aria-label="Show token" aria-pressed="false">Show</button></span>'
            f'<p class="apidocs-explorer-source" id="{identifier}-source"></p></div>'
            '<p class="apidocs-explorer-offer" hidden><span></span>'
            '<button type="button" class="apidocs-explorer-link" data-action="use-documented">Use the example\'s token</button></p>'
            '<div class="apidocs-explorer-token-tools">'
            f'<input type="checkbox" id="{ID}-remember" data-field="remember">'
            f'<label for="{ID}-remember">Remember on this device</label>'
            '<button type="button" class="apidocs-explorer-link" data-action="forget">Forget token</button></div>')


def _sandbox_session_field(data: dict[str, Any]) -> str:
    """The reader's sandbox session and its reset; shown while a sandbox server is picked."""
    if "sandboxSnippets" not in data:
        return ""
    return ('<p class="apidocs-explorer-session" hidden>Your own sandbox data: session <code></code> '
            '<button type="button" class="apidocs-explorer-link" data-action="reset-sandbox">Reset my sandbox data</button></p>')


def _content_type(data: dict[str, Any]) -> str | None:
    return next((header["value"] for header in data["headers"] if header["name"].lower() == "content-type"), None)


def _body_field(data: dict[str, Any]) -> str:
    if data["body"] is None:
        return ""
    if data.get("body_file"):
        return _body_file_field(data)
    # A body sent as it is shows as its text; the others as JSON.
    text = json.loads(data["body"]) if data.get("raw") else data["body"]
    rows = min(max(text.count("\n") + 2, 4), 16)
    # Line breaks as character references: the panel is one line, so Markdown cannot split it
    # (a CR all the same). The parser drops a line feed that opens a textarea: one more keeps
    # the text's own.
    content = html.escape(text).replace("\r", "&#13;").replace("\n", "&#10;")
    if text.startswith("\n"):
        content = "&#10;" + content
    described = f"{ID}-body-error"
    hint = ""
    said = None
    if data.get("raw"):
        content_type = _content_type(data)
        said = (f"Sent as it is ({content_type}): write the text itself, not JSON; it goes as its UTF-8 bytes"
                + (", its line breaks as CRLF, as in the example." if data.get("crlf") else "."))
    elif data.get("form"):
        said = f"Sent as form fields ({FORM_MEDIA_TYPE}): write them as a JSON object."
    elif data.get("multipart"):
        said = (f"Sent as {MULTIPART_MEDIA_TYPE}: write its text fields as a JSON object and choose its files under "
                "Files (a file not chosen is sent as a small placeholder named as in the example).")
    if said:
        described = f"{ID}-body-hint {described}"
        # A grid item of the field, under its label (a <small>: no paragraph margins to undo).
        hint = f'<small class="apidocs-explorer-body-hint" id="{ID}-body-hint">{html.escape(said)}</small>'
    return (f'<div class="apidocs-explorer-field apidocs-explorer-field--body"><label for="{ID}-body">Body</label>'
            f'{hint}<textarea id="{ID}-body" data-field="body" rows="{rows}" spellcheck="false" autocomplete="off"'
            f' aria-describedby="{described}">{content}</textarea>'
            f'<p class="apidocs-explorer-body-error" id="{ID}-body-error" hidden></p></div>')


def _body_file_field(data: dict[str, Any]) -> str:
    """A body that is a file: a file input in place of the body editor; its description (filled
    by the script) says what Send uploads."""
    identifier = f"{ID}-body-file"
    content_type = _content_type(data)
    said = (f"Sent as it is{f' ({content_type})' if content_type else ''}: the bytes of the file chosen here "
            "(a file not chosen is sent as a small placeholder named as in the example).")
    return (f'<div class="apidocs-explorer-field apidocs-explorer-field--body"><label for="{identifier}">Body file</label>'
            f'<small class="apidocs-explorer-body-hint" id="{ID}-body-hint">{html.escape(said)}</small>'
            f'<input id="{identifier}" data-field="body-file" type="file" aria-describedby="{ID}-body-hint {identifier}-hint">'
            f'<small class="apidocs-explorer-file-hint" id="{identifier}-hint"></small></div>')


def _files_field(data: dict[str, Any]) -> str:
    """A file input per file member of a multipart body, labelled with the member's name; its
    description (filled by the script) says what Send uploads."""
    inputs = []
    for index, upload in enumerate(data["uploads"]):
        identifier = f"{ID}-file-{index}"
        inputs.append(f'<div class="apidocs-explorer-field"><label for="{identifier}">{html.escape(upload["field"])}</label>'
                      f'<input id="{identifier}" data-upload="{index}" type="file"{" multiple" if upload["multiple"] else ""}'
                      f' aria-describedby="{identifier}-hint">'
                      f'<small class="apidocs-explorer-file-hint" id="{identifier}-hint"></small></div>')
    return _group("Files", inputs)


def render_panel(endpoint: Endpoint, settings: Settings, languages: list[Language],
                 context: ServeContext | None = None) -> str:
    """The panel for one endpoint; `context` is the serving process's, None in a static build."""
    if not settings.explorer:
        return ""
    data = explorer_data(endpoint, settings, languages, context)
    params = [_input(f"param-{index}", param["name"], param["value"], required=True)
              for index, param in enumerate(data["params"])]
    query = [_input(f"query-{index}", item["name"], item["value"], required=item["required"])
             for index, item in enumerate(data["query"]) if not item["auth"]]
    headers = [_input(f"header-{index}", header["name"], header["value"])
               for index, header in enumerate(data["headers"]) if not header["auth"]]
    form = (
        '<form class="apidocs-explorer-form" novalidate>'
        + _server_field(data) + _token_field(data)
        + _group("Path parameters", params) + _group("Query parameters", query) + _group("Headers", headers)
        + _body_field(data) + _files_field(data)
        + '<div class="apidocs-explorer-actions"><button type="submit" class="md-button md-button--primary">Send</button>'
        '<span class="apidocs-explorer-hint" aria-hidden="true"><kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd></span></div>'
        + _sandbox_session_field(data)
        + '</form>'
    )
    result = (
        '<div class="apidocs-explorer-result">'
        '<p role="status" class="apidocs-explorer-status"></p>'
        '<p class="apidocs-explorer-detail" hidden></p>'
        '<div class="apidocs-explorer-response" hidden>'
        '<p class="apidocs-explorer-meta"></p>'
        '<details class="apidocs-explorer-headers"><summary>Response headers</summary><pre><code></code></pre></details>'
        '<div class="highlight"><pre class="apidocs-explorer-body"><code></code></pre></div>'
        '<button type="button" class="md-button apidocs-explorer-all" data-action="show-all" hidden>Show all</button>'
        '</div></div>'
    )
    # The data rides in an attribute, not a JSON <script>: Material's instant navigation
    # re-creates inline scripts without their type, which would run the JSON as code. Form
    # labels are not content: the panel stays out of the search index.
    return (
        f'<section class="apidocs-explorer" data-apidocs-explorer={html_attribute(_json_data(data))}'
        f' aria-labelledby="{ID}-title" data-search-exclude hidden>'
        f'<p class="apidocs-aside-title" id="{ID}-title">Try it</p>'
        + form + result + '</section>\n'
    )
