"""`apidocs import-jekyll SRC DEST`: a Jekyll (Aviator) docs tree becomes a ready apidocs project.

Collections become sections (folders with `.section.yml`), documents become pages (converted by
`convert.py`), `_includes/` is copied, and `mkdocs.yml` is written with the servers, token and
audiences the tree used. Every page is loaded as the build will load it before the import ends;
one that would break the build is set aside in `unconverted/` and reported, never dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from apidocs.definitions.audiences import audiences_showing, visibility_names
from apidocs.definitions.jekyll_tree import DOCUMENT_SUFFIXES, JekyllTree, list_symlinks, regular_files
from apidocs.definitions.loader import DefinitionLoader, DocsTree, Section
from apidocs.definitions.secrets import authorization_tokens, find_secrets, scrub_lines
from apidocs.jekyll.convert import RELATIVE_INCLUDES, ConversionError, ImportContext, convert_document, describe
from apidocs.jekyll.links import LinkMap
from apidocs.jekyll.project import choose_tokens, detect_servers, index_page, mkdocs_yml, scheme_of, section_yaml
from apidocs.jekyll.report import FileReport, ImportReport
from apidocs.jekyll.safe_paths import Destination, UnsafePath, read_source_bytes, read_source_text
from apidocs.model.endpoint import Document
from apidocs.model.errors import ConfigError, DefinitionError

REPORT_FILE = "import-report.txt"
MAX_LIQUID_RETRIES = 20  # lines of one page whose Liquid is shown as written before the page is set aside
_LIQUID = re.compile(r"{{.*?}}|{%.*?%}|{{|{%")
_RAW_TAG = re.compile(r"{%-?\s*(?:end)?raw\b")
SET_ASIDE = "unconverted"
_TEXT_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".txt", ".yml", ".yaml", ".json"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"


def _text(path: Path) -> str:
    """A file this import wrote (under DEST)."""
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\ufeff")


def _scrubbed(text: str, context: ImportContext) -> tuple[str, list[tuple[int, str]]]:
    """Text without secrets, and (line, what was removed) for each (for files copied rather than converted)."""
    lines: list[str | None] = list(text.split("\n"))
    removed: list[tuple[int, str]] = []
    for number, cleaned, secrets in scrub_lines(enumerate(text.split("\n"), 1), context.known_tokens, context.placeholder):
        lines[number - 1] = cleaned
        removed += [(number, describe(secret)) for secret in secrets]
    return "\n".join(line for line in lines if line is not None), removed


class _Import:
    def __init__(self, tree: JekyllTree, dest: Path) -> None:
        self.tree = tree
        self.dest = dest
        self.docs = dest / "docs"
        self.out = Destination(dest)
        self.report = ImportReport(tree.root, dest)
        self.links = LinkMap(source_root=tree.root, site_url=str(tree.config.get("url") or ""))
        self.pages: list[tuple[Path, str]] = []  # (source file, page path under docs/)
        self.loaded: list[tuple[Document, FileReport]] = []
        self.relative_copied: set[str] = set()

    def rel(self, path: Path) -> str:
        return path.relative_to(self.tree.root).as_posix()

    def source(self, path: Path) -> str:
        """A file of the tree, never through a symbolic link nor from outside it."""
        return read_source_text(self.tree.root, path)

    def write(self, relative: str, text: str, report_as: str) -> bool:
        """Write a file under DEST; a path that would leave it (or pass a symbolic link) is reported, not written."""
        try:
            self.out.write_text(relative, text)
        except UnsafePath as error:
            self.report.file(report_as, None).add(0, "unconverted", f"not written: {error}")
            return False
        return True

    def note_symlinks(self) -> None:
        """Symbolic links are never followed (not even those pointing inside the tree): each is reported."""
        for link, target in list_symlinks(self.tree.root):
            self.report.file(self.rel(link), None).add(
                0, "unconverted", f"a symbolic link (to {target}): not followed, nothing of it imported")
        for line, reason in self.tree.refused:
            self.report.file(self.tree.config_file.name, None).add(line, "unconverted", reason)

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
            for other in (p for p in regular_files(collection.folder) if p.suffix not in DOCUMENT_SUFFIXES):
                self.report.file(self.rel(other), None).add(0, "unconverted", "not a Markdown document: not imported")
        for stray in self.tree.stray_folders:
            for path in regular_files(stray):
                self.report.file(self.rel(path), None).add(
                    0, "unconverted", f"{stray.name}/ is no collection of _config.yml (Jekyll did not publish it): not imported")
        excluded = {str(name).lower() for name in self.tree.config.get("exclude") or []}
        for path in sorted(self.tree.root.glob("*.md")):
            if path.name.lower() not in excluded and not path.is_symlink():
                self.report.file(self.rel(path), None).add(0, "unconverted", "a page outside the collections: not imported")

    def context(self) -> ImportContext:
        """Token and audiences as the whole tree used them."""
        tokens: list[str] = []
        schemes: list[str] = []
        for path, _ in self.pages:
            try:
                text = self.source(path)
            except (UnsafePath, OSError, UnicodeDecodeError):
                continue  # reported when the page is converted
            for scheme, token in authorization_tokens(text):
                tokens.append(token)
                schemes.append(scheme)
        self.placeholder, self.demo_tokens = choose_tokens(tokens)
        self.scheme = scheme_of(schemes)
        audiences = {name for c in self.tree.collections.values() for name in c.visibility}
        includes = {p.relative_to(self.tree.includes_dir).as_posix() for p in regular_files(self.tree.includes_dir)}
        return ImportContext(self.links, self.tree.includes_dir, self.placeholder, set(self.demo_tokens), audiences,
                             include_names=includes, site={"baseurl": "", **self.tree.site_values}, source_root=self.tree.root)

    def copy_includes(self, context: ImportContext) -> None:
        source = self.tree.includes_dir
        for path in regular_files(source) if not source.is_symlink() else []:
            self.copy_include(path, "includes/" + path.relative_to(source).as_posix(), context)

    def copy_relative_includes(self, context: ImportContext) -> None:
        """The files pages read with include_relative, each copied once under includes/_relative/."""
        for name in sorted(context.relative_includes - self.relative_copied):
            self.relative_copied.add(name)
            self.copy_include(self.tree.root / name, f"includes/{RELATIVE_INCLUDES}/{name}", context)

    def copy_include(self, path: Path, relative: str, context: ImportContext) -> None:
        """One included file: its links pointed at the new pages, its secrets removed."""
        try:
            if path.suffix.lower() not in _TEXT_SUFFIXES:
                self.out.write_bytes(relative, read_source_bytes(self.tree.root, path))
                return
            text = self.source(path)
        except (UnsafePath, OSError, UnicodeDecodeError) as error:
            self.report.file(self.rel(path), None).add(0, "unconverted", f"not imported: {error}")
            return
        report = self.report.file(self.rel(path), relative)
        lines = []
        for number, line in enumerate(text.split("\n"), 1):
            rewritten, changes = self.links.rewrite(line)
            for change in changes:
                if change.refused:
                    report.add(number, "dropped", f"link target refused ({change.refused}): nothing read or copied")
                else:
                    report.add(number, "moved" if change.new else "unconverted", f"link {change.old} now points at {change.new}"
                               if change.new else f"link {change.old} points at nothing in this tree")
            lines.append(rewritten)
        text, removed = _scrubbed("\n".join(lines), context)
        for number, what in removed:
            report.add(number, "dropped", f"{what} removed")
        self.write(relative, text, self.rel(path))

    def write_sections(self) -> None:
        for collection in self.tree.collections.values():
            if not collection.documents:
                continue
            folder = self.docs / slug(collection.name)
            self.write(f"docs/{folder.name}/.section.yml", section_yaml(collection), self.tree.config_file.name)
            if not collection.visibility:
                report = self.report.file(f"{self.tree.config_file.name}", f"docs/{folder.name}/.section.yml")
                report.add(collection.line, "fixed", f"collection {collection.name} has documents but no visibility: "
                           "its section is `hidden`, which no audience lists (as on the Jekyll site)")

    def convert_pages(self, context: ImportContext) -> None:
        loader = DefinitionLoader(self.docs, self.dest / "includes", {"baseurl": "", **self.tree.site_values})
        for path, target in self.pages:
            report = self.report.file(self.rel(path), f"docs/{target}")
            out = self.docs / target
            try:
                text = self.source(path)
            except (UnsafePath, OSError, UnicodeDecodeError) as error:
                report.add(0, "unconverted", f"not imported: {error}")
                continue
            try:
                converted = convert_document(text, path, context, report, self.rel(path))
                self.copy_relative_includes(context)
                if not self.write(f"docs/{target}", converted.text, self.rel(path)):
                    continue
                document = self.load_converted(loader, out, target, report, text)
            except (ConversionError, DefinitionError) as error:
                out.unlink(missing_ok=True)
                self.set_aside(path, report, error, context)
                continue
            except Exception as error:
                out.unlink(missing_ok=True)
                report.add(1, "unconverted", f"not imported: the importer failed on this file ({type(error).__name__}: "
                                             f"{str(error)[:200]}); please report it")
                continue
            if document.is_endpoint:
                self.report.endpoints += 1
            else:
                self.report.pages += 1
            self.loaded.append((document, report))
        self.note_unseen_pages()

    def load_converted(self, loader: DefinitionLoader, out: Path, target: str, report: FileReport, source_text: str) -> Document:
        """The written page as the build loads it. Liquid that strict Liquid refuses and the import
        could not write as Jekyll rendered it is shown as written (`{% raw %}`), line by line."""
        for _ in range(MAX_LIQUID_RETRIES):
            try:
                return loader.load(out)
            except DefinitionError as error:
                if error.finding.code not in ("E010", "E011") or Path(error.path) != out:
                    raise
                lines = _text(out).split("\n")
                index = error.line - 1
                if not 0 <= index < len(lines) or not _LIQUID.search(lines[index]) or _RAW_TAG.search(lines[index]):
                    raise
                source_lines = source_text.replace("\r\n", "\n").split("\n")
                line = next((number for number, text in enumerate(source_lines, 1) if text == lines[index]), 0)
                lines[index] = _LIQUID.sub(lambda m: "{% raw %}" + m.group(0) + "{% endraw %}", lines[index])
                report.add(line, "unconverted", f"{error.finding.message} (line {error.line} of docs/{target}): Jekyll "
                                                "renders it, strict Liquid cannot; its Liquid is shown as written")
                self.out.write_text(f"docs/{target}", "\n".join(lines))
        return loader.load(out)

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
        relative = f"{SET_ASIDE}/{self.rel(path)}"
        text, removed = _scrubbed(self.source(path), context)
        for number, what in removed:
            report.add(number, "dropped", f"{what} removed")
        if not self.write(relative, text, self.rel(path)):
            return
        report.target = relative
        report.add(0, "unconverted", f"set aside in {report.target}, the build would fail on line {line}: {message}")

    def copy_assets(self) -> None:
        for relative in sorted(self.links.assets):
            try:
                self.out.write_bytes(f"docs/{relative}", read_source_bytes(self.tree.root, self.tree.root / relative))
            except (UnsafePath, OSError) as error:
                self.report.file(relative, None).add(0, "unconverted", f"not copied: {error}")

    def run(self) -> ImportReport:
        self.note_symlinks()
        self.plan()
        context = self.context()
        try:
            self.out.make_folder("docs")
            self.out.make_folder("includes")
        except UnsafePath as error:
            raise ConfigError(f"{self.dest}: {error}") from None
        self.copy_includes(context)
        self.write_sections()
        if not (self.docs / "index.md").exists():
            self.write("docs/index.md", index_page(self.tree), self.tree.config_file.name)
        self.convert_pages(context)
        self.copy_assets()
        servers = detect_servers(context.hosts)
        for key, placeholder in self.tree.secret_settings:
            self.report.file(self.tree.config_file.name, "mkdocs.yml").add(
                self.tree.line_of_setting(key), "dropped", f"setting `{key}` holds a credential: mkdocs.yml has {placeholder} instead")
        self.write("mkdocs.yml", mkdocs_yml(self.tree, servers, self.placeholder, self.demo_tokens, self.scheme),
                   self.tree.config_file.name)
        self.check_no_secrets(context)
        try:
            self.out.write_text(REPORT_FILE, self.report.text())
        except UnsafePath as error:
            raise ConfigError(f"{self.dest}: {error}") from None
        return self.report

    def check_no_secrets(self, context: ImportContext) -> None:
        """The promise of the import, verified on what was written rather than assumed."""
        for folder in (self.docs, self.dest / "includes", self.dest / SET_ASIDE):
            for path in (p for p in regular_files(folder) if p.suffix.lower() in _TEXT_SUFFIXES):
                secrets = find_secrets(enumerate(_text(path).split("\n"), 1), context.known_tokens)
                for secret in secrets:
                    self.report.file(path.relative_to(self.dest).as_posix(), None).add(
                        secret.line, "unconverted", f"a {secret.kind} `{secret.masked}` is still here: remove it by hand")


def import_tree(src: Path, dest: Path, *, force: bool = False) -> ImportReport:
    if not src.is_dir():
        raise ConfigError(f"{src}: no such folder")
    src = src.resolve()  # SRC and DEST as the user named them; below them, no link is followed
    dest = dest.resolve()
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
