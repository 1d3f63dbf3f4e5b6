"""What the importer did to each file, in the `path:line: what happened` form lint uses.

Nothing is dropped silently: every change that is not a plain copy is a `Note` on the source
file it came from, so a writer can open each place and judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# What a note says happened, in the order a writer should read them.
KINDS = ("unconverted", "dropped", "fixed", "moved", "kept")
KIND_MEANING = {
    "unconverted": "could not be converted: left as it was, or set aside in unconverted/",
    "dropped": "removed on purpose (secrets, pasted snippets, bodies a GET cannot send)",
    "fixed": "changed so that it builds (placeholders, misspelt parameters, invalid JSON)",
    "moved": "carried over in another form (pasted snippets to `example:`, links to the new pages)",
    "kept": "carried over as it was, though apidocs gives it no meaning",
}


@dataclass(frozen=True)
class Note:
    line: int
    kind: str  # one of KINDS
    message: str


@dataclass
class FileReport:
    source: str  # path relative to the Jekyll tree
    target: str | None  # path relative to DEST, None when nothing was written
    notes: list[Note] = field(default_factory=list)
    seen: set[Note] = field(default_factory=set, repr=False)  # the same note once, in constant time

    def add(self, line: int, kind: str, message: str) -> None:
        note = Note(line, kind, message)
        if note not in self.seen:
            self.seen.add(note)
            self.notes.append(note)

    @property
    def is_set_aside(self) -> bool:
        return any(note.kind == "unconverted" and note.line == 0 for note in self.notes)


@dataclass
class ImportReport:
    source_root: Path
    dest: Path
    files: list[FileReport] = field(default_factory=list)
    endpoints: int = 0
    pages: int = 0

    def file(self, source: str, target: str | None) -> FileReport:
        report = FileReport(source, target)
        self.files.append(report)
        return report

    def count(self, kind: str) -> int:
        return sum(1 for report in self.files for note in report.notes if note.kind == kind)

    @property
    def set_aside(self) -> list[FileReport]:
        return [report for report in self.files if report.is_set_aside]

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(kind)} {kind}" for kind in KINDS if self.count(kind))
        aside = f"; {len(self.set_aside)} file(s) set aside in unconverted/" if self.set_aside else ""
        return (f"imported {self.endpoints} endpoint(s) and {self.pages} page(s) from {self.source_root} into {self.dest}"
                f"{aside} ({counts or 'nothing to report'})")

    def lines(self) -> list[str]:
        """One line per note, `source:line: kind: message`, files in order, notes by line."""
        out: list[str] = []
        for report in sorted(self.files, key=lambda r: r.source):
            order = sorted(report.notes, key=lambda n: (n.line, KINDS.index(n.kind)))
            out.extend(f"{report.source}:{note.line}: {note.kind}: {note.message}" for note in order)
        return out

    def text(self) -> str:
        legend = "\n".join(f"#   {kind:<11} {meaning}" for kind, meaning in KIND_MEANING.items())
        header = (f"# apidocs import-jekyll report\n# {self.summary()}\n#\n# Every line is `source file:line: kind: what happened`"
                  f" (line 0: the whole file).\n{legend}\n")
        mapping = "\n".join(f"# {r.source} -> {r.target}" for r in sorted(self.files, key=lambda r: r.source) if r.target)
        return header + "#\n" + mapping + "\n\n" + "\n".join(self.lines()) + "\n"
