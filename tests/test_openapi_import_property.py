"""import-openapi never crashes: mutated copies of real specs give a project or one clear error.

Any node of a real spec may be replaced by any JSON value (a string where a mapping belongs, a
list for a schema, a number for a path item…); the import must finish with a ConfigError (one
line) or a project whose definitions load, odd parts reported, never a traceback.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apidocs.definitions.loader import load_tree
from apidocs.model.errors import ConfigError
from apidocs.openapi.importer import import_spec, json_longer_than

SPECS = Path(__file__).resolve().parent / "fixtures" / "openapi"
SAMPLES = [yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))
           for name in ("oai-petstore-expanded.yaml", "museum.yaml", "oai-uspto.yaml")]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def replaced(document: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    copy = json.loads(json.dumps(document))
    node = copy
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    return copy


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(range(len(SAMPLES))), choice=st.integers(0, 10**6), value=JSON,
       drop=st.booleans())
def test_a_mutated_spec_imports_or_fails_in_one_line(sample: int, choice: int, value: Any, drop: bool) -> None:
    document = SAMPLES[sample]
    spots = paths_of(document)
    where = spots[choice % len(spots)]
    mutated = replaced(document, where, value)
    if drop and where and isinstance(mutated, dict) and where[0] in mutated and len(where) == 1:
        del mutated[where[0]]
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "spec.yaml"
        spec.write_text(yaml.safe_dump(mutated, allow_unicode=True), encoding="utf-8")
        dest = Path(folder) / "out"
        try:
            result = import_spec(spec, dest)
        except ConfigError as error:
            assert "\n" not in str(error).strip()
            return
        tree = load_tree(dest / "docs", dest / "includes", {})
        assert len(tree.endpoints) == result.endpoints, [str(f) for f in tree.errors]
        assert (dest / "import-report.txt").is_file()


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES, limit=st.integers(min_value=0, max_value=300))
def test_a_schema_is_left_out_as_too_large_only_when_its_json_is(value: Any, limit: int) -> None:
    """The importer's early size check (before writing the schema as JSON) never calls a schema
    too large that is not, and calls one of its large ones so without writing it out."""
    if json_longer_than(value, limit):
        assert len(json.dumps(value, ensure_ascii=False)) > limit
    assert json_longer_than([["x" * 10] * 100] * 100, 64 * 1024) is (len(json.dumps([["x" * 10] * 100] * 100)) > 64 * 1024)
