"""Cache keys: what a run depends on, and when a stored output is trusted."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from coopstats import cache
from coopstats.runmatrix import RowScope, RunSpec

PARTICIPANTS = """person_id,unit_id,trial_id,gender
P1,nav-a,trial-a,K
P2,nav-a,trial-a,M
P3,nav-b,trial-b,K
"""
SPELLS = """spell_id,person_id,kind
S1,P1,ytelse
S2,P3,ytelse
"""
ACTIVITY = """record_id,unit_id,trial_id,count
R1,nav-a,trial-a,10
R2,nav-b,trial-b,20
"""
FIGURES = """figure_id,unit_id,model_id,value
F1,,model-x,1
F2,nav-b,model-y,2
F3,,model-y,3
"""
SCOPES = {
    "a": RowScope("unit", frozenset({"nav-a"}), frozenset({"trial-a"}), frozenset({"model-x"})),
    "b": RowScope("unit", frozenset({"nav-b"}), frozenset({"trial-b"}), frozenset({"model-y"})),
    "model-x": RowScope(
        "model", frozenset({"nav-a"}), frozenset({"trial-a"}), frozenset({"model-x"})
    ),
    "all": RowScope("all"),
}


def _data(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {
        "participants": PARTICIPANTS,
        "spells": SPELLS,
        "activity_log": ACTIVITY,
        "reported_figures": FIGURES,
    }.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def _digests(directory: Path) -> dict[str, dict[str, str]]:
    index = cache.DataIndex(directory)
    files = ("participants", "spells", "activity_log", "reported_figures", "segments")
    return {k: {f: index.digest(f, s) for f in files} for k, s in SCOPES.items()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _changed(before: dict, after: dict) -> dict[str, list[str]]:
    return {
        scope: sorted(f for f in before[scope] if before[scope][f] != after[scope][f])
        for scope in before
        if before[scope] != after[scope]
    }


def test_a_row_of_one_unit_changes_only_that_units_keys(tmp_path):
    data = _data(tmp_path / "data")
    before = _digests(data)
    _edit(data / "activity_log.csv", "R2,nav-b,trial-b,20", "R2,nav-b,trial-b,21")
    assert _changed(before, _digests(data)) == {"b": ["activity_log"], "all": ["activity_log"]}


def test_spells_count_for_the_unit_of_their_person(tmp_path):
    data = _data(tmp_path / "data")
    before = _digests(data)
    _edit(data / "spells.csv", "S1,P1,ytelse", "S1,P1,status")
    assert _changed(before, _digests(data)) == {
        "a": ["spells"],
        "model-x": ["spells"],
        "all": ["spells"],
    }


def test_model_wide_rows_count_for_the_units_of_the_model(tmp_path):
    data = _data(tmp_path / "data")
    before = _digests(data)
    _edit(data / "reported_figures.csv", "F3,,model-y,3", "F3,,model-y,4")
    assert _changed(before, _digests(data)) == {
        "b": ["reported_figures"],
        "all": ["reported_figures"],
    }
    before = _digests(data)
    _edit(data / "reported_figures.csv", "F1,,model-x,1", "F1,,model-x,9")
    assert _changed(before, _digests(data)) == {
        "a": ["reported_figures"],
        "model-x": ["reported_figures"],
        "all": ["reported_figures"],
    }


def test_rows_without_keys_and_new_files_count_for_everybody(tmp_path):
    data = _data(tmp_path / "data")
    before = _digests(data)
    _edit(data / "activity_log.csv", "R2,", "R3,,,5\nR2,")
    assert set(_changed(before, _digests(data))) == set(SCOPES)
    before = _digests(data)
    (data / "segments.csv").write_text("segment_id,paraphrase\nG1,tekst\n", encoding="utf-8")
    assert _changed(before, _digests(data)) == {s: ["segments"] for s in SCOPES}


def test_notebook_digest_ignores_outputs_but_not_source_or_tags(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("print(x)")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    first = cache.notebook_digest(path)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 4
    nbformat.write(nb, path)
    assert cache.notebook_digest(path) == first
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    tagged = cache.notebook_digest(path)
    assert tagged != first
    nb.cells[1].source = "print(x + 1)"
    nbformat.write(nb, path)
    assert cache.notebook_digest(path) not in (first, tagged)


def test_package_digest_covers_code_and_data_files(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "defs").mkdir(parents=True)
    (pkg / "mod.py").write_text("x = 1\n")
    (pkg / "defs" / "a.yaml").write_text("a: 1\n")
    first = cache.package_digest(pkg)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    assert cache.package_digest(pkg) == first
    (pkg / "defs" / "a.yaml").write_text("a: 2\n")
    assert cache.package_digest(pkg) != first


def _spec(tmp_path: Path, data: Path) -> RunSpec:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    return RunSpec(
        "run-a",
        tmp_path / "nb.ipynb",
        tmp_path / "out" / "run-a.ipynb",
        {"unit": "nav-a"},
        inputs=("participants", "spells"),
        rows=SCOPES["a"],
        data_dir=data,
    )


def test_an_output_is_trusted_only_with_a_matching_record(tmp_path):
    data = _data(tmp_path / "data")
    spec = _spec(tmp_path, data)
    parts = cache.Fingerprinter(("pandas",), "python3").parts(spec)
    assert cache.stale_reason(spec.output, parts) == "new"
    spec.output.parent.mkdir()
    spec.output.write_text('{"cells": []}', encoding="utf-8")
    assert cache.stale_reason(spec.output, parts) == "no cache record"
    cache.write_record(spec.output, parts)
    assert cache.stale_reason(spec.output, parts) is None
    # a truncated or replaced output is not trusted, even with its record in place
    spec.output.write_text('{"cells": [', encoding="utf-8")
    assert cache.stale_reason(spec.output, parts) == "output differs from the recorded one"
    spec.output.unlink()
    assert cache.stale_reason(spec.output, parts) == "output missing"


def test_stale_reason_names_what_changed(tmp_path):
    data = _data(tmp_path / "data")
    spec = _spec(tmp_path, data)
    spec.output.parent.mkdir()
    spec.output.write_text("{}", encoding="utf-8")
    cache.write_record(spec.output, cache.Fingerprinter((), "python3").parts(spec))
    _edit(data / "spells.csv", "S1,P1,ytelse", "S1,P1,status")
    _edit(data / "participants.csv", "P3,nav-b,trial-b,K", "P3,nav-b,trial-b,M")  # not a's
    parts = cache.Fingerprinter((), "python3").parts(spec)
    assert cache.stale_reason(spec.output, parts) == "changed data: spells"
    other = RunSpec(**{**spec.__dict__, "parameters": {"unit": "nav-a", "min_count": 3}})
    parts = cache.Fingerprinter((), "python3").parts(other)
    assert cache.stale_reason(spec.output, parts) == "changed parameters; data: spells"
    record = json.loads(cache.sidecar_path(spec.output).read_text(encoding="utf-8"))
    assert record["output"]["name"] == "run-a.ipynb"
    assert set(record["parts"]) >= {"notebook", "parameters", "data", "package", "environment"}


def test_longest_first_orders_by_last_execution_time(tmp_path):
    from coopstats.batch import _Job, longest_first

    jobs = []
    for index, (name, seconds) in enumerate([("a", 0.5), ("b", None), ("c", 2.0), ("d", 1.0)]):
        output = tmp_path / f"{name}.ipynb"
        output.write_text("{}", encoding="utf-8")
        if seconds is not None:
            cache.write_record(output, {"k": name}, {"exec_seconds": seconds})
        spec = RunSpec(name, tmp_path / "nb.ipynb", output, {})
        jobs.append(_Job(index, spec, None, "new"))
    # the longest known runs start first; a run never timed before keeps its place at the end
    assert [j.spec.name for j in longest_first(jobs)] == ["c", "d", "a", "b"]


def test_an_output_tampered_with_at_the_same_size_is_not_trusted(tmp_path):
    """The record keeps the output's SHA-256, not only its size: an edit that keeps the size
    (one digit changed, as a careless hand edit or a torn copy of another run would) is found."""
    data = _data(tmp_path / "data")
    spec = _spec(tmp_path, data)
    parts = cache.Fingerprinter((), "python3").parts(spec)
    spec.output.parent.mkdir()
    spec.output.write_text('{"cells": [], "value": 41}', encoding="utf-8")
    cache.write_record(spec.output, parts)
    assert cache.stale_reason(spec.output, parts) is None
    size = spec.output.stat().st_size
    spec.output.write_text('{"cells": [], "value": 42}', encoding="utf-8")
    assert spec.output.stat().st_size == size
    assert cache.stale_reason(spec.output, parts) == "output differs from the recorded one"
    # and the same bytes again are trusted again (the record was not changed by the check)
    spec.output.write_text('{"cells": [], "value": 41}', encoding="utf-8")
    assert cache.stale_reason(spec.output, parts) is None


# --------------------------------------------------------------------------- rows and files


def _scoped(directory: Path, scopes: dict[str, RowScope]) -> dict[str, dict[str, str]]:
    index = cache.DataIndex(directory)
    files = ("participants", "activity_log", "reported_figures")
    return {k: {f: index.digest(f, s) for f in files} for k, s in scopes.items()}


MORE_SCOPES = {
    **SCOPES,
    "model-y": RowScope(
        "model", frozenset({"nav-b"}), frozenset({"trial-b"}), frozenset({"model-y"})
    ),
}


def test_an_edit_that_moves_a_field_boundary_changes_the_key(tmp_path):
    """A row is hashed field by field: moving text from one field into the next (here across
    a unit-separator character inside a field) is a change like any other."""
    data = _data(tmp_path / "data")
    (data / "participants.csv").write_text(
        "person_id,unit_id,trial_id,gender,note\nP1,nav-a,trial-a,K\x1fM,x\n", encoding="utf-8"
    )
    before = _digests(data)
    _edit(data / "participants.csv", "K\x1fM,x", "K,M\x1fx")
    assert _changed(before, _digests(data)) == {
        "a": ["participants"],
        "model-x": ["participants"],
        "all": ["participants"],
    }


def test_rows_of_a_unit_without_trial_or_model_count_for_the_units_models(tmp_path):
    data = _data(tmp_path / "data")
    _edit(
        data / "activity_log.csv",
        "R2,nav-b,trial-b,20\n",
        "R2,nav-b,trial-b,20\nR7,nav-a,trial-z,4\nR8,nav-b\nR9,nav-a,,3\n",
    )
    before = _scoped(data, MORE_SCOPES)
    # a unit-wide row (no trial, no model): the unit and every model the unit takes part in
    _edit(data / "activity_log.csv", "R9,nav-a,,3", "R9,nav-a,,30")
    after = _scoped(data, MORE_SCOPES)
    assert _changed(before, after) == {
        "a": ["activity_log"],
        "model-x": ["activity_log"],
        "all": ["activity_log"],
    }
    # a row of the unit in a trial of another model: the unit only
    _edit(data / "activity_log.csv", "R7,nav-a,trial-z,4", "R7,nav-a,trial-z,5")
    assert _changed(after, _scoped(data, MORE_SCOPES)) == {
        "a": ["activity_log"],
        "all": ["activity_log"],
    }
    # a short row (the trial and count fields left out) is read as a unit-wide row of nav-b
    after = _scoped(data, MORE_SCOPES)
    _edit(data / "activity_log.csv", "R8,nav-b\n", "R8,nav-b,,\n")
    assert _changed(after, _scoped(data, MORE_SCOPES)) == {
        "b": ["activity_log"],
        "model-y": ["activity_log"],
        "all": ["activity_log"],
    }


def test_model_rows_of_any_unit_count_for_the_model_not_for_other_units(tmp_path):
    data = _data(tmp_path / "data")
    _edit(data / "reported_figures.csv", "F3,,model-y,3\n", "F3,,model-y,3\nF4,nav-c,model-y,5\n")
    before = _scoped(data, MORE_SCOPES)
    _edit(data / "reported_figures.csv", "F4,nav-c,model-y,5", "F4,nav-c,model-y,6")
    assert _changed(before, _scoped(data, MORE_SCOPES)) == {
        "model-y": ["reported_figures"],
        "all": ["reported_figures"],
    }


def test_digest_texts_of_missing_whole_and_partial_files(tmp_path):
    import hashlib

    data = _data(tmp_path / "data")
    (data / "notes.csv").write_text("\ufeffnote\nhei\n", encoding="utf-8")
    index = cache.DataIndex(data)
    assert index.digest("segments", SCOPES["a"]) == "missing"
    whole = hashlib.sha256((data / "notes.csv").read_bytes()).hexdigest()
    assert index.digest("notes", SCOPES["a"]) == f"file:{whole}"  # no key column: whole file
    spells = hashlib.sha256(SPELLS.encode()).hexdigest()
    assert index.digest("spells", SCOPES["all"]) == f"file:{spells}"
    # the count of rows the run depends on comes first: nav-a's two participants
    assert index.digest("participants", SCOPES["a"]).startswith("2:")
    assert index.digest("participants", SCOPES["b"]).startswith("1:")
    assert index.digest("spells", SCOPES["b"]).startswith("1:")  # S2 of P3
    assert index.persons(SCOPES["a"]) == {"P1", "P2"}
    assert index.persons(SCOPES["model-x"]) == {"P1", "P2"}


def test_a_byte_order_mark_and_padded_header_are_read(tmp_path):
    data = _data(tmp_path / "data")
    (data / "participants.csv").write_text(
        "\ufeffperson_id, unit_id ,trial_id\nP1, nav-a ,trial-a\nP3,nav-b,trial-b\n",
        encoding="utf-8",
    )
    index = cache.DataIndex(data)
    assert index.persons(SCOPES["a"]) == {"P1"}
    assert index.persons(SCOPES["b"]) == {"P3"}


def test_a_participants_file_without_person_ids_names_nobody(tmp_path):
    data = _data(tmp_path / "data")
    (data / "participants.csv").write_text("unit_id,trial_id\nnav-a,trial-a\n", encoding="utf-8")
    index = cache.DataIndex(data)
    assert index.persons(SCOPES["a"]) == frozenset()
    assert index.digest("spells", SCOPES["a"]).startswith("0:")  # no spell of anybody in a


# --------------------------------------------------------------------------- notebooks, package


def _nb_file(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_notebook_digest_covers_cell_types_and_the_kernel(tmp_path):
    cell = {"cell_type": "code", "source": ["x = 1\n", "y = 2"], "metadata": {"tags": ["b", "a"]}}
    base = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3"}}}
    first = cache.notebook_digest(_nb_file(tmp_path / "a.ipynb", base))
    same = {
        "cells": [
            {"cell_type": "code", "source": "x = 1\ny = 2", "metadata": {"tags": ["a", "b"]}}
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "other"}},
    }
    assert cache.notebook_digest(_nb_file(tmp_path / "b.ipynb", same)) == first
    markdown = {**base, "cells": [{**cell, "cell_type": "markdown"}]}
    assert cache.notebook_digest(_nb_file(tmp_path / "c.ipynb", markdown)) != first
    other_kernel = {**base, "metadata": {"kernelspec": {"name": "ir"}}}
    assert cache.notebook_digest(_nb_file(tmp_path / "d.ipynb", other_kernel)) != first
    bare = cache.notebook_digest(_nb_file(tmp_path / "e.ipynb", {"cells": [cell]}))
    no_kernel = {"cells": [cell], "metadata": {}}
    assert cache.notebook_digest(_nb_file(tmp_path / "f.ipynb", no_kernel)) == bare != first
    assert cache.notebook_digest(_nb_file(tmp_path / "g.ipynb", {})) != bare


def test_package_digest_skips_compiled_files_and_covers_names(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "defs").mkdir(parents=True)
    (pkg / "mod.py").write_text("x = 1\n")
    first = cache.package_digest(pkg)
    (pkg / "mod.pyc").write_bytes(b"compiled")
    (pkg / "defs" / "old.pyo").write_bytes(b"optimised")
    (pkg / "empty").mkdir()
    assert cache.package_digest(pkg) == first
    (pkg / "mod.py").rename(pkg / "other.py")  # same contents, another module
    assert cache.package_digest(pkg) != first
    here = Path(cache.__file__).resolve().parent
    assert cache.package_digest() == cache.package_digest(here)


def test_environment_names_python_the_platform_and_each_package():
    import platform
    import sys
    from importlib import metadata

    found = cache.environment(["pytest", "no-such-package-coopstats"])
    assert found == {
        "python": platform.python_version(),
        "pytest": metadata.version("pytest"),
        "no-such-package-coopstats": None,
        "platform": sys.platform,
    }


def test_key_parts_of_a_run(tmp_path):
    import platform

    data = _data(tmp_path / "data")
    spec = _spec(tmp_path, data)
    parts = cache.Fingerprinter(["pytest"], "ir").parts(spec)
    assert set(parts) == {
        "format",
        "notebook",
        "parameters",
        "data",
        "rows",
        "package",
        "environment",
        "kernel",
    }
    assert parts["format"] == 1
    assert parts["notebook"] == cache.notebook_digest(spec.notebook)
    assert parts["parameters"] == {"unit": "nav-a"}
    assert set(parts["data"]) == {"participants", "spells"}
    assert parts["rows"] == "unit nav-a"
    assert parts["package"] == cache.package_digest()
    assert parts["environment"]["python"] == platform.python_version()
    assert set(parts["environment"]) == {"python", "pytest", "platform"}
    assert parts["kernel"] == "ir"
    bare = RunSpec("x", spec.notebook, tmp_path / "x.ipynb", {"path": Path("/data")})
    parts = cache.Fingerprinter().parts(bare)
    assert (parts["data"], parts["parameters"], parts["kernel"]) == ({}, {"path": "/data"}, "")
    assert parts["rows"] == "all rows"
    assert set(parts["environment"]) == {"python", "platform"}


def test_canonical_json_is_sorted_and_compact():
    assert cache.canonical({"b": [1, 2], "a": {"d": Path("/x"), "c": None}}) == (
        b'{"a":{"c":null,"d":"/x"},"b":[1,2]}'
    )


# --------------------------------------------------------------------------- records


def test_the_record_on_disk(tmp_path):
    import hashlib

    output = tmp_path / "out" / "run-a.ipynb"
    output.parent.mkdir()
    output.write_bytes(b'{"cells": []}')
    parts = {"notebook": "n1", "data": {"spells": "missing"}}
    cache.write_record(output, parts, {"run": "run-a", "exec_seconds": 1.5})
    path = tmp_path / "out" / ".coopstats" / "run-a.ipynb.cache.json"
    assert cache.sidecar_path(output) == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n "exec_seconds": 1.5,\n "key": "')
    record = json.loads(text)
    assert list(record) == ["exec_seconds", "key", "output", "parts", "run"]
    key = hashlib.sha256(b'{"data":{"spells":"missing"},"notebook":"n1"}').hexdigest()
    assert record["key"] == key == cache.key_of(parts)
    assert record["output"] == {
        "name": "run-a.ipynb",
        "size": 13,
        "sha256": hashlib.sha256(b'{"cells": []}').hexdigest(),
    }
    assert record["parts"] == parts and record["run"] == "run-a"
    assert sorted(p.name for p in path.parent.iterdir()) == ["run-a.ipynb.cache.json"]
    assert cache.read_record(output) == record
    cache.write_record(output, parts)
    assert set(cache.read_record(output)) == {"key", "output", "parts"}


def test_an_unreadable_record_is_no_record(tmp_path):
    output = tmp_path / "a.ipynb"
    output.write_text("{}", encoding="utf-8")
    assert cache.read_record(output) is None
    cache.sidecar_path(output).parent.mkdir()
    cache.sidecar_path(output).write_text("[1, 2]", encoding="utf-8")
    assert cache.read_record(output) is None
    assert cache.stale_reason(output, {"k": 1}) == "no cache record"
    cache.sidecar_path(output).write_text('{"key": ', encoding="utf-8")
    assert cache.read_record(output) is None
    cache.drop_record(output)
    cache.drop_record(output)  # dropping a missing record is fine
    assert not cache.sidecar_path(output).exists()


def test_file_sha_of_a_file_larger_than_one_block(tmp_path):
    import hashlib

    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 5000  # 1.28 MB
    path.write_bytes(data)
    assert cache.file_sha(path) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"notebook": "n2"}, "changed notebook"),
        ({"parameters": {"unit": "b"}}, "changed parameters"),
        ({"package": "p2"}, "changed package"),
        ({"environment": {"python": "3.13"}}, "changed environment"),
        ({"kernel": "ir"}, "changed kernel"),
        ({"format": 2}, "changed format"),
        ({"rows": "unit nav-b"}, "changed key"),
        ({"data": {"spells": "2:x", "participants": "1:y"}}, "changed data: participants, spells"),
        ({"data": {"spells": "1:a", "activity_log": "3:z"}}, "changed data: activity_log"),
        ({"data": {}}, "changed data: spells"),
        (
            {"notebook": "n2", "environment": {}, "format": 2, "data": {"spells": "2:b"}},
            "changed notebook; environment; format; data: spells",
        ),
    ],
)
def test_stale_reason_names_each_changed_part(tmp_path, change, reason):
    old = {
        "format": 1,
        "notebook": "n1",
        "parameters": {"unit": "a"},
        "data": {"spells": "1:a"},
        "rows": "unit nav-a",
        "package": "p1",
        "environment": {"python": "3.12"},
        "kernel": "python3",
    }
    output = tmp_path / "a.ipynb"
    output.write_text("{}", encoding="utf-8")
    cache.write_record(output, old)
    assert cache.stale_reason(output, old) is None
    assert cache.stale_reason(output, {**old, **change}) == reason


def test_a_renamed_column_changes_the_key_of_every_run_reading_the_file(tmp_path):
    data = _data(tmp_path / "data")
    before = _digests(data)
    _edit(data / "participants.csv", "trial_id,gender", "trial_id,kjonn")
    assert _changed(before, _digests(data)) == {
        scope: ["participants"] for scope in ("a", "b", "model-x", "all")
    }


def test_a_hand_written_notebook_without_cell_metadata_has_a_digest(tmp_path):
    bare = {"cells": [{"cell_type": "code", "source": "x = 1"}]}
    tagged = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["a"]}}]}
    empty = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}}]}
    first = cache.notebook_digest(_nb_file(tmp_path / "a.ipynb", bare))
    assert cache.notebook_digest(_nb_file(tmp_path / "b.ipynb", empty)) == first
    no_source = {"cells": [{"cell_type": "code"}]}
    empty_source = {"cells": [{"cell_type": "code", "source": []}]}
    assert cache.notebook_digest(_nb_file(tmp_path / "d.ipynb", no_source)) == (
        cache.notebook_digest(_nb_file(tmp_path / "e.ipynb", empty_source))
    )
    assert cache.notebook_digest(_nb_file(tmp_path / "c.ipynb", tagged)) != first


def test_bytecode_being_written_is_not_part_of_the_package(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("x = 1\n")
    first = cache.package_digest(pkg)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "mod.cpython-311.pyc.140234").write_bytes(b"half")  # Python's tmp
    assert cache.package_digest(pkg) == first


def test_an_empty_file_counts_whole(tmp_path):
    import hashlib

    data = _data(tmp_path / "data")
    (data / "participants.csv").write_bytes(b"")
    index = cache.DataIndex(data)
    assert index.digest("participants", SCOPES["a"]) == f"file:{hashlib.sha256(b'').hexdigest()}"
    assert index.persons(SCOPES["a"]) == frozenset()


def test_model_wide_rows_of_a_file_without_units_and_trial_rows_of_other_units(tmp_path):
    data = _data(tmp_path / "data")
    (data / "reported_figures.csv").write_text(
        "figure_id,model_id,value\nF1,model-x,1\nF2,model-y,2\n", encoding="utf-8"
    )
    _edit(data / "activity_log.csv", "R2,", "R5,nav-z,trial-a,1\nR2,")
    before = _scoped(data, MORE_SCOPES)
    _edit(data / "reported_figures.csv", "F1,model-x,1", "F1,model-x,9")
    after = _scoped(data, MORE_SCOPES)
    assert _changed(before, after) == {
        "a": ["reported_figures"],
        "model-x": ["reported_figures"],
        "all": ["reported_figures"],
    }
    # a row of one of the model's trials counts for the model, whatever its unit
    _edit(data / "activity_log.csv", "R5,nav-z,trial-a,1", "R5,nav-z,trial-a,2")
    assert _changed(after, _scoped(data, MORE_SCOPES)) == {
        "a": ["activity_log"],
        "model-x": ["activity_log"],
        "all": ["activity_log"],
    }


def test_record_values_json_does_not_know_are_written_as_text(tmp_path):
    output = tmp_path / "a.ipynb"
    output.write_text("{}", encoding="utf-8")
    cache.write_record(output, {"data_dir": Path("/data")}, {"notebook": Path("/nb.ipynb")})
    record = cache.read_record(output)
    assert record["parts"] == {"data_dir": "/data"} and record["notebook"] == "/nb.ipynb"
