"""`apidocs import-jekyll SRC DEST`: a Jekyll (Aviator) docs tree becomes a ready apidocs project.

Collections become sections (folders with `.section.yml`), documents become pages (converted by
`convert.py`), `_includes/` is copied, and `mkdocs.yml` is written with the servers, token and
audiences the tree used. Every page is loaded as the build will load it before the import ends;
one that would break the build is set aside in `unconverted/` and reported, never dropped.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from apidocs.definitions.audiences import audiences_showing, visibility_names
from apidocs.definitions.loader import DefinitionLoader, DocsTree, Section
from apidocs.model.errors import ConfigError, DefinitionError
from apidocs.model.endpoint import Document
from apidocs.definitions.secrets import authorization_tokens, find_secrets, scrub_line
from apidocs.jekyll.convert import ConversionError, ImportContext, convert_document
from apidocs.jekyll.links import LinkMap
from apidocs.jekyll.project import choose_tokens, detect_servers, index_page, mkdocs_yml, scheme_of, section_yaml
from apidocs.jekyll.report import FileReport, ImportReport
from apidocs.definitions.jekyll_tree import DOCUMENT_SUFFIXES, JekyllTree

REPORT_FILE = "import-report.txt"
SET_ASIDE = "unconverted"
_TEXT_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".txt", ".yml", ".yaml", ".json"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\ufeff")


def _scrubbed(text: str, context: ImportContext) -> tuple[str, int]:
    """Text without secrets, and how many lines lost one (for files copied rather than converted)."""
    out, changed = [], 0
    for number, line in enumerate(text.split("\n"), 1):
        if find_secrets([(number, line)], context.known_tokens):
            changed += 1
            cleaned = scrub_line(line, context.known_tokens, context.placeholder)
            if cleaned is not None:
                out.append(cleaned)
        else:
            out.append(line)
    return "\n".join(out), changed


class _Import:
    def __init__(self, tree: JekyllTree, dest: Path) -> None:
        self.tree = tree
        self.dest = dest
        self.docs = dest / "docs"
        self.report = ImportReport(tree.root, dest)
        self.links = LinkMap(source_root=tree.root, site_url=str(tree.config.get("url") or ""))
        self.pages: list[tuple[Path, str]] = []  # (source file, page path under docs/)
        self.loaded: list[tuple[Document, FileReport]] = []

    def rel(self, path: Path) -> str:
        return path.relative_to(self.tree.root).as_posix()

    def plan(self) -> None:
        """Where every document goes, before any is converted, so links can point at all of them."""
        for collection in self.tree.collections.values():
            documents = collection.documents
            if not documents:
                continue
            folder = slug(collection.name)
            for path in documents:
                relative = path.relative_to(collection.folder)
                target = "/".join([folder, *(slug(part) for part in relative.parent.parts), slug(path.stem) + ".md"])
                self.pages.append((path, target))
                self.links.add(collection.name, path.stem, "/" + target)
            for other in sorted(p for p in collection.folder.rglob("*") if p.is_file() and p.suffix not in DOCUMENT_SUFFIXES):
                self.report.file(self.rel(other), None).add(0, "unconverted", "not a Markdown document: not imported")
        for folder in self.tree.stray_folders:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                self.report.file(self.rel(path), None).add(
                    0, "unconverted", f"{folder.name}/ is no collection of _config.yml (Jekyll did not publish it): not imported")
        excluded = {str(name).lower() for name in self.tree.config.get("exclude") or []}
        for path in sorted(self.tree.root.glob("*.md")):
            if path.name.lower() not in excluded:
                self.report.file(self.rel(path), None).add(0, "unconverted", "a page outside the collections: not imported")

    def context(self) -> ImportContext:
        """Token and audiences as the whole tree used them."""
        tokens: list[str] = []
        schemes: list[str] = []
        for path, _ in self.pages:
            for scheme, token in authorization_tokens(_text(path)):
                tokens.append(token)
                schemes.append(scheme)
        self.placeholder, self.demo_tokens = choose_tokens(tokens)
        self.scheme = scheme_of(schemes)
        audiences = {name for c in self.tree.collections.values() for name in c.visibility}
        return ImportContext(self.links, self.tree.includes_dir, self.placeholder, set(self.demo_tokens), audiences)

    def copy_includes(self, context: ImportContext) -> None:
        source = self.tree.includes_dir
        target = self.dest / "includes"
        target.mkdir(parents=True, exist_ok=True)
        if not source.is_dir():
            return
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            out = target / path.relative_to(source)
            out.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix.lower() not in _TEXT_SUFFIXES:
                shutil.copy2(path, out)
                continue
            text = _text(path)
            report = self.report.file(self.rel(path), out.relative_to(self.dest).as_posix())
            lines = []
            for number, line in enumerate(text.split("\n"), 1):
                rewritten, changes = self.links.rewrite(line)
                for old, new in changes:
                    report.add(number, "moved" if new else "unconverted",
                               f"link {old} now points at {new}" if new else f"link {old} points at nothing in this tree")
                lines.append(rewritten)
            text, changed = _scrubbed("\n".join(lines), context)
            if changed:
                report.add(0, "dropped", f"secrets removed from {changed} line(s)")
            out.write_text(text, encoding="utf-8")

    def write_sections(self) -> None:
        for collection in self.tree.collections.values():
            if not collection.documents:
                continue
            folder = self.docs / slug(collection.name)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".section.yml").write_text(section_yaml(collection), encoding="utf-8")
            if not collection.visibility:
                report = self.report.file(f"{self.tree.config_file.name}", f"docs/{folder.name}/.section.yml")
                report.add(collection.line, "fixed", f"collection {collection.name} has documents but no visibility: "
                           "its section is `hidden`, which no audience lists (as on the Jekyll site)")

    def convert_pages(self, context: ImportContext) -> None:
        loader = DefinitionLoader(self.docs, self.dest / "includes", {"baseurl": "", **self.tree.site_values})
        for path, target in self.pages:
            report = self.report.file(self.rel(path), f"docs/{target}")
            out = self.docs / target
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                converted = convert_document(_text(path), path, context, report)
                out.write_text(converted.text, encoding="utf-8")
                document = loader.load(out)
            except (ConversionError, DefinitionError) as error:
                out.unlink(missing_ok=True)
                self.set_aside(path, report, error, context)
                continue
            if document.is_endpoint:
                self.report.endpoints += 1
            else:
                self.report.pages += 1
            self.loaded.append((document, report))
        self.note_unseen_pages()

    def note_unseen_pages(self) -> None:
        """Pages no audience's site lists were invisible on the Jekyll site too; say which."""
        tree = DocsTree(sections={slug(c.name): Section(slug(c.name), c.title, visibility=c.listed_visibility)
                                  for c in self.tree.collections.values()})
        tree.documents = {document.src_uri: document for document, _ in self.loaded}
        names = visibility_names(tree)
        for document, report in self.loaded:
            if names and not audiences_showing(document, tree, names):
                report.add(0, "kept", f"no audience lists this page (visibility {', '.join(document.visibility) or 'none'} "
                                      "in a section for another audience), as on the Jekyll site")

    def set_aside(self, path: Path, report: FileReport, error: Exception, context: ImportContext) -> None:
        """Keep the document, without its secrets, where the build does not read it."""
        line = error.line if isinstance(error, (ConversionError, DefinitionError)) else 0
        message = error.finding.message if isinstance(error, DefinitionError) else str(error)
        if isinstance(error, DefinitionError) and error.path != path:
            message += " (in the converted page)"
        target = self.dest / SET_ASIDE / self.rel(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text, _ = _scrubbed(_text(path), context)
        target.write_text(text, encoding="utf-8")
        report.target = target.relative_to(self.dest).as_posix()
        report.add(0, "unconverted", f"set aside in {report.target}, the build would fail on line {line}: {message}")

    def copy_assets(self) -> None:
        for relative in sorted(self.links.assets):
            out = self.docs / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.tree.root / relative, out)

    def run(self) -> ImportReport:
        self.plan()
        context = self.context()
        self.docs.mkdir(parents=True, exist_ok=True)
        self.copy_includes(context)
        self.write_sections()
        if not (self.docs / "index.md").exists():
            (self.docs / "index.md").write_text(index_page(self.tree), encoding="utf-8")
        self.convert_pages(context)
        self.copy_assets()
        servers = detect_servers(context.hosts)
        (self.dest / "mkdocs.yml").write_text(mkdocs_yml(self.tree, servers, self.placeholder, self.demo_tokens, self.scheme),
                                              encoding="utf-8")
        self.check_no_secrets(context)
        (self.dest / REPORT_FILE).write_text(self.report.text(), encoding="utf-8")
        return self.report

    def check_no_secrets(self, context: ImportContext) -> None:
        """The promise of the import, verified on what was written rather than assumed."""
        for folder in (self.docs, self.dest / "includes", self.dest / SET_ASIDE):
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _TEXT_SUFFIXES):
                secrets = find_secrets(enumerate(_text(path).split("\n"), 1), context.known_tokens)
                for secret in secrets:
                    self.report.file(path.relative_to(self.dest).as_posix(), None).add(
                        secret.line, "unconverted", f"a {secret.kind} `{secret.masked}` is still here: remove it by hand")


def import_tree(src: Path, dest: Path, *, force: bool = False) -> ImportReport:
    if not src.is_dir():
        raise ConfigError(f"{src}: no such folder")
    tree = JekyllTree.read(src)
    if dest.resolve() == src.resolve() or src.resolve() in dest.resolve().parents:
        raise ConfigError(f"{dest}: choose a destination outside the Jekyll tree {src}")
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest}: exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ConfigError(f"{dest}: not empty (pass --force to write into it)")
    dest.mkdir(parents=True, exist_ok=True)
    return _Import(tree, dest).run()


def run_import(src: Path, dest: Path, *, force: bool = False) -> int:
    report = import_tree(src, dest, force=force)
    for line in report.lines():
        print(line)
    print(report.summary())
    print(f"report: {dest / REPORT_FILE}; build it with: apidocs -f {dest / 'mkdocs.yml'} build --strict")
    return 0
