"""The files around the pages: mkdocs.yml, each section's `.section.yml`, the home page.

Servers and the auth placeholder are read from what the tree's snippets used; the audiences
from the visibilities of its collections (see `generator/audiences.py` for the rule).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import yaml

from apidocs.config.project import dump_config, project_config
from apidocs.config.settings import Auth
from apidocs.definitions.audiences import EVERYONE
from apidocs.definitions.jekyll_tree import Collection, JekyllTree
from apidocs.definitions.secrets import looks_like_placeholder

DEFAULT_AUDIENCE = "public"
_HOST_WORDS = {"sandbox": "Sandbox", "dev": "Development", "develop": "Development", "staging": "Staging",
               "stage": "Staging", "test": "Test", "qa": "QA", "demo": "Demo", "prod": "Production", "api": "Production"}


def describe_host(url: str) -> str:
    """`https://api-sandbox.example.com` → `Sandbox`: the word the host's first label carries."""
    label = re.sub(r"^https?://", "", url).split(".")[0]
    words = re.split(r"[-_]", label)
    for word in reversed(words):
        if word.lower() in _HOST_WORDS:
            return _HOST_WORDS[word.lower()]
    return label


def detect_servers(hosts: Iterable[str]) -> list[dict[str, str]]:
    """Every host the snippets called, the most used first."""
    counts = Counter(host.rstrip("/") for host in hosts if host)
    return [{"url": host, "description": describe_host(host)} for host, _ in counts.most_common()]


def choose_tokens(tokens: Iterable[str]) -> tuple[str, list[str]]:
    """The documented placeholder (the most used placeholder-looking token) and the other
    placeholder-looking tokens pages use (demo tokens, e.g. a retailer's). Real-looking tokens
    are secrets and never chosen."""
    # Words like YOUR_AUTH_TOKEN explain where a token goes; they are no value to send.
    counts = Counter(token for token in tokens if looks_like_placeholder(token) and re.fullmatch(r"[\w.-]+", token)
                     and not re.fullmatch(r"[A-Z][A-Z0-9_-]*", token))
    ranked = [token for token, _ in counts.most_common()]
    if not ranked:
        return Auth().token, []
    return ranked[0], sorted(ranked[1:])


def scheme_of(schemes: Iterable[str]) -> str:
    counts = Counter(schemes)
    return counts.most_common(1)[0][0] if counts else Auth().scheme


def section_yaml(collection: Collection) -> str:
    """`.section.yml` for a collection: its own keys as written (title, position, visibility, type…)."""
    values: dict[str, Any] = {"title": collection.title}
    if collection.position is not None:
        values["position"] = collection.position
    values["visibility"] = ", ".join(collection.listed_visibility)
    for key, value in collection.values.items():
        if key not in values and value is not None:
            values[key] = value
    header = f"# Collection `{collection.name}` of the Jekyll site's _config.yml.\n"
    return header + yaml.safe_dump(values, sort_keys=False, allow_unicode=True)


def audiences_of(tree: JekyllTree) -> dict[str, dict[str, list[str]]]:
    """One audience per collection visibility of `_config.yml` (those whose collections are all
    empty too: the Jekyll site had their page, listing nothing), with its rule written out."""
    names = sorted({name for c in tree.collections.values() for name in c.visibility})
    return {name: {"sections": [name], "pages": [EVERYONE, name]} for name in names}


def mkdocs_yml(tree: JekyllTree, servers: list[dict[str, str]], placeholder: str, demo_tokens: list[str], scheme: str) -> str:
    config = tree.site_values  # credentials replaced by placeholders
    audiences = audiences_of(tree)
    default = DEFAULT_AUDIENCE if DEFAULT_AUDIENCE in audiences else next(iter(audiences), None)
    site_url = str(config.get("url") or "").rstrip("/")
    baseurl = str(config.get("baseurl") or "").strip("/")
    options: dict[str, Any] = {
        "servers": servers,
        "auth": {"header": "Authorization", "scheme": scheme, "token": placeholder, "demo_tokens": demo_tokens},
        "includes_dir": "includes",
        "site": tree.site_values,
        # An imported API is not the TIMP workflow the sandbox knows: mock it from its docs.
        "sandbox_workflow": False,
    }
    if default:
        options["audience"] = default
    if audiences:
        options["audiences"] = audiences
    document = project_config(
        str(config.get("title") or tree.root.name), options, description=str(config.get("description") or ""),
        site_url=(f"{site_url}/{baseurl}/" if baseurl else f"{site_url}/") if site_url else "",
        # Links are written `/section/page.md`, from the docs folder, as the one-page Jekyll site's were.
        extra={"validation": {"links": {"absolute_links": "relative_to_docs"}}})
    header = (f"# Imported from the Jekyll site {tree.root} by `apidocs import-jekyll`.\n"
              f"# `apidocs build` builds the {default or 'whole'} site; `apidocs build --audience NAME` another one.\n"
              "# An audience shows the sections whose visibility is in `sections` and, in them, the pages\n"
              "# whose visibility is in `pages` (see import-report.txt for what the import changed).\n")
    return dump_config(document, header)


def index_page(tree: JekyllTree) -> str:
    """The home page the one-page Jekyll site had: its title and description, for every audience."""
    title = str(tree.site_values.get("title") or tree.root.name)
    description = str(tree.site_values.get("description") or "").strip()
    front = yaml.safe_dump({"title": title, "position": 0, "visibility": EVERYONE}, sort_keys=False)
    return f"---\n{front}---\n\n# {title}\n\n" + (f"{description}\n" if description else "")
