"""Cache keys: what a run depends on, and when a stored output is trusted."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

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
