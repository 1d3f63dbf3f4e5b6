"""Whatever a document holds, import and lint report it at `path:line` and go on: never a traceback.

Hypothesis mutates copies of the real documents of the fixtures (the CruxConnect sample and the
defect tree in its style): truncated, lines deleted or duplicated, random characters and bytes,
every value emptied, fences and front matter left open. Each mutant goes into a Jekyll tree beside
an untouched document; the import must finish, convert the untouched document, and neither the
importer nor lint may have fallen back on its last-resort catch (which would mean a crash).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidocs.jekyll.importer import import_tree
from apidocs.lint.run import lint_paths
from conftest import FIXTURES, SAMPLE

DEFECTS = FIXTURES / "crux-docs-defects"
DOCUMENTS = sorted([*SAMPLE.glob("_*/*.md"), *DEFECTS.glob("_*/*.md")])
DOCUMENT_TEXTS = [(path.parent.name, path.name, path.read_text(encoding="utf-8")) for path in DOCUMENTS]
CONFIG = (SAMPLE / "_config.yml").read_text(encoding="utf-8")
WITNESS = (SAMPLE / "_order_supplier/add_order_tracking.md").read_text(encoding="utf-8")
CRASH_NOTE = "the importer failed on this file"
LINT_CRASH = "lint could not"
EXAMPLES = 60

# Values that can be emptied: `key: value` in front matter or YAML, `-H 'Name: value'`,
# `"Name": "value"`, `'Name':'value'`, a definition list's `: (type) text`, a URL's `?a=b`.
_VALUES = [
    re.compile(r"^(?P<keep>\s*[\w-]+:)[ \t]+\S.*$", re.M),
    re.compile(r"(?P<keep>-H\s+'[\w-]+:)[^']*"),
    re.compile(r"(?P<keep>\"[\w-]+\":\s*)\"[^\"]*\""),
    re.compile(r"(?P<keep>'[\w-]+':)'[^']*'"),
    re.compile(r"^(?P<keep>:)\s.*$", re.M),
    re.compile(r"(?P<keep>[?&][\w-]+=)[^&\s\"']*"),
]


def mutate(text: str, operation: str, at: float, noise: str) -> str | bytes:
    lines = text.split("\n")
    index = min(int(at * len(lines)), len(lines) - 1)
    if operation == "truncate":
        return text[: int(at * len(text))]
    if operation == "delete":
        return "\n".join(lines[:index] + lines[index + 1 + len(noise) % 4 :])
    if operation == "duplicate":
        return "\n".join(lines[: index + 1] + lines[index : index + 1 + len(noise) % 5] + lines[index + 1 :])
    if operation == "insert":
        position = int(at * len(text))
        return text[:position] + noise + text[position:]
    if operation == "bytes":
        data = text.encode("utf-8")
        position = int(at * len(data))
        return data[:position] + noise.encode("utf-8", "surrogatepass")[:8] + b"\xff\xfe\x80" + data[position:]
    if operation == "empty-values":
        for pattern in _VALUES:
            text = pattern.sub(lambda m: m.group("keep"), text)
        return text
    if operation == "unclose-fence":
        fences = [number for number, line in enumerate(lines) if line.strip() in ("~~~", "```")]
        if fences:
            del lines[fences[int(at * len(fences)) % len(fences)]]
        return "\n".join(lines)
    if operation == "unclose-front-matter":
        closing = next((number for number, line in enumerate(lines) if number and line.rstrip() == "---"), None)
        if closing is not None:
            del lines[closing]
        return "\n".join(lines)
    raise AssertionError(operation)


OPERATIONS = ["truncate", "delete", "duplicate", "insert", "bytes", "empty-values", "unclose-fence", "unclose-front-matter"]
NOISE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["{{", "{%", "%}", "}}", "{% include %}", "{{ /x }}", "&lt;-&gt;", "---", "~~~", ":", "-H 'Authorization:'", "\x00", "\t", "\r"])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutants")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=st.sampled_from(DOCUMENT_TEXTS), operations=st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.floats(0, 1, allow_nan=False), NOISE), min_size=1, max_size=3))
def test_a_mutated_document_is_reported_never_a_crash(workspace: Path, document: tuple[str, str, str],
                                                      operations: list[tuple[str, float, str]]) -> None:
    folder, name, text = document
    mutant: str | bytes = text
    for operation, at, noise in operations:
        if isinstance(mutant, bytes):
            break
        mutant = mutate(mutant, operation, at, noise)
    src, dest = workspace / "src", workspace / "dest"
    shutil.rmtree(src, ignore_errors=True)
    (src / folder).mkdir(parents=True)
    (src / "_order_supplier").mkdir(exist_ok=True)
    (src / "_config.yml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(SAMPLE / "_includes", src / "_includes")
    (src / "_order_supplier" / "witness_add_order_tracking.md").write_text(WITNESS, encoding="utf-8")
    target = src / folder / name
    if isinstance(mutant, bytes):
        target.write_bytes(mutant)
    else:
        target.write_text(mutant, encoding="utf-8", errors="surrogatepass")

    report = import_tree(src, dest, force=True)
    notes = [f"{r.source}:{n.line}: {n.kind}: {n.message}" for r in report.files for n in r.notes]
    assert not [note for note in notes if CRASH_NOTE in note], notes
    witness = next(r for r in report.files if r.source.endswith("witness_add_order_tracking.md"))
    assert witness.target is not None and (dest / witness.target).is_file()
    assert not witness.is_set_aside
    for item in lint_paths(src / "mkdocs.yml", [str(src)]):
        assert LINT_CRASH not in item.message, item
        assert item.line >= 1 or item.path == src, item  # every finding names its line
