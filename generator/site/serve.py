"""`apidocs serve`: the docs with live reload and a fresh sandbox on one origin.

MkDocs' own live-reload server does the docs (build, watch, reload); this module puts two more
things on its origin, so the explorer needs no CORS at all:

- `/sandbox/...`: a fresh in-memory sandbox (fixture data, gone when the process stops);
- `/_apidocs/proxy/...`: with `--proxy` (or `proxy: true` in mkdocs.yml), a forwarder to the
  servers configured in mkdocs.yml and nothing else.

The plugin learns about both from the `ServeContext` this module hands it before each build.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import wsgiref.simple_server
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from apidocs.config.loading import load_settings
from apidocs.config.settings import Settings
from apidocs.explorer.context import ServeContext
from apidocs.model.endpoint import Endpoint
from apidocs.model.errors import ConfigError
from apidocs.sandbox.limits import HEAD_TIMEOUT, MAX_HEADER_LINE
from apidocs.site.asgi_bridge import reason
from apidocs.site.build import configure_logging, prepare_config
from apidocs.site.hosts import HostGuard, allowed_hosts
from apidocs.site.incremental import ChangeLog, DefinitionCache, IncrementalSite
from apidocs.site.request_limits import CONNECTION_KEY, HEADER_LIST_KEY, HeadReader

SANDBOX_PATH = "/sandbox"
WRITE_TIMEOUT = 60.0  # seconds a single socket operation may take once the head is in
OPENAPI_QUIET = 1.0  # seconds without another update before openapi.json is written again

log = logging.getLogger("mkdocs.apidocs.serve")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestHandler(wsgiref.simple_server.WSGIRequestHandler):
    """Logs like MkDocs' own server (successes quietly), reads the request head within the
    sandbox's limits (`apidocs.sandbox.limits`: 431/414/408 as JSON) and passes on what the
    bridge and the proxy need: the raw request target (`%2F` intact), the headers as sent
    (a repeated one stays two) and the connection (for the body's timeouts)."""

    def handle(self) -> None:
        head = HeadReader(self.rfile, self.connection)
        stream, self.rfile = self.rfile, head  # type: ignore[assignment]  # parse_request reads through it
        self.requestline, self.request_version, self.command = "", "HTTP/1.0", ""
        try:
            try:
                self.raw_requestline = head.readline()
            except http.client.LineTooLong:
                self.send_error(414, f"the request line is over {MAX_HEADER_LINE // 1024} KiB")
                return
            if not self.raw_requestline or not self.parse_request():
                return
        except TimeoutError:
            if head.received:
                self.send_error(408, f"the request headers did not arrive within {HEAD_TIMEOUT:g} s")
            return
        finally:
            self.rfile = stream
        self.connection.settimeout(WRITE_TIMEOUT)  # a reader that stops reading does not hold a thread forever
        handler = wsgiref.simple_server.ServerHandler(self.rfile, self.wfile, self.get_stderr(),  # type: ignore[arg-type]
                                                      self.get_environ(), multithread=False)
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Refusals of the server itself (bad request line, head limits) as JSON, closing."""
        self.close_connection = True
        content = json.dumps({"detail": explain or message or reason(code)}).encode()
        try:
            self.log_request(code)
            self.wfile.write(f"HTTP/1.1 {code} {reason(code)}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(content)}\r\nConnection: close\r\n\r\n".encode() + content)
        except OSError:
            pass  # the client is gone

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ["RAW_URI"] = self.path
        environ[HEADER_LIST_KEY] = list(self.headers.items())
        environ[CONNECTION_KEY] = self.connection
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        level = logging.DEBUG if str(code) == "200" else logging.WARNING
        log.log(level, f'"{self.requestline}" code {code}')

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def _server_class() -> type:
    import watchdog.events
    import watchdog.observers
    import watchdog.observers.polling
    from mkdocs.livereload import LiveReloadServer

    class ApidocsServer(LiveReloadServer):
        """MkDocs' live-reload server with extra WSGI apps mounted at path prefixes."""

        def __init__(self, *args: Any, mounts: dict[str, WsgiApp], changes: ChangeLog,
                     before_page: Callable[[str], None], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.RequestHandlerClass = RequestHandler
            self.mounts = mounts
            self.before_page = before_page  # brings a page whose nav lags up to date
            # The system's file notifications instead of MkDocs' polling (a stat of every file
            # twice a second): idle costs nothing; polling stays the fallback.
            self.observer = watchdog.observers.Observer()  # type: ignore[assignment]
            self.changes = changes  # which files changed, for the incremental rebuild
            self._watch_list: list[tuple[str, bool]] = []

        def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
            path = os.path.abspath(path)
            if path in self._watched_paths:
                self._watched_paths[path] += 1
                return
            self._watched_paths[path] = 1
            self._watch_list.append((path, recursive))
            try:
                self._watch_refs[path] = self.observer.schedule(self._change_handler(), path, recursive=recursive)
            except OSError as error:  # e.g. inotify's watch limit: poll like MkDocs
                log.warning(f"file notifications unavailable ({error}): polling for changes")
                self.observer = watchdog.observers.polling.PollingObserver(timeout=0.5)
                for watched, deep in self._watch_list:
                    self._watch_refs[watched] = self.observer.schedule(self._change_handler(), watched, recursive=deep)

        def _change_handler(self) -> Any:
            def changed(event: Any) -> None:
                # Only writes: the build itself opens and reads the watched files. Of a folder's
                # events, only its going away: moved out of the tree (to the trash), it is one event
                # for everything it held; its files' own events come for the rest.
                if event.is_directory and event.event_type not in ("deleted", "moved"):
                    return
                if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
                    return
                self.changes.record(event)
                with self._rebuild_cond:
                    self._want_rebuild = True
                    self._rebuild_cond.notify_all()

            handler = watchdog.events.FileSystemEventHandler()
            handler.on_any_event = changed  # type: ignore[method-assign]
            return handler

        def build_aside(self, build: Callable[[], None]) -> None:
            """A full build while the current site stays served: page requests do not wait for
            it (they would, as for any rebuild, in MkDocs' server); `build` switches the served
            folder when it is through, and the browsers reload as after any build."""
            with self._epoch_cond:
                wanted, self._wanted_epoch = self._wanted_epoch, self._visible_epoch
                self._epoch_cond.notify_all()
            build()  # an error leaves the current site served, as it was
            with self._epoch_cond:
                self._wanted_epoch = wanted  # made visible by MkDocs' build loop right after

        def serve_request(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            for prefix, app in self.mounts.items():
                if path == prefix or path.startswith(prefix + "/"):
                    return app(environ, start_response)
            try:
                self.before_page(path)
            except Exception:  # the page as it is on disk, rather than no page
                log.exception(f"{path}: not rendered again")
            # MkDocs opens a file, then takes Content-Length from its path: when the file is
            # replaced in between (openapi.json and the search index are, atomically, under
            # serve), the length is the new file's and the body the old one's, and the client
            # sees a broken answer. The length is taken from the file that was opened instead.
            answered: list[tuple[str, list[tuple[str, str]]]] = []
            body = super().serve_request(environ, lambda status, headers, *_: answered.append((status, headers)))
            status, headers = answered[-1]
            opened = getattr(body, "filelike", None)
            try:
                size = os.fstat(opened.fileno()).st_size if opened is not None else None
            except (OSError, ValueError, io.UnsupportedOperation):
                size = None  # an HTML page, read whole already: its length is right
            if size is not None:
                headers = [(name, str(size) if name.lower() == "content-length" else value) for name, value in headers]
            start_response(status, headers)
            return body

    return ApidocsServer


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into the Ctrl-C path, so the temporary site and the sandbox are cleaned up."""
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def _banner(url: str, settings: Settings, proxy: bool) -> str:
    lines = [f"apidocs: docs on {url} (live reload; Ctrl-C to stop)",
             f"  sandbox on {url.rstrip('/')}{SANDBOX_PATH}/ (fresh fixture data for this run; "
             f"token {settings.auth.token}); new and changed endpoints answer there at once",
             "  Try it sends to this sandbox by default; readers may pick another server in its list"]
    servers = ", ".join(server.url for server in settings.servers if not server.relative)  # a path is the sandbox's
    if servers and proxy:
        lines.append(f"  proxy on: Try it reaches {servers} through this server")
    elif servers:
        lines.append(f"  proxy off: picked there, {servers} is called straight from the browser (--proxy avoids CORS)")
    return "\n".join(lines)


def serve(config_file: str | Path = "mkdocs.yml", *, host: str = "127.0.0.1", port: int = 8000, proxy: bool = False,
          audience: str | None = None, open_browser: bool = False, engine: str = "mkdocs") -> int:
    """Serve until Ctrl-C (or SIGTERM); 1 with one clear line when it cannot start."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    from apidocs.sandbox.app import create_app
    from apidocs.site.asgi_bridge import AsgiBridge
    from apidocs.site.proxy import PREFIX as PROXY_PATH
    from apidocs.site.proxy import Proxy, proxy_disabled

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    settings = load_settings(config_file)  # ConfigError → one line from the CLI
    proxy = proxy or settings.proxy
    configure_logging()
    _stop_on_sigterm()

    sandbox = create_app(settings, None)  # in memory: every run starts from the fixtures
    bridge = AsgiBridge(sandbox, SANDBOX_PATH)
    hosts = allowed_hosts(host)  # against DNS rebinding: only this server's own names reach the mounts
    mounts: dict[str, WsgiApp] = {
        SANDBOX_PATH: HostGuard(bridge, hosts),
        # A relative server (`/api/v1`) is this sandbox's own path, not a host to forward to.
        PROXY_PATH: HostGuard(Proxy([server.url for server in settings.servers if not server.relative]) if proxy else proxy_disabled, hosts,
                              ("X-Apidocs-Proxy", "refused")),
    }
    context = ServeContext(sandbox_path=SANDBOX_PATH, proxy_path=PROXY_PATH if proxy else None)
    sites = SiteFolders()
    root, zensical = str(sites.current), None
    if engine == "zensical":  # the pre-rendered tree, re-rendered and rebuilt by Zensical on change
        from apidocs.site.zensical import ZensicalServe

        zensical = ZensicalServe(settings.config_file, sites.parent, audience, context)
        root = str(zensical.site_dir)
    overrides = {"dev_addr": f"{host}:{port}"}
    server = None
    site, definitions, changes = IncrementalSite(), DefinitionCache(), ChangeLog()
    after_update = BackgroundWork()

    def refresh_routes(endpoints: list[Endpoint] | None) -> None:
        after_update.submit("sandbox routes", lambda: refresh_sandbox(sandbox, settings, endpoints))

    try:
        config = prepare_config(load_config(str(settings.config_file), site_dir=str(sites.next()), **overrides), "serve",
                                audience, context)
        serve_url = f"http://{host}:{port}/"
        # Pages keep their real site_url for links; only the server needs its local address.

        def full_build(current: Any) -> None:
            """A whole site into a folder of its own, served once it is complete."""
            if current is None:
                current = prepare_config(load_config(str(settings.config_file), site_dir=str(sites.next()), **overrides),
                                         "serve", audience, context)
            current.site_url = serve_url
            definitions.attach(current)
            site.failed()  # until this build is through, the next change rebuilds everything
            try:
                build(current, serve_url=serve_url)
            except BaseException:
                sites.discard(Path(current.site_dir))
                raise
            sites.switch(Path(current.site_dir))
            site.built(current)

        def builder(fresh: Any = None) -> None:
            if zensical is not None:
                if fresh is None:  # a rebuild after a change: the sandbox learns new and changed endpoints too
                    refresh_sandbox(sandbox, settings)
                zensical.build()
                return
            if fresh is not None:
                full_build(fresh)
                return
            changed = changes.take()
            assert server is not None
            if site.is_request_column_change(changed):
                # Every endpoint page's column again: seconds on a large site, so pages are
                # answered meanwhile (each one whole, before or after the change).
                server.build_aside(lambda: apply_change(changed))
            else:
                apply_change(changed)

        def apply_change(changed: set[str]) -> None:
            definitions.verify(changed)  # the watcher's paths are read again, whatever their stat says
            try:
                update = site.update(changed)
            except Exception as error:  # e.g. a snippet failing on the changed page: the full build reports it
                log.warning(f"updating the changed pages failed ({error}): building the whole site")
                update = None
            if update is not None:
                log.info(update.describe())
                if update.stale:
                    after_update.submit("pages' nav", site.render_all_stale)
                if update.endpoints_changed:  # after the pages are served: the sandbox and openapi.json follow
                    refresh_routes(site.endpoints)
                if update.endpoints_changed or update.request_columns:  # its code samples are the snippets
                    openapi = site.openapi_writer()
                    if openapi is not None:
                        after_update.submit("openapi.json", openapi, quiet=OPENAPI_QUIET)
                return
            assert server is not None
            server.build_aside(lambda: full_build(None))
            refresh_routes(site.endpoints)

        config.site_url = serve_url
        server = _server_class()(builder=builder, host=host, port=port, root=root, mounts=mounts, changes=changes,
                                 before_page=site.render_stale)
        server.error_handler = lambda code: _error_page(root, code)
        try:
            server.server_bind()  # now, so a taken port is reported before a whole build
        except OSError as error:
            print(f"apidocs: cannot listen on {host}:{port}: {error.strerror or error} (pass another --port)", flush=True)
            return 1
        server.server_bind = lambda: None
        if port == 0:  # `--port 0`: the system picked a free port; pages and the banner show the real one
            port = server.server_address[1]
            serve_url = server.url = f"http://{host}:{port}/"
            config.site_url = serve_url
        builder(config)
        for path in (config.docs_dir, str(settings.config_file), str(settings.snippets_dir), str(settings.includes_dir)):
            if os.path.exists(path):
                server.watch(path)
        print(_banner(serve_url, settings, proxy), flush=True)
        server.serve(open_in_browser=open_browser)
    except (ConfigurationError, PluginError, ConfigError) as error:
        print(f"apidocs: {str(error).strip()}", file=sys.stderr, flush=True)
        return 1
    except Abort:
        print("apidocs: build failed (the errors are listed above)", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.shutdown()
        bridge.close()
        sandbox.state.sandbox.store.close()
        sites.remove()
    return 0


class SiteFolders:
    """The sites of one run, in a temporary folder removed at the end: each full build goes into
    a folder of its own while the last complete one stays served through the link `current`."""

    def __init__(self) -> None:
        self.parent = Path(tempfile.mkdtemp(prefix="apidocs_"))
        self.current = self.parent / "current"
        self._built = 0
        self._served: Path | None = None

    def next(self) -> Path:
        self._built += 1
        return self.parent / f"site-{self._built}"

    def switch(self, folder: Path) -> None:
        """Serve `folder` from now on: a request opens a file of the old site or of the new one."""
        link = self.parent / f".current-{self._built}"
        link.symlink_to(folder.name)
        os.replace(link, self.current)
        previous, self._served = self._served, folder
        if previous is not None and previous != folder:
            # In its own thread: a large site takes a while to delete, and the new one is ready.
            threading.Thread(target=shutil.rmtree, args=(previous, True), name="apidocs-old-site", daemon=True).start()

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.parent, ignore_errors=True)


class BackgroundWork:
    """What follows an update, in a thread of its own, so the saved page is served without
    waiting for it (openapi.json of 1,000 endpoints takes half a second; routing them again,
    with the unchanged ones kept, a few hundredths);
    jobs of one kind submitted in quick succession collapse into the latest. A job given a
    `quiet` time waits until its kind was not submitted for that long: a writer saving again
    and again does not have each next update compete with the last one's openapi.json."""

    def __init__(self) -> None:
        self._wanted = threading.Condition()
        self._pending: dict[str, tuple[Callable[[], None], float]] = {}  # kind → (job, when it may run)
        threading.Thread(target=self._run, name="apidocs-after-update", daemon=True).start()

    def submit(self, kind: str, job: Callable[[], None], quiet: float = 0.0) -> None:
        with self._wanted:
            self._pending[kind] = (job, time.monotonic() + quiet)
            self._wanted.notify()

    def _next(self) -> tuple[str, Callable[[], None]]:
        with self._wanted:
            while True:
                if not self._pending:
                    self._wanted.wait()
                    continue
                kind, (job, due) = min(self._pending.items(), key=lambda item: item[1][1])
                wait = due - time.monotonic()
                if wait <= 0:
                    del self._pending[kind]
                    return kind, job
                self._wanted.wait(wait)

    def _run(self) -> None:
        while True:
            kind, job = self._next()
            try:
                job()
            except Exception as error:  # the docs server keeps going; the next update tries again
                log.warning(f"{kind} not updated: {error}")


def refresh_sandbox(sandbox: Any, settings: Settings, endpoints: list[Endpoint] | None = None) -> None:
    """The writer loop: a definition added or changed while serving answers in Try it at once.

    `endpoints`: the definitions the build just read (else they are read again)."""
    from apidocs.sandbox.app import refresh_routes

    try:
        count = refresh_routes(sandbox, settings, endpoints)
    except Exception as error:  # a broken tree must not stop the docs server; the page shows the errors
        log.warning(f"sandbox: routes not refreshed: {error}")
        return
    log.debug(f"sandbox: {count} endpoints routed")


def _error_page(site_dir: str, code: int) -> bytes | None:
    page = Path(site_dir) / f"{code}.html"
    return page.read_bytes() if code in (404, 500) and page.is_file() else None
