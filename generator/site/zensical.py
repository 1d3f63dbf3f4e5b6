"""`apidocs build --engine zensical`: the pre-rendered tree, built by Zensical.

Zensical reads mkdocs.yml but has no plugin API, so it never runs apidocs itself. This module
renders the project into a work folder (`.apidocs/render/<audience>/` beside mkdocs.yml, kept
between builds so the render and Zensical's own cache are incremental), runs `zensical build`
on it as a separate process, checks the pages it wrote (`verify.py`) and puts the site where
`apidocs build` puts it.

Zensical insists that its site folder lies inside the folder of its config file, so it builds
into the work folder and the site is copied out.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from apidocs.explorer.context import ServeContext
from apidocs.model.endpoint import Endpoint
from apidocs.model.errors import ConfigError
from apidocs.site.prerender import SITE, Project, RenderResult, load_project, render_tree
from apidocs.site.verify import verify_pages

ENGINES = ("mkdocs", "zensical")
WORK_FOLDER = ".apidocs/render"
BUILD_TIMEOUT = 1800.0  # seconds one `zensical build` may take before it is stopped


def zensical_installed() -> bool:
    return importlib.util.find_spec("zensical") is not None


def work_folder(project: Project, purpose: str = "build") -> Path:
    audience = (project.settings.audience or "all").replace("/", "_")
    return project.config_file.parent / WORK_FOLDER / f"{purpose}-{audience}"


def zensical_build(config_file: Path, *, strict: bool = False, quiet: bool = False) -> int:
    """`zensical build` of a rendered tree, in its own process; its exit code."""
    if not zensical_installed():
        raise ConfigError("zensical is not installed (pip install zensical)")
    argv = [sys.executable, "-m", "zensical", "build", "-f", str(config_file)] + (["--strict"] if strict else [])
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    try:
        result = subprocess.run(argv, cwd=config_file.parent, env=env, stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT,
                                stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None)
    except subprocess.TimeoutExpired:
        print(f"apidocs: zensical build did not finish within {BUILD_TIMEOUT:g} s", flush=True)
        return 1
    if result.returncode != 0 and quiet and result.stdout:
        sys.stdout.write(result.stdout.decode("utf-8", errors="replace"))
    return result.returncode


def render_and_build(project: Project, dest: Path, *, strict: bool = False, context: ServeContext | None = None,
                     quiet: bool = False) -> tuple[RenderResult, int]:
    rendered = render_tree(project.config_file, dest, context=context, project=project)
    for warning in rendered.warnings:
        print(f"WARNING -  {warning}", flush=True)
    if strict and rendered.warnings:
        return rendered, 1
    return rendered, zensical_build(rendered.config_file, strict=strict, quiet=quiet)


def _target_site(project: Project, site_dir: str | Path | None) -> Path:
    if site_dir:
        return Path(site_dir).resolve()
    return (project.config_file.parent / str(project.raw_config.get("site_dir") or "site")).resolve()


def _replace_site(built: Path, target: Path, project: Project) -> None:
    """The built site at `target`, whose old content goes (as `mkdocs build` cleans its site_dir)."""
    project_dir = project.config_file.parent.resolve()
    for source in (project_dir, project.settings.docs_dir.resolve()):
        if target == source or source.is_relative_to(target):
            raise ConfigError(f"{target}: the site folder would hold the project's sources (pass another --site-dir)")
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    shutil.copytree(built, target, symlinks=True)


def build_with_zensical(config_file: str | Path, *, strict: bool = False, site_dir: str | Path | None = None,
                        audience: str | None = None) -> int:
    project = load_project(Path(config_file), audience)
    dest = work_folder(project)
    rendered, code = render_and_build(project, dest, strict=strict)
    if code != 0:
        print("apidocs: zensical build failed (the errors are listed above)", file=sys.stderr, flush=True)
        return 1
    built = dest / SITE
    endpoints = [document for document in project.shown if isinstance(document, Endpoint)]
    problems = verify_pages(built, endpoints, explorer=project.settings.explorer,
                            use_directory_urls=project.raw_config.get("use_directory_urls", True) is not False)
    for problem in problems:
        print(f"apidocs: {problem}", flush=True)
    if problems:
        return 1
    target = _target_site(project, site_dir)
    _replace_site(built, target, project)
    print(f"apidocs: built {target} with zensical ({rendered.pages} pages, {rendered.rendered} rendered again)", flush=True)
    return 0


class ZensicalServe:
    """The builder `apidocs serve --engine zensical` hands the live-reload server: render (only the
    changed pages) and `zensical build` again; the server serves `site_dir` and reloads the browser.

    A rebuild that fails (a definition with errors, say) logs why and keeps the last good site."""

    def __init__(self, config_file: Path, work: Path, audience: str | None, context: ServeContext) -> None:
        self.config_file = config_file
        self.dest = work / "tree"
        self.site_dir = self.dest / SITE
        self.audience = audience
        self.context = context
        self.builds = 0

    def build(self) -> None:
        try:
            project = load_project(self.config_file, self.audience)
            rendered, code = render_and_build(project, self.dest, context=self.context, quiet=True)
            if code != 0:
                raise ConfigError("zensical build failed (its output is above)")
        except ConfigError as error:
            if not self.builds:
                raise
            print(f"apidocs: {error} (still serving the last good build)", flush=True)
            return
        self.builds += 1
        if self.builds > 1:
            print(f"apidocs: rebuilt with zensical ({rendered.rendered} of {rendered.pages} pages rendered again)", flush=True)
