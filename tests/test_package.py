"""The package as a user gets it: a wheel built from the repository, installed into a fresh venv,
building an outside Material project that has no `snippets/` of its own, with `mkdocs build` and
with `apidocs build`. Takes about 45 s, most of it pip installing the dependencies."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import PYTHON, ROOT

# One worker builds the wheel and the venv once for both tests; about a minute on a busy machine.
pytestmark = [pytest.mark.xdist_group("package"), pytest.mark.slow]

ORDINARY = """\
# Welcome

Tokens look like `${{ secrets.TOKEN }}`; templates say {{ site.baseurl }} and {% include x.html %}.

~~~ python
print("kept")
~~~
{: title="Python" }
"""

ENDPOINT = """\
---
title: /widgets/&lt;widget_id&gt;/
name: Get Widget
method: get
example:
  params:
    widget_id: w-7
---
One widget.
"""

MKDOCS_YML = """\
site_name: Someone Else's Site
theme:
  name: material
plugins:
  - search
{plugin}"""

ARTICLE = re.compile(r"<article\b.*?</article>", re.S)


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # The fresh venv alone: nothing of this checkout's environment leaks into it.
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    environment["NO_MKDOCS_2_WARNING"] = "1"
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources, so the checkout gets no build/ or egg-info of it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("generator", "snippets"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(PYTHON, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", source, cwd=work)
    (built,) = (work / "dist").glob("apidocs-*.whl")
    return built


def test_the_wheel_carries_every_module_template_and_asset(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"apidocs/{path.relative_to(ROOT / 'generator').as_posix()}"
                for path in (ROOT / "generator").rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    expected |= {f"apidocs/snippets/{path.name}" for path in (ROOT / "snippets").iterdir() if path.is_file()}
    assert {"apidocs/snippets/languages.yml", "apidocs/snippets/curl.sh.j2", "apidocs/assets/apidocs.css",
            "apidocs/explorer/explorer.js", "apidocs/sandbox/timp/fixtures.yml"} <= expected
    assert sorted(expected - names) == []
    assert not any(name.startswith(("generator/", "snippets/")) for name in names)  # one top-level name: apidocs


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "fresh"
    run(PYTHON, "-m", "venv", home, cwd=home.parent)
    run(home / "bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=home.parent, timeout=600)
    return home


def outside_project(root: Path, *, plugin: bool) -> Path:
    (root / "docs/api").mkdir(parents=True)
    (root / "docs/index.md").write_text(ORDINARY, encoding="utf-8")
    (root / "docs/api/get-widget.md").write_text(ENDPOINT, encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(plugin="  - apidocs\n" if plugin else ""), encoding="utf-8")
    return root


def test_the_installed_package_builds_an_outside_project(venv: Path, tmp_path: Path) -> None:
    installed = run(venv / "bin/python", "-c", "import apidocs; print(apidocs.__file__)", cwd=tmp_path).stdout.strip()
    assert Path(installed).is_relative_to(venv) and "site-packages" in installed

    project = outside_project(tmp_path / "project", plugin=True)
    assert not (project / "snippets").exists()
    run(venv / "bin/mkdocs", "build", "--strict", "-d", "built-by-mkdocs", cwd=project)
    run(venv / "bin/apidocs", "build", "--strict", "-d", "built-by-apidocs", cwd=project)
    plain = outside_project(tmp_path / "plain", plugin=False)
    run(venv / "bin/mkdocs", "build", "--strict", "-d", "site", cwd=plain)
    untouched = ARTICLE.findall((plain / "site/index.html").read_text(encoding="utf-8"))
    assert len(untouched) == 1 and "${{ secrets.TOKEN }}" in untouched[0]

    for site in (project / "built-by-mkdocs", project / "built-by-apidocs"):
        endpoint = (site / "api/get-widget/index.html").read_text(encoding="utf-8")
        labels = re.findall(r'<label for="apidocs_snippets_\d+">([^<]+)</label>', endpoint)
        assert labels == ["curl", "HTTPie", "Python", "Node.js"], site
        assert "/widgets/w-7/" in endpoint
        assert (site / "assets/apidocs/apidocs.css").is_file()
        assert ARTICLE.findall((site / "index.html").read_text(encoding="utf-8")) == untouched, site
