"""`apidocs`: thin glue from the command line to the modules that do the work.

Every command takes `-f path/to/mkdocs.yml`; user errors print as one clear line and exit 1,
never as a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from apidocs.model.errors import ConfigError, DefinitionError


def _build(args: argparse.Namespace) -> int:
    from apidocs.site.build import build_site

    return build_site(args.config_file, strict=args.strict, site_dir=args.site_dir, audience=args.audience,
                      engine=args.engine)


def _render(args: argparse.Namespace) -> int:
    from apidocs.site.prerender import run_render

    return run_render(args.config_file, args.dest, audience=args.audience, strict=args.strict)


def _verify_site(args: argparse.Namespace) -> int:
    from apidocs.site.verify import run_verify

    return run_verify(args.config_file, args.site_dir, audience=args.audience)


def _serve(args: argparse.Namespace) -> int:
    from apidocs.site.serve import serve

    return serve(args.config_file, host=args.host, port=args.port, proxy=args.proxy, audience=args.audience,
                 open_browser=args.open, engine=args.engine)


def _new(args: argparse.Namespace) -> int:
    from apidocs.definitions.scaffold import new_definition

    return new_definition(args.config_file, args.method, args.path, name=args.name, folder=args.folder)


def _sandbox(args: argparse.Namespace) -> int:
    from apidocs.sandbox.server import run_sandbox

    return run_sandbox(args.config_file, host=args.host, port=args.port, db=args.db, reset=args.reset,
                       database=args.database, workers=args.workers, session_idle=args.session_idle,
                       max_sessions=args.max_sessions, cors_origins=args.cors_origin)


class Stopped(KeyboardInterrupt):
    """A stop asked for by a signal other than Ctrl-C's, ended the way Ctrl-C ends a command."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def _check(args: argparse.Namespace) -> int:
    from apidocs.check.run import run_check

    # `timeout`, a cancelled CI job and service managers stop with SIGTERM: the check then ends as
    # Ctrl-C ends it, its sandbox, snippets and temporary folders cleaned up (it left them running).
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return run_check(args.config_file, paths=args.paths, languages=args.lang, base_url=args.base_url,
                         jobs=args.jobs, timeout=args.timeout, junit=args.junit, strict=args.strict)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _lint(args: argparse.Namespace) -> int:
    from apidocs.lint import run_lint

    return run_lint(args.config_file, args.paths)


def _import_jekyll(args: argparse.Namespace) -> int:
    from apidocs.jekyll import run_import

    return run_import(Path(args.src), Path(args.dest), force=args.force)


def _export_openapi(args: argparse.Namespace) -> int:
    from apidocs.openapi.command import run_export

    return run_export(args.config_file, args.output)


def _import_openapi(args: argparse.Namespace) -> int:
    from apidocs.openapi.importer import run_import

    return run_import(Path(args.spec), Path(args.dest), force=args.force)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apidocs", description="API reference sites whose snippets are executed.")
    parser.add_argument("-f", "--config-file", default="mkdocs.yml", help="path to mkdocs.yml (default: ./mkdocs.yml)")
    # `-f` is also taken after the command (`apidocs build -f docs/mkdocs.yml`, as `mkdocs build -f`
    # reads): SUPPRESS keeps the one given before the command when none is given after it.
    config_file = argparse.ArgumentParser(add_help=False)
    config_file.add_argument("-f", "--config-file", default=argparse.SUPPRESS,
                             help="path to mkdocs.yml (default: ./mkdocs.yml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, parents=[config_file])
        sub.set_defaults(run=run)
        return sub

    build = command("build", _build, "build the static site")
    build.add_argument("--strict", action="store_true", help="fail on warnings too")
    build.add_argument("-d", "--site-dir", default=None, help="output folder (default: site/)")
    build.add_argument("--audience", default=None, help="build the site of one audience (e.g. internal)")
    build.add_argument("--engine", choices=("mkdocs", "zensical"), default="mkdocs",
                       help="mkdocs (with the plugin, default) or zensical (builds the pre-rendered tree)")

    render = command("render", _render, "write the site as a plain docs tree and mkdocs.yml that need no plugin "
                                        "(for `mkdocs build` or `zensical build`)")
    render.add_argument("dest", metavar="DEST", help="an empty or new folder, or one written by render before")
    render.add_argument("--audience", default=None, help="render the pages of one audience (e.g. internal)")
    render.add_argument("--strict", action="store_true", help="fail on warnings too")

    verify = command("verify-site", _verify_site, "fail when a built site's endpoint pages lack generated snippets "
                                                  "(an engine skipped the apidocs plugin)")
    verify.add_argument("site_dir", nargs="?", default=None, metavar="SITE_DIR", help="the built site (default: site_dir)")
    verify.add_argument("--audience", default=None, help="the audience the site was built for")

    serve = command("serve", _serve, "serve the docs with live reload and a fresh sandbox on the same origin")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--proxy", action="store_true", help="let the explorer reach configured servers through this process")
    serve.add_argument("--audience", default=None)
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    serve.add_argument("--engine", choices=("mkdocs", "zensical"), default="mkdocs",
                       help="mkdocs (with the plugin, default) or zensical (re-renders and rebuilds on change)")

    new = command("new", _new, "scaffold an endpoint definition")
    new.add_argument("method", metavar="METHOD")
    new.add_argument("path", metavar="PATH", help="e.g. /timp/orders/{order_uuid}/")
    new.add_argument("--name", default=None, help="human title (default: derived from the path)")
    new.add_argument("--folder", default=None, help="folder under docs/ (default: derived from the path)")

    sandbox = command("sandbox", _sandbox, "run the stateful sandbox server for the documented API")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8001)
    sandbox.add_argument("--db", default=None, help="SQLite file for state (default: .apidocs/sandbox.sqlite3)")
    sandbox.add_argument("--reset", action="store_true", help="restore the fixtures before starting")
    sandbox.add_argument("--database", default=None, metavar="URL",
                         help="postgresql://… : keep the state in PostgreSQL (for --workers and public sandboxes)")
    sandbox.add_argument("--workers", type=int, default=1, help="worker processes on the same port (default 1)")
    sandbox.add_argument("--session-idle", type=float, default=3600.0, metavar="SECONDS",
                         help="a reader's session idle this long starts again from the fixtures (default 3600)")
    sandbox.add_argument("--max-sessions", type=int, default=10000, metavar="N",
                         help="live sessions kept at most, least recently used dropped first (default 10000)")
    sandbox.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN",
                         help="allow only this site origin to call the sandbox from a browser (repeatable; default: any)")

    check = command("check", _check, "execute every snippet and prove it sent the documented request")
    check.add_argument("paths", nargs="*", metavar="PATHS", help="definition files to check (default: all)")
    check.add_argument("--lang", action="append", default=None, help="only these languages (repeatable)")
    check.add_argument("--base-url", default=None, help="run against this server instead of a fresh sandbox")
    check.add_argument("-j", "--jobs", type=int, default=None, help="parallel snippets (default: CPU count)")
    check.add_argument("--timeout", type=float, default=30.0, help="seconds per snippet (default: 30)")
    check.add_argument("--junit", default=None, metavar="FILE", help="write JUnit XML here")
    check.add_argument("--strict", action="store_true",
                       help="a snippet that cannot be run (no example value for a path parameter) fails the check")

    lint = command("lint", _lint, "report problems in definitions as path:line: CODE message")
    lint.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: docs/)")

    importer = command("import-jekyll", _import_jekyll, "turn a Jekyll (Aviator) API docs tree into an apidocs project")
    importer.add_argument("src", metavar="SRC")
    importer.add_argument("dest", metavar="DEST")
    importer.add_argument("--force", action="store_true", help="write into a DEST that is not empty")
    export = command("export-openapi", _export_openapi, "write the OpenAPI 3.1 document of the definitions")
    export.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="JSON, or YAML for .yaml/.yml (default: JSON on standard output)")
    openapi_import = command("import-openapi", _import_openapi, "turn an OpenAPI 3.0/3.1 document into an apidocs project")
    openapi_import.add_argument("spec", metavar="SPEC", help="the OpenAPI document (YAML or JSON; relative $refs are followed)")
    openapi_import.add_argument("dest", metavar="DEST")
    openapi_import.add_argument("--force", action="store_true", help="write into a DEST that is not empty")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ConfigError, DefinitionError) as error:
        print(f"apidocs: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stopped:
        return 128 + (stopped.signum if isinstance(stopped, Stopped) else signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
