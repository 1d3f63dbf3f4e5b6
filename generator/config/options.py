"""The `apidocs` options in mkdocs.yml, declared once and validated by MkDocs' config machinery."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class ServerConfig(base.Config):
    url = c.Type(str)
    description = c.Type(str, default="")


class AuthConfig(base.Config):
    header = c.Type(str, default="Authorization")
    scheme = c.Type(str, default="Token")
    token = c.Type(str, default="1234567890")
    # An API key sent in the query instead (`?api_key=<token>`): the parameter's name. The header
    # is then not used.
    query = c.Type(str, default="")
    # Other demo tokens the docs may use in examples (e.g. a retailer's); not secrets.
    demo_tokens = c.ListOfItems(c.Type(str), default=[])


class AudienceConfig(base.Config):
    # Sections (folders) shown: those whose visibility is one of these (default: the audience's name).
    sections = c.Optional(c.ListOfItems(c.Type(str)))
    # Pages shown inside them: those whose visibility names one of these (default: `all` and the name).
    pages = c.Optional(c.ListOfItems(c.Type(str)))


class ApidocsConfig(base.Config):
    servers = c.ListOfItems(c.SubConfig(ServerConfig), default=[])
    auth = c.SubConfig(AuthConfig)
    includes_dir = c.Type(str, default="includes")
    snippets_dir = c.Optional(c.Type(str))
    site = c.Type(dict, default={})  # values for `{{ site.* }}` in Liquid
    fixtures = c.Optional(c.Type(str))  # sandbox fixture file (stateful sandbox)
    audience = c.Optional(c.Type(str))
    audiences = c.DictOfItems(c.SubConfig(AudienceConfig), default={})  # see generator/audiences.py
    explorer = c.Type(bool, default=True)
    # The sandbox's stateful TIMP order-cancelation handlers; off, every endpoint is the generic mock.
    sandbox_workflow = c.Type(bool, default=True)
    proxy = c.Type(bool, default=False)
    # A sandbox reachable from the published (static) site, offered first in its Try-it server list.
    public_sandbox = c.Optional(c.Type(str))
    # The API's version, as openapi.json's `info.version` says it (import-openapi keeps the spec's).
    api_version = c.Type((str, int, float), default="")  # `2.1` unquoted is a number in YAML
    # Globs under docs_dir (`api/**/*.md`) whose files are definitions even without `method`;
    # any other page is left to MkDocs unless it has `method` or `apidocs: true`.
    definitions = c.ListOfItems(c.Type(str), default=[])
