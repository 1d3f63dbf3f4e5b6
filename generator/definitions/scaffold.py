"""`apidocs new METHOD PATH`: write a definition skeleton a writer only has to fill in."""

from __future__ import annotations

import re
from pathlib import Path

from apidocs.config.loading import load_settings
from apidocs.definitions.loader import load_tree, path_from_title
from apidocs.model.endpoint import HTTP_METHODS, PLACEHOLDER
from apidocs.model.errors import ConfigError

_VERBS = {"GET": "Get", "POST": "Create", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete", "HEAD": "Check", "OPTIONS": "Options for"}


# Text `apidocs new` writes for the writer to replace; lint fails while any of it is left. Each
# is matched as the skeleton writes it: a real API may well have a field called `field_name`, or
# prose that asks the reader to "describe what" they need.
EXAMPLE_PLACEHOLDER = "REPLACE-WITH-AN-EXAMPLE-VALUE"
FIELD_PLACEHOLDER = "field_name"
_SUMMARY = "Describe what {name} does and who may call it."
_IDENTIFIES, _MEANS = "What this identifies", "What this field means"
SKELETON_TEXT = re.compile("|".join([
    re.escape(EXAMPLE_PLACEHOLDER),
    "^" + re.escape(_SUMMARY).replace(re.escape("{name}"), ".*") + "$",
    # The skeleton's own descriptions, as the whole text of a definition (type and flags kept or not).
    rf"^:\s.*(?:{_IDENTIFIES}|{_MEANS})\s*$",
    # A term that is the placeholder and nothing else (a field of that name is one lint lets be:
    # see `skeleton_field_left`).
    rf"^{FIELD_PLACEHOLDER}$",
]))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "endpoint"


def default_name(method: str, path: str) -> str:
    words = [s for s in path.strip("/").split("/") if s and not PLACEHOLDER.fullmatch(s)]
    subject = words[-1].replace("_", " ").replace("-", " ") if words else "root"
    return f"{_VERBS.get(method, method.title())} {subject}".strip().title()


def definition_text(method: str, path: str, name: str) -> str:
    title = PLACEHOLDER.sub(lambda m: f"&lt;{m.group(1)}&gt;", path)
    params = PLACEHOLDER.findall(path)
    lines = ["---", f"title: {title}", f"name: {name}",
             "# position: 1.2  (its place in the section; without one, the page comes last)", "visibility: public",
             f"method: {method.lower()}", f"description: {name}"]
    if params or method in ("POST", "PUT", "PATCH"):
        lines.append("example:")
        if params:
            lines.append("  params:")
            lines += [f"    {param}: {EXAMPLE_PLACEHOLDER}" for param in params]
        if method in ("POST", "PUT", "PATCH"):
            lines.append("  body: {}")
    lines += ["responses:", "  - status: 200", "    body: {}", "---", _SUMMARY.format(name=name), ""]
    if params:
        lines += ["### URL Parameters:", ""]
        for param in params:
            lines += [param, f": (string) {_IDENTIFIES}", ""]
    if method in ("POST", "PUT", "PATCH"):
        lines += ["### Request Parameters:", "", FIELD_PLACEHOLDER, f": (string) ***Required*** {_MEANS}", ""]
    lines += ["### Response Parameters:", "", FIELD_PLACEHOLDER, f": (string) {_MEANS}", ""]
    return "\n".join(lines)


def new_definition(config_file: str | Path, method: str, path: str, *, name: str | None = None,
                   folder: str | None = None) -> int:
    settings = load_settings(config_file)
    method_name = method.upper()
    if method_name not in HTTP_METHODS:
        raise ConfigError(f"unknown method {method!r} (one of {', '.join(HTTP_METHODS)})")
    template = path_from_title(path)
    if not template.startswith("/"):
        raise ConfigError(f"the path must start with '/': {path!r}")
    tree = load_tree(settings.docs_dir, settings.includes_dir, settings.site)
    for endpoint in tree.endpoints:
        if endpoint.method == method_name and endpoint.path == template:
            raise ConfigError(f"{endpoint.source}: already defines {method_name} {template}")
    if folder is None:
        # Put it beside the endpoint whose path shares the longest prefix.
        best, best_length = "", 0
        for endpoint in tree.endpoints:
            length = len(_common_prefix(endpoint.path, template))
            if length > best_length:
                best, best_length = endpoint.src_uri.rpartition("/")[0], length
        folder = best
    title = name or default_name(method_name, template)
    target = settings.docs_dir / folder / f"{_slug(title)}.md"
    if target.exists():
        raise ConfigError(f"{target} exists already (pass --name to choose another file name)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(definition_text(method_name, template, title), encoding="utf-8")
    print(f"created {target}")
    return 0


def _common_prefix(a: str, b: str) -> str:
    parts = []
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        parts.append(x)
    return "/".join(parts)
